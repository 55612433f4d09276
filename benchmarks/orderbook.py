"""Benchmark: the local order book (``cryptoex.OrderBook``).

Run: ``python -m benchmarks.orderbook [--levels 5000] [--diffs 2000]
[--diff-size 100] [--repeat 7] [--reads 200000]``

A book of ``--levels`` price levels per side (a 0.02 tick grid, so new
levels can appear between existing ones) receives ``--diffs`` diff events of
``--diff-size`` levels each (half bids, half asks), built as Binance JSON and
parsed by the real parser beforehand. Each diff mixes what a live diff
carries: about 70 % quantity changes of existing levels, 15 % removals
(``"0.00000000"``) and 15 % new levels, drawn mostly near the top of the
book (the book size stays about ``--levels``). It prints:

* µs per diff for the full live path of an event already parsed (lock,
  update-id check, apply: ``OrderBook._on_diff``), best of ``--repeat``
  rounds (the variants' rounds alternate), each on a fresh book. As live,
  each diff is parsed just before it is applied (only the apply is timed),
  so its objects are new, and the parser's table of interned prices is
  emptied before every round: nothing cached from an earlier round, such as
  a ``Decimal`` hash, helps (prices recurring *within* a round hit the
  table, as they do live);
* µs per diff to parse it from JSON (``orjson.loads`` +
  ``parse_depth_update``), for context: the streaming layer does both;
* the same diffs applied to two alternatives, and the ratios: a ``dict`` by
  price plus a sorted key list (no re-sort, but every fresh ``Decimal`` is
  hashed), and the naive book (a dict per side, re-sorted after every
  diff);
* ns per read of ``best_bid()``, ``best_ask()``, ``spread()`` and µs per
  ``bids(10)`` / ``snapshot(10)`` on the full book (best of ``--repeat``).

Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import functools
import gc
import platform
import random
import sys
import time
from bisect import bisect_left, insort
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import orjson

from cryptoex.exchanges.binance.parse import _PRICES, parse_depth_update, parse_order_book
from cryptoex.models import DepthUpdate, PartialDepth
from cryptoex.streaming.orderbook import OrderBook

SYMBOL = "BTCUSDT"
TICK = Decimal("0.01")
MID = 6_000_000  # in ticks: 60000.00


def fmt_price(ticks: int) -> str:
    return f"{ticks // 100}.{ticks % 100:02d}000000"


def fmt_qty(rng: random.Random) -> str:
    return f"{rng.randrange(0, 20)}.{rng.randrange(1, 10**8):08d}"


def top_biased(rng: random.Random, size: int) -> int:
    """An index into a side, mostly near the top (index 0)."""
    return min(size - 1, int(rng.random() ** 3 * size))


def build(levels: int, diffs: int, diff_size: int, seed: int) -> tuple[dict[str, Any], list[bytes]]:
    """The snapshot (REST JSON) and the diff events (stream JSON)."""
    rng = random.Random(seed)
    # Bids below MID, asks above, every other tick: room for new levels.
    # Each side is kept as an ascending list plus a set; "best" is the end
    # nearest MID.
    bid_list = sorted(MID - 2 * i for i in range(levels))
    ask_list = sorted(MID + 2 + 2 * i for i in range(levels))
    snapshot = {
        "lastUpdateId": 1000,
        "bids": [[fmt_price(p), fmt_qty(rng)] for p in reversed(bid_list)],
        "asks": [[fmt_price(p), fmt_qty(rng)] for p in ask_list],
    }
    update_id = 1000
    events = []
    for _ in range(diffs):
        payload: dict[str, Any] = {
            "e": "depthUpdate",
            "E": 1_700_000_000_000,
            "s": SYMBOL,
            "U": update_id + 1,
        }
        for key, side in (("b", bid_list), ("a", ask_list)):
            is_bid = key == "b"
            members = set(side)
            changes: dict[int, str] = {}
            away = -1 if is_bid else 1  # direction away from the top
            while len(changes) < diff_size // 2:
                roll = rng.random()
                index = top_biased(rng, len(side))
                price = side[-1 - index] if is_bid else side[index]
                if price in changes:
                    continue
                if roll < 0.70:
                    changes[price] = fmt_qty(rng)
                elif roll < 0.85:
                    changes[price] = "0.00000000"
                    del side[bisect_left(side, price)]
                    members.discard(price)
                else:
                    # A new level next to an existing one (further from the
                    # top, or just above the top when there is room).
                    candidate = price + away
                    while candidate in members or candidate in changes:
                        candidate += away
                    changes[candidate] = f"1{fmt_qty(rng)[1:]}"
                    insort(side, candidate)
                    members.add(candidate)
            # Best first, as the exchange sends them (bids descending).
            ordered = sorted(changes.items(), reverse=is_bid)
            payload[key] = [[fmt_price(p), q] for p, q in ordered]
        update_id += len(payload["b"]) + len(payload["a"])
        payload["u"] = update_id
        events.append(orjson.dumps(payload))
    return snapshot, events


def snapshot_model(raw: dict[str, Any]) -> PartialDepth:
    """The REST snapshot through the real parser, as the book's sync does
    (its prices are interned, like the diffs' that follow)."""
    return parse_order_book(raw, SYMBOL)


def fresh_book(snapshot: PartialDepth) -> OrderBook:
    book = OrderBook(SYMBOL, 5000)
    if book._sync_from(lambda symbol, limit: snapshot) != "synced":
        raise RuntimeError("the benchmark book did not sync")
    return book


class DictBook:
    """A dict by price per side plus a sorted key list kept with bisect (the
    first design of cryptoex's book): no re-sort, but each level hashes a
    fresh Decimal."""

    def __init__(self, snapshot: PartialDepth) -> None:
        self.bids = {lv.price: lv for lv in snapshot.bids}
        self.asks = {-lv.price: lv for lv in snapshot.asks}
        self.bid_keys = sorted(self.bids)
        self.ask_keys = sorted(self.asks)

    def apply(self, update: DepthUpdate) -> None:
        for book, keys, levels, sign in (
            (self.bids, self.bid_keys, update.bids, 1),
            (self.asks, self.ask_keys, update.asks, -1),
        ):
            for lv in levels:
                key = lv.price if sign > 0 else -lv.price
                if lv.quantity:
                    if key not in book:
                        insort(keys, key)
                    book[key] = lv
                elif book.pop(key, None) is not None:
                    del keys[bisect_left(keys, key)]


class NaiveBook:
    """The structure peers use: a dict per side, sorted again after every diff."""

    def __init__(self, snapshot: PartialDepth) -> None:
        self.bids = {lv.price: lv.quantity for lv in snapshot.bids}
        self.asks = {lv.price: lv.quantity for lv in snapshot.asks}
        self.bid_prices = sorted(self.bids, reverse=True)
        self.ask_prices = sorted(self.asks)

    def apply(self, update: DepthUpdate) -> None:
        for side, levels in ((self.bids, update.bids), (self.asks, update.asks)):
            for lv in levels:
                if lv.quantity:
                    side[lv.price] = lv.quantity
                else:
                    side.pop(lv.price, None)
        self.bid_prices = sorted(self.bids, reverse=True)
        self.ask_prices = sorted(self.asks)


def best_of(repeat: int, run: Callable[[], float]) -> float:
    return min(run() for _ in range(repeat))


def time_reads(fn: Callable[[], Any], count: int) -> float:
    """Seconds per call of *fn* over *count* calls (loop overhead included)."""
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(count):
            fn()
        return (time.perf_counter() - start) / count
    finally:
        gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", type=int, default=5000, help="levels per side")
    parser.add_argument("--diffs", type=int, default=2000, help="diff events applied")
    parser.add_argument("--diff-size", type=int, default=100, help="levels per diff")
    parser.add_argument("--repeat", type=int, default=7, help="rounds (best is kept)")
    parser.add_argument("--reads", type=int, default=200_000, help="calls per read figure")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    print(f"Python {sys.version.split()[0]} on {platform.machine()} ({platform.system()})")
    # A machine reference, so figures from different machines can be compared.
    reference = best_of(args.repeat, lambda: time_reads(lambda: sum(range(1000)), 2000))
    print(f"machine reference: sum(range(1000)) takes {reference * 1e6:.1f} µs")
    raw_snapshot, raw_events = build(args.levels, args.diffs, args.diff_size, args.seed)
    snapshot = snapshot_model(raw_snapshot)
    events = [parse_depth_update(orjson.loads(raw)) for raw in raw_events]
    sizes = [len(e.bids) + len(e.asks) for e in events]
    print(
        f"book: {len(snapshot.bids)} bids + {len(snapshot.asks)} asks; "
        f"{len(events)} diffs of {min(sizes)}-{max(sizes)} levels"
    )

    def timed_applies(apply: Callable[[DepthUpdate], None]) -> float:
        """Parse each diff (not timed), then time applying it, as live: the
        event's objects are new and just built when the book gets them."""
        clock = time.perf_counter
        elapsed = 0.0
        gc.disable()
        try:
            for raw in raw_events:
                event = parse_depth_update(orjson.loads(raw))
                start = clock()
                apply(event)
                elapsed += clock() - start
        finally:
            gc.enable()
        return elapsed / len(raw_events)

    def apply_round() -> float:
        # Start each round as a fresh process would: no price interned yet.
        # The snapshot is parsed first (interning its prices, as live), then
        # each diff just before it is applied.
        _PRICES.clear()
        book = fresh_book(snapshot_model(raw_snapshot))
        per_diff = timed_applies(book._on_diff)
        if not book.is_synced or book.last_update_id != events[-1].final_update_id:
            raise RuntimeError("the benchmark diffs were not all applied")
        return per_diff

    def parse_round() -> float:
        _PRICES.clear()
        gc.disable()
        try:
            start = time.perf_counter()
            for raw in raw_events:
                parse_depth_update(orjson.loads(raw))
            return (time.perf_counter() - start) / len(raw_events)
        finally:
            gc.enable()

    def other_round(kind: type[DictBook] | type[NaiveBook]) -> float:
        _PRICES.clear()
        return timed_applies(kind(snapshot_model(raw_snapshot)).apply)

    # Rounds of the variants alternate, so a busy moment of a shared machine
    # slows them alike; the best round of each is kept.
    rounds: dict[str, list[float]] = {"apply": [], "parse": [], "dict": [], "naive": []}
    for index in range(args.repeat):
        rounds["apply"].append(apply_round())
        rounds["parse"].append(parse_round())
        rounds["dict"].append(other_round(DictBook))
        if index < max(1, args.repeat // 3):
            rounds["naive"].append(other_round(NaiveBook))
    apply_s, parse_s, dict_s, naive_s = (
        min(rounds[name]) for name in ("apply", "parse", "dict", "naive")
    )
    print(f"apply one {args.diff_size}-level diff (OrderBook): {apply_s * 1e6:8.1f} µs")
    print(f"parse one {args.diff_size}-level diff (orjson+parser): {parse_s * 1e6:8.1f} µs")
    print(
        f"dict by price + sorted keys:              {dict_s * 1e6:8.1f} µs "
        f"({dict_s / apply_s:.1f}x the OrderBook)"
    )
    print(
        f"naive dict re-sorted per diff:            {naive_s * 1e6:8.1f} µs "
        f"({naive_s / apply_s:.1f}x the OrderBook)"
    )

    book = fresh_book(snapshot)
    for event in events:
        book._on_diff(event)
    empty_loop = best_of(args.repeat, lambda: time_reads(lambda: None, args.reads))
    reads: list[tuple[str, Callable[[], Any], str]] = [
        ("best_bid()", book.best_bid, "ns"),
        ("best_ask()", book.best_ask, "ns"),
        ("spread()", book.spread, "ns"),
        ("bids(10)", lambda: book.bids(10), "µs"),
        ("snapshot(10)", lambda: book.snapshot(10), "µs"),
    ]
    print(
        f"reads on a book of {len(book)} levels "
        f"(call overhead of an empty lambda, {empty_loop * 1e9:.0f} ns, subtracted):"
    )
    for name, fn, unit in reads:
        per_call = best_of(args.repeat, functools.partial(time_reads, fn, args.reads)) - empty_loop
        if unit == "ns":
            print(f"  {name:<14}{per_call * 1e9:8.0f} ns")
        else:
            print(f"  {name:<14}{per_call * 1e6:8.2f} µs")


if __name__ == "__main__":
    main()
