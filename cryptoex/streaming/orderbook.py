"""Live local order books: :class:`OrderBook` (the data structure, its lock
and the update-id checks) and :class:`BookKeeper` (one per manager: the
books, their diff-stream subscriptions and the thread that fetches REST
snapshots).

The sync procedure is the exchange's own (Binance ``streams.md`` §7,
corrected 2025-11-12):

1. the diff stream (``<symbol>@depth@100ms``) is subscribed first and its
   events are buffered;
2. once the first event is buffered, a REST snapshot is fetched (through
   the REST layer, so it counts against the shared weight budget); a
   snapshot older than the first buffered event is fetched again
   (``lastUpdateId + 1 < U``: a snapshot ending at ``U - 1`` is contiguous
   with the event and kept);
3. buffered events the snapshot covers (``u <= lastUpdateId``) are dropped,
   the book is set to the snapshot and the rest of the buffer is applied
   (a book on a quiet stream fetches its snapshot after
   :data:`QUIET_SYNC_AFTER` seconds without waiting for an event);
4. every later event is checked: ``u <= local`` is ignored, ``U > local +
   1`` is a gap: that book (only that one) goes back to step 1 while its
   stream stays subscribed. A dropped or replaced connection does the same
   for every book it carried.

Data structure: each side is a ``list`` of sort keys, ascending, best
*last*, ending with a sentinel (+Infinity), and a ``dict`` from key to the
:class:`~cryptoex.OrderBookLevel` the parser already built. Bid keys are
prices, ask keys negated prices (so both lists are ascending with the best
level last; a second ``dict`` maps an ask's price to its negated key).
Reading the best level is ``levels[keys[-2]]``: O(1). Applying a diff level
whose price is already in the book (most of a live diff) is one ``dict``
store; only a new or removed level takes a binary search (C ``bisect``,
about 13 ``Decimal`` comparisons on 5000 levels) and a list insert/delete
(a C ``memmove``, short near the best end). The book is never re-sorted.
``bids(n)`` reads the last *n* keys, O(n). The ``dict`` lookups are cheap
because the parser interns price ``Decimal`` s (``_levels`` in the parse
module): a price seen before is the same object, whose hash ``_decimal``
caches, so no fresh ``Decimal`` is hashed per level (see
``benchmarks/orderbook.py``). One ``threading.Lock`` per book guards all of
it: an update is applied whole under the lock and every read copies what it
returns under the same lock, so a reader never sees half an update.
"""

from __future__ import annotations

import html
import itertools
import logging
import threading
import time
from bisect import bisect_left
from collections import deque
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from cryptoex._money import format_decimal
from cryptoex.errors import CryptoExError, InvalidSymbolError, ValidationError
from cryptoex.models.market import DepthUpdate, OrderBookLevel, PartialDepth

if TYPE_CHECKING:
    from cryptoex.rest.market import MarketClient
    from cryptoex.streaming.manager import StreamManager
    from cryptoex.streaming.subscriptions import Subscription

__all__ = [
    "DEFAULT_BOOK_LIMIT",
    "MAX_BUFFERED_UPDATES",
    "QUIET_SYNC_AFTER",
    "BookKeeper",
    "OrderBook",
]

logger = logging.getLogger(__name__)

#: Snapshot depth of :meth:`StreamManager.order_book` (levels per side; the
#: exchange's maximum, as its procedure recommends).
DEFAULT_BOOK_LIMIT: Final = 5000
#: Diff events buffered while a book waits for its snapshot; beyond this the
#: oldest are dropped (the snapshot must then be newer than what is left).
MAX_BUFFERED_UPDATES: Final = 10_000
#: Seconds a book waits for the first diff event on an open stream before it
#: fetches the snapshot anyway (a quiet market sends no diffs; the first
#: event after such a snapshot still proves continuity, or triggers a resync).
QUIET_SYNC_AFTER: Final = 1.0
#: Levels shown by :meth:`OrderBook._repr_html_`.
HTML_LEVELS: Final = 10
#: Longest wait of the sync thread when nothing is due, seconds.
_MAX_WAIT: Final = 1.0

#: Ends every key list: compares above every price, equals none.
_SENTINEL: Final = Decimal("Infinity")


class OrderBook:
    """A local order book of one symbol, kept in sync with the exchange.

    Get one from :meth:`StreamManager.order_book`; the manager keeps it
    current from the diff stream and REST snapshots (see the module docs)
    and resynchronises it by itself after a gap or a reconnect.

    Every read is thread-safe and consistent: it happens under the book's
    lock, between two updates, never during one. Levels are immutable
    :class:`~cryptoex.OrderBookLevel` objects and lists are new lists, so
    what a read returns stays valid after the book moves on. Two separate
    reads (``bids(5)`` then ``asks(5)``) may straddle an update; use
    :meth:`snapshot` for both sides at one update id.

    While it (re)synchronises, :attr:`is_synced` is ``False`` and the book
    keeps showing its last levels (stale); check :attr:`is_synced` or
    :meth:`wait_synced` before trusting them.

    Example::

        book = sm.order_book("BTCUSDT")
        if book.wait_synced(timeout=10):
            print(book.best_bid(), book.best_ask(), book.spread())
    """

    def __init__(self, symbol: str, limit: int = DEFAULT_BOOK_LIMIT) -> None:
        #: Uppercase symbol.
        self.symbol = symbol
        #: Levels per side requested with each REST snapshot.
        self.limit = limit
        self._lock = threading.Lock()
        self._synced_cond = threading.Condition(self._lock)
        # Each side: ascending sort keys (best last, then a +Infinity
        # sentinel that has no level) and the level of each key. Bid keys are
        # prices; ask keys are negated prices, with _ask_key_of mapping an
        # ask's price to its key.
        self._bid_keys: list[Decimal] = [_SENTINEL]
        self._bids: dict[Decimal, OrderBookLevel] = {}
        self._ask_keys: list[Decimal] = [_SENTINEL]
        self._asks: dict[Decimal, OrderBookLevel] = {}
        self._ask_key_of: dict[Decimal, Decimal] = {}
        self._update_id: int | None = None
        self._synced = False
        self._closed = False
        # Sync state (guarded by the lock).
        self._buffer: deque[DepthUpdate] = deque()
        self._generation = 0
        self._waiting_since = time.monotonic()
        self._stream_down = False
        self._retry_at = 0.0
        self._attempts = 0
        self._failed: str | None = None
        #: Times the book was (re)synchronised from a snapshot.
        self.syncs = 0
        #: Update-id gaps detected on the live stream.
        self.gaps = 0
        #: Diff events applied since the book was created.
        self.updates = 0
        self._listener: Callable[[OrderBook], None] | None = None
        self._wake: Callable[[], None] | None = None
        self._closer: Callable[[OrderBook], None] | None = None

    # -- reads -----------------------------------------------------------------

    @property
    def is_synced(self) -> bool:
        """Whether the book is in sync with the exchange right now."""
        return self._synced

    @property
    def last_update_id(self) -> int | None:
        """The exchange's update id the book reflects (``None`` before the
        first snapshot)."""
        return self._update_id

    def wait_synced(self, timeout: float | None = None) -> bool:
        """Block until the book is in sync, or *timeout* seconds pass.

        :param timeout: seconds to wait; ``None`` waits as long as it takes.
        :returns: whether the book is in sync.
        """
        with self._synced_cond:
            self._synced_cond.wait_for(
                lambda: self._synced or self._closed or self._failed is not None, timeout
            )
            return self._synced

    def best_bid(self) -> OrderBookLevel | None:
        """The highest bid, or ``None`` when there is none. O(1)."""
        with self._lock:
            keys = self._bid_keys
            return self._bids[keys[-2]] if len(keys) > 1 else None

    def best_ask(self) -> OrderBookLevel | None:
        """The lowest ask, or ``None`` when there is none. O(1)."""
        with self._lock:
            keys = self._ask_keys
            return self._asks[keys[-2]] if len(keys) > 1 else None

    def bids(self, n: int | None = None) -> list[OrderBookLevel]:
        """The best *n* bids, best (highest) first, as a new list. O(n).

        :param n: how many levels; ``None`` for all of them.
        :raises ValidationError: if *n* is not an integer >= 0.
        """
        count = _count(n)
        with self._lock:
            return _top(self._bid_keys, self._bids, count)

    def asks(self, n: int | None = None) -> list[OrderBookLevel]:
        """The best *n* asks, best (lowest) first, as a new list. O(n).

        :param n: how many levels; ``None`` for all of them.
        :raises ValidationError: if *n* is not an integer >= 0.
        """
        count = _count(n)
        with self._lock:
            return _top(self._ask_keys, self._asks, count)

    def spread(self) -> Decimal | None:
        """Best ask minus best bid, or ``None`` when a side is empty."""
        with self._lock:
            bid, ask = self._best_prices()
        if bid is None or ask is None:
            return None
        return ask - bid

    def mid_price(self) -> Decimal | None:
        """The mean of the best bid and best ask, or ``None`` when a side is
        empty."""
        with self._lock:
            bid, ask = self._best_prices()
        if bid is None or ask is None:
            return None
        return (bid + ask) / 2

    def snapshot(self, n: int | None = None) -> PartialDepth:
        """Both sides' best *n* levels at one update id, as an immutable
        :class:`~cryptoex.PartialDepth`.

        :param n: levels per side; ``None`` for all of them.
        :raises ValidationError: if *n* is not an integer >= 0.
        """
        count = _count(n)
        with self._lock:
            return PartialDepth(
                symbol=self.symbol,
                last_update_id=self._update_id if self._update_id is not None else 0,
                bids=tuple(_top(self._bid_keys, self._bids, count)),
                asks=tuple(_top(self._ask_keys, self._asks, count)),
            )

    def __len__(self) -> int:
        """Number of price levels on both sides."""
        with self._lock:
            return len(self._bids) + len(self._asks)

    def _best_prices(self) -> tuple[Decimal | None, Decimal | None]:
        """Best bid and ask prices (caller holds the lock)."""
        bid_keys, ask_keys = self._bid_keys, self._ask_keys
        bid = bid_keys[-2] if len(bid_keys) > 1 else None
        ask = -ask_keys[-2] if len(ask_keys) > 1 else None
        return bid, ask

    # -- lifecycle ---------------------------------------------------------------

    def close(self) -> None:
        """Stop maintaining the book: its diff-stream subscription is
        released (unsubscribed when nobody else uses it). The book keeps its
        last levels and is never in sync again. Idempotent."""
        with self._synced_cond:
            if self._closed:
                return
            self._closed = True
            self._synced = False
            self._buffer.clear()
            self._synced_cond.notify_all()
        closer = self._closer
        if closer is not None:
            closer(self)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    # -- the stream side (called by the BookKeeper's feed, reader thread) --------

    def _on_diff(self, update: DepthUpdate) -> None:
        """One diff event from the stream: apply it, buffer it, or detect a gap."""
        applied = False
        wake = False
        gap: tuple[int, int] | None = None
        with self._lock:
            if self._closed:
                return
            if self._synced:
                # Synced implies a snapshot, so there is an update id.
                local: int = self._update_id  # type: ignore[assignment]
                if update.final_update_id <= local:
                    return  # already covered: ignore (procedure, step 1)
                if update.first_update_id > local + 1:
                    # Missed events: discard and restart from step 1; this
                    # event starts the new buffer.
                    gap = (local, update.first_update_id)
                    self._synced = False
                    self.gaps += 1
                    self._generation += 1
                    self._buffer.clear()
                    self._buffer.append(update)
                    self._waiting_since = time.monotonic()
                    self._retry_at = 0.0
                    wake = True
                else:
                    self._apply(update)
                    applied = True
            else:
                buffer = self._buffer
                wake = not buffer
                buffer.append(update)
                if len(buffer) > MAX_BUFFERED_UPDATES:
                    buffer.popleft()
        # Outside the lock: logging, waking the sync thread, user callbacks.
        if gap is not None:
            logger.warning(
                "%s order book: update-id gap (local %d, next event starts at %d): resyncing",
                self.symbol,
                gap[0],
                gap[1],
            )
        if wake and self._wake is not None:
            self._wake()
        if applied and self._listener is not None:
            self._listener(self)

    def _on_lost(self, reason: str) -> None:
        """The stream's connection dropped: events may be missing."""
        with self._lock:
            if self._closed or self._failed is not None:
                return
            was_synced = self._synced
            self._synced = False
            self._generation += 1
            self._buffer.clear()
            self._stream_down = True
            self._retry_at = 0.0
        if was_synced:
            logger.warning("%s order book: stream lost (%s): will resync", self.symbol, reason)

    def _on_restored(self) -> None:
        """The stream is subscribed again: wait for its first event."""
        with self._lock:
            self._stream_down = False
            self._waiting_since = time.monotonic()
        if self._wake is not None:
            self._wake()

    def _apply(self, update: DepthUpdate) -> None:
        """Apply one diff (caller holds the lock).

        Per level: a price already in the book with a new quantity is one
        ``dict`` store; a new level or a removed one (zero quantity,
        ``"0.00000000"`` too: compared as a Decimal, which is falsy when zero)
        also takes one binary search over the side's keys (C ``bisect``) and
        a list insert/delete. Never a sort. Removing an unknown level is
        normal and does nothing.
        """
        # Every key list ends with +Infinity, so the index bisect returns
        # always holds a key: no bounds check per level.
        search = bisect_left
        keys = self._bid_keys
        levels = self._bids
        for level in update.bids:
            price = level.price
            if price in levels:
                if level.quantity:
                    levels[price] = level
                else:
                    del levels[price]
                    del keys[search(keys, price)]
            elif level.quantity:
                levels[price] = level
                keys.insert(search(keys, price), price)
        keys = self._ask_keys
        levels = self._asks
        key_of = self._ask_key_of
        for level in update.asks:
            price = level.price
            key = key_of.get(price)
            if key is not None:
                if level.quantity:
                    levels[key] = level
                else:
                    del key_of[price]
                    del levels[key]
                    del keys[search(keys, key)]
            elif level.quantity:
                key = -price
                key_of[price] = key
                levels[key] = level
                keys.insert(search(keys, key), key)
        self._update_id = update.final_update_id
        self.updates += 1

    # -- the snapshot side (called by the BookKeeper's sync thread) -----------------

    def _due(self, now: float, stream_open: bool) -> float | None:
        """When the book wants a snapshot: ``now`` or earlier if due, a
        future monotonic time, or ``None`` when nothing is to be done."""
        with self._lock:
            if self._synced or self._closed or self._failed is not None:
                return None
            if self._buffer:
                return self._retry_at
            if self._stream_down or not stream_open:
                return None
            return max(self._retry_at, self._waiting_since + QUIET_SYNC_AFTER)

    def _sync_from(self, fetch: Callable[[str, int], PartialDepth]) -> str:
        """One attempt of steps 2-7 of the procedure.

        :returns: ``"synced"``, ``"stale"`` (snapshot older than the
            buffer: fetch again), ``"moved"`` (the stream was lost or a gap
            was found meanwhile) or ``"closed"``.
        """
        with self._lock:
            generation = self._generation
            first = self._buffer[0].first_update_id if self._buffer else None
        snapshot = fetch(self.symbol, self.limit)
        last_id = snapshot.last_update_id
        bid_keys, bids = _side(snapshot.bids, negate=False)
        ask_keys, asks = _side(snapshot.asks, negate=True)
        ask_key_of = {level.price: key for key, level in asks.items()}
        with self._synced_cond:
            if self._closed:
                return "closed"
            if generation != self._generation or self._synced:
                return "moved"
            buffer = self._buffer
            if buffer:
                first = buffer[0].first_update_id
            if first is not None and last_id + 1 < first:
                # Step 4: the snapshot predates the first buffered event.
                # (The docs say ``lastUpdateId < U``; a snapshot ending at
                # ``U - 1`` is contiguous with the event, as in the corrected
                # update rule, and is kept.)
                return "stale"
            while buffer and buffer[0].final_update_id <= last_id:
                buffer.popleft()  # step 5: covered by the snapshot
            if buffer and buffer[0].first_update_id > last_id + 1:
                # The event that should straddle the snapshot is missing.
                self._generation += 1
                buffer.clear()
                self._waiting_since = time.monotonic()
                return "moved"
            self._bid_keys, self._bids = bid_keys, bids
            self._ask_keys, self._asks, self._ask_key_of = ask_keys, asks, ask_key_of
            self._update_id = last_id
            while buffer:
                update = buffer.popleft()
                if update.final_update_id <= self._update_id:
                    continue
                if update.first_update_id > self._update_id + 1:
                    # A gap inside the buffer: this event starts a new one.
                    self._generation += 1
                    buffer.clear()
                    buffer.append(update)
                    return "moved"
                self._apply(update)
            self._synced = True
            self._attempts = 0
            self._retry_at = 0.0
            self.syncs += 1
            self._synced_cond.notify_all()
        return "synced"

    def _retry(self, delay: Callable[[int], float]) -> tuple[int, float]:
        """Back off before the next snapshot attempt: ``(attempt, seconds)``,
        the pause being ``delay(attempt)``."""
        with self._lock:
            self._attempts += 1
            pause = delay(self._attempts)
            self._retry_at = time.monotonic() + pause
            return self._attempts, pause

    def _give_up(self, reason: str) -> None:
        """No more syncing (unknown symbol, manager stopped): wake waiters."""
        with self._synced_cond:
            self._failed = reason
            self._synced = False
            self._synced_cond.notify_all()

    # -- display -----------------------------------------------------------------

    def __repr__(self) -> str:
        with self._lock:
            bid, ask = self._best_prices()
            state = "closed" if self._closed else ("synced" if self._synced else "syncing")
            update_id = self._update_id
        return (
            f"<OrderBook {self.symbol} {state} last_update_id={update_id}"
            f" bid={_fmt(bid)} ask={_fmt(ask)}>"
        )

    def _repr_html_(self) -> str:
        """The top levels as an HTML table (Jupyter)."""
        depth = self.snapshot(HTML_LEVELS)
        state = "closed" if self._closed else ("in sync" if self._synced else "syncing")
        spread = None
        if depth.bids and depth.asks:
            spread = depth.asks[0].price - depth.bids[0].price
        rows = []
        for i in range(max(len(depth.bids), len(depth.asks))):
            bid = depth.bids[i] if i < len(depth.bids) else None
            ask = depth.asks[i] if i < len(depth.asks) else None
            cells = (
                _fmt(bid.quantity if bid else None),
                _fmt(bid.price if bid else None),
                _fmt(ask.price if ask else None),
                _fmt(ask.quantity if ask else None),
            )
            rows.append(
                "<tr>" + "".join(f"<td style='text-align:right'>{c}</td>" for c in cells) + "</tr>"
            )
        update_id = depth.last_update_id if self._update_id is not None else "-"
        caption = (
            f"{html.escape(self.symbol)} order book ({state}, last update id "
            f"{update_id}, spread {_fmt(spread) or '-'})"
        )
        head = "".join(
            f"<th style='text-align:right'>{h}</th>"
            for h in ("bid quantity", "bid", "ask", "ask quantity")
        )
        return (
            f"<table><caption>{caption}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )


def _fmt(value: Decimal | None) -> str:
    return "" if value is None else html.escape(format_decimal(value))


def _count(n: int | None) -> int | None:
    if n is None:
        return None
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValidationError(f"n must be an integer >= 0 or None, got {n!r}", field="n")
    return n


def _top(
    keys: list[Decimal], levels: dict[Decimal, OrderBookLevel], n: int | None
) -> list[OrderBookLevel]:
    """The best *n* levels of a side, best first (caller holds the lock)."""
    end = len(keys) - 1  # the sentinel
    start = 0 if n is None else max(0, end - n)
    return [levels[key] for key in reversed(keys[start:end])]


def _side(
    levels: tuple[OrderBookLevel, ...], *, negate: bool
) -> tuple[list[Decimal], dict[Decimal, OrderBookLevel]]:
    """A side of a snapshot as (ascending keys + sentinel, level by key), best
    last; empty levels are left out and a repeated price keeps its last level."""
    by_key = {(-lv.price if negate else lv.price): lv for lv in levels}
    keys = sorted(k for k, lv in by_key.items() if lv.quantity and k.is_finite())
    return [*keys, _SENTINEL], {k: by_key[k] for k in keys}


class _Feed:
    """The diff stream's internal consumer for one book (see
    :class:`~cryptoex.streaming.dispatch.StreamConsumer`)."""

    __slots__ = ("book", "stream", "subscription")

    def __init__(self, book: OrderBook) -> None:
        self.book = book
        self.stream = ""
        self.subscription: Subscription | None = None

    def on_event(self, event: Any) -> None:
        if isinstance(event, DepthUpdate):
            self.book._on_diff(event)

    def on_stream_lost(self, stream: str, reason: str) -> None:
        self.book._on_lost(reason)

    def on_stream_restored(self, stream: str) -> None:
        self.book._on_restored()

    def __repr__(self) -> str:
        return f"<order book feed {self.book.symbol}>"


class BookKeeper:
    """The order books of one :class:`StreamManager` and the thread that
    synchronises them (``cryptoex-books-N``).

    Snapshots are fetched one at a time through a
    :class:`~cryptoex.MarketClient` on the manager's REST URL, so they share
    the process-wide weight budget with every other client of that URL
    (a 5000-level snapshot weighs 250). Failures are retried with the
    manager's :class:`~cryptoex.Backoff`; an unknown symbol is given up on
    (logged as an error). The thread starts once the manager runs and
    keeps a book, and the manager's ``stop()`` joins it.
    """

    _ids = itertools.count()

    def __init__(self, manager: StreamManager) -> None:
        self._manager = manager
        self._cond = threading.Condition()
        self._feeds: dict[str, _Feed] = {}
        self._stopping = False
        self._woken = False
        self._thread: threading.Thread | None = None
        self._market: MarketClient | None = None
        self._name = f"cryptoex-books-{next(BookKeeper._ids)}"

    def book(self, symbol: str, limit: int) -> OrderBook:
        """The book of *symbol*, created and subscribed on first use.

        :raises RuntimeError: if the keeper was stopped.
        """
        with self._cond:
            if self._stopping:
                raise RuntimeError(
                    f"cannot keep an order book of {symbol}: the StreamManager is stopping"
                )
            feed = self._feeds.get(symbol)
            if feed is not None:
                if feed.book.limit != limit:
                    logger.info(
                        "%s order book already kept with limit=%d; limit=%d ignored",
                        symbol,
                        feed.book.limit,
                        limit,
                    )
                return feed.book
            book = OrderBook(symbol, limit)
            feed = _Feed(book)
            book._listener = self._emit
            book._wake = self.wake
            book._closer = self._closed
            self._feeds[symbol] = feed
        try:
            feed.subscription = self._manager._attach("depth_update", symbol, feed, fast=True)
        except BaseException:
            with self._cond:
                self._feeds.pop(symbol, None)
            raise
        feed.stream = feed.subscription.stream
        if self._manager.running:
            self.start()
        logger.info("keeping a local order book of %s (snapshot limit %d)", symbol, limit)
        return book

    def books(self) -> list[OrderBook]:
        """Every book kept now."""
        with self._cond:
            return [feed.book for feed in self._feeds.values()]

    def wake(self) -> None:
        """A book may be due for a snapshot: look now."""
        with self._cond:
            self._woken = True
            self._cond.notify()

    def stop(self) -> None:
        """Ask the sync thread to end (join it with :meth:`join`); interrupts
        a snapshot request's retry pauses."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
            market = self._market
            books = [feed.book for feed in self._feeds.values()]
        if market is not None:
            market.close()
        for book in books:
            book._give_up("the StreamManager stopped")

    def join(self, timeout: float) -> threading.Thread | None:
        """Join the sync thread within *timeout* seconds; returns it (or
        ``None`` if it never started)."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(max(0.0, timeout))
        return thread

    # -- internals ---------------------------------------------------------------------

    def _emit(self, book: OrderBook) -> None:
        self._manager._emit_order_book(book.symbol, book)

    def _closed(self, book: OrderBook) -> None:
        with self._cond:
            feed = self._feeds.get(book.symbol)
            if feed is None or feed.book is not book:
                return
            del self._feeds[book.symbol]
        if feed.subscription is not None:
            feed.subscription.unsubscribe()
        logger.info("stopped keeping the %s order book", book.symbol)

    def start(self) -> None:
        """Start the sync thread (the manager calls this when it starts; a
        manager that never runs needs no thread)."""
        with self._cond:
            if self._thread is not None or self._stopping:
                return
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def _client(self) -> MarketClient:
        if self._market is None:
            from cryptoex.rest.market import MarketClient  # the REST half, on first use

            manager = self._manager
            self._market = MarketClient(
                rest_url=manager.environment.rest_url, exchange=manager._exchange
            )
        return self._market

    def _stream_open(self, feed: _Feed) -> bool:
        route = self._manager._routes.get(feed.stream)
        conn = route.conn if route is not None else None
        return conn is not None and conn.is_open and self._manager.running

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                feeds = list(self._feeds.values())
                self._woken = False
            now = time.monotonic()
            wait = _MAX_WAIT
            for feed in feeds:
                due = feed.book._due(now, self._stream_open(feed))
                if due is None:
                    continue
                if due > now:
                    wait = min(wait, due - now)
                    continue
                self._sync(feed.book)
                with self._cond:
                    if self._stopping:
                        return
                wait = 0.0  # look again at once: others may have become due
            with self._cond:
                if self._stopping:
                    return
                if not self._woken and wait > 0:
                    self._cond.wait(wait)

    def _sync(self, book: OrderBook) -> None:
        try:
            outcome = book._sync_from(self._fetch)
        except InvalidSymbolError as exc:
            logger.error(
                "%s order book: the exchange does not know the symbol (%s)", book.symbol, exc
            )
            book._give_up(str(exc))
            return
        except (CryptoExError, OSError) as exc:
            attempt, delay = book._retry(self._manager.backoff.delay)
            logger.warning(
                "%s order book: snapshot failed (%s); retry %d in %.2fs",
                book.symbol,
                exc,
                attempt,
                delay,
            )
            return
        if outcome == "synced":
            logger.info("%s order book in sync at update id %s", book.symbol, book.last_update_id)
            if book._listener is not None:
                book._listener(book)
        elif outcome == "stale":
            # The snapshot predates the first buffered event (procedure step
            # 4): fetch again, after a short pause so the exchange catches up.
            book._retry(lambda attempt: min(0.05 * attempt, 1.0))
            logger.debug(
                "%s order book: snapshot older than the stream; fetching again", book.symbol
            )

    def _fetch(self, symbol: str, limit: int) -> PartialDepth:
        return self._client().order_book(symbol, limit)
