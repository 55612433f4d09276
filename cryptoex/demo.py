"""What ``python -m cryptoex demo`` runs: the library end to end against an
in-process :class:`~cryptoex.testing.FakeBinance`, with no network and no keys.

Three parts run at once, each on its own threads, as in a real program:

* market data: decorator callbacks on a :class:`~cryptoex.StreamManager`
  (tickers, trades, and a local :class:`~cryptoex.OrderBook` per market,
  kept in sync from the diff stream) update a :class:`Board`;
* trading: a :class:`Trader` thread places, fills and cancels orders with a
  :class:`~cryptoex.UserClient` and shows a validation error (nothing sent);
  the account's user-data stream (``subscribe_user``) reports each order
  update and balance change as it happens;
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
from decimal import Decimal
from typing import Any, Final, TextIO

from cryptoex._console import Screen, num
from cryptoex._demo_board import Board
from cryptoex.errors import CryptoExError, ValidationError
from cryptoex.models import Balance, Order
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
#: Orders are sized at this multiple of the market's minimum notional.
NOTIONAL_MULTIPLE: Final = Decimal(4)
#: Seconds given to the streams to connect before the first order.
WARM_UP: Final = 1.0


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
            self._board.count("errors")

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
        self._board.count("placed")
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
            self._board.count("refused")
            self._board.event("you", f"refused before sending (nothing sent): {exc}")
        else:  # pragma: no cover - the filters would have to be missing
            self._board.event("you", f"{symbol}: price {off_grid} was accepted")

    def _cancel(self, symbol: str) -> None:
        order = self._resting.pop(symbol, None)
        if order is None:
            return
        cancelled = self._client.cancel_order(symbol, order_id=order.order_id)
        self._board.count("cancelled")
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
    lines.append(
        f"  user data: {counts['order_update']} order updates,"
        f" {counts['account_update']} balance updates received"
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
    from cryptoex._cli_runtime import CommandError, require_sandbox

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
                # Blocks until the exchange confirmed the subscription; the
                # events then arrive on the WebSocket API connection's thread.
                user = manager.subscribe_user(client)
                user.on_order_update()(board.order_update)
                user.on_account_update()(board.account_update)
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
