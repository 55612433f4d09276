"""Switching to a replacement connection (serverShutdown, the 24 h limit):
the replacement is opened and subscribed first, then the old one closes;
every event is delivered once, without a gap."""

from __future__ import annotations

import itertools
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


def assert_contiguous(trades: list[Any]) -> None:
    ids = [t.trade_id for t in trades]
    assert ids == list(range(ids[0], ids[0] + len(ids))), "no gap and no duplicate"


def test_server_shutdown_switches_without_gap_or_duplicate(
    managers: Make, fakes: Fakes, lifecycle: Lifecycles
) -> None:
    fake = fakes(message_rate=100)
    sm = managers(ws_url=fake.ws_url)
    events = lifecycle(sm)
    trades, eth = Recorder(), Recorder()
    sm.on_trade("BTCUSDT")(trades)
    sm.on_trade("ETHUSDT")(eth)
    sm.start()
    assert trades.wait(5)
    assert wait_until(lambda: len(stream_connections(fake)) == 1)
    (old,) = stream_connections(fake)

    # The server would cut the old socket after 3 s; the switch-over retires it
    # as soon as every stream moved.
    assert fake.faults.server_shutdown(kind="stream", close_after=3.0) == 1
    # The replacement opens while the old connection is still up...
    assert events.connected.wait(2)
    # ...and the old one closes afterwards (switched over, or cut by the server).
    assert events.disconnected.wait(1)
    assert wait_until(lambda: [c.id for c in stream_connections(fake)] != [old.id])
    count = len(trades)
    assert trades.wait(count + 20)
    assert eth.wait(len(eth) + 5)
    assert_contiguous(trades.events)
    assert_contiguous(eth.events)
    (new,) = stream_connections(fake)
    assert set(new.streams) == {"btcusdt@trade", "ethusdt@trade"}
    assert events.reconnecting.events == [], "a switch-over, not a reconnect"
    stats = sm.stats()
    assert stats["btcusdt@trade"].reconnects == 0
    assert stats["btcusdt@trade"].duplicates + stats["ethusdt@trade"].duplicates > 0, (
        "both connections carried some of the same events"
    )
    assert list(stats.connections) == [events.connected.events[1]["connection"]]


def test_lifetime_rotation_repeats_without_gap_or_duplicate(
    managers: Make, fakes: Fakes, lifecycle: Lifecycles
) -> None:
    fake = fakes(message_rate=100)
    sm = managers(ws_url=fake.ws_url, max_connection_age=0.6)
    events = lifecycle(sm)
    trades, books = Recorder(), Recorder()
    sm.on_trade("BTCUSDT")(trades)
    sm.on_depth_update("BTCUSDT", fast=True)(books)
    sm.start()
    # Three generations of connections.
    assert events.connected.wait(3)
    assert events.disconnected.wait(2)
    count = len(trades)
    assert trades.wait(count + 10)
    assert_contiguous(trades.events)
    # Diff-depth updates chain: each starts right after the previous one.
    updates = list(books.events)
    assert updates
    for previous, current in itertools.pairwise(updates):
        assert current.first_update_id == previous.final_update_id + 1
    assert events.reconnecting.events == []
    assert sm.stats()["btcusdt@trade"].reconnects == 0


def test_shutdown_notice_on_an_idle_stream_still_switches(
    managers: Make, fakes: Fakes, lifecycle: Lifecycles
) -> None:
    fake = fakes(message_rate=0)
    sm = managers(ws_url=fake.ws_url)
    events = lifecycle(sm)
    sm.subscribe("trade", "BTCUSDT")
    sm.start()
    assert wait_until(lambda: len(stream_connections(fake)) == 1)
    fake.faults.server_shutdown(close_after=0.3)
    assert events.connected.wait(2)
    assert events.disconnected.wait(1)
    assert wait_until(lambda: len(stream_connections(fake)) == 1)
    assert stream_connections(fake)[0].streams == ("btcusdt@trade",)
    fake.step(3)  # market moves: events come on the new connection
    assert wait_until(lambda: sm.latest("trade", "BTCUSDT") is not None)


class Consumer:
    """An internal consumer, as an order book is."""

    def __init__(self) -> None:
        self.lost = Recorder()
        self.restored = Recorder()

    def on_event(self, event: Any) -> None:
        pass

    def on_stream_lost(self, stream: str, reason: str) -> None:
        self.lost(stream, reason)

    def on_stream_restored(self, stream: str) -> None:
        self.restored(stream)


def test_old_connection_gone_before_the_replacement_opens(
    managers: Make, fakes: Fakes, lifecycle: Lifecycles
) -> None:
    fake = fakes(message_rate=100)
    sm = managers(ws_url=fake.ws_url, backoff=Backoff(initial=0.2, cap=0.2, jitter=0))
    events = lifecycle(sm)
    trades = Recorder()
    sm.on_trade("BTCUSDT")(trades)
    consumer = Consumer()
    sm._attach("trade", "BTCUSDT", consumer)
    sm.start()
    assert trades.wait(3)
    assert wait_until(lambda: len(stream_connections(fake)) == 1)
    # The replacement is refused twice, and the old socket closes meanwhile.
    fake.faults.refuse_connections(2)
    fake.faults.server_shutdown(close_after=0.05)
    assert events.disconnected.wait(1)
    assert consumer.lost.wait(1), "no proof nothing was missed: consumers resync"
    assert "switch-over incomplete" in consumer.lost.events[0][1]
    assert events.connected.wait(2)
    assert consumer.restored.wait(1)
    count = len(trades)
    assert trades.wait(count + 5)
    assert stream_connections(fake)[0].streams == ("btcusdt@trade",)
    assert len(events.reconnecting.events) == 2, "the replacement's refused attempts"


def test_a_quiet_stream_switches_at_the_time_limit(
    managers: Make, fakes: Fakes, lifecycle: Lifecycles
) -> None:
    fake = fakes(message_rate=0)
    sm = managers(ws_url=fake.ws_url, max_connection_age=0.6)
    events = lifecycle(sm)
    sm.subscribe("trade", "BTCUSDT")
    sm.start()
    assert events.connected.wait(2)
    assert events.disconnected.wait(1)
    assert "time limit" in events.disconnected.events[0]["reason"]
    assert wait_until(lambda: len(stream_connections(fake)) == 1)
    fake.step(2)
    assert wait_until(lambda: sm.latest("trade", "BTCUSDT") is not None)
