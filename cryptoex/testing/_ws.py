"""The websocket server (market streams and the WebSocket API) on 127.0.0.1, built on
``websockets``' threaded server, which does the framing and handshakes.

Threads per connection: the library's handler thread (ours from the handshake on: it
reads control messages), its frame-reader thread, and a writer thread that owns every
send, so the engine only ever enqueues and a slow client never stalls the market. One
housekeeping thread sends pings, enforces the pong deadline, the connection lifetime
and scheduled closes. This module imports ``websockets`` at import time; the rest of
:mod:`cryptoex.testing` imports it only when a sandbox starts.
"""

from __future__ import annotations

import inspect
import itertools
import logging
import queue
import re
import socket
import struct
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, unquote, urlsplit

import orjson
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from cryptoex.testing._errors import ApiError
from cryptoex.testing._records import ConnectionInfo, RecordedControl
from cryptoex.testing._streams import (
    ControlError,
    error,
    parse_control,
    property_params,
    stream_params,
    to_micros,
)
from cryptoex.testing._wsapi import handle_request

if TYPE_CHECKING:
    from cryptoex.testing._accounts import Account
    from cryptoex.testing._state import Core

logger = logging.getLogger(__name__)


class _CredentialFilter(logging.Filter):
    """Mask API keys and signatures in websockets' frame dumps.

    The websockets library logs every frame at DEBUG; a WebSocket API request
    frame carries the account's API key and a replayable signature.
    """

    _PATTERN = re.compile(r'("(?:apiKey|signature)"\s*:\s*")[^"]*')

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(self._mask(arg) for arg in args)
        return True

    def _mask(self, arg: object) -> object:
        if isinstance(arg, str):
            return self._PATTERN.sub(r"\1***", arg)
        # websockets passes Frame objects: their str() is truncated but their
        # ``data`` keeps the whole payload, so replace them with masked text.
        data = getattr(arg, "data", None)
        if isinstance(data, (bytes, bytearray)) and (b'"apiKey"' in data or b'"signature"' in data):
            return self._PATTERN.sub(r"\1***", bytes(data).decode("utf-8", "replace"))
        return arg


_FRAME_LOGGER = logging.getLogger("cryptoex.testing.websockets")
_FRAME_LOGGER.addFilter(_CredentialFilter())

#: A connection whose unsent backlog exceeds this is dropped (a slow consumer).
MAX_BACKLOG: Final = 100_000
#: Messages per send_context during flood (one lock round-trip per chunk).
FLOOD_CHUNK: Final = 512


@dataclass
class _Batch:
    messages: list[bytes]
    done: threading.Event


@dataclass
class _Close:
    code: int
    reason: str


_PING: Final = object()


@dataclass(frozen=True)
class _Route:
    kind: str
    path: str
    streams: tuple[str, ...]
    combined: bool
    micros: bool
    return_rate_limits: bool


class _Connection(ServerConnection):
    """websockets' server connection, plus the sandbox's hooks: incoming-frame counting
    and muting (a silenced connection writes nothing, not even pongs)."""

    fb_route: _Route | None = None
    fb_conn: WsConn | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # websockets calls create_connection(sock, protocol, server, ...): the server
        # carries its hub, so every connection (refused handshakes too) is tracked.
        hub = getattr(args[2], "fb_hub", None) if len(args) > 2 else None
        self.recv_events_thread.name = "fakebinance-ws-read"
        if isinstance(hub, Hub):
            hub.created(self)

    def process_event(self, event: Any) -> None:
        conn = self.fb_conn
        if conn is not None and isinstance(event, Frame):
            # websockets >= 15 names the waiters pending_pings, 13 and 14 ping_waiters.
            waiters = getattr(self, "pending_pings", None) or getattr(self, "ping_waiters", {})
            solicited = event.opcode is Opcode.PONG and bytes(event.data) in waiters
            if event.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.PING) or (
                event.opcode is Opcode.PONG and not solicited
            ):
                conn.incoming_frame()
        super().process_event(event)

    def send_data(self) -> None:
        conn = self.fb_conn
        if conn is not None and conn.silenced:
            self.protocol.data_to_send()  # muted: drop everything, the socket stays open
            return
        super().send_data()


class WsConn:
    """The sandbox's view of one open websocket connection."""

    def __init__(self, hub: Hub, ident: int, route: _Route, ws: _Connection) -> None:
        self.hub = hub
        self.id = ident
        self.kind = route.kind
        self.path = route.path
        self.ws = ws
        self.combined = route.combined
        self.micros = route.micros
        self.return_rate_limits = route.return_rate_limits
        self.opened_at = time.monotonic()
        self.connected_since = hub.core.clock.now_ms()
        self.streams: dict[str, None] = {}
        self.silenced = False
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.dead = False
        self.incoming: deque[float] = deque()
        self.last_ping = self.opened_at
        self.ping_queued_at: float | None = None
        self.ping_sent_at: float | None = None
        self.pong: threading.Event | None = None
        self.close_requested_at: float | None = None
        self.close_at: float | None = None
        self.aborted = False
        # WebSocket API session state.
        self.subscriptions: dict[int, Account] = {}
        self.next_subscription = 0
        self.session: Account | None = None
        self.session_subscription: int | None = None
        self.authorized_since: int | None = None
        self.handler_thread = threading.current_thread()
        self.writer = threading.Thread(
            target=self._write_loop, name=f"fakebinance-ws-send-{ident}", daemon=True
        )

    # -- sending ----------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Queue one text message (dropped when the connection is gone).

        :param data: UTF-8 JSON.
        """
        if self.dead:
            return
        if self.queue.qsize() > MAX_BACKLOG:
            logger.warning(
                "connection %d is not reading (%d queued): dropping it", self.id, MAX_BACKLOG
            )
            self.abort()
            return
        self.queue.put(data)

    def send_json(self, payload: Any) -> None:
        """Queue one JSON message.

        :param payload: JSON-compatible data.
        """
        self.send(orjson.dumps(payload))

    def _write_loop(self) -> None:
        ws = self.ws
        while True:
            item = self.queue.get()
            if item is None:
                return
            if self.dead:
                if isinstance(item, _Batch):
                    item.done.set()
                continue
            try:
                if isinstance(item, bytes):
                    with ws.send_context():
                        ws.protocol.send_text(item)
                elif isinstance(item, _Batch):
                    with ws.send_context():
                        for message in item.messages:
                            ws.protocol.send_text(message)
                elif item is _PING:
                    self.pong = ws.ping()
                    self.ping_sent_at = time.monotonic()
                    self.ping_queued_at = None
                elif isinstance(item, _Close):
                    self.dead = True
                    ws.close(item.code, item.reason)
            except (ConnectionClosed, OSError, RuntimeError):
                logger.debug("connection %d: send failed, connection closed", self.id)
                self.dead = True
            finally:
                if isinstance(item, _Batch):
                    item.done.set()

    # -- closing ------------------------------------------------------------------------

    def request_close(self, code: int, reason: str) -> None:
        """Close with a close frame (through the writer, after what is queued).

        :param code: close code.
        :param reason: close reason.
        """
        if self.close_requested_at is None and not self.dead:
            self.close_requested_at = time.monotonic()
            self.queue.put(_Close(code, reason))

    def abort(self) -> None:
        """Drop the TCP connection at once, without a close frame (RST when possible)."""
        if self.aborted:
            return
        self.aborted = True
        self.dead = True
        sock = self.ws.socket
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # shutdown() also wakes a writer blocked in sendall() on a full socket buffer.
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.ws.close_socket()

    # -- incoming limits and keepalive ----------------------------------------------------

    def incoming_frame(self) -> None:
        """Count one incoming frame against Binance's 5 messages per second (streams only).

        Pongs answering the server's own pings are not counted: with the short ping
        intervals tests use they would eat the budget (at Binance's 20 s they are noise).
        """
        if self.kind != "stream":
            return
        now = time.monotonic()
        self.incoming.append(now)
        while self.incoming and self.incoming[0] <= now - 1.0:
            self.incoming.popleft()
        if len(self.incoming) > self.hub.core.settings.max_incoming_per_second:
            logger.info(
                "connection %d sent more than %s messages/s: closing",
                self.id,
                self.hub.core.settings.max_incoming_per_second,
            )
            self.request_close(1008, "Too many requests")

    def housekeep(self, now: float) -> None:
        """Pings, pong deadline, lifetime and scheduled closes (housekeeping thread).

        :param now: ``time.monotonic()``.
        """
        settings = self.hub.core.settings
        if self.aborted:
            return
        if self.close_requested_at is not None:
            if now - self.close_requested_at > settings.close_timeout + 0.5:
                self.abort()  # the close handshake is stuck (client not reading)
            return
        if self.dead:
            return
        if self.close_at is not None and now >= self.close_at:
            self.request_close(1001, "server shutdown")
            return
        if now - self.opened_at >= settings.max_connection_age:
            logger.info("connection %d reached its maximum age: closing", self.id)
            self.request_close(1001, "connection lifetime exceeded")
            return
        if self.silenced:
            return
        if self.ping_queued_at is not None:
            if now - self.ping_queued_at >= settings.pong_timeout:
                self.abort()  # the writer cannot even send the ping
            return
        if self.pong is not None and self.ping_sent_at is not None:
            if self.pong.is_set():
                self.pong = None
                self.ping_sent_at = None
            elif now - self.ping_sent_at >= settings.pong_timeout:
                logger.info("connection %d did not answer a ping: disconnecting", self.id)
                self.pong = None
                self.request_close(1008, "pong timeout")
                return
        if self.pong is None and now - self.last_ping >= settings.ping_interval:
            self.last_ping = now
            self.ping_queued_at = now
            self.queue.put(_PING)

    def info(self) -> ConnectionInfo:
        """A snapshot for :meth:`FakeBinance.connections`.

        :returns: the connection's public description.
        """
        return ConnectionInfo(
            id=self.id,
            kind=self.kind,
            path=self.path,
            streams=tuple(self.streams),
            opened_at=self.opened_at,
            combined=self.combined,
            silenced=self.silenced,
            subscriptions=tuple(self.subscriptions),
        )


def _refusal(
    connection: ServerConnection, status: int, text: str, retry_after: int | None = None
) -> Response:
    response = connection.respond(status, text + "\n")
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


class Hub:
    """Connections, subscriptions and fan-out; the engine's :class:`Publisher`."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._lock = threading.Lock()
        self._conns: dict[int, WsConn] = {}
        self._subs: dict[str, list[WsConn]] = {}
        self._user_subs: dict[str, dict[tuple[int, int], tuple[WsConn, int]]] = {}
        self._ids = itertools.count(1)
        self._attempts: deque[float] = deque()
        self.connection_attempts = 0
        self._created: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._handler_threads: set[threading.Thread] = set()
        options: dict[str, Any] = {}
        if "ping_interval" in inspect.signature(serve).parameters:
            # websockets >= 15 pings on its own; keepalive is ours (silence must stop
            # pings too), so turn the library's off.
            options["ping_interval"] = None
        self._server: Server = serve(
            self._handle,
            "127.0.0.1",
            0,
            process_request=self._process_request,
            compression=None,
            close_timeout=core.settings.close_timeout,
            open_timeout=2.0,
            create_connection=_Connection,
            logger=_FRAME_LOGGER,
            **options,
        )
        self._server.fb_hub = self  # type: ignore[attr-defined]  # read by _Connection
        self._serve_thread = threading.Thread(
            target=self._server.serve_forever, name="fakebinance-ws", daemon=True
        )
        self._housekeeper = threading.Thread(
            target=self._housekeep, name="fakebinance-ws-housekeeping", daemon=True
        )

    @property
    def port(self) -> int:
        """The listening port.

        :returns: the port number.
        """
        port: int = self._server.socket.getsockname()[1]
        return port

    def start(self) -> None:
        """Start accepting connections and housekeeping."""
        self._serve_thread.start()
        self._housekeeper.start()

    def created(self, connection: _Connection) -> None:
        """Track every library connection object (to join its reader thread on stop).

        :param connection: the new connection.
        """
        self._created.add(connection)

    # -- handshake -------------------------------------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        core = self.core
        settings = core.settings
        now = time.monotonic()
        with self._lock:
            self.connection_attempts += 1
            self._attempts.append(now)
            while self._attempts and self._attempts[0] <= now - settings.connection_attempt_window:
                self._attempts.popleft()
            attempts = len(self._attempts)
        refusal = core.take_refusal()
        if refusal is not None:
            status, retry_after = refusal
            logger.debug("refusing websocket handshake with %d (fault)", status)
            return _refusal(connection, status, "Connection refused", retry_after)
        if attempts > settings.max_connection_attempts:
            return _refusal(
                connection,
                429,
                "Too many connection attempts",
                int(settings.connection_attempt_window),
            )
        split = urlsplit(request.path)
        path = unquote(split.path)
        query = parse_qs(split.query)
        unit = query.get("timeUnit", ["MILLISECOND"])[-1]
        if unit not in ("MILLISECOND", "millisecond", "MICROSECOND", "microsecond"):
            return _refusal(
                connection,
                400,
                "Invalid value for time unit; expected either MICROSECOND or MILLISECOND.",
            )
        micros = unit.lower() == "microsecond"
        if path == "/ws-api/v3":
            try:
                core.limits.check_ban()
                core.limits.charge(2)  # connecting costs 2 request weight
            except ApiError as exc:
                if exc.status == 418:
                    return _refusal(
                        connection, 418, exc.msg, int(exc.headers.get("Retry-After", "1"))
                    )
            flag = query.get("returnRateLimits", ["true"])[-1].lower() != "false"
            route = _Route("ws-api", request.path, (), False, micros, flag)
        elif path == "/ws" or path.startswith("/ws/"):
            names = tuple(n for n in path[len("/ws/") :].split("/") if n) if path != "/ws" else ()
            route = _Route("stream", request.path, names, False, micros, True)
        elif path in ("/stream", "/stream/"):
            raw = query.get("streams", [""])[-1]
            route = _Route(
                "stream", request.path, tuple(n for n in raw.split("/") if n), True, micros, True
            )
        else:
            return _refusal(connection, 404, "Not Found")
        if len(set(route.streams)) > settings.max_streams_per_connection:
            return _refusal(
                connection,
                400,
                f"Too many streams: the limit is {settings.max_streams_per_connection}",
            )
        if isinstance(connection, _Connection):
            connection.fb_route = route
        return None

    # -- connection lifetime ----------------------------------------------------------------

    def _handle(self, ws: ServerConnection) -> None:
        route = getattr(ws, "fb_route", None)
        if not isinstance(ws, _Connection) or route is None:  # pragma: no cover - defensive
            return
        ident = next(self._ids)
        threading.current_thread().name = f"fakebinance-ws-conn-{ident}"
        ws.recv_events_thread.name = f"fakebinance-ws-read-{ident}"
        conn = WsConn(self, ident, route, ws)
        ws.fb_conn = conn
        conn.writer.start()
        with self._lock:
            self._conns[ident] = conn
            self._handler_threads.add(threading.current_thread())
            for name in route.streams:
                self._subscribe(conn, name)
        logger.info("websocket %d opened: %s", ident, route.path)
        try:
            for message in ws:
                text = message if isinstance(message, str) else message.decode("utf-8", "replace")
                if conn.kind == "stream":
                    self._control(conn, text)
                else:
                    handle_request(self, conn, text)
        except ConnectionClosed:
            pass
        finally:
            self._forget(conn)
            conn.dead = True
            conn.queue.put(None)
            conn.writer.join()
            logger.info("websocket %d closed", ident)

    def _forget(self, conn: WsConn) -> None:
        with self._lock:
            self._conns.pop(conn.id, None)
            for name in list(conn.streams):
                self._unsubscribe(conn, name)
            for sub_id, account in list(conn.subscriptions.items()):
                self._user_subs.get(account.api_key, {}).pop((conn.id, sub_id), None)

    def _subscribe(self, conn: WsConn, name: str) -> None:
        """Caller holds the lock."""
        if name not in conn.streams:
            conn.streams[name] = None
            self._subs.setdefault(name, []).append(conn)

    def _unsubscribe(self, conn: WsConn, name: str) -> None:
        """Caller holds the lock."""
        if name in conn.streams:
            del conn.streams[name]
            subscribers = self._subs.get(name, [])
            if conn in subscribers:
                subscribers.remove(conn)
            if not subscribers:
                self._subs.pop(name, None)

    # -- control messages -------------------------------------------------------------------

    def _control(self, conn: WsConn, text: str) -> None:
        settings = self.core.settings
        try:
            method, params, ident = parse_control(text)
        except ControlError as exc:
            self.core.record_control(
                RecordedControl(conn.id, time.monotonic(), None, None, None, text)
            )
            conn.send_json(exc.reply)
            return
        self.core.record_control(
            RecordedControl(conn.id, time.monotonic(), method, params, ident, text)
        )
        try:
            if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
                names = stream_params(params)
                with self._lock:
                    if method == "SUBSCRIBE":
                        if (
                            len(set(conn.streams) | set(names))
                            > settings.max_streams_per_connection
                        ):
                            raise ControlError(
                                error(
                                    2,
                                    "Invalid request: too many streams (the limit is "
                                    f"{settings.max_streams_per_connection} per connection)",
                                )
                            )
                        for name in names:
                            self._subscribe(conn, name)
                    else:
                        for name in names:
                            self._unsubscribe(conn, name)
                result: Any = None
            elif method == "LIST_SUBSCRIPTIONS":
                if params not in (None, []):
                    raise ControlError(error(2, "Invalid request: too many parameters"))
                with self._lock:
                    result = list(conn.streams)
            else:
                _, value = property_params(method, params, ident)
                if method == "SET_PROPERTY":
                    conn.combined = bool(value)
                    result = None
                else:
                    result = conn.combined
        except ControlError as exc:
            conn.send_json(exc.reply)
            return
        conn.send_json({"result": result, "id": ident})

    # -- publishing (the engine's Publisher) -------------------------------------------------

    def wants(self, stream: str) -> bool:
        """Whether any connection is subscribed to *stream*.

        :param stream: stream name.
        :returns: membership (lock-free read: a stale answer only delays one event).
        """
        return stream in self._subs

    def publish(self, stream: str, payload: Any) -> None:
        """Queue a market event for every subscriber of *stream*.

        :param stream: stream name.
        :param payload: the raw payload.
        """
        with self._lock:
            conns = tuple(self._subs.get(stream, ()))
        cache: dict[tuple[bool, bool], bytes] = {}
        for conn in conns:
            key = (conn.combined, conn.micros)
            data = cache.get(key)
            if data is None:
                body = to_micros(payload) if conn.micros else payload
                if conn.combined:
                    body = {"stream": stream, "data": body}
                data = cache[key] = orjson.dumps(body)
            conn.send(data)

    def publish_user(self, api_key: str, event: dict[str, Any]) -> None:
        """Queue a user-data event for every subscription of the account.

        :param api_key: the account's key.
        :param event: the bare event.
        """
        with self._lock:
            targets = tuple(self._user_subs.get(api_key, {}).values())
        for conn, sub_id in targets:
            conn.send_json(
                {"subscriptionId": sub_id, "event": to_micros(event) if conn.micros else event}
            )

    def add_user_subscription(self, conn: WsConn, account: Account) -> int:
        """Register a user-data subscription on a WebSocket API connection.

        :param conn: the connection.
        :param account: the subscribed account.
        :returns: the new subscription id.
        """
        with self._lock:
            sub_id = conn.next_subscription
            conn.next_subscription += 1
            conn.subscriptions[sub_id] = account
            self._user_subs.setdefault(account.api_key, {})[(conn.id, sub_id)] = (conn, sub_id)
            return sub_id

    def remove_user_subscription(self, conn: WsConn, sub_id: int) -> None:
        """End a user-data subscription (the caller sends ``eventStreamTerminated``).

        :param conn: the connection.
        :param sub_id: the subscription id.
        """
        with self._lock:
            account = conn.subscriptions.pop(sub_id, None)
            if account is not None:
                self._user_subs.get(account.api_key, {}).pop((conn.id, sub_id), None)

    # -- inspection and faults ------------------------------------------------------------------

    def connections(self) -> list[WsConn]:
        """Open connections.

        :returns: a snapshot, by id.
        """
        with self._lock:
            return [self._conns[k] for k in sorted(self._conns)]

    def select(self, kind: str | None, ids: Iterable[int] | None) -> list[WsConn]:
        """Open connections matching a fault's filters.

        :param kind: ``"stream"``, ``"ws-api"`` or ``None`` (both).
        :param ids: connection ids or ``None`` (all).
        :returns: the matches.
        """
        wanted = None if ids is None else set(ids)
        return [
            c
            for c in self.connections()
            if (kind is None or c.kind == kind)
            and (wanted is None or c.id in wanted)
            and not c.dead
        ]

    def shutdown_event(self, conn: WsConn) -> bytes:
        """The ``serverShutdown`` message in the connection's framing.

        :param conn: the connection.
        :returns: UTF-8 JSON.
        """
        event = {"e": "serverShutdown", "E": self.core.clock.now_ms()}
        if conn.micros:
            event = to_micros(event)
        if conn.kind == "ws-api":
            return orjson.dumps({"event": event})
        if conn.combined:
            return orjson.dumps({"stream": "!serverShutdown", "data": event})
        return orjson.dumps(event)

    def flood(
        self, stream: str, template: bytes, template_micros: bytes, count: int, next_id: int
    ) -> None:
        """Push *count* copies of a templated payload to every subscriber of *stream*.

        :param stream: stream name.
        :param template: payload bytes with ``%(e)d`` for times and ``%(i)d`` for ids.
        :param template_micros: the same for ``timeUnit=MICROSECOND`` connections.
        :param count: how many messages.
        :param next_id: first id to substitute (incremented per message).
        """
        with self._lock:
            conns = tuple(self._subs.get(stream, ()))
        if not conns or count <= 0:
            return
        name = orjson.dumps(stream)
        variants: dict[tuple[bool, bool], bytes] = {}
        for conn in conns:
            key = (conn.combined, conn.micros)
            if key not in variants:
                body = template_micros if conn.micros else template
                variants[key] = (
                    b'{"stream":' + name + b',"data":' + body + b"}" if conn.combined else body
                )
        in_flight: deque[threading.Event] = deque()
        sent = 0
        while sent < count:
            size = min(FLOOD_CHUNK, count - sent)
            now = self.core.clock.now_ms()
            ids = range(next_id + sent, next_id + sent + size)
            batches = {
                key: [tmpl % {b"e": now * (1000 if key[1] else 1), b"i": i} for i in ids]
                for key, tmpl in variants.items()
            }
            for conn in conns:
                done = threading.Event()
                conn.queue.put(_Batch(batches[(conn.combined, conn.micros)], done))
                in_flight.append(done)
            sent += size
            # Keep a few chunks queued per connection, no more (bounded memory).
            while len(in_flight) > 4 * len(conns):
                in_flight.popleft().wait()
        for done in in_flight:
            done.wait()

    # -- housekeeping and shutdown ------------------------------------------------------------

    def _housekeep(self) -> None:
        settings = self.core.settings
        step = max(0.005, min(0.1, settings.ping_interval / 5, settings.pong_timeout / 5))
        while not self.core.stopping.wait(step):
            now = time.monotonic()
            for conn in self.connections():
                conn.housekeep(now)

    def stop(self, deadline: float) -> None:
        """Close every connection (close frames, then resets for stragglers) and join
        every thread this server started.

        :param deadline: ``time.monotonic()`` by which to give up joining.
        """
        if self._housekeeper.ident is not None:
            self._housekeeper.join(max(0.0, deadline - time.monotonic()))
        conns = self.connections()
        for conn in conns:
            if conn.silenced:
                conn.abort()
            else:
                conn.request_close(1001, "server stopping")
        grace = min(deadline, time.monotonic() + self.core.settings.close_timeout + 0.1)
        for conn in conns:
            conn.handler_thread.join(max(0.0, grace - time.monotonic()))
        for conn in conns:
            if conn.handler_thread.is_alive():
                conn.abort()
        if self._serve_thread.ident is not None:
            self._server.shutdown()
            self._serve_thread.join(max(0.0, deadline - time.monotonic()))
        else:
            self._server.socket.close()
        threads = [c.writer for c in conns] + [c.handler_thread for c in conns]
        threads += [c.recv_events_thread for c in list(self._created)]
        with self._lock:
            threads += list(self._handler_threads)
        for thread in threads:
            if thread.ident is not None and thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
                if thread.is_alive():
                    logger.warning("thread %s did not stop in time", thread.name)
