"""Milliseconds since the epoch to aware UTC datetimes and back, and the clock
seam that every timing decision in cryptoex goes through (so tests can inject
one)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Protocol

from cryptoex.errors import ValidationError

__all__ = ["UTC", "Clock", "SystemClock", "from_ms", "now_ms", "to_ms"]

UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    """Aware UTC datetime for *ms* milliseconds since the epoch (exact: no
    float rounding)."""
    return _EPOCH + ms * _MS


def to_ms(value: datetime | int) -> int:
    """Milliseconds since the epoch for a datetime (or an int, passed through).

    A naive datetime is taken as UTC, as exchange times are; an aware one is
    converted.

    :raises ValidationError: for anything else.
    """
    if isinstance(value, bool) or not isinstance(value, (datetime, int)):
        raise ValidationError(
            f"expected a datetime or milliseconds since the epoch, got {type(value).__name__}"
        )
    if isinstance(value, int):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // _MS


def now_ms() -> int:
    """Wall-clock time in milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


class Clock(Protocol):
    """Where cryptoex reads the time: wall clock for timestamps, monotonic
    clock for waits and budgets."""

    def time(self) -> float:
        """Seconds since the epoch (wall clock)."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary point, never going backwards."""


class SystemClock:
    """The real clocks (:func:`time.time` and :func:`time.monotonic`)."""

    def time(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def monotonic(self) -> float:
        """Monotonic seconds."""
        return time.monotonic()


#: The clock used when none is injected.
SYSTEM_CLOCK = SystemClock()
