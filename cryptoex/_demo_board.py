"""The demo's board: what the market-data and user-data callbacks, and the
trader, report, and how it is drawn (a table for a terminal, lines for a
pipe). Part of :mod:`cryptoex.demo`.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from cryptoex._console import num
from cryptoex.models import AccountUpdate, OrderUpdate, Ticker, Trade
from cryptoex.streaming.orderbook import OrderBook

__all__ = ["EVENT_LINES", "Board"]

#: Events kept for the table.
EVENT_LINES: Final = 12


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

    def count(self, name: str) -> None:
        """Add one to a summary counter (any thread)."""
        with self._lock:
            self.counts[name] += 1

    # -- written by stream callbacks (connection threads) -----------------------------

    def ticker(self, t: Ticker) -> None:
        """A ``@ticker`` event."""
        with self._lock:
            row = self._rows[t.symbol]
            row.last, row.change = t.last_price, t.price_change_percent
            row.updates += 1
            self.counts["ticker"] += 1  # under the lock: callbacks run on several threads

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

    def order_update(self, u: OrderUpdate) -> None:
        """An ``executionReport`` from the account's user-data stream."""
        self.count("order_update")
        fill = (
            f" {num(u.last_filled_quantity)} @ {num(u.last_filled_price)}"
            if u.last_filled_quantity
            else ""
        )
        self.event(
            "user",
            f"order {u.order_id} {u.symbol} {u.side.value} {u.type.value}:"
            f" {u.execution_type.value} -> {u.status.value}{fill}",
        )

    def account_update(self, u: AccountUpdate) -> None:
        """An ``outboundAccountPosition``: the balances an execution changed."""
        self.count("account_update")
        moved = ", ".join(
            f"{b.asset} {num(b.free)}" + (f" (+{num(b.locked)} locked)" if b.locked else "")
            for b in u.balances
        )
        self.event("user", f"balances now {moved}")

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
