"""From a decoded stream payload to the callbacks: parse, remember the latest,
hand to internal consumers, call each receiver in isolation, report failures.

Each subscribed stream has one :class:`Route`, built once at subscribe time
with everything the per-message path needs (parser, symbol, signal,
callbacks as a tuple), so delivering a message is: parse, a few counter
updates, one store for :meth:`~StreamManager.latest`, and a loop over the
receivers. Everything runs on the connection's reader thread (see
``docs/threading.rst``).

Callbacks never hurt each other: every receiver is called inside its own
``try``; a failure is logged with its traceback (the first few per callback,
then a count), counted in ``stats()`` and sent on
:data:`cryptoex.signals.callback_error`. blinker's own ``send`` would stop
at the first receiver that raises, so it is not used for delivery.

While a connection is being replaced (``serverShutdown``, the 24 h cut-off),
a stream's messages arrive on both connections for a moment. A
:class:`Handover` makes each event reach the callbacks exactly once and in
order; see its docstring.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Any, Final, Protocol

import orjson
from blinker import NamedSignal, Signal

from cryptoex import signals
from cryptoex.streaming.stats import LAG_MASK, LagRing

if TYPE_CHECKING:
    from cryptoex.streaming.connection import Connection

__all__ = [
    "Handover",
    "LogThrottle",
    "Reporter",
    "Route",
    "StreamConsumer",
    "UserCallback",
    "frame_handler",
]

logger = logging.getLogger(__name__)

#: Full tracebacks logged per failing callback before switching to counts.
TRACEBACKS_PER_CALLBACK: Final = 5
#: Seconds between "still failing" summaries after that.
SUMMARY_INTERVAL: Final = 60.0
#: Identities of delivered events remembered per stream during a switch-over.
HANDOVER_MEMORY: Final = 4096


class StreamConsumer(Protocol):
    """An internal subscriber of one stream (the local order book is one).

    Consumers run on the reader thread *before* user callbacks, in delivery
    order, exactly once per event (also across a connection switch-over).
    They must not block. Exceptions are logged and counted, never raised.
    """

    def on_event(self, event: Any) -> None:
        """One parsed model of the stream."""

    def on_stream_lost(self, stream: str, reason: str) -> None:
        """The stream's connection dropped: events may be missing from here
        until :meth:`on_stream_restored` (a book must resync)."""

    def on_stream_restored(self, stream: str) -> None:
        """The stream was resubscribed on a new socket; events follow."""


class LogThrottle:
    """Log the first few occurrences of a repeated failure in full, then a
    count every :data:`SUMMARY_INTERVAL` seconds, so a callback that raises
    on every message cannot flood the log or slow the reader down."""

    def __init__(self, full: int = TRACEBACKS_PER_CALLBACK, every: float = SUMMARY_INTERVAL):
        self._full = full
        self._every = every
        self._lock = threading.Lock()
        self._state: dict[Hashable, list[float]] = {}

    def check(self, key: Hashable) -> tuple[bool, int]:
        """``(log_in_full, suppressed_since_last_log)`` for one occurrence."""
        now = time.monotonic()
        with self._lock:
            # [occurrences, suppressed, last_logged_at]
            entry = self._state.setdefault(key, [0.0, 0.0, 0.0])
            entry[0] += 1
            if entry[0] <= self._full or now - entry[2] >= self._every:
                suppressed = int(entry[1])
                entry[1] = 0.0
                entry[2] = now
                return True, suppressed
            entry[1] += 1
            return False, 0


class Reporter:
    """Reports a failing callback: log (throttled), then ``callback_error``.

    :param owner: the sender of ``callback_error`` (the ``StreamManager``).
    """

    def __init__(self, owner: Any) -> None:
        self.owner = owner
        self.throttle = LogThrottle()

    def callback_failed(self, callback: Any, exc: Exception, event: Any, where: str) -> None:
        """Log *exc* raised by *callback* on *event* and send ``callback_error``."""
        full, suppressed = self.throttle.check(id(callback))
        if full:
            more = f" ({suppressed} more failures not shown)" if suppressed else ""
            logger.error("callback %s raised on %s%s", _name(callback), where, more, exc_info=exc)
        self.send(signals.callback_error, exception=exc, callback=callback, event=event)

    def send(self, signal: NamedSignal, **kwargs: Any) -> None:
        """Send a lifecycle signal with the owner as sender, each receiver
        in isolation; a raising receiver is logged and nothing more (no
        recursion through ``callback_error``)."""
        if not signal.receivers:
            return
        for receiver in list(signal.receivers_for(self.owner)):
            try:
                receiver(self.owner, **kwargs)
            except Exception as exc:
                full, _ = self.throttle.check(id(receiver))
                if full:
                    logger.error(
                        "receiver %s of signal %r raised",
                        _name(receiver),
                        signal.name,
                        exc_info=exc,
                    )


def _name(fn: Any) -> str:
    fn = getattr(fn, "fn", fn)
    return str(getattr(fn, "__qualname__", None) or repr(fn))


class UserCallback:
    """A user-data callback (held strongly) with an optional filter on one
    attribute of the event (``symbol`` for order updates, ``asset`` for
    balance updates). ``fn`` is what ``callback_error`` reports."""

    __slots__ = ("attr", "fn", "values")

    def __init__(
        self, fn: Callable[[Any], Any], attr: str | None, values: Iterable[str] = ()
    ) -> None:
        self.fn = fn
        self.attr = attr
        self.values = frozenset(v.upper() for v in values)

    def __call__(self, event: Any) -> None:
        self.fn(event)

    def __repr__(self) -> str:
        return f"<UserCallback {_name(self.fn)}>"

    def wants(self, event: Any) -> bool:
        """Whether *event* passes the filter."""
        if not self.values or self.attr is None:
            return True
        value = getattr(event, self.attr, None)
        return isinstance(value, str) and value.upper() in self.values


class Route:
    """Everything needed to deliver one stream's messages, prepared once.

    The mutable parts that the reader thread reads per message
    (``callbacks``, ``consumers``) are tuples replaced whole by other
    threads, so the reader never sees half a change and never takes a lock.
    ``callbacks`` holds the user's functions themselves: held strongly (a
    lambda keeps working), called with the model only, reported as they are.
    Counters are written by the owning reader thread only.
    """

    __slots__ = (
        "callback_errors",
        "callbacks",
        "conn",
        "consumers",
        "duplicates",
        "event_time_key",
        "handover",
        "identity",
        "kind",
        "lag",
        "last_data",
        "last_wall",
        "latest",
        "messages",
        "parse",
        "parse_errors",
        "reconnects",
        "reporter",
        "signal",
        "stream",
        "subscribers",
        "symbol",
        "time_scale",
    )

    def __init__(
        self,
        stream: str,
        kind: str,
        symbol: str,
        parse: Callable[[Any], Any],
        signal: Signal,
        reporter: Reporter,
        identity: Callable[[Any], Hashable],
        *,
        event_time_key: str | None,
        time_scale: float = 1.0,
    ) -> None:
        self.stream = stream
        self.kind = kind
        self.symbol = symbol
        self.parse = parse
        self.signal = signal
        self.reporter = reporter
        self.identity = identity
        self.event_time_key = event_time_key
        #: Milliseconds per unit of the payload's event time (0.001 for µs).
        self.time_scale = time_scale
        self.callbacks: tuple[Callable[[Any], Any], ...] = ()
        self.consumers: tuple[StreamConsumer, ...] = ()
        self.conn: Connection | None = None
        self.handover: Handover | None = None
        self.latest: Any = None
        self.subscribers = 0
        self.messages = 0
        self.last_wall: float | None = None
        #: The payload of the last event delivered (seeds a :class:`Handover`).
        self.last_data: Any = None
        self.parse_errors = 0
        self.callback_errors = 0
        self.duplicates = 0
        self.reconnects = 0
        self.lag = LagRing()

    def deliver(self, data: Any, received: float) -> None:
        """Parse one payload and hand the model to everyone (reader thread).

        :param received: wall-clock seconds when the frame was read.
        """
        try:
            model = self.parse(data)
        except Exception as exc:  # ParseError, or a parser bug: never fatal
            self.parse_errors += 1
            full, suppressed = self.reporter.throttle.check(("parse", self.stream))
            if full:
                logger.warning(
                    "%s: dropped a message that does not parse (%s)%s",
                    self.stream,
                    exc,
                    f"; {suppressed} more not shown" if suppressed else "",
                )
            return
        self.messages += 1
        self.last_wall = received
        self.last_data = data
        key = self.event_time_key
        if key is not None:
            event_time = data.get(key)
            if event_time is not None:
                # LagRing.add, inlined: this runs for every message.
                lag = received * 1000.0 - event_time * self.time_scale
                ring = self.lag
                ring.samples[ring.count & LAG_MASK] = lag
                ring.count += 1
                if lag > ring.max:
                    ring.max = lag
        self.latest = model
        for consumer in self.consumers:
            try:
                consumer.on_event(model)
            except Exception:
                logger.exception("%s: internal consumer %r failed", self.stream, consumer)
        for callback in self.callbacks:
            try:
                callback(model)
            except Exception as exc:
                self.callback_errors += 1
                self.reporter.callback_failed(callback, exc, model, self.stream)
        signal = self.signal
        if signal.receivers:
            symbol = self.symbol
            for receiver in list(signal.receivers_for(symbol)):
                try:
                    receiver(symbol, event=model)
                except Exception as exc:
                    self.callback_errors += 1
                    self.reporter.callback_failed(receiver, exc, model, self.stream)

    def offer(self, conn: Connection, data: Any, received: float) -> None:
        """A message from a connection that does not (only) own the stream:
        a switch-over is in progress, or *conn* was replaced."""
        handover = self.handover
        if handover is None:
            if conn is self.conn:
                # The switch-over ended between the caller's check and here.
                self.deliver(data, received)
            else:
                # A replaced connection still delivering: its replacement
                # carries the same events.
                self.duplicates += 1
            return
        handover.offer(self, conn, data, received)

    def notify_lost(self, reason: str) -> None:
        """Tell the internal consumers events may be missing."""
        for consumer in self.consumers:
            try:
                consumer.on_stream_lost(self.stream, reason)
            except Exception:
                logger.exception("%s: internal consumer %r failed", self.stream, consumer)

    def notify_restored(self) -> None:
        """Tell the internal consumers the stream is subscribed again."""
        for consumer in self.consumers:
            try:
                consumer.on_stream_restored(self.stream)
            except Exception:
                logger.exception("%s: internal consumer %r failed", self.stream, consumer)


class Handover:
    """Exactly-once, in-order delivery of one stream while it moves from the
    connection ``old`` to its replacement ``new``.

    Both connections carry the same sequence of events; ``new`` starts
    somewhere in it, and either connection may be ahead. Each event is named
    by the exchange's per-stream identity (trade id, update id, event time
    and content for periodic statistics; see ``event_identity``).

    * Until the switch, ``old`` delivers and every identity it delivers is
      remembered (starting with the last event the route delivered before
      the switch-over began); ``new``'s events are held back (``pending``).
    * The switch happens when ``new`` receives an event ``old`` already
      delivered (``new`` caught up: drop it and everything ``new`` held
      back), or when ``old`` delivers an event ``new`` holds (``old`` caught
      up: drop the held-back events up to that one, deliver the rest after
      it). The drops are by position, not by identity: both sockets carry
      one sequence, so what ``new`` received before an event ``old``
      delivered came before it and was delivered, even when ``old``
      delivered it before the switch-over began (its socket delivers until
      the moment the handover is installed, and may be inside a delivery
      then). From then on ``old``'s events are dropped and ``new``'s are
      delivered unless ``old`` delivered them already.
    * If ``old`` goes away first, the held-back events are delivered.
    * Once ``new`` delivers an event ``old`` never had, the stream leaves
      the switch-over and goes back to the fast path.

    Only one thread delivers at a time (``busy``); the other queues, so the
    callbacks see the events in order and never concurrently, and no lock
    is held while a callback runs.
    """

    def __init__(
        self,
        old: Connection,
        new: Connection,
        on_switched: Callable[[Route], None],
        last: Hashable | None = None,
    ) -> None:
        """:param last: identity of the last event delivered before."""
        self.old = old
        self.new = new
        self.on_switched = on_switched
        self.switched = False
        self.old_gone = False
        self.fresh = False
        self._lock = threading.Lock()
        self._seen: set[Hashable] = set()
        self._seen_order: deque[Hashable] = deque()
        self._pending: deque[tuple[Hashable, Any, float]] = deque()
        self._pending_ids: set[Hashable] = set()
        self._queue: deque[tuple[Any, float]] = deque()
        self._busy = False
        if last is not None:
            self._remember(last)

    @classmethod
    def start(
        cls, route: Route, old: Connection, new: Connection, on_switched: Callable[[Route], None]
    ) -> Handover:
        """Install a switch-over of *route* from *old* to *new*, seeded with
        the last event the route delivered."""
        last: Hashable | None = None
        if route.last_data is not None:
            try:
                last = route.identity(route.last_data)
            except Exception:
                last = None
        handover = cls(old, new, on_switched, last)
        route.handover = handover
        return handover

    def _remember(self, ident: Hashable) -> None:
        if ident in self._seen:
            return
        self._seen.add(ident)
        self._seen_order.append(ident)
        if len(self._seen_order) > HANDOVER_MEMORY:
            self._seen.discard(self._seen_order.popleft())

    def offer(self, route: Route, conn: Connection, data: Any, received: float) -> None:
        """Decide about one message of *route* received on *conn*."""
        try:
            ident: Hashable = route.identity(data)
        except Exception:
            ident = None  # unidentifiable (malformed): let parsing judge it
        switched_now = False
        with self._lock:
            if conn is self.old:
                if self.switched:
                    route.duplicates += 1  # new delivers this one
                    return
                if ident is not None:
                    self._remember(ident)
                self._queue.append((data, received))
                if ident is not None and ident in self._pending_ids:
                    # old caught up with an event new held back: drop it
                    # and what new held before it.
                    held = (
                        i for i, (pending, _, _) in enumerate(self._pending) if pending == ident
                    )
                    self._switch_locked(route, drop=next(held) + 1)
                    switched_now = True
            elif conn is self.new:
                if ident is not None and ident in self._seen:
                    route.duplicates += 1  # old delivered it already
                    if self.switched:
                        return
                    # new caught up with old: what it held came before.
                    self._switch_locked(route, drop=len(self._pending))
                    switched_now = True
                elif self.switched:
                    self._queue.append((data, received))
                    self.fresh = True
                else:
                    self._pending.append((ident, data, received))
                    if ident is not None:
                        self._pending_ids.add(ident)
                    return
            else:
                route.duplicates += 1  # neither side of this switch-over
                return
            if self._busy:
                return  # the delivering thread picks it up, in order
            self._busy = True
        if switched_now:
            self.on_switched(route)
        self._drain(route)

    def _switch_locked(self, route: Route, drop: int) -> None:
        """Switch to ``new``: its first *drop* held-back events were
        delivered by ``old``; the rest follow in order."""
        self.switched = True
        pending = self._pending
        for _ in range(drop):
            pending.popleft()
        route.duplicates += drop
        for ident, data, received in pending:
            if ident is not None and ident in self._seen:
                route.duplicates += 1
                continue
            self._queue.append((data, received))
            self.fresh = True
        self._pending.clear()
        self._pending_ids.clear()

    def old_closed(self, route: Route) -> None:
        """``old`` is gone: whatever ``new`` held back is delivered now."""
        with self._lock:
            self.old_gone = True
            switched_now = not self.switched
            if switched_now:
                self._switch_locked(route, drop=0)
            if self._busy:
                return
            self._busy = True
        if switched_now:
            self.on_switched(route)
        self._drain(route)

    def _drain(self, route: Route) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._busy = False
                    if self.switched and self.fresh:
                        # new is past everything old delivered: fast path
                        # again. conn first: a reader that then sees no
                        # handover also sees the new owner.
                        route.conn = self.new
                        if route.handover is self:
                            route.handover = None
                    return
                data, received = self._queue.popleft()
            route.deliver(data, received)


def frame_handler(
    conn: Connection,
    routes: dict[str, Route],
    envelope: tuple[str, str],
    slow: Callable[[Connection, Any, float], None],
) -> Callable[[Any, Any], None]:
    """The ``on_message`` of one connection: the per-message hot path.

    One ``orjson.loads`` of the frame, one dict lookup for the stream's
    :class:`Route`, then :meth:`Route.deliver`. Anything that is not an
    event of a subscribed stream (control replies, ``serverShutdown``,
    garbage) goes to *slow*, which decodes it again at leisure.

    :param envelope: the exchange's (stream-name key, payload key).
    """
    loads = orjson.loads
    clock = time.time
    stream_key, data_key = envelope

    def on_message(app: Any, raw: Any) -> None:
        received = clock()
        conn.messages += 1
        try:
            message = loads(raw)
            route = routes[message[stream_key]]
            data = message[data_key]
        except Exception:  # not JSON, not an envelope, or no such stream
            slow(conn, raw, received)
            return
        if route.conn is conn and route.handover is None:
            route.deliver(data, received)
        else:
            route.offer(conn, data, received)

    return on_message
