"""Value objects for tunables and the ``DEFAULT_*`` constants the docs cite.

Every tunable is a constructor keyword whose default is a constant here, so
code and docs quote one value. Related tunables form a small immutable value
object (:class:`Backoff`), modelled on urllib3's ``Retry``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

from cryptoex.errors import ConfigurationError

__all__ = [
    "DEFAULT_MAX_CONNECTION_AGE",
    "DEFAULT_MAX_STREAMS_PER_CONNECTION",
    "DEFAULT_PING_INTERVAL",
    "DEFAULT_RECV_WINDOW",
    "DEFAULT_SILENCE_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "Backoff",
]

#: Streams one websocket connection carries before another is opened
#: (Binance's limit is 1024).
DEFAULT_MAX_STREAMS_PER_CONNECTION: Final = 1024
#: Seconds between client pings on a stream connection.
DEFAULT_PING_INTERVAL: Final = 20.0
#: Seconds without any frame after which a connection is treated as dead.
DEFAULT_SILENCE_TIMEOUT: Final = 60.0
#: Seconds after which a connection is replaced before Binance cuts it at 24 h.
DEFAULT_MAX_CONNECTION_AGE: Final = 23.5 * 3600
#: Binance's ``recvWindow`` in **milliseconds** (Binance's own unit).
DEFAULT_RECV_WINDOW: Final = 5000
#: Seconds to wait for one HTTP request.
DEFAULT_TIMEOUT: Final = 10.0


@dataclass(frozen=True)
class Backoff:
    """Reconnect delays: exponential, capped, with jitter.

    The *n*-th delay (``attempt`` counts from 1) is
    ``min(cap, initial * factor ** (attempt - 1))`` reduced by a random share
    of up to ``jitter`` of itself, so it lies in ``[d * (1 - jitter), d]`` and
    never exceeds ``cap``. After a connection stayed healthy for
    ``reset_after`` seconds the attempt counter starts again from 1.

    Times are seconds. Immutable: share it freely between managers.

    :param initial: first delay.
    :param factor: growth factor per attempt (>= 1).
    :param cap: largest delay.
    :param jitter: share of each delay that is randomised, from 0 (none) to 1.
    :param reset_after: seconds of healthy connection that reset the schedule.
    """

    initial: float = 1.0
    factor: float = 2.0
    cap: float = 60.0
    jitter: float = 0.5
    reset_after: float = 60.0

    def __post_init__(self) -> None:
        for name in ("initial", "factor", "cap", "jitter", "reset_after"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigurationError(f"Backoff.{name} must be a number, got {value!r}")
        if self.initial < 0:
            raise ConfigurationError(f"Backoff.initial must be >= 0, got {self.initial!r}")
        if self.factor < 1:
            raise ConfigurationError(f"Backoff.factor must be >= 1, got {self.factor!r}")
        if self.cap < self.initial:
            raise ConfigurationError(
                f"Backoff.cap must be >= initial ({self.initial!r}), got {self.cap!r}"
            )
        if not 0 <= self.jitter <= 1:
            raise ConfigurationError(f"Backoff.jitter must be in [0, 1], got {self.jitter!r}")
        if self.reset_after < 0:
            raise ConfigurationError(f"Backoff.reset_after must be >= 0, got {self.reset_after!r}")

    @classmethod
    def from_value(cls, value: Backoff | float | None) -> Backoff:
        """Coerce a ``Backoff``, a number (a fixed delay) or ``None`` (the
        defaults)."""
        if value is None:
            return cls()
        if isinstance(value, Backoff):
            return value
        if isinstance(value, bool):
            raise ConfigurationError(f"backoff must be a Backoff or a number, got {value!r}")
        if isinstance(value, (int, float)):
            return cls(initial=float(value), factor=1.0, cap=float(value), jitter=0.0)
        raise ConfigurationError(f"backoff must be a Backoff or a number, got {value!r}")

    def ceiling(self, attempt: int) -> float:
        """The un-jittered delay for *attempt* (1-based)."""
        if attempt < 1:
            raise ValueError("attempt counts from 1")
        # Avoid float overflow for absurd attempt numbers: once past the cap,
        # stay there.
        delay = self.initial
        for _ in range(attempt - 1):
            delay *= self.factor
            if delay >= self.cap:
                return self.cap
        return min(delay, self.cap)

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """The delay before reconnect *attempt* (1-based); *rand* returns a
        float in ``[0, 1)`` (inject one for a deterministic schedule)."""
        ceiling = self.ceiling(attempt)
        return ceiling * (1.0 - self.jitter * rand())

    def delays(self, rand: Callable[[], float] = random.random) -> Iterator[float]:
        """The endless schedule of delays for attempts 1, 2, 3, ..."""
        attempt = 1
        while True:
            yield self.delay(attempt, rand)
            attempt += 1
