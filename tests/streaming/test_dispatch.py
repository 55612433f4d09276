"""Delivery of one stream's messages: parse, latest, consumers, callbacks in
isolation, blinker semantics kept, failures reported."""

from __future__ import annotations

import gc
import logging
from typing import Any

import pytest
from blinker import Signal

from cryptoex import ParseError, signals
from cryptoex.streaming.dispatch import LogThrottle, Reporter, Route, UserCallback
from tests.helpers import Recorder


def parse(payload: dict[str, Any]) -> tuple[str, int]:
    if "id" not in payload:
        raise ParseError("trade", "missing id")
    return ("event", payload["id"])


def make_route(signal: Signal | None = None, owner: object = "manager") -> Route:
    return Route(
        "btcusdt@trade",
        "trade",
        "BTCUSDT",
        parse,
        signal or Signal(),
        Reporter(owner),
        lambda p: p["id"],
        event_time_key="E",
    )


def test_one_raising_callback_starves_nobody_and_is_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    route = make_route(owner="sm")
    first, last = Recorder(), Recorder()

    def broken(event: object) -> None:
        raise RuntimeError("boom")

    route.callbacks = (first, broken, last)
    reports: list[dict[str, Any]] = []

    def errors(sender: object, **kwargs: Any) -> None:
        reports.append(kwargs)

    signals.callback_error.connect(errors, sender="sm")
    try:
        with caplog.at_level(logging.ERROR, logger="cryptoex.streaming.dispatch"):
            route.deliver({"id": 1, "E": 0}, 0.0)
            route.deliver({"id": 2, "E": 0}, 0.0)
    finally:
        signals.callback_error.disconnect(errors, sender="sm")
    assert first.events == [("event", 1), ("event", 2)]
    assert last.events == [("event", 1), ("event", 2)]
    assert route.callback_errors == 2
    assert route.messages == 2
    assert route.latest == ("event", 2)
    assert len(reports) == 2
    report = reports[0]
    assert isinstance(report["exception"], RuntimeError)
    assert report["callback"] is broken, "the user's function, not our wrapper"
    assert report["event"] == ("event", 1)
    logged = [r for r in caplog.records if "broken" in r.getMessage()]
    assert logged
    assert logged[0].exc_info is not None, "logged with its traceback"


def test_global_signal_receivers_called_one_by_one_with_blinker_semantics() -> None:
    signal = Signal()
    route = make_route(signal)
    good, other_symbol = Recorder(), Recorder()
    calls: list[str] = []

    def bad(sender: str, event: object) -> None:
        calls.append(sender)
        raise ValueError("receiver failed")

    signal.connect(bad, sender="BTCUSDT")
    signal.connect(good, sender="BTCUSDT")
    signal.connect(other_symbol, sender="ETHUSDT")
    weak_calls: list[object] = []
    signal.connect(lambda sender, event: weak_calls.append(event))  # weak: collected at once
    gc.collect()
    route.deliver({"id": 5}, 0.0)
    assert calls == ["BTCUSDT"]
    assert good.senders == ["BTCUSDT"]
    assert good.events == [("event", 5)]
    assert other_symbol.events == []
    assert weak_calls == [], "signal.connect keeps blinker's weak default"
    assert route.callback_errors == 1


def test_parse_errors_are_counted_logged_and_never_fatal(caplog: pytest.LogCaptureFixture) -> None:
    route = make_route()
    seen = Recorder()
    route.callbacks = (seen,)
    with caplog.at_level(logging.WARNING, logger="cryptoex.streaming.dispatch"):
        route.deliver({"no": "id"}, 0.0)
        route.deliver({"id": 3}, 0.0)
    assert route.parse_errors == 1
    assert seen.events == [("event", 3)]
    assert any("does not parse" in r.getMessage() for r in caplog.records)


def test_lag_is_receive_time_minus_event_time() -> None:
    route = make_route()
    route.deliver({"id": 1, "E": 1_000_000}, 1_000.010)  # 10 ms late
    route.deliver({"id": 2}, 1_000.020)  # no event time: no sample
    p50, p99, top = route.lag.percentiles()
    assert p50 == pytest.approx(10.0)
    assert p99 == pytest.approx(10.0)
    assert top == pytest.approx(10.0)
    assert route.last_wall == 1_000.020


class Consumer:
    def __init__(self, order: list[str], fail: bool = False) -> None:
        self.order = order
        self.fail = fail
        self.lost: list[tuple[str, str]] = []
        self.restored: list[str] = []

    def on_event(self, event: object) -> None:
        self.order.append("consumer")
        if self.fail:
            raise RuntimeError("consumer bug")

    def on_stream_lost(self, stream: str, reason: str) -> None:
        self.lost.append((stream, reason))
        if self.fail:
            raise RuntimeError("consumer bug")

    def on_stream_restored(self, stream: str) -> None:
        self.restored.append(stream)
        if self.fail:
            raise RuntimeError("consumer bug")


def test_consumers_run_before_callbacks_and_in_isolation() -> None:
    order: list[str] = []
    route = make_route()
    broken, fine = Consumer(order, fail=True), Consumer(order)
    route.consumers = (broken, fine)
    route.callbacks = (lambda e: order.append("callback"),)
    route.deliver({"id": 1}, 0.0)
    assert order == ["consumer", "consumer", "callback"]
    route.notify_lost("dropped")
    route.notify_restored()
    assert fine.lost == [("btcusdt@trade", "dropped")]
    assert fine.restored == ["btcusdt@trade"]


def test_user_callback_filters() -> None:
    class Event:
        symbol = "btcusdt"

    assert UserCallback(print, "symbol", ["BTCUSDT"]).wants(Event())
    assert not UserCallback(print, "symbol", ["ETHUSDT"]).wants(Event())
    assert UserCallback(print, "symbol", []).wants(Event())
    assert not UserCallback(print, "asset", ["BTC"]).wants(Event())
    assert "print" in repr(UserCallback(print, None))


def test_log_throttle_shows_the_first_failures_then_counts() -> None:
    throttle = LogThrottle(full=2, every=3600)
    assert throttle.check("k") == (True, 0)
    assert throttle.check("k") == (True, 0)
    assert throttle.check("k") == (False, 0)
    assert throttle.check("other") == (True, 0)
    summary = LogThrottle(full=1, every=0.0)
    summary.check("k")
    assert summary.check("k") == (True, 0)


def test_a_raising_lifecycle_receiver_is_logged_not_propagated(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reporter = Reporter("owner")
    received: list[object] = []

    def bad(sender: object, **kwargs: object) -> None:
        raise RuntimeError("lifecycle receiver bug")

    def good(sender: object, **kwargs: object) -> None:
        received.append(kwargs)

    signals.connected.connect(bad, sender="owner")
    signals.connected.connect(good, sender="owner")
    try:
        with caplog.at_level(logging.ERROR):
            reporter.send(signals.connected, connection="c1")
    finally:
        signals.connected.disconnect(bad, sender="owner")
        signals.connected.disconnect(good, sender="owner")
    assert received == [{"connection": "c1"}]
    assert any("lifecycle receiver bug" in str(r.exc_info) for r in caplog.records)
