"""Wire formatting shared by the sandbox: decimal strings, JSON bytes, the server clock."""

from __future__ import annotations

import time
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, Final

import orjson

#: Binance prints amounts with the asset precision, 8 decimals for every built-in asset.
PLACES: Final = 8
QUANTUM: Final = Decimal(1).scaleb(-PLACES)
ZERO: Final = Decimal(0)


def fmt(value: Decimal | int, places: int = PLACES) -> str:
    """Format *value* as a fixed-point string with *places* decimals (never an exponent).

    :param value: the amount.
    :param places: number of decimals.
    :returns: e.g. ``"0.00100000"``.
    """
    return f"{Decimal(value):.{places}f}"


def quantize(value: Decimal, *, down: bool = False) -> Decimal:
    """Round *value* to 8 decimals (half up, or towards zero with *down*).

    :param value: the amount.
    :param down: truncate instead of rounding.
    :returns: the rounded amount.
    """
    return value.quantize(QUANTUM, rounding=ROUND_DOWN if down else ROUND_HALF_UP)


def dumps(obj: Any) -> bytes:
    """Serialise *obj* to compact JSON bytes (orjson; keys keep their insertion order).

    :param obj: JSON-compatible data.
    :returns: UTF-8 JSON.
    """
    return orjson.dumps(obj)


class Clock:
    """The sandbox's wall clock in milliseconds, with a settable offset.

    The offset models a server whose clock differs from the client's
    (:meth:`Faults.set_clock_offset <cryptoex.testing.Faults.set_clock_offset>`).
    """

    def __init__(self) -> None:
        self.offset_ms = 0

    def now_ms(self) -> int:
        """The server's current time.

        :returns: milliseconds since the epoch, offset included.
        """
        return time.time_ns() // 1_000_000 + self.offset_ms
