"""Market-stream control messages (SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS,
SET_PROPERTY, GET_PROPERTY) with Binance's replies and error templates (streams.md §4),
stream-name parsing, and the microsecond time transform."""

from __future__ import annotations

import json
import re
from typing import Any, Final

from cryptoex.testing._klines import INTERVALS

METHODS: Final = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")
_ID_TEXT: Final = re.compile(r"[A-Za-z0-9]{1,36}")
_STREAM: Final = re.compile(
    r"(?P<symbol>[^@/\s]+)@(?P<kind>trade|aggTrade|bookTicker|ticker|miniTicker|avgPrice|"
    r"depth(?P<levels>5|10|20)?(?P<fast>@100ms)?|kline_(?P<interval>[0-9]+[smhdwM])(?P<tz>@\+08:00)?)"
)

_TIME_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "trade": ("E", "T"),
    "aggTrade": ("E", "T"),
    "24hrTicker": ("E", "O", "C"),
    "24hrMiniTicker": ("E",),
    "depthUpdate": ("E",),
    "avgPrice": ("E", "T"),
    "kline": ("E",),
    "serverShutdown": ("E",),
    "executionReport": ("E", "T", "O", "W"),
    "outboundAccountPosition": ("E", "u"),
    "balanceUpdate": ("E", "T"),
    "eventStreamTerminated": ("E",),
}


def to_micros(payload: Any) -> Any:
    """The same event with its time fields in microseconds (``timeUnit=MICROSECOND``).

    :param payload: an event (or an array of events).
    :returns: a converted copy; payloads without times come back unchanged.
    """
    if isinstance(payload, list):
        return [to_micros(p) for p in payload]
    if not isinstance(payload, dict):
        return payload
    keys = _TIME_KEYS.get(payload.get("e", ""))
    if keys is None:
        return payload
    out = dict(payload)
    for key in keys:
        value = out.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            out[key] = value * 1000
    if out.get("e") == "kline":
        k = dict(out["k"])
        k["t"] *= 1000
        k["T"] *= 1000
        out["k"] = k
    return out


def parse_stream(name: str) -> dict[str, str] | None:
    """Recognise a market stream name.

    :param name: e.g. ``"btcusdt@depth20@100ms"``.
    :returns: its parts (``symbol``, ``kind``...), or ``None`` when the name is not a
        per-symbol stream the sandbox produces.
    """
    match = _STREAM.fullmatch(name)
    if match is None:
        return None
    parts = {k: v for k, v in match.groupdict().items() if v is not None}
    interval = parts.get("interval")
    if interval is not None and interval not in INTERVALS:
        return None
    return parts


def valid_id(value: Any) -> bool:
    """Whether a control message ``id`` is acceptable (64-bit signed int, alphanumeric
    string of at most 36 characters, or null).

    :param value: the ``id`` field.
    :returns: validity.
    """
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    return isinstance(value, str) and bool(_ID_TEXT.fullmatch(value))


def error(code: int, msg: str, ident: Any = ...) -> dict[str, Any]:
    """A control error reply (streams.md §4 templates).

    :param code: 0-3.
    :param msg: the message.
    :param ident: the request id, when the template carries one.
    :returns: the reply.
    """
    out: dict[str, Any] = {"code": code, "msg": msg}
    if ident is not ...:
        out["id"] = ident
    return out


class ControlError(Exception):
    """A control message Binance would answer with an error template."""

    def __init__(self, reply: dict[str, Any]) -> None:
        super().__init__(reply["msg"])
        self.reply = reply


def parse_control(text: str) -> tuple[str, Any, Any]:
    """Validate one control message.

    :param text: the frame's text.
    :returns: ``(method, params, id)``.
    :raises ControlError: with Binance's error reply.
    """
    try:
        message = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ControlError(
            error(3, f"Invalid JSON: expected value at line {exc.lineno} column {exc.colno}")
        ) from None
    if not isinstance(message, dict) or "method" not in message:
        raise ControlError(
            error(2, f"Invalid request: missing field `method` at line 1 column {len(text)}")
        )
    method = message["method"]
    if "id" not in message or not valid_id(message["id"]):
        raise ControlError(error(2, "Invalid request: request ID must be an unsigned integer"))
    if method not in METHODS:
        shown = json.dumps(method) if not isinstance(method, str) else f"`{method}`"
        column = (
            text.find(str(method)) + len(str(method)) + 1 if isinstance(method, str) else len(text)
        )
        raise ControlError(
            error(
                2,
                f"Invalid request: unknown variant {shown}, expected one of `SUBSCRIBE`, "
                f"`UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY` at line 1 "
                f"column {column}",
            )
        )
    return method, message.get("params"), message["id"]


def stream_params(params: Any) -> list[str]:
    """The stream names of a SUBSCRIBE / UNSUBSCRIBE.

    :param params: the ``params`` field.
    :returns: the names.
    :raises ControlError: when params is not an array of strings.
    """
    if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
        raise ControlError(error(2, "Invalid request: params must be an array of stream names"))
    return list(params)


def property_params(method: str, params: Any, ident: Any) -> tuple[str, bool | None]:
    """The property name (and value) of SET_PROPERTY / GET_PROPERTY.

    :param method: ``"SET_PROPERTY"`` or ``"GET_PROPERTY"``.
    :param params: the ``params`` field.
    :param ident: the request id (the unknown-property template echoes it).
    :returns: ``(name, value or None)``.
    :raises ControlError: Binance's templates for each mistake.
    """
    expected = 2 if method == "SET_PROPERTY" else 1
    if params is None:
        params = []
    if not isinstance(params, list):
        raise ControlError(error(2, "Invalid request: property name must be a string"))
    if len(params) > expected:
        raise ControlError(error(2, "Invalid request: too many parameters"))
    if not params or not isinstance(params[0], str):
        raise ControlError(error(2, "Invalid request: property name must be a string"))
    if params[0] != "combined":
        raise ControlError(error(0, "Unknown property", ident))
    if method == "GET_PROPERTY":
        return "combined", None
    if len(params) < 2 or not isinstance(params[1], bool):
        raise ControlError(error(1, "Invalid value type: expected Boolean"))
    return "combined", params[1]
