"""``fb.flood``: the benchmark mode pushes valid, distinct payloads to every subscriber."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cryptoex.testing import FakeBinance
from tests.helpers import load_fixture, wait_until
from tests.sandbox.conftest import WS, same_shape

pytestmark = pytest.mark.fake_binance(message_rate=0)
OpenWS = Callable[[str], WS]


def test_flood_ticker_to_raw_combined_and_microsecond_subscribers(
    fake_binance: FakeBinance, open_ws: OpenWS
) -> None:
    raw = open_ws(fake_binance.ws_url + "/ws/btcusdt@ticker")
    combined = open_ws(fake_binance.ws_url + "/stream?streams=btcusdt@ticker&timeUnit=MICROSECOND")
    other = open_ws(fake_binance.ws_url + "/ws/ethusdt@ticker")
    assert wait_until(lambda: len(fake_binance.connections()) == 3)
    fake_binance.flood("btcusdt@ticker", 1500)  # returns once everything was sent
    raws = [raw.recv() for _ in range(1500)]
    wrapped = [combined.recv() for _ in range(1500)]
    for message in raws[::100]:
        same_shape(message, load_fixture("ws/ticker.json"))
    assert {m["s"] for m in raws} == {"BTCUSDT"}
    assert raws[0]["E"] <= raws[-1]["E"]
    assert {m["stream"] for m in wrapped} == {"btcusdt@ticker"}
    assert wrapped[0]["data"]["E"] >= raws[0]["E"] * 1000
    assert wrapped[0]["data"]["E"] % 1000 == 0
    fake_binance.step(10)  # the other stream's subscriber got no flood, only the real ticker
    assert other.recv()["s"] == "ETHUSDT"


@pytest.mark.parametrize(
    ("stream", "fixture"),
    [
        ("ethbtc@trade", "ws/trade.json"),
        ("ethbtc@aggTrade", "ws/aggTrade.json"),
        ("ethbtc@bookTicker", "ws/bookTicker.json"),
        ("ethbtc@depth20", "ws/depth_partial.json"),
        ("ethbtc@depth5@100ms", "ws/depth_partial.json"),
        ("ethbtc@miniTicker", "ws/miniTicker.json"),
        ("ethbtc@avgPrice", "ws/avgPrice.json"),
        ("ethbtc@kline_1h", "ws/kline.json"),
        ("ethbtc@kline_1d@+08:00", "ws/kline.json"),
        ("!miniTicker@arr", "ws/constructed/miniTicker_arr.json"),
    ],
)
def test_flood_every_stream_kind(
    fake_binance: FakeBinance, open_ws: OpenWS, stream: str, fixture: str
) -> None:
    ws = open_ws(fake_binance.ws_url + "/ws")
    ws.send({"method": "SUBSCRIBE", "params": [stream], "id": 1})
    assert ws.recv() == {"result": None, "id": 1}
    fake_binance.flood(stream, 20)
    messages = [ws.recv() for _ in range(20)]
    for message in messages:
        same_shape(message, load_fixture(fixture))
    if stream.endswith("@trade"):
        ids = [m["t"] for m in messages]
        assert ids == list(range(ids[0], ids[0] + 20))
        fake_binance.step(5)
        ws.send({"method": "UNSUBSCRIBE", "params": [stream], "id": 2})
        assert fake_binance._exchange.markets["ETHBTC"].tape[-1].id > ids[-1]  # no reuse
    if stream.endswith("@aggTrade"):
        assert len({m["a"] for m in messages}) == 20


def test_flood_refuses_diff_depth_and_unknown_streams(fake_binance: FakeBinance) -> None:
    with pytest.raises(ValueError, match="diff-depth"):
        fake_binance.flood("btcusdt@depth@100ms", 10)
    for name in ("dogeusdt@ticker", "BTCUSDT@ticker", "btcusdt@bogus"):
        with pytest.raises(ValueError, match="stream"):
            fake_binance.flood(name, 10)
    fake_binance.flood("btcusdt@ticker", 10)  # nobody subscribed: nothing to do
    fake_binance.flood("btcusdt@ticker", 0)
