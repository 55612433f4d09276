"""Binance market-stream names, URLs and control messages.

Stream names use the lowercase symbol and Binance's spelling of the stream
type: ``btcusdt@ticker``, ``btcusdt@miniTicker``, ``btcusdt@bookTicker``,
``btcusdt@trade``, ``btcusdt@aggTrade``, ``btcusdt@kline_1m``,
``btcusdt@depth10@100ms`` (partial book) and ``btcusdt@depth@100ms`` (diff).
cryptoex connects to the combined endpoint (``/stream``), where every frame is
``{"stream": name, "data": payload}``, and adds or removes streams live with
``SUBSCRIBE``/``UNSUBSCRIBE`` control messages.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

import orjson

from cryptoex.enums import KlineInterval, coerce_enum
from cryptoex.errors import ValidationError

__all__ = [
    "DEPTH_LEVELS",
    "ENVELOPE_KEYS",
    "EVENT_TIME_KEY",
    "MAX_CONTROL_MESSAGES_PER_SECOND",
    "MAX_STREAMS_PER_CONNECTION",
    "STREAM_KINDS",
    "TIME_UNITS",
    "ControlReply",
    "StreamKey",
    "check_time_unit",
    "combined_url",
    "control_message",
    "control_reply",
    "event_identity",
    "is_server_shutdown",
    "parse_stream_name",
    "stream_name",
]

#: Stream kinds cryptoex subscribes to, by their cryptoex name.
STREAM_KINDS: Final = (
    "ticker",
    "mini_ticker",
    "book_ticker",
    "trade",
    "agg_trade",
    "kline",
    "depth",
    "depth_update",
)
_SUFFIX: Final = {
    "ticker": "ticker",
    "mini_ticker": "miniTicker",
    "book_ticker": "bookTicker",
    "trade": "trade",
    "agg_trade": "aggTrade",
}
_KIND_BY_SUFFIX: Final = {v: k for k, v in _SUFFIX.items()}
#: Partial-book sizes Binance offers.
DEPTH_LEVELS: Final = (5, 10, 20)
#: Binance's stream limit per connection.
MAX_STREAMS_PER_CONNECTION: Final = 1024
#: Binance disconnects a connection that sends more than 5 messages a second
#: (pings, pongs and control messages all count).
MAX_CONTROL_MESSAGES_PER_SECOND: Final = 5
#: Timestamp units a stream connection can ask for, with milliseconds per
#: unit (``timeUnit=MICROSECOND`` in the URL; milliseconds by default).
TIME_UNITS: Final[Mapping[str, float]] = {"MILLISECOND": 1.0, "MICROSECOND": 0.001}
#: Keys of the combined-stream envelope ``{"stream": name, "data": payload}``.
ENVELOPE_KEYS: Final = ("stream", "data")
#: Payload key of the event time (milliseconds, or microseconds with
#: ``timeUnit=MICROSECOND``); ``bookTicker`` and partial-depth payloads have none.
EVENT_TIME_KEY: Final = "E"


@dataclass(frozen=True)
class StreamKey:
    """What one stream carries: the cryptoex kind, the uppercase symbol and the
    kind's parameter (kline interval, partial-depth levels)."""

    kind: str
    symbol: str
    interval: str | None = None
    levels: int | None = None
    fast: bool = False

    @property
    def name(self) -> str:
        """The Binance stream name."""
        return stream_name(
            self.kind, self.symbol, interval=self.interval, levels=self.levels, fast=self.fast
        )


def stream_name(
    kind: str,
    symbol: str,
    *,
    interval: str | KlineInterval | None = None,
    levels: int | None = None,
    fast: bool = False,
) -> str:
    """The Binance stream name for *kind* on *symbol*.

    :param interval: kline interval (``kline`` only; default ``"1m"``).
    :param levels: partial-book size 5, 10 or 20 (``depth`` only; default 10).
    :param fast: the 100 ms variant of ``depth``/``depth_update``.
    :raises ValidationError: for an unknown kind, interval or level count.
    """
    if not isinstance(symbol, str) or not symbol.strip():
        raise ValidationError(f"symbol must be a non-empty string, got {symbol!r}", field="symbol")
    sym = symbol.strip().lower()
    speed = "@100ms" if fast else ""
    if kind in _SUFFIX:
        return f"{sym}@{_SUFFIX[kind]}"
    if kind == "kline":
        value = coerce_enum(KlineInterval, interval or "1m", "interval").value
        return f"{sym}@kline_{value}"
    if kind == "depth":
        count = 10 if levels is None else levels
        if count not in DEPTH_LEVELS:
            raise ValidationError(
                f"levels={count!r} is not valid; allowed values: 5, 10, 20",
                field="levels",
                allowed="5, 10, 20",
            )
        return f"{sym}@depth{count}{speed}"
    if kind == "depth_update":
        return f"{sym}@depth{speed}"
    raise ValidationError(
        f"unknown stream kind {kind!r}; allowed: {', '.join(STREAM_KINDS)}",
        field="kind",
        allowed=", ".join(STREAM_KINDS),
    )


def parse_stream_name(name: str) -> StreamKey | None:
    """The :class:`StreamKey` of a Binance stream name, or ``None`` for a
    stream cryptoex does not model (``!miniTicker@arr``, ``!serverShutdown``)."""
    symbol, _, rest = name.partition("@")
    if not symbol or not rest or symbol.startswith("!"):
        return None
    parts = rest.split("@")
    head, fast = parts[0], parts[1:] == ["100ms"]
    sym = symbol.upper()
    if head in _KIND_BY_SUFFIX and len(parts) == 1:
        return StreamKey(_KIND_BY_SUFFIX[head], sym)
    if head.startswith("kline_") and len(parts) == 1:
        return StreamKey("kline", sym, interval=head[len("kline_") :])
    if head == "depth":
        return StreamKey("depth_update", sym, fast=fast)
    if head.startswith("depth") and head[5:].isdigit():
        return StreamKey("depth", sym, levels=int(head[5:]), fast=fast)
    return None


def combined_url(base_url: str, streams: Sequence[str] = (), time_unit: str = "MILLISECOND") -> str:
    """The combined-stream URL on *base_url* (``.../stream?streams=a/b``).

    Stream names are percent-encoded where needed (``+`` in the UTC+8 kline
    variant); with no streams the connection starts empty and is fed with
    ``SUBSCRIBE``. ``time_unit="MICROSECOND"`` asks for microsecond
    timestamps in every payload (``timeUnit=MICROSECOND``).

    :raises ValidationError: for a time unit other than :data:`TIME_UNITS`.
    """
    url = base_url.rstrip("/") + "/stream"
    query = []
    if streams:
        query.append("streams=" + "/".join(quote(s, safe="@_!") for s in streams))
    if check_time_unit(time_unit) != "MILLISECOND":
        query.append(f"timeUnit={time_unit}")
    return url + ("?" + "&".join(query) if query else "")


def check_time_unit(time_unit: str) -> str:
    """*time_unit* if it is one of :data:`TIME_UNITS`.

    :raises ValidationError: otherwise, naming the allowed values.
    """
    if time_unit not in TIME_UNITS:
        allowed = ", ".join(TIME_UNITS)
        raise ValidationError(
            f"time_unit={time_unit!r} is not valid; allowed values: {allowed}",
            field="time_unit",
            allowed=allowed,
        )
    return time_unit


def control_message(method: str, request_id: int, params: Sequence[str] | None = None) -> str:
    """A JSON control frame: ``SUBSCRIBE``, ``UNSUBSCRIBE`` or
    ``LIST_SUBSCRIPTIONS``."""
    message: dict[str, object] = {"method": method}
    if params is not None:
        message["params"] = list(params)
    message["id"] = request_id
    return orjson.dumps(message).decode()


@dataclass(frozen=True)
class ControlReply:
    """Binance's answer to a control message: ``{"result": null, "id": 1}``
    or an error ``{"code": 2, "msg": "...", "id": 1}`` (codes 0-3, see
    ``streams.md`` §4)."""

    id: Any
    result: Any = None
    error_code: int | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the request succeeded."""
        return self.error_code is None


def control_reply(message: Any) -> ControlReply | None:
    """The :class:`ControlReply` in a decoded frame, or ``None`` if the frame
    is something else (a stream event)."""
    if not isinstance(message, dict):
        return None
    if "code" in message and "msg" in message:
        code = message["code"]
        return ControlReply(
            id=message.get("id"),
            error_code=code if isinstance(code, int) else -1,
            error_message=str(message["msg"]),
        )
    if "id" in message and "result" in message:
        return ControlReply(id=message["id"], result=message["result"])
    return None


def is_server_shutdown(message: Any) -> bool:
    """Whether a decoded frame is Binance's ``serverShutdown`` notice, in the
    combined (``{"stream": "!serverShutdown", "data": {...}}``) or raw form."""
    if not isinstance(message, dict):
        return False
    data = message.get("data", message)
    return isinstance(data, dict) and data.get("e") == "serverShutdown"


def _kline_identity(p: Mapping[str, Any]) -> Hashable:
    k = p["k"]
    return (p["E"], k["t"], k["c"], k["v"], k["x"])


_IDENTITY: Final[Mapping[str, Callable[[Mapping[str, Any]], Hashable]]] = {
    # Streams with an exchange id: the id alone names the event.
    "trade": lambda p: p["t"],
    "agg_trade": lambda p: p["a"],
    "book_ticker": lambda p: p["u"],
    "depth_update": lambda p: (p["U"], p["u"]),
    # A partial book with the same lastUpdateId has the same content.
    "depth": lambda p: p["lastUpdateId"],
    # Periodic statistics: the event time, plus fields that change with any
    # trade, so two different events in one millisecond stay apart.
    "ticker": lambda p: (p["E"], p["L"], p["n"], p["c"]),
    "mini_ticker": lambda p: (p["E"], p["c"], p["v"]),
    "kline": _kline_identity,
}


def event_identity(kind: str) -> Callable[[Mapping[str, Any]], Hashable]:
    """A function naming one event of stream *kind* from its payload.

    Two connections carrying the same stream deliver the same events with
    the same identity; cryptoex uses it to deliver each event once while it
    switches from one connection to its replacement. The function raises
    ``KeyError``/``TypeError`` on a payload without the fields.

    :raises ValidationError: for an unknown kind.
    """
    try:
        return _IDENTITY[kind]
    except KeyError:
        raise ValidationError(
            f"unknown stream kind {kind!r}; allowed: {', '.join(STREAM_KINDS)}",
            field="kind",
            allowed=", ".join(STREAM_KINDS),
        ) from None
