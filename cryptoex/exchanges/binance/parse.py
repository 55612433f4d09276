"""Binance payloads to cryptoex models: one fast constructor per payload kind.

Binance's one-letter and camelCase keys stop here. Every ``parse_*`` function
takes a payload as ``orjson`` parsed it and returns a model, or raises
exactly one :class:`~cryptoex.errors.ParseError` naming the payload kind:
never a bare ``KeyError``, ``TypeError`` or ``decimal.InvalidOperation``.
Keys Binance adds later are ignored; enum values it adds later become lenient
pseudo-members (see ``cryptoex.enums``), kept and logged once.

:data:`STREAM_PARSERS` maps each stream kind to its parser; the streaming
layer calls it once per message, so these functions are on the hot path.

What counts as malformed (and raises :class:`~cryptoex.errors.ParseError`):
a missing key; a decimal that is not a string, is not a number, or is NaN or
infinite (decimal strings must be plain ASCII: no blanks, no underscores); an
id or timestamp that is not an integer (or a timestamp past year 9999); a
flag that is not ``true``/``false``; a text field that is not a string; an
order-book level that is not a ``[price, quantity]`` array.

Why the constructors look the way they do. Figures are µs on CPython 3.11
from ``python -m benchmarks.parse_models --alternatives``; end to end
(``orjson.loads`` plus constructor) a ticker takes about 7 µs against about
240 µs for ``json.loads`` plus dataclasses-json ``from_dict``; across the
stream models the ratio is 35 to 65.

* **Models are built through** ``object.__new__`` **and the slots' own
  descriptors**, by a positional constructor generated once per model
  (``_constructor()``). A frozen dataclass's ``__init__`` matches every
  keyword and assigns through ``object.__setattr__``: building a
  :class:`~cryptoex.Ticker` (22 fields) from ready values takes 2.8 µs that
  way, 1.6 µs with a generated *keyword* constructor and 1.2 µs with the
  positional one kept here. Call sites pass local variables named exactly
  like the fields, in field order, and the fixture and property tests check
  every field against the raw payload, so a misplaced argument fails a test.
* **Decimals go through a private** :class:`decimal.Context` **whose**
  ``create_decimal`` costs what ``Decimal(text)`` costs (0.17 µs) but
  refuses floats, blanks and underscores, and traps every signal that would
  change a value, so a result is ``Decimal(text)`` exactly or an error. The
  checks a context cannot make (every value is a ``str``; none is NaN,
  infinite or written with non-ASCII digits) run once per payload over its
  decimal strings joined (``_decimals()``), not once per field.
* **No Decimal cache.** A bounded ``dict`` of parsed strings answers a hit in
  0.06 µs, but a miss (check, build, store, evict when full) costs 0.43 µs,
  so it only pays above about 70 % hits; tickers, trades and quantities are
  mostly new strings, and a cache would make the cost depend on the market.
* **Timestamps** use ``cryptoex._time.from_ms`` (epoch plus an integer
  number of milliseconds, 0.28 µs, exact); ``datetime.fromtimestamp(ms /
  1000)`` is no faster and goes through a float.
* ``try``/``except`` around each body costs nothing on the success path
  (zero-cost exceptions since CPython 3.11, a single cheap opcode before).
"""

from __future__ import annotations

import decimal
import logging
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, Protocol, TypeVar

from cryptoex._time import from_ms
from cryptoex.enums import (
    ExecutionType,
    KlineInterval,
    LenientStrEnum,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from cryptoex.errors import ParseError
from cryptoex.models._base import Model
from cryptoex.models.account import (
    AccountInfo,
    Balance,
    CommissionRates,
    Fill,
    Order,
    RateLimitUsage,
)
from cryptoex.models.market import (
    AggTrade,
    AvgPrice,
    BlockTrade,
    BookTicker,
    DepthUpdate,
    Kline,
    MiniTicker,
    OrderBookLevel,
    PartialDepth,
    PriceTicker,
    ReferencePrice,
    RollingWindowTicker,
    Ticker,
    Trade,
)
from cryptoex.models.user_events import (
    AccountUpdate,
    BalanceUpdate,
    ExternalLockUpdate,
    ListStatus,
    ListStatusOrder,
    OrderUpdate,
)

__all__ = [
    "STREAM_PARSERS",
    "USER_EVENT_PARSERS",
    "StreamParser",
    "UserEventParser",
    "parse_account",
    "parse_account_update",
    "parse_agg_trade",
    "parse_avg_price",
    "parse_balance",
    "parse_balance_update",
    "parse_block_trade",
    "parse_book_ticker",
    "parse_canceled_orders",
    "parse_depth_update",
    "parse_execution_report",
    "parse_external_lock_update",
    "parse_kline",
    "parse_kline_row",
    "parse_list_status",
    "parse_mini_ticker",
    "parse_my_trade",
    "parse_order",
    "parse_order_book",
    "parse_partial_depth",
    "parse_price_ticker",
    "parse_rate_limit_usage",
    "parse_reference_price",
    "parse_rest_agg_trade",
    "parse_rest_avg_price",
    "parse_rest_block_trade",
    "parse_rest_book_ticker",
    "parse_rest_mini_ticker",
    "parse_rest_reference_price",
    "parse_rest_rolling_ticker",
    "parse_rest_ticker",
    "parse_rest_trade",
    "parse_rolling_ticker",
    "parse_server_time",
    "parse_ticker",
    "parse_trade",
]

logger = logging.getLogger(__name__)

_M = TypeVar("_M", bound=Model)
_M_co = TypeVar("_M_co", bound=Model, covariant=True)
_E = TypeVar("_E", bound=LenientStrEnum)

#: A stream parser: ``(payload, symbol) -> model``. *symbol* is the stream's
#: symbol in upper case; only partial depth needs it (its payload names none).
StreamParser = Callable[[Mapping[str, Any], str], Model]
#: A user-data event parser: ``(event, account) -> model``.
UserEventParser = Callable[[Mapping[str, Any], str], Model]

# --------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------

# Every condition that would make create_decimal() return something other
# than Decimal(text) exactly is trapped, so it raises instead. Precision and
# exponent range are the largest possible, so no real number is rounded.
_CONTEXT: Final = decimal.Context(
    prec=decimal.MAX_PREC,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[
        decimal.InvalidOperation,
        decimal.FloatOperation,
        decimal.Overflow,
        decimal.Underflow,
        decimal.Inexact,
        decimal.Rounded,
        decimal.Clamped,
    ],
)
_to_decimal: Final = _CONTEXT.create_decimal
_join: Final = "".join
#: Type check for text fields (``str.__str__`` refuses anything but a str).
_str: Final = str.__str__
#: Type check for integers (refuses str, float and None).
_int: Final = operator.index
_LIST_ONLY: Final = frozenset({list})
#: Failures a malformed payload can cause inside a parser.
_FAILURES: Final = (
    KeyError,
    IndexError,
    TypeError,
    ValueError,
    ArithmeticError,
    AttributeError,
)
_INTERVALS: Final = KlineInterval._value2member_map_
_UNCHECKED: Final = object()


def _constructor(cls: type[_M]) -> Callable[..., _M]:
    """A positional constructor for *cls* that skips the dataclass ``__init__``.

    It takes every field positionally in :func:`dataclasses.fields` order and
    assigns through the slot descriptors. The source is generated, as
    :mod:`dataclasses` itself generates ``__init__``; it only ever contains the
    class's own field names.
    """
    names = [f.name for f in fields(cls)]
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    lines = [f"def new({', '.join(names)}):", "    self = _new(_cls)"]
    for name in names:
        namespace[f"_set_{name}"] = cls.__dict__[name].__set__
        lines.append(f"    _set_{name}(self, {name})")
    lines.append("    return self")
    # The source is built from the dataclass's own field names only, never from
    # input; this is how dataclasses itself generates __init__.
    exec("\n".join(lines), namespace)  # noqa: S102  # nosec B102
    new: Callable[..., _M] = namespace["new"]
    new.__qualname__ = f"_constructor({cls.__name__})"
    return new


def _decimals(*texts: str) -> tuple[Decimal, ...]:
    """``Decimal`` values for decimal strings, checked all at once.

    :raises TypeError: if a value is not a str.
    :raises ValueError: if a value is not a finite decimal number.
    """
    try:
        joined = _join(texts)
    except TypeError:
        bad = next(t for t in texts if type(t) is not str)
        raise TypeError(f"expected a decimal string, got {_show(bad)}") from None
    # Decimal also accepts "NaN", "sNaN", "Inf" and "Infinity" in any case
    # (every spelling contains an "n"; no plain decimal string does) and
    # non-ASCII digits ("١٢" is 12). Binance sends none of these.
    if "n" in joined or "N" in joined or not joined.isascii():
        bad = next(t for t in texts if "n" in t or "N" in t or not t.isascii())
        raise ValueError(f"expected a finite decimal number, got {_show(bad)}")
    try:
        return tuple(map(_to_decimal, texts))
    except ArithmeticError:
        bad = next(t for t in texts if not _is_decimal(t))
        raise ValueError(f"expected a decimal number, got {_show(bad)}") from None


def _is_decimal(text: str) -> bool:
    try:
        _to_decimal(text)
    except ArithmeticError:
        return False
    return True


def _optional_decimal(value: Any) -> Decimal | None:
    return None if value is None else _decimals(value)[0]


def _optional_time(value: Any) -> datetime | None:
    return None if value is None else from_ms(_int(value))


def _working_time(value: Any) -> datetime | None:
    # Binance sends -1 (or nothing) for an order that is not working yet.
    if value is None or _int(value) < 0:
        return None
    return from_ms(value)


def _list_id(value: Any) -> int | None:
    # Binance writes "not in an order list" as -1.
    if value is None or _int(value) == -1:
        return None
    return int(value)


def _bool(value: Any) -> bool:
    if value is True or value is False:
        return value
    raise TypeError(f"expected true or false, got {_show(value)}")


def _optional_bool(value: Any) -> bool | None:
    return None if value is None else _bool(value)


def _optional_str(value: Any) -> str | None:
    return None if value is None else _str(value)


def _enum(cls: type[_E], value: Any) -> _E:
    # The member map also holds the pseudo-members of values seen before, so
    # only a value never seen goes through the (slower, logging) enum call.
    member = cls._value2member_map_.get(value)
    return cls(value) if member is None else member  # type: ignore[return-value]


def _optional_enum(cls: type[_E], value: Any) -> _E | None:
    return None if value is None else _enum(cls, value)


def _show(value: Any) -> str:
    """A short description of a bad value for an error message."""
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{type(value).__name__} {text}"


def _error(kind: str, exc: BaseException, payload: Any = _UNCHECKED) -> ParseError:
    """The :class:`ParseError` for *exc*, raised inside the parser of *kind*
    while it read *payload* (a JSON object, when given)."""
    if payload is not _UNCHECKED and not isinstance(payload, Mapping):
        reason = f"expected a JSON object, got {type(payload).__name__}"
    elif isinstance(exc, KeyError):
        reason = f"missing key {exc.args[0]!r}" if exc.args else "missing key"
    elif isinstance(exc, (TypeError, ValueError)) and str(exc):
        reason = str(exc)
    else:
        reason = f"{type(exc).__name__}: {exc}"
    return ParseError(kind, reason)


_new_level: Final = _constructor(OrderBookLevel)


def _levels(rows: Any) -> tuple[OrderBookLevel, ...]:
    """Order-book levels from ``[[price, quantity], ...]``, in the order sent."""
    if not _LIST_ONLY.issuperset(map(type, rows)):
        raise TypeError("expected order-book levels as [price, quantity] arrays")
    try:
        joined = _join(map(_join, rows))
    except TypeError:
        raise TypeError("expected order-book prices and quantities as strings") from None
    if "n" in joined or "N" in joined or not joined.isascii():  # see _decimals()
        raise ValueError("expected finite order-book prices and quantities")
    prices = _PRICES
    if len(prices) > _PRICES_MAX:
        prices.clear()  # bounded; the next events refill it
    try:
        return tuple(
            [_new_level(prices.get(p) or _intern_price(p), _to_decimal(q)) for p, q in rows]
        )
    except ArithmeticError:
        raise ValueError("an order-book price or quantity is not a decimal number") from None


#: Price strings of order-book levels already seen, and their Decimal.
#: A book's prices recur from diff to diff, so interning them saves building
#: the Decimal again and, more importantly, lets a local order book find a
#: level with a dict lookup: ``_decimal`` caches a Decimal's hash in the
#: object, so the same object is hashed once, where every freshly built one
#: would be hashed again (about 0.6 µs each). Quantities change all the time
#: and are not interned. Shared by all threads: a lookup, a store and clear()
#: are each atomic under the GIL, and a value is the same whoever stores it.
_PRICES: Final[dict[str, Decimal]] = {}
#: Distinct price strings kept before the table is emptied.
_PRICES_MAX: Final = 200_000


def _intern_price(text: str) -> Decimal:
    value = _to_decimal(text)
    _PRICES[text] = value
    return value


# --------------------------------------------------------------------------
# Market streams (the hot path)
# --------------------------------------------------------------------------

_new_ticker: Final = _constructor(Ticker)
_new_mini_ticker: Final = _constructor(MiniTicker)
_new_rolling_ticker: Final = _constructor(RollingWindowTicker)
_new_book_ticker: Final = _constructor(BookTicker)
_new_price_ticker: Final = _constructor(PriceTicker)
_new_trade: Final = _constructor(Trade)
_new_block_trade: Final = _constructor(BlockTrade)
_new_agg_trade: Final = _constructor(AggTrade)
_new_kline: Final = _constructor(Kline)
_new_partial_depth: Final = _constructor(PartialDepth)
_new_depth_update: Final = _constructor(DepthUpdate)
_new_avg_price: Final = _constructor(AvgPrice)
_new_reference_price: Final = _constructor(ReferencePrice)


def parse_ticker(d: Mapping[str, Any], symbol: str | None = None) -> Ticker:
    """A ``<symbol>@ticker`` (``24hrTicker``) message.

    :param d: the message's payload.
    :param symbol: unused (the payload names its symbol); accepted so that
        every stream parser takes ``(payload, symbol)``.
    :raises ParseError: ``kind="ticker"`` if the payload is malformed.
    """
    try:
        (
            price_change,
            price_change_percent,
            weighted_avg_price,
            prev_close_price,
            last_price,
            last_quantity,
            best_bid_price,
            best_bid_quantity,
            best_ask_price,
            best_ask_quantity,
            open_price,
            high_price,
            low_price,
            volume,
            quote_volume,
        ) = _decimals(
            d["p"], d["P"], d["w"], d["x"], d["c"], d["Q"], d["b"], d["B"],
            d["a"], d["A"], d["o"], d["h"], d["l"], d["v"], d["q"],
        )  # fmt: skip
        return _new_ticker(
            _str(d["s"]),
            price_change,
            price_change_percent,
            weighted_avg_price,
            prev_close_price,
            last_price,
            last_quantity,
            best_bid_price,
            best_bid_quantity,
            best_ask_price,
            best_ask_quantity,
            open_price,
            high_price,
            low_price,
            volume,
            quote_volume,
            from_ms(_int(d["O"])),  # open_time
            from_ms(_int(d["C"])),  # close_time
            _int(d["F"]),  # first_trade_id
            _int(d["L"]),  # last_trade_id
            _int(d["n"]),  # trade_count
            from_ms(_int(d["E"])),  # event_time
        )
    except _FAILURES as exc:
        raise _error("ticker", exc, d) from exc


def parse_mini_ticker(d: Mapping[str, Any], symbol: str | None = None) -> MiniTicker:
    """A ``<symbol>@miniTicker`` (``24hrMiniTicker``) message.

    :param d: the message's payload.
    :param symbol: unused (the payload names its symbol).
    :raises ParseError: ``kind="mini_ticker"`` if the payload is malformed.
    """
    try:
        last_price, open_price, high_price, low_price, volume, quote_volume = _decimals(
            d["c"], d["o"], d["h"], d["l"], d["v"], d["q"]
        )
        return _new_mini_ticker(
            _str(d["s"]),
            last_price,
            open_price,
            high_price,
            low_price,
            volume,
            quote_volume,
            from_ms(_int(d["E"])),  # event_time
            None,  # open_time
            None,  # close_time
            None,  # first_trade_id
            None,  # last_trade_id
            None,  # trade_count
        )
    except _FAILURES as exc:
        raise _error("mini_ticker", exc, d) from exc


def parse_book_ticker(d: Mapping[str, Any], symbol: str | None = None) -> BookTicker:
    """A ``<symbol>@bookTicker`` message.

    :param d: the message's payload.
    :param symbol: unused (the payload names its symbol).
    :raises ParseError: ``kind="book_ticker"`` if the payload is malformed.
    """
    try:
        best_bid_price, best_bid_quantity, best_ask_price, best_ask_quantity = _decimals(
            d["b"], d["B"], d["a"], d["A"]
        )
        return _new_book_ticker(
            _str(d["s"]),
            best_bid_price,
            best_bid_quantity,
            best_ask_price,
            best_ask_quantity,
            _int(d["u"]),  # update_id
        )
    except _FAILURES as exc:
        raise _error("book_ticker", exc, d) from exc


class _TradeParser(Protocol[_M_co]):
    def __call__(self, d: Mapping[str, Any], symbol: str | None = None) -> _M_co: ...


def _trade_stream_parser(new: Callable[..., _M], kind: str, doc: str) -> _TradeParser[_M]:
    """The parser of a trade-shaped stream (``trade``, ``blockTrade``: the
    same keys). A closure, so the per-message path pays no extra call."""

    def parse(d: Mapping[str, Any], symbol: str | None = None) -> _M:
        try:
            price, quantity = _decimals(d["p"], d["q"])
            return new(
                _str(d["s"]),
                _int(d["t"]),  # trade_id
                price,
                quantity,
                from_ms(_int(d["T"])),  # trade_time
                _bool(d["m"]),  # is_buyer_maker
                from_ms(_int(d["E"])),  # event_time
                None,  # quote_quantity
            )
        except _FAILURES as exc:
            raise _error(kind, exc, d) from exc

    parse.__name__ = parse.__qualname__ = f"parse_{kind}"
    parse.__doc__ = f"""{doc}

    :param d: the message's payload.
    :param symbol: unused (the payload names its symbol).
    :raises ParseError: ``kind="{kind}"`` if the payload is malformed.
    """
    return parse


parse_trade: Final = _trade_stream_parser(_new_trade, "trade", "A ``<symbol>@trade`` message.")


def parse_agg_trade(d: Mapping[str, Any], symbol: str | None = None) -> AggTrade:
    """A ``<symbol>@aggTrade`` message.

    :param d: the message's payload.
    :param symbol: unused (the payload names its symbol).
    :raises ParseError: ``kind="agg_trade"`` if the payload is malformed.
    """
    try:
        price, quantity = _decimals(d["p"], d["q"])
        return _new_agg_trade(
            _str(d["s"]),
            _int(d["a"]),  # agg_trade_id
            price,
            quantity,
            _int(d["f"]),  # first_trade_id
            _int(d["l"]),  # last_trade_id
            from_ms(_int(d["T"])),  # trade_time
            _bool(d["m"]),  # is_buyer_maker
            from_ms(_int(d["E"])),  # event_time
        )
    except _FAILURES as exc:
        raise _error("agg_trade", exc, d) from exc


def parse_kline(d: Mapping[str, Any], symbol: str | None = None) -> Kline:
    """A ``<symbol>@kline_<interval>`` message (UTC or time-zone aligned).

    :param d: the message's payload.
    :param symbol: unused (the payload names its symbol).
    :raises ParseError: ``kind="kline"`` if the payload is malformed.
    """
    try:
        k = d["k"]
        (
            open_price,
            high_price,
            low_price,
            close_price,
            volume,
            quote_volume,
            taker_buy_volume,
            taker_buy_quote_volume,
        ) = _decimals(k["o"], k["h"], k["l"], k["c"], k["v"], k["q"], k["V"], k["Q"])
        interval = k["i"]
        return _new_kline(
            _str(k["s"]),
            _INTERVALS.get(interval) or KlineInterval(interval),
            from_ms(_int(k["t"])),  # open_time
            from_ms(_int(k["T"])),  # close_time
            open_price,
            high_price,
            low_price,
            close_price,
            volume,
            quote_volume,
            _int(k["n"]),  # trade_count
            taker_buy_volume,
            taker_buy_quote_volume,
            _bool(k["x"]),  # is_closed
            _int(k["f"]),  # first_trade_id
            _int(k["L"]),  # last_trade_id
            from_ms(_int(d["E"])),  # event_time
        )
    except _FAILURES as exc:
        raise _error("kline", exc, d) from exc


def parse_partial_depth(d: Mapping[str, Any], symbol: str) -> PartialDepth:
    """A ``<symbol>@depth<levels>`` message (top of the book).

    :param d: the message's payload.
    :param symbol: the stream's symbol; the payload names none.
    :raises ParseError: ``kind="depth"`` if the payload is malformed.
    """
    try:
        return _new_partial_depth(
            symbol,
            _int(d["lastUpdateId"]),
            _levels(d["bids"]),
            _levels(d["asks"]),
        )
    except _FAILURES as exc:
        raise _error("depth", exc, d) from exc


def parse_depth_update(d: Mapping[str, Any], symbol: str | None = None) -> DepthUpdate:
    """A ``<symbol>@depth`` (``depthUpdate``) message.

    :param d: the message's payload.
    :param symbol: unused (the payload names its symbol).
    :raises ParseError: ``kind="depth_update"`` if the payload is malformed.
    """
    try:
        return _new_depth_update(
            _str(d["s"]),
            _int(d["U"]),  # first_update_id
            _int(d["u"]),  # final_update_id
            _levels(d["b"]),  # bids
            _levels(d["a"]),  # asks
            from_ms(_int(d["E"])),  # event_time
        )
    except _FAILURES as exc:
        raise _error("depth_update", exc, d) from exc


def parse_rolling_ticker(d: Mapping[str, Any], symbol: str | None = None) -> RollingWindowTicker:
    """A ``<symbol>@ticker_<window>`` (``1hTicker``, ``4hTicker``...) message.

    :param d: the message's payload.
    :param symbol: unused (the payload names its symbol).
    :raises ParseError: ``kind="rolling_ticker"`` if the payload is malformed.
    """
    try:
        event_type = _str(d["e"])
        (
            price_change,
            price_change_percent,
            weighted_avg_price,
            open_price,
            high_price,
            low_price,
            last_price,
            volume,
            quote_volume,
        ) = _decimals(d["p"], d["P"], d["w"], d["o"], d["h"], d["l"], d["c"], d["v"], d["q"])
        return _new_rolling_ticker(
            _str(d["s"]),
            event_type.removesuffix("Ticker") or None,  # window: "1hTicker" -> "1h"
            price_change,
            price_change_percent,
            weighted_avg_price,
            open_price,
            high_price,
            low_price,
            last_price,
            volume,
            quote_volume,
            from_ms(_int(d["O"])),  # open_time
            from_ms(_int(d["C"])),  # close_time
            _int(d["F"]),  # first_trade_id
            _int(d["L"]),  # last_trade_id
            _int(d["n"]),  # trade_count
            from_ms(_int(d["E"])),  # event_time
        )
    except _FAILURES as exc:
        raise _error("rolling_ticker", exc, d) from exc


def parse_avg_price(d: Mapping[str, Any], symbol: str | None = None) -> AvgPrice:
    """A ``<symbol>@avgPrice`` message.

    :param d: the message's payload.
    :param symbol: unused (the payload names its symbol).
    :raises ParseError: ``kind="avg_price"`` if the payload is malformed.
    """
    try:
        return _new_avg_price(
            _str(d["s"]),
            _str(d["i"]),  # interval
            _decimals(d["w"])[0],  # price
            from_ms(_int(d["T"])),  # last_trade_time
            from_ms(_int(d["E"])),  # event_time
        )
    except _FAILURES as exc:
        raise _error("avg_price", exc, d) from exc


parse_block_trade: Final = _trade_stream_parser(
    _new_block_trade, "block_trade", "A ``<symbol>@blockTrade`` message."
)


def parse_reference_price(d: Mapping[str, Any], symbol: str | None = None) -> ReferencePrice:
    """A ``<symbol>@referencePrice`` message (``r`` may be ``null``).

    :param d: the message's payload.
    :param symbol: unused (the payload names its symbol).
    :raises ParseError: ``kind="reference_price"`` if the payload is malformed.
    """
    try:
        return _new_reference_price(
            _str(d["s"]),
            _optional_decimal(d["r"]),  # price
            from_ms(_int(d["t"])),  # valid_time
        )
    except _FAILURES as exc:
        raise _error("reference_price", exc, d) from exc


#: Parser for each stream kind the streaming layer subscribes to, called as
#: ``parser(payload, symbol)`` once per message.
STREAM_PARSERS: Final[Mapping[str, StreamParser]] = MappingProxyType(
    {
        "ticker": parse_ticker,
        "mini_ticker": parse_mini_ticker,
        "book_ticker": parse_book_ticker,
        "trade": parse_trade,
        "agg_trade": parse_agg_trade,
        "kline": parse_kline,
        "depth": parse_partial_depth,
        "depth_update": parse_depth_update,
    }
)

# --------------------------------------------------------------------------
# Public REST answers
# --------------------------------------------------------------------------


def parse_server_time(d: Mapping[str, Any]) -> datetime:
    """``GET /api/v3/time``: the server time as an aware UTC datetime.

    :raises ParseError: ``kind="server_time"`` if the answer is malformed.
    """
    try:
        return from_ms(_int(d["serverTime"]))
    except _FAILURES as exc:
        raise _error("server_time", exc, d) from exc


def parse_rest_ticker(d: Mapping[str, Any]) -> Ticker:
    """One ticker of ``GET /api/v3/ticker/24hr`` (``type=FULL``, the default).

    :raises ParseError: ``kind="ticker_24hr"`` if the answer is malformed.
    """
    try:
        (
            price_change,
            price_change_percent,
            weighted_avg_price,
            prev_close_price,
            last_price,
            last_quantity,
            best_bid_price,
            best_bid_quantity,
            best_ask_price,
            best_ask_quantity,
            open_price,
            high_price,
            low_price,
            volume,
            quote_volume,
        ) = _decimals(
            d["priceChange"], d["priceChangePercent"], d["weightedAvgPrice"],
            d["prevClosePrice"], d["lastPrice"], d["lastQty"], d["bidPrice"], d["bidQty"],
            d["askPrice"], d["askQty"], d["openPrice"], d["highPrice"], d["lowPrice"],
            d["volume"], d["quoteVolume"],
        )  # fmt: skip
        return _new_ticker(
            _str(d["symbol"]),
            price_change,
            price_change_percent,
            weighted_avg_price,
            prev_close_price,
            last_price,
            last_quantity,
            best_bid_price,
            best_bid_quantity,
            best_ask_price,
            best_ask_quantity,
            open_price,
            high_price,
            low_price,
            volume,
            quote_volume,
            from_ms(_int(d["openTime"])),  # open_time
            from_ms(_int(d["closeTime"])),  # close_time
            _int(d["firstId"]),  # first_trade_id
            _int(d["lastId"]),  # last_trade_id
            _int(d["count"]),  # trade_count
            None,  # event_time
        )
    except _FAILURES as exc:
        raise _error("ticker_24hr", exc, d) from exc


def parse_rest_mini_ticker(d: Mapping[str, Any]) -> MiniTicker:
    """One ``type=MINI`` ticker of ``GET /api/v3/ticker/24hr`` or
    ``GET /api/v3/ticker``.

    :raises ParseError: ``kind="ticker_mini"`` if the answer is malformed.
    """
    try:
        last_price, open_price, high_price, low_price, volume, quote_volume = _decimals(
            d["lastPrice"], d["openPrice"], d["highPrice"], d["lowPrice"], d["volume"],
            d["quoteVolume"],
        )  # fmt: skip
        return _new_mini_ticker(
            _str(d["symbol"]),
            last_price,
            open_price,
            high_price,
            low_price,
            volume,
            quote_volume,
            None,  # event_time
            from_ms(_int(d["openTime"])),  # open_time
            from_ms(_int(d["closeTime"])),  # close_time
            _int(d["firstId"]),  # first_trade_id
            _int(d["lastId"]),  # last_trade_id
            _int(d["count"]),  # trade_count
        )
    except _FAILURES as exc:
        raise _error("ticker_mini", exc, d) from exc


def parse_rest_rolling_ticker(
    d: Mapping[str, Any], window: str | None = None
) -> RollingWindowTicker:
    """One ticker of ``GET /api/v3/ticker`` (rolling window, ``type=FULL``).

    :param window: the ``windowSize`` that was asked for (the answer does not
        repeat it).
    :raises ParseError: ``kind="ticker_rolling"`` if the answer is malformed.
    """
    try:
        (
            price_change,
            price_change_percent,
            weighted_avg_price,
            open_price,
            high_price,
            low_price,
            last_price,
            volume,
            quote_volume,
        ) = _decimals(
            d["priceChange"], d["priceChangePercent"], d["weightedAvgPrice"], d["openPrice"],
            d["highPrice"], d["lowPrice"], d["lastPrice"], d["volume"], d["quoteVolume"],
        )  # fmt: skip
        return _new_rolling_ticker(
            _str(d["symbol"]),
            window,
            price_change,
            price_change_percent,
            weighted_avg_price,
            open_price,
            high_price,
            low_price,
            last_price,
            volume,
            quote_volume,
            from_ms(_int(d["openTime"])),  # open_time
            from_ms(_int(d["closeTime"])),  # close_time
            _int(d["firstId"]),  # first_trade_id
            _int(d["lastId"]),  # last_trade_id
            _int(d["count"]),  # trade_count
            None,  # event_time
        )
    except _FAILURES as exc:
        raise _error("ticker_rolling", exc, d) from exc


def parse_rest_book_ticker(d: Mapping[str, Any]) -> BookTicker:
    """One ticker of ``GET /api/v3/ticker/bookTicker``.

    :raises ParseError: ``kind="ticker_book"`` if the answer is malformed.
    """
    try:
        best_bid_price, best_bid_quantity, best_ask_price, best_ask_quantity = _decimals(
            d["bidPrice"], d["bidQty"], d["askPrice"], d["askQty"]
        )
        return _new_book_ticker(
            _str(d["symbol"]),
            best_bid_price,
            best_bid_quantity,
            best_ask_price,
            best_ask_quantity,
            None,  # update_id
        )
    except _FAILURES as exc:
        raise _error("ticker_book", exc, d) from exc


def parse_price_ticker(d: Mapping[str, Any]) -> PriceTicker:
    """One price of ``GET /api/v3/ticker/price``.

    :raises ParseError: ``kind="ticker_price"`` if the answer is malformed.
    """
    try:
        return _new_price_ticker(_str(d["symbol"]), _decimals(d["price"])[0])
    except _FAILURES as exc:
        raise _error("ticker_price", exc, d) from exc


def parse_rest_trade(d: Mapping[str, Any], symbol: str) -> Trade:
    """One trade of ``GET /api/v3/trades`` or ``/historicalTrades``.

    :param symbol: the symbol asked for (the answer does not repeat it).
    :raises ParseError: ``kind="trades"`` if the answer is malformed.
    """
    return _rest_trade(_new_trade, "trades", d, symbol)


def parse_rest_block_trade(d: Mapping[str, Any], symbol: str) -> BlockTrade:
    """One trade of ``GET /api/v3/historicalBlockTrades``.

    :param symbol: the symbol asked for (the answer does not repeat it).
    :raises ParseError: ``kind="block_trades"`` if the answer is malformed.
    """
    return _rest_trade(_new_block_trade, "block_trades", d, symbol)


def _rest_trade(new: Callable[..., _M], kind: str, d: Mapping[str, Any], symbol: str) -> _M:
    """A trade or block trade of the REST trade lists (the same keys)."""
    try:
        price, quantity, quote_quantity = _decimals(d["price"], d["qty"], d["quoteQty"])
        return new(
            symbol,
            _int(d["id"]),  # trade_id
            price,
            quantity,
            from_ms(_int(d["time"])),  # trade_time
            _bool(d["isBuyerMaker"]),  # is_buyer_maker
            None,  # event_time
            quote_quantity,
        )
    except _FAILURES as exc:
        raise _error(kind, exc, d) from exc


def parse_rest_agg_trade(d: Mapping[str, Any], symbol: str) -> AggTrade:
    """One trade of ``GET /api/v3/aggTrades`` (same short keys as the stream).

    :param symbol: the symbol asked for (the answer does not repeat it).
    :raises ParseError: ``kind="agg_trades"`` if the answer is malformed.
    """
    try:
        price, quantity = _decimals(d["p"], d["q"])
        return _new_agg_trade(
            symbol,
            _int(d["a"]),  # agg_trade_id
            price,
            quantity,
            _int(d["f"]),  # first_trade_id
            _int(d["l"]),  # last_trade_id
            from_ms(_int(d["T"])),  # trade_time
            _bool(d["m"]),  # is_buyer_maker
            None,  # event_time
        )
    except _FAILURES as exc:
        raise _error("agg_trades", exc, d) from exc


def parse_kline_row(row: Sequence[Any], symbol: str, interval: KlineInterval | str) -> Kline:
    """One row of ``GET /api/v3/klines`` or ``/uiKlines``.

    A row is ``[open time, open, high, low, close, volume, close time, quote
    volume, trades, taker buy volume, taker buy quote volume, ignored]``.

    :param symbol: the symbol asked for.
    :param interval: the interval asked for.
    :raises ParseError: ``kind="klines"`` if the row is malformed.
    """
    try:
        if type(row) is not list:
            raise TypeError(f"expected a kline row array, got {_show(row)}")
        (
            open_price,
            high_price,
            low_price,
            close_price,
            volume,
            quote_volume,
            taker_buy_volume,
            taker_buy_quote_volume,
        ) = _decimals(row[1], row[2], row[3], row[4], row[5], row[7], row[9], row[10])
        return _new_kline(
            symbol,
            _enum(KlineInterval, interval),
            from_ms(_int(row[0])),  # open_time
            from_ms(_int(row[6])),  # close_time
            open_price,
            high_price,
            low_price,
            close_price,
            volume,
            quote_volume,
            _int(row[8]),  # trade_count
            taker_buy_volume,
            taker_buy_quote_volume,
            None,  # is_closed
            None,  # first_trade_id
            None,  # last_trade_id
            None,  # event_time
        )
    except _FAILURES as exc:
        raise _error("klines", exc) from exc


def parse_order_book(d: Mapping[str, Any], symbol: str) -> PartialDepth:
    """``GET /api/v3/depth``: an order-book snapshot.

    :param symbol: the symbol asked for (the answer does not repeat it).
    :raises ParseError: ``kind="order_book"`` if the answer is malformed.
    """
    try:
        return _new_partial_depth(
            symbol,
            _int(d["lastUpdateId"]),
            _levels(d["bids"]),
            _levels(d["asks"]),
        )
    except _FAILURES as exc:
        raise _error("order_book", exc, d) from exc


def parse_rest_avg_price(d: Mapping[str, Any], symbol: str) -> AvgPrice:
    """``GET /api/v3/avgPrice``.

    :param symbol: the symbol asked for (the answer does not repeat it).
    :raises ParseError: ``kind="avg_price_rest"`` if the answer is malformed.
    """
    try:
        return _new_avg_price(
            symbol,
            f"{_int(d['mins'])}m",  # interval, written as the stream writes it
            _decimals(d["price"])[0],  # price
            from_ms(_int(d["closeTime"])),  # last_trade_time
            None,  # event_time
        )
    except _FAILURES as exc:
        raise _error("avg_price_rest", exc, d) from exc


def parse_rest_reference_price(d: Mapping[str, Any]) -> ReferencePrice:
    """``GET /api/v3/referencePrice`` (``referencePrice`` may be ``null``).

    :raises ParseError: ``kind="reference_price_rest"`` if the answer is
        malformed.
    """
    try:
        return _new_reference_price(
            _str(d["symbol"]),
            _optional_decimal(d["referencePrice"]),  # price
            from_ms(_int(d["timestamp"])),  # valid_time
        )
    except _FAILURES as exc:
        raise _error("reference_price_rest", exc, d) from exc


# --------------------------------------------------------------------------
# Orders, trades and account (signed REST and WebSocket API answers)
# --------------------------------------------------------------------------

_new_fill: Final = _constructor(Fill)
_new_order: Final = _constructor(Order)
_new_balance: Final = _constructor(Balance)
_new_commission_rates: Final = _constructor(CommissionRates)
_new_account_info: Final = _constructor(AccountInfo)
_new_rate_limit_usage: Final = _constructor(RateLimitUsage)


def _order_fill(f: Mapping[str, Any], symbol: str, order_id: int) -> Fill:
    """A fill of a FULL placement answer (it names neither symbol nor order)."""
    price, quantity, commission = _decimals(f["price"], f["qty"], f["commission"])
    return _new_fill(
        symbol,
        order_id,
        _int(f["tradeId"]),  # trade_id
        price,
        quantity,
        commission,
        _str(f["commissionAsset"]),  # commission_asset
        None,  # trade_time
        None,  # quote_quantity
        None,  # is_buyer
        None,  # is_maker
        None,  # order_list_id
    )


def parse_order(d: Mapping[str, Any]) -> Order:
    """An order answer: ``POST /api/v3/order`` (ACK, RESULT or FULL),
    ``GET /api/v3/order``, one item of ``/openOrders`` or ``/allOrders``,
    ``DELETE /api/v3/order``, or the same from the WebSocket API.

    In a cancel answer ``origClientOrderId`` becomes ``client_order_id`` and
    the cancel's own ``clientOrderId`` becomes ``cancel_client_order_id``.

    :raises ParseError: ``kind="order"`` if the answer is malformed.
    """
    try:
        symbol = _str(d["symbol"])
        order_id = _int(d["orderId"])
        original_id = d.get("origClientOrderId")
        if original_id is None:
            client_order_id = _str(d["clientOrderId"])
            cancel_client_order_id = None
        else:
            client_order_id = _str(original_id)
            cancel_client_order_id = _str(d["clientOrderId"])
        get = d.get
        return _new_order(
            symbol,
            order_id,
            client_order_id,
            _list_id(get("orderListId")),  # order_list_id
            _optional_enum(Side, get("side")),  # side
            _optional_enum(OrderType, get("type")),  # type
            _optional_enum(TimeInForce, get("timeInForce")),  # time_in_force
            _optional_enum(OrderStatus, get("status")),  # status
            _optional_decimal(get("price")),  # price
            _optional_decimal(get("origQty")),  # quantity
            _optional_decimal(get("executedQty")),  # executed_quantity
            _optional_decimal(get("cummulativeQuoteQty")),  # cumulative_quote_quantity
            _optional_decimal(get("origQuoteOrderQty")),  # quote_order_quantity
            _optional_decimal(get("stopPrice")),  # stop_price
            _optional_decimal(get("icebergQty")),  # iceberg_quantity
            _optional_time(get("time")),  # created_time
            _optional_time(get("updateTime")),  # update_time
            _optional_time(get("transactTime")),  # transaction_time
            _working_time(get("workingTime")),  # working_time
            _optional_bool(get("isWorking")),  # is_working
            _optional_str(get("selfTradePreventionMode")),  # self_trade_prevention_mode
            _optional_str(get("expiryReason")),  # expiry_reason
            cancel_client_order_id,
            tuple([_order_fill(f, symbol, order_id) for f in get("fills", ())]),  # fills
        )
    except _FAILURES as exc:
        raise _error("order", exc, d) from exc


def parse_canceled_orders(items: Iterable[Mapping[str, Any]]) -> list[Order]:
    """``DELETE /api/v3/openOrders``: every order that was cancelled.

    The answer mixes single orders and order lists; an order list contributes
    its ``orderReports``, one :class:`~cryptoex.Order` per member.

    :raises ParseError: ``kind="order"`` for a malformed order,
        ``kind="canceled_orders"`` if the answer is not a list of objects.
    """
    orders: list[Order] = []
    try:
        for item in items:
            reports = item.get("orderReports")
            if reports is None:
                orders.append(parse_order(item))
            else:
                orders.extend(parse_order(report) for report in reports)
    except ParseError:
        raise
    except _FAILURES as exc:
        raise _error("canceled_orders", exc) from exc
    return orders


def parse_my_trade(d: Mapping[str, Any]) -> Fill:
    """One trade of ``GET /api/v3/myTrades``.

    :raises ParseError: ``kind="my_trades"`` if the answer is malformed.
    """
    try:
        price, quantity, quote_quantity, commission = _decimals(
            d["price"], d["qty"], d["quoteQty"], d["commission"]
        )
        return _new_fill(
            _str(d["symbol"]),
            _int(d["orderId"]),  # order_id
            _int(d["id"]),  # trade_id
            price,
            quantity,
            commission,
            _str(d["commissionAsset"]),  # commission_asset
            from_ms(_int(d["time"])),  # trade_time
            quote_quantity,
            _bool(d["isBuyer"]),  # is_buyer
            _bool(d["isMaker"]),  # is_maker
            _list_id(d.get("orderListId")),  # order_list_id
        )
    except _FAILURES as exc:
        raise _error("my_trades", exc, d) from exc


def _balance(b: Mapping[str, Any]) -> Balance:
    free, locked = _decimals(b["free"], b["locked"])
    return _new_balance(_str(b["asset"]), free, locked)


def parse_balance(d: Mapping[str, Any]) -> Balance:
    """One item of ``balances`` in ``GET /api/v3/account``.

    :raises ParseError: ``kind="balance"`` if the item is malformed.
    """
    try:
        return _balance(d)
    except _FAILURES as exc:
        raise _error("balance", exc, d) from exc


def parse_account(d: Mapping[str, Any]) -> AccountInfo:
    """``GET /api/v3/account``.

    :raises ParseError: ``kind="account"`` if the answer is malformed.
    """
    try:
        rates = d.get("commissionRates")
        commission_rates = None
        if rates is not None:
            commission_rates = _new_commission_rates(
                *_decimals(rates["maker"], rates["taker"], rates["buyer"], rates["seller"])
            )
        get = d.get
        return _new_account_info(
            _str(d["accountType"]),  # account_type
            _bool(d["canTrade"]),  # can_trade
            _bool(d["canWithdraw"]),  # can_withdraw
            _bool(d["canDeposit"]),  # can_deposit
            _int(d["makerCommission"]),  # maker_commission
            _int(d["takerCommission"]),  # taker_commission
            _int(d["buyerCommission"]),  # buyer_commission
            _int(d["sellerCommission"]),  # seller_commission
            from_ms(_int(d["updateTime"])),  # update_time
            tuple([_balance(b) for b in d["balances"]]),  # balances
            tuple([_str(p) for p in get("permissions", ())]),  # permissions
            commission_rates,
            _optional_bool(get("brokered")),  # brokered
            _optional_bool(get("requireSelfTradePrevention")),  # require_self_trade_prevention
            _optional_bool(get("preventSor")),  # prevent_sor
            None if get("uid") is None else _int(d["uid"]),  # uid
        )
    except _FAILURES as exc:
        raise _error("account", exc, d) from exc


def parse_rate_limit_usage(d: Mapping[str, Any]) -> RateLimitUsage:
    """One item of ``GET /api/v3/rateLimit/order`` or of a WebSocket API
    answer's ``rateLimits``.

    :raises ParseError: ``kind="rate_limit_usage"`` if the item is malformed.
    """
    try:
        return _new_rate_limit_usage(
            _str(d["rateLimitType"]),
            _str(d["interval"]),
            _int(d["intervalNum"]),
            _int(d["limit"]),
            _int(d["count"]),
        )
    except _FAILURES as exc:
        raise _error("rate_limit_usage", exc, d) from exc


# --------------------------------------------------------------------------
# User-data events (the ``event`` of a WebSocket API user-data message)
# --------------------------------------------------------------------------

_new_order_update: Final = _constructor(OrderUpdate)
_new_balance_update: Final = _constructor(BalanceUpdate)
_new_account_update: Final = _constructor(AccountUpdate)
_new_external_lock_update: Final = _constructor(ExternalLockUpdate)
_new_list_status: Final = _constructor(ListStatus)
_new_list_status_order: Final = _constructor(ListStatusOrder)


def parse_execution_report(d: Mapping[str, Any], account: str) -> OrderUpdate:
    """An ``executionReport`` event.

    For a cancel Binance sends the cancelled order's client id as ``C`` and
    the cancel request's as ``c``; ``client_order_id`` is always the order's
    own. A trade id or order-list id of -1 ("none") becomes ``None``.

    :param d: the event (the ``event`` object of the user-data message).
    :param account: the label of the account the event belongs to.
    :raises ParseError: ``kind="execution_report"`` if the event is malformed.
    """
    try:
        original_id = d["C"]
        if original_id:
            client_order_id = _str(original_id)
            cancel_client_order_id: str | None = _str(d["c"])
        else:
            client_order_id = _str(d["c"])
            cancel_client_order_id = None
        (
            price,
            quantity,
            stop_price,
            iceberg_quantity,
            last_filled_price,
            last_filled_quantity,
            cumulative_filled_quantity,
            cumulative_quote_quantity,
            last_quote_quantity,
            quote_order_quantity,
            commission,
        ) = _decimals(
            d["p"], d["q"], d["P"], d["F"], d["L"], d["l"], d["z"], d["Z"], d["Y"], d["Q"], d["n"]
        )
        trade_id = _int(d["t"])
        prevented_match_id = d.get("v")
        return _new_order_update(
            account,
            _str(d["s"]),  # symbol
            _int(d["i"]),  # order_id
            client_order_id,
            _enum(Side, d["S"]),  # side
            _enum(OrderType, d["o"]),  # type
            _enum(TimeInForce, d["f"]),  # time_in_force
            _enum(OrderStatus, d["X"]),  # status
            _enum(ExecutionType, d["x"]),  # execution_type
            price,
            quantity,
            stop_price,
            iceberg_quantity,
            last_filled_price,
            last_filled_quantity,
            cumulative_filled_quantity,
            cumulative_quote_quantity,
            last_quote_quantity,
            quote_order_quantity,
            commission,
            _optional_str(d["N"]),  # commission_asset
            None if trade_id == -1 else trade_id,  # trade_id
            _list_id(d.get("g")),  # order_list_id
            _str(d["r"]),  # reject_reason
            _bool(d["w"]),  # is_working
            _bool(d["m"]),  # is_maker
            _int(d["I"]),  # execution_id
            from_ms(_int(d["E"])),  # event_time
            from_ms(_int(d["T"])),  # transaction_time
            from_ms(_int(d["O"])),  # created_time
            _working_time(d.get("W")),  # working_time
            _optional_str(d.get("V")),  # self_trade_prevention_mode
            cancel_client_order_id,
            _optional_str(d.get("eR")),  # expiry_reason
            None if prevented_match_id is None else _int(prevented_match_id),
            False,  # synthetic
        )
    except _FAILURES as exc:
        raise _error("execution_report", exc, d) from exc


def parse_balance_update(d: Mapping[str, Any], account: str) -> BalanceUpdate:
    """A ``balanceUpdate`` event.

    :param d: the event.
    :param account: the label of the account the event belongs to.
    :raises ParseError: ``kind="balance_update"`` if the event is malformed.
    """
    try:
        return _new_balance_update(
            account,
            _str(d["a"]),  # asset
            _decimals(d["d"])[0],  # delta
            from_ms(_int(d["E"])),  # event_time
            from_ms(_int(d["T"])),  # clear_time
            False,  # synthetic
        )
    except _FAILURES as exc:
        raise _error("balance_update", exc, d) from exc


def parse_account_update(d: Mapping[str, Any], account: str) -> AccountUpdate:
    """An ``outboundAccountPosition`` event.

    :param d: the event.
    :param account: the label of the account the event belongs to.
    :raises ParseError: ``kind="account_update"`` if the event is malformed.
    """
    try:
        balances = []
        for b in d["B"]:
            free, locked = _decimals(b["f"], b["l"])
            balances.append(_new_balance(_str(b["a"]), free, locked))
        return _new_account_update(
            account,
            from_ms(_int(d["E"])),  # event_time
            from_ms(_int(d["u"])),  # last_update_time
            tuple(balances),
            False,  # synthetic
        )
    except _FAILURES as exc:
        raise _error("account_update", exc, d) from exc


def parse_external_lock_update(d: Mapping[str, Any], account: str) -> ExternalLockUpdate:
    """An ``externalLockUpdate`` event.

    :param d: the event.
    :param account: the label of the account the event belongs to.
    :raises ParseError: ``kind="external_lock_update"`` if the event is
        malformed.
    """
    try:
        return _new_external_lock_update(
            account,
            _str(d["a"]),  # asset
            _decimals(d["d"])[0],  # delta
            from_ms(_int(d["E"])),  # event_time
            from_ms(_int(d["T"])),  # transaction_time
        )
    except _FAILURES as exc:
        raise _error("external_lock_update", exc, d) from exc


def parse_list_status(d: Mapping[str, Any], account: str) -> ListStatus:
    """A ``listStatus`` event (an order list changed).

    :param d: the event.
    :param account: the label of the account the event belongs to.
    :raises ParseError: ``kind="list_status"`` if the event is malformed.
    """
    try:
        return _new_list_status(
            account,
            _str(d["s"]),  # symbol
            _int(d["g"]),  # order_list_id
            _str(d["c"]),  # contingency_type
            _str(d["l"]),  # list_status_type
            _str(d["L"]),  # list_order_status
            _str(d["r"]),  # list_reject_reason
            _str(d["C"]),  # list_client_order_id
            from_ms(_int(d["T"])),  # transaction_time
            from_ms(_int(d["E"])),  # event_time
            tuple(
                [_new_list_status_order(_str(o["s"]), _int(o["i"]), _str(o["c"])) for o in d["O"]]
            ),  # orders
        )
    except _FAILURES as exc:
        raise _error("list_status", exc, d) from exc


#: Parser for each user-data event type Binance sends (its ``e``), called as
#: ``parser(event, account)``. ``eventStreamTerminated`` is not here: it ends
#: the subscription and is handled by the user stream itself.
USER_EVENT_PARSERS: Final[Mapping[str, UserEventParser]] = MappingProxyType(
    {
        "executionReport": parse_execution_report,
        "balanceUpdate": parse_balance_update,
        "outboundAccountPosition": parse_account_update,
        "externalLockUpdate": parse_external_lock_update,
        "listStatus": parse_list_status,
    }
)
