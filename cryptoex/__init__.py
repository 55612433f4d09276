"""cryptoex: a threaded, synchronous Binance client for scripts, legacy code and
notebooks.

Everything public is importable from here; see ``docs/api.rst`` for the list
and ``API.md``-derived tests for the contract.
"""

from __future__ import annotations

import logging

from cryptoex import errors, signals
from cryptoex._version import __version__
from cryptoex.config import Backoff
from cryptoex.enums import (
    ExecutionType,
    KlineInterval,
    OrderStatus,
    OrderType,
    Side,
    SymbolStatus,
    TimeInForce,
)
from cryptoex.errors import (
    AuthenticationError,
    ConfigurationError,
    CryptoExError,
    ExchangeError,
    ExchangeUnavailableError,
    InsufficientBalanceError,
    InvalidSymbolError,
    IPBannedError,
    NetworkError,
    OrderNotFoundError,
    OrderRejectedError,
    OrderStatusUnknownError,
    ParseError,
    RateLimitError,
    TimestampError,
    ValidationError,
)
from cryptoex.rest.market import MarketClient
from cryptoex.rest.user import UserClient

__all__ = [
    "AuthenticationError",
    "Backoff",
    "ConfigurationError",
    "CryptoExError",
    "ExchangeError",
    "ExchangeUnavailableError",
    "ExecutionType",
    "IPBannedError",
    "InsufficientBalanceError",
    "InvalidSymbolError",
    "KlineInterval",
    "MarketClient",
    "NetworkError",
    "OrderNotFoundError",
    "OrderRejectedError",
    "OrderStatus",
    "OrderStatusUnknownError",
    "OrderType",
    "ParseError",
    "RateLimitError",
    "Side",
    "SymbolStatus",
    "TimeInForce",
    "TimestampError",
    "UserClient",
    "ValidationError",
    "__version__",
    "errors",
    "signals",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
