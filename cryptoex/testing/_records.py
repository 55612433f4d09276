"""What the sandbox shows about itself: recorded requests, control messages, connections."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RecordedRequest:
    """One REST request as the sandbox received it, before any check ran.

    :param method: HTTP method (``"GET"``, ``"POST"``, ...).
    :param path: the URL path, e.g. ``"/api/v3/order"``.
    :param query: query-string parameters, decoded (the last value wins on repeats).
    :param body: form-body parameters, decoded (the last value wins on repeats).
    :param headers: request headers (names as sent).
    :param time: ``time.monotonic()`` when the request arrived.
    :param raw_query: the query string exactly as sent (still percent-encoded).
    :param raw_body: the body exactly as sent.
    """

    method: str
    path: str
    query: dict[str, str]
    body: dict[str, str]
    headers: dict[str, str]
    time: float
    raw_query: str = ""
    raw_body: bytes = b""

    @property
    def params(self) -> dict[str, str]:
        """Query and body parameters merged as Binance does (the query string wins).

        :returns: a new dict.
        """
        merged = dict(self.body)
        merged.update(self.query)
        return merged


@dataclass(frozen=True)
class RecordedControl:
    """One message received on a websocket connection (a stream control message
    such as ``SUBSCRIBE``, or a WebSocket API request).

    :param connection_id: the connection's id (see :class:`ConnectionInfo`).
    :param time: ``time.monotonic()`` when the message arrived.
    :param method: the ``method`` field, or ``None`` when the message was not a
        JSON object with a string method.
    :param params: the ``params`` field (``None`` when absent).
    :param id: the ``id`` field (``None`` when absent).
    :param raw: the message text as received.
    """

    connection_id: int
    time: float
    method: str | None
    params: Any
    id: Any
    raw: str = ""


@dataclass(frozen=True)
class ConnectionInfo:
    """A websocket connection that is open now.

    :param id: sandbox-wide connection number, starting at 1.
    :param kind: ``"stream"`` (market data) or ``"ws-api"`` (WebSocket API).
    :param path: the request path with its query string, e.g. ``"/stream?streams=btcusdt@trade"``.
    :param streams: the market streams it is subscribed to, in subscription order.
    :param opened_at: ``time.monotonic()`` when the handshake completed.
    :param combined: whether stream events are wrapped ``{"stream": ..., "data": ...}``.
    :param silenced: whether :meth:`Faults.silence <cryptoex.testing.Faults.silence>` muted it.
    :param subscriptions: WebSocket API user-data subscription ids (``ws-api`` only).
    """

    id: int
    kind: str
    path: str
    streams: tuple[str, ...]
    opened_at: float
    combined: bool = False
    silenced: bool = False
    subscriptions: tuple[int, ...] = field(default=())
