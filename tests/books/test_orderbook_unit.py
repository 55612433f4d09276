"""The order book on its own: the sync procedure step by step (snapshot,
buffered events, update-id checks), the data structure, consistent reads
under concurrent updates, and the HTML table. No network."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cryptoex import OrderBookLevel, ValidationError
from cryptoex.exchanges.binance.parse import parse_depth_update
from cryptoex.models import PartialDepth
from cryptoex.streaming.orderbook import OrderBook
from tests.books.conftest import depth, diff, level
from tests.helpers import load_fixture

D = Decimal

SNAPSHOT = depth(
    100,
    bids=[("100", "1"), ("99", "2"), ("98", "3")],
    asks=[("101", "1"), ("102", "2"), ("103", "3")],
)


def synced_book(snapshot: PartialDepth = SNAPSHOT, *events: Any) -> OrderBook:
    book = OrderBook("BTCUSDT", 1000)
    for event in events:
        book._on_diff(event)
    assert book._sync_from(lambda symbol, limit: snapshot) == "synced"
    return book


def prices(levels: list[OrderBookLevel]) -> list[Decimal]:
    return [lv.price for lv in levels]


def test_snapshot_then_buffered_events_then_live_events() -> None:
    book = OrderBook("BTCUSDT", 1000)
    applied: list[int | None] = []
    book._listener = lambda b: applied.append(b.last_update_id)
    # Step 2: events are buffered before the snapshot exists.
    book._on_diff(diff(95, 99, bids=[("97", "9")]))  # covered by the snapshot: dropped
    book._on_diff(diff(100, 102, bids=[("100", "5")]))  # straddles lastUpdateId=100
    book._on_diff(diff(103, 104, asks=[("101", "0")]))
    assert not book.is_synced
    assert book.best_bid() is None
    asked: list[tuple[str, int]] = []

    def fetch(symbol: str, limit: int) -> PartialDepth:
        asked.append((symbol, limit))
        return SNAPSHOT

    assert book._sync_from(fetch) == "synced"
    assert asked == [("BTCUSDT", 1000)]
    assert book.is_synced
    assert book.wait_synced(0)
    assert book.last_update_id == 104
    assert book.bids() == [level(100, 5), level(99, 2), level(98, 3)]  # 97 never applied
    assert book.asks() == [level(102, 2), level(103, 3)]
    assert applied == [], "the keeper announces the sync, not the book"
    # Live: applied at once, the listener sees the book after each update.
    book._on_diff(diff(105, 105, bids=[("100.5", "1")]))
    assert applied == [105]
    assert book.best_bid() == level("100.5", 1)
    assert book.spread() == D("1.5")
    assert book.mid_price() == D("101.25")  # (100.5 + 102) / 2: 101 went at 103


def test_stale_snapshot_is_fetched_again() -> None:
    book = OrderBook("BTCUSDT", 1000)
    book._on_diff(diff(110, 112, bids=[("100", "5")]))
    # Step 4: lastUpdateId (100) < U of the first buffered event (110), with
    # events 101..109 in neither.
    assert book._sync_from(lambda s, n: SNAPSHOT) == "stale"
    assert not book.is_synced
    newer = depth(111, bids=[("100", "1")], asks=[("101", "1")])
    assert book._sync_from(lambda s, n: newer) == "synced"
    assert book.last_update_id == 112
    assert book.best_bid() == level(100, 5)


def test_missing_straddling_event_restarts() -> None:
    book = OrderBook("BTCUSDT", 1000)
    book._on_diff(diff(90, 95))
    book._on_diff(diff(102, 103))  # 96..101 never arrived: nothing straddles 100
    assert book._sync_from(lambda s, n: SNAPSHOT) == "moved"
    assert not book.is_synced
    assert not book._buffer


def test_gap_inside_the_buffer_restarts_from_that_event() -> None:
    book = OrderBook("BTCUSDT", 1000)
    book._on_diff(diff(99, 101))
    book._on_diff(diff(105, 106))  # 102..104 missing
    assert book._sync_from(lambda s, n: SNAPSHOT) == "moved"
    assert [e.first_update_id for e in book._buffer] == [105]
    assert book._sync_from(lambda s, n: depth(105, [("1", "1")], [("2", "1")])) == "synced"
    assert book.last_update_id == 106


def test_live_update_id_checks() -> None:
    book = synced_book()
    book._on_diff(diff(90, 100, bids=[("100", "42")]))  # u <= local: ignored
    assert book.best_bid() == level(100, 1)
    book._on_diff(diff(101, 101, bids=[("100", "7")]))  # U == local + 1: applied
    assert book.best_bid() == level(100, 7)
    assert book.last_update_id == 101
    # Overlapping event (U <= local < u) is applied too.
    book._on_diff(diff(100, 102, asks=[("101", "4")]))
    assert book.best_ask() == level(101, 4)
    assert book.gaps == 0
    # U > local + 1: a gap. The book stops being synced and keeps that event.
    book._on_diff(diff(104, 104, bids=[("100", "9")]))
    assert not book.is_synced
    assert book.gaps == 1
    assert book.best_bid() == level(100, 7), "the gap event is not applied"
    assert [e.first_update_id for e in book._buffer] == [104]
    assert book._sync_from(lambda s, n: depth(103, [("100", "8")], [("101", "4")])) == "synced"
    assert book.best_bid() == level(100, 9)
    assert book.syncs == 2


def test_zero_quantity_removes_level_as_a_decimal() -> None:
    payload = load_fixture("ws/depthUpdate.json")
    book = OrderBook(payload["s"], 1000)
    first = payload["U"]
    snapshot = depth(
        first - 1,
        bids=[(payload["b"][0][0], "5"), ("0.00000001", "1")],
        asks=[(payload["a"][0][0], "5"), ("99999", "1")],
        symbol=payload["s"],
    )
    removal = dict(payload)
    removal["b"] = [[payload["b"][0][0], "0.00000000"]]
    removal["a"] = [[payload["a"][0][0], "0.000"]]
    update = parse_depth_update(removal)
    assert update.bids[0].quantity == 0
    assert str(update.bids[0].quantity) == "0E-8", "not the string '0'"
    book._on_diff(update)
    assert book._sync_from(lambda s, n: snapshot) == "synced"
    assert prices(book.bids()) == [D("0.00000001")]
    assert prices(book.asks()) == [D("99999")]
    # Removing a level the book does not hold is normal and harmless.
    book._on_diff(diff(payload["u"] + 1, payload["u"] + 1, bids=[("5", "0E-8")], asks=[]))
    assert len(book) == 2


def test_reads_return_new_lists_best_first() -> None:
    book = synced_book()
    bids = book.bids(2)
    assert prices(bids) == [D(100), D(99)]
    bids.clear()
    assert prices(book.bids(2)) == [D(100), D(99)]
    assert prices(book.asks(2)) == [D(101), D(102)]
    assert book.bids(0) == []
    assert len(book.asks(50)) == 3
    assert len(book) == 6
    snap = book.snapshot(1)
    assert snap.last_update_id == 100
    assert snap.bids == (level(100, 1),)
    assert snap.asks == (level(101, 1),)
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(ValidationError, match="n must be"):
            book.bids(bad)  # type: ignore[arg-type]


def test_empty_book_reads() -> None:
    book = OrderBook("BTCUSDT", 100)
    assert book.best_bid() is None
    assert book.best_ask() is None
    assert book.spread() is None
    assert book.mid_price() is None
    assert book.last_update_id is None
    assert book.snapshot().last_update_id == 0
    assert not book.wait_synced(0.01)
    assert "syncing" in repr(book)
    assert "last update id -" in book._repr_html_()


def test_repr_and_html_table() -> None:
    book = synced_book()
    assert repr(book) == ("<OrderBook BTCUSDT synced last_update_id=100 bid=100 ask=101>")
    table = book._repr_html_()
    assert table.startswith("<table><caption>BTCUSDT order book (in sync, last update id 100")
    assert "spread 1" in table
    assert table.count("<tr>") == 1 + 3  # header + three rows
    assert "<td style='text-align:right'>100</td><td style='text-align:right'>101</td>" in table
    book.close()
    assert "closed" in repr(book)
    assert not book.is_synced
    assert not book.wait_synced(0)


def test_close_stops_everything() -> None:
    book = synced_book()
    closed: list[OrderBook] = []
    book._closer = closed.append
    book.close()
    book.close()
    assert closed == [book]
    book._on_diff(diff(101, 101, bids=[("100", "9")]))
    assert book.best_bid() == level(100, 1), "a closed book no longer changes"
    assert book.closed


def test_lost_and_restored_stream() -> None:
    book = synced_book()
    book._on_lost("dropped")
    assert not book.is_synced
    assert book._due(0.0, stream_open=True) is None, "nothing to do while the stream is down"
    book._on_restored()
    assert book._due(0.0, stream_open=True) is not None  # quiet fallback armed
    book._on_diff(diff(150, 151))
    assert book._due(0.0, stream_open=True) == 0.0  # an event is buffered: due now
    assert book._sync_from(lambda s, n: depth(150, [("1", "1")], [("2", "1")])) == "synced"
    assert book.last_update_id == 151


def test_quiet_stream_fallback_syncs_without_events() -> None:
    book = OrderBook("BTCUSDT", 100)
    assert book._due(0.0, stream_open=False) is None
    due = book._due(0.0, stream_open=True)
    assert due is not None
    assert due > 0
    assert book._sync_from(lambda s, n: SNAPSHOT) == "synced"
    book._on_diff(diff(101, 101))
    assert book.last_update_id == 101


def test_a_snapshot_overtaken_by_a_gap_is_discarded() -> None:
    book = OrderBook("BTCUSDT", 100)
    book._on_diff(diff(100, 100))

    def fetch(symbol: str, limit: int) -> PartialDepth:
        book._on_lost("dropped while the snapshot was on its way")
        return SNAPSHOT

    assert book._sync_from(fetch) == "moved"
    assert not book.is_synced


def test_buffer_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import cryptoex.streaming.orderbook as module

    monkeypatch.setattr(module, "MAX_BUFFERED_UPDATES", 3)
    book = OrderBook("BTCUSDT", 100)
    for i in range(10):
        book._on_diff(diff(i, i))
    assert [e.first_update_id for e in book._buffer] == [7, 8, 9]


# -- the data structure against a reference model ----------------------------------

prices_st = st.integers(min_value=1, max_value=60)
quantities_st = st.sampled_from(["0", "0.00000000", "0E-8", "1", "2.5", "0.001"])
side_st = st.lists(st.tuples(prices_st, quantities_st), max_size=20, unique_by=lambda t: t[0])


@given(st.lists(st.tuples(side_st, side_st), min_size=1, max_size=30))
def test_book_matches_a_dict_model_and_stays_sorted(diffs: list[Any]) -> None:
    book = synced_book(depth(0, bids=[], asks=[]))
    model_bids: dict[Decimal, Decimal] = {}
    model_asks: dict[Decimal, Decimal] = {}
    for i, (bids, asks) in enumerate(diffs, start=1):
        # Asks live above 100 so a crossed book is impossible in the model too.
        asks = [(p + 100, q) for p, q in asks]
        book._on_diff(diff(i, i, bids=bids, asks=asks))
        for model, side in ((model_bids, bids), (model_asks, asks)):
            for p, q in side:
                if D(q) == 0:
                    model.pop(D(p), None)
                else:
                    model[D(p)] = D(q)
        got_bids = [(lv.price, lv.quantity) for lv in book.bids()]
        got_asks = [(lv.price, lv.quantity) for lv in book.asks()]
        assert got_bids == sorted(model_bids.items(), reverse=True)
        assert got_asks == sorted(model_asks.items())
        assert book.last_update_id == i
        best = book.best_bid()
        assert best == (OrderBookLevel(*got_bids[0]) if got_bids else None)


def test_readers_never_see_half_an_update() -> None:
    """Every update rewrites all levels with one generation number as the
    quantity and shifts the prices; a reader that saw half an update would
    find two generations, or a crossed or unsorted book."""
    levels = 100
    book = synced_book(
        depth(
            0,
            bids=[(1001 - i, 1) for i in range(levels)],  # generation 1: shift 1
            asks=[(1002 + i, 1) for i in range(levels)],
        )
    )
    stop = threading.Event()
    problems: list[str] = []
    reads = [0]

    def check(bids: list[OrderBookLevel], asks: list[OrderBookLevel]) -> None:
        generations = {lv.quantity for lv in bids} | {lv.quantity for lv in asks}
        if len(generations) != 1:
            problems.append(f"mixed generations {sorted(generations)}")
        if prices(bids) != sorted(prices(bids), reverse=True) or prices(asks) != sorted(
            prices(asks)
        ):
            problems.append("unsorted")
        if bids and asks and bids[0].price >= asks[0].price:
            problems.append(f"crossed {bids[0].price} >= {asks[0].price}")
        if len(bids) != levels or len(asks) != levels:
            problems.append(f"sizes {len(bids)}/{len(asks)}")

    def reader() -> None:
        while not stop.is_set() and not problems:
            snap = book.snapshot()
            check(list(snap.bids), list(snap.asks))
            # (best_bid() then best_ask() are two reads and may straddle an
            # update; spread() is one.)
            spread = book.spread()
            if spread is not None and spread <= 0:
                problems.append(f"spread {spread}")
            reads[0] += 1

    threads = [threading.Thread(target=reader, name=f"reader-{i}") for i in range(3)]
    for thread in threads:
        thread.start()
    try:
        for gen in range(2, 400):
            shift = gen % 7  # prices move up and down: inserts and removals each time
            old = (gen - 1) % 7
            bids = [(1000 - i + old, 0) for i in range(levels)]
            bids += [(1000 - i + shift, gen) for i in range(levels)]
            asks = [(1001 + i + old, 0) for i in range(levels)]
            asks += [(1001 + i + shift, gen) for i in range(levels)]
            # Removals first, then the new levels (a level in both keeps gen).
            book._on_diff(diff(gen - 1, gen - 1, bids=bids, asks=asks))
            assert book.is_synced
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not problems, problems[:5]
    assert reads[0] > 0


# -- the keeper's sync step, with a stand-in for the REST call -------------------------


def keeper_and_book() -> tuple[Any, OrderBook]:
    from cryptoex.streaming import StreamManager
    from cryptoex.streaming.orderbook import BookKeeper

    keeper = BookKeeper(StreamManager())  # never started: no thread, no socket
    book = OrderBook("BTCUSDT", 1000)
    emitted: list[OrderBook] = []
    book._listener = emitted.append
    return keeper, book


def test_keeper_retries_a_stale_snapshot_soon() -> None:
    keeper, book = keeper_and_book()
    book._on_diff(diff(110, 112))
    keeper._fetch = lambda symbol, limit: SNAPSHOT  # lastUpdateId 100: too old
    keeper._sync(book)
    assert not book.is_synced
    assert book._retry_at > 0
    assert book._attempts == 1


def test_keeper_backs_off_after_a_failed_snapshot(caplog: pytest.LogCaptureFixture) -> None:
    from cryptoex import NetworkError

    keeper, book = keeper_and_book()
    book._on_diff(diff(100, 101))

    def fail(symbol: str, limit: int) -> PartialDepth:
        raise NetworkError("connection refused")

    keeper._fetch = fail
    keeper._sync(book)
    keeper._sync(book)
    assert book._attempts == 2
    assert not book.is_synced
    assert "snapshot failed (connection refused); retry 2" in caplog.text
    keeper._fetch = lambda symbol, limit: SNAPSHOT
    keeper._sync(book)
    assert book.is_synced
    assert book._attempts == 0


def test_keeper_gives_up_on_an_unknown_symbol(caplog: pytest.LogCaptureFixture) -> None:
    from cryptoex import InvalidSymbolError

    keeper, book = keeper_and_book()
    book._on_diff(diff(100, 101))

    def refuse(symbol: str, limit: int) -> PartialDepth:
        raise InvalidSymbolError(400, -1121, "Invalid symbol.")

    keeper._fetch = refuse
    keeper._sync(book)
    assert not book.wait_synced(0)
    assert book._due(0.0, stream_open=True) is None, "never tried again"
    assert "does not know the symbol" in caplog.text


def test_snapshot_arriving_after_close_is_dropped() -> None:
    book = OrderBook("BTCUSDT", 100)
    book._on_diff(diff(100, 101))

    def fetch(symbol: str, limit: int) -> PartialDepth:
        book.close()
        return SNAPSHOT

    assert book._sync_from(fetch) == "closed"
    assert book.best_bid() is None
