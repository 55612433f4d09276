"""The WebSocket API at ``/ws-api/v3``: session methods and user-data subscriptions
(user-data.md §2-3), with its own request signing (sorted params, raw UTF-8)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from cryptoex.testing._auth import check_timing, find_account
from cryptoex.testing._errors import ApiError, mandatory
from cryptoex.testing._records import RecordedControl
from cryptoex.testing._signing import RawNumber, verify, ws_payload

if TYPE_CHECKING:
    from cryptoex.testing._accounts import Account
    from cryptoex.testing._ws import Hub, WsConn

_WEIGHT: Final = 2


def _number(text: str) -> RawNumber:
    return RawNumber(text)


def _plain(value: Any) -> Any:
    """A parsed id back to a JSON value (numbers were kept as text for signing)."""
    if isinstance(value, RawNumber):
        number = Decimal(value)
        return (
            int(number)
            if number == number.to_integral_value() and "." not in value
            else float(value)
        )
    return value


def _plain_deep(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain_deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_deep(v) for v in value]
    return _plain(value)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _signed_account(hub: Hub, params: dict[str, Any]) -> Account:
    """Verify a signed request's apiKey, timing and signature."""
    account = find_account(hub.core, _text(params.get("apiKey")))
    check_timing(hub.core, _text(params.get("timestamp")), _text(params.get("recvWindow")))
    signature = params.get("signature")
    if not isinstance(signature, str) or not signature:
        raise mandatory("signature")
    if not verify(account.secret, ws_payload(params), signature):
        raise ApiError(-1022, "Signature for this request is not valid.")
    return account


def _session(hub: Hub, conn: WsConn) -> dict[str, Any]:
    return {
        "apiKey": conn.session.api_key if conn.session else None,
        "authorizedSince": conn.authorized_since,
        "connectedSince": conn.connected_since,
        "returnRateLimits": conn.return_rate_limits,
        "serverTime": hub.core.clock.now_ms(),
        "userDataStream": bool(conn.subscriptions),
    }


def _terminate(hub: Hub, conn: WsConn, sub_id: int) -> None:
    hub.remove_user_subscription(conn, sub_id)
    if conn.session_subscription == sub_id:
        conn.session_subscription = None
    conn.send_json(
        {
            "subscriptionId": sub_id,
            "event": {"e": "eventStreamTerminated", "E": hub.core.clock.now_ms()},
        }
    )


def _subscribe(hub: Hub, conn: WsConn, account: Account) -> dict[str, Any]:
    if account in conn.subscriptions.values():
        raise ApiError(-2035, "User Data Stream subscription already active.")
    if conn.next_subscription >= 65_535:
        raise ApiError(-2042, "Maximum subscription ID reached for this connection.")
    return {"subscriptionId": hub.add_user_subscription(conn, account)}


def session_logon(hub: Hub, conn: WsConn, params: dict[str, Any]) -> Any:
    """``session.logon``: authenticate the connection (HMAC keys accepted, as the docs'
    own example is an HMAC signature).

    :returns: the session status.
    """
    account = _signed_account(hub, params)
    conn.session = account
    conn.authorized_since = hub.core.clock.now_ms()
    return _session(hub, conn)


def session_status(hub: Hub, conn: WsConn, params: dict[str, Any]) -> Any:
    """``session.status``.

    :returns: the session status.
    """
    return _session(hub, conn)


def session_logout(hub: Hub, conn: WsConn, params: dict[str, Any]) -> Any:
    """``session.logout``: forget the key; ends the logon-based subscription only.

    :returns: the session status.
    """
    if conn.session_subscription is not None:
        _terminate(hub, conn, conn.session_subscription)
    conn.session = None
    conn.authorized_since = None
    return _session(hub, conn)


def subscribe(hub: Hub, conn: WsConn, params: dict[str, Any]) -> Any:
    """``userDataStream.subscribe`` (needs ``session.logon``).

    :returns: ``{"subscriptionId": n}``.
    """
    if conn.session is None:
        raise ApiError(-1002, "You are not authorized to execute this request.", status=401)
    result = _subscribe(hub, conn, conn.session)
    conn.session_subscription = result["subscriptionId"]
    return result


def subscribe_signature(hub: Hub, conn: WsConn, params: dict[str, Any]) -> Any:
    """``userDataStream.subscribe.signature``.

    :returns: ``{"subscriptionId": n}``.
    """
    return _subscribe(hub, conn, _signed_account(hub, params))


def unsubscribe(hub: Hub, conn: WsConn, params: dict[str, Any]) -> Any:
    """``userDataStream.unsubscribe`` (one subscription, or all without ``subscriptionId``).

    :returns: ``{}``.
    """
    wanted = params.get("subscriptionId")
    if wanted is None:
        for sub_id in list(conn.subscriptions):
            _terminate(hub, conn, sub_id)
        return {}
    try:
        sub_id = int(str(wanted))
    except ValueError:
        raise ApiError(
            -1100,
            "Illegal characters found in parameter 'subscriptionId'; "
            "legal range is '^[0-9]{1,20}$'.",
        ) from None
    if sub_id not in conn.subscriptions:
        raise ApiError(-2036, "User Data Stream subscription not active.")
    _terminate(hub, conn, sub_id)
    return {}


def subscriptions(hub: Hub, conn: WsConn, params: dict[str, Any]) -> Any:
    """``session.subscriptions``.

    :returns: ``[{"subscriptionId": n}, ...]``.
    """
    return [{"subscriptionId": sub_id} for sub_id in sorted(conn.subscriptions)]


def ping(hub: Hub, conn: WsConn, params: dict[str, Any]) -> Any:
    """``ping``.

    :returns: ``{}``.
    """
    return {}


def server_time(hub: Hub, conn: WsConn, params: dict[str, Any]) -> Any:
    """``time``.

    :returns: ``{"serverTime": ms}``.
    """
    return {"serverTime": hub.core.clock.now_ms()}


METHODS: Final[dict[str, Callable[[Hub, WsConn, dict[str, Any]], Any]]] = {
    "session.logon": session_logon,
    "session.status": session_status,
    "session.logout": session_logout,
    "userDataStream.subscribe": subscribe,
    "userDataStream.subscribe.signature": subscribe_signature,
    "userDataStream.unsubscribe": unsubscribe,
    "session.subscriptions": subscriptions,
    "ping": ping,
    "time": server_time,
}


def _rate_limits(hub: Hub) -> list[dict[str, Any]]:
    return [
        {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": "MINUTE",
            "intervalNum": 1,
            "limit": hub.core.settings.request_weight_limit,
            "count": hub.core.limits.used_weight,
        }
    ]


def handle_request(hub: Hub, conn: WsConn, text: str) -> None:
    """Answer one WebSocket API request frame.

    :param hub: the websocket hub.
    :param conn: the connection it arrived on.
    :param text: the frame.
    """
    try:
        message = json.loads(text, parse_int=_number, parse_float=_number)
    except json.JSONDecodeError:
        hub.core.record_control(RecordedControl(conn.id, time.monotonic(), None, None, None, text))
        conn.send_json(
            {"id": None, "status": 400, "error": {"code": -1135, "msg": "Invalid JSON Request"}}
        )
        return
    if not isinstance(message, dict):
        message = {}
    ident = _plain(message.get("id"))
    method = message.get("method")
    params = message.get("params")
    hub.core.record_control(
        RecordedControl(
            conn.id,
            time.monotonic(),
            method if isinstance(method, str) else None,
            _plain_deep(params),
            ident,
            text,
        )
    )
    if params is None:
        params = {}
    want_limits = conn.return_rate_limits
    reply: dict[str, Any] = {"id": ident}
    try:
        if not isinstance(method, str) or not method:
            raise mandatory("method")
        if not isinstance(params, dict):
            raise ApiError(-1130, "Data sent for parameter 'params' is not valid.")
        override = params.get("returnRateLimits")
        if isinstance(override, bool):
            want_limits = override
        name = method.removeprefix("v3/")
        handler = METHODS.get(name)
        if handler is None:
            raise ApiError(-1020, "This operation is not supported.")
        hub.core.limits.check_ban()
        hub.core.limits.check_forced()
        hub.core.limits.charge(_WEIGHT)
        result = handler(hub, conn, params)
        reply["status"] = 200
        reply["result"] = result
    except ApiError as exc:
        reply["status"] = exc.status
        body: dict[str, Any] = {"code": exc.code, "msg": exc.msg}
        if exc.data:
            body["data"] = exc.data
        reply["error"] = body
    if want_limits:
        reply["rateLimits"] = _rate_limits(hub)
    conn.send_json(reply)
