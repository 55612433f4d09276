"""String enums for the values Binance sends and accepts.

Every enum is a ``str`` subclass, so ``Side.BUY == "BUY"`` holds and JSON stays
plain. Parsing is lenient: a value Binance adds later (a new order status, say)
becomes a *pseudo-member* that keeps the value, compares equal to its string
and is logged once, instead of crashing the parser. User input is checked
strictly with :func:`coerce_enum`, which accepts only the documented values.
"""

from __future__ import annotations

import logging
import threading
from enum import Enum
from typing import Any, TypeVar

from cryptoex.errors import ValidationError

__all__ = [
    "ExecutionType",
    "KlineInterval",
    "OrderStatus",
    "OrderType",
    "Side",
    "SymbolStatus",
    "TimeInForce",
    "coerce_enum",
]

logger = logging.getLogger(__name__)

_E = TypeVar("_E", bound="LenientStrEnum")
_unknown_lock = threading.Lock()


class LenientStrEnum(str, Enum):
    """A ``str`` enum that keeps unknown values instead of raising.

    ``OrderStatus("SOMETHING_NEW")`` returns a pseudo-member whose ``value``
    and ``name`` are ``"SOMETHING_NEW"``. It is not listed when iterating the
    enum and :func:`coerce_enum` rejects it, but it compares equal to its
    string, serialises as its string and is created (and logged) only once.
    """

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if not isinstance(value, str):
            return None
        with _unknown_lock:
            # Re-check under the lock: another thread may have created it.
            existing = cls._value2member_map_.get(value)
            if existing is not None:
                return existing
            member = str.__new__(cls, value)
            member._name_ = value
            member._value_ = value
            cls._value2member_map_[value] = member
        logger.warning(
            "unknown %s value %r from the exchange; kept as is (cryptoex may need an update)",
            cls.__name__,
            value,
        )
        return member

    @classmethod
    def is_known(cls, value: object) -> bool:
        """Whether *value* is one of the documented members (not a pseudo-member)."""
        return isinstance(value, str) and any(m.value == value for m in cls)


def coerce_enum(cls: type[_E], value: object, field: str) -> _E:
    """Return the member of *cls* for user input *value*, strictly.

    Accepts a member or its exact string value (case-insensitively for
    convenience: ``"buy"`` is ``Side.BUY``, except where case matters, as in
    kline intervals). Raises :class:`~cryptoex.errors.ValidationError` naming
    *field* and the allowed values otherwise.
    """
    if isinstance(value, cls) and cls.is_known(value):
        return value
    if isinstance(value, str):
        for member in cls:
            if member.value == value:
                return member
        if cls is not KlineInterval:
            upper = value.upper()
            for member in cls:
                if member.value == upper:
                    return member
    allowed = ", ".join(m.value for m in cls)
    raise ValidationError(
        f"{field}={value!r} is not valid; allowed values: {allowed}",
        field=field,
        allowed=allowed,
    )


class Side(LenientStrEnum):
    """Order side."""

    BUY = "BUY"
    SELL = "SELL"


class OrderType(LenientStrEnum):
    """Order type."""

    LIMIT = "LIMIT"
    MARKET = "MARKET"
    STOP_LOSS = "STOP_LOSS"
    STOP_LOSS_LIMIT = "STOP_LOSS_LIMIT"
    TAKE_PROFIT = "TAKE_PROFIT"
    TAKE_PROFIT_LIMIT = "TAKE_PROFIT_LIMIT"
    LIMIT_MAKER = "LIMIT_MAKER"


class TimeInForce(LenientStrEnum):
    """How long an order stays on the book."""

    GTC = "GTC"  #: good till cancelled
    IOC = "IOC"  #: immediate or cancel: fill what is possible, expire the rest
    FOK = "FOK"  #: fill or kill: expire unless completely filled at once


class OrderStatus(LenientStrEnum):
    """Status of an order."""

    NEW = "NEW"
    PENDING_NEW = "PENDING_NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    PENDING_CANCEL = "PENDING_CANCEL"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    EXPIRED_IN_MATCH = "EXPIRED_IN_MATCH"

    @property
    def is_open(self) -> bool:
        """Whether an order in this status can still trade."""
        return self in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED, OrderStatus.PENDING_NEW)


class ExecutionType(LenientStrEnum):
    """What happened to an order in an ``executionReport`` (``x``)."""

    NEW = "NEW"
    CANCELED = "CANCELED"
    REPLACED = "REPLACED"
    REJECTED = "REJECTED"
    TRADE = "TRADE"
    EXPIRED = "EXPIRED"
    TRADE_PREVENTION = "TRADE_PREVENTION"


class SymbolStatus(LenientStrEnum):
    """Trading status of a symbol."""

    TRADING = "TRADING"
    END_OF_DAY = "END_OF_DAY"
    HALT = "HALT"
    BREAK = "BREAK"
    CANCEL_ONLY = "CANCEL_ONLY"


class KlineInterval(LenientStrEnum):
    """Kline (candlestick) interval. Values are case-sensitive: ``"1m"`` is a
    minute, ``"1M"`` a month."""

    SECOND_1 = "1s"
    MINUTE_1 = "1m"
    MINUTE_3 = "3m"
    MINUTE_5 = "5m"
    MINUTE_15 = "15m"
    MINUTE_30 = "30m"
    HOUR_1 = "1h"
    HOUR_2 = "2h"
    HOUR_4 = "4h"
    HOUR_6 = "6h"
    HOUR_8 = "8h"
    HOUR_12 = "12h"
    DAY_1 = "1d"
    DAY_3 = "3d"
    WEEK_1 = "1w"
    MONTH_1 = "1M"

    @property
    def milliseconds(self) -> int:
        """Nominal length of one interval in milliseconds (a month counts as
        31 days, an upper bound used when paging history)."""
        unit = self.value[-1]
        count = int(self.value[:-1])
        return count * _INTERVAL_UNIT_MS[unit]


_INTERVAL_UNIT_MS = {
    "s": 1_000,
    "m": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
    "w": 7 * 86_400_000,
    "M": 31 * 86_400_000,
}
