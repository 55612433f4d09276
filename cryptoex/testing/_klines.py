"""Kline intervals (UTC-aligned boundaries, weeks from Monday, calendar months) and the
deterministic synthetic price history served for times before the sandbox started."""

from __future__ import annotations

import math
import random
from datetime import datetime, timezone
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Final

from cryptoex.testing._format import fmt, quantize
from cryptoex.testing._markets import SymbolSpec

SECOND: Final = 1000
MINUTE: Final = 60 * SECOND
HOUR: Final = 60 * MINUTE
DAY: Final = 24 * HOUR

#: Fixed-length intervals in milliseconds; ``1M`` (calendar month) is handled separately.
INTERVALS: Final[dict[str, int]] = {
    "1s": SECOND,
    "1m": MINUTE,
    "3m": 3 * MINUTE,
    "5m": 5 * MINUTE,
    "15m": 15 * MINUTE,
    "30m": 30 * MINUTE,
    "1h": HOUR,
    "2h": 2 * HOUR,
    "4h": 4 * HOUR,
    "6h": 6 * HOUR,
    "8h": 8 * HOUR,
    "12h": 12 * HOUR,
    "1d": DAY,
    "3d": 3 * DAY,
    "1w": 7 * DAY,
    "1M": 31 * DAY,  # upper bound only; boundaries come from the calendar
}

#: Nothing trades before this (2020-01-01T00:00:00Z): klines before it are empty.
LISTING_MS: Final = 1_577_836_800_000

# 1970-01-01 was a Thursday; Binance weeks open on Monday 00:00 UTC.
_WEEK_ANCHOR: Final = 4 * DAY


def is_interval(name: str) -> bool:
    """Whether *name* is one of Binance's kline intervals (case-sensitive).

    :param name: e.g. ``"1m"``.
    :returns: membership.
    """
    return name in INTERVALS


def open_time(interval: str, t_ms: int, tz_ms: int = 0) -> int:
    """Open time of the *interval* kline containing *t_ms*.

    :param interval: kline interval.
    :param t_ms: a time in milliseconds.
    :param tz_ms: time-zone offset shifting the boundaries (UTC+8 = 8 h).
    :returns: the open time (UTC milliseconds).
    """
    if interval == "1M":
        local = datetime.fromtimestamp((t_ms + tz_ms) / 1000, tz=timezone.utc)
        first = datetime(local.year, local.month, 1, tzinfo=timezone.utc)
        return int(first.timestamp() * 1000) - tz_ms
    size = INTERVALS[interval]
    if interval == "1w":
        return (t_ms + tz_ms - _WEEK_ANCHOR) // size * size + _WEEK_ANCHOR - tz_ms
    return (t_ms + tz_ms) // size * size - tz_ms


def next_open(interval: str, open_ms: int, tz_ms: int = 0) -> int:
    """Open time of the kline after the one opening at *open_ms*.

    :param interval: kline interval.
    :param open_ms: an open time returned by :func:`open_time`.
    :param tz_ms: time-zone offset.
    :returns: the next open time.
    """
    if interval == "1M":
        local = datetime.fromtimestamp((open_ms + tz_ms) / 1000, tz=timezone.utc)
        year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
        return int(datetime(year, month, 1, tzinfo=timezone.utc).timestamp() * 1000) - tz_ms
    return open_ms + INTERVALS[interval]


class History:
    """Deterministic synthetic OHLCV candles for one symbol before the sandbox started.

    The price path is a sum of slow sinusoids (seeded phases) pinned so that it equals
    the symbol's starting price at *start_ms*; each candle adds seeded noise.
    """

    _PERIODS: Final = (3.7 * DAY, 19 * HOUR, 2.3 * HOUR)
    _AMPLITUDES: Final = (0.04, 0.015, 0.005)

    def __init__(self, spec: SymbolSpec, seed: int, start_ms: int) -> None:
        self.spec = spec
        self.seed = seed
        # Seeded for a repeatable market, not for security.
        rng = random.Random(f"history:{seed}:{spec.symbol}")  # noqa: S311  # nosec B311
        self._phases = [rng.uniform(0, 2 * math.pi) for _ in self._PERIODS]
        self._pin = self._wave(start_ms)
        self._anchor = float(spec.price)

    def _wave(self, t_ms: int) -> float:
        return sum(
            a * math.sin(2 * math.pi * t_ms / p + phi)
            for a, p, phi in zip(self._AMPLITUDES, self._PERIODS, self._phases, strict=True)
        )

    def price(self, t_ms: int) -> float:
        """The synthetic price at *t_ms* (not rounded).

        :param t_ms: time in milliseconds.
        :returns: price as a float (only used to shape candles, then rounded to the tick).
        """
        return self._anchor * (1.0 + self._wave(t_ms) - self._pin)

    def _to_tick(self, value: float, up: bool) -> Decimal:
        tick = self.spec.tick
        ticks = (Decimal(repr(value)) / tick).to_integral_value(
            rounding=ROUND_CEILING if up else ROUND_FLOOR
        )
        return max(ticks, Decimal(1)) * tick

    def candle(self, interval: str, open_ms: int, close_ms: int) -> list[object]:
        """One REST-shaped kline row for the closed candle ``[open_ms, close_ms]``.

        :param interval: kline interval (seeds the noise).
        :param open_ms: open time.
        :param close_ms: close time (next open - 1).
        :returns: the 12-element array of ``GET /api/v3/klines``.
        """
        # Seeded for a repeatable market, not for security.
        rng = random.Random(f"candle:{self.seed}:{self.spec.symbol}:{interval}:{open_ms}")  # noqa: S311  # nosec B311
        span = close_ms + 1 - open_ms
        o = self.price(open_ms)
        c = self.price(close_ms + 1)
        wiggle = 0.0004 * math.sqrt(span / MINUTE)
        h = max(o, c) * (1 + rng.random() * wiggle)
        low = min(o, c) * (1 - rng.random() * wiggle)
        open_p = self._to_tick(o, up=False)
        close_p = self._to_tick(c, up=False)
        high_p = max(self._to_tick(h, up=True), open_p, close_p)
        low_p = min(self._to_tick(low, up=False), open_p, close_p)
        step = self.spec.step
        raw_volume = self.spec.daily_volume * Decimal(span) / Decimal(DAY)
        volume = (raw_volume * Decimal(repr(0.5 + rng.random())) / step).to_integral_value(
            rounding=ROUND_FLOOR
        ) * step
        taker = (volume * Decimal(repr(0.3 + 0.4 * rng.random())) / step).to_integral_value(
            rounding=ROUND_FLOOR
        ) * step
        mid = (open_p + close_p) / 2
        trades = max(1, int(volume / (self.spec.level_qty / 20))) if volume else 0
        return [
            open_ms,
            fmt(open_p),
            fmt(high_p),
            fmt(low_p),
            fmt(close_p),
            fmt(volume),
            close_ms,
            fmt(quantize(volume * mid)),
            trades,
            fmt(taker),
            fmt(quantize(taker * mid)),
            "0",
        ]
