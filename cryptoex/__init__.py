"""cryptoex: a threaded, synchronous Binance client for scripts, legacy code and
notebooks.

Everything public is importable from here; see ``docs/api.rst`` for the list
and ``API.md``-derived tests for the contract.
"""

from __future__ import annotations

import logging

from cryptoex import errors, signals
from cryptoex._default import (
    configure,
    default_manager,
    on_account_update,
    on_agg_trade,
    on_balance_update,
    on_book_ticker,
    on_depth,
    on_depth_update,
    on_kline,
    on_mini_ticker,
    on_order_book,
    on_order_update,
    on_ticker,
    on_trade,
    run_forever,
)
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
from cryptoex.streaming import StreamManager, Subscription

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
    "NetworkError",
    "OrderNotFoundError",
    "OrderRejectedError",
    "OrderStatus",
    "OrderStatusUnknownError",
    "OrderType",
    "ParseError",
    "RateLimitError",
    "Side",
    "StreamManager",
    "Subscription",
    "SymbolStatus",
    "TimeInForce",
    "TimestampError",
    "ValidationError",
    "__version__",
    "configure",
    "default_manager",
    "errors",
    "on_account_update",
    "on_agg_trade",
    "on_balance_update",
    "on_book_ticker",
    "on_depth",
    "on_depth_update",
    "on_kline",
    "on_mini_ticker",
    "on_order_book",
    "on_order_update",
    "on_ticker",
    "on_trade",
    "run_forever",
    "signals",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
