"""The cryptoex exception tree (public as :mod:`cryptoex.errors`).

Every exception cryptoex raises on purpose is one of these::

    CryptoExError
    ├── ConfigurationError
    ├── ValidationError (also ValueError)
    ├── ParseError (also ValueError)
    ├── NetworkError (also ConnectionError)
    ├── OrderStatusUnknownError(client_order_id)
    └── ExchangeError(status, code, message)
        ├── AuthenticationError
        ├── RateLimitError(retry_after)
        │   └── IPBannedError(until)
        ├── OrderRejectedError
        │   └── InsufficientBalanceError
        ├── OrderNotFoundError
        ├── TimestampError
        ├── InvalidSymbolError
        └── ExchangeUnavailableError

Exceptions carry their context as attributes and give :class:`Exception` one
readable message; none of them ever carries an API secret, a signature or a
signed query string.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "CryptoExError",
    "ExchangeError",
    "ExchangeUnavailableError",
    "IPBannedError",
    "InsufficientBalanceError",
    "InvalidSymbolError",
    "NetworkError",
    "OrderNotFoundError",
    "OrderRejectedError",
    "OrderStatusUnknownError",
    "ParseError",
    "RateLimitError",
    "TimestampError",
    "ValidationError",
]


class CryptoExError(Exception):
    """Root of every exception cryptoex raises on purpose.

    Catch this to handle anything that went wrong inside cryptoex; the
    subclasses say what and carry the details as attributes.
    """


class ConfigurationError(CryptoExError):
    """The library was configured wrongly (a missing environment variable,
    an option given too late, an optional dependency that is not installed).

    Fix the configuration named in the message; retrying will not help.
    """


class ValidationError(CryptoExError, ValueError):
    """An argument was rejected before anything was sent to the exchange.

    Nothing left the process, so it is always safe to correct the value and
    call again.

    :param message: what is wrong, naming the field and the allowed value.
    :param field: the argument that was rejected (``"price"``), if any.
    :param filter: the exchange filter that rejected it (``"PRICE_FILTER"``),
        if any.
    :param allowed: a description of the allowed value or the nearest valid
        value, if one can be given.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        filter: str | None = None,
        allowed: str | None = None,
    ) -> None:
        super().__init__(message)
        #: The argument that was rejected.
        self.field = field
        #: The exchange filter that rejected it (for example ``"LOT_SIZE"``).
        self.filter = filter
        #: The allowed value, range or nearest valid value, as text.
        self.allowed = allowed

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


class ParseError(CryptoExError, ValueError):
    """A payload from the exchange could not be turned into a model.

    Raised for malformed payloads only: unknown extra fields and unknown enum
    values are accepted (and logged once). On a stream the message is counted
    in ``stats()`` and dropped; the connection keeps running.

    :param kind: the kind of payload that failed (``"ticker"``, ``"order"``).
    :param reason: what was wrong with it.
    """

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"cannot parse {kind} payload: {reason}")
        #: The kind of payload that failed to parse.
        self.kind = kind
        #: What was wrong with it.
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.kind, self.reason))


class NetworkError(CryptoExError, ConnectionError):
    """The connection failed, timed out or dropped before an answer arrived.

    For reads (market data, queries) it is safe to retry. An order placement
    is never reported with this error: its outcome is reconciled and either
    returned or reported as :class:`OrderStatusUnknownError`.
    """


class OrderStatusUnknownError(CryptoExError):
    """The outcome of an order placement is unknown, even after reconciliation.

    The request may or may not have reached the exchange. **Do not re-send the
    order**: look it up later with ``client.get_order(symbol,
    client_order_id=err.client_order_id)``, or watch the user-data stream for
    that id.

    :param client_order_id: the ``newClientOrderId`` the order was sent with.
    :param symbol: the order's symbol, if known.
    """

    def __init__(
        self, client_order_id: str, symbol: str | None = None, reason: str | None = None
    ) -> None:
        detail = f" ({reason})" if reason else ""
        super().__init__(
            f"order {client_order_id!r} on {symbol or 'unknown symbol'}: status unknown{detail}; "
            "do not re-send it, look it up by client_order_id"
        )
        #: The ``newClientOrderId`` the order was sent with.
        self.client_order_id = client_order_id
        #: The order's symbol, if known.
        self.symbol = symbol
        #: Why reconciliation could not settle it.
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.client_order_id, self.symbol, self.reason))


class ExchangeError(CryptoExError):
    """The exchange answered with an error.

    :param status: the HTTP status (or WebSocket API status), if any.
    :param code: the exchange's error code (Binance: negative integers), if any.
    :param message: the exchange's message, kept as sent.
    """

    def __init__(self, status: int | None, code: int | None, message: str) -> None:
        parts = []
        if status is not None:
            parts.append(f"HTTP {status}")
        if code is not None:
            parts.append(f"code {code}")
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        #: HTTP status of the answer, if there was one.
        self.status = status
        #: The exchange's error code, if it sent one.
        self.code = code
        #: The exchange's message.
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, self.__dict__))


class AuthenticationError(ExchangeError):
    """The API key, its permissions or the request signature were refused
    (Binance -2014, -2015, -1022). Check the key, the secret and the key's
    IP whitelist and permissions; retrying will not help.
    """


class RateLimitError(ExchangeError):
    """A rate limit was reached (HTTP 429, Binance -1003 or -1015), or a call
    with ``block=False`` would have exceeded the known budget.

    It is safe to call again after :attr:`retry_after` seconds. Calling
    earlier risks an IP ban (:class:`IPBannedError`).
    """

    def __init__(
        self,
        status: int | None,
        code: int | None,
        message: str,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status, code, message)
        #: Seconds to wait before calling again (float), if known.
        self.retry_after = retry_after


class IPBannedError(RateLimitError):
    """The exchange banned this IP (HTTP 418) after rate limits were ignored.

    No request is sent to that base URL until :attr:`until`; each call raises
    this error at once.
    """

    def __init__(
        self,
        status: int | None,
        code: int | None,
        message: str,
        retry_after: float | None = None,
        until: datetime | None = None,
    ) -> None:
        super().__init__(status, code, message, retry_after)
        #: When the ban ends (aware UTC datetime), if known.
        self.until = until


class OrderRejectedError(ExchangeError):
    """The exchange rejected the order (Binance -2010, or a -1013 filter
    failure). Nothing was placed; fix the order before sending it again.
    """


class InsufficientBalanceError(OrderRejectedError):
    """The account's free balance does not cover the order (Binance -2010
    "Account has insufficient balance for requested action.").
    """


class OrderNotFoundError(ExchangeError):
    """The order does not exist, or is no longer open (Binance -2011, -2013)."""


class TimestampError(ExchangeError):
    """The request's timestamp fell outside ``recvWindow`` (Binance -1021).

    cryptoex resynchronises its server-time offset and retries once where that
    is safe, so seeing this usually means the local clock jumps or the network
    is very slow; a larger ``recv_window`` can help.
    """


class InvalidSymbolError(ExchangeError):
    """The exchange does not know the symbol (Binance -1121)."""


class ExchangeUnavailableError(ExchangeError):
    """The exchange could not process the request (HTTP 5XX, Binance -1001,
    -1006, -1007, -1008) or answered with something that is not its API
    (an HTML error page from a proxy).

    The request's outcome is unknown. Queries are safe to retry after a pause;
    order placements are reconciled by cryptoex and never reported with this
    error.
    """


def _rebuild(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    """Unpickle an exception whose ``__init__`` takes more than a message."""
    exc = cls.__new__(cls)
    BaseException.__init__(exc, *args)
    exc.__dict__.update(state)
    return exc
