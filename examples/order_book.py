"""Keep a live local order book and read it: best levels, spread, depth,
and the buy/sell imbalance of the top of the book on every update.

    python examples/order_book.py
    CRYPTOEX_SANDBOX=1 python examples/order_book.py

The manager keeps the book in sync by Binance's procedure (diff stream,
REST snapshot, update-id checks, resync after any gap). Every read is a
consistent copy taken under the book's lock, from any thread.
"""

from __future__ import annotations

import sys
import threading
from decimal import Decimal

import cryptoex

from _sandbox import stream_options

SYMBOL = "BTCUSDT"

with cryptoex.StreamManager(**stream_options()) as sm:
    book = sm.order_book(SYMBOL, limit=1000)
    if not book.wait_synced(timeout=30):
        sys.exit(f"the {SYMBOL} book did not sync within 30 s")

    print(f"{SYMBOL}: {len(book)} price levels, spread {book.spread()}, mid {book.mid_price()}")
    print(f"{'bid qty':>14} {'bid':>14} | {'ask':<14} {'ask qty':<14}")
    for bid, ask in zip(book.bids(5), book.asks(5), strict=False):
        print(f"{bid.quantity:>14} {bid.price:>14} | {ask.price:<14} {ask.quantity:<14}")

    updates = 0
    enough = threading.Event()

    @sm.on_order_book(SYMBOL)
    def imbalance(book: cryptoex.OrderBook) -> None:
        """Runs on the book's update thread after each applied diff."""
        global updates
        top = book.snapshot(10)  # both sides at one update id
        bid_qty = sum((level.quantity for level in top.bids), Decimal(0))
        ask_qty = sum((level.quantity for level in top.asks), Decimal(0))
        if bid_qty + ask_qty:
            share = bid_qty / (bid_qty + ask_qty) * 100
            print(f"update {top.last_update_id}: top-10 bids hold {share:.1f}% of the size")
        updates += 1
        if updates == 10:
            enough.set()

    enough.wait(timeout=30)
# The with block stopped the manager: the book's stream and threads are gone.
