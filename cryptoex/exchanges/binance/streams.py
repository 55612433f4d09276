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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

import orjson

from cryptoex.enums import KlineInterval, coerce_enum
from cryptoex.errors import ValidationError

__all__ = [
    "DEPTH_LEVELS",
    "MAX_CONTROL_MESSAGES_PER_SECOND",
    "MAX_STREAMS_PER_CONNECTION",
    "STREAM_KINDS",
    "StreamKey",
    "combined_url",
    "control_message",
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


def combined_url(base_url: str, streams: Sequence[str] = ()) -> str:
    """The combined-stream URL on *base_url* (``.../stream?streams=a/b``).

    Stream names are percent-encoded where needed (``+`` in the UTC+8 kline
    variant); with no streams the connection starts empty and is fed with
    ``SUBSCRIBE``.
    """
    url = base_url.rstrip("/") + "/stream"
    if streams:
        url += "?streams=" + "/".join(quote(s, safe="@_!") for s in streams)
    return url


def control_message(method: str, request_id: int, params: Sequence[str] | None = None) -> str:
    """A JSON control frame: ``SUBSCRIBE``, ``UNSUBSCRIBE`` or
    ``LIST_SUBSCRIPTIONS``."""
    message: dict[str, object] = {"method": method}
    if params is not None:
        message["params"] = list(params)
    message["id"] = request_id
    return orjson.dumps(message).decode()
