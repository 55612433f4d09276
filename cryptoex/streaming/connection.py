"""One websocket connection that never gives up: a websocket-client
``WebSocketApp`` run by a daemon reader thread inside *our own* reconnect
loop, plus the keepalive service that pings, watches for silence and paces
outgoing messages.

Why our own loop: websocket-client's ``run_forever(reconnect=...)`` sleeps
with ``time.sleep`` (stop cannot interrupt it) and races ``close()`` against
the reconnect (websocket-client#856, #1002). Here every attempt gets a fresh
``WebSocketApp``; the loop waits on ``Event.wait(delay)``; the stop event is
set *before* the socket is closed, and closing never reads from the socket
(``WebSocketApp.close()`` does, concurrently with the reader thread), it
sends a close frame and shuts the socket down so the reader wakes at once.

:class:`Connection` knows nothing about streams: what to open, what to do
with a frame and what to do on open/close come from a
:class:`ConnectionHandler`. The market-stream manager is one handler; a
WebSocket-API session (user data) can be another.

Threads: each :class:`Connection` owns one reader thread named
``cryptoex-ws-N``. One :class:`Keepalive` thread per manager
(``cryptoex-keepalive-N``) calls :meth:`Connection.tick` on every connection
it serves: client pings every ``ping_interval``, silence detection (no frame
at all, pongs included, for ``silence_timeout`` means dead), the
``max_age`` notice, and the handler's paced work.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import random
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, Final, Protocol

import websocket

from cryptoex.config import Backoff
from cryptoex.errors import NetworkError
from cryptoex.streaming.pacing import Pacer

__all__ = [
    "Connection",
    "ConnectionHandler",
    "Keepalive",
    "MessageCallback",
    "ReconnectSchedule",
]

logger = logging.getLogger(__name__)

#: Process-wide numbering of connection threads (``cryptoex-ws-N``), so every
#: name in logs and thread dumps is unique.
_CONNECTION_IDS = itertools.count()
_KEEPALIVE_IDS = itertools.count()

#: Payload of a normal-closure close frame (status 1000).
_CLOSE_NORMAL: Final = (1000).to_bytes(2, "big")
#: Longest the keepalive thread sleeps when nothing is due, seconds.
MAX_TICK: Final = 1.0

#: ``websocket-client`` calls ``on_message(app, data)``; with
#: ``skip_utf8_validation=True`` text frames arrive as ``bytes`` (orjson
#: validates UTF-8 while parsing, so validating twice is wasted work).
MessageCallback = Callable[[Any, Any], None]


class ConnectionHandler(Protocol):
    """What a :class:`Connection` asks of its owner. Every method but
    :meth:`url` and :meth:`message_callback` may do nothing.

    Reader-thread methods must not block for long and must not raise (an
    exception is logged and ignored).
    """

    def url(self, conn: Connection) -> str:
        """The URL to open for the next attempt (reader thread)."""

    def message_callback(self, conn: Connection) -> MessageCallback:
        """The per-frame function for *conn*, called once per connection.

        It is installed as the ``WebSocketApp``'s ``on_message`` and runs on
        the reader thread for every data frame: this is the hot path. It must
        add 1 to ``conn.messages`` for every frame (the silence watchdog
        reads that counter; counting there saves a call per message).
        """

    def on_open(self, conn: Connection, reconnect: bool) -> None:
        """The socket opened (reader thread, before the first frame is read).

        :param reconnect: ``False`` for the first open of this connection.
        """

    def on_closed(self, conn: Connection, reason: str) -> None:
        """An open socket closed, for any reason (reader thread, after the
        socket state is cleared)."""

    def on_reconnecting(self, conn: Connection, attempt: int, delay: float) -> None:
        """A reconnect *attempt* (1-based) starts after *delay* seconds."""

    def on_tick(self, conn: Connection, now: float) -> float | None:
        """Keepalive-thread work (paced sends). Returns the monotonic time it
        wants to run next, or ``None``."""

    def on_expired(self, conn: Connection) -> None:
        """The open socket reached ``max_age`` (keepalive thread); the
        handler replaces or reconnects it."""


class ReconnectSchedule:
    """Which reconnect attempt comes next and how long to wait for it.

    The attempt counter grows with every failure or drop and goes back to
    1 once a socket stayed open ``backoff.reset_after`` seconds; the delay
    is the :class:`~cryptoex.config.Backoff` delay for the attempt, or the
    server's ``Retry-After`` if that is longer. Pure: the connection feeds
    it what happened.

    :param backoff: the delays.
    :param rand: random source for the jitter.
    """

    def __init__(self, backoff: Backoff, rand: Callable[[], float] = random.random) -> None:
        self.backoff = backoff
        self.rand = rand
        #: The last attempt number handed out (0: none yet).
        self.attempt = 0

    def next(self, open_for: float | None, retry_after: float | None = None) -> tuple[int, float]:
        """``(attempt, delay)`` after a socket ended.

        :param open_for: seconds the socket was open, ``None`` if it never
            opened (refused, unreachable, handshake timeout).
        :param retry_after: seconds the server asked us to wait, if any.
        """
        if open_for is not None and open_for >= self.backoff.reset_after:
            self.attempt = 0
        self.attempt += 1
        delay = self.backoff.delay(self.attempt, self.rand)
        if retry_after is not None and retry_after > delay:
            delay = retry_after
        return self.attempt, delay


class Keepalive:
    """The helper thread that drives :meth:`Connection.tick` for every
    connection of one owner.

    It sleeps on a condition until the earliest time any connection asked
    for (at most :data:`MAX_TICK`), and :meth:`wake` makes it run at once (a
    control message was queued). Started lazily by the owner; :meth:`stop`
    joins it.
    """

    def __init__(self, name: str | None = None) -> None:
        self.name = name or f"cryptoex-keepalive-{next(_KEEPALIVE_IDS)}"
        self._connections: list[Connection] = []
        self._cond = threading.Condition()
        self._woken = False
        self._stopping = False
        self._thread: threading.Thread | None = None

    def add(self, conn: Connection) -> None:
        """Serve *conn* from now on (starts the thread on first use)."""
        with self._cond:
            if self._stopping:
                return
            self._connections.append(conn)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
            self._woken = True
            self._cond.notify()

    def remove(self, conn: Connection) -> None:
        """Stop serving *conn*."""
        with self._cond:
            if conn in self._connections:
                self._connections.remove(conn)

    def wake(self) -> None:
        """Run a tick now instead of at the next scheduled time."""
        with self._cond:
            self._woken = True
            self._cond.notify()

    @property
    def thread(self) -> threading.Thread | None:
        """The keepalive thread, once started."""
        return self._thread

    def stop(self) -> None:
        """Ask the thread to end (join it with :attr:`thread`)."""
        with self._cond:
            self._stopping = True
            self._connections.clear()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                connections = list(self._connections)
                self._woken = False
            now = time.monotonic()
            due = now + MAX_TICK
            for conn in connections:
                try:
                    wanted = conn.tick(now)
                except Exception:  # a bug here must not end pings for everyone
                    logger.exception("keepalive tick failed on %s", conn.name)
                    continue
                if wanted is not None and wanted < due:
                    due = wanted
            with self._cond:
                if self._stopping:
                    return
                if not self._woken:
                    self._cond.wait(max(0.0, due - time.monotonic()))


class Connection:
    """A websocket connection that reconnects forever, until :meth:`stop`.

    Nothing happens in the constructor; :meth:`start` starts the reader
    thread. Each attempt opens ``handler.url(self)`` with a new
    ``WebSocketApp``; when a socket closes for any reason other than
    :meth:`stop` (or :meth:`retire`) the next attempt follows after a
    :class:`~cryptoex.config.Backoff` delay. The attempt counter goes back to
    1 once a socket stayed open ``backoff.reset_after`` seconds. A refused
    handshake that says ``Retry-After`` waits at least that long.

    :param handler: the owner's callbacks (:class:`ConnectionHandler`).
    :param keepalive: the service that calls :meth:`tick`.
    :param pacer: gate for pings and the handler's control messages; pongs
        are recorded in it.
    :param backoff: reconnect delays.
    :param ping_interval: seconds between client pings (0: none).
    :param silence_timeout: seconds without any frame after which the socket
        is treated as dead (also the handshake timeout).
    :param max_age: seconds after which ``handler.on_expired`` is told (None:
        never).
    :param rand: random source for the backoff jitter (inject for tests).
    :param name: thread and log name; ``cryptoex-ws-N`` by default.
    """

    def __init__(
        self,
        handler: ConnectionHandler,
        keepalive: Keepalive,
        pacer: Pacer,
        *,
        backoff: Backoff,
        ping_interval: float,
        silence_timeout: float,
        max_age: float | None = None,
        rand: Callable[[], float] = random.random,
        name: str | None = None,
    ) -> None:
        self.name = name or f"cryptoex-ws-{next(_CONNECTION_IDS)}"
        self.handler = handler
        self.keepalive = keepalive
        self.pacer = pacer
        self.backoff = backoff
        self.ping_interval = ping_interval
        self.silence_timeout = silence_timeout
        self.max_age = max_age
        self._rand = rand

        #: ``"new"``, ``"connecting"``, ``"open"``, ``"backoff"`` or ``"closed"``.
        self.state = "new"
        #: Data frames received (written by the reader thread only).
        self.messages = 0
        #: Ping and pong frames received.
        self.control_frames = 0
        #: Successful re-opens after a drop.
        self.reconnects = 0
        #: Attempts that did not open (refused, network error, timeout).
        self.failed_attempts = 0
        #: Wall-clock seconds of the last frame the silence watchdog noticed.
        self.last_frame_wall: float | None = None
        #: Wall-clock seconds when the current socket opened.
        self.opened_wall: float | None = None

        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._app: websocket.WebSocketApp | None = None
        self._ws: websocket.WebSocket | None = None
        self._thread: threading.Thread | None = None
        self._opened_at: float | None = None  # monotonic
        self._attempt_started = 0.0
        self._seen_frames = -1
        self._last_progress = 0.0
        self._last_ping = 0.0
        self._expiry_notified = False
        self._error: BaseException | None = None
        self._close_reason: str | None = None
        self._drop_reason: str | None = None
        self._ever_opened = False
        self._on_message: MessageCallback | None = None

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> None:
        """Start the reader thread (once)."""
        with self._lock:
            if self._thread is not None:
                return
            self._on_message = self.handler.message_callback(self)
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self.state = "connecting"
            self._thread.start()
        self.keepalive.add(self)

    @property
    def thread(self) -> threading.Thread | None:
        """The reader thread, once started."""
        return self._thread

    @property
    def is_open(self) -> bool:
        """Whether a socket is open right now."""
        return self.state == "open"

    def stop(self) -> None:
        """End the connection for good; returns at once (see :meth:`join`).

        The stop event is set *before* the socket is closed, so the reader
        loop cannot mistake the close for a drop and reconnect. Safe from any
        thread, including a callback on this connection's own thread.
        """
        self._stop.set()
        self.keepalive.remove(self)
        self._abort("stopped")

    def retire(self, reason: str) -> None:
        """Close the socket and end the loop without reconnecting (the
        connection has been replaced). ``on_closed`` still runs."""
        self._stop.set()
        self.keepalive.remove(self)
        self._abort(reason)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the reader thread to end; returns whether it did.

        While waiting, the socket is aborted again now and then: a stop that
        raced with a handshake in progress is caught up with here.
        """
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return thread is None
        deadline = None if timeout is None else time.monotonic() + timeout
        while thread.is_alive():
            remaining = 0.05 if deadline is None else min(0.05, deadline - time.monotonic())
            if remaining <= 0:
                break
            thread.join(remaining)
            if thread.is_alive():
                self._abort(self._drop_reason or "stopped")
        return not thread.is_alive()

    def rearm_expiry(self) -> None:
        """Ask ``handler.on_expired`` again on a coming tick (the handler
        could not act on it yet)."""
        self._expiry_notified = False

    def reconnect(self, reason: str) -> None:
        """Drop the current socket; the loop reconnects after a backoff."""
        logger.warning("%s: dropping the connection: %s", self.name, reason)
        self._abort(reason)

    # -- sending -------------------------------------------------------------

    def send(self, text: str) -> None:
        """Send one text frame now (no pacing: see :attr:`pacer`).

        :raises NetworkError: when no socket is open or the send fails.
        """
        app = self._app
        ws = app.sock if app is not None else None
        if ws is None or not ws.connected:
            raise NetworkError(f"{self.name} is not connected")
        try:
            ws.send(text)
        except (websocket.WebSocketException, OSError) as exc:
            raise NetworkError(f"{self.name}: send failed: {exc}") from exc

    # -- keepalive -----------------------------------------------------------

    def tick(self, now: float) -> float | None:
        """Keepalive work at monotonic *now*; returns when to run next.

        Called by the :class:`Keepalive` thread only.
        """
        state = self.state
        if state == "connecting" and self._attempt_started:
            if now - self._attempt_started > self.silence_timeout:
                self._abort(f"no handshake within {self.silence_timeout:g}s")
                return None
            return self._attempt_started + self.silence_timeout
        if state != "open":
            return None
        due = now + MAX_TICK
        frames = self.messages + self.control_frames
        if frames != self._seen_frames:
            self._seen_frames = frames
            self._last_progress = now
            self.last_frame_wall = time.time()
        elif now - self._last_progress > self.silence_timeout:
            self._abort(f"silent for {now - self._last_progress:.1f}s (no frame, no pong)")
            return None
        # Check for silence a few times per timeout so detection is prompt.
        due = min(due, now + self.silence_timeout / 4)
        if self.ping_interval > 0:
            if now - self._last_ping >= self.ping_interval:
                if self.pacer.try_acquire(now):
                    self._ping()
                    self._last_ping = now
                    due = min(due, now + self.ping_interval)
                else:
                    due = min(due, now + self.pacer.delay(now))
            else:
                due = min(due, self._last_ping + self.ping_interval)
        opened = self._opened_at
        if self.max_age is not None and opened is not None and not self._expiry_notified:
            if now - opened >= self.max_age:
                self._expiry_notified = True
                logger.info("%s: reached its maximum age (%gs)", self.name, self.max_age)
                self._call("on_expired", self.handler.on_expired, self)
            else:
                due = min(due, opened + self.max_age)
        wanted = self._call("on_tick", self.handler.on_tick, self, now)
        if isinstance(wanted, float) and wanted < due:
            due = wanted
        return due

    def _ping(self) -> None:
        app = self._app
        ws = app.sock if app is not None else None
        if ws is None or not ws.connected:
            return
        try:
            ws.ping()
        except (websocket.WebSocketException, OSError) as exc:
            # The reader thread sees the broken socket too and reconnects.
            logger.info("%s: ping failed: %s", self.name, exc)

    # -- the reader thread ----------------------------------------------------

    def _run(self) -> None:
        schedule = ReconnectSchedule(self.backoff, self._rand)
        while not self._stop.is_set():
            app = websocket.WebSocketApp(
                self.handler.url(self),
                on_open=self._handle_open,
                on_message=self._on_message,
                on_error=self._handle_error,
                on_close=self._handle_close,
                on_ping=self._handle_ping,
                on_pong=self._handle_pong,
            )
            with self._lock:
                self._app = app
                self._error = None
                self._close_reason = None
                self._drop_reason = None
                self._opened_at = None
                self._attempt_started = time.monotonic()
                self.state = "connecting"
            # Published before this check, and stop() sets the event before it
            # reads the app: one of the two always sees the other.
            if self._stop.is_set():
                break
            self.keepalive.wake()
            try:
                app.run_forever(ping_interval=0, reconnect=0, skip_utf8_validation=True)
            except Exception as exc:  # run_forever handles its own; belt and braces
                self._error = exc
            ws = self._ws
            if ws is not None:
                # Close the descriptor whatever path teardown took (idempotent).
                ws.shutdown()  # type: ignore[no-untyped-call]
                self._ws = None
            opened_at = self._opened_at
            with self._lock:
                self._app = None
                self.state = "closed" if self._stop.is_set() else "backoff"
            open_for = None if opened_at is None else time.monotonic() - opened_at
            if opened_at is not None:
                reason = self._reason()
                logger.info("%s: disconnected: %s", self.name, reason)
                self._call("on_closed", self.handler.on_closed, self, reason)
            else:
                self.failed_attempts += 1
            if self._stop.is_set():
                break
            attempt, delay = schedule.next(open_for, self._retry_after())
            if opened_at is None:
                logger.warning(
                    "%s: connection attempt failed (%s); retry %d in %.2fs",
                    self.name,
                    self._reason(),
                    attempt,
                    delay,
                )
            else:
                logger.warning("%s: reconnect %d in %.2fs", self.name, attempt, delay)
            self._call("on_reconnecting", self.handler.on_reconnecting, self, attempt, delay)
            if self._stop.wait(delay):
                break
        with self._lock:
            self.state = "closed"
            self._app = None

    def _handle_open(self, app: websocket.WebSocketApp) -> None:
        if self._stop.is_set():
            # stop() ran while the handshake was in flight and found no socket.
            self._abort("stopped")
            return
        now = time.monotonic()
        self.pacer.reset()
        reconnect = self._ever_opened
        if reconnect:
            self.reconnects += 1
        self._ever_opened = True
        self._seen_frames = -1
        self._last_progress = now
        self._last_ping = now
        self._expiry_notified = False
        self.opened_wall = time.time()
        self._opened_at = now
        self._ws = app.sock
        self.state = "open"
        logger.info("%s: connected", self.name)
        self._call("on_open", self.handler.on_open, self, reconnect)
        self.keepalive.wake()

    def _handle_error(self, app: websocket.WebSocketApp, error: BaseException) -> None:
        self._error = error

    def _handle_close(self, app: websocket.WebSocketApp, code: Any, reason: Any) -> None:
        if code is not None:
            detail = f": {reason}" if reason else ""
            self._close_reason = f"closed by the server (code {code}{detail})"

    def _handle_ping(self, app: websocket.WebSocketApp, data: Any) -> None:
        # websocket-client has already answered with a pong: it counts
        # against the exchange's per-second message limit.
        self.control_frames += 1
        self.pacer.record(time.monotonic())

    def _handle_pong(self, app: websocket.WebSocketApp, data: Any) -> None:
        self.control_frames += 1

    # -- helpers --------------------------------------------------------------

    def _abort(self, reason: str) -> None:
        """Close the socket without reading from it, from any thread.

        Sends a close frame when the socket is open, then shuts the raw
        socket down, which wakes the reader thread's ``select``/``recv``.
        """
        with self._lock:
            app = self._app
            if self._drop_reason is None:
                self._drop_reason = reason
        if app is None:
            return
        app.keep_running = False
        ws = app.sock
        if ws is None:
            return
        if ws.connected:
            # Not ws.send_close(): it marks the socket disconnected, and then
            # websocket-client's teardown never closes the file descriptor.
            # A broken socket cannot send the close frame; shutting it down
            # is enough then.
            with contextlib.suppress(websocket.WebSocketException, OSError, ValueError):
                ws.send(_CLOSE_NORMAL, websocket.ABNF.OPCODE_CLOSE)
        raw = ws.sock
        if raw is not None:
            # Already closed by the reader thread's teardown: nothing to wake.
            with contextlib.suppress(OSError):
                raw.shutdown(socket.SHUT_RDWR)

    def _reason(self) -> str:
        if self._drop_reason is not None:
            return self._drop_reason
        if self._close_reason is not None:
            return self._close_reason
        error = self._error
        if isinstance(error, websocket.WebSocketBadStatusException):
            return f"handshake refused (HTTP {error.status_code})"
        if error is not None:
            return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return "connection closed"

    def _retry_after(self) -> float | None:
        error = self._error
        if not isinstance(error, websocket.WebSocketBadStatusException):
            return None
        headers = error.resp_headers or {}
        for key, value in headers.items():
            if key.lower() == "retry-after":
                try:
                    return max(0.0, float(value))
                except (TypeError, ValueError):
                    return None
        return None

    def _call(self, what: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception:
            logger.exception("%s: handler %s raised", self.name, what)
            return None

    def __repr__(self) -> str:
        return f"<Connection {self.name} {self.state}>"
