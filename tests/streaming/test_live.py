"""StreamManager against FakeBinance over loopback: delivery, live
subscribe/unsubscribe, pacing, splitting, isolation, shutdown."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from cryptoex import Backoff, signals
from cryptoex.streaming import StreamManager
from tests.helpers import LONG_TIMEOUT, Recorder, wait_until
from tests.streaming.conftest import FAST_BACKOFF, Lifecycle

Make = Callable[..., StreamManager]
Fakes = Callable[..., Any]
Lifecycles = Callable[[StreamManager], Lifecycle]


def cryptoex_threads() -> list[str]:
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("cryptoex-"))


def stream_connections(fake: Any) -> list[Any]:
    return [c for c in fake.connections() if c.kind == "stream"]


def test_decorated_callbacks_get_parsed_models(managers: Make, fakes: Fakes) -> None:
    from cryptoex.models import Ticker, Trade

    fake = fakes()
    sm = managers(ws_url=fake.ws_url)
    trades, tickers = Recorder(), Recorder()
    sm.on_trade("btcusdt")(trades)
    sm.on_ticker("BTCUSDT", "ETHUSDT")(lambda t: tickers(t))  # a lambda keeps working
    via_signal = Recorder()
    signals.trade.connect(via_signal, sender="BTCUSDT")
    try:
        sm.start()
        assert trades.wait(3)
        assert tickers.wait(predicate=lambda evs: {e.symbol for e in evs} >= {"BTCUSDT", "ETHUSDT"})
        assert via_signal.wait(1)
    finally:
        signals.trade.disconnect(via_signal, sender="BTCUSDT")
    assert all(isinstance(t, Trade) and t.symbol == "BTCUSDT" for t in trades.events)
    assert all(isinstance(t, Ticker) for t in tickers.events)
    assert via_signal.senders[0] == "BTCUSDT"
    assert isinstance(via_signal.events[0], Trade)
    latest = sm.latest("trade", "btcusdt")
    assert isinstance(latest, Trade)
    stats = sm.stats()
    assert stats["btcusdt@trade"]["messages"] >= 3
    assert stats["btcusdt@trade"].last_message_at is not None
    assert stats["btcusdt@trade"].lag_ms_p50 is not None
    assert len(stats.connections) == 1
    assert len(stream_connections(fake)) == 1, "three streams share one connection"


def test_live_subscribe_and_unsubscribe_without_reconnecting(
    managers: Make, fakes: Fakes, lifecycle: Lifecycles
) -> None:
    fake = fakes()
    sm = managers(ws_url=fake.ws_url)
    events = lifecycle(sm)
    trades = Recorder()
    sm.on_trade("BTCUSDT")(trades)
    sm.start()
    assert trades.wait(1)
    (conn,) = stream_connections(fake)

    tickers = Recorder()
    sm.on_ticker("ETHUSDT")(tickers)  # decorating while running subscribes at once
    assert tickers.wait(1)
    first = sm.subscribe("book_ticker", "BNBUSDT")
    second = sm.subscribe("book_ticker", "bnbusdt")  # shares the stream
    assert wait_until(lambda: sm.latest("book_ticker", "BNBUSDT") is not None)
    first.unsubscribe()
    assert wait_until(lambda: "bnbusdt@bookTicker" in stream_connections(fake)[0].streams)
    second.unsubscribe()
    assert wait_until(lambda: "bnbusdt@bookTicker" not in stream_connections(fake)[0].streams)

    (still,) = stream_connections(fake)
    assert still.id == conn.id, "the same connection throughout"
    assert events.disconnected.events == []
    assert len(events.connected.events) == 1
    controls = [(c.method, list(c.params or [])) for c in fake.control_messages(conn.id)]
    assert ("SUBSCRIBE", ["ethusdt@ticker"]) in controls
    unsubscribes = [p for m, p in controls if m == "UNSUBSCRIBE"]
    assert unsubscribes == [["bnbusdt@bookTicker"]], "one UNSUBSCRIBE, after the last holder"
    assert set(still.streams) == {"btcusdt@trade", "ethusdt@ticker"}


def test_control_messages_are_paced_under_the_sandbox_limit(
    managers: Make, fakes: Fakes, lifecycle: Lifecycles
) -> None:
    fake = fakes(max_incoming_per_second=5)
    sm = managers(ws_url=fake.ws_url)
    events = lifecycle(sm)
    sm.subscribe("trade", "BTCUSDT")
    sm.start()
    assert wait_until(lambda: len(stream_connections(fake)) == 1)
    (conn,) = stream_connections(fake)
    # Changes arriving one after another, each needing its own message.
    kinds = ["ticker", "mini_ticker", "book_ticker", "agg_trade", "depth_update", "trade"]
    for i in range(7):
        kind = kinds[i % len(kinds)]
        symbol = ["ETHUSDT", "BNBUSDT"][i // len(kinds)]
        sm.subscribe(kind, symbol)
        expected = i + 1
        assert wait_until(lambda: len(fake.control_messages(conn.id)) == expected)  # noqa: B023
    times = sorted(c.time for c in fake.control_messages(conn.id))
    assert len(times) == 7
    for i, t in enumerate(times):
        in_window = [u for u in times[i:] if u < t + 1.0]
        assert len(in_window) < 5, "under 5 messages in any second"
    assert [c.id for c in stream_connections(fake)] == [conn.id], "never cut for flooding"
    assert events.disconnected.events == []


def test_a_burst_of_subscriptions_reaches_the_open_connection(managers: Make, fakes: Fakes) -> None:
    fake = fakes()
    sm = managers(ws_url=fake.ws_url)
    sm.subscribe("trade", "BTCUSDT")
    sm.start()
    assert wait_until(lambda: len(stream_connections(fake)) == 1)
    seen = Recorder()
    for symbol in ("BTCUSDT", "ETHUSDT", "BNBUSDT"):
        sm.on_ticker(symbol)(seen)
        sm.on_book_ticker(symbol)(seen)
    assert wait_until(lambda: len(stream_connections(fake)[0].streams) == 7)
    # Batched (how many messages depends on how fast the decorators ran;
    # the exact batching is checked in test_links.py), never one per stream.
    assert len(fake.control_messages()) < 6


def test_streams_split_across_connections_at_the_limit(managers: Make, fakes: Fakes) -> None:
    fake = fakes()
    sm = managers(ws_url=fake.ws_url, max_streams_per_connection=2)
    seen = Recorder()
    sm.on_trade("BTCUSDT", "ETHUSDT", "BNBUSDT")(seen)
    sm.on_ticker("BTCUSDT", "ETHUSDT")(seen)
    sm.start()
    assert wait_until(lambda: len(stream_connections(fake)) == 3)
    assert all(len(c.streams) <= 2 for c in stream_connections(fake))
    carried = sorted(s for c in stream_connections(fake) for s in c.streams)
    assert carried == sorted(
        [
            "btcusdt@trade",
            "ethusdt@trade",
            "bnbusdt@trade",
            "btcusdt@ticker",
            "ethusdt@ticker",
        ]
    )
    assert seen.wait(predicate=lambda evs: {type(e).__name__ for e in evs} == {"Trade", "Ticker"})
    assert len(sm.stats().connections) == 3
    assert len([n for n in cryptoex_threads() if n.startswith("cryptoex-ws-")]) == 3
    # Live subscribe goes to a connection with room (one of them has 1 stream).
    sm.subscribe("ticker", "BNBUSDT")
    assert wait_until(lambda: sum(len(c.streams) for c in stream_connections(fake)) == 6)
    assert len(stream_connections(fake)) == 3
    assert all(len(c.streams) <= 2 for c in stream_connections(fake))


def test_an_emptied_connection_is_closed(managers: Make, fakes: Fakes) -> None:
    fake = fakes()
    sm = managers(ws_url=fake.ws_url, max_streams_per_connection=1)
    keep = sm.subscribe("trade", "BTCUSDT")
    drop = sm.subscribe("trade", "ETHUSDT")
    sm.start()
    assert wait_until(lambda: len(stream_connections(fake)) == 2)
    drop.unsubscribe()
    assert wait_until(lambda: len(stream_connections(fake)) == 1)
    assert stream_connections(fake)[0].streams == ("btcusdt@trade",)
    assert keep.active


def test_raising_callback_is_isolated_and_reported(
    managers: Make, fakes: Fakes, lifecycle: Lifecycles, caplog: pytest.LogCaptureFixture
) -> None:
    fake = fakes()
    sm = managers(ws_url=fake.ws_url)
    events = lifecycle(sm)
    before, after = Recorder(), Recorder()

    sm.on_trade("BTCUSDT")(before)

    @sm.on_trade("BTCUSDT")
    def broken(trade: Any) -> None:
        raise ZeroDivisionError("user bug")

    sm.on_trade("BTCUSDT")(after)
    sm.start()
    assert after.wait(5)
    assert before.wait(5)
    assert events.errors.wait(3)
    assert events.disconnected.events == [], "the connection survived"
    report = events.errors.events[0]
    assert events.errors.senders[0] is sm
    assert report is not None
    stats = sm.stats()["btcusdt@trade"]
    assert stats.callback_errors >= 3
    assert any(
        r.exc_info is not None and "broken" in r.getMessage()
        for r in caplog.records
        if r.name.startswith("cryptoex")
    )


def test_callback_error_carries_exception_callback_and_event(managers: Make, fakes: Fakes) -> None:
    fake = fakes()
    sm = managers(ws_url=fake.ws_url)
    reports: list[dict[str, Any]] = []
    got = threading.Event()

    def on_error(sender: Any, **kwargs: Any) -> None:
        reports.append(kwargs)
        got.set()

    def bad(trade: Any) -> None:
        raise KeyError("missing")

    sm.on_trade("BTCUSDT")(bad)
    signals.callback_error.connect(on_error, sender=sm)
    try:
        sm.start()
        assert got.wait(LONG_TIMEOUT)
    finally:
        signals.callback_error.disconnect(on_error, sender=sm)
    assert isinstance(reports[0]["exception"], KeyError)
    assert reports[0]["callback"] is bad
    assert reports[0]["event"].symbol == "BTCUSDT"


def test_stop_joins_every_thread(managers: Make, fakes: Fakes) -> None:
    fake = fakes()
    sm = managers(ws_url=fake.ws_url, max_streams_per_connection=1)
    seen = Recorder()
    sm.on_trade("BTCUSDT", "ETHUSDT")(seen)
    sm.start()
    assert seen.wait(2)
    assert len([n for n in cryptoex_threads() if n.startswith("cryptoex-ws-")]) == 2
    assert any(n.startswith("cryptoex-keepalive") for n in cryptoex_threads())
    sm.stop(timeout=5.0)
    assert cryptoex_threads() == []
    assert sm.state == "stopped"
    assert wait_until(lambda: stream_connections(fake) == [])


def test_stop_from_a_callback(managers: Make, fakes: Fakes) -> None:
    fake = fakes()
    sm = managers(ws_url=fake.ws_url)
    calls = Recorder()

    @sm.on_trade("BTCUSDT")
    def stop_on_first(trade: Any) -> None:
        calls(trade)
        sm.stop()

    finished = threading.Event()

    def run() -> None:
        sm.run_forever()
        finished.set()

    runner = threading.Thread(target=run, name="runner")
    runner.start()
    assert finished.wait(LONG_TIMEOUT), "run_forever returned after stop() in a callback"
    runner.join(LONG_TIMEOUT)
    assert sm.state == "stopped"
    assert len(calls) == 1
    sm.stop()  # joins the callback's thread too
    assert cryptoex_threads() == []


def test_unsubscribe_and_subscribe_from_a_callback(managers: Make, fakes: Fakes) -> None:
    fake = fakes()
    sm = managers(ws_url=fake.ws_url)
    tickers = Recorder()
    holder: dict[str, Any] = {}

    def first_trade(trade: Any) -> None:
        if "done" not in holder:
            holder["done"] = True
            holder["sub"].unsubscribe()
            sm.on_ticker("ETHUSDT")(tickers)

    holder["sub"] = sm.subscribe("trade", "BTCUSDT")
    sm.on_trade("BTCUSDT")(first_trade)
    sm.start()
    assert tickers.wait(1)


def test_backoff_resets_after_a_healthy_period(
    managers: Make, fakes: Fakes, lifecycle: Lifecycles
) -> None:
    fake = fakes()
    sm = managers(
        ws_url=fake.ws_url,
        backoff=Backoff(initial=0.01, factor=2, cap=0.1, jitter=0, reset_after=0.3),
    )
    events = lifecycle(sm)
    trades = Recorder()
    sm.on_trade("BTCUSDT")(trades)
    sm.start()
    assert events.connected.wait(1)
    for n in (1, 2):
        count = len(trades)
        assert trades.wait(count + 20), "healthy for a while (more than reset_after)"
        fake.faults.drop_connections(kind="stream")
        assert events.connected.wait(n + 1)
    attempts = [e["attempt"] for e in events.reconnecting.events]
    assert attempts == [1, 1]
    assert FAST_BACKOFF.initial > 0


def test_microsecond_timestamps_end_to_end(managers: Make, fakes: Fakes) -> None:
    fake = fakes()
    sm = managers(ws_url=fake.ws_url, time_unit="microsecond")
    assert sm.time_unit == "MICROSECOND"
    trades = Recorder()
    sm.on_trade("BTCUSDT")(trades)
    sm.start()
    assert trades.wait(5)
    assert "timeUnit=MICROSECOND" in stream_connections(fake)[0].path
    stats = sm.stats()["btcusdt@trade"]
    assert stats.parse_errors == 0, "microsecond timestamps parsed as such"
    lag = stats.lag_ms_p50
    assert lag is not None
    assert -1000 < lag < 1000, "event time scaled as microseconds"


def test_resubscribing_at_once_cancels_the_pending_unsubscribe(
    managers: Make, fakes: Fakes
) -> None:
    fake = fakes()
    sm = managers(ws_url=fake.ws_url, max_streams_per_connection=2)
    first = sm.subscribe("trade", "BTCUSDT")
    sm.subscribe("trade", "ETHUSDT")
    moving = sm.subscribe("ticker", "BTCUSDT")
    sm.subscribe("ticker", "ETHUSDT")
    sm.start()
    assert wait_until(lambda: len(stream_connections(fake)) == 2)
    first.unsubscribe()  # the first connection has room now
    assert wait_until(lambda: sum(len(c.streams) for c in stream_connections(fake)) == 3)
    before = len(fake.control_messages())
    moving.unsubscribe()
    again = sm.subscribe("ticker", "btcusdt")  # before the UNSUBSCRIBE went out
    assert again.active
    carrier = [c for c in stream_connections(fake) if "btcusdt@ticker" in c.streams]
    assert len(carrier) == 1
    assert sm.stats()["btcusdt@ticker"].connection is not None
    # Nothing had to be sent: it never left its connection.
    assert not wait_until(lambda: len(fake.control_messages()) > before, timeout=0.3)


def test_usable_inside_a_running_event_loop_as_in_jupyter(managers: Make, fakes: Fakes) -> None:
    import asyncio

    fake = fakes()

    async def cell() -> Any:
        # What a notebook cell does: plain synchronous calls while the
        # kernel's event loop is running. Nothing may need that loop.
        sm = managers(ws_url=fake.ws_url)
        sm.subscribe("trade", "BTCUSDT")
        sm.start()
        assert wait_until(lambda: sm.latest("trade", "BTCUSDT") is not None)
        latest = sm.latest("trade", "BTCUSDT")
        sm.stop()
        return latest

    assert asyncio.run(cell()).symbol == "BTCUSDT"
