"""Binance's user-data stream over the WebSocket API: the signed
``userDataStream.subscribe.signature`` request, ``userDataStream.unsubscribe``,
and the frames that come back (``user-data.md`` §2-4).

A WebSocket API connection carries two kinds of frames: answers to requests
(``{"id", "status", "result" | "error"}``) and events
(``{"subscriptionId": n, "event": {...}}``; ``serverShutdown`` comes as
``{"event": {...}}`` without a subscription). :func:`classify` tells them
apart; :func:`parse_event` turns an event into a model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from cryptoex.models._base import Model

__all__ = [
    "SUBSCRIBE_METHOD",
    "UNSUBSCRIBE_METHOD",
    "UserStreamEvent",
    "WsApiReply",
    "classify",
    "parse_event",
    "request",
    "subscribe_request",
    "unsubscribe_request",
]

#: Works with any key type, in any session (no ``session.logon`` needed).
SUBSCRIBE_METHOD: Final = "userDataStream.subscribe.signature"
#: Closes one subscription (authorization NONE since 2025-08).
UNSUBSCRIBE_METHOD: Final = "userDataStream.unsubscribe"
#: Event types -> the cryptoex kind (signal name) they are delivered as.
EVENT_KINDS: Final[Mapping[str, str]] = {
    "executionReport": "order_update",
    "balanceUpdate": "balance_update",
    "outboundAccountPosition": "account_update",
}


@dataclass(frozen=True)
class WsApiReply:
    """The answer to a WebSocket API request.

    :param id: the request's id.
    :param status: the HTTP-like status (200 on success).
    :param result: the result (success).
    :param response: the whole answer (for error mapping).
    """

    id: Any
    status: int | None
    result: Any = None
    response: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        """Whether the request succeeded."""
        return self.status == 200 and "error" not in self.response

    @property
    def subscription_id(self) -> int | None:
        """The ``subscriptionId`` of a successful subscribe, else ``None``."""
        result = self.result
        if isinstance(result, dict):
            value = result.get("subscriptionId")
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        return None


@dataclass(frozen=True)
class UserStreamEvent:
    """An event frame.

    :param subscription_id: the subscription that produced it (``None`` for
        connection-wide events such as ``serverShutdown``).
    :param kind: ``"data"`` (order, balance, account...), ``"terminated"``
        (the subscription ended: ``eventStreamTerminated``) or
        ``"shutdown"`` (the server is going away: reconnect).
    :param event_type: Binance's ``e`` (``"executionReport"``...).
    :param payload: the inner event.
    """

    subscription_id: int | None
    kind: str
    event_type: str
    payload: Mapping[str, Any] = field(repr=False)


def request(method: str, request_id: int, params: Mapping[str, object] | None = None) -> str:
    """A WebSocket API request frame."""
    message: dict[str, object] = {"id": request_id, "method": method}
    if params is not None:
        message["params"] = dict(params)
    return orjson.dumps(message).decode()


def subscribe_request(request_id: int, signed_params: Mapping[str, object]) -> str:
    """``userDataStream.subscribe.signature`` with *signed_params* (``apiKey``,
    ``timestamp``, ``recvWindow``, ``signature``). The frame is a credential
    for ``recvWindow``: never log it."""
    return request(SUBSCRIBE_METHOD, request_id, signed_params)


def unsubscribe_request(request_id: int, subscription_id: int) -> str:
    """``userDataStream.unsubscribe`` of one subscription."""
    return request(UNSUBSCRIBE_METHOD, request_id, {"subscriptionId": subscription_id})


def classify(message: Any) -> WsApiReply | UserStreamEvent | None:
    """What a decoded frame is: an answer, an event, or ``None`` (neither)."""
    if not isinstance(message, dict):
        return None
    event = message.get("event")
    if isinstance(event, dict):
        sub = message.get("subscriptionId")
        sub_id = sub if isinstance(sub, int) and not isinstance(sub, bool) else None
        event_type = event.get("e")
        name = event_type if isinstance(event_type, str) else ""
        if name == "eventStreamTerminated":
            kind = "terminated"
        elif name == "serverShutdown":
            kind = "shutdown"
        else:
            kind = "data"
        return UserStreamEvent(sub_id, kind, name, event)
    if "id" in message and "status" in message:
        status = message.get("status")
        return WsApiReply(
            id=message.get("id"),
            status=status if isinstance(status, int) else None,
            result=message.get("result"),
            response=message,
        )
    return None


def parse_event(event: UserStreamEvent, account: str) -> tuple[str, Model] | None:
    """``(kind, model)`` for a data event cryptoex delivers (order, balance
    and account updates), ``None`` for the others (``listStatus``,
    ``externalLockUpdate``: no signal carries them).

    :raises ParseError: for a malformed event.
    """
    kind = EVENT_KINDS.get(event.event_type)
    if kind is None:
        return None
    from cryptoex.exchanges.binance.parse import USER_EVENT_PARSERS  # the heavy module

    return kind, USER_EVENT_PARSERS[event.event_type](event.payload, account)
