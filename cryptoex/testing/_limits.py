"""Per-IP request accounting: REQUEST_WEIGHT per minute, RAW_REQUESTS per 5 minutes,
429 back-off tracking, 418 bans, and the injected rate-limit faults.

Binance counts weight per IP; everything reaching the sandbox comes from loopback, so
one :class:`Limits` object is the single "IP" of a sandbox (REST and WebSocket API).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass
from typing import Final

from cryptoex.testing._errors import ApiError
from cryptoex.testing._format import Clock

MINUTE_MS: Final = 60_000
RAW_WINDOW_MS: Final = 5 * MINUTE_MS
RAW_LIMIT: Final = 300_000


@dataclass
class _Forced:
    count: int
    status: int
    retry_after: int


class Limits:
    """Request-weight budget, bans and rate-limit faults of one sandbox."""

    def __init__(
        self, clock: Clock, weight_limit: int, ban_after_429s: int, ban_seconds: float
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.weight_limit = weight_limit
        self.ban_after_429s = ban_after_429s
        self.ban_seconds = ban_seconds
        self._window = -1
        self._used = 0
        self._raw: deque[int] = deque()
        self._backoff_until = 0
        self._ignored = 0
        self._banned_until = 0
        self._forced: _Forced | None = None

    @property
    def used_weight(self) -> int:
        """Weight used in the current minute.

        :returns: the ``X-MBX-USED-WEIGHT-1M`` value.
        """
        with self._lock:
            self._roll(self._clock.now_ms())
            return self._used

    def _roll(self, now: int) -> None:
        window = now // MINUTE_MS
        if window != self._window:
            self._window = window
            self._used = 0

    def _ban_error(self, now: int) -> ApiError:
        retry = max(1, math.ceil((self._banned_until - now) / 1000))
        return ApiError(
            -1003,
            f"Way too much request weight used; IP banned until {self._banned_until}. "
            "Please use WebSocket Streams for live updates to avoid bans.",
            status=418,
            headers={"Retry-After": str(retry)},
            data={"serverTime": now, "retryAfter": self._banned_until},
        )

    def check_ban(self) -> None:
        """Refuse the request if the IP is banned.

        :raises ApiError: 418 while the ban lasts.
        """
        with self._lock:
            now = self._clock.now_ms()
            if now < self._banned_until:
                raise self._ban_error(now)

    def check_forced(self) -> None:
        """Apply an injected rate-limit answer.

        :raises ApiError: the forced 429 (or other status) while any remain.
        """
        with self._lock:
            forced = self._forced
            if forced is None:
                return
            forced.count -= 1
            if forced.count <= 0:
                self._forced = None
            now = self._clock.now_ms()
            if forced.status == 418:
                self._banned_until = max(self._banned_until, now + forced.retry_after * 1000)
                raise self._ban_error(now)
            raise ApiError(
                -1003,
                f"Too much request weight used; current limit is {self.weight_limit} request "
                "weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid "
                "polling the API.",
                status=forced.status,
                headers={"Retry-After": str(forced.retry_after)},
                data={"serverTime": now, "retryAfter": now + forced.retry_after * 1000},
            )

    def charge(self, weight: int) -> None:
        """Count one request of *weight* against the IP's budgets.

        A request sent while a previous 429's ``Retry-After`` is still running counts as
        ignoring it; the ``ban_after_429s``-th such request starts a ban (418).

        :param weight: the endpoint's weight.
        :raises ApiError: 429 (-1003) over budget, 418 when the IP gets banned.
        """
        with self._lock:
            now = self._clock.now_ms()
            self._roll(now)
            self._raw.append(now)
            while self._raw and self._raw[0] <= now - RAW_WINDOW_MS:
                self._raw.popleft()
            ignoring = now < self._backoff_until
            if ignoring:
                self._ignored += 1
                if self._ignored >= self.ban_after_429s:
                    self._banned_until = now + int(self.ban_seconds * 1000)
                    self._backoff_until = 0
                    self._ignored = 0
                    raise self._ban_error(now)
            self._used += weight
            over_raw = len(self._raw) > RAW_LIMIT
            if self._used > self.weight_limit or over_raw:
                window_end = (self._window + 1) * MINUTE_MS
                retry = max(1, math.ceil((window_end - now) / 1000))
                self._backoff_until = max(self._backoff_until, window_end)
                raise ApiError(
                    -1003,
                    f"Too much request weight used; current limit is {self.weight_limit} "
                    "request weight per 1 MINUTE. Please use WebSocket Streams for live "
                    "updates to avoid polling the API.",
                    status=429,
                    headers={"Retry-After": str(retry)},
                    data={"serverTime": now, "retryAfter": window_end},
                )
            if not ignoring:
                self._ignored = 0

    def refund(self, weight: int) -> None:
        """Give back weight (successful order placements and cancels cost 0 since 2026-04-02).

        :param weight: weight charged earlier.
        """
        with self._lock:
            self._used = max(0, self._used - weight)

    def force(self, count: int, status: int, retry_after: int) -> None:
        """Answer the next *count* requests with *status* (a fault).

        :param count: how many requests.
        :param status: 429, or 418 to ban for *retry_after* seconds.
        :param retry_after: the ``Retry-After`` value in seconds.
        """
        with self._lock:
            self._forced = _Forced(count, status, retry_after) if count > 0 else None

    def ban(self, seconds: float) -> None:
        """Ban the IP now for *seconds* (a fault).

        :param seconds: ban length.
        """
        with self._lock:
            self._banned_until = self._clock.now_ms() + int(seconds * 1000)

    def clear_faults(self) -> None:
        """Lift bans and forced answers, forget 429 back-offs."""
        with self._lock:
            self._forced = None
            self._banned_until = 0
            self._backoff_until = 0
            self._ignored = 0
