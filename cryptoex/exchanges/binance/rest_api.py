"""Binance REST calls in cryptoex's own vocabulary: which endpoint an operation
uses, how its arguments are spelled on the wire, and which parser reads the
answer.

``cryptoex.rest`` asks for an operation (``"place_order"``) with snake_case
arguments (``client_order_id=``, ``start_ms=``); this module turns that into an
:class:`~.endpoints.Endpoint` and Binance's parameter names
(``newClientOrderId``, ``startTime``). Nothing Binance-specific is left in the
REST clients, so a second exchange is a second adapter, not an edit there.
"""

from __future__ import annotations

import importlib
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from cryptoex.errors import ExchangeError, OrderRejectedError, ParseError, ValidationError
from cryptoex.exchanges.binance.endpoints import ENDPOINTS, MAX_LIMITS, Endpoint

__all__ = [
    "CLIENT_ORDER_ID_PATTERN",
    "RestCall",
    "auth_headers",
    "check_client_order_id",
    "is_duplicate_order",
    "new_client_order_id",
    "rest_call",
    "timing_params",
]

#: Binance's rule for ``newClientOrderId`` (rest.md §6.1).
CLIENT_ORDER_ID_PATTERN: Final = re.compile(r"^[a-zA-Z0-9-_]{1,36}$")
#: Prefix of generated client order ids (helps spot cryptoex orders in the UI).
CLIENT_ORDER_ID_PREFIX: Final = "cx-"

#: Operations whose request parameters are "as given" apart from renaming.
_RENAMES: Final[Mapping[str, str]] = {
    "symbol": "symbol",
    "limit": "limit",
    "start_ms": "startTime",
    "end_ms": "endTime",
    "interval": "interval",
    "side": "side",
    "type": "type",
    "time_in_force": "timeInForce",
    "quantity": "quantity",
    "quote_quantity": "quoteOrderQty",
    "price": "price",
    "stop_price": "stopPrice",
    "iceberg_quantity": "icebergQty",
    "client_order_id": "newClientOrderId",
    "order_id": "orderId",
    "from_id": "fromId",
    "from_order_id": "orderId",
    "omit_zero": "omitZeroBalances",
}

#: Operation -> endpoint name in :data:`~.endpoints.ENDPOINTS`.
_OPERATIONS: Final[Mapping[str, str]] = {
    "ping": "ping",
    "server_time": "time",
    "exchange_info": "exchange_info",
    "ticker": "ticker_24hr",
    "order_book": "depth",
    "recent_trades": "trades",
    "klines": "klines",
    "place_order": "order_new",
    "test_order": "order_test",
    "cancel_order": "order_cancel",
    "cancel_all_orders": "open_orders_cancel",
    "get_order": "order_get",
    "open_orders": "open_orders",
    "all_orders": "all_orders",
    "my_trades": "my_trades",
    "account": "account",
    "order_rate_limit": "rate_limit_order",
}

#: Largest ``limit`` per operation.
OPERATION_MAX_LIMITS: Final[Mapping[str, int]] = {
    "order_book": MAX_LIMITS["depth"],
    "recent_trades": MAX_LIMITS["trades"],
    "klines": MAX_LIMITS["klines"],
    "all_orders": MAX_LIMITS["all_orders"],
    "my_trades": MAX_LIMITS["my_trades"],
}

#: Longest ``startTime``..``endTime`` span per operation, in milliseconds.
OPERATION_MAX_SPANS_MS: Final[Mapping[str, int]] = {
    "all_orders": 24 * 3600 * 1000,
    "my_trades": 24 * 3600 * 1000,
}


@dataclass(frozen=True)
class RestCall:
    """One request ready to be signed and sent.

    :param endpoint: method, path, weight and security of the call.
    :param params: the exchange's parameter names and values, in order
        (values are rendered by the signing module: Decimal fixed-point).
    """

    endpoint: Endpoint
    params: dict[str, object]


def rest_call(operation: str, **args: object) -> RestCall:
    """The endpoint and wire parameters for *operation* with *args*.

    ``None`` arguments are left out. Order placements always ask for the
    ``FULL`` response (fills included); cancels and lookups by client order id
    use ``origClientOrderId``.

    :raises ValueError: for an unknown operation or argument (a bug in the
        caller, not user input).
    """
    name = _OPERATIONS.get(operation)
    if name is None:
        raise ValueError(f"unknown REST operation {operation!r}")
    params: dict[str, object] = {}
    for key, value in args.items():
        if value is None:
            continue
        wire = _RENAMES.get(key)
        if wire is None:
            raise ValueError(f"unknown argument {key!r} for {operation}")
        if key == "client_order_id" and operation in ("cancel_order", "get_order"):
            wire = "origClientOrderId"
        params[wire] = value
    if operation == "place_order":
        params["newOrderRespType"] = "FULL"
    return RestCall(ENDPOINTS[name], params)


def timing_params(timestamp_ms: int, recv_window: int | float) -> dict[str, object]:
    """The timing parameters every signed request carries."""
    return {"recvWindow": recv_window, "timestamp": timestamp_ms}


def auth_headers(api_key: str) -> dict[str, str]:
    """The header that carries the API key."""
    return {"X-MBX-APIKEY": api_key}


def new_client_order_id() -> str:
    """A fresh client order id: ``cx-`` and 32 hex digits (35 characters)."""
    return CLIENT_ORDER_ID_PREFIX + uuid.uuid4().hex


def check_client_order_id(value: object, field: str = "client_order_id") -> str:
    """*value* if it is a valid client order id.

    :raises ValidationError: naming the field and the allowed pattern.
    """
    if not isinstance(value, str) or CLIENT_ORDER_ID_PATTERN.match(value) is None:
        raise ValidationError(
            f"{field}={value!r} is not valid: 1 to 36 characters from a-z, A-Z, 0-9, '-' and '_'",
            field=field,
            allowed=CLIENT_ORDER_ID_PATTERN.pattern,
        )
    return value


def is_duplicate_order(error: ExchangeError) -> bool:
    """Whether *error* says the client order id is already in use (the order
    was placed by an earlier attempt)."""
    return isinstance(error, OrderRejectedError) and "duplicate order" in error.message.lower()


def server_time_ms(payload: Any) -> int:
    """Milliseconds from ``GET /api/v3/time`` (``{"serverTime": ...}``).

    :raises ParseError: for anything else.
    """
    try:
        value = payload["serverTime"]
    except (KeyError, TypeError) as exc:
        raise ParseError("server time", f"{type(exc).__name__}: {exc}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParseError("server time", f"serverTime is not an integer: {value!r}")
    return value


def parser_for(operation: str) -> Callable[..., Any]:
    """The function that turns *operation*'s answer into models.

    Imported on first use (the parse module is the heaviest of the adapter).
    """
    module = importlib.import_module("cryptoex.exchanges.binance.rest_parse")
    parsers: Mapping[str, Callable[..., Any]] = module.PARSERS
    return parsers[operation]
