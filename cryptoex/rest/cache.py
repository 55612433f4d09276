"""The cached ``exchangeInfo`` (symbols, filters, rate limits) of one REST
base URL, shared by every client that talks to it.

Order validation needs each symbol's filters before anything is sent, and the
rate limiter needs the exchange's limits; both come from ``exchangeInfo``,
which is large and costs weight, so it is read once per base URL and process
and refreshed after :data:`DEFAULT_EXCHANGE_INFO_TTL` seconds (or at once
when a symbol is asked for that the cached copy does not know, at most every
:data:`MIN_REFRESH_INTERVAL` seconds). Like the rate-limit budgets this is a
deliberate process-wide registry; :func:`reset_info_caches` clears it (tests).

Thread-safe: one thread loads while the others wait for its result; the load
runs with no lock held.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Final

from cryptoex._time import SYSTEM_CLOCK, Clock
from cryptoex.models.symbols import ExchangeInfo, SymbolInfo
from cryptoex.rest.ratelimit import host_key

__all__ = [
    "DEFAULT_EXCHANGE_INFO_TTL",
    "ExchangeInfoCache",
    "info_cache_for",
    "reset_info_caches",
]

logger = logging.getLogger(__name__)

#: Seconds a cached ``exchangeInfo`` is used before it is read again.
DEFAULT_EXCHANGE_INFO_TTL: Final = 900.0
#: Shortest time between two reads caused by an unknown symbol.
MIN_REFRESH_INTERVAL: Final = 10.0
#: Longest wait for another thread's load before loading too.
_LOAD_WAIT: Final = 60.0


class ExchangeInfoCache:
    """One base URL's ``exchangeInfo``, loaded on demand.

    :param clock: monotonic time for ages (injected in tests).
    """

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock = clock
        self._cond = threading.Condition(threading.Lock())
        self._info: ExchangeInfo | None = None
        self._symbols: dict[str, SymbolInfo] = {}
        self._loaded_at = 0.0
        self._loading = False

    def __repr__(self) -> str:
        with self._cond:
            count = len(self._symbols)
        return f"<ExchangeInfoCache {count} symbols>"

    def put(self, info: ExchangeInfo) -> None:
        """Store a freshly read ``exchangeInfo``."""
        symbols = {s.symbol: s for s in info.symbols}
        with self._cond:
            self._info = info
            self._symbols = symbols
            self._loaded_at = self._clock.monotonic()

    def age(self) -> float | None:
        """Seconds since the last load, or ``None`` if never loaded."""
        with self._cond:
            if self._info is None:
                return None
            return self._clock.monotonic() - self._loaded_at

    def get(self, load: Callable[[], ExchangeInfo], ttl: float) -> ExchangeInfo:
        """The cached info if younger than *ttl* seconds, else a fresh one.

        *load* reads and returns ``exchangeInfo`` (it is stored here); it runs
        without any lock held, in one thread at a time.
        """
        with self._cond:
            if self._info is not None and self._clock.monotonic() - self._loaded_at < ttl:
                return self._info
            if self._loading:
                # Another thread is reading it: wait for that result.
                self._cond.wait_for(lambda: not self._loading, timeout=_LOAD_WAIT)
                if self._info is not None and not self._loading:
                    return self._info
            self._loading = True
        try:
            info = load()
            self.put(info)
            return info
        finally:
            with self._cond:
                self._loading = False
                self._cond.notify_all()

    def symbol(self, name: str, load: Callable[[], ExchangeInfo], ttl: float) -> SymbolInfo | None:
        """The :class:`SymbolInfo` for *name* (upper case), reading
        ``exchangeInfo`` again if the cached copy does not know it (a new
        listing) and is older than :data:`MIN_REFRESH_INTERVAL`."""
        self.get(load, ttl)
        with self._cond:
            found = self._symbols.get(name)
        if found is not None:
            return found
        age = self.age()
        if age is not None and age >= MIN_REFRESH_INTERVAL:
            logger.info("symbol %s not in the cached exchangeInfo; reading it again", name)
            self.get(load, ttl=0.0)
            with self._cond:
                return self._symbols.get(name)
        return None


_registry_lock = threading.Lock()
_caches: dict[str, ExchangeInfoCache] = {}


def info_cache_for(base_url: str) -> ExchangeInfoCache:
    """The process-wide cache of *base_url* (created on first use)."""
    key = host_key(base_url)
    with _registry_lock:
        cache = _caches.get(key)
        if cache is None:
            cache = _caches[key] = ExchangeInfoCache()
        return cache


def reset_info_caches() -> None:
    """Drop every cached ``exchangeInfo`` (tests)."""
    with _registry_lock:
        _caches.clear()
