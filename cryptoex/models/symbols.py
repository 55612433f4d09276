"""Symbol metadata: :class:`SymbolInfo` with its typed exchange filters, and
:class:`ExchangeInfo` (symbols plus the exchange's rate limits).

Every filter Binance documents has a typed class here; a filter type Binance
adds later is kept as an :class:`UnknownFilter` with its raw parameters. The
rules that check an order against these filters live with the exchange adapter
(:mod:`cryptoex.exchanges.binance.filters`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from typing import Any, Literal

from dataclasses_json import config

from cryptoex._money import to_decimal
from cryptoex.enums import OrderType, SymbolStatus
from cryptoex.models._base import Model, money, optional_money, timestamp

__all__ = [
    "ExchangeInfo",
    "IcebergPartsFilter",
    "LotSizeFilter",
    "MarketLotSizeFilter",
    "MaxNumAlgoOrdersFilter",
    "MaxNumIcebergOrdersFilter",
    "MaxNumOrdersFilter",
    "MaxPositionFilter",
    "MinNotionalFilter",
    "NotionalFilter",
    "PercentPriceBySideFilter",
    "PercentPriceFilter",
    "PriceFilter",
    "RateLimit",
    "SymbolFilter",
    "SymbolInfo",
    "TrailingDeltaFilter",
    "UnknownFilter",
    "round_to_step",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class SymbolFilter(Model):
    """Base of the typed exchange filters. ``filter_type`` is Binance's name
    (``"PRICE_FILTER"``)."""

    filter_type: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceFilter(SymbolFilter):
    """``PRICE_FILTER``: price bounds and tick size (each rule off when 0)."""

    filter_type: str = "PRICE_FILTER"
    min_price: Decimal = money()
    max_price: Decimal = money()
    tick_size: Decimal = money()


@dataclass(frozen=True, slots=True, kw_only=True)
class LotSizeFilter(SymbolFilter):
    """``LOT_SIZE``: quantity bounds and step size."""

    filter_type: str = "LOT_SIZE"
    min_qty: Decimal = money()
    max_qty: Decimal = money()
    step_size: Decimal = money()


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketLotSizeFilter(SymbolFilter):
    """``MARKET_LOT_SIZE``: quantity bounds and step size for MARKET orders."""

    filter_type: str = "MARKET_LOT_SIZE"
    min_qty: Decimal = money()
    max_qty: Decimal = money()
    step_size: Decimal = money()


@dataclass(frozen=True, slots=True, kw_only=True)
class MinNotionalFilter(SymbolFilter):
    """``MIN_NOTIONAL``: ``price * quantity >= min_notional``."""

    filter_type: str = "MIN_NOTIONAL"
    min_notional: Decimal = money()
    apply_to_market: bool = True
    avg_price_mins: int = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class NotionalFilter(SymbolFilter):
    """``NOTIONAL``: ``min_notional <= price * quantity <= max_notional``."""

    filter_type: str = "NOTIONAL"
    min_notional: Decimal = money()
    max_notional: Decimal | None = optional_money()
    apply_min_to_market: bool = True
    apply_max_to_market: bool = False
    avg_price_mins: int = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class PercentPriceFilter(SymbolFilter):
    """``PERCENT_PRICE``: price within multipliers of the reference price."""

    filter_type: str = "PERCENT_PRICE"
    multiplier_up: Decimal = money()
    multiplier_down: Decimal = money()
    avg_price_mins: int = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class PercentPriceBySideFilter(SymbolFilter):
    """``PERCENT_PRICE_BY_SIDE``: price bounds per side around the reference price."""

    filter_type: str = "PERCENT_PRICE_BY_SIDE"
    bid_multiplier_up: Decimal = money()
    bid_multiplier_down: Decimal = money()
    ask_multiplier_up: Decimal = money()
    ask_multiplier_down: Decimal = money()
    avg_price_mins: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class IcebergPartsFilter(SymbolFilter):
    """``ICEBERG_PARTS``: most parts an iceberg order may have."""

    filter_type: str = "ICEBERG_PARTS"
    limit: int = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class MaxNumOrdersFilter(SymbolFilter):
    """``MAX_NUM_ORDERS``: most open orders per account on the symbol."""

    filter_type: str = "MAX_NUM_ORDERS"
    max_num_orders: int = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class MaxNumAlgoOrdersFilter(SymbolFilter):
    """``MAX_NUM_ALGO_ORDERS``: most open stop/take-profit orders on the symbol."""

    filter_type: str = "MAX_NUM_ALGO_ORDERS"
    max_num_algo_orders: int = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class MaxNumIcebergOrdersFilter(SymbolFilter):
    """``MAX_NUM_ICEBERG_ORDERS``: most open iceberg orders on the symbol."""

    filter_type: str = "MAX_NUM_ICEBERG_ORDERS"
    max_num_iceberg_orders: int = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class MaxPositionFilter(SymbolFilter):
    """``MAX_POSITION``: largest base-asset position BUY orders may build."""

    filter_type: str = "MAX_POSITION"
    max_position: Decimal = money()


@dataclass(frozen=True, slots=True, kw_only=True)
class TrailingDeltaFilter(SymbolFilter):
    """``TRAILING_DELTA``: allowed trailing deltas (basis points)."""

    filter_type: str = "TRAILING_DELTA"
    min_trailing_above_delta: int = 10
    max_trailing_above_delta: int = 2000
    min_trailing_below_delta: int = 10
    max_trailing_below_delta: int = 2000


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownFilter(SymbolFilter):
    """A filter cryptoex has no class for (an exchange-level filter, or one
    Binance added later); ``params`` keeps its fields as sent."""

    params: dict[str, Any] = field(default_factory=dict)


#: Filter classes by Binance filter type.
FILTER_TYPES: dict[str, type[SymbolFilter]] = {
    "PRICE_FILTER": PriceFilter,
    "LOT_SIZE": LotSizeFilter,
    "MARKET_LOT_SIZE": MarketLotSizeFilter,
    "MIN_NOTIONAL": MinNotionalFilter,
    "NOTIONAL": NotionalFilter,
    "PERCENT_PRICE": PercentPriceFilter,
    "PERCENT_PRICE_BY_SIDE": PercentPriceBySideFilter,
    "ICEBERG_PARTS": IcebergPartsFilter,
    "MAX_NUM_ORDERS": MaxNumOrdersFilter,
    "MAX_NUM_ALGO_ORDERS": MaxNumAlgoOrdersFilter,
    "MAX_NUM_ICEBERG_ORDERS": MaxNumIcebergOrdersFilter,
    "MAX_POSITION": MaxPositionFilter,
    "TRAILING_DELTA": TrailingDeltaFilter,
}


def _encode_filters(filters: tuple[SymbolFilter, ...]) -> list[dict[str, Any]]:
    return [f.to_dict(encode_json=True) for f in filters]


def _decode_filters(items: Any) -> tuple[SymbolFilter, ...]:
    result: list[SymbolFilter] = []
    for item in items:
        if isinstance(item, SymbolFilter):
            result.append(item)
            continue
        cls = FILTER_TYPES.get(item.get("filter_type", ""), UnknownFilter)
        result.append(cls.from_dict(item))
    return tuple(result)


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimit(Model):
    """One of the exchange's rate limits (``exchangeInfo.rateLimits``).

    ``interval_seconds`` is the window length (``intervalNum`` times the
    interval unit).
    """

    rate_limit_type: str
    interval: str
    interval_num: int
    limit: int

    @property
    def interval_seconds(self) -> int:
        """The window length in seconds."""
        unit = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600, "DAY": 86400}.get(self.interval, 60)
        return self.interval_num * unit


Rounding = Literal["down", "up", "nearest"]
_ROUNDING = {"down": ROUND_FLOOR, "up": ROUND_CEILING, "nearest": ROUND_HALF_UP}


def round_to_step(value: Decimal, step: Decimal | None, rounding: Rounding = "nearest") -> Decimal:
    """*value* rounded to a multiple of *step* (exactly, in Decimal), written
    with *step*'s number of decimals. ``None`` or zero *step* returns *value*.

    :raises ValueError: for an unknown *rounding*.
    """
    if step is None or not step:
        return value
    if rounding not in _ROUNDING:
        raise ValueError(f"rounding must be 'down', 'up' or 'nearest', got {rounding!r}")
    with localcontext() as ctx:
        ctx.prec = 60
        units = (value / step).quantize(Decimal(1), rounding=_ROUNDING[rounding])
        exponent = step.as_tuple().exponent
        grid = step.normalize() if isinstance(exponent, int) and exponent > 0 else step
        return (units * step).quantize(grid)


@dataclass(frozen=True, slots=True, kw_only=True)
class SymbolInfo(Model):
    """A symbol's trading rules (``exchangeInfo.symbols[]``).

    The filters that validation needs are typed attributes (``None`` when the
    exchange does not send them); :attr:`filters` keeps every filter in the
    order sent. Shortcuts such as :attr:`tick_size` read the usual filter.
    """

    symbol: str
    status: SymbolStatus
    base_asset: str
    quote_asset: str
    base_asset_precision: int
    quote_asset_precision: int
    order_types: tuple[OrderType, ...] = ()
    iceberg_allowed: bool = False
    oco_allowed: bool = False
    quote_order_qty_market_allowed: bool = False
    is_spot_trading_allowed: bool = True
    permissions: tuple[str, ...] = ()
    filters: tuple[SymbolFilter, ...] = field(
        default=(), metadata=config(encoder=_encode_filters, decoder=_decode_filters)
    )
    price_filter: PriceFilter | None = None
    lot_size: LotSizeFilter | None = None
    market_lot_size: MarketLotSizeFilter | None = None
    min_notional_filter: MinNotionalFilter | None = None
    notional_filter: NotionalFilter | None = None
    max_num_orders: MaxNumOrdersFilter | None = None

    @property
    def tick_size(self) -> Decimal | None:
        """Price step (``PRICE_FILTER.tickSize``), ``None`` when absent or 0."""
        if self.price_filter is None or not self.price_filter.tick_size:
            return None
        return self.price_filter.tick_size

    @property
    def step_size(self) -> Decimal | None:
        """Quantity step (``LOT_SIZE.stepSize``), ``None`` when absent or 0."""
        if self.lot_size is None or not self.lot_size.step_size:
            return None
        return self.lot_size.step_size

    @property
    def min_qty(self) -> Decimal | None:
        """Smallest quantity (``LOT_SIZE.minQty``)."""
        return None if self.lot_size is None else self.lot_size.min_qty

    @property
    def max_qty(self) -> Decimal | None:
        """Largest quantity (``LOT_SIZE.maxQty``)."""
        return None if self.lot_size is None else self.lot_size.max_qty

    def round_price(self, price: object, rounding: Rounding = "nearest") -> Decimal:
        """*price* on the symbol's tick grid (``PRICE_FILTER.tickSize``).

        :param price: a ``Decimal``, ``str``, ``int`` or ``float``.
        :param rounding: ``"down"``, ``"up"`` or ``"nearest"`` (ties go up).
        :returns: the price with the tick size's number of decimals; *price*
            unchanged (as Decimal) when the symbol has no tick size.
        """
        return round_to_step(to_decimal(price, "price"), self.tick_size, rounding)

    def round_quantity(self, quantity: object, rounding: Rounding = "down") -> Decimal:
        """*quantity* on the symbol's step grid (``LOT_SIZE.stepSize``).

        Rounds down by default, so the result never spends more than asked.
        """
        return round_to_step(to_decimal(quantity, "quantity"), self.step_size, rounding)

    @property
    def min_notional(self) -> Decimal | None:
        """Smallest ``price * quantity`` (from ``NOTIONAL``, else ``MIN_NOTIONAL``)."""
        if self.notional_filter is not None:
            return self.notional_filter.min_notional
        if self.min_notional_filter is not None:
            return self.min_notional_filter.min_notional
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExchangeInfo(Model):
    """``GET /api/v3/exchangeInfo``: server time, rate limits and symbols."""

    timezone: str
    server_time: datetime = timestamp()
    rate_limits: tuple[RateLimit, ...] = ()
    exchange_filters: tuple[SymbolFilter, ...] = field(
        default=(), metadata=config(encoder=_encode_filters, decoder=_decode_filters)
    )
    symbols: tuple[SymbolInfo, ...] = ()

    def symbol(self, name: str) -> SymbolInfo | None:
        """The :class:`SymbolInfo` for *name* (case-insensitive), or ``None``."""
        wanted = name.upper()
        for info in self.symbols:
            if info.symbol == wanted:
                return info
        return None
