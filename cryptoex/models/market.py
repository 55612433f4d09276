"""Market-data models: tickers, trades, klines and order-book depth.

Each model is what one market stream message (or one row of a public REST
answer) becomes. Fields a payload does not carry are ``None``: REST tickers
and trades have no ``event_time``, stream trades no ``quote_quantity``. The
wire parsers live in ``cryptoex.exchanges.binance.parse``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from cryptoex.enums import KlineInterval
from cryptoex.models._base import Model, money, optional_money, optional_timestamp, timestamp

__all__ = [
    "AggTrade",
    "AvgPrice",
    "BlockTrade",
    "BookTicker",
    "DepthUpdate",
    "Kline",
    "MiniTicker",
    "OrderBookLevel",
    "PartialDepth",
    "PriceTicker",
    "ReferencePrice",
    "RollingWindowTicker",
    "Ticker",
    "Trade",
]


@dataclass(frozen=True, slots=True)
class OrderBookLevel(Model):
    """One price level of an order book: ``OrderBookLevel(price, quantity)``.

    Unlike the other models it may be built positionally, as it is a pair. In
    a :class:`DepthUpdate` a zero ``quantity`` means the level was removed.
    """

    #: Price of the level.
    price: Decimal = money()
    #: Total quantity resting at that price (base asset).
    quantity: Decimal = money()


@dataclass(frozen=True, slots=True, kw_only=True)
class Ticker(Model):
    """24-hour rolling statistics for a symbol (``<symbol>@ticker`` stream,
    ``GET /api/v3/ticker/24hr``).

    ``event_time`` is ``None`` for REST answers, which carry none.
    """

    symbol: str
    #: ``last_price - open_price`` over the window.
    price_change: Decimal = money()
    #: Price change in percent (``"-95.960"`` is -95.96 %).
    price_change_percent: Decimal = money()
    weighted_avg_price: Decimal = money()
    #: Last price before the window (Binance: "first trade(F)-1 price").
    prev_close_price: Decimal = money()
    last_price: Decimal = money()
    last_quantity: Decimal = money()
    best_bid_price: Decimal = money()
    best_bid_quantity: Decimal = money()
    best_ask_price: Decimal = money()
    best_ask_quantity: Decimal = money()
    open_price: Decimal = money()
    high_price: Decimal = money()
    low_price: Decimal = money()
    #: Traded base-asset volume.
    volume: Decimal = money()
    #: Traded quote-asset volume.
    quote_volume: Decimal = money()
    #: Start of the statistics window.
    open_time: datetime = timestamp()
    #: End of the statistics window.
    close_time: datetime = timestamp()
    first_trade_id: int
    last_trade_id: int
    trade_count: int
    event_time: datetime | None = optional_timestamp()


@dataclass(frozen=True, slots=True, kw_only=True)
class MiniTicker(Model):
    """Reduced 24-hour statistics (``<symbol>@miniTicker`` stream; the
    ``type=MINI`` answers of ``GET /api/v3/ticker/24hr`` and
    ``GET /api/v3/ticker``).

    The stream sends ``event_time`` only; REST answers send the window and
    trade ids instead, so those fields are ``None`` on stream messages.
    """

    symbol: str
    #: Last (close) price.
    last_price: Decimal = money()
    open_price: Decimal = money()
    high_price: Decimal = money()
    low_price: Decimal = money()
    #: Traded base-asset volume.
    volume: Decimal = money()
    #: Traded quote-asset volume.
    quote_volume: Decimal = money()
    event_time: datetime | None = optional_timestamp()
    open_time: datetime | None = optional_timestamp()
    close_time: datetime | None = optional_timestamp()
    first_trade_id: int | None = None
    last_trade_id: int | None = None
    trade_count: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RollingWindowTicker(Model):
    """Rolling-window statistics (``<symbol>@ticker_<window>`` stream,
    ``GET /api/v3/ticker``).

    ``window`` is the window size (``"1h"``, ``"4h"``, ``"1d"``...) when known:
    the stream names it, REST answers do not.
    """

    symbol: str
    window: str | None = None
    price_change: Decimal = money()
    #: Price change in percent.
    price_change_percent: Decimal = money()
    weighted_avg_price: Decimal = money()
    open_price: Decimal = money()
    high_price: Decimal = money()
    low_price: Decimal = money()
    last_price: Decimal = money()
    #: Traded base-asset volume.
    volume: Decimal = money()
    #: Traded quote-asset volume.
    quote_volume: Decimal = money()
    open_time: datetime = timestamp()
    close_time: datetime = timestamp()
    first_trade_id: int
    last_trade_id: int
    trade_count: int
    event_time: datetime | None = optional_timestamp()


@dataclass(frozen=True, slots=True, kw_only=True)
class BookTicker(Model):
    """Best bid and ask (``<symbol>@bookTicker`` stream,
    ``GET /api/v3/ticker/bookTicker``).

    ``update_id`` is the order-book update id the stream reports (``None`` for
    REST). Binance sends no event time on this stream.
    """

    symbol: str
    best_bid_price: Decimal = money()
    best_bid_quantity: Decimal = money()
    best_ask_price: Decimal = money()
    best_ask_quantity: Decimal = money()
    update_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceTicker(Model):
    """Latest price of a symbol (``GET /api/v3/ticker/price``)."""

    symbol: str
    price: Decimal = money()


@dataclass(frozen=True, slots=True, kw_only=True)
class Trade(Model):
    """One trade (``<symbol>@trade`` stream, ``GET /api/v3/trades`` and
    ``/historicalTrades``).

    ``event_time`` exists on stream messages only, ``quote_quantity`` on REST
    answers only.
    """

    symbol: str
    trade_id: int
    price: Decimal = money()
    quantity: Decimal = money()
    trade_time: datetime = timestamp()
    #: ``True`` when the buyer's order was resting on the book (a sell hit it).
    is_buyer_maker: bool
    event_time: datetime | None = optional_timestamp()
    quote_quantity: Decimal | None = optional_money()


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockTrade(Model):
    """One block trade (``<symbol>@blockTrade`` stream,
    ``GET /api/v3/historicalBlockTrades``)."""

    symbol: str
    trade_id: int
    price: Decimal = money()
    quantity: Decimal = money()
    trade_time: datetime = timestamp()
    #: ``True`` when the buyer was the maker.
    is_buyer_maker: bool
    event_time: datetime | None = optional_timestamp()
    quote_quantity: Decimal | None = optional_money()


@dataclass(frozen=True, slots=True, kw_only=True)
class AggTrade(Model):
    """Trades of one taker order at one price, aggregated
    (``<symbol>@aggTrade`` stream, ``GET /api/v3/aggTrades``)."""

    symbol: str
    agg_trade_id: int
    price: Decimal = money()
    quantity: Decimal = money()
    first_trade_id: int
    last_trade_id: int
    trade_time: datetime = timestamp()
    #: ``True`` when the buyer was the maker.
    is_buyer_maker: bool
    event_time: datetime | None = optional_timestamp()


@dataclass(frozen=True, slots=True, kw_only=True)
class Kline(Model):
    """One candlestick (``<symbol>@kline_<interval>`` stream,
    ``GET /api/v3/klines`` and ``/uiKlines``).

    Stream messages update the open kline until ``is_closed`` is ``True``. REST
    rows do not say whether the kline is closed or which trades it spans, so
    ``is_closed``, ``first_trade_id``, ``last_trade_id`` and ``event_time``
    are ``None`` there.
    """

    symbol: str
    interval: KlineInterval
    open_time: datetime = timestamp()
    close_time: datetime = timestamp()
    open_price: Decimal = money()
    high_price: Decimal = money()
    low_price: Decimal = money()
    close_price: Decimal = money()
    #: Traded base-asset volume.
    volume: Decimal = money()
    #: Traded quote-asset volume.
    quote_volume: Decimal = money()
    trade_count: int
    #: Base-asset volume bought by takers.
    taker_buy_volume: Decimal = money()
    #: Quote-asset volume bought by takers.
    taker_buy_quote_volume: Decimal = money()
    is_closed: bool | None = None
    first_trade_id: int | None = None
    last_trade_id: int | None = None
    event_time: datetime | None = optional_timestamp()


@dataclass(frozen=True, slots=True, kw_only=True)
class PartialDepth(Model):
    """The top of a symbol's order book (``<symbol>@depth<levels>`` stream,
    ``GET /api/v3/depth`` snapshot).

    Binance's partial-depth messages name no symbol; it comes from the stream
    name. Bids are best (highest) first, asks best (lowest) first.
    """

    symbol: str
    last_update_id: int
    bids: tuple[OrderBookLevel, ...] = ()
    asks: tuple[OrderBookLevel, ...] = ()

    @property
    def best_bid(self) -> OrderBookLevel | None:
        """The highest bid, or ``None`` when there is none."""
        return self.bids[0] if self.bids else None

    @property
    def best_ask(self) -> OrderBookLevel | None:
        """The lowest ask, or ``None`` when there is none."""
        return self.asks[0] if self.asks else None


@dataclass(frozen=True, slots=True, kw_only=True)
class DepthUpdate(Model):
    """A diff of a symbol's order book (``<symbol>@depth`` stream).

    Quantities are the new absolute quantities; zero removes the level.
    ``first_update_id``/``final_update_id`` are Binance's ``U``/``u``, which
    the local order book uses to detect gaps.
    """

    symbol: str
    first_update_id: int
    final_update_id: int
    bids: tuple[OrderBookLevel, ...] = ()
    asks: tuple[OrderBookLevel, ...] = ()
    event_time: datetime = timestamp()


@dataclass(frozen=True, slots=True, kw_only=True)
class AvgPrice(Model):
    """Average price over a short window (``<symbol>@avgPrice`` stream,
    ``GET /api/v3/avgPrice``).

    ``interval`` is the averaging window as Binance writes it (``"5m"``).
    """

    symbol: str
    interval: str
    price: Decimal = money()
    #: Time of the last trade in the window.
    last_trade_time: datetime = timestamp()
    event_time: datetime | None = optional_timestamp()


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferencePrice(Model):
    """A symbol's reference price for the Price Range Execution Rule
    (``<symbol>@referencePrice`` stream, ``GET /api/v3/referencePrice``).

    ``price`` is ``None`` when the symbol currently has no reference price.
    """

    symbol: str
    price: Decimal | None = optional_money()
    #: When the matching engine computed the price.
    valid_time: datetime = timestamp()
