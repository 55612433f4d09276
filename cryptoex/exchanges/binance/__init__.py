"""Binance Spot: the pieces of the adapter, assembled in :class:`BinanceSpot`.

* :mod:`.endpoints` — base URLs (live, testnet), REST paths and weights, env vars
* :mod:`.streams` — stream names, the combined-stream URL, control messages
* :mod:`.parse` — payload -> model constructors (the hot path)
* :mod:`.signing` — HMAC-SHA256 request signing (REST and WebSocket API)
* :mod:`.errors` — error answers -> exception classes, as a table
* :mod:`.filters` — exchangeInfo -> SymbolInfo, order checks against filters
* :mod:`.limits` — rate-limit response headers
* :mod:`.rest_api` — REST operations -> endpoint + wire parameters, client order ids
* :mod:`.rest_parse` — REST answers -> models
* :mod:`.user_data` — user-data subscription requests and frames (WebSocket API)
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import FunctionType, MappingProxyType, ModuleType
from typing import Any, Final

from cryptoex._secrets import Secret
from cryptoex.enums import OrderType, Side
from cryptoex.errors import ExchangeError
from cryptoex.exchanges.binance import (
    endpoints,
    errors,
    filters,
    limits,
    rest_api,
    signing,
    streams,
    user_data,
)
from cryptoex.exchanges.binance.endpoints import Endpoint, Environment
from cryptoex.exchanges.binance.rest_api import RestCall
from cryptoex.exchanges.binance.streams import ControlReply, StreamKey
from cryptoex.exchanges.binance.user_data import UserStreamEvent, WsApiReply
from cryptoex.models._base import Model
from cryptoex.models.symbols import ExchangeInfo, RateLimit, SymbolInfo

__all__ = ["BINANCE_SPOT", "BinanceSpot"]

_DEFAULT_RATE_LIMITS: Final[tuple[RateLimit, ...]] = (
    RateLimit(
        rate_limit_type="REQUEST_WEIGHT",
        interval="MINUTE",
        interval_num=1,
        limit=endpoints.DEFAULT_REQUEST_WEIGHT_PER_MINUTE,
    ),
    RateLimit(
        rate_limit_type="RAW_REQUESTS",
        interval="MINUTE",
        interval_num=5,
        limit=endpoints.DEFAULT_RAW_REQUESTS_PER_5M,
    ),
    RateLimit(
        rate_limit_type="ORDERS",
        interval="SECOND",
        interval_num=10,
        limit=endpoints.DEFAULT_ORDERS_PER_10S,
    ),
    RateLimit(
        rate_limit_type="ORDERS",
        interval="DAY",
        interval_num=1,
        limit=endpoints.DEFAULT_ORDERS_PER_DAY,
    ),
)
_MAX_RECV_WINDOW_MS: Final = endpoints.MAX_RECV_WINDOW_MS


class BinanceSpot:
    """The Binance Spot adapter (see :class:`cryptoex.exchanges.base.Exchange`).

    Stateless: one shared instance, :data:`BINANCE_SPOT`, serves every client.
    """

    name = "binance"
    max_streams_per_connection = streams.MAX_STREAMS_PER_CONNECTION
    max_control_messages_per_second: float = streams.MAX_CONTROL_MESSAGES_PER_SECOND
    max_connection_age = 24 * 3600.0
    endpoints: Mapping[str, Endpoint] = endpoints.ENDPOINTS
    #: Limits to assume until ``exchangeInfo`` was read (rest.md §2).
    default_rate_limits: tuple[RateLimit, ...] = _DEFAULT_RATE_LIMITS
    #: Largest ``recvWindow`` the exchange accepts, in milliseconds.
    max_recv_window_ms: int = _MAX_RECV_WINDOW_MS
    stream_envelope: tuple[str, str] = streams.ENVELOPE_KEYS
    time_units: Mapping[str, float] = streams.TIME_UNITS
    event_time_key: str | None = streams.EVENT_TIME_KEY

    def environment(
        self,
        testnet: bool = False,
        *,
        rest_url: str | None = None,
        ws_url: str | None = None,
        ws_api_url: str | None = None,
    ) -> Environment:
        """Base URLs; see :func:`.endpoints.resolve_environment`."""
        return endpoints.resolve_environment(
            testnet, rest_url=rest_url, ws_url=ws_url, ws_api_url=ws_api_url
        )

    def stream_name(
        self,
        kind: str,
        symbol: str,
        *,
        interval: str | None = None,
        levels: int | None = None,
        fast: bool = False,
    ) -> str:
        """See :func:`.streams.stream_name`."""
        return streams.stream_name(kind, symbol, interval=interval, levels=levels, fast=fast)

    def parse_stream_name(self, name: str) -> StreamKey | None:
        """See :func:`.streams.parse_stream_name`."""
        return streams.parse_stream_name(name)

    def combined_url(
        self, base_url: str, streams_: Sequence[str] = (), time_unit: str = "MILLISECOND"
    ) -> str:
        """See :func:`.streams.combined_url`."""
        return streams.combined_url(base_url, streams_, time_unit)

    def control_message(
        self, method: str, request_id: int, params: Sequence[str] | None = None
    ) -> str:
        """See :func:`.streams.control_message`."""
        return streams.control_message(method, request_id, params)

    def control_reply(self, message: Any) -> ControlReply | None:
        """See :func:`.streams.control_reply`."""
        return streams.control_reply(message)

    def is_server_shutdown(self, message: Any) -> bool:
        """See :func:`.streams.is_server_shutdown`."""
        return streams.is_server_shutdown(message)

    def event_identity(self, kind: str) -> Callable[[Mapping[str, Any]], Hashable]:
        """See :func:`.streams.event_identity`."""
        return streams.event_identity(kind)

    def signed_payload(self, secret: Secret, params: Mapping[str, object]) -> str:
        """See :func:`.signing.signed_payload`."""
        return signing.signed_payload(secret, params)

    def encode_params(self, params: Mapping[str, object]) -> str:
        """See :func:`.signing.encode_params`."""
        return signing.encode_params(params)

    def sign_ws_params(self, secret: Secret, params: Mapping[str, object]) -> str:
        """See :func:`.signing.sign_ws_params`."""
        return signing.sign_ws_params(secret, params)

    def error_from_http(
        self, status: int, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> ExchangeError:
        """See :func:`.errors.error_from_http`."""
        return errors.error_from_http(status, body, headers, now=now)

    def error_from_ws_api(
        self, response: Mapping[str, Any], *, now: datetime | None = None
    ) -> ExchangeError:
        """See :func:`.errors.error_from_ws_api`."""
        return errors.error_from_ws_api(response, now=now)

    def parse_exchange_info(self, raw: Mapping[str, Any]) -> ExchangeInfo:
        """See :func:`.filters.parse_exchange_info`."""
        return filters.parse_exchange_info(raw)

    def validate_order(
        self,
        info: SymbolInfo,
        *,
        side: Side,
        order_type: OrderType,
        quantity: Decimal | None = None,
        price: Decimal | None = None,
        quote_quantity: Decimal | None = None,
        stop_price: Decimal | None = None,
        iceberg_quantity: Decimal | None = None,
        reference_price: Decimal | None = None,
    ) -> None:
        """See :func:`.filters.validate_order`."""
        filters.validate_order(
            info,
            side=side,
            order_type=order_type,
            quantity=quantity,
            price=price,
            quote_quantity=quote_quantity,
            stop_price=stop_price,
            iceberg_quantity=iceberg_quantity,
            reference_price=reference_price,
        )

    # --- REST -----------------------------------------------------------------------

    def rest_call(self, operation: str, **args: object) -> RestCall:
        """See :func:`.rest_api.rest_call`."""
        return rest_api.rest_call(operation, **args)

    def parse_rest(self, operation: str, payload: Any, **context: object) -> Any:
        """The models in *operation*'s answer (see :mod:`.rest_parse`).

        :param context: what the answer itself lacks (``symbol=`` and
            ``interval=`` for klines).
        :raises ParseError: for a malformed answer.
        """
        if operation == "server_time":
            return rest_api.server_time_ms(payload)
        return rest_api.parser_for(operation)(payload, **context)

    def max_limit(self, operation: str) -> int | None:
        """Largest ``limit`` *operation* accepts per request (``None``: no limit)."""
        return rest_api.OPERATION_MAX_LIMITS.get(operation)

    def max_span_ms(self, operation: str) -> int | None:
        """Longest start..end span *operation* accepts per request, in ms."""
        return rest_api.OPERATION_MAX_SPANS_MS.get(operation)

    def timing_params(self, timestamp_ms: int, recv_window: int | float) -> dict[str, object]:
        """See :func:`.rest_api.timing_params`."""
        return rest_api.timing_params(timestamp_ms, recv_window)

    def auth_headers(self, api_key: str) -> dict[str, str]:
        """See :func:`.rest_api.auth_headers`."""
        return rest_api.auth_headers(api_key)

    def new_client_order_id(self) -> str:
        """See :func:`.rest_api.new_client_order_id`."""
        return rest_api.new_client_order_id()

    def check_client_order_id(self, value: object, field: str = "client_order_id") -> str:
        """See :func:`.rest_api.check_client_order_id`."""
        return rest_api.check_client_order_id(value, field)

    def is_duplicate_order(self, error: ExchangeError) -> bool:
        """See :func:`.rest_api.is_duplicate_order`."""
        return rest_api.is_duplicate_order(error)

    def rate_limit_usage(self, headers: Mapping[str, str]) -> tuple[dict[int, int], dict[int, int]]:
        """``(used weight, order count)`` by window seconds from response headers."""
        return limits.used_weights(headers), limits.order_counts(headers)

    def credentials_from_env(self, environ: Mapping[str, str] | None = None) -> tuple[str, str]:
        """See :func:`.endpoints.credentials_from_env`."""
        return endpoints.credentials_from_env(environ)

    def env_testnet(self, environ: Mapping[str, str] | None = None) -> bool:
        """See :func:`.endpoints.env_testnet`."""
        return endpoints.env_testnet(environ)

    def sign_ws_request(
        self,
        api_key: str,
        secret: Secret,
        params: Mapping[str, object],
        *,
        timestamp_ms: int,
        recv_window: int | float | None = None,
    ) -> dict[str, object]:
        """WebSocket API request params with ``apiKey``, ``timestamp`` (and
        ``recvWindow``) added and signed (``signature`` last)."""
        signed: dict[str, object] = {**params, "apiKey": api_key, "timestamp": timestamp_ms}
        if recv_window is not None:
            signed["recvWindow"] = recv_window
        signed["signature"] = signing.sign_ws_params(secret, signed)
        return signed

    def stream_parsers(self, time_unit: str = "MILLISECOND") -> Mapping[str, Callable[..., Any]]:
        """Payload -> model constructors by stream kind (from :mod:`.parse`),
        for payloads with timestamps in *time_unit* (see
        :data:`.streams.TIME_UNITS`)."""
        streams.check_time_unit(time_unit)
        # Imported on first use: the parse module is the heaviest of the adapter.
        module = importlib.import_module("cryptoex.exchanges.binance.parse")
        parsers: Mapping[str, Callable[..., Any]] = module.STREAM_PARSERS
        if time_unit == "MICROSECOND":
            return _microsecond_parsers(module)
        return parsers

    # --- user data over the WebSocket API -------------------------------------------

    def user_stream_subscribe(self, request_id: int, signed_params: Mapping[str, object]) -> str:
        """See :func:`.user_data.subscribe_request`."""
        return user_data.subscribe_request(request_id, signed_params)

    def user_stream_unsubscribe(self, request_id: int, subscription_id: int) -> str:
        """See :func:`.user_data.unsubscribe_request`."""
        return user_data.unsubscribe_request(request_id, subscription_id)

    def user_stream_message(self, message: Any) -> WsApiReply | UserStreamEvent | None:
        """See :func:`.user_data.classify`."""
        return user_data.classify(message)

    def parse_user_event(self, event: UserStreamEvent, account: str) -> tuple[str, Model] | None:
        """See :func:`.user_data.parse_event`."""
        return user_data.parse_event(event, account)


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND: Final = timedelta(microseconds=1)


def _from_us(us: int) -> datetime:
    """Aware UTC datetime for *us* microseconds since the epoch (exact)."""
    return _EPOCH + us * _MICROSECOND


@functools.cache
def _microsecond_parsers(module: ModuleType) -> Mapping[str, Callable[..., Any]]:
    """The stream parsers of *module* for ``timeUnit=MICROSECOND`` payloads.

    The parse module turns every timestamp into a datetime through its
    module-global ``from_ms``. Rather than pass a unit through every parser
    (a cost on every message) or keep a second copy of them, its functions
    are rebound once to a copy of its namespace in which ``from_ms`` reads
    microseconds: the same code, exact to the microsecond, no per-message
    cost. Only functions defined in that module are rebound; its generated
    model constructors never read the time.
    """
    namespace = dict(vars(module))
    namespace["from_ms"] = _from_us
    for name, value in list(namespace.items()):
        if isinstance(value, FunctionType) and value.__globals__ is vars(module):
            rebound = FunctionType(
                value.__code__, namespace, value.__name__, value.__defaults__, value.__closure__
            )
            rebound.__kwdefaults__ = value.__kwdefaults__
            rebound.__qualname__ = value.__qualname__
            namespace[name] = rebound
    return MappingProxyType(
        {kind: namespace[fn.__name__] for kind, fn in module.STREAM_PARSERS.items()}
    )


#: The shared adapter instance.
BINANCE_SPOT: Final = BinanceSpot()
