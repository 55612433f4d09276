"""``StreamManager``: market-data streams delivered to callbacks.

The manager owns the lifecycle (new -> running -> stopping -> stopped), the
counted subscriptions and their placement on connections, the decorators,
:meth:`~StreamManager.latest` and :meth:`~StreamManager.stats`. Sockets are
:class:`~cryptoex.streaming.connection.Connection` objects grouped in
:class:`~cryptoex.streaming.slots.Slot` s; messages go through
:mod:`cryptoex.streaming.dispatch`. Threads and their guarantees are
described in ``docs/threading.rst``.
"""

from __future__ import annotations

import enum
import functools
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from cryptoex import signals
from cryptoex.config import (
    DEFAULT_MAX_CONNECTION_AGE,
    DEFAULT_MAX_STREAMS_PER_CONNECTION,
    DEFAULT_PING_INTERVAL,
    DEFAULT_SILENCE_TIMEOUT,
    Backoff,
)
from cryptoex.enums import KlineInterval
from cryptoex.errors import ConfigurationError, ValidationError
from cryptoex.exchanges import get_exchange
from cryptoex.exchanges.base import Exchange
from cryptoex.streaming.connection import Connection, ConnectionHandler, Keepalive
from cryptoex.streaming.dispatch import (
    Reporter,
    Route,
    StreamConsumer,
    UserCallback,
)
from cryptoex.streaming.orderbook import DEFAULT_BOOK_LIMIT, BookKeeper, OrderBook
from cryptoex.streaming.pacing import pacer_for_limit
from cryptoex.streaming.slots import Link, Slot
from cryptoex.streaming.stats import (
    ConnectionStats,
    LagRing,
    Stats,
    StreamStats,
    wall_time,
)
from cryptoex.streaming.subscriptions import SlotTable, Subscription
from cryptoex.streaming.user_stream import DEFAULT_SUBSCRIBE_TIMEOUT, UserStream, UserStreams

if TYPE_CHECKING:
    from cryptoex.rest.user import UserClient

__all__ = ["DEFAULT_HANDOVER_TIMEOUT", "StreamManager"]

logger = logging.getLogger(__name__)

_F = TypeVar("_F", bound=Callable[..., Any])

#: Longest a switch-over to a replacement socket may overlap the old one,
#: seconds (streams quiet for that long switch when the old socket closes).
DEFAULT_HANDOVER_TIMEOUT = 10.0
#: Shortest interval between client pings, seconds: pings share the
#: exchange's per-second message budget with subscriptions.
MIN_PING_INTERVAL = 1.0
#: Wait step of :meth:`StreamManager.run_forever`: short, so Ctrl-C is
#: handled promptly on every platform.
_RUN_FOREVER_STEP = 0.2


class _State(enum.Enum):
    NEW = "new"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"


class StreamManager:
    """Market-data streams from the exchange, delivered to your callbacks.

    Register callbacks with the decorators (``@sm.on_ticker("BTCUSDT")``) or
    subscribe and connect to :mod:`cryptoex.signals`; :meth:`start` (or
    :meth:`run_forever`, or ``with sm:``) connects. Nothing connects before
    there is a stream to carry. Subscribing while running sends a live
    ``SUBSCRIBE`` on an open connection, never a reconnect.

    Every connection reconnects forever with :class:`~cryptoex.Backoff`
    delays until :meth:`stop`, resubscribing its streams; one that is silent
    for *silence_timeout* seconds (no data, no pong) is treated as dead. On
    the exchange's ``serverShutdown`` notice and after *max_connection_age*
    seconds a replacement is opened and subscribed before the old one
    closes, and events that arrive on both are delivered once.

    Callbacks run on the connection's thread, one at a time per connection;
    one that raises is logged and reported on
    :data:`cryptoex.signals.callback_error`, and everything else keeps
    running. See ``docs/threading.rst``.

    :param testnet: use the exchange's test network.
    :param ws_url: stream base URL (``"ws://127.0.0.1:PORT"`` for the
        sandbox); ``/stream?streams=...`` is appended.
    :param rest_url: REST base URL (used by order books).
    :param ws_api_url: WebSocket API URL (used by user-data streams).
    :param max_streams_per_connection: streams per connection before another
        is opened (1 to the exchange's limit, 1024 on Binance).
    :param backoff: reconnect delays: a :class:`~cryptoex.Backoff`, a number
        of seconds (fixed delay), or ``None`` for the defaults.
    :param ping_interval: seconds between client pings (0: none). Pings are
        sent at least three times per *silence_timeout* (but at most once a
        second: they count against the exchange's 5 messages per second), so
        a quiet but healthy connection is not mistaken for a dead one; keep
        *silence_timeout* above about 2 seconds for quiet streams.
    :param silence_timeout: seconds without any frame after which a
        connection is dropped and reconnected (also the handshake timeout).
    :param max_connection_age: seconds after which a connection is replaced
        (before Binance cuts it at 24 h); ``None`` disables it.
    :param time_unit: unit of the exchange's timestamps on the wire:
        ``"MILLISECOND"`` (default) or ``"MICROSECOND"`` (Binance's
        ``timeUnit=MICROSECOND``: models then carry microsecond-exact times).
    :param exchange: exchange adapter, or its registered name.
    :raises ConfigurationError: for an invalid option (the message names it).
    """

    def __init__(
        self,
        *,
        testnet: bool = False,
        ws_url: str | None = None,
        rest_url: str | None = None,
        ws_api_url: str | None = None,
        max_streams_per_connection: int = DEFAULT_MAX_STREAMS_PER_CONNECTION,
        backoff: Backoff | float | None = None,
        ping_interval: float = DEFAULT_PING_INTERVAL,
        silence_timeout: float = DEFAULT_SILENCE_TIMEOUT,
        max_connection_age: float | None = DEFAULT_MAX_CONNECTION_AGE,
        time_unit: str = "MILLISECOND",
        exchange: str | Exchange = "binance",
    ) -> None:
        self._exchange: Exchange = get_exchange(exchange) if isinstance(exchange, str) else exchange
        #: Base URLs in use.
        self.environment = self._exchange.environment(
            bool(testnet), rest_url=rest_url, ws_url=ws_url, ws_api_url=ws_api_url
        )
        limit = self._exchange.max_streams_per_connection
        if (
            isinstance(max_streams_per_connection, bool)
            or not isinstance(max_streams_per_connection, int)
            or not 1 <= max_streams_per_connection <= limit
        ):
            raise ConfigurationError(
                f"max_streams_per_connection must be an integer from 1 to {limit}, "
                f"got {max_streams_per_connection!r}"
            )
        #: Streams per connection before another is opened.
        self.max_streams_per_connection = max_streams_per_connection
        #: Reconnect delays.
        self.backoff = Backoff.from_value(backoff)
        _check_seconds("silence_timeout", silence_timeout, allow_zero=False)
        _check_seconds("ping_interval", ping_interval, allow_zero=True)
        #: Seconds without any frame after which a connection is dead.
        self.silence_timeout = float(silence_timeout)
        #: Seconds between client pings actually used (see the class docs).
        self.ping_interval = (
            max(MIN_PING_INTERVAL, min(float(ping_interval), self.silence_timeout / 3))
            if ping_interval
            else 0.0
        )
        if max_connection_age is not None:
            _check_seconds("max_connection_age", max_connection_age, allow_zero=False)
        #: Seconds after which a connection is replaced, or ``None``.
        self.max_connection_age = None if max_connection_age is None else float(max_connection_age)
        unit = time_unit.upper() if isinstance(time_unit, str) else time_unit
        if unit not in self._exchange.time_units:
            allowed = ", ".join(self._exchange.time_units)
            raise ConfigurationError(f"time_unit must be one of {allowed}, got {time_unit!r}")
        #: Unit of the exchange's timestamps on the wire.
        self.time_unit: str = unit
        #: Longest overlap of a connection and its replacement, seconds.
        self.handover_timeout = DEFAULT_HANDOVER_TIMEOUT
        if self.max_connection_age is not None:
            self.handover_timeout = min(DEFAULT_HANDOVER_TIMEOUT, self.max_connection_age / 2)

        self._lock = threading.Lock()
        self._state = _State.NEW
        self._stopped = threading.Event()
        self._keepalive = Keepalive()
        self._reporter = Reporter(self)
        self._rand: Callable[[], float] = random.random
        self._routes: dict[str, Route] = {}
        self._table = SlotTable(max_streams_per_connection)
        self._slots: dict[int, Slot] = {}
        self._connections: list[Connection] = []
        self._parsers: Mapping[str, Callable[..., Any]] | None = None
        self._retained: dict[str, Any] = {}
        self._user_callbacks: dict[str, tuple[UserCallback, ...]] = {}
        self._book_callbacks: dict[str, tuple[Callable[[Any], Any], ...]] = {}
        self._book_symbols: set[str] = set()
        self._book_keeper: BookKeeper | None = None
        self._user_streams: UserStreams | None = None

    # -- lifecycle -------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the manager is started and not stopping."""
        return self._state is _State.RUNNING

    @property
    def state(self) -> str:
        """``"new"``, ``"running"``, ``"stopping"`` or ``"stopped"``."""
        return self._state.value

    def start(self) -> StreamManager:
        """Connect every subscribed stream; returns at once (the sockets
        open on their own threads).

        :raises RuntimeError: if already started, or stopped (a stopped
            manager cannot restart: create a new one).
        """
        with self._lock:
            if self._state is _State.RUNNING:
                raise RuntimeError("StreamManager is already running; call start() once")
            if self._state is not _State.NEW:
                raise RuntimeError(
                    "StreamManager was stopped and cannot be restarted; create a new one"
                )
            self._state = _State.RUNNING
            keeper = self._book_keeper
            starting: list[Connection] = []
            for index in self._table.slots():
                slot = self._slots.setdefault(index, Slot(self, index))
                for stream in sorted(self._table.streams(index)):
                    conn = slot.add(self._routes[stream])
                    if conn is not None:
                        starting.append(conn)
        logger.info("stream manager started (%d streams)", len(self._routes))
        if keeper is not None:
            keeper.start()
        for conn in starting:
            self._started_connection(conn)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Close every connection and join every thread, within *timeout*
        seconds.

        Idempotent and callable from any thread, a callback included: a
        thread cannot join itself, so a call from a callback joins all the
        others and lets its own thread end by itself right after (a later
        ``stop()`` from another thread joins it). Order: the state moves to
        stopping, every wait is woken, every socket is closed, then threads
        are joined. A thread still alive at the deadline is logged by name.
        """
        deadline = time.monotonic() + max(0.0, timeout)
        with self._lock:
            first = self._state in (_State.NEW, _State.RUNNING)
            if first:
                self._state = _State.STOPPING
            slots = list(self._slots.values())
            connections = list(self._connections)
            keeper = self._book_keeper
            users = self._user_streams
        if first:
            logger.info("stopping stream manager")
            self._stopped.set()
            if keeper is not None:
                keeper.stop()  # before the sockets close: books need not resync
            for slot in slots:
                slot.close()
            for conn in connections:
                conn.stop()
            if users is not None:
                users.stop()
            self._keepalive.stop()
        me = threading.current_thread()
        threads: list[threading.Thread] = []
        for conn in connections:
            conn.join(max(0.0, deadline - time.monotonic()))
            if conn.thread is not None:
                threads.append(conn.thread)
        keepalive = self._keepalive.thread
        if keepalive is not None and keepalive is not me:
            keepalive.join(max(0.0, deadline - time.monotonic()))
        if keepalive is not None:
            threads.append(keepalive)
        if keeper is not None:
            books_thread = keeper.join(deadline - time.monotonic())
            if books_thread is not None:
                threads.append(books_thread)
        if users is not None:
            threads.extend(users.join(deadline - time.monotonic()))
        alive = [t.name for t in threads if t.is_alive() and t is not me]
        if alive:
            logger.warning("threads still running after stop(): %s", ", ".join(alive))
        with self._lock:
            if first:
                self._state = _State.STOPPED
                self._connections = [c for c in self._connections if _alive(c)]

    def run_forever(self) -> None:
        """Start (if needed) and block until :meth:`stop` or Ctrl-C.

        Waits in short timed steps, so Ctrl-C (SIGINT) is handled promptly;
        on Ctrl-C the manager stops cleanly and this returns normally. Works
        in the main thread of a script, in any other thread (no signal
        handler is installed) and in Jupyter (no event loop is used).

        :raises RuntimeError: if the manager was stopped already.
        """
        with self._lock:
            state = self._state
        if state is _State.NEW:
            self.start()
        elif state is not _State.RUNNING:
            raise RuntimeError("StreamManager was stopped; create a new one to run again")
        try:
            while not self._stopped.wait(_RUN_FOREVER_STEP):
                pass
        except KeyboardInterrupt:
            logger.info("interrupted (Ctrl-C): stopping")
        finally:
            self.stop()

    def __enter__(self) -> StreamManager:
        if self._state is _State.NEW:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- subscriptions ---------------------------------------------------------

    def subscribe(
        self,
        kind: str,
        symbol: str,
        *,
        interval: str | KlineInterval | None = None,
        levels: Literal[5, 10, 20] | None = None,
        fast: bool = False,
    ) -> Subscription:
        """Subscribe one stream; its events go to :mod:`cryptoex.signals`
        (sender = symbol) and to callbacks registered for it.

        Counted: each call returns its own :class:`Subscription`, and the
        stream is unsubscribed at the exchange when the last one is released.

        :param kind: ``ticker``, ``mini_ticker``, ``book_ticker``, ``trade``,
            ``agg_trade``, ``kline``, ``depth`` or ``depth_update``.
        :param symbol: the symbol, any case (``"BTCUSDT"``).
        :param interval: kline interval (``kline``; default ``"1m"``).
        :param levels: partial-book size 5, 10 or 20 (``depth``; default 10).
        :param fast: the 100 ms variant of ``depth``/``depth_update``.
        :raises ValidationError: for an unknown kind, symbol or parameter.
        :raises RuntimeError: if the manager is stopping or stopped.
        """
        return self._subscribe(kind, symbol, interval=interval, levels=levels, fast=fast)

    def _subscribe(
        self,
        kind: str,
        symbol: str,
        *,
        interval: str | KlineInterval | None = None,
        levels: int | None = None,
        fast: bool = False,
        callback: Callable[[Any], Any] | None = None,
        consumer: StreamConsumer | None = None,
    ) -> Subscription:
        stream = self._stream_name(kind, symbol, interval=interval, levels=levels, fast=fast)
        starting: Connection | None = None
        with self._lock:
            if self._state in (_State.STOPPING, _State.STOPPED):
                raise RuntimeError(
                    f"cannot subscribe {stream}: the StreamManager is {self._state.value}"
                )
            route = self._routes.get(stream)
            new = route is None
            if route is None:
                route = self._make_route(stream)
                self._routes[stream] = route
            route.subscribers += 1
            if callback is not None and all(c is not callback for c in route.callbacks):
                route.callbacks = (*route.callbacks, callback)
            if consumer is not None:
                route.consumers = (*route.consumers, consumer)
            slot: Slot | None = None
            if new:
                index, _ = self._table.place(stream, prefer=self._still_carried(stream))
                if self._state is _State.RUNNING:
                    slot = self._slots.setdefault(index, Slot(self, index))
            if slot is not None:
                starting = slot.add(route)
        if new:
            logger.info("subscribed %s", stream)
        if starting is not None:
            self._started_connection(starting)
        release = None
        if consumer is not None:
            release = lambda: self._detach(stream, consumer)  # noqa: E731
        return Subscription(self, stream, route.kind, route.symbol, on_release=release)

    def _still_carried(self, stream: str) -> int | None:
        """The slot whose socket still carries *stream* (its UNSUBSCRIBE not
        sent yet): subscribing again there just cancels the unsubscribe, and
        no event is lost between two sockets. Called under the lock."""
        for index, slot in self._slots.items():
            if any(link.carries(stream) for link in slot.links()):
                return index
        return None

    def _stream_name(
        self,
        kind: str,
        symbol: str,
        *,
        interval: str | KlineInterval | None = None,
        levels: int | None = None,
        fast: bool = False,
    ) -> str:
        if kind not in signals.MARKET_SIGNALS:
            allowed = ", ".join(signals.MARKET_SIGNALS)
            raise ValidationError(
                f"unknown stream kind {kind!r}; allowed: {allowed}", field="kind", allowed=allowed
            )
        if interval is not None and kind != "kline":
            raise ValidationError(
                f"interval= applies to kline streams only, not {kind!r}", field="interval"
            )
        if levels is not None and kind != "depth":
            raise ValidationError(
                f"levels= applies to depth streams only, not {kind!r}", field="levels"
            )
        if fast and kind not in ("depth", "depth_update"):
            raise ValidationError(
                f"fast= applies to depth and depth_update streams only, not {kind!r}",
                field="fast",
            )
        return self._exchange.stream_name(kind, symbol, interval=interval, levels=levels, fast=fast)

    def _make_route(self, stream: str) -> Route:
        key = self._exchange.parse_stream_name(stream)
        if key is None:  # pragma: no cover - the adapter names only streams it parses
            raise ValidationError(f"cryptoex cannot parse stream {stream!r}", field="kind")
        if self._parsers is None:
            self._parsers = self._exchange.stream_parsers(self.time_unit)
        parser = self._parsers[key.kind]
        symbol = key.symbol
        parse: Callable[[Any], Any] = parser
        if key.kind == "depth":
            # Partial-book payloads carry no symbol: the stream name does.
            parse = functools.partial(parser, symbol=symbol)
        return Route(
            stream,
            key.kind,
            symbol,
            parse,
            signals.MARKET_SIGNALS[key.kind],
            self._reporter,
            self._exchange.event_identity(key.kind),
            event_time_key=self._exchange.event_time_key,
            time_scale=self._exchange.time_units[self.time_unit],
        )

    def _release(self, stream: str) -> None:
        """One subscriber of *stream* let go (called by :class:`Subscription`)."""
        closing: Slot | None = None
        removed = False
        with self._lock:
            route = self._routes.get(stream)
            if route is None or route.subscribers <= 0:
                return
            route.subscribers -= 1
            if route.subscribers > 0:
                return
            del self._routes[stream]
            self._retained[stream] = route.latest
            removed = True
            index, empty = self._table.remove(stream)
            slot = self._slots.get(index)
            if slot is not None:
                if empty:
                    closing = self._slots.pop(index)
                else:
                    slot.remove(stream)
        if removed:
            logger.info("unsubscribed %s", stream)
        if closing is not None:
            # The slot carried nothing else: close its socket instead of
            # keeping an empty connection open. Joined by stop().
            for conn in closing.close():
                self._retired_connection(conn)

    def _attach(
        self,
        kind: str,
        symbol: str,
        consumer: StreamConsumer,
        *,
        interval: str | KlineInterval | None = None,
        levels: int | None = None,
        fast: bool = False,
    ) -> Subscription:
        """Subscribe a stream for an internal *consumer* (the order book).

        The consumer sees every parsed event on the reader thread before user
        callbacks, exactly once and in order, and is told when the stream's
        connection is lost and restored (see
        :class:`~cryptoex.streaming.dispatch.StreamConsumer`). Releasing the
        returned subscription detaches it.
        """
        return self._subscribe(
            kind, symbol, interval=interval, levels=levels, fast=fast, consumer=consumer
        )

    def _detach(self, stream: str, consumer: StreamConsumer) -> None:
        with self._lock:
            route = self._routes.get(stream)
            if route is not None:
                route.consumers = tuple(c for c in route.consumers if c is not consumer)

    def _new_connection(self, handler: ConnectionHandler, name: str | None = None) -> Connection:
        """A connection configured by this manager's options (backoff, pings,
        silence, rotation age, pacing under the exchange's message limit),
        driving *handler*: a market-stream link or a user-data session."""
        options: dict[str, Any] = {} if name is None else {"name": name}
        return Connection(
            handler,
            self._keepalive,
            pacer_for_limit(self._exchange.max_control_messages_per_second),
            backoff=self.backoff,
            ping_interval=self.ping_interval,
            silence_timeout=self.silence_timeout,
            max_age=self.max_connection_age,
            rand=self._rand,
            **options,
        )

    def _started_connection(self, conn: Connection) -> None:
        with self._lock:
            if self._state is not _State.RUNNING:
                return
            self._connections = [c for c in self._connections if _alive(c)]
            self._connections.append(conn)
        conn.start()

    def _retired_connection(self, conn: Connection) -> None:
        """A connection that is ending on its own; keep it to join at stop."""
        with self._lock:
            if conn not in self._connections:
                self._connections.append(conn)

    # -- order books -----------------------------------------------------------

    def order_book(self, symbol: str, limit: int = DEFAULT_BOOK_LIMIT) -> OrderBook:
        """A live local :class:`OrderBook` of *symbol*, kept in sync by the
        exchange's procedure (diff stream buffered, REST snapshot of *limit*
        levels per side, update-id checks, resync on any gap or reconnect).

        Returns at once; the book syncs in the background (see
        :meth:`OrderBook.wait_synced`). One book per symbol and manager: a
        second call returns the same book (with its first *limit*). Its
        diff stream (``<symbol>@depth@100ms``) shares connections like any
        other stream and is subscribed now if the manager runs, at
        :meth:`start` otherwise. :meth:`OrderBook.close` lets it go.

        :param symbol: the symbol, any case.
        :param limit: snapshot depth, 1 to 5000 levels per side (the
            snapshot's request weight grows with it: 250 at 5000).
        :raises ValidationError: for an invalid symbol or limit.
        :raises RuntimeError: if the manager is stopping or stopped.
        """
        (name,) = _symbols("order_book", (symbol,), required=True)
        top = self._exchange.max_limit("order_book") or DEFAULT_BOOK_LIMIT
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= top:
            raise ValidationError(
                f"limit must be an integer from 1 to {top}, got {limit!r}",
                field="limit",
                allowed=f"1 to {top}",
            )
        self._stream_name("depth_update", name, fast=True)  # validates the symbol
        with self._lock:
            if self._state in (_State.STOPPING, _State.STOPPED):
                raise RuntimeError(
                    f"cannot keep an order book of {name}: the StreamManager is {self._state.value}"
                )
            if self._book_keeper is None:
                self._book_keeper = BookKeeper(self)
            keeper = self._book_keeper
        return keeper.book(name, limit)

    # -- user data -------------------------------------------------------------

    def subscribe_user(
        self,
        client: UserClient,
        *,
        timeout: float = DEFAULT_SUBSCRIBE_TIMEOUT,
        refill: bool = True,
    ) -> UserStream:
        """Subscribe *client*'s account to its user-data stream (order,
        balance and account updates) over the exchange's WebSocket API.

        Blocks until the exchange confirmed the subscription. Events go to
        the returned :class:`UserStream`'s decorators (this account only),
        to this manager's ``on_order_update``/``on_balance_update``/
        ``on_account_update`` and to :mod:`cryptoex.signals` (sender = the
        account label). Several accounts share WebSocket API connections
        (one subscription per account per connection, as the exchange
        allows); subscribing the same client again returns another handle
        on the same subscription. Works before :meth:`start` too (the
        connection opens at once).

        After every reconnect, ``eventStreamTerminated`` or
        ``serverShutdown`` the subscription is made again (with backoff)
        and the gap is closed from REST: what changed meanwhile is delivered
        as events marked ``synthetic=True`` before any newer event (see
        :doc:`/user_data` for the ordering guarantees).

        :param client: the account's :class:`~cryptoex.UserClient`; its
            ``ws_api_url`` is used (the manager's ``ws_api_url`` when the
            client only has its deployment's default).
        :param timeout: seconds to wait for the confirmation.
        :param refill: read open orders and balances now and close every
            gap from REST (weight: about 100 now and per gap, plus 20 per
            symbol and 4-5 per changed order); ``False`` loses events sent
            while disconnected.
        :raises AuthenticationError: the exchange refused the key or the
            signature.
        :raises ExchangeError: the exchange refused the subscription.
        :raises NetworkError: no confirmation within *timeout*.
        :raises RuntimeError: if the manager is stopping or stopped.
        """
        with self._lock:
            if self._state in (_State.STOPPING, _State.STOPPED):
                raise RuntimeError(
                    f"cannot subscribe user data: the StreamManager is {self._state.value}"
                )
            if self._user_streams is None:
                self._user_streams = UserStreams(self)
            service = self._user_streams
        return service.subscribe(client, timeout=timeout, refill=refill)

    # -- reading ---------------------------------------------------------------

    def latest(
        self,
        kind: str,
        symbol: str,
        *,
        interval: str | KlineInterval | None = None,
        levels: Literal[5, 10, 20] | None = None,
        fast: bool = False,
    ) -> Any:
        """The last event received on a stream, or ``None`` if none yet.

        Handy in Jupyter: subscribe (or decorate), then look. Thread-safe;
        models are immutable.

        :raises ValidationError: for an unknown kind or parameter.
        """
        stream = self._stream_name(kind, symbol, interval=interval, levels=levels, fast=fast)
        route = self._routes.get(stream)
        if route is not None:
            return route.latest
        return self._retained.get(stream)

    def stats(self) -> Stats:
        """A snapshot of per-stream and per-connection figures.

        Keyed by stream name (``"btcusdt@ticker"``) and by connection name
        (``"cryptoex-ws-0"``); see :class:`~cryptoex.streaming.stats.Stats`.
        Cheap enough to call once a second; values may be one message
        behind the reader threads.
        """
        with self._lock:
            routes = list(self._routes.values())
            slots = list(self._slots.values())
        links: list[Link] = []
        for slot in slots:
            links.extend(slot.links())
        streams: dict[str, StreamStats] = {}
        by_conn: dict[int, list[Route]] = {}
        for route in routes:
            conn = route.conn
            if conn is not None:
                by_conn.setdefault(id(conn), []).append(route)
            p50, p99, top = route.lag.percentiles()
            streams[route.stream] = StreamStats(
                stream=route.stream,
                kind=route.kind,
                symbol=route.symbol,
                connection=conn.name if conn is not None else None,
                subscribers=route.subscribers,
                messages=route.messages,
                last_message_at=wall_time(route.last_wall),
                reconnects=route.reconnects,
                parse_errors=route.parse_errors,
                callback_errors=route.callback_errors,
                duplicates=route.duplicates,
                dropped=route.parse_errors,
                queued=0,
                lag_ms_p50=p50,
                lag_ms_p99=p99,
                lag_ms_max=top,
            )
        connections: dict[str, ConnectionStats] = {}
        for link in links:
            conn = link.conn
            ring = LagRing.merged(r.lag for r in by_conn.get(id(conn), ()))
            p50, p99, top = ring.percentiles()
            connections[conn.name] = ConnectionStats(
                name=conn.name,
                state=conn.state,
                streams=len(link.desired),
                messages=conn.messages,
                last_message_at=wall_time(conn.last_frame_wall),
                reconnects=conn.reconnects,
                failed_attempts=conn.failed_attempts,
                control_messages=link.control_messages,
                unknown_messages=link.unknown_messages,
                unrouted=link.unrouted,
                parse_errors=link.parse_errors,
                connected_at=wall_time(conn.opened_wall) if conn.is_open else None,
                lag_ms_p50=p50,
                lag_ms_p99=p99,
                lag_ms_max=top,
            )
        return Stats(streams, connections, datetime.now(timezone.utc))

    # -- decorators: market data -----------------------------------------------

    def _market(self, kind: str, symbols: tuple[Any, ...], **params: Any) -> Callable[[_F], _F]:
        names = _symbols(f"on_{kind}", symbols, required=True)
        for name in names:  # validate now, before any function is given
            self._stream_name(kind, name, **params)

        def register(fn: _F) -> _F:
            _check_callable(f"on_{kind}", fn)
            for name in names:
                self._subscribe(kind, name, callback=fn, **params)
            return fn

        return register

    def on_ticker(self, *symbols: str) -> Callable[[_F], _F]:
        """Call the decorated function with each :class:`~cryptoex.Ticker` of *symbols*.

        Subscribes ``<symbol>@ticker`` for each symbol (now if running, at
        :meth:`start` otherwise) and returns the function unchanged, so
        decorators stack and the function can still be called directly. The
        callback is held strongly and receives one argument, the model.

        :raises ValidationError: for a missing or invalid symbol.
        """
        return self._market("ticker", symbols)

    def on_mini_ticker(self, *symbols: str) -> Callable[[_F], _F]:
        """Like :meth:`on_ticker`, for ``MiniTicker`` (``@miniTicker``)."""
        return self._market("mini_ticker", symbols)

    def on_book_ticker(self, *symbols: str) -> Callable[[_F], _F]:
        """Like :meth:`on_ticker`, for ``BookTicker`` (``@bookTicker``)."""
        return self._market("book_ticker", symbols)

    def on_trade(self, *symbols: str) -> Callable[[_F], _F]:
        """Like :meth:`on_ticker`, for each :class:`~cryptoex.Trade` (``@trade``)."""
        return self._market("trade", symbols)

    def on_agg_trade(self, *symbols: str) -> Callable[[_F], _F]:
        """Like :meth:`on_ticker`, for each ``AggTrade`` (``@aggTrade``)."""
        return self._market("agg_trade", symbols)

    def on_kline(self, *symbols: str, interval: str | KlineInterval = "1m") -> Callable[[_F], _F]:
        """Like :meth:`on_ticker`, for :class:`~cryptoex.Kline` updates of *interval*
        (``@kline_<interval>``; case-sensitive: ``"1m"`` minute, ``"1M"``
        month)."""
        return self._market("kline", symbols, interval=interval)

    def on_depth(
        self, *symbols: str, levels: Literal[5, 10, 20] = 10, fast: bool = False
    ) -> Callable[[_F], _F]:
        """Like :meth:`on_ticker`, for the partial book :class:`~cryptoex.PartialDepth`
        (top *levels* of each side, every second, or 100 ms when *fast*)."""
        return self._market("depth", symbols, levels=levels, fast=fast)

    def on_depth_update(self, *symbols: str, fast: bool = False) -> Callable[[_F], _F]:
        """Like :meth:`on_ticker`, for each :class:`~cryptoex.DepthUpdate` of the diff
        stream (every second, or 100 ms when *fast*)."""
        return self._market("depth_update", symbols, fast=fast)

    # -- decorators: order books and user data ---------------------------------

    def on_order_book(self, *symbols: str) -> Callable[[_F], _F]:
        """Call the decorated function with the maintained local
        ``OrderBook`` of *symbols* after each applied update.

        Returns the function unchanged; the callback is held strongly.

        :raises ValidationError: for a missing or invalid symbol.
        """
        names = _symbols("on_order_book", symbols, required=True)

        def register(fn: _F) -> _F:
            _check_callable("on_order_book", fn)
            with self._lock:
                for name in names:
                    current = self._book_callbacks.get(name, ())
                    if all(c is not fn for c in current):
                        self._book_callbacks[name] = (*current, fn)
            for name in names:
                self._want_order_book(name)
            return fn

        return register

    def _want_order_book(self, symbol: str) -> None:
        """Keep a local book of *symbol* (for ``on_order_book``)."""
        with self._lock:
            self._book_symbols.add(symbol)
        self.order_book(symbol)

    def _emit_order_book(self, symbol: str, book: Any) -> None:
        """Deliver an updated book to ``on_order_book`` callbacks and
        :data:`cryptoex.signals.order_book` (sender = symbol), in isolation."""
        for callback in self._book_callbacks.get(symbol, ()):
            try:
                callback(book)
            except Exception as exc:
                self._reporter.callback_failed(callback, exc, book, f"{symbol} order book")
        self._send_isolated(signals.order_book, symbol, book, f"{symbol} order book")

    def _user(self, kind: str, attr: str | None, values: tuple[str, ...]) -> Callable[[_F], _F]:
        def register(fn: _F) -> _F:
            _check_callable(f"on_{kind}", fn)
            with self._lock:
                current = self._user_callbacks.get(kind, ())
                self._user_callbacks[kind] = (*current, UserCallback(fn, attr, values))
            return fn

        return register

    def on_order_update(self, *symbols: str) -> Callable[[_F], _F]:
        """Call the decorated function with each ``OrderUpdate`` of
        every user stream of this manager, only for *symbols* if given.

        Returns the function unchanged; the callback is held strongly.
        """
        return self._user("order_update", "symbol", _symbols("on_order_update", symbols))

    def on_balance_update(self, *assets: str) -> Callable[[_F], _F]:
        """Call the decorated function with each ``BalanceUpdate``,
        only for *assets* if given (``"USDT"``)."""
        return self._user("balance_update", "asset", _symbols("on_balance_update", assets))

    def on_account_update(self) -> Callable[[_F], _F]:
        """Call the decorated function with each ``AccountUpdate``
        (balances after an execution)."""
        return self._user("account_update", None, ())

    def _emit_user(self, kind: str, account: str, event: Any) -> None:
        """Deliver a user-data event: this manager's decorator callbacks
        (filtered), then :data:`cryptoex.signals` ``order_update`` /
        ``balance_update`` / ``account_update`` with the account label as
        sender. Each receiver in isolation. Extension point for the
        user-data stream."""
        for callback in self._user_callbacks.get(kind, ()):
            if not callback.wants(event):
                continue
            try:
                callback(event)
            except Exception as exc:
                self._reporter.callback_failed(callback.fn, exc, event, f"{kind} of {account}")
        self._send_isolated(signals.USER_SIGNALS[kind], account, event, f"{kind} of {account}")

    def _send_isolated(self, signal: Any, sender: str, event: Any, where: str) -> None:
        if not signal.receivers:
            return
        for receiver in list(signal.receivers_for(sender)):
            try:
                receiver(sender, event=event)
            except Exception as exc:
                self._reporter.callback_failed(receiver, exc, event, where)

    def __repr__(self) -> str:
        return (
            f"<StreamManager {self._state.value} {self.environment.ws_url}"
            f" streams={len(self._routes)}>"
        )


def _alive(conn: Connection) -> bool:
    """Not started yet, or its thread still running (must be joined)."""
    return conn.thread is None or conn.thread.is_alive()


def _check_seconds(name: str, value: Any, *, allow_zero: bool) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok and (value > 0 or (allow_zero and value == 0)) and value != float("inf"):
        return
    bound = ">= 0" if allow_zero else "> 0"
    raise ConfigurationError(f"{name} must be a finite number of seconds {bound}, got {value!r}")


def _symbols(decorator: str, values: Iterable[Any], *, required: bool = False) -> tuple[str, ...]:
    names: list[str] = []
    for value in values:
        if callable(value) and not isinstance(value, str):
            raise TypeError(
                f"{decorator} takes symbols and returns the decorator: "
                f"write @{decorator}('BTCUSDT'), not @{decorator}"
            )
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(
                f"{decorator}: each symbol must be a non-empty string, got {value!r}",
                field="symbol",
            )
        name = value.strip().upper()
        if name not in names:
            names.append(name)
    if required and not names:
        raise ValidationError(
            f"{decorator} needs at least one symbol, e.g. {decorator}('BTCUSDT')", field="symbol"
        )
    return tuple(names)


def _check_callable(decorator: str, fn: Any) -> None:
    if not callable(fn):
        raise TypeError(f"{decorator}(...) decorates a callable, got {fn!r}")
