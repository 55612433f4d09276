"""Order books against FakeBinance over loopback: sync from snapshot and diffs,
a gap resyncs that symbol only, a reconnect resyncs every book, concurrent
readers, callbacks, many books on one connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import requests

import cryptoex
from cryptoex import OrderBookLevel, signals
from cryptoex.streaming import StreamManager
from cryptoex.streaming.orderbook import OrderBook
from tests.helpers import LONG_TIMEOUT, Recorder, wait_until

Fakes = Callable[..., Any]
Managers = Callable[..., StreamManager]


def rest_depth(fake: Any, symbol: str, limit: int = 1000) -> dict[str, Any]:
    answer = requests.get(
        fake.rest_url + "/api/v3/depth",
        params={"symbol": symbol, "limit": str(limit)},
        timeout=LONG_TIMEOUT,
    )
    answer.raise_for_status()
    data: dict[str, Any] = answer.json()
    return data


def as_levels(rows: list[list[str]]) -> list[OrderBookLevel]:
    return [OrderBookLevel(Decimal(p), Decimal(q)) for p, q in rows]


def assert_matches_exchange(fake: Any, book: OrderBook) -> None:
    """Pause nothing: read the exchange's book, wait until the local one is at
    the same update id, and compare every level."""
    expected = rest_depth(fake, book.symbol)
    target = expected["lastUpdateId"]
    assert wait_until(lambda: (book.last_update_id or 0) >= target)
    assert book.is_synced
    assert book.last_update_id == target, "the market must be paused for this check"
    snap = book.snapshot()
    assert list(snap.bids) == as_levels(expected["bids"])
    assert list(snap.asks) == as_levels(expected["asks"])
    assert snap.last_update_id == target


def sync_paused(fake: Any, *books: OrderBook) -> None:
    """With the market paused, tick until every book is in sync."""
    for _ in range(50):
        fake.step()
        if all(book.wait_synced(0.2) for book in books):
            return
    raise AssertionError(f"not in sync: {books}")


def test_book_syncs_and_matches_the_exchange_after_diffs(fakes: Fakes, managers: Managers) -> None:
    fake = fakes(message_rate=0)
    sm = managers(fake).start()
    book = sm.order_book("btcusdt", limit=1000)
    assert book is sm.order_book("BTCUSDT", limit=500), "one book per symbol"
    assert book.symbol == "BTCUSDT"
    assert not book.is_synced
    sync_paused(fake, book)
    snapshots = [r for r in fake.requests if r.path == "/api/v3/depth"]
    assert len(snapshots) == 1
    assert snapshots[0].query == {"symbol": "BTCUSDT", "limit": "1000"}
    # Streams first, then the snapshot: the diff stream was subscribed.
    (conn,) = [c for c in fake.connections() if c.kind == "stream"]
    assert "btcusdt@depth@100ms" in conn.streams
    start = book.last_update_id
    fake.step(20)  # twenty diffs, trades included
    assert_matches_exchange(fake, book)
    assert book.last_update_id is not None
    assert start is not None
    assert book.last_update_id > start
    assert book.updates >= 20
    assert book.syncs == 1
    assert book.gaps == 0
    bid, ask = book.best_bid(), book.best_ask()
    assert bid is not None
    assert ask is not None
    assert book.spread() == ask.price - bid.price > 0
    assert book.mid_price() == (bid.price + ask.price) / 2


def test_default_limit_is_the_exchange_maximum(fakes: Fakes, managers: Managers) -> None:
    fake = fakes()
    sm = managers(fake).start()
    book = sm.order_book("ETHUSDT")
    assert book.limit == 5000
    assert book.wait_synced(LONG_TIMEOUT)
    (request,) = [r for r in fake.requests if r.path == "/api/v3/depth"]
    assert request.query["limit"] == "5000"


def test_gap_resyncs_that_symbol_only(fakes: Fakes, managers: Managers) -> None:
    fake = fakes(message_rate=0)
    sm = managers(fake).start()
    btc = sm.order_book("BTCUSDT", limit=1000)
    eth = sm.order_book("ETHUSDT", limit=1000)
    sync_paused(fake, btc, eth)
    controls_before = len(fake.control_messages())
    eth_updates = eth.updates
    # Snapshots fail for now, so the unsynced state can be seen.
    fake.faults.fail_next("/api/v3/depth", method="GET", count=10_000, status=503)
    fake.faults.depth_gap("BTCUSDT", skip=7)
    fake.step()
    assert wait_until(lambda: not btc.is_synced)
    assert btc.gaps == 1
    assert wait_until(lambda: eth.updates > eth_updates), "ETH keeps applying diffs"
    fake.step(3)
    assert not btc.is_synced
    assert eth.is_synced
    assert eth.gaps == 0
    assert eth.syncs == 1
    assert wait_until(lambda: eth.updates >= eth_updates + 4)
    fake.faults.clear()
    assert btc.wait_synced(LONG_TIMEOUT)
    assert btc.syncs == 2
    assert eth.syncs == 1, "the other book was never touched"
    # The stream stayed subscribed: no UNSUBSCRIBE/SUBSCRIBE, same connection.
    assert len(fake.control_messages()) == controls_before
    (conn,) = [c for c in fake.connections() if c.kind == "stream"]
    assert {"btcusdt@depth@100ms", "ethusdt@depth@100ms"} <= set(conn.streams)
    fake.step(5)
    assert_matches_exchange(fake, btc)
    assert_matches_exchange(fake, eth)


def test_reconnect_resyncs_every_book(fakes: Fakes, managers: Managers) -> None:
    fake = fakes(message_rate=0)
    sm = managers(fake).start()
    books = [sm.order_book(s, limit=1000) for s in ("BTCUSDT", "ETHUSDT")]
    sync_paused(fake, *books)
    fake.faults.fail_next("/api/v3/depth", method="GET", count=10_000, status=503)
    lost = Recorder()
    signals.disconnected.connect(lost, sender=sm)
    try:
        assert fake.faults.drop_connections(kind="stream") == 1
        assert lost.wait(1)
    finally:
        signals.disconnected.disconnect(lost, sender=sm)
    assert wait_until(lambda: not any(b.is_synced for b in books))
    assert wait_until(lambda: len([c for c in fake.connections() if c.kind == "stream"]) == 1)
    fake.faults.clear()
    for _ in range(50):
        fake.step()
        if all(b.wait_synced(0.2) for b in books):
            break
    assert all(b.syncs == 2 for b in books)
    fake.step(5)
    for book in books:
        assert_matches_exchange(fake, book)


def test_on_order_book_callbacks_get_the_book_after_each_update(
    fakes: Fakes, managers: Managers
) -> None:
    fake = fakes(message_rate=0)
    sm = managers(fake)
    seen = Recorder()
    ids: list[int | None] = []

    @sm.on_order_book("BNBUSDT")
    def on_book(book: OrderBook) -> None:
        ids.append(book.last_update_id)
        seen(book)

    global_seen = Recorder()
    signals.order_book.connect(global_seen, sender="BNBUSDT")
    try:
        sm.start()
        book = sm.order_book("BNBUSDT")
        sync_paused(fake, book)
        count = len(seen)
        fake.step(5)
        assert seen.wait(count + 5)
        assert global_seen.wait(count + 5)
    finally:
        signals.order_book.disconnect(global_seen, sender="BNBUSDT")
    assert all(event is book for event in seen.events)
    assert global_seen.senders[0] == "BNBUSDT"
    applied = [i for i in ids if i is not None]
    assert applied == ids, "every call sees a synced book"
    assert applied == sorted(applied), "one call per applied update, in order"
    assert len(set(applied)) == len(applied)


def test_module_level_decorator_uses_the_default_manager(fakes: Fakes) -> None:
    fake = fakes()
    cryptoex.configure(ws_url=fake.ws_url, rest_url=fake.rest_url)
    seen = Recorder()
    cryptoex.on_order_book("BTCUSDT")(seen)
    sm = cryptoex.default_manager()
    try:
        sm.start()
        assert seen.wait(2)
        assert isinstance(seen.events[0], OrderBook)
        assert seen.events[0].is_synced
    finally:
        sm.stop()


def test_many_books_share_one_connection_and_readers_stay_consistent(
    fakes: Fakes, managers: Managers
) -> None:
    symbols = ["BTCUSDT", "ETHUSDT", "BNBUSDT", "ETHBTC", "PEPEUSDT"]
    fake = fakes(symbols=symbols, message_rate=50)
    sm = managers(fake).start()
    books = [sm.order_book(s, limit=1000) for s in symbols]
    assert all(b.wait_synced(LONG_TIMEOUT) for b in books)
    stream_conns = [c for c in fake.connections() if c.kind == "stream"]
    assert len(stream_conns) == 1
    assert len(stream_conns[0].streams) == len(symbols)
    stop = threading.Event()
    problems: list[str] = []
    reads = [0]

    def reader(book: OrderBook) -> None:
        while not stop.is_set() and not problems:
            snap = book.snapshot(50)
            bids = [lv.price for lv in snap.bids]
            asks = [lv.price for lv in snap.asks]
            if bids != sorted(bids, reverse=True) or asks != sorted(asks):
                problems.append(f"{book.symbol}: unsorted")
            if bids and asks and bids[0] >= asks[0]:
                problems.append(f"{book.symbol}: crossed {bids[0]} >= {asks[0]}")
            if any(lv.quantity <= 0 for lv in snap.bids + snap.asks):
                problems.append(f"{book.symbol}: empty level")
            reads[0] += 1

    threads = [threading.Thread(target=reader, args=(b,)) for b in books]
    for thread in threads:
        thread.start()
    try:
        target = [b.updates + 10 for b in books]
        assert wait_until(lambda: all(b.updates >= t for b, t in zip(books, target, strict=True)))
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not problems, problems[:5]
    assert reads[0] > 0
    assert all(b.gaps == 0 for b in books)


def test_close_releases_the_stream(fakes: Fakes, managers: Managers) -> None:
    fake = fakes()
    sm = managers(fake).start()
    book = sm.order_book("BTCUSDT", limit=100)
    keep = sm.order_book("ETHUSDT", limit=100)
    assert book.wait_synced(LONG_TIMEOUT)
    book.close()
    assert not book.is_synced
    assert wait_until(
        lambda: any(
            m.method == "UNSUBSCRIBE" and "btcusdt@depth@100ms" in (m.params or [])
            for m in fake.control_messages()
        )
    )
    again = sm.order_book("BTCUSDT", limit=100)
    assert again is not book
    assert again.wait_synced(LONG_TIMEOUT)
    assert keep.wait_synced(LONG_TIMEOUT)


def test_quiet_market_syncs_without_waiting_for_a_diff(
    fakes: Fakes, managers: Managers, monkeypatch: Any
) -> None:
    import cryptoex.streaming.orderbook as module

    monkeypatch.setattr(module, "QUIET_SYNC_AFTER", 0.05)
    fake = fakes(message_rate=0)  # no ticks: the diff stream says nothing
    sm = managers(fake).start()
    book = sm.order_book("BTCUSDT", limit=1000)
    assert book.wait_synced(LONG_TIMEOUT)
    assert book.updates == 0
    fake.step(3)  # the first diffs continue the snapshot: no gap
    assert_matches_exchange(fake, book)
    assert book.gaps == 0
    assert book.syncs == 1


def test_unknown_symbol_is_given_up(fakes: Fakes, managers: Managers, monkeypatch: Any) -> None:
    import cryptoex.streaming.orderbook as module

    monkeypatch.setattr(module, "QUIET_SYNC_AFTER", 0.05)
    fake = fakes()
    sm = managers(fake).start()
    book = sm.order_book("NOSUCHCOIN", limit=100)
    assert not book.wait_synced(LONG_TIMEOUT)  # returns once the exchange refused it
    assert book._failed is not None


def test_stopping_the_manager_ends_the_sync_thread(fakes: Fakes, managers: Managers) -> None:
    fake = fakes()
    sm = managers(fake).start()
    book = sm.order_book("BTCUSDT", limit=100)
    assert book.wait_synced(LONG_TIMEOUT)
    sm.stop()
    assert not book.is_synced
    assert not book.wait_synced(None), "returns at once: nothing will sync it again"
    assert not any(t.name.startswith("cryptoex-books") for t in threading.enumerate())
