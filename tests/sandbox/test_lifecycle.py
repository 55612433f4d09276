"""Start, stop, threads, configuration validation."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
import requests

from cryptoex.testing import FakeBinance


def _fake_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("fakebinance")}


def test_start_and_stop_are_fast_and_join_every_thread() -> None:
    before = set(threading.enumerate())
    fb = FakeBinance(seed=3)
    started = time.monotonic()
    fb.start()
    start_took = time.monotonic() - started
    assert fb.rest_url.startswith("http://127.0.0.1:")
    assert fb.ws_url.startswith("ws://127.0.0.1:")
    assert fb.ws_api_url == fb.ws_url + "/ws-api/v3"
    names = {t.name for t in _fake_threads()}
    assert {"fakebinance-rest", "fakebinance-ws", "fakebinance-market"} <= names
    assert requests.get(fb.rest_url + "/api/v3/ping", timeout=5).json() == {}
    stopping = time.monotonic()
    fb.stop()
    stop_took = time.monotonic() - stopping
    # Generous bounds: the point is "not seconds", measured precisely in the benchmark.
    assert start_took < 1.0
    assert stop_took < 1.0
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert leftover == []


def test_context_manager_and_single_use() -> None:
    with FakeBinance() as fb:
        assert fb.start is not None
        with pytest.raises(RuntimeError, match="runs once"):
            fb.start()
    fb.stop()  # idempotent
    with pytest.raises(RuntimeError, match="runs once"):
        fb.start()


def test_urls_before_start_raise() -> None:
    fb = FakeBinance()
    with pytest.raises(RuntimeError, match="start"):
        _ = fb.rest_url
    with pytest.raises(RuntimeError, match="start"):
        fb.flood("btcusdt@ticker", 1)
    assert fb.connections() == []
    assert fb.connection_attempts == 0
    fb.stop()  # stopping a never-started sandbox is fine


def test_repr_does_not_show_the_secret() -> None:
    fb = FakeBinance()
    assert fb.api_secret not in repr(fb)
    assert fb.api_key not in repr(fb)
    assert len(fb.api_key) == 64
    assert fb.api_key != FakeBinance().api_key


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"seed": "1"}, TypeError, "seed"),
        ({"symbols": ["DOGEUSDT"]}, ValueError, "symbols"),
        ({"symbols": "BTCUSDT"}, TypeError, "symbols"),
        ({"symbols": []}, ValueError, "symbols"),
        ({"message_rate": -1}, ValueError, "message_rate"),
        ({"ping_interval": 0}, ValueError, "ping_interval"),
        ({"pong_timeout": float("nan")}, ValueError, "pong_timeout"),
        ({"max_streams_per_connection": 0}, ValueError, "max_streams_per_connection"),
        ({"order_limit_10s": 2.5}, TypeError, "order_limit_10s"),
        ({"request_weight_limit": True}, TypeError, "request_weight_limit"),
        ({"balances": {"USDT": 1.5}}, TypeError, "balances"),
        ({"balances": {"USDT": "-1"}}, ValueError, "balances"),
        ({"balances": {"USDT": "lots"}}, ValueError, "balances"),
        ({"commission_rate": 0.001}, TypeError, "commission_rate"),
        ({"commission_rate": "2"}, ValueError, "commission_rate"),
        ({"commission_rate": "x"}, ValueError, "commission_rate"),
        ({"ping_interval": "1"}, TypeError, "ping_interval"),
    ],
)
def test_bad_configuration_names_the_field(
    kwargs: dict[str, object], error: type, field: str
) -> None:
    with pytest.raises(error, match=field):
        FakeBinance(**kwargs)  # type: ignore[arg-type]


def test_symbols_subset_and_custom_balances() -> None:
    fb = FakeBinance(symbols=["ethusdt", "PEPEUSDT"], balances={"USDT": "5", "PEPE": 10})
    assert fb.balances() == {"USDT": (Decimal(5), Decimal(0)), "PEPE": (Decimal(10), Decimal(0))}
    assert fb.price("ETHUSDT") > 0
    with pytest.raises(ValueError, match="BTCUSDT"):
        fb.price("BTCUSDT")


def test_same_seed_same_market() -> None:
    one, two, other = FakeBinance(seed=7, message_rate=0), FakeBinance(seed=7), FakeBinance(seed=8)
    one.step(25)
    two.step(25)
    other.step(25)
    assert one.price("BTCUSDT") == two.price("BTCUSDT")
    assert one.orders() == two.orders() == []
    assert [one.price(s) for s in ("ETHUSDT", "PEPEUSDT")] == [
        two.price(s) for s in ("ETHUSDT", "PEPEUSDT")
    ]
    assert other.price("BTCUSDT") != one.price("BTCUSDT") or other.price("ETHUSDT") != one.price(
        "ETHUSDT"
    )


def test_stop_with_silenced_idle_and_hanging_clients() -> None:
    """stop() still returns promptly, with every thread joined, when a websocket was
    silenced, another client never reads (so never answers the close frame), and a REST
    request is hanging."""
    import websocket

    from tests.helpers import wait_until

    before = set(threading.enumerate())
    fb = FakeBinance(message_rate=50, ping_interval=0.05).start()
    silent = websocket.create_connection(fb.ws_url + "/ws/btcusdt@trade", timeout=5)
    idle = websocket.create_connection(fb.ws_url + "/stream?streams=btcusdt@depth@100ms", timeout=5)
    api = websocket.create_connection(fb.ws_api_url, timeout=5)
    assert wait_until(lambda: len(fb.connections()) == 3)
    fb.faults.silence(ids=[fb.connections()[0].id])
    fb.faults.fail_next("/api/v3/ping", mode="hang", hang_seconds=60)
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            requests.get(fb.rest_url + "/api/v3/ping", timeout=30)
        except requests.RequestException as exc:
            outcome.append(exc)

    hanging = threading.Thread(target=call, name="test-hanging")
    hanging.start()
    assert wait_until(lambda: len(fb.requests) == 1)
    started = time.monotonic()
    fb.stop()
    took = time.monotonic() - started
    hanging.join(10)
    for conn in (silent, idle, api):
        conn.shutdown()  # type: ignore[no-untyped-call]
    assert took < 2.0
    assert isinstance(outcome[0], requests.ConnectionError)  # cut off by stop(), not answered
    leftover = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
    assert leftover == []


def test_records_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptoex.testing import _state
    from cryptoex.testing._records import RecordedControl, RecordedRequest

    monkeypatch.setattr(_state, "MAX_RECORDS", 20)
    core = FakeBinance()._core
    for i in range(25):
        core.record_request(RecordedRequest("GET", f"/{i}", {}, {}, {}, float(i)))
        core.record_control(RecordedControl(1, float(i), "SUBSCRIBE", [], i))
    paths = [r.path for r in core.requests()]
    assert len(paths) <= 20
    assert paths == [f"/{i}" for i in range(25 - len(paths), 25)]  # the newest, in order
    assert len(core.controls(None)) == len(paths)
