"""StreamManager without an exchange: options, decorators, counting,
lifecycle, and the reconnect loop against a port that refuses."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from cryptoex import Backoff, ConfigurationError, ValidationError, signals
from cryptoex.streaming import StreamManager
from tests.helpers import LONG_TIMEOUT, Recorder, wait_until
from tests.streaming.conftest import StubExchange, refused_url

Make = Callable[..., StreamManager]


def ws_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("cryptoex-")]


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("max_streams_per_connection", 0, "max_streams_per_connection"),
        ("max_streams_per_connection", 1025, "from 1 to 1024"),
        ("max_streams_per_connection", True, "max_streams_per_connection"),
        ("silence_timeout", 0, "silence_timeout"),
        ("silence_timeout", float("inf"), "silence_timeout"),
        ("ping_interval", -1, "ping_interval"),
        ("max_connection_age", 0, "max_connection_age"),
        ("backoff", "fast", "backoff"),
        ("ws_url", "localhost", "ws_url"),
    ],
)
def test_invalid_options_name_the_option(option: str, value: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        StreamManager(**{option: value})


def test_defaults_and_derived_settings() -> None:
    sm = StreamManager()
    assert sm.environment.ws_url.startswith("wss://stream.binance.com")
    assert sm.max_streams_per_connection == 1024
    assert sm.ping_interval == 20.0
    assert sm.silence_timeout == 60.0
    assert sm.state == "new"
    assert "new" in repr(sm)
    testnet = StreamManager(testnet=True, backoff=3)
    assert "testnet" in testnet.environment.ws_url
    assert testnet.backoff == Backoff(initial=3, factor=1, cap=3, jitter=0)
    # Pings at least three times per silence timeout: a quiet link stays alive.
    assert StreamManager(silence_timeout=4.5).ping_interval == pytest.approx(1.5)
    assert StreamManager(silence_timeout=1).ping_interval == 1.0, "at most one ping a second"
    assert StreamManager(ping_interval=0).ping_interval == 0.0
    assert StreamManager(max_connection_age=None).max_connection_age is None
    assert StreamManager(max_connection_age=4).handover_timeout == 2.0


def test_decorators_return_the_function_and_register_every_symbol(
    managers: Make, stub_exchange: StubExchange
) -> None:
    sm = managers(exchange=stub_exchange)

    def show(event: object) -> None:
        pass

    assert sm.on_ticker("BTCUSDT", "ethusdt")(show) is show
    assert sm.on_kline("BtcUsdt", interval="5m")(show) is show
    assert sm.on_depth("BTCUSDT", levels=5, fast=True)(show) is show
    assert sm.on_depth_update("BTCUSDT")(show) is show
    for decorator in (sm.on_mini_ticker, sm.on_book_ticker, sm.on_trade, sm.on_agg_trade):
        assert decorator("BNBUSDT")(show) is show
    stacked = sm.on_trade("ETHUSDT")(sm.on_ticker("BNBUSDT")(show))
    assert stacked is show
    streams = sm.stats().streams
    assert set(streams) == {
        "btcusdt@ticker",
        "ethusdt@ticker",
        "btcusdt@kline_5m",
        "btcusdt@depth5@100ms",
        "btcusdt@depth",
        "bnbusdt@miniTicker",
        "bnbusdt@bookTicker",
        "bnbusdt@trade",
        "bnbusdt@aggTrade",
        "ethusdt@trade",
        "bnbusdt@ticker",
    }
    assert streams["ethusdt@ticker"].symbol == "ETHUSDT"
    assert streams["btcusdt@kline_5m"].kind == "kline"
    assert sm.stats().connections == {}, "no connection before start"


def test_decorator_misuse_is_reported_clearly(managers: Make, stub_exchange: StubExchange) -> None:
    sm = managers(exchange=stub_exchange)
    with pytest.raises(TypeError, match=r"@on_ticker\('BTCUSDT'\)"):
        sm.on_ticker(print)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="at least one symbol"):
        sm.on_trade()
    with pytest.raises(ValidationError, match="symbol"):
        sm.on_trade("")
    with pytest.raises(ValidationError, match="symbol"):
        sm.on_trade(42)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="interval"):
        sm.on_kline("BTCUSDT", interval="7m")
    with pytest.raises(ValidationError, match="levels"):
        sm.on_depth("BTCUSDT", levels=15)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="callable"):
        sm.on_ticker("BTCUSDT")(42)  # type: ignore[type-var]
    with pytest.raises(ValidationError, match="unknown stream kind"):
        sm.subscribe("blockTrade", "BTCUSDT")
    with pytest.raises(ValidationError, match="interval= applies to kline"):
        sm.subscribe("trade", "BTCUSDT", interval="1m")
    with pytest.raises(ValidationError, match="levels= applies to depth"):
        sm.subscribe("trade", "BTCUSDT", levels=5)
    with pytest.raises(ValidationError, match="fast= applies"):
        sm.subscribe("trade", "BTCUSDT", fast=True)
    assert sm.stats().streams == {}, "nothing half-registered"


def test_subscriptions_are_counted_and_release_is_idempotent(
    managers: Make, stub_exchange: StubExchange
) -> None:
    sm = managers(exchange=stub_exchange)
    first = sm.subscribe("trade", "BTCUSDT")
    second = sm.subscribe("trade", "btcusdt")
    assert first.stream == second.stream == "btcusdt@trade"
    assert first.kind == "trade"
    assert first.symbol == "BTCUSDT"
    assert sm.stats()["btcusdt@trade"]["subscribers"] == 2
    first.unsubscribe()
    first.unsubscribe()
    assert not first.active
    assert "released" in repr(first)
    assert sm.stats()["btcusdt@trade"].subscribers == 1
    with second:
        pass
    assert "btcusdt@trade" not in sm.stats()
    assert sm.latest("trade", "BTCUSDT") is None


def test_lifecycle_misuse_raises_runtime_error(managers: Make, stub_exchange: StubExchange) -> None:
    sm = managers(exchange=stub_exchange)
    sm.start()
    assert sm.running
    assert ws_threads() == [], "no stream, no connection, no thread"
    with pytest.raises(RuntimeError, match="already running"):
        sm.start()
    sm.stop()
    sm.stop()
    assert sm.state == "stopped"
    with pytest.raises(RuntimeError, match="cannot be restarted"):
        sm.start()
    with pytest.raises(RuntimeError, match="stopped"):
        sm.subscribe("trade", "BTCUSDT")
    with pytest.raises(RuntimeError, match="stopped"):
        sm.on_trade("BTCUSDT")(print)
    with pytest.raises(RuntimeError, match="stopped"):
        sm.run_forever()


def test_context_manager_starts_and_stops(managers: Make, stub_exchange: StubExchange) -> None:
    with managers(exchange=stub_exchange) as sm:
        assert sm.running
    assert sm.state == "stopped"


def test_run_forever_in_a_thread_returns_when_stopped_elsewhere(
    managers: Make, stub_exchange: StubExchange
) -> None:
    sm = managers(exchange=stub_exchange)
    done = threading.Event()

    def legacy_thread() -> None:
        sm.run_forever()  # no signal handler can be installed here
        done.set()

    worker = threading.Thread(target=legacy_thread, name="legacy")
    worker.start()
    assert wait_until(lambda: sm.running)
    sm.stop()
    assert done.wait(LONG_TIMEOUT)
    worker.join(LONG_TIMEOUT)


def test_refused_connections_back_off_growing_and_capped(managers: Make) -> None:
    delays: list[tuple[int, float]] = []
    sm = managers(
        ws_url=refused_url(),
        backoff=Backoff(initial=0.01, factor=2.0, cap=0.08, jitter=0.5),
        exchange=StubExchange(),
    )

    def on_reconnecting(sender: object, connection: str, attempt: int, delay: float) -> None:
        delays.append((attempt, delay))

    signals.reconnecting.connect(on_reconnecting, sender=sm)
    try:
        sm.subscribe("trade", "BTCUSDT")
        sm.start()
        assert wait_until(lambda: len(delays) >= 7)
        stats = sm.stats()
        conn = next(iter(stats.connections.values()))
        assert conn.failed_attempts >= 6
        assert conn.state in ("connecting", "backoff")
    finally:
        signals.reconnecting.disconnect(on_reconnecting, sender=sm)
    attempts = [a for a, _ in delays]
    assert attempts[:7] == [1, 2, 3, 4, 5, 6, 7]
    for attempt, delay in delays:
        ceiling = min(0.08, 0.01 * 2 ** (attempt - 1))
        assert ceiling * 0.5 - 1e-9 <= delay <= ceiling + 1e-9
    assert max(d for _, d in delays) <= 0.08


def test_stop_interrupts_a_long_backoff_and_joins_every_thread(managers: Make) -> None:
    sm = managers(
        ws_url=refused_url(),
        backoff=Backoff(initial=3600, cap=3600, jitter=0),
        exchange=StubExchange(),
    )
    waiting = Recorder()
    signals.reconnecting.connect(waiting, sender=sm)
    try:
        sm.subscribe("trade", "BTCUSDT")
        sm.start()
        assert waiting.wait(1), "a one-hour backoff wait started"
        assert any(n.startswith("cryptoex-ws-") for n in ws_threads())
        started = time.monotonic()
        sm.stop(timeout=5.0)
        assert time.monotonic() - started < 2.0, "stop() did not wait out the backoff"
    finally:
        signals.reconnecting.disconnect(waiting, sender=sm)
    assert ws_threads() == []


def test_time_unit_is_validated() -> None:
    assert StreamManager(time_unit="microsecond").time_unit == "MICROSECOND"
    with pytest.raises(ConfigurationError, match="time_unit"):
        StreamManager(time_unit="NANOSECOND")
