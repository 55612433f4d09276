"""Faults injected by FakeBinance: drops, refused handshakes, silence. The
manager must come back by itself with every stream, forever."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptoex import Backoff
from cryptoex.streaming import StreamManager
from tests.helpers import Recorder, wait_until
from tests.streaming.conftest import Lifecycle

Make = Callable[..., StreamManager]
Fakes = Callable[..., Any]
Lifecycles = Callable[[StreamManager], Lifecycle]


def stream_connections(fake: Any) -> list[Any]:
    return [c for c in fake.connections() if c.kind == "stream"]


class Consumer:
    """An internal consumer (as the order book is): sees lost/restored."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.lost = Recorder()
        self.restored = Recorder()

    def on_event(self, event: Any) -> None:
        self.events.append(event)

    def on_stream_lost(self, stream: str, reason: str) -> None:
        self.lost(stream, reason)

    def on_stream_restored(self, stream: str) -> None:
        self.restored(stream)


def test_drop_reconnect_every_stream_back(
    managers: Make, fakes: Fakes, lifecycle: Lifecycles
) -> None:
    fake = fakes()
    sm = managers(ws_url=fake.ws_url)
    events = lifecycle(sm)
    trades, tickers, books = Recorder(), Recorder(), Recorder()
    sm.on_trade("BTCUSDT")(trades)
    sm.start()
    assert trades.wait(1)
    # Two more streams added live, so they are not in the first URL.
    sm.on_ticker("ETHUSDT")(tickers)
    sm.on_book_ticker("BNBUSDT")(books)
    consumer = Consumer()
    sm._attach("trade", "BTCUSDT", consumer)
    assert tickers.wait(1)
    assert books.wait(1)
    (before,) = stream_connections(fake)

    assert fake.faults.drop_connections(kind="stream", abrupt=True) == 1
    assert events.disconnected.wait(1)
    assert events.connected.wait(2)
    counts = (len(trades), len(tickers), len(books))
    assert trades.wait(counts[0] + 3)
    assert tickers.wait(counts[1] + 1)
    assert books.wait(counts[2] + 1)
    (after,) = stream_connections(fake)
    assert after.id != before.id
    assert set(after.streams) == {"btcusdt@trade", "ethusdt@ticker", "bnbusdt@bookTicker"}
    reconnecting = events.reconnecting.events[0]
    assert reconnecting["attempt"] == 1
    assert 0 < reconnecting["delay"] <= sm.backoff.cap
    assert (
        "lost" in events.disconnected.events[0]["reason"] or events.disconnected.events[0]["reason"]
    )
    stats = sm.stats()
    assert stats["btcusdt@trade"].reconnects == 1
    assert stats["ethusdt@ticker"].reconnects == 1
    (conn_stats,) = stats.connections.values()
    assert conn_stats.reconnects == 1
    assert conn_stats.state == "open"
    assert consumer.lost.wait(1)
    assert consumer.restored.wait(1)


def test_graceful_close_by_the_server_reconnects_too(
    managers: Make, fakes: Fakes, lifecycle: Lifecycles
) -> None:
    fake = fakes()
    sm = managers(ws_url=fake.ws_url)
    events = lifecycle(sm)
    trades = Recorder()
    sm.on_trade("BTCUSDT")(trades)
    sm.start()
    assert trades.wait(1)
    fake.faults.drop_connections(abrupt=False)
    assert events.connected.wait(2)
    assert "closed by the server" in events.disconnected.events[0]["reason"]
    count = len(trades)
    assert trades.wait(count + 2)


def test_many_drops_in_a_row_never_give_up(
    managers: Make, fakes: Fakes, lifecycle: Lifecycles
) -> None:
    fake = fakes()
    sm = managers(ws_url=fake.ws_url, backoff=Backoff(initial=0.005, cap=0.02, jitter=0.5))
    events = lifecycle(sm)
    trades = Recorder()
    sm.on_trade("BTCUSDT")(trades)
    sm.start()
    seen_ids: set[int] = set()
    for n in range(1, 7):
        assert events.connected.wait(n)
        # The fake registers a socket a moment after our side sees it open.
        assert wait_until(lambda: bool({c.id for c in stream_connections(fake)} - seen_ids))
        seen_ids.update(c.id for c in stream_connections(fake))
        assert fake.faults.drop_connections() == 1
    assert events.connected.wait(7)
    count = len(trades)
    assert trades.wait(count + 2)


def test_refused_handshakes_survived_with_growing_capped_delays(
    managers: Make, fakes: Fakes, lifecycle: Lifecycles
) -> None:
    fake = fakes()
    fake.faults.refuse_connections(5, status=429)
    sm = managers(
        ws_url=fake.ws_url, backoff=Backoff(initial=0.01, factor=2, cap=0.04, jitter=0.25)
    )
    events = lifecycle(sm)
    trades = Recorder()
    sm.on_trade("BTCUSDT")(trades)
    sm.start()
    assert trades.wait(1), "connected after the refusals"
    steps = [(e["attempt"], e["delay"]) for e in events.reconnecting.events]
    assert [a for a, _ in steps] == [1, 2, 3, 4, 5]
    for attempt, delay in steps:
        ceiling = min(0.04, 0.01 * 2 ** (attempt - 1))
        assert ceiling * 0.75 - 1e-9 <= delay <= ceiling + 1e-9
    assert events.disconnected.events == [], "never connected, so never disconnected"
    assert len(events.connected.events) == 1
    (conn,) = sm.stats().connections.values()
    assert conn.failed_attempts == 5


def test_retry_after_of_a_refusal_is_honoured(
    managers: Make, fakes: Fakes, lifecycle: Lifecycles
) -> None:
    fake = fakes()
    fake.faults.refuse_connections(1, status=429, retry_after=1)
    sm = managers(ws_url=fake.ws_url, backoff=Backoff(initial=0.01, cap=0.02))
    events = lifecycle(sm)
    sm.subscribe("trade", "BTCUSDT")
    sm.start()
    assert events.reconnecting.wait(1)
    assert events.reconnecting.events[0]["delay"] == 1.0


def test_silent_connection_is_detected_and_replaced(
    managers: Make, fakes: Fakes, lifecycle: Lifecycles
) -> None:
    fake = fakes()
    sm = managers(ws_url=fake.ws_url, silence_timeout=0.6)
    events = lifecycle(sm)
    trades = Recorder()
    sm.on_trade("BTCUSDT")(trades)
    sm.start()
    assert trades.wait(1)
    (before,) = stream_connections(fake)
    assert fake.faults.silence(kind="stream") == 1
    assert events.disconnected.wait(1)
    assert "silent" in events.disconnected.events[0]["reason"]
    assert events.connected.wait(2)
    count = len(trades)
    assert trades.wait(count + 2)
    assert wait_until(lambda: [c.id for c in stream_connections(fake)] != [before.id])


def test_quiet_but_healthy_connection_is_kept_alive_by_pings(
    managers: Make, fakes: Fakes, lifecycle: Lifecycles
) -> None:
    # No market data at all: only our pings' pongs prove the link is alive.
    fake = fakes(message_rate=0)
    sm = managers(ws_url=fake.ws_url, silence_timeout=2.0)
    events = lifecycle(sm)
    sm.subscribe("trade", "BTCUSDT")
    sm.start()
    assert events.connected.wait(1)
    conn_name = events.connected.events[0]["connection"]
    # More than a silence timeout passes without a drop: pongs to our pings
    # are the only frames.
    assert not events.disconnected.wait(1, timeout=2.5)
    assert sm.stats()[conn_name].last_message_at is not None
