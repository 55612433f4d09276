"""The hooks the order-book and user-data modules build on: user-event and
order-book delivery with filters and isolation, internal consumers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from cryptoex import signals
from cryptoex.streaming import StreamManager
from tests.helpers import Recorder
from tests.streaming.conftest import StubExchange


@dataclass(frozen=True)
class Order:
    symbol: str
    account: str = "alice"


@dataclass(frozen=True)
class Balance:
    asset: str
    account: str = "alice"


def test_user_events_reach_filtered_callbacks_and_the_global_signal() -> None:
    sm = StreamManager(exchange=StubExchange())
    every, btc_only, usdt_only, accounts = Recorder(), Recorder(), Recorder(), Recorder()
    sm.on_order_update()(every)
    sm.on_order_update("btcusdt")(btc_only)
    sm.on_balance_update("USDT")(usdt_only)
    sm.on_account_update()(accounts)
    global_orders = Recorder()
    signals.order_update.connect(global_orders, sender="alice")
    try:
        sm._emit_user("order_update", "alice", Order("BTCUSDT"))
        sm._emit_user("order_update", "alice", Order("ETHUSDT"))
        sm._emit_user("balance_update", "alice", Balance("USDT"))
        sm._emit_user("balance_update", "alice", Balance("BTC"))
        sm._emit_user("account_update", "alice", {"balances": []})
    finally:
        signals.order_update.disconnect(global_orders, sender="alice")
    assert [e.symbol for e in every.events] == ["BTCUSDT", "ETHUSDT"]
    assert [e.symbol for e in btc_only.events] == ["BTCUSDT"]
    assert [e.asset for e in usdt_only.events] == ["USDT"]
    assert accounts.events == [{"balances": []}]
    assert global_orders.senders == ["alice", "alice"]


def test_a_raising_user_callback_is_isolated_and_reported() -> None:
    sm = StreamManager(exchange=StubExchange())
    after = Recorder()

    @sm.on_order_update()
    def broken(event: Any) -> None:
        raise RuntimeError("user bug")

    sm.on_order_update()(after)
    reports: list[dict[str, Any]] = []

    def on_error(sender: object, **kwargs: Any) -> None:
        reports.append(kwargs)

    signals.callback_error.connect(on_error, sender=sm)
    try:
        sm._emit_user("order_update", "alice", Order("BTCUSDT"))
    finally:
        signals.callback_error.disconnect(on_error, sender=sm)
    assert len(after.events) == 1
    assert reports[0]["callback"] is broken


def test_order_book_callbacks_and_signal() -> None:
    sm = StreamManager(exchange=StubExchange())
    seen, global_seen = Recorder(), Recorder()
    sm.on_order_book("btcusdt")(seen)
    sm.on_order_book("BTCUSDT")(seen)  # the same function once per symbol
    assert sm._book_symbols == {"BTCUSDT"}

    def bad(sender: str, event: Any) -> None:
        raise ValueError("bad receiver")

    signals.order_book.connect(global_seen, sender="BTCUSDT")
    signals.order_book.connect(bad, sender="BTCUSDT")
    try:
        sm._emit_order_book("BTCUSDT", "book")
        sm._emit_order_book("ETHUSDT", "other book")
    finally:
        signals.order_book.disconnect(global_seen, sender="BTCUSDT")
        signals.order_book.disconnect(bad, sender="BTCUSDT")
    assert seen.events == ["book"]
    assert global_seen.events == ["book"]


class Consumer:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def on_event(self, event: Any) -> None:
        self.events.append(event)

    def on_stream_lost(self, stream: str, reason: str) -> None:
        pass

    def on_stream_restored(self, stream: str) -> None:
        pass


def test_attached_consumer_is_detached_with_its_subscription() -> None:
    sm = StreamManager(exchange=StubExchange())
    consumer = Consumer()
    sub = sm._attach("depth_update", "BTCUSDT", consumer, fast=True)
    assert sub.stream == "btcusdt@depth@100ms"
    keep = sm.subscribe("depth_update", "BTCUSDT", fast=True)
    route = sm._routes["btcusdt@depth@100ms"]
    assert route.consumers == (consumer,)
    route.deliver({"u": 1}, 0.0)
    sub.unsubscribe()
    assert len(route.consumers) == 0
    route.deliver({"u": 2}, 0.0)
    assert consumer.events == [{"u": 1}]
    assert sm.latest("depth_update", "BTCUSDT", fast=True) == {"u": 2}
    keep.unsubscribe()
    assert sm.latest("depth_update", "BTCUSDT", fast=True) == {"u": 2}, "kept after release"
    with pytest.raises(KeyError):
        sm._routes["btcusdt@depth@100ms"]
