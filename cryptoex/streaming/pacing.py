"""Outgoing-message pacing for one websocket connection.

Binance disconnects a stream connection that sends more than 5 messages a
second, and it counts *everything* the client sends: JSON control messages
(``SUBSCRIBE``/``UNSUBSCRIBE``), ping frames and pong frames. Control messages
and our own pings are sent only when :class:`Pacer` allows; pongs are sent by
websocket-client the moment a server ping arrives, so they cannot wait, but
they are recorded here and count against the same window.

The rule, a sliding window: a paced message may go out only while fewer than
``budget`` messages (paced ones and recorded pongs together) were sent in the
last ``window`` seconds. With ``budget = limit - 2`` and a window a little
longer than a second (see :func:`pacer_for_limit`), paced messages plus one
unscheduled pong stay strictly *under* the exchange's per-second limit in any
one-second window, even when the server's clock sees our frames bunched
together by the network.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from typing import Final

__all__ = ["DEFAULT_WINDOW", "Pacer", "pacer_for_limit"]

#: Length of the sliding window, seconds. Longer than a second so frames the
#: network delivers closer together than we sent them still fit the limit.
DEFAULT_WINDOW: Final = 1.1


class Pacer:
    """Sliding-window rate gate for the messages one connection sends.

    Thread-safe: the keepalive thread sends pings and paced control messages,
    the reader thread records pongs, and callers on any thread may ask.
    Times are monotonic seconds supplied by the caller, so the schedule is
    testable without a clock.

    :param budget: messages allowed in any *window* (>= 1).
    :param window: length of the sliding window in seconds (> 0).
    """

    def __init__(self, budget: int, window: float = DEFAULT_WINDOW) -> None:
        if budget < 1:
            raise ValueError(f"budget must be >= 1, got {budget!r}")
        if not window > 0:
            raise ValueError(f"window must be > 0, got {window!r}")
        self.budget: Final = budget
        self.window: Final = window
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def _expire(self, now: float) -> None:
        sent = self._sent
        # A hair of tolerance: ``now + delay(now)`` must always be allowed,
        # whatever the float rounding of that sum.
        horizon = now - self.window + 1e-9
        while sent and sent[0] <= horizon:
            sent.popleft()

    def delay(self, now: float) -> float:
        """Seconds until a paced message may be sent (0.0: now)."""
        with self._lock:
            self._expire(now)
            if len(self._sent) < self.budget:
                return 0.0
            # The oldest message that must leave the window before one more fits.
            oldest = self._sent[len(self._sent) - self.budget]
            return max(0.0, oldest + self.window - now)

    def try_acquire(self, now: float) -> bool:
        """Take a slot for one paced message at *now* if the window allows."""
        with self._lock:
            self._expire(now)
            if len(self._sent) >= self.budget:
                return False
            self._sent.append(now)
            return True

    def record(self, now: float) -> None:
        """Count a message that was sent without asking (a pong)."""
        with self._lock:
            self._expire(now)
            self._sent.append(now)

    def reset(self) -> None:
        """Forget the history (a new socket starts with a clean count)."""
        with self._lock:
            self._sent.clear()


def pacer_for_limit(limit: float, window: float = DEFAULT_WINDOW) -> Pacer:
    """A :class:`Pacer` that keeps a connection strictly under *limit*
    messages per second.

    One slot is left for a pong the server's ping may force on us at any
    moment, and one more so the total stays *under* the limit rather than at
    it: ``budget = ceil(limit) - 2`` (at least 1).
    """
    budget = max(1, math.ceil(limit) - 2)
    return Pacer(budget, window)
