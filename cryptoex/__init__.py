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
from cryptoex.models import (
    AccountInfo,
    AccountUpdate,
    AggTrade,
    AvgPrice,
    Balance,
    BalanceUpdate,
    BlockTrade,
    BookTicker,
    CommissionRates,
    DepthUpdate,
    ExternalLockUpdate,
    Fill,
    Kline,
    ListStatus,
    ListStatusOrder,
    MiniTicker,
    Order,
    OrderBookLevel,
    OrderUpdate,
    PartialDepth,
    PriceTicker,
    RateLimitUsage,
    ReferencePrice,
    RollingWindowTicker,
    SymbolInfo,
    Ticker,
    Trade,
)

__all__ = [
    "AccountInfo",
    "AccountUpdate",
    "AggTrade",
    "AuthenticationError",
    "AvgPrice",
    "Backoff",
    "Balance",
    "BalanceUpdate",
    "BlockTrade",
    "BookTicker",
    "CommissionRates",
    "ConfigurationError",
    "CryptoExError",
    "DepthUpdate",
    "ExchangeError",
    "ExchangeUnavailableError",
    "ExecutionType",
    "ExternalLockUpdate",
    "Fill",
    "IPBannedError",
    "InsufficientBalanceError",
    "InvalidSymbolError",
    "Kline",
    "KlineInterval",
    "ListStatus",
    "ListStatusOrder",
    "MiniTicker",
    "NetworkError",
    "Order",
    "OrderBookLevel",
    "OrderNotFoundError",
    "OrderRejectedError",
    "OrderStatus",
    "OrderStatusUnknownError",
    "OrderType",
    "OrderUpdate",
    "ParseError",
    "PartialDepth",
    "PriceTicker",
    "RateLimitError",
    "RateLimitUsage",
    "ReferencePrice",
    "RollingWindowTicker",
    "Side",
    "SymbolInfo",
    "SymbolStatus",
    "Ticker",
    "TimeInForce",
    "TimestampError",
    "Trade",
    "ValidationError",
    "__version__",
    "errors",
    "signals",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
