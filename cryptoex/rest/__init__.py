"""The blocking REST half of cryptoex: HTTP transport, shared rate-limit
budgets, the server-time offset, argument checks, and the clients built on
them (``MarketClient`` for public data, ``UserClient`` for trading).

Two pieces of state are deliberately process-wide and shared by every client
of a base URL: the rate-limit budgets (:mod:`cryptoex.rest.ratelimit`) and the
cached ``exchangeInfo`` (:mod:`cryptoex.rest.cache`). :func:`reset_shared_state`
forgets both (for tests).
"""

from __future__ import annotations

from cryptoex.rest.cache import reset_info_caches
from cryptoex.rest.ratelimit import reset_rate_limits

__all__ = ["reset_shared_state"]


def reset_shared_state() -> None:
    """Forget every shared rate-limit budget, back-off, ban and cached
    ``exchangeInfo`` (for tests; clients created before keep working and
    start over with fresh state)."""
    reset_rate_limits()
    reset_info_caches()
