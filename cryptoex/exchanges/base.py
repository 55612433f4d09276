"""The exchange-adapter seam: everything the streaming and REST halves may ask
of an exchange.

``cryptoex.streaming`` and ``cryptoex.rest`` import no Binance module
directly; they hold an :class:`Exchange` (today always
:class:`cryptoex.exchanges.binance.BinanceSpot`). A second exchange is a new
package implementing this protocol, registered in :mod:`cryptoex.exchanges`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from cryptoex._secrets import Secret
    from cryptoex.enums import OrderType, Side
    from cryptoex.errors import ExchangeError
    from cryptoex.exchanges.binance.endpoints import Endpoint, Environment
    from cryptoex.exchanges.binance.rest_api import RestCall
    from cryptoex.exchanges.binance.streams import ControlReply, StreamKey
    from cryptoex.exchanges.binance.user_data import UserStreamEvent, WsApiReply
    from cryptoex.models._base import Model
    from cryptoex.models.symbols import ExchangeInfo, RateLimit, SymbolInfo

__all__ = ["Exchange"]


@runtime_checkable
class Exchange(Protocol):
    """What an exchange adapter provides (see :class:`~cryptoex.exchanges.binance.BinanceSpot`)."""

    #: Short name (``"binance"``), used in logs and the registry.
    name: str
    #: Streams one websocket connection may carry.
    max_streams_per_connection: int
    #: Incoming messages per second a connection may send before it is cut.
    max_control_messages_per_second: float
    #: Seconds after which the exchange closes a websocket connection.
    max_connection_age: float
    #: REST endpoints by name, with weights.
    endpoints: Mapping[str, Endpoint]
    #: Rate limits to assume until the exchange's own are known.
    default_rate_limits: tuple[RateLimit, ...]
    #: Largest receive window of signed requests, in milliseconds.
    max_recv_window_ms: int
    #: Keys of a multiplexed stream frame: (stream-name key, payload key).
    stream_envelope: tuple[str, str]
    #: Payload key of the event time, used for receive lag (``None``: none).
    event_time_key: str | None
    #: Timestamp units a stream connection may ask for -> milliseconds per unit.
    time_units: Mapping[str, float]

    def environment(
        self,
        testnet: bool = False,
        *,
        rest_url: str | None = None,
        ws_url: str | None = None,
        ws_api_url: str | None = None,
    ) -> Environment:
        """Base URLs for the live or test deployment, with overrides."""

    def stream_name(
        self,
        kind: str,
        symbol: str,
        *,
        interval: str | None = None,
        levels: int | None = None,
        fast: bool = False,
    ) -> str:
        """The exchange's name for a market stream."""

    def parse_stream_name(self, name: str) -> StreamKey | None:
        """What a stream name carries, or ``None`` if cryptoex does not model it."""

    def combined_url(
        self, base_url: str, streams: Sequence[str] = (), time_unit: str = "MILLISECOND"
    ) -> str:
        """URL of a multiplexed stream connection, with timestamps in *time_unit*."""

    def control_message(
        self, method: str, request_id: int, params: Sequence[str] | None = None
    ) -> str:
        """A live subscription control frame."""

    def control_reply(self, message: Any) -> ControlReply | None:
        """The reply to a control message in a decoded frame, or ``None``."""

    def is_server_shutdown(self, message: Any) -> bool:
        """Whether a decoded frame announces that the server is going away."""

    def event_identity(self, kind: str) -> Callable[[Mapping[str, Any]], Hashable]:
        """Payload -> identity of one event of *kind* (dedupe across connections)."""

    def signed_payload(self, secret: Secret, params: Mapping[str, object]) -> str:
        """Encoded and signed REST parameters, ready for the wire."""

    def encode_params(self, params: Mapping[str, object]) -> str:
        """Encoded unsigned REST parameters."""

    def sign_ws_params(self, secret: Secret, params: Mapping[str, object]) -> str:
        """Signature for WebSocket API request parameters."""

    def error_from_http(
        self, status: int, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
    ) -> ExchangeError:
        """The exception for an HTTP error answer."""

    def error_from_ws_api(
        self, response: Mapping[str, Any], *, now: datetime | None = None
    ) -> ExchangeError:
        """The exception for a WebSocket API error answer."""

    def parse_exchange_info(self, raw: Mapping[str, Any]) -> ExchangeInfo:
        """Symbols, filters and rate limits from the exchange's answer."""

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
        """Reject an order that breaks the symbol's filters."""

    def stream_parsers(self, time_unit: str = "MILLISECOND") -> Mapping[str, Callable[..., Any]]:
        """Payload -> model constructors by stream kind (the per-message hot path),
        for payloads whose timestamps are in *time_unit*."""

    # --- REST (used by cryptoex.rest) ---------------------------------------------------

    def rest_call(self, operation: str, **args: object) -> RestCall:
        """Endpoint and wire parameters for a REST operation named in cryptoex's
        vocabulary (``"place_order"``, ``client_order_id=``, ``start_ms=``)."""

    def parse_rest(self, operation: str, payload: Any, **context: object) -> Any:
        """The models in a REST operation's answer."""

    def max_limit(self, operation: str) -> int | None:
        """Largest ``limit`` per request of *operation*, if it has one."""

    def max_span_ms(self, operation: str) -> int | None:
        """Longest start..end span per request of *operation*, in ms, if bounded."""

    def timing_params(self, timestamp_ms: int, recv_window: int | float) -> dict[str, object]:
        """The timestamp parameters of a signed request."""

    def auth_headers(self, api_key: str) -> dict[str, str]:
        """Headers that carry the API key."""

    def new_client_order_id(self) -> str:
        """A fresh, valid client order id."""

    def check_client_order_id(self, value: object, field: str = "client_order_id") -> str:
        """*value* if it is a valid client order id, else ``ValidationError``."""

    def is_duplicate_order(self, error: ExchangeError) -> bool:
        """Whether *error* says the client order id was already used."""

    def rate_limit_usage(self, headers: Mapping[str, str]) -> tuple[dict[int, int], dict[int, int]]:
        """Used weight and order count by window seconds, from response headers."""

    def credentials_from_env(self, environ: Mapping[str, str] | None = None) -> tuple[str, str]:
        """``(api_key, api_secret)`` from the environment, or ``ConfigurationError``."""

    def env_testnet(self, environ: Mapping[str, str] | None = None) -> bool:
        """Whether the environment asks for the test deployment."""

    def sign_ws_request(
        self,
        api_key: str,
        secret: Secret,
        params: Mapping[str, object],
        *,
        timestamp_ms: int,
        recv_window: int | float | None = None,
    ) -> dict[str, object]:
        """Signed WebSocket API request parameters."""

    # --- user data over the WebSocket API (used by cryptoex.streaming.user_stream) ----

    def user_stream_subscribe(self, request_id: int, signed_params: Mapping[str, object]) -> str:
        """The request frame subscribing an account's user data, with the
        signed parameters of ``UserClient._sign_ws({})``."""

    def user_stream_unsubscribe(self, request_id: int, subscription_id: int) -> str:
        """The request frame ending one user-data subscription."""

    def user_stream_message(self, message: Any) -> WsApiReply | UserStreamEvent | None:
        """A decoded WebSocket API frame: an answer, an event, or ``None``."""

    def parse_user_event(self, event: UserStreamEvent, account: str) -> tuple[str, Model] | None:
        """``(kind, model)`` of a user-data event cryptoex delivers, else ``None``."""
