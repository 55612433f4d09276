"""The built-in markets: symbol specifications, their exchangeInfo entries and filters.

Every filter the sandbox publishes is enforced by :mod:`cryptoex.testing._trading`
with Binance's ``Filter failure: ...`` texts; nothing is advertised that is not checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from cryptoex.testing._format import fmt

#: Order types every built-in symbol accepts (STOP_LOSS / TAKE_PROFIT market variants are
#: deliberately absent so clients meet Binance's "not supported for this symbol" replies).
ORDER_TYPES: Final = ("LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")

#: Exchange-wide cap on one account's open orders (``EXCHANGE_MAX_NUM_ORDERS``).
EXCHANGE_MAX_NUM_ORDERS: Final = 1000


@dataclass(frozen=True)
class SymbolSpec:
    """One tradable symbol: assets, filters and the shape of its synthetic market.

    Prices are multiples of :attr:`tick`; quantities of :attr:`step`. The synthetic
    book has :attr:`levels` levels per side, :attr:`gap_ticks` ticks apart.
    """

    symbol: str
    base: str
    quote: str
    price: Decimal
    tick: Decimal
    min_price: Decimal
    max_price: Decimal
    step: Decimal
    min_qty: Decimal
    max_qty: Decimal
    market_step: Decimal
    market_min_qty: Decimal
    market_max_qty: Decimal
    min_notional: Decimal
    max_notional: Decimal | None
    notional_filter: str
    max_num_orders: int
    max_num_algo_orders: int
    gap_ticks: int
    level_qty: Decimal
    volatility: float
    daily_volume: Decimal
    levels: int = 60

    @property
    def stream_symbol(self) -> str:
        """The lowercase form used in stream names.

        :returns: e.g. ``"btcusdt"``.
        """
        return self.symbol.lower()

    def filters(self) -> list[dict[str, Any]]:
        """The ``filters`` array of this symbol's exchangeInfo entry.

        :returns: filter objects shaped like ``tests/fixtures/rest/filters/``.
        """
        out: list[dict[str, Any]] = [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": fmt(self.min_price),
                "maxPrice": fmt(self.max_price),
                "tickSize": fmt(self.tick),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": fmt(self.min_qty),
                "maxQty": fmt(self.max_qty),
                "stepSize": fmt(self.step),
            },
        ]
        if self.notional_filter == "MIN_NOTIONAL":
            out.append(
                {
                    "filterType": "MIN_NOTIONAL",
                    "minNotional": fmt(self.min_notional),
                    "applyToMarket": True,
                    "avgPriceMins": 5,
                }
            )
        else:
            out.append(
                {
                    "filterType": "NOTIONAL",
                    "minNotional": fmt(self.min_notional),
                    "applyMinToMarket": True,
                    "maxNotional": fmt(self.max_notional or Decimal(0)),
                    "applyMaxToMarket": False,
                    "avgPriceMins": 5,
                }
            )
        out += [
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": fmt(self.market_min_qty),
                "maxQty": fmt(self.market_max_qty),
                "stepSize": fmt(self.market_step),
            },
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": self.max_num_orders},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": self.max_num_algo_orders},
        ]
        return out

    def exchange_info(self) -> dict[str, Any]:
        """This symbol's entry in ``exchangeInfo.symbols``.

        :returns: an object shaped like ``tests/fixtures/rest/exchangeInfo.json``.
        """
        return {
            "symbol": self.symbol,
            "status": "TRADING",
            "baseAsset": self.base,
            "baseAssetPrecision": 8,
            "quoteAsset": self.quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": list(ORDER_TYPES),
            "icebergAllowed": False,
            "ocoAllowed": False,
            "otoAllowed": False,
            "opoAllowed": False,
            "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": False,
            "cancelReplaceAllowed": False,
            "amendAllowed": False,
            "pegInstructionsAllowed": False,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "filters": self.filters(),
            "permissions": [],
            "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "NONE",
            "allowedSelfTradePreventionModes": ["NONE"],
        }


def _d(text: str) -> Decimal:
    return Decimal(text)


#: The built-in markets, in exchangeInfo order. Filters follow what Binance lists for the
#: real symbols (rounded); PEPEUSDT is the awkward one: an 8-decimal tick, integer lots,
#: a MARKET_LOT_SIZE that differs from LOT_SIZE and a MAX_NUM_ORDERS of 5. Step sizes are
#: chosen so price * quantity always fits in 8 decimals (exact quote amounts).
BUILTIN_MARKETS: Final[tuple[SymbolSpec, ...]] = (
    SymbolSpec(
        symbol="BTCUSDT",
        base="BTC",
        quote="USDT",
        price=_d("65000.00"),
        tick=_d("0.01"),
        min_price=_d("0.01"),
        max_price=_d("1000000.00"),
        step=_d("0.00001"),
        min_qty=_d("0.00001"),
        max_qty=_d("9000"),
        market_step=_d("0.00001"),
        market_min_qty=_d("0.00001"),
        market_max_qty=_d("120"),
        min_notional=_d("5"),
        max_notional=_d("9000000"),
        notional_filter="NOTIONAL",
        max_num_orders=200,
        max_num_algo_orders=5,
        gap_ticks=100,
        level_qty=_d("0.8"),
        volatility=0.35,
        daily_volume=_d("25000"),
    ),
    SymbolSpec(
        symbol="ETHUSDT",
        base="ETH",
        quote="USDT",
        price=_d("3500.00"),
        tick=_d("0.01"),
        min_price=_d("0.01"),
        max_price=_d("1000000.00"),
        step=_d("0.0001"),
        min_qty=_d("0.0001"),
        max_qty=_d("9000"),
        market_step=_d("0.0001"),
        market_min_qty=_d("0.0001"),
        market_max_qty=_d("2500"),
        min_notional=_d("5"),
        max_notional=_d("9000000"),
        notional_filter="NOTIONAL",
        max_num_orders=200,
        max_num_algo_orders=5,
        gap_ticks=10,
        level_qty=_d("12"),
        volatility=0.35,
        daily_volume=_d("400000"),
    ),
    SymbolSpec(
        symbol="BNBUSDT",
        base="BNB",
        quote="USDT",
        price=_d("600.00"),
        tick=_d("0.01"),
        min_price=_d("0.01"),
        max_price=_d("100000.00"),
        step=_d("0.001"),
        min_qty=_d("0.001"),
        max_qty=_d("9000"),
        market_step=_d("0.001"),
        market_min_qty=_d("0.001"),
        market_max_qty=_d("4000"),
        min_notional=_d("5"),
        max_notional=_d("9000000"),
        notional_filter="NOTIONAL",
        max_num_orders=200,
        max_num_algo_orders=5,
        gap_ticks=5,
        level_qty=_d("40"),
        volatility=0.35,
        daily_volume=_d("900000"),
    ),
    SymbolSpec(
        symbol="ETHBTC",
        base="ETH",
        quote="BTC",
        price=_d("0.05380"),
        tick=_d("0.00001"),
        min_price=_d("0.00001"),
        max_price=_d("922327.00000"),
        step=_d("0.001"),
        min_qty=_d("0.001"),
        max_qty=_d("100000"),
        market_step=_d("0.001"),
        market_min_qty=_d("0.001"),
        market_max_qty=_d("2000"),
        min_notional=_d("0.0001"),
        max_notional=None,
        notional_filter="MIN_NOTIONAL",
        max_num_orders=200,
        max_num_algo_orders=5,
        gap_ticks=1,
        level_qty=_d("15"),
        volatility=0.3,
        daily_volume=_d("30000"),
    ),
    SymbolSpec(
        symbol="PEPEUSDT",
        base="PEPE",
        quote="USDT",
        price=_d("0.00001200"),
        tick=_d("0.00000001"),
        min_price=_d("0.00000001"),
        max_price=_d("1.00000000"),
        step=_d("1"),
        min_qty=_d("1"),
        max_qty=_d("92233720368"),
        market_step=_d("100"),
        market_min_qty=_d("100"),
        market_max_qty=_d("50000000"),
        min_notional=_d("5"),
        max_notional=_d("9000000"),
        notional_filter="NOTIONAL",
        max_num_orders=5,
        max_num_algo_orders=5,
        gap_ticks=1,
        level_qty=_d("40000000"),
        volatility=0.3,
        daily_volume=_d("5000000000000"),
    ),
)


def select_markets(symbols: Sequence[str] | None) -> tuple[SymbolSpec, ...]:
    """The built-in markets named by *symbols* (all when ``None``), in built-in order.

    :param symbols: symbol names, any case.
    :returns: their specifications.
    :raises ValueError: when a name is not a built-in market or the list is empty.
    """
    if symbols is None:
        return BUILTIN_MARKETS
    if isinstance(symbols, str):
        raise TypeError("symbols must be a sequence of symbol names, not a single string")
    wanted = [s.upper() for s in symbols]
    known = {spec.symbol for spec in BUILTIN_MARKETS}
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise ValueError(
            f"symbols: unknown market(s) {unknown}; built-in markets are {sorted(known)}"
        )
    if not wanted:
        raise ValueError("symbols: give at least one market (or None for all)")
    return tuple(spec for spec in BUILTIN_MARKETS if spec.symbol in wanted)
