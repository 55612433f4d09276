"""The server-time offset signed requests are stamped with.

Binance rejects a signed request whose ``timestamp`` is more than 1 s ahead of
its clock or older than ``recvWindow`` (``-1021``). A local clock a few
seconds off would fail every call, so :class:`ServerClock` keeps
``server time - local time``: measured at first signed use, refreshed every
:data:`DEFAULT_RESYNC_INTERVAL` seconds, and re-measured at once after a
``-1021``. The measurement takes the midpoint of the round trip, so a slow
network does not skew it.

Thread-safe: the offset sits behind a lock; one thread measures at a time
(others keep using the previous offset, or wait for the first one), and the
request is made with no lock held.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Final

from cryptoex._time import SYSTEM_CLOCK, Clock
from cryptoex.errors import CryptoExError

__all__ = ["DEFAULT_RESYNC_INTERVAL", "ServerClock"]

logger = logging.getLogger(__name__)

#: Seconds between two periodic offset measurements.
DEFAULT_RESYNC_INTERVAL: Final = 600.0
#: An offset beyond this many milliseconds is logged as a warning (clock skew).
SKEW_WARNING_MS: Final = 1000


class ServerClock:
    """Server-time offset for one client.

    :param fetch_server_ms: returns the exchange's time in milliseconds (one
        unsigned request); called without any lock held.
    :param resync_interval: seconds after which the offset is measured again.
    :param clock: the local clocks (injected in tests).
    """

    def __init__(
        self,
        fetch_server_ms: Callable[[], int],
        *,
        resync_interval: float = DEFAULT_RESYNC_INTERVAL,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._fetch = fetch_server_ms
        self._interval = resync_interval
        self._clock = clock
        self._cond = threading.Condition(threading.Lock())
        self._offset_ms: int | None = None
        self._synced_at = 0.0
        self._syncing = False

    def __repr__(self) -> str:
        with self._cond:
            offset = self._offset_ms
        return f"<ServerClock offset={offset} ms>"

    @property
    def offset_ms(self) -> int | None:
        """``server - local`` in milliseconds, or ``None`` before the first sync."""
        with self._cond:
            return self._offset_ms

    def local_ms(self) -> int:
        """The local wall clock in milliseconds."""
        return int(self._clock.time() * 1000)

    def timestamp_ms(self) -> int:
        """The current server time in milliseconds, as signed requests carry it.

        Measures the offset first if it was never measured or is due for a
        refresh. If the measurement fails the previous offset (or none) is
        used: the request itself will then report the real problem.
        """
        self.ensure_synced()
        with self._cond:
            offset = self._offset_ms or 0
        return self.local_ms() + offset

    def ensure_synced(self) -> None:
        """Measure the offset if it was never measured or is due for a
        refresh; a failed measurement is logged, not raised (the signed
        request that follows reports the real problem: unreachable host,
        ban...)."""
        if self._due():
            try:
                self.sync(force=False)
            except CryptoExError as exc:
                logger.warning("server time not measured (%s); using the last offset", exc)

    def _due(self) -> bool:
        with self._cond:
            if self._offset_ms is None:
                return True
            return self._clock.monotonic() - self._synced_at >= self._interval

    def sync(self, *, force: bool = True) -> int | None:
        """Measure the offset now (after a ``-1021`` use ``force=True``).

        When another thread is already measuring, wait for its result instead
        of sending a second request.

        :returns: the new offset in milliseconds, or the previous one if the
            measurement failed.
        """
        with self._cond:
            if self._syncing:
                self._cond.wait_for(lambda: not self._syncing, timeout=30.0)
                return self._offset_ms
            fresh = self._clock.monotonic() - self._synced_at < self._interval
            if not force and self._offset_ms is not None and fresh:
                return self._offset_ms
            self._syncing = True
        offset: int | None = None
        try:
            before = self.local_ms()
            server = self._fetch()
            after = self.local_ms()
            # The server read its clock somewhere in the round trip; the
            # midpoint is the best estimate and bounds the error by RTT/2.
            offset = server - (before + after) // 2
        finally:
            with self._cond:
                if offset is not None:
                    self._offset_ms = offset
                    self._synced_at = self._clock.monotonic()
                self._syncing = False
                self._cond.notify_all()
        if abs(offset) >= SKEW_WARNING_MS:
            logger.warning("local clock is %d ms off the server's; compensating", -offset)
        else:
            logger.debug("server time offset %d ms", offset)
        return offset
