"""Adapter variants for tests."""

from __future__ import annotations

from typing import Any


class SmallPages:
    """The Binance adapter with tiny page sizes, so paging shows with few orders."""

    def __init__(self) -> None:
        from cryptoex.exchanges import get_exchange

        self._inner = get_exchange()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def max_limit(self, operation: str) -> int | None:
        return 3 if operation in ("all_orders", "my_trades") else self._inner.max_limit(operation)
