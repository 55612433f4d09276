"""The market-stream side of connections: which streams each socket carries,
live ``SUBSCRIBE``/``UNSUBSCRIBE`` paced under the exchange's limit,
lifecycle signals, and the switch to a replacement socket on
``serverShutdown`` or before the 24-hour cut-off.

A :class:`Slot` is one logical connection: a group of at most
``max_streams_per_connection`` streams. Normally one socket carries it (a
:class:`Link`, the :class:`~cryptoex.streaming.connection.ConnectionHandler`
of one :class:`~cryptoex.streaming.connection.Connection`); during a
switch-over two do, and :class:`~cryptoex.streaming.dispatch.Handover`
merges them.

Subscriptions are reconciled, not queued: each link knows the streams it
should carry (``desired``) and what it has told the server (``active``).
The keepalive thread sends the difference, unsubscribes first, in batches
of up to :data:`MAX_PARAMS_PER_MESSAGE` names, as the pacer allows, after
waiting :data:`LINGER` seconds so a burst of decorators becomes one
message. A subscribe that is undone before it was sent costs nothing.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Final

import orjson

from cryptoex import signals
from cryptoex.errors import NetworkError
from cryptoex.streaming.connection import Connection, MessageCallback
from cryptoex.streaming.dispatch import Handover, Route, frame_handler

if TYPE_CHECKING:
    from cryptoex.streaming.manager import StreamManager

__all__ = ["LINGER", "MAX_PARAMS_PER_MESSAGE", "MAX_URL_LENGTH", "Link", "Slot"]

logger = logging.getLogger(__name__)

#: Seconds a change waits before it is sent, so bursts batch into one message.
LINGER: Final = 0.02
#: Stream names per SUBSCRIBE/UNSUBSCRIBE message.
MAX_PARAMS_PER_MESSAGE: Final = 200
#: Longest URL opened: streams beyond it are subscribed after the handshake
#: (servers reject long request lines; 8 KiB is a common ceiling).
MAX_URL_LENGTH: Final = 4000

_REQUEST_IDS = itertools.count(1)


class Link:
    """One socket's share of a :class:`Slot` (the connection handler).

    :param slot: the slot it serves.
    :param desired: the streams it starts with.
    """

    def __init__(self, slot: Slot, desired: set[str]) -> None:
        manager = slot.manager
        self.slot = slot
        self.manager = manager
        self._lock = threading.Lock()
        #: Streams this socket should carry.
        self.desired: set[str] = set(desired)
        #: Streams the server has been told about on the current socket.
        self.active: set[str] = set()
        self._requests: dict[int, tuple[str, tuple[str, ...]]] = {}
        self._changed_at: float | None = None
        self._restore_on_open: set[str] = set()
        #: Control messages sent.
        self.control_messages = 0
        #: Frames that were neither an event nor a control reply.
        self.unknown_messages = 0
        #: Frames that were not JSON.
        self.parse_errors = 0
        #: Events of streams no longer subscribed (late after UNSUBSCRIBE).
        self.unrouted = 0
        self.conn = manager._new_connection(self)

    # -- what to carry ---------------------------------------------------------

    def add(self, stream: str) -> None:
        """Carry *stream* too (sent with the next paced SUBSCRIBE)."""
        with self._lock:
            self.desired.add(stream)
        self.manager._keepalive.wake()

    def discard(self, stream: str) -> None:
        """Stop carrying *stream* (sent with the next paced UNSUBSCRIBE)."""
        with self._lock:
            self.desired.discard(stream)
        self.manager._keepalive.wake()

    def carries(self, stream: str) -> bool:
        """Whether the server still has *stream* on this socket."""
        with self._lock:
            return stream in self.active

    def restore_on_open(self, streams: set[str]) -> None:
        """Tell these streams' consumers "restored" when the socket opens."""
        with self._lock:
            self._restore_on_open |= streams

    # -- ConnectionHandler -----------------------------------------------------

    def url(self, conn: Connection) -> str:
        """The combined-stream URL with as many streams as fit in it."""
        exchange = self.manager._exchange
        base = self.manager.environment.ws_url
        unit = self.manager.time_unit
        with self._lock:
            chosen: list[str] = []
            for stream in sorted(self.desired):
                if len(exchange.combined_url(base, [*chosen, stream], unit)) > MAX_URL_LENGTH:
                    break
                chosen.append(stream)
            self.active = set(chosen)
            self._requests.clear()
            self._changed_at = None
        return exchange.combined_url(base, chosen, unit)

    def message_callback(self, conn: Connection) -> MessageCallback:
        """The hot path for this socket (see :func:`.dispatch.frame_handler`)."""
        return frame_handler(
            conn, self.manager._routes, self.manager._exchange.stream_envelope, self._slow_frame
        )

    def on_open(self, conn: Connection, reconnect: bool) -> None:
        """Signal ``connected``; tell consumers their streams are back."""
        self.manager._reporter.send(signals.connected, connection=conn.name)
        with self._lock:
            restore = set(self._restore_on_open)
            self._restore_on_open.clear()
            carried = set(self.desired)
        self.slot.link_opened(self, reconnect, carried, restore)

    def on_closed(self, conn: Connection, reason: str) -> None:
        """Forget what the server had; signal ``disconnected``; tell the slot."""
        with self._lock:
            self.active.clear()
            self._requests.clear()
        self.manager._reporter.send(signals.disconnected, connection=conn.name, reason=reason)
        self.slot.link_closed(self, reason)

    def on_reconnecting(self, conn: Connection, attempt: int, delay: float) -> None:
        """Signal ``reconnecting``."""
        self.manager._reporter.send(
            signals.reconnecting, connection=conn.name, attempt=attempt, delay=delay
        )

    def on_expired(self, conn: Connection) -> None:
        """Replace the socket before the exchange cuts it (again on a later
        tick if a switch-over is still running)."""
        if not self.slot.rotate("maximum connection age", announced_by=self):
            conn.rearm_expiry()

    def on_tick(self, conn: Connection, now: float) -> float | None:
        """Send the next paced control message, if any is due."""
        due = self.slot.check_deadline(self, now)
        with self._lock:
            unsubscribe = sorted(self.active - self.desired)
            subscribe = sorted(self.desired - self.active)
            if not unsubscribe and not subscribe:
                self._changed_at = None
                return due
            if self._changed_at is None:
                self._changed_at = now
            if now < self._changed_at + LINGER:
                return _earliest(due, self._changed_at + LINGER)
            if not conn.pacer.try_acquire(now):
                return _earliest(due, now + conn.pacer.delay(now))
            if unsubscribe:
                method, params = "UNSUBSCRIBE", tuple(unsubscribe[:MAX_PARAMS_PER_MESSAGE])
                self.active.difference_update(params)
            else:
                method, params = "SUBSCRIBE", tuple(subscribe[:MAX_PARAMS_PER_MESSAGE])
                self.active.update(params)
            request_id = next(_REQUEST_IDS)
            self._requests[request_id] = (method, params)
            more = len(unsubscribe) + len(subscribe) > len(params)
            if not more:
                self._changed_at = None
        text = self.manager._exchange.control_message(method, request_id, params)
        try:
            conn.send(text)
        except NetworkError as exc:
            # The reader thread sees the broken socket and reconnects; the
            # next socket starts from ``desired`` again.
            logger.info("%s: %s not sent: %s", conn.name, method, exc)
            return due
        self.control_messages += 1
        logger.info("%s: %s %d stream(s): %s", conn.name, method, len(params), ", ".join(params))
        if more:
            return _earliest(due, now + conn.pacer.delay(now))
        return due

    # -- frames that are not events --------------------------------------------

    def _slow_frame(self, conn: Connection, raw: Any, received: float) -> None:
        """Control replies, ``serverShutdown``, late and unknown frames."""
        exchange = self.manager._exchange
        try:
            message = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            self.parse_errors += 1
            logger.warning("%s: dropped a frame that is not JSON (%s): %.200r", conn.name, exc, raw)
            return
        reply = exchange.control_reply(message)
        if reply is not None:
            with self._lock:
                request = self._requests.pop(reply.id, None) if isinstance(reply.id, int) else None
            if reply.ok:
                logger.debug("%s: control request %s acknowledged", conn.name, reply.id)
            else:
                what = f"{request[0]} {', '.join(request[1])}" if request else "control request"
                logger.warning(
                    "%s: %s refused by the exchange: code %s, %s",
                    conn.name,
                    what,
                    reply.error_code,
                    reply.error_message,
                )
            return
        if exchange.is_server_shutdown(message):
            logger.warning("%s: the exchange announced a server shutdown", conn.name)
            self.slot.rotate("serverShutdown", announced_by=self)
            return
        stream_key = exchange.stream_envelope[0]
        if isinstance(message, dict) and isinstance(message.get(stream_key), str):
            # An event of a stream unsubscribed a moment ago (or a stream
            # being switched away from): expected, not an error.
            self.unrouted += 1
            logger.debug("%s: event of unsubscribed stream %s", conn.name, message[stream_key])
            return
        self.unknown_messages += 1
        full, suppressed = self.manager._reporter.throttle.check(("unknown", conn.name))
        if full:
            logger.warning(
                "%s: dropped an unexpected frame%s: %.200r",
                conn.name,
                f" ({suppressed} more not shown)" if suppressed else "",
                raw,
            )


def _earliest(a: float | None, b: float) -> float:
    return b if a is None or b < a else a


class Slot:
    """One logical connection: a group of streams, carried by one socket, or
    by two while one replaces the other.

    :param manager: the owner.
    :param index: the slot number (from :class:`~.subscriptions.SlotTable`).
    """

    def __init__(self, manager: StreamManager, index: int) -> None:
        self.manager = manager
        self.index = index
        self._lock = threading.Lock()
        #: Streams placed on this slot.
        self.wanted: set[str] = set()
        self.current: Link | None = None
        self.next: Link | None = None
        self._unswitched: set[str] = set()
        self._deadline: float | None = None
        self._reason = ""

    def links(self) -> list[Link]:
        """The sockets serving the slot (one, or two during a switch-over)."""
        with self._lock:
            return [link for link in (self.current, self.next) if link is not None]

    def add(self, route: Route) -> Connection | None:
        """Carry *route*'s stream; returns a new connection to start, if any."""
        stream = route.stream
        with self._lock:
            self.wanted.add(stream)
            if self.current is None:
                self.current = Link(self, {stream})
                route.conn = self.current.conn
                return self.current.conn
            links = [link for link in (self.current, self.next) if link is not None]
            route.conn = self.current.conn
        for link in links:
            link.add(stream)
        return None

    def remove(self, stream: str) -> None:
        """Stop carrying *stream* (live UNSUBSCRIBE)."""
        with self._lock:
            self.wanted.discard(stream)
            self._unswitched.discard(stream)
            links = [link for link in (self.current, self.next) if link is not None]
        for link in links:
            link.discard(stream)

    def connections(self) -> list[Connection]:
        """Every connection of the slot (for stop and stats)."""
        return [link.conn for link in self.links()]

    # -- switching to a replacement socket -------------------------------------

    def rotate(self, reason: str, announced_by: Link | None = None) -> bool:
        """Open a replacement socket, subscribe it, then switch to it.

        Returns ``False`` (and does nothing) while a switch-over is already
        running, when the announcing socket is not the current one, or when
        the manager is not running.
        """
        manager = self.manager
        with self._lock:
            current = self.current
            if (
                self.next is not None
                or current is None
                or not manager.running
                or (announced_by is not None and announced_by is not current)
            ):
                return False
            replacement = Link(self, set(self.wanted))
            self.next = replacement
            self._reason = reason
            self._unswitched = set()
            self._deadline = None
        logger.info(
            "%s: opening %s to replace it (%s)",
            current.conn.name,
            replacement.conn.name,
            reason,
        )
        manager._started_connection(replacement.conn)
        return True

    def link_opened(
        self, link: Link, reconnect: bool, carried: set[str], restore: set[str]
    ) -> None:
        """A socket opened: start the handover if it is the replacement,
        else tell consumers of its streams that they are back."""
        routes = self.manager._routes
        retire: Connection | None = None
        with self._lock:
            old = self.current
            starting = old is not None and link is self.next and self._deadline is None
            if old is not None and starting:
                self._deadline = time.monotonic() + self.manager.handover_timeout
                for stream in carried & self.wanted:
                    route = routes.get(stream)
                    if route is None:
                        continue
                    if route.conn is old.conn and route.handover is None:
                        Handover.start(route, old.conn, link.conn, self._switched)
                        self._unswitched.add(stream)
                    elif route.conn is not old.conn:
                        route.conn = link.conn
                if not self._unswitched:
                    retire = old.conn
        if retire is not None:
            retire.retire(f"replaced by {link.conn.name} ({self._reason})")
        if starting:
            return
        if reconnect or restore:
            for stream in carried:
                route = routes.get(stream)
                if route is None or route.conn is not link.conn:
                    continue
                if reconnect:
                    route.reconnects += 1
                route.notify_restored()

    def _switched(self, route: Route) -> None:
        retire: Connection | None = None
        with self._lock:
            self._unswitched.discard(route.stream)
            if not self._unswitched and self.next is not None and self.current is not None:
                retire = self.current.conn
        if retire is not None:
            retire.retire(f"replaced ({self._reason}): every stream switched over")

    def check_deadline(self, link: Link, now: float) -> float | None:
        """Called on the replacement's keepalive tick: end a switch-over that
        takes too long (quiet streams) by retiring the old socket."""
        with self._lock:
            deadline = self._deadline
            if link is not self.next or deadline is None or self.current is None:
                return None
            old = self.current.conn
            if now < deadline:
                return deadline
            self._deadline = now + 3600.0  # retire once
        old.retire(f"replaced ({self._reason}): switch-over time limit reached")
        return None

    def link_closed(self, link: Link, reason: str) -> None:
        """A socket closed: finish a switch-over, or mark its streams lost."""
        routes = self.manager._routes
        with self._lock:
            replacement = self.next
            handed_over = False
            if replacement is not None and link is self.current:
                # The old socket of a switch-over is gone (retired by us, or
                # cut by the server): the replacement carries the slot now.
                self.current = replacement
                self.next = None
                self._unswitched = set()
                self._deadline = None
                handed_over = True
            streams = set(self.wanted)
        if handed_over and replacement is not None:
            link.conn.retire("replaced")  # never reconnect a replaced socket
            self.manager._retired_connection(link.conn)
            unsafe: set[str] = set()
            for stream in streams:
                route = routes.get(stream)
                if route is None:
                    continue
                handover = route.handover
                if handover is not None:
                    if not handover.switched:
                        unsafe.add(stream)
                    handover.old_closed(route)
                elif route.conn is link.conn:
                    # Never handed over (the replacement was not open yet).
                    route.conn = replacement.conn
                    unsafe.add(stream)
            if unsafe:
                # No proof that nothing was missed between the two sockets:
                # internal consumers (order books) resynchronise.
                for stream in unsafe:
                    route = routes.get(stream)
                    if route is not None:
                        route.notify_lost(f"switch-over incomplete: {reason}")
                if replacement.conn.is_open:
                    for stream in unsafe:
                        route = routes.get(stream)
                        if route is not None:
                            route.notify_restored()
                else:
                    replacement.restore_on_open(unsafe)
            return
        for stream in streams:
            route = routes.get(stream)
            if route is None:
                continue
            owned = route.conn is link.conn
            handover = route.handover
            if handover is not None and handover.new is link.conn and handover.switched:
                owned = True
            if owned:
                route.notify_lost(reason)

    def close(self) -> list[Connection]:
        """Stop every socket of the slot; returns them (to be joined)."""
        with self._lock:
            links = [link for link in (self.current, self.next) if link is not None]
            self.current = None
            self.next = None
        for link in links:
            link.conn.stop()
        return [link.conn for link in links]
