"""What ``python -m cryptoex demo`` runs: the library end to end against an
in-process :class:`~cryptoex.testing.FakeBinance`, with no network and no keys.

Three parts run at once, each on its own threads, as in a real program:

* market data: decorator callbacks on a :class:`~cryptoex.StreamManager`
  (tickers, trades, and a local :class:`~cryptoex.OrderBook` per market,
  kept in sync from the diff stream) update a :class:`Board`;
* trading: a :class:`Trader` thread places, fills and cancels orders with a
  :class:`~cryptoex.UserClient` and shows a validation error (nothing sent);
* the main thread draws the board: a table redrawn in place on a terminal,
  plain lines when the output is piped.

It stops by itself after ``duration`` seconds (or on Ctrl-C), cancels what is
still open, prints a summary and joins every thread it started.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, TextIO

from cryptoex._console import Screen, num
from cryptoex.errors import CryptoExError, ValidationError
from cryptoex.models import Balance, Order, Ticker, Trade
from cryptoex.models.symbols import SymbolInfo
from cryptoex.rest.user import UserClient
from cryptoex.streaming.manager import StreamManager
from cryptoex.streaming.orderbook import OrderBook

__all__ = ["DEFAULT_DURATION", "DEFAULT_SYMBOLS", "Board", "Trader", "run"]

logger = logging.getLogger(__name__)

#: Markets shown when ``--symbols`` is not given.
DEFAULT_SYMBOLS: Final = ("BTCUSDT", "ETHUSDT", "BNBUSDT")
#: Seconds the demo runs when ``--duration`` is not given.
DEFAULT_DURATION: Final = 12.0
#: Redraw interval of the table, seconds (also how fast Ctrl-C is noticed).
FRAME_INTERVAL: Final = 0.2
#: Seconds between plain market lines per symbol when the output is piped.
MARKET_LINE_INTERVAL: Final = 2.0
#: Events kept for the table.
EVENT_LINES: Final = 9
#: Orders are sized at this multiple of the market's minimum notional.
NOTIONAL_MULTIPLE: Final = Decimal(4)
#: Seconds given to the streams to connect before the first order.
WARM_UP: Final = 1.0


@dataclass
class _Row:
    """What the board knows about one market."""

    last: Decimal | None = None
    change: Decimal | None = None
    bid: Decimal | None = None
    ask: Decimal | None = None
    levels: int = 0
    synced: bool = False
    trades: int = 0
    updates: int = 0


class Board:
    """The demo's shared state: written by callbacks on connection threads
    and by the trader thread, read by the main thread. One lock; every
    method is short and never calls out while holding it.

    :param symbols: the markets shown, in order.
    :param clock: monotonic seconds (injectable for tests).
    """

    def __init__(self, symbols: Sequence[str], clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._started = clock()
        self._rows = {symbol: _Row() for symbol in symbols}
        self._events: collections.deque[str] = collections.deque(maxlen=EVENT_LINES)
        self._pending: list[str] = []
        #: Counters for the summary, by name.
        self.counts: collections.Counter[str] = collections.Counter()

    def elapsed(self) -> float:
        """Seconds since the demo started."""
        return self._clock() - self._started

    # -- written by stream callbacks (connection threads) -----------------------------

    def ticker(self, t: Ticker) -> None:
        """A ``@ticker`` event."""
        with self._lock:
            row = self._rows[t.symbol]
            row.last, row.change = t.last_price, t.price_change_percent
            row.updates += 1
            self.counts["ticker"] += 1

    def trade(self, t: Trade) -> None:
        """A ``@trade`` event."""
        with self._lock:
            row = self._rows[t.symbol]
            row.last = t.price
            row.trades += 1
            row.updates += 1
            self.counts["trade"] += 1

    def book(self, book: OrderBook) -> None:
        """The local order book applied an update (``on_order_book``)."""
        # The book's own reads are locked and consistent; take them before
        # the board's lock, never both at once.
        best_bid, best_ask, levels = book.best_bid(), book.best_ask(), len(book)
        synced = book.is_synced
        with self._lock:
            row = self._rows[book.symbol]
            row.bid = best_bid.price if best_bid is not None else None
            row.ask = best_ask.price if best_ask is not None else None
            row.levels, row.synced = levels, synced
            row.updates += 1
            self.counts["book"] += 1

    # -- written by the trader and the user-data callbacks ----------------------------

    def event(self, source: str, text: str) -> None:
        """Log one event line (``source``: who produced it)."""
        line = f"[{self.elapsed():5.1f}s] {source:<6} {text}"
        with self._lock:
            self._events.append(line)
            self._pending.append(line)

    def mid(self, symbol: str) -> Decimal | None:
        """The latest mid price seen on the streams, if any."""
        with self._lock:
            row = self._rows[symbol]
            if row.bid is not None and row.ask is not None:
                return (row.bid + row.ask) / 2
            return row.last

    # -- read by the main thread ---------------------------------------------------------

    def take_pending(self) -> list[str]:
        """Event lines not yet printed (plain output)."""
        with self._lock:
            lines, self._pending = self._pending, []
        return lines

    def market_lines(self) -> list[str]:
        """One line per market, for plain output."""
        with self._lock:
            rows = [(s, _Row(**vars(r))) for s, r in self._rows.items()]
        stamp = f"[{self.elapsed():5.1f}s] market"
        return [
            f"{stamp} {symbol:<9} last {num(r.last):>10}  bid {num(r.bid):>10}"
            f"  ask {num(r.ask):>10}  24h {num(r.change):>6}%  trades {r.trades:<4}"
            f"  book {_book_state(r)}"
            for symbol, r in rows
        ]

    def table(self, title: str) -> list[str]:
        """The whole frame for a terminal: header, markets, recent events."""
        with self._lock:
            rows = [(s, _Row(**vars(r))) for s, r in self._rows.items()]
            events = list(self._events)
        lines = [
            title,
            "",
            f"{'MARKET':<9} {'LAST':>12} {'BID':>12} {'ASK':>12} {'24H %':>7}"
            f" {'TRADES':>7} {'UPDATES':>8}  LOCAL BOOK",
        ]
        for symbol, r in rows:
            lines.append(
                f"{symbol:<9} {num(r.last):>12} {num(r.bid):>12} {num(r.ask):>12}"
                f" {num(r.change):>7} {r.trades:>7} {r.updates:>8}  {_book_state(r)}"
            )
        lines += ["", "Orders and account events (you: what the demo did; user: what came back)"]
        lines += events or ["  (waiting for the first order)"]
        lines += [""] * (EVENT_LINES - len(events))
        return lines


def _book_state(row: _Row) -> str:
    if not row.levels:
        return "syncing"
    return f"{row.levels} levels, {'in sync' if row.synced else 'resyncing'}"


class Trader:
    """Places, fills and cancels orders on its own thread
    (``cryptoex-demo-trader``), one step every *pause* seconds, rotating
    through the symbols; everything it does goes to the board.

    :param client: the account's client.
    :param board: where to report.
    :param symbols: markets to trade, in turn.
    :param pause: seconds between steps.
    :param books: the local order books, to show a resting order in them.
    """

    def __init__(
        self,
        client: UserClient,
        board: Board,
        symbols: Sequence[str],
        pause: float,
        books: dict[str, OrderBook] | None = None,
    ) -> None:
        self._client = client
        self._books = dict(books or {})
        self._board = board
        self._symbols = list(symbols)
        self._pause = pause
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cryptoex-demo-trader", daemon=True)
        self._resting: dict[str, Order] = {}

    def start(self) -> None:
        """Start trading (returns at once)."""
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current step and join the thread."""
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        if self._stop.wait(WARM_UP):
            return
        round_no = 0
        while not self._stop.is_set():
            symbol = self._symbols[round_no % len(self._symbols)]
            round_no += 1
            steps = (
                self._buy_limit,
                self._look,
                self._buy_market,
                self._invalid,
                self._sell_market,
            )
            for step in steps:
                self._do(step, symbol)
                if self._stop.wait(self._pause):
                    return
            self._do(self._cancel, symbol)
            if self._stop.wait(self._pause):
                return

    def _do(self, step: Callable[[str], None], symbol: str) -> None:
        try:
            step(symbol)
        except CryptoExError as exc:
            # Shown, not raised: the demo goes on, as a real program would.
            self._board.event("error", f"{symbol}: {type(exc).__name__}: {exc}")
            self._board.counts["errors"] += 1

    def _plan(self, symbol: str) -> tuple[SymbolInfo, Decimal, Decimal]:
        """The symbol's rules, a reference price and a small order size."""
        info = self._client.symbol_info(symbol)
        price = self._board.mid(symbol) or self._client.ticker(symbol).last_price
        floor = info.min_notional or (price * (info.min_qty or Decimal(1)))
        quantity = info.round_quantity(floor * NOTIONAL_MULTIPLE / price, "up")
        if info.min_qty is not None and quantity < info.min_qty:
            quantity = info.min_qty
        return info, price, quantity

    def _placed(self, order: Order, note: str = "") -> None:
        self._board.counts["placed"] += 1
        side = order.side.value if order.side is not None else "?"
        kind = order.type.value if order.type is not None else "?"
        status = order.status.value if order.status is not None else "?"
        at = f" @ {num(order.price)}" if order.price else ""
        self._board.event(
            "you",
            f"{side} {kind} {num(order.quantity)} {order.symbol}{at} -> {status}"
            f" (order {order.order_id}){note}",
        )

    def _buy_limit(self, symbol: str) -> None:
        info, price, quantity = self._plan(symbol)
        below = info.round_price(price * Decimal("0.99"), "down")
        order = self._client.place_order(
            symbol, side="BUY", type="LIMIT", quantity=quantity, price=below
        )
        self._resting[symbol] = order
        self._placed(order, ", resting 1% below the market")

    def _look(self, symbol: str) -> None:
        """Find the resting order's price level in the local order book."""
        order = self._resting.get(symbol)
        book = self._books.get(symbol)
        if order is None or book is None or order.price is None:
            return
        if not book.is_synced:
            self._board.event("book", f"{symbol}: the local book is resyncing")
            return
        level = next((lv for lv in book.bids() if lv.price == order.price), None)
        if level is None:
            self._board.event(
                "book", f"{symbol}: no bid at {num(order.price)} in the local book yet"
            )
            return
        best = book.best_bid()
        self._board.event(
            "book",
            f"{symbol} local book: the bid at {num(level.price)} holds {num(level.quantity)}"
            f" (your {num(order.quantity)} included); best bid {num(best.price if best else None)}",
        )

    def _buy_market(self, symbol: str) -> None:
        _, _, quantity = self._plan(symbol)
        order = self._client.place_order(symbol, side="BUY", type="MARKET", quantity=quantity)
        self._placed(order, _fills(order))

    def _sell_market(self, symbol: str) -> None:
        _, _, quantity = self._plan(symbol)
        order = self._client.place_order(symbol, side="SELL", type="MARKET", quantity=quantity)
        self._placed(order, _fills(order))

    def _invalid(self, symbol: str) -> None:
        info, price, quantity = self._plan(symbol)
        tick = info.tick_size or Decimal("0.01")
        off_grid = info.round_price(price * Decimal("0.98"), "down") + tick / 2
        try:
            self._client.place_order(
                symbol, side="BUY", type="LIMIT", quantity=quantity, price=off_grid
            )
        except ValidationError as exc:
            self._board.counts["refused"] += 1
            self._board.event("you", f"refused before sending (nothing sent): {exc}")
        else:  # pragma: no cover - the filters would have to be missing
            self._board.event("you", f"{symbol}: price {off_grid} was accepted")

    def _cancel(self, symbol: str) -> None:
        order = self._resting.pop(symbol, None)
        if order is None:
            return
        cancelled = self._client.cancel_order(symbol, order_id=order.order_id)
        self._board.counts["cancelled"] += 1
        status = cancelled.status.value if cancelled.status is not None else "?"
        self._board.event("you", f"cancel order {order.order_id} {symbol} -> {status}")


def _fills(order: Order) -> str:
    if not order.fills:
        return ""
    quantity = sum((f.quantity for f in order.fills), Decimal(0))
    cost = sum((f.price * f.quantity for f in order.fills), Decimal(0))
    fee = sum((f.commission for f in order.fills), Decimal(0))
    asset = order.fills[0].commission_asset
    average = (cost / quantity).quantize(order.fills[0].price) if quantity else Decimal(0)
    return f", {len(order.fills)} fill(s) avg {num(average)}, fee {num(fee)} {asset}"


def _balances(client: UserClient) -> dict[str, Decimal]:
    items: list[Balance] = client.get_balances()
    return {b.asset: b.free + b.locked for b in items}


def _summary(
    board: Board,
    manager: StreamManager,
    books: dict[str, OrderBook],
    before: dict[str, Decimal],
    after: dict[str, Decimal],
    seconds: float,
) -> list[str]:
    counts = board.counts
    lines = [
        "",
        f"Summary after {seconds:.1f} s",
        f"  market data: {counts['ticker']} tickers, {counts['trade']} trades,"
        f" {counts['book']} order-book updates applied",
    ]
    for symbol, book in books.items():
        state = "in sync" if book.is_synced else "not in sync"
        lines.append(
            f"  local book {symbol}: {state} at update id {book.last_update_id},"
            f" {len(book)} price levels, spread {num(book.spread())}"
        )
    by_kind: dict[str, list[Any]] = collections.defaultdict(list)
    for stream in manager.stats().streams.values():
        by_kind[stream.kind].append(stream)
    for kind, streams in sorted(by_kind.items()):
        p50 = [s.lag_ms_p50 for s in streams if s.lag_ms_p50 is not None]
        p99 = [s.lag_ms_p99 for s in streams if s.lag_ms_p99 is not None]
        lag = (
            f", receive lag p50 {max(p50):.1f} ms, p99 {max(p99):.1f} ms (worst stream)"
            if p50 and p99
            else ""
        )
        lines.append(
            f"  {kind}: {sum(s.messages for s in streams)} messages on {len(streams)} streams{lag}"
        )
    lines.append(
        f"  orders: {counts['placed']} placed, {counts['cancelled']} cancelled,"
        f" {counts['refused']} refused before sending, {counts['errors']} errors"
    )
    changed = [a for a in sorted(set(before) | set(after)) if before.get(a) != after.get(a)]
    if changed:
        moves = ", ".join(
            f"{a} {num(before.get(a, Decimal(0)))} -> {num(after.get(a, Decimal(0)))}"
            for a in changed
        )
        lines.append(f"  balances: {moves}")
    return lines


def _leftover_threads() -> list[str]:
    return sorted(
        t.name
        for t in threading.enumerate()
        if t.is_alive() and t.name.startswith(("cryptoex-", "fakebinance-"))
    )


def run(
    *,
    duration: float = DEFAULT_DURATION,
    symbols: Sequence[str] = DEFAULT_SYMBOLS,
    seed: int = 7,
    out: TextIO | None = None,
    live: bool | None = None,
    stop: threading.Event | None = None,
    pause: float | None = None,
) -> int:
    """Run the demo; returns the exit status (0: finished and every thread
    joined).

    :param duration: seconds before it stops by itself.
    :param symbols: sandbox markets to show (``BTCUSDT``, ``ETHUSDT``,
        ``BNBUSDT``, ``ETHBTC``, ``PEPEUSDT``).
    :param seed: the sandbox's market seed (same seed, same market).
    :param out: where to write (default ``sys.stdout``).
    :param live: redraw a table in place (default: when *out* is a terminal).
    :param stop: set it (from any thread) to end the demo early, as Ctrl-C
        does; for embedding the demo, and for tests.
    :param pause: seconds between trading steps (default: about 14 steps
        over *duration*, 0.3 to 2 seconds apart).
    :raises CommandError: the sandbox's ``websockets`` package is missing, or
        an unknown symbol was asked for.
    """
    from cryptoex.cli import CommandError, require_sandbox

    require_sandbox()
    from cryptoex.testing import FakeBinance
    from cryptoex.testing._markets import BUILTIN_MARKETS

    names = [s.strip().upper() for s in symbols if s.strip()]
    known = [spec.symbol for spec in BUILTIN_MARKETS]
    unknown = [s for s in names if s not in known]
    if unknown or not names:
        raise CommandError(
            f"the sandbox has no market {', '.join(unknown) or '(none given)'};"
            f" choose from {', '.join(known)}"
        )
    screen = Screen(out, live=live)
    board = Board(names)
    started = time.monotonic()
    interrupted = False
    with FakeBinance(seed=seed, symbols=names) as fake:
        screen.line(
            f"cryptoex demo: a local FakeBinance on {fake.rest_url} (no network, no keys);"
            f" {duration:g} s, markets {', '.join(names)}. Ctrl-C stops early."
        )
        manager = StreamManager(
            ws_url=fake.ws_url, rest_url=fake.rest_url, ws_api_url=fake.ws_api_url
        )
        # Decorator callbacks, exactly as in a script: they run on the
        # manager's connection thread and only update the board.
        manager.on_ticker(*names)(board.ticker)
        manager.on_trade(*names)(board.trade)
        manager.on_order_book(*names)(board.book)
        # The books on_order_book keeps (one per symbol and manager).
        books = {symbol: manager.order_book(symbol) for symbol in names}
        client = UserClient(
            fake.api_key,
            fake.api_secret,
            rest_url=fake.rest_url,
            ws_api_url=fake.ws_api_url,
            name="demo",
        )
        if pause is None:
            pause = min(2.0, max(0.3, duration / 14))
        trader = Trader(client, board, names, pause, books)
        before = _balances(client)
        title = f"cryptoex demo: streaming and trading on a local FakeBinance ({fake.rest_url})"
        try:
            with manager:
                trader.start()
                interrupted = _draw(screen, board, title, started + duration, stop)
                trader.stop()
                for symbol in names:  # leave nothing open behind
                    for order in client.cancel_all_orders(symbol):
                        board.event("you", f"cancel order {order.order_id} {symbol} at the end")
                after = _balances(client)
                _flush(screen, board, title)
                elapsed = time.monotonic() - started
                for text in _summary(board, manager, books, before, after, elapsed):
                    screen.line(text)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            trader.stop()
            client.close()
    leftover = _leftover_threads()
    if leftover:
        screen.line(f"threads still running: {', '.join(leftover)}")
        return 1
    ending = "Interrupted (Ctrl-C)" if interrupted else "Done"
    screen.line(f"{ending}: the manager and the sandbox stopped, every thread joined.")
    screen.line("Next: cryptoex stream ticker BTCUSDT --sandbox; examples/; docs/quickstart.rst")
    return 0


def _draw(
    screen: Screen, board: Board, title: str, deadline: float, stop: threading.Event | None
) -> bool:
    """Redraw (terminal) or print new lines (pipe) until *deadline* or *stop*;
    returns whether Ctrl-C ended it."""
    next_market = time.monotonic() + MARKET_LINE_INTERVAL
    # Waited on between frames: an interruptible pause that *stop* cuts short.
    pause = stop if stop is not None else threading.Event()
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or pause.is_set():
                return False
            pause.wait(min(FRAME_INTERVAL, remaining))
            if screen.live:
                board.take_pending()
                screen.frame(board.table(_title(title, board, deadline)))
                continue
            for text in board.take_pending():
                screen.line(text)
            if time.monotonic() >= next_market:
                next_market += MARKET_LINE_INTERVAL
                for text in board.market_lines():
                    screen.line(text)
    except KeyboardInterrupt:
        return True


def _title(title: str, board: Board, deadline: float) -> str:
    left = max(0.0, deadline - time.monotonic())
    return f"{title}  {board.elapsed():4.1f} s, {left:4.1f} s left"


def _flush(screen: Screen, board: Board, title: str) -> None:
    """The final state: the last frame (terminal) or the remaining lines."""
    if screen.live:
        board.take_pending()
        screen.frame(board.table(title))
        return
    for text in board.take_pending():
        screen.line(text)
    for text in board.market_lines():
        screen.line(text)
