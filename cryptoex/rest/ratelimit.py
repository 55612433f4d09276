"""Rate-limit budgets: request weight per base URL (Binance counts per IP),
orders per API key (Binance counts per account), ``Retry-After`` back-off and
IP bans.

**A deliberate process-wide registry.** Every ``MarketClient`` and
``UserClient`` in the process that talks to the same REST base URL
(``scheme://host:port``) shares one :class:`HostLimiter`, because the exchange
counts weight per IP, not per client: two clients with separate budgets would
together overrun it and get the IP banned. Likewise every client using the same
API key shares one order :class:`Budget`. The cost of this global is the usual
one (urllib3 says the same of its default pool): state is shared across
unrelated code in the process, so a ban seen by one client stops all of them,
which is exactly what the exchange does too. :func:`reset_rate_limits` clears
the registry (tests).

Windows are fixed and aligned to the epoch, as the exchange's counters are
(the used weight resets at each minute). Each window counts what is known to be
used (``used``, brought in step with the ``X-MBX-USED-WEIGHT-*`` and
``X-MBX-ORDER-COUNT-*`` response headers) plus what is reserved by requests in
flight (``pending``). A request is sent only when its cost fits every window.

Threading: each :class:`Budget` and :class:`HostLimiter` owns one
:class:`threading.Condition`; nothing is called out while it is held. Waiting
is ``Condition.wait(timeout)``, so a refund or a configuration change wakes
waiters at once and a window roll-over wakes them by timeout; library code
never sleeps.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import urlsplit

from cryptoex._time import SYSTEM_CLOCK, UTC, Clock
from cryptoex.errors import ConfigurationError, IPBannedError, RateLimitError
from cryptoex.models.symbols import RateLimit

__all__ = [
    "Budget",
    "HostLimiter",
    "Reservation",
    "Window",
    "host_key",
    "limiter_for",
    "order_budget_for",
    "reset_rate_limits",
]

logger = logging.getLogger(__name__)

#: ``rateLimitType`` values the limiter understands.
REQUEST_WEIGHT: Final = "REQUEST_WEIGHT"
RAW_REQUESTS: Final = "RAW_REQUESTS"
ORDERS: Final = "ORDERS"


@dataclass
class Window:
    """One fixed window of a budget: at most *limit* units per *seconds*,
    aligned to the epoch. Mutated only under its budget's lock.

    :param seconds: window length.
    :param limit: units allowed per window.
    :param per_request: count requests (cost 1 each) instead of weight.
    """

    seconds: int
    limit: int
    per_request: bool = False
    window_id: int = -1
    used: int = 0
    pending: int = 0

    def roll(self, now: float) -> None:
        """Start a new window when *now* (wall seconds) has left the current one."""
        current = int(now // self.seconds)
        if current != self.window_id:
            self.window_id = current
            self.used = 0
            # In-flight reservations of the previous window still hold their
            # units until they settle; they are counted in the new one, which
            # errs on the safe side for at most one round trip.

    def cost(self, weight: int) -> int:
        """Units a request of *weight* uses in this window."""
        return 1 if self.per_request else weight

    def wait_for(self, weight: int, now: float) -> float:
        """Seconds until a request of *weight* fits (0: it fits now)."""
        cost = self.cost(weight)
        if cost == 0 or self.used + self.pending + cost <= self.limit:
            return 0.0
        if cost > self.limit and self.used + self.pending == 0:
            # A single request larger than the whole window could never go;
            # let it through alone rather than block forever (the exchange
            # decides).
            return 0.0
        return max(0.0, (self.window_id + 1) * self.seconds - now)


@dataclass
class Reservation:
    """Units reserved for one request in flight: settle it exactly once with
    :meth:`HostLimiter.settle` / :meth:`Budget.settle`."""

    weight: int
    window_ids: dict[int, int] = field(default_factory=dict)
    settled: bool = False


class Budget:
    """A set of fixed windows counted together (the weight windows of one IP,
    or the order windows of one account), with a ``Retry-After`` back-off.

    :param name: shown in log records and error messages (never an API key).
    :param limits: initial windows as ``(seconds, limit, per_request)``.
    :param clock: where wall time is read (injected in tests).
    """

    def __init__(
        self,
        name: str,
        limits: Iterable[tuple[int, int, bool]] = (),
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.name = name
        self._clock = clock
        self._cond = threading.Condition(threading.Lock())
        self._windows: dict[tuple[int, bool], Window] = {}
        self._blocked_until = 0.0
        self._configured = False
        for seconds, limit, per_request in limits:
            self._windows[(seconds, per_request)] = Window(seconds, limit, per_request)

    def __repr__(self) -> str:
        return f"<Budget {self.name} {self.snapshot()}>"

    # --- configuration ---------------------------------------------------------------

    @property
    def configured(self) -> bool:
        """Whether limits from the exchange (not just defaults) are known."""
        with self._cond:
            return self._configured

    def configure(self, limits: Iterable[tuple[int, int, bool]]) -> None:
        """Replace the window limits (from ``exchangeInfo``); counts carry over."""
        with self._cond:
            new: dict[tuple[int, bool], Window] = {}
            for seconds, limit, per_request in limits:
                old = self._windows.get((seconds, per_request))
                window = old if old is not None else Window(seconds, limit, per_request)
                window.limit = limit
                new[(seconds, per_request)] = window
            if new:
                self._windows = new
            self._configured = True
            self._cond.notify_all()

    def snapshot(self) -> dict[str, tuple[int, int]]:
        """``{"60s": (used + pending, limit), ...}`` for logs and tests."""
        with self._cond:
            now = self._clock.time()
            result = {}
            for window in self._windows.values():
                window.roll(now)
                key = f"{window.seconds}s" + ("/requests" if window.per_request else "")
                result[key] = (window.used + window.pending, window.limit)
            return result

    # --- reserving -------------------------------------------------------------------

    def try_reserve(self, weight: int) -> tuple[Reservation | None, float]:
        """Reserve *weight* in every window if it fits now.

        :returns: ``(reservation, 0.0)``, or ``(None, seconds to wait)``.
        """
        with self._cond:
            now = self._clock.time()
            if now < self._blocked_until:
                return None, self._blocked_until - now
            wait = 0.0
            for window in self._windows.values():
                window.roll(now)
                wait = max(wait, window.wait_for(weight, now))
            if wait > 0:
                return None, wait
            reservation = Reservation(weight)
            for key, window in self._windows.items():
                window.pending += window.cost(weight)
                reservation.window_ids[key[0] * 2 + int(key[1])] = window.window_id
            return reservation, 0.0

    def wait(self, timeout: float) -> None:
        """Block up to *timeout* seconds, or until the budget changes."""
        with self._cond:
            self._cond.wait(timeout)

    def settle(
        self,
        reservation: Reservation,
        *,
        charged: bool = True,
        observed: Mapping[int, int] | None = None,
        exact: bool = False,
    ) -> None:
        """Turn a reservation into use (or give it back) once the answer came.

        :param charged: whether the request cost its weight (successful order
            placements and cancels are free on Binance since 2026-04-02).
        :param observed: counts the exchange reported, by window length in
            seconds (from the rate-limit headers).
        :param exact: take observed counts as they are even when lower than
            the local count (order counts drop when orders fill); weight
            counts only ever rise within a window, so they keep the maximum.
        """
        with self._cond:
            if reservation.settled:
                return
            reservation.settled = True
            now = self._clock.time()
            for key, window in self._windows.items():
                cost = window.cost(reservation.weight)
                window.roll(now)
                sent_in = reservation.window_ids.get(key[0] * 2 + int(key[1]))
                if sent_in == window.window_id:
                    window.pending = max(0, window.pending - cost)
                    if charged:
                        window.used += cost
                else:
                    # The window rolled while the request was in flight: its
                    # reservation was counted as pending in the new window.
                    window.pending = max(0, window.pending - cost)
                if observed and not window.per_request and sent_in == window.window_id:
                    count = observed.get(window.seconds)
                    if count is not None:
                        window.used = count if exact else max(window.used, count)
            self._cond.notify_all()

    def back_off(self, seconds: float) -> None:
        """Refuse every reservation for *seconds* (a 429's ``Retry-After``)."""
        with self._cond:
            until = self._clock.time() + max(0.0, seconds)
            self._blocked_until = max(self._blocked_until, until)
            self._cond.notify_all()
        logger.warning("rate limit hit on %s: backing off %.1f s", self.name, seconds)

    def reset(self) -> None:
        """Forget all counts and back-off (tests)."""
        with self._cond:
            for window in self._windows.values():
                window.used = window.pending = 0
                window.window_id = -1
            self._blocked_until = 0.0
            self._cond.notify_all()


def limits_from_exchange(
    rate_limits: Iterable[RateLimit],
) -> tuple[list[tuple[int, int, bool]], list[tuple[int, int, bool]]]:
    """Split the exchange's ``rateLimits`` into IP windows and order windows."""
    ip: list[tuple[int, int, bool]] = []
    orders: list[tuple[int, int, bool]] = []
    for limit in rate_limits:
        if limit.rate_limit_type == REQUEST_WEIGHT:
            ip.append((limit.interval_seconds, limit.limit, False))
        elif limit.rate_limit_type == RAW_REQUESTS:
            ip.append((limit.interval_seconds, limit.limit, True))
        elif limit.rate_limit_type == ORDERS:
            orders.append((limit.interval_seconds, limit.limit, False))
    return ip, orders


@dataclass
class Ticket:
    """What :meth:`HostLimiter.acquire` reserved for one request."""

    ip: Reservation
    orders: Reservation | None = None
    order_budget: Budget | None = None


class HostLimiter:
    """The weight budget of one REST base URL, shared by every client in the
    process (see the module docstring), plus its ban state.

    :param host: the ``scheme://host:port`` key (shown in logs).
    :param limits: initial IP windows (the exchange's documented defaults).
    :param clock: injected in tests.
    """

    def __init__(
        self,
        host: str,
        limits: Iterable[tuple[int, int, bool]] = (),
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.host = host
        self._clock = clock
        self.budget = Budget(host, limits, clock)
        self._lock = threading.Lock()
        self._banned_until = 0.0
        self._ban_message = ""
        #: Order windows from this host's ``exchangeInfo`` (for new order budgets).
        self.order_limits: list[tuple[int, int, bool]] = []

    def __repr__(self) -> str:
        return f"<HostLimiter {self.host}>"

    def configure(self, rate_limits: Iterable[RateLimit]) -> None:
        """Apply the exchange's ``rateLimits`` (from ``exchangeInfo``)."""
        ip, orders = limits_from_exchange(rate_limits)
        self.budget.configure(ip)
        with self._lock:
            if orders:
                self.order_limits = orders

    @property
    def configured(self) -> bool:
        """Whether the exchange's own limits have been applied."""
        return self.budget.configured

    # --- bans ------------------------------------------------------------------------

    def ban(self, until: datetime, message: str = "") -> None:
        """Refuse every request to this host until *until* (an HTTP 418)."""
        stamp = until.timestamp()
        with self._lock:
            if stamp > self._banned_until:
                self._banned_until = stamp
                self._ban_message = message
        logger.error("%s banned this IP until %s; no request is sent until then", self.host, until)

    def banned_until(self) -> datetime | None:
        """When the current ban ends, or ``None``."""
        with self._lock:
            banned = self._banned_until
        if self._clock.time() < banned:
            return datetime.fromtimestamp(banned, UTC)
        return None

    def _check_ban(self) -> None:
        until = self.banned_until()
        if until is not None:
            wait = max(
                0.0, (until - datetime.fromtimestamp(self._clock.time(), UTC)).total_seconds()
            )
            raise IPBannedError(
                418,
                None,
                f"IP banned by {self.host} until {until.isoformat()}; no request sent",
                retry_after=wait,
                until=until,
            )

    # --- acquiring -------------------------------------------------------------------

    def acquire(
        self,
        weight: int,
        *,
        order_budget: Budget | None = None,
        block: bool = True,
        max_wait: float | None = None,
    ) -> Ticket:
        """Reserve *weight* (and one order in *order_budget*) before a request.

        :param block: wait until the request fits; when ``False`` raise at once.
        :param max_wait: give up waiting after this many seconds (``None``:
            as long as the budget needs).
        :raises IPBannedError: the host banned this IP (always at once).
        :raises RateLimitError: with ``retry_after``, when ``block`` is
            ``False`` or *max_wait* is exceeded.
        """
        deadline = None if max_wait is None else self._clock_monotonic() + max_wait
        waited = False
        while True:
            self._check_ban()
            ip, wait = self.budget.try_reserve(weight)
            blocking_budget = self.budget
            what = "request weight"
            if ip is not None:
                if order_budget is None:
                    return Ticket(ip)
                orders, wait = order_budget.try_reserve(1)
                if orders is not None:
                    return Ticket(ip, orders, order_budget)
                # Give the weight back while waiting for the order budget.
                self.budget.settle(ip, charged=False)
                blocking_budget = order_budget
                what = "order count"
            wait = max(wait, 0.001)
            if not block:
                raise RateLimitError(
                    None,
                    None,
                    f"{what} budget of {blocking_budget.name} exhausted; "
                    f"retry after {wait:.3f} s (nothing was sent)",
                    retry_after=wait,
                )
            if deadline is not None:
                remaining = deadline - self._clock_monotonic()
                if remaining <= 0:
                    raise RateLimitError(
                        None,
                        None,
                        f"{what} budget of {blocking_budget.name} still exhausted after "
                        f"waiting {max_wait} s (nothing was sent)",
                        retry_after=wait,
                    )
                wait = min(wait, remaining)
            if not waited:
                logger.warning(
                    "%s budget of %s exhausted: waiting up to %.3f s",
                    what,
                    blocking_budget.name,
                    wait,
                )
                waited = True
            blocking_budget.wait(wait)

    def _clock_monotonic(self) -> float:
        return self._clock.monotonic()

    def settle(
        self,
        ticket: Ticket,
        *,
        charged: bool,
        used_weights: Mapping[int, int] | None = None,
        order_counts: Mapping[int, int] | None = None,
        order_charged: bool = True,
    ) -> None:
        """Account for a finished request (see :meth:`Budget.settle`)."""
        self.budget.settle(ticket.ip, charged=charged, observed=used_weights)
        if ticket.orders is not None and ticket.order_budget is not None:
            ticket.order_budget.settle(
                ticket.orders, charged=order_charged, observed=order_counts, exact=True
            )

    def reset(self) -> None:
        """Forget counts, back-off and bans (tests)."""
        self.budget.reset()
        with self._lock:
            self._banned_until = 0.0


# --- the registry ----------------------------------------------------------------------

#: Binance's documented defaults until ``exchangeInfo`` is read (rest.md §2).
DEFAULT_IP_LIMITS: Final = ((60, 6000, False), (300, 300_000, True))
DEFAULT_ORDER_LIMITS: Final = ((10, 50, False), (86400, 160_000, False))

_registry_lock = threading.Lock()
_hosts: dict[str, HostLimiter] = {}
_order_budgets: dict[str, Budget] = {}


def host_key(base_url: str) -> str:
    """``scheme://host:port`` of *base_url* (the default port made explicit)."""
    parts = urlsplit(base_url)
    if not parts.scheme or not parts.hostname:
        raise ConfigurationError(f"not a base URL: {base_url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme.lower()}://{host}:{port}"


def limiter_for(
    base_url: str, default_limits: Iterable[tuple[int, int, bool]] = DEFAULT_IP_LIMITS
) -> HostLimiter:
    """The process-wide :class:`HostLimiter` for *base_url* (created on first use)."""
    key = host_key(base_url)
    with _registry_lock:
        limiter = _hosts.get(key)
        if limiter is None:
            limiter = _hosts[key] = HostLimiter(key, default_limits)
        return limiter


def _key_id(api_key: str) -> str:
    # The registry never keeps the key itself: a digest is enough to tell
    # accounts apart, and cannot leak through a debugger or a repr.
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()[:16]


def order_budget_for(
    api_key: str, default_limits: Iterable[tuple[int, int, bool]] = DEFAULT_ORDER_LIMITS
) -> Budget:
    """The process-wide order :class:`Budget` of one API key."""
    key = _key_id(api_key)
    with _registry_lock:
        budget = _order_budgets.get(key)
        if budget is None:
            budget = _order_budgets[key] = Budget(f"orders of key #{key[:8]}", default_limits)
        return budget


def reset_rate_limits() -> None:
    """Drop every shared budget, back-off and ban (for tests)."""
    with _registry_lock:
        _hosts.clear()
        _order_budgets.clear()


def ban_end(retry_after: float | None, now: float) -> datetime:
    """When a ban ends given ``Retry-After`` seconds (at least a second away)."""
    seconds = retry_after if retry_after is not None and math.isfinite(retry_after) else 120.0
    return datetime.fromtimestamp(now, UTC) + timedelta(seconds=max(seconds, 1.0))
