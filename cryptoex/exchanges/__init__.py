"""Exchange adapters. Everything exchange-specific (URLs, stream names,
payload keys, signing, error codes, filters) lives in one package per
exchange behind the :class:`~cryptoex.exchanges.base.Exchange` protocol.

This module is the registry: :func:`get_exchange` returns the adapter for a
name. Only Binance Spot exists today.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cryptoex.errors import ConfigurationError

if TYPE_CHECKING:
    from cryptoex.exchanges.base import Exchange

__all__ = ["get_exchange"]


def get_exchange(name: str = "binance") -> Exchange:
    """The adapter registered as *name*.

    :raises ConfigurationError: for an unknown exchange.
    """
    if name.lower() in ("binance", "binance-spot"):
        from cryptoex.exchanges.binance import BINANCE_SPOT

        return BINANCE_SPOT
    raise ConfigurationError(f"unknown exchange {name!r}; available: binance")
