"""Binance Spot: the pieces of the adapter, assembled in :class:`BinanceSpot`.

* :mod:`.endpoints` — base URLs (live, testnet), REST paths and weights, env vars
* :mod:`.streams` — stream names, the combined-stream URL, control messages
* :mod:`.parse` — payload -> model constructors (the hot path)
* :mod:`.signing` — HMAC-SHA256 request signing (REST and WebSocket API)
* :mod:`.errors` — error answers -> exception classes, as a table
* :mod:`.filters` — exchangeInfo -> SymbolInfo, order checks against filters
* :mod:`.limits` — rate-limit response headers
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from cryptoex._secrets import Secret
from cryptoex.enums import OrderType, Side
from cryptoex.errors import ExchangeError
from cryptoex.exchanges.binance import endpoints, errors, filters, signing, streams
from cryptoex.exchanges.binance.endpoints import Endpoint, Environment
from cryptoex.exchanges.binance.streams import ControlReply, StreamKey
from cryptoex.models.symbols import ExchangeInfo, SymbolInfo

__all__ = ["BINANCE_SPOT", "BinanceSpot"]


class BinanceSpot:
    """The Binance Spot adapter (see :class:`cryptoex.exchanges.base.Exchange`).

    Stateless: one shared instance, :data:`BINANCE_SPOT`, serves every client.
    """

    name = "binance"
    max_streams_per_connection = streams.MAX_STREAMS_PER_CONNECTION
    max_control_messages_per_second: float = streams.MAX_CONTROL_MESSAGES_PER_SECOND
    max_connection_age = 24 * 3600.0
    endpoints: Mapping[str, Endpoint] = endpoints.ENDPOINTS
    stream_envelope: tuple[str, str] = streams.ENVELOPE_KEYS
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

    def combined_url(self, base_url: str, streams_: Sequence[str] = ()) -> str:
        """See :func:`.streams.combined_url`."""
        return streams.combined_url(base_url, streams_)

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

    def stream_parsers(self) -> Mapping[str, Callable[..., Any]]:
        """Payload -> model constructors by stream kind (from :mod:`.parse`)."""
        # Imported on first use: the parse module is the heaviest of the adapter.
        module = importlib.import_module("cryptoex.exchanges.binance.parse")
        parsers: Mapping[str, Callable[..., Any]] = module.STREAM_PARSERS
        return parsers


#: The shared adapter instance.
BINANCE_SPOT: Final = BinanceSpot()
