"""The blocking REST half of cryptoex: HTTP transport, shared rate-limit
budgets, the server-time offset, argument checks, and the clients built on
them (``MarketClient`` for public data, ``UserClient`` for trading)."""

from __future__ import annotations
