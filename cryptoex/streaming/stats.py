"""Counters behind :meth:`cryptoex.StreamManager.stats` and the immutable snapshot it
returns.

The live counters are plain attributes on the per-stream route and on each
connection, written only by the thread that owns them (the connection's
reader thread) and read racily by :meth:`~StreamManager.stats`: an int or
float attribute store is atomic under the GIL, so a snapshot may be a message
behind but is never torn. That keeps the per-message cost to a few attribute
updates. Receive lag is kept in a fixed ring of recent samples
(:class:`LagRing`) and turned into percentiles only when a snapshot is taken.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from typing import Any, Final

__all__ = [
    "LAG_MASK",
    "LAG_SAMPLES",
    "ConnectionStats",
    "LagRing",
    "Stats",
    "StreamStats",
    "wall_time",
]

#: Lag samples kept per stream and per connection for the percentiles (a
#: power of two: the ring index is ``count & LAG_MASK``).
LAG_SAMPLES: Final = 1024
LAG_MASK: Final = LAG_SAMPLES - 1


class LagRing:
    """The last :data:`LAG_SAMPLES` receive-lag samples (milliseconds) and the
    largest ever seen.

    The reader thread records a sample per message that carries an event
    time: a store, an increment and a comparison (inlined in
    :meth:`Route.deliver <cryptoex.streaming.dispatch.Route.deliver>`;
    :meth:`add` does the same).
    """

    __slots__ = ("count", "max", "samples")

    def __init__(self) -> None:
        self.samples: list[float] = [0.0] * LAG_SAMPLES
        self.count = 0
        #: Largest sample ever (``-inf`` until the first).
        self.max = float("-inf")

    def add(self, lag_ms: float) -> None:
        """Record one sample."""
        self.samples[self.count & LAG_MASK] = lag_ms
        self.count += 1
        if lag_ms > self.max:
            self.max = lag_ms

    def recent(self, n: int = LAG_SAMPLES) -> list[float]:
        """Up to *n* of the most recent samples (unordered)."""
        count = min(self.count, LAG_SAMPLES)
        if count <= n:
            return self.samples[:count]
        end = self.count & LAG_MASK
        picked = self.samples[max(0, end - n) : end]
        if len(picked) < n:
            picked += self.samples[LAG_SAMPLES - (n - len(picked)) :]
        return picked

    @classmethod
    def merged(cls, rings: Iterable[LagRing], per_ring: int = 256) -> LagRing:
        """A ring holding recent samples of several rings (a connection's
        lag from its streams'), and the largest of their maxima."""
        out = cls()
        samples: list[float] = []
        for ring in rings:
            samples.extend(ring.recent(per_ring))
            out.max = max(out.max, ring.max)
        samples = samples[-LAG_SAMPLES:]
        out.samples[: len(samples)] = samples
        out.count = len(samples)
        return out

    def percentiles(self) -> tuple[float | None, float | None, float | None]:
        """``(p50, p99, max)`` over the recent samples (``None`` when empty)."""
        n = min(self.count, LAG_SAMPLES)
        if n == 0:
            return None, None, None
        ordered = sorted(self.samples[:n])
        return _rank(ordered, 0.50), _rank(ordered, 0.99), max(self.max, ordered[-1])


def _rank(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of a sorted, non-empty list."""
    index = min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.5) - 1))
    return ordered[index]


class _Record(Mapping[str, Any]):
    """Read a snapshot record as attributes (``s.messages``) or as a mapping
    (``s["messages"]``, ``dict(s)``)."""

    def __getitem__(self, key: str) -> Any:
        if key in self._names():
            return getattr(self, key)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def _names(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self))  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        """A plain ``dict`` copy."""
        return asdict(self)  # type: ignore[call-overload, no-any-return]


@dataclass(frozen=True)
class StreamStats(_Record):
    """Figures for one stream (one ``stats()`` entry keyed by stream name).

    Times in ``*_ms`` are milliseconds; receive lag is local receive time
    minus the event time the exchange put in the message, so it includes
    network delay, clock skew and any backlog a slow callback built up in
    the socket. Streams whose payloads carry no event time (``bookTicker``,
    partial depth) have no lag of their own: read their connection's lag.
    """

    #: Stream name (``"btcusdt@ticker"``).
    stream: str
    #: Stream kind (``"ticker"``).
    kind: str
    #: Uppercase symbol.
    symbol: str
    #: Name of the connection carrying it (``"cryptoex-ws-0"``), if any.
    connection: str | None
    #: Active subscriptions sharing the stream.
    subscribers: int
    #: Messages delivered (parsed and handed to the callbacks).
    messages: int
    #: When the last message was received (aware UTC), or ``None``.
    last_message_at: datetime | None
    #: Times the stream was resubscribed after its connection dropped.
    reconnects: int
    #: Messages that could not be parsed (counted, logged, skipped).
    parse_errors: int
    #: Callback invocations that raised (logged and sent on ``callback_error``).
    callback_errors: int
    #: Messages received twice during a connection switch-over and delivered once.
    duplicates: int
    #: Messages received but not delivered (parse errors); never silent: logged too.
    dropped: int
    #: Messages waiting for dispatch: always 0, callbacks run on the reader thread.
    queued: int
    #: Median receive lag over recent messages, milliseconds.
    lag_ms_p50: float | None
    #: 99th-percentile receive lag over recent messages, milliseconds.
    lag_ms_p99: float | None
    #: Largest receive lag seen, milliseconds.
    lag_ms_max: float | None


@dataclass(frozen=True)
class ConnectionStats(_Record):
    """Figures for one websocket connection (one ``stats()`` entry keyed by
    connection name)."""

    #: Connection (and reader thread) name, ``"cryptoex-ws-N"``.
    name: str
    #: ``"connecting"``, ``"open"``, ``"backoff"`` or ``"closed"``.
    state: str
    #: Streams the connection carries (or is subscribing to).
    streams: int
    #: Data frames received over its whole life.
    messages: int
    #: When the last frame (data, ping or pong) was received, or ``None``.
    last_message_at: datetime | None
    #: Successful reconnects after a drop.
    reconnects: int
    #: Connection attempts that failed (refused handshake, network error).
    failed_attempts: int
    #: Control messages (subscribe/unsubscribe) sent.
    control_messages: int
    #: Frames that were not a stream event nor a control reply (counted, logged).
    unknown_messages: int
    #: Events of streams unsubscribed a moment before (expected, not an error).
    unrouted: int
    #: Frames that were not valid JSON (counted, logged).
    parse_errors: int
    #: When the current socket opened (aware UTC), or ``None``.
    connected_at: datetime | None
    #: Median receive lag over recent messages on this connection, milliseconds.
    lag_ms_p50: float | None
    #: 99th-percentile receive lag, milliseconds.
    lag_ms_p99: float | None
    #: Largest receive lag seen, milliseconds.
    lag_ms_max: float | None


class Stats(Mapping[str, Any]):
    """Snapshot returned by :meth:`cryptoex.StreamManager.stats`: a mapping keyed by
    stream name (``"btcusdt@ticker"`` -> :class:`StreamStats`) and by
    connection name (``"cryptoex-ws-0"`` -> :class:`ConnectionStats`).

    The two halves are also available on their own as :attr:`streams` and
    :attr:`connections` (and as ``snapshot["streams"]`` /
    ``snapshot["connections"]``). Immutable; take a new one to see changes.
    """

    def __init__(
        self,
        streams: Mapping[str, StreamStats],
        connections: Mapping[str, ConnectionStats],
        taken_at: datetime,
    ) -> None:
        #: Per-stream figures by stream name.
        self.streams: Mapping[str, StreamStats] = dict(streams)
        #: Per-connection figures by connection name.
        self.connections: Mapping[str, ConnectionStats] = dict(connections)
        #: When the snapshot was taken (aware UTC).
        self.taken_at = taken_at
        self._all: dict[str, StreamStats | ConnectionStats] = {
            **self.streams,
            **self.connections,
        }

    def __getitem__(self, key: str) -> Any:
        if key == "streams":
            return self.streams
        if key == "connections":
            return self.connections
        return self._all[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dicts: ``{"streams": {...}, "connections": {...}}``."""
        return {
            "streams": {k: v.to_dict() for k, v in self.streams.items()},
            "connections": {k: v.to_dict() for k, v in self.connections.items()},
        }

    def __repr__(self) -> str:
        return (
            f"<Stats {len(self.streams)} streams, {len(self.connections)} connections"
            f" at {self.taken_at.isoformat()}>"
        )


def wall_time(seconds: float | None) -> datetime | None:
    """Aware UTC datetime for wall-clock *seconds* since the epoch, or ``None``."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, tz=timezone.utc)
