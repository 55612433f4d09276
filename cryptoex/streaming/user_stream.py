"""User data over the exchange's WebSocket API: :class:`UserStream` handles,
signed subscriptions that share connections, resubscription after every
drop, termination or shutdown, and the REST refill that closes each gap.

Pieces:

* :class:`UserStreams` — one per :class:`~cryptoex.StreamManager`: the
  WebSocket API connections, the users on them, and one worker thread
  (``cryptoex-user-N``) that signs subscribe requests (signing may need the
  REST clock) and runs gap refills (REST calls), so a reader thread never
  blocks on the network.
* ``_Link`` — one WebSocket API connection (a reconnecting
  :class:`~cryptoex.streaming.connection.Connection`) carrying the
  subscriptions of several accounts, at most one per account, as Binance
  allows.
* ``_User`` — one account's subscription: its :class:`~.user_refill.Ledger`
  (what the user was told; the duplicate filter) and its mailbox (events are
  delivered one at a time, in order, never concurrently; held while a gap is
  being refilled).

Secrets: the signed subscribe request is a credential for ``recvWindow``;
it is sent and dropped, never logged, never kept. Logs name the account
label only.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

import orjson

from cryptoex import signals
from cryptoex.errors import (
    CryptoExError,
    ExchangeError,
    NetworkError,
    ParseError,
    TimestampError,
)
from cryptoex.streaming.connection import Connection, MessageCallback
from cryptoex.streaming.dispatch import UserCallback
from cryptoex.streaming.user_refill import Ledger, rebuild

if TYPE_CHECKING:
    from cryptoex.exchanges.binance.user_data import UserStreamEvent, WsApiReply
    from cryptoex.rest.user import UserClient
    from cryptoex.streaming.manager import StreamManager

__all__ = [
    "DEFAULT_SUBSCRIBE_TIMEOUT",
    "MAX_USERS_PER_CONNECTION",
    "REFILL_ATTEMPTS",
    "REFILL_MARGIN",
    "UserStream",
    "UserStreams",
]

logger = logging.getLogger(__name__)

_F = TypeVar("_F", bound=Callable[..., Any])

#: Seconds :meth:`StreamManager.subscribe_user` waits for the exchange's
#: confirmation.
DEFAULT_SUBSCRIBE_TIMEOUT: Final = 10.0
#: Accounts subscribed on one WebSocket API connection (Binance allows
#: 1000; fewer keeps one slow callback from delaying many users).
MAX_USERS_PER_CONNECTION: Final = 100
#: Seconds before the last frame received that a refill looks back to: the
#: clocks of client and exchange differ a little, and looking too far back
#: costs nothing (what was delivered already is filtered out).
REFILL_MARGIN: Final = 5.0
#: Refill attempts while the user's live events are held back; after that
#: they flow again and the refill keeps being retried.
REFILL_ATTEMPTS: Final = 3

_LINK_IDS = itertools.count()
_WORKER_IDS = itertools.count()
_REQUEST_IDS = itertools.count(1)
_KINDS: Final = ("order_update", "balance_update", "account_update")


class UserStream:
    """One subscriber's hold on an account's user-data stream, returned by
    :meth:`StreamManager.subscribe_user`.

    Its decorators see this account's events only (the manager's and the
    module-level ones see every account's). Every event carries
    ``account``, the client's label. :meth:`unsubscribe` (or leaving a
    ``with`` block) lets go; the subscription at the exchange ends when the
    last handle of the account lets go.

    Example::

        user = sm.subscribe_user(client)

        @user.on_order_update("BTCUSDT")
        def fills(update: cryptoex.OrderUpdate) -> None:
            print(update.account, update.status, update.last_filled_quantity)
    """

    def __init__(self, user: _User) -> None:
        self._service = user.service
        self._user = user
        self._lock = threading.Lock()
        self._callbacks: dict[str, tuple[UserCallback, ...]] = {}
        self._active = True

    @property
    def account(self) -> str:
        """The account label (the client's ``name``, else its masked key)."""
        return self._user.account

    @property
    def client(self) -> UserClient:
        """The client whose account this is."""
        return self._user.client

    @property
    def active(self) -> bool:
        """Whether :meth:`unsubscribe` has not been called yet."""
        return self._active

    @property
    def is_subscribed(self) -> bool:
        """Whether the exchange has an active subscription right now (false
        while reconnecting or resubscribing)."""
        return self._active and self._user.subscription_id is not None

    def _register(self, kind: str, attr: str | None, values: tuple[str, ...]) -> Callable[[_F], _F]:
        def register(fn: _F) -> _F:
            if not callable(fn):
                raise TypeError(f"on_{kind}(...) decorates a callable, got {fn!r}")
            with self._lock:
                current = self._callbacks.get(kind, ())
                self._callbacks[kind] = (*current, UserCallback(fn, attr, values))
            return fn

        return register

    def on_order_update(self, *symbols: str) -> Callable[[_F], _F]:
        """Call the decorated function with each :class:`~cryptoex.OrderUpdate`
        of this account, only for *symbols* if given. Returns the function
        unchanged; the callback is held strongly.

        :raises ValidationError: for an empty or non-string symbol.
        """
        return self._register("order_update", "symbol", _names("on_order_update", symbols))

    def on_balance_update(self, *assets: str) -> Callable[[_F], _F]:
        """Call the decorated function with each
        :class:`~cryptoex.BalanceUpdate` of this account, only for *assets*
        if given."""
        return self._register("balance_update", "asset", _names("on_balance_update", assets))

    def on_account_update(self) -> Callable[[_F], _F]:
        """Call the decorated function with each
        :class:`~cryptoex.AccountUpdate` of this account."""
        return self._register("account_update", None, ())

    def unsubscribe(self) -> None:
        """Stop receiving this account's events here; the last handle's
        release ends the subscription at the exchange. Idempotent;
        callable from a callback."""
        with self._lock:
            if not self._active:
                return
            self._active = False
        self._service._release(self)

    def _dispatch(self, kind: str, event: Any) -> None:
        if not self._active:
            return
        for callback in self._callbacks.get(kind, ()):
            if not callback.wants(event):
                continue
            try:
                callback(event)
            except Exception as exc:
                self._service.manager._reporter.callback_failed(
                    callback.fn, exc, event, f"{kind} of {self.account}"
                )

    def __enter__(self) -> UserStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.unsubscribe()

    def __repr__(self) -> str:
        if not self._active:
            state = "released"
        elif self._user.subscription_id is not None:
            state = "subscribed"
        else:
            state = "subscribing"
        return f"<UserStream account={self.account!r} {state}>"


class _Mailbox:
    """Serial delivery of one account's events: one thread at a time (the
    one that finds it idle drains it), in order, never under a lock. While
    held (a gap is being refilled) events wait; :meth:`release` puts the
    rebuilt events in front of them."""

    def __init__(self, deliver: Callable[[str, Any], None]) -> None:
        self._deliver = deliver
        self._lock = threading.Lock()
        self._queue: deque[tuple[str, Any]] = deque()
        self._busy = False
        self._held = False

    def push(self, kind: str, event: Any) -> None:
        with self._lock:
            self._queue.append((kind, event))
            if self._busy or self._held:
                return
            self._busy = True
        self._drain()

    def hold(self) -> None:
        with self._lock:
            self._held = True

    @property
    def held(self) -> bool:
        return self._held

    def release(self, first: Iterable[tuple[str, Any]] = ()) -> None:
        with self._lock:
            self._queue.extendleft(reversed(list(first)))
            self._held = False
            if self._busy or not self._queue:
                return
            self._busy = True
        self._drain()

    def _drain(self) -> None:
        while True:
            with self._lock:
                if self._held or not self._queue:
                    self._busy = False
                    return
                kind, event = self._queue.popleft()
            self._deliver(kind, event)


class _User:
    """One account's subscription (shared by its handles)."""

    def __init__(self, service: UserStreams, client: UserClient, fingerprint: str, refill: bool):
        self.service = service
        self.client = client
        self.account: str = client.account
        self.fingerprint = fingerprint
        self.refill = refill
        self.link: _Link | None = None
        self.handles: tuple[UserStream, ...] = ()
        self.subscription_id: int | None = None
        self.subscribed_at = 0.0
        self.confirmed = threading.Event()
        self.error: BaseException | None = None
        self.active = True
        self.gap_since: float | None = None  # local wall-clock seconds
        self.gap_generation = 0
        self.attempts = 0
        self.refill_attempts = 0
        self.events = 0
        self.parse_errors = 0
        self.ledger = Ledger()
        self.mailbox = _Mailbox(self._deliver)

    def mark_gap(self, since: float) -> None:
        """Events after *since* (local wall time) may be missing."""
        if self.gap_since is None:
            self.gap_since = since
        self.gap_generation += 1

    def _deliver(self, kind: str, event: Any) -> None:
        if not self.active:
            return  # unsubscribed: nobody is listening any more
        if not self.ledger.accept(kind, event):
            return  # delivered already (or older than what was delivered)
        self.events += 1
        for handle in self.handles:
            handle._dispatch(kind, event)
        self.service.manager._emit_user(kind, self.account, event)


class _Link:
    """One WebSocket API connection and the subscriptions it carries (the
    :class:`~cryptoex.streaming.connection.ConnectionHandler`)."""

    def __init__(self, service: UserStreams, url: str) -> None:
        manager = service.manager
        self.service = service
        self.api_url = url
        self._lock = threading.Lock()
        self.users: list[_User] = []
        self.by_subscription: dict[int, _User] = {}
        self.pending: dict[int, tuple[str, _User]] = {}
        self.open = False
        self.last_frame_wall: float | None = None
        self.conn = manager._new_connection(self, name=f"cryptoex-ws-api-{next(_LINK_IDS)}")

    # -- ConnectionHandler -------------------------------------------------------

    def url(self, conn: Connection) -> str:
        return self.api_url

    def message_callback(self, conn: Connection) -> MessageCallback:
        exchange = self.service.manager._exchange

        def on_message(app: Any, raw: Any) -> None:
            conn.messages += 1
            received = time.time()
            self.last_frame_wall = received
            try:
                message = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                logger.warning("%s: dropped a frame that is not JSON (%s)", conn.name, exc)
                return
            item = exchange.user_stream_message(message)
            if item is None:
                logger.warning("%s: dropped an unexpected frame: %.200r", conn.name, raw)
            elif hasattr(item, "event_type"):  # an event; else an answer
                self._on_event(cast("UserStreamEvent", item), received)
            else:
                self._on_reply(item)

        return on_message

    def on_open(self, conn: Connection, reconnect: bool) -> None:
        self.service.manager._reporter.send(signals.connected, connection=conn.name)
        with self._lock:
            self.open = True
            users = [u for u in self.users if u.active and u.subscription_id is None]
        for user in users:
            self.service.schedule(0.0, self.service._subscribe, user)

    def on_closed(self, conn: Connection, reason: str) -> None:
        with self._lock:
            self.open = False
            since = self.last_frame_wall or time.time()
            for user in self.users:
                if user.subscription_id is not None:
                    user.subscription_id = None
                    user.mark_gap(since)
            self.by_subscription.clear()
            self.pending.clear()
        self.service.manager._reporter.send(
            signals.disconnected, connection=conn.name, reason=reason
        )

    def on_reconnecting(self, conn: Connection, attempt: int, delay: float) -> None:
        self.service.manager._reporter.send(
            signals.reconnecting, connection=conn.name, attempt=attempt, delay=delay
        )

    def on_tick(self, conn: Connection, now: float) -> float | None:
        return None

    def on_expired(self, conn: Connection) -> None:
        # Subscriptions cannot move between sockets: reconnect (the refill
        # closes the short gap) before the exchange cuts the connection.
        conn.reconnect("maximum connection age")

    # -- frames --------------------------------------------------------------------

    def _on_reply(self, reply: WsApiReply) -> None:
        with self._lock:
            entry = self.pending.pop(reply.id, None) if isinstance(reply.id, int) else None
        if entry is None:
            logger.debug("%s: answer to an unknown request %r", self.conn.name, reply.id)
            return
        what, user = entry
        if what != "subscribe":
            logger.debug(
                "%s: %s of %s answered %s", self.conn.name, what, user.account, reply.status
            )
            return
        sub_id = reply.subscription_id
        if not reply.ok or sub_id is None:
            error = self.service.manager._exchange.error_from_ws_api(reply.response)
            self.service._subscribe_failed(user, error)
            return
        late = False
        with self._lock:
            if user.active and self.open:
                user.subscription_id = sub_id
                user.subscribed_at = time.monotonic()
                self.by_subscription[sub_id] = user
            else:
                late = self.open  # let go while the request was in flight
        if late:
            self.service._send_unsubscribe(self, user, sub_id)
            return
        logger.info(
            "%s: user data of %s subscribed (subscription %d)", self.conn.name, user.account, sub_id
        )
        if user.gap_since is not None and user.refill:
            # Hold this account's events from now on (they come after this
            # answer on this thread): the refill goes first.
            user.mailbox.hold()
            self.service.schedule(0.0, self.service._refill, user)
        user.confirmed.set()

    def _on_event(self, event: UserStreamEvent, received: float) -> None:
        if event.kind == "shutdown":
            logger.warning("%s: the exchange announced a server shutdown", self.conn.name)
            self.conn.reconnect("serverShutdown")
            return
        with self._lock:
            sub_id = event.subscription_id
            if sub_id is None and len(self.by_subscription) == 1:
                # Binance names the subscription on every event; a server that
                # does not, with one subscription here, can mean only that one.
                (sub_id,) = self.by_subscription
            user = self.by_subscription.get(sub_id) if sub_id is not None else None
            if user is not None and sub_id is not None and event.kind == "terminated":
                del self.by_subscription[sub_id]
                user.subscription_id = None
        if user is None:
            logger.debug(
                "%s: event of an unknown subscription %r", self.conn.name, event.subscription_id
            )
            return
        if event.kind == "terminated":
            if user.active:
                user.mark_gap(received)
                self.service._resubscribe_later(user, "the exchange ended the subscription")
            return
        try:
            parsed = self.service.manager._exchange.parse_user_event(event, user.account)
        except ParseError as exc:
            user.parse_errors += 1
            full, suppressed = self.service.manager._reporter.throttle.check(("user", user.account))
            if full:
                logger.warning(
                    "%s: dropped a user-data event of %s that does not parse (%s)%s",
                    self.conn.name,
                    user.account,
                    exc,
                    f"; {suppressed} more not shown" if suppressed else "",
                )
            return
        if parsed is None:
            logger.debug("%s: %s event not delivered (no signal)", self.conn.name, event.event_type)
            return
        user.mailbox.push(*parsed)


class UserStreams:
    """The user-data streams of one :class:`StreamManager` (see the module
    docs). Created by the manager on first use."""

    def __init__(self, manager: StreamManager) -> None:
        self.manager = manager
        self._cond = threading.Condition()
        self._links: list[_Link] = []
        self._retired: list[Connection] = []
        self._users: dict[int, _User] = {}
        self._jobs: list[tuple[float, int, Callable[..., None], tuple[Any, ...]]] = []
        self._seq = itertools.count()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._name = f"cryptoex-user-{next(_WORKER_IDS)}"

    # -- subscribing -------------------------------------------------------------------

    def subscribe(self, client: UserClient, *, timeout: float, refill: bool) -> UserStream:
        """See :meth:`StreamManager.subscribe_user`."""
        _check_client(client)
        deadline = time.monotonic() + timeout
        with self._cond:
            if self._stopping:
                raise RuntimeError("cannot subscribe user data: the StreamManager is stopping")
            user = self._users.get(id(client))
        if user is not None and user.client is client and user.active:
            self._await(user, deadline, timeout)
            return self._handle(user)
        # The API key identifies the account; only one subscription per
        # account may share a connection. Signing once also measures the
        # clock offset before the worker signs the real request.
        fingerprint = _fingerprint(client._sign_ws({}))
        url = self._api_url(client)
        user = _User(self, client, fingerprint, refill)
        with self._cond:
            if self._stopping:
                raise RuntimeError("cannot subscribe user data: the StreamManager is stopping")
            link = self._place(url, fingerprint)
            self._users[id(client)] = user
            user.link = link
        with link._lock:
            link.users.append(user)
            is_open = link.open
        self._start_worker()
        if link.conn.thread is None:
            link.conn.start()
        elif is_open:
            self.schedule(0.0, self._subscribe, user)
        logger.info("subscribing user data of %s on %s", user.account, link.conn.name)
        try:
            self._await(user, deadline, timeout)
        except BaseException:
            self._remove(user)
            raise
        if refill:
            self._baseline(user)
        return self._handle(user)

    def _await(self, user: _User, deadline: float, timeout: float) -> None:
        if not user.confirmed.wait(max(0.0, deadline - time.monotonic())):
            state = user.link.conn.state if user.link is not None else "closed"
            raise NetworkError(
                f"the exchange did not confirm the user-data subscription of {user.account} "
                f"within {timeout:g}s (connection {state})"
            )
        if user.error is not None:
            raise user.error

    def _handle(self, user: _User) -> UserStream:
        handle = UserStream(user)
        with self._cond:
            user.handles = (*user.handles, handle)
        return handle

    def _api_url(self, client: UserClient) -> str:
        """The client's WebSocket API URL; the manager's when the client's is
        only its deployment's default and the manager's was given."""
        exchange = self.manager._exchange
        defaults = {exchange.environment(False).ws_api_url, exchange.environment(True).ws_api_url}
        own = client.ws_api_url
        managers = self.manager.environment.ws_api_url
        if own in defaults and managers not in defaults:
            return managers
        return own

    def _place(self, url: str, fingerprint: str) -> _Link:
        """A connection to *url* with room and without this account (caller
        holds the lock), or a new one."""
        for link in self._links:
            if link.api_url != url or len(link.users) >= MAX_USERS_PER_CONNECTION:
                continue
            if any(u.fingerprint == fingerprint for u in link.users):
                continue
            return link
        link = _Link(self, url)
        self._links.append(link)
        return link

    def _baseline(self, user: _User) -> None:
        """What the account looks like now, so a later gap can be told from
        the past (REST: open orders and the account; nothing is delivered)."""
        try:
            orders = user.client.get_open_orders()
            account = user.client.get_account()
        except CryptoExError as exc:
            logger.warning(
                "%s: could not read open orders and balances at subscription (%s); a gap "
                "refill will report every balance",
                user.account,
                exc,
            )
            return
        user.ledger.seed(orders, account)

    # -- releasing ---------------------------------------------------------------------

    def _release(self, handle: UserStream) -> None:
        user = handle._user
        with self._cond:
            user.handles = tuple(h for h in user.handles if h is not handle)
            last = not user.handles
        if last:
            self._remove(user, unsubscribe=True)

    def _remove(self, user: _User, unsubscribe: bool = False) -> None:
        retire: Connection | None = None
        with self._cond:
            user.active = False
            if self._users.get(id(user.client)) is user:
                del self._users[id(user.client)]
            link = user.link
        if link is None:
            return
        with link._lock:
            if user in link.users:
                link.users.remove(user)
            sub_id = user.subscription_id
            if sub_id is not None:
                link.by_subscription.pop(sub_id, None)
                user.subscription_id = None
            empty = not link.users
        if unsubscribe and sub_id is not None and not empty:
            # (An emptied connection is closed instead, which ends every
            # subscription it carried.)
            self._send_unsubscribe(link, user, sub_id)
        if empty:
            with self._cond:
                if link in self._links and not link.users:
                    self._links.remove(link)
                    self._retired.append(link.conn)
                    retire = link.conn
        if retire is not None:
            retire.stop()  # joined by stop()
        logger.info("user data of %s unsubscribed", user.account)

    def _send_unsubscribe(self, link: _Link, user: _User, sub_id: int) -> None:
        request_id = next(_REQUEST_IDS)
        with link._lock:
            link.pending[request_id] = ("unsubscribe", user)
        text = self.manager._exchange.user_stream_unsubscribe(request_id, sub_id)
        try:
            link.conn.send(text)
        except NetworkError as exc:
            logger.info("%s: unsubscribe not sent (%s)", link.conn.name, exc)

    # -- the worker thread -------------------------------------------------------------

    def schedule(self, delay: float, fn: Callable[..., None], *args: Any) -> None:
        """Run ``fn(*args)`` on the worker thread after *delay* seconds."""
        with self._cond:
            if self._stopping:
                return
            heapq.heappush(self._jobs, (time.monotonic() + delay, next(self._seq), fn, args))
            self._cond.notify()

    def _start_worker(self) -> None:
        with self._cond:
            if self._thread is not None or self._stopping:
                return
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stopping:
                        return
                    now = time.monotonic()
                    if self._jobs and self._jobs[0][0] <= now:
                        _, _, fn, args = heapq.heappop(self._jobs)
                        break
                    wait = self._jobs[0][0] - now if self._jobs else None
                    self._cond.wait(wait)
            try:
                fn(*args)
            except Exception:  # a bug here must not end user data for everyone
                logger.exception("user-data job %s failed", getattr(fn, "__name__", fn))

    def _subscribe(self, user: _User) -> None:
        """Sign and send one subscribe request (worker thread)."""
        link = user.link
        if not user.active or link is None or user.subscription_id is not None:
            return
        try:
            signed = user.client._sign_ws({})
        except CryptoExError as exc:
            self._resubscribe_later(user, f"could not sign the request: {exc}")
            return
        request_id = next(_REQUEST_IDS)
        with link._lock:
            if not link.open:
                return  # on_open subscribes every user again
            if ("subscribe", user) in link.pending.values():
                return  # one request in flight is enough (a second gets -2035)
            link.pending[request_id] = ("subscribe", user)
        text = self.manager._exchange.user_stream_subscribe(request_id, signed)
        del signed  # a credential: not kept
        try:
            link.conn.send(text)
        except NetworkError as exc:
            with link._lock:
                link.pending.pop(request_id, None)
            logger.info("%s: subscribe of %s not sent (%s)", link.conn.name, user.account, exc)

    def _subscribe_failed(self, user: _User, error: ExchangeError) -> None:
        """The exchange refused a subscribe (reader thread)."""
        if isinstance(error, TimestampError) and user.attempts < 2:
            user.attempts += 1
            logger.warning("%s: subscribe refused (%s): resyncing the clock", user.account, error)
            self.schedule(0.0, self._resync_and_subscribe, user)
            return
        if not user.confirmed.is_set():
            user.error = error  # subscribe_user() raises it
            user.confirmed.set()
            return
        self._resubscribe_later(user, f"subscribe refused: {error}")

    def _resync_and_subscribe(self, user: _User) -> None:
        try:
            user.client._resync_clock()
        except CryptoExError as exc:
            logger.warning("%s: clock resync failed: %s", user.account, exc)
        self._subscribe(user)

    def _resubscribe_later(self, user: _User, reason: str) -> None:
        if user.subscribed_at and time.monotonic() - user.subscribed_at >= (
            self.manager.backoff.reset_after
        ):
            user.attempts = 0
        user.attempts += 1
        delay = self.manager.backoff.delay(user.attempts, self.manager._rand)
        logger.warning(
            "user data of %s: %s; resubscribing (attempt %d) in %.2fs",
            user.account,
            reason,
            user.attempts,
            delay,
        )
        self.schedule(delay, self._subscribe, user)

    def _refill(self, user: _User) -> None:
        """Close the gap: rebuild what changed from REST, deliver it before
        the events held since the resubscription (worker thread)."""
        since = user.gap_since
        if not user.active or since is None:
            user.mailbox.release()
            return
        generation = user.gap_generation
        user.mailbox.hold()
        client = user.client
        try:
            # Exchange time of the last frame before the gap, minus a margin.
            offset_ms = client._server_time_ms() - time.time() * 1000.0
            since_ms = int((since - REFILL_MARGIN) * 1000.0 + offset_ms)
            events, learn = rebuild(
                client, user.ledger.view(), since_ms, user.account, datetime.now(timezone.utc)
            )
        except CryptoExError as exc:
            user.refill_attempts += 1
            backoff = self.manager.backoff
            if user.refill_attempts < REFILL_ATTEMPTS:
                delay = backoff.delay(user.refill_attempts, self.manager._rand)
                logger.warning(
                    "user data of %s: gap refill failed (%s); retry in %.2fs",
                    user.account,
                    exc,
                    delay,
                )
                self.schedule(delay, self._refill, user)
                return
            logger.error(
                "user data of %s: gap refill failed %d times (%s); live events flow again, "
                "the refill is retried in %.0fs",
                user.account,
                user.refill_attempts,
                exc,
                backoff.cap,
            )
            user.refill_attempts = 0
            user.mailbox.release()
            self.schedule(backoff.cap, self._refill, user)
            return
        user.ledger.seed(learn)
        user.refill_attempts = 0
        if user.gap_generation == generation:
            user.gap_since = None
        logger.info(
            "user data of %s: gap closed; %d missed update(s) rebuilt from REST",
            user.account,
            len(events),
        )
        user.mailbox.release(events)

    # -- lifecycle ----------------------------------------------------------------------

    def stop(self) -> None:
        """Close every connection and end the worker (join with :meth:`join`)."""
        with self._cond:
            self._stopping = True
            self._jobs.clear()
            self._cond.notify_all()
            links = list(self._links)
            users = list(self._users.values())
        for user in users:
            if not user.confirmed.is_set():
                user.error = RuntimeError("the StreamManager stopped")
                user.confirmed.set()
        for link in links:
            link.conn.stop()

    def join(self, timeout: float) -> list[threading.Thread]:
        """Join the worker and every connection within *timeout* seconds;
        returns the threads (some may still be alive)."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._cond:
            conns = [link.conn for link in self._links] + list(self._retired)
            worker = self._thread
        threads: list[threading.Thread] = []
        for conn in conns:
            conn.join(max(0.0, deadline - time.monotonic()))
            if conn.thread is not None:
                threads.append(conn.thread)
        if worker is not None:
            if worker is not threading.current_thread():
                worker.join(max(0.0, deadline - time.monotonic()))
            threads.append(worker)
        return threads


def _check_client(client: Any) -> None:
    for name in ("_sign_ws", "account", "ws_api_url", "get_open_orders", "get_account"):
        if not hasattr(client, name):
            raise TypeError(
                f"subscribe_user() takes a cryptoex.UserClient, got {type(client).__name__}"
            )


def _fingerprint(signed: dict[str, object]) -> str:
    """A digest naming the account's API key (never the key itself)."""
    key = str(signed.get("apiKey", ""))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def _names(decorator: str, values: Iterable[Any]) -> tuple[str, ...]:
    from cryptoex.streaming.manager import _symbols  # the manager's rules, one copy

    return _symbols(decorator, values)
