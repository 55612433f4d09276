"""Market streams over real websockets with raw websocket-client: endpoints, payload
shapes (as tests/fixtures/ws), control messages, diff-depth consistency with the REST
snapshot, limits, pings and connection lifetime."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import websocket

from cryptoex.testing import FakeBinance
from tests.helpers import load_fixture, wait_until
from tests.sandbox.conftest import DECIMAL_8, WS, Rest, same_shape

OpenWS = Callable[[str], WS]


@pytest.mark.fake_binance(message_rate=100)
def test_live_subscribe_to_two_streams(fake_binance: FakeBinance, open_ws: OpenWS) -> None:
    ws = open_ws(fake_binance.ws_url + "/ws")
    ws.send({"method": "SUBSCRIBE", "params": ["btcusdt@trade", "ethusdt@ticker"], "id": 1})
    assert ws.until(lambda m: "id" in m) == {"result": None, "id": 1}
    trade = ws.until(lambda m: m.get("e") == "trade")
    ticker = ws.until(lambda m: m.get("e") == "24hrTicker")
    # Parsed by hand against the documented payloads.
    assert set(trade) == set(load_fixture("ws/trade.json"))
    assert trade["s"] == "BTCUSDT"
    assert isinstance(trade["t"], int)
    assert isinstance(trade["T"], int)
    assert isinstance(trade["m"], bool)
    assert re.fullmatch(DECIMAL_8, trade["p"])
    assert re.fullmatch(DECIMAL_8, trade["q"])
    assert Decimal(trade["p"]) > 0
    assert set(ticker) == set(load_fixture("ws/ticker.json"))
    assert ticker["s"] == "ETHUSDT"
    assert Decimal(ticker["l"]) <= Decimal(ticker["c"]) <= Decimal(ticker["h"])
    assert Decimal(ticker["b"]) < Decimal(ticker["a"])
    assert ticker["C"] - ticker["O"] == 86_400_000
    assert ticker["L"] - ticker["F"] + 1 == ticker["n"]
    assert re.fullmatch(r"-?[0-9]+\.[0-9]{2}", ticker["P"])


@pytest.mark.fake_binance(message_rate=0)
def test_raw_and_combined_endpoints(fake_binance: FakeBinance, open_ws: OpenWS) -> None:
    raw = open_ws(fake_binance.ws_url + "/ws/bnbusdt@aggTrade")
    combined = open_ws(fake_binance.ws_url + "/stream?streams=bnbusdt@aggTrade/bnbusdt@bookTicker")
    assert wait_until(lambda: len(fake_binance.connections()) == 2)
    fake_binance.step(20)
    agg = raw.recv()
    same_shape(agg, load_fixture("ws/aggTrade.json"))
    wrapped = combined.until(lambda m: m["stream"] == "bnbusdt@aggTrade")
    same_shape(wrapped, load_fixture("ws/constructed/combined_trade.json") | {"data": agg})
    assert wrapped["data"] == agg
    book = combined.until(lambda m: m["stream"] == "bnbusdt@bookTicker")["data"]
    same_shape(book, load_fixture("ws/bookTicker.json"))
    infos = {c.path: c for c in fake_binance.connections()}
    assert infos["/ws/bnbusdt@aggTrade"].streams == ("bnbusdt@aggTrade",)
    assert infos["/ws/bnbusdt@aggTrade"].combined is False
    assert infos["/stream?streams=bnbusdt@aggTrade/bnbusdt@bookTicker"].combined is True


@pytest.mark.fake_binance(message_rate=0, max_incoming_per_second=1000)
def test_control_messages_and_error_replies(fake_binance: FakeBinance, open_ws: OpenWS) -> None:
    ws = open_ws(fake_binance.ws_url + "/ws/btcusdt@trade")
    exchanges: list[tuple[Any, Any]] = [
        (
            {"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade", "btcusdt@depth"], "id": 1},
            {"result": None, "id": 1},
        ),
        (
            {"method": "UNSUBSCRIBE", "params": ["btcusdt@depth"], "id": 312},
            {"result": None, "id": 312},
        ),
        (
            {"method": "LIST_SUBSCRIPTIONS", "id": 3},
            {"result": ["btcusdt@trade", "btcusdt@aggTrade"], "id": 3},
        ),
        ({"method": "GET_PROPERTY", "params": ["combined"], "id": 2}, {"result": False, "id": 2}),
        (
            {"method": "SET_PROPERTY", "params": ["combined", True], "id": 5},
            {"result": None, "id": 5},
        ),
        (
            {"method": "GET_PROPERTY", "params": ["combined"], "id": "abc"},
            {"result": True, "id": "abc"},
        ),
        (
            {"method": "SET_PROPERTY", "params": ["colour", True], "id": 6},
            {"code": 0, "msg": "Unknown property", "id": 6},
        ),
        (
            {"method": "SET_PROPERTY", "params": ["combined", "yes"], "id": 7},
            {"code": 1, "msg": "Invalid value type: expected Boolean"},
        ),
        (
            {"method": "GET_PROPERTY", "params": [5], "id": 8},
            {"code": 2, "msg": "Invalid request: property name must be a string"},
        ),
        (
            {"method": "GET_PROPERTY", "id": 8},
            {"code": 2, "msg": "Invalid request: property name must be a string"},
        ),
        (
            {"method": "GET_PROPERTY", "params": ["combined", 1], "id": 9},
            {"code": 2, "msg": "Invalid request: too many parameters"},
        ),
        (
            {"method": "LIST_SUBSCRIPTIONS", "params": ["x"], "id": 9},
            {"code": 2, "msg": "Invalid request: too many parameters"},
        ),
        (
            {"method": "LIST_SUBSCRIPTIONS", "id": 1.5},
            {"code": 2, "msg": "Invalid request: request ID must be an unsigned integer"},
        ),
        (
            {"method": "LIST_SUBSCRIPTIONS"},
            {"code": 2, "msg": "Invalid request: request ID must be an unsigned integer"},
        ),
        (
            {"method": "LIST_SUBSCRIPTIONS", "id": "not-alnum!"},
            {"code": 2, "msg": "Invalid request: request ID must be an unsigned integer"},
        ),
        ({"method": "SUBSCRIBE", "params": "btcusdt@trade", "id": 10}, None),
    ]
    for request, expected in exchanges:
        ws.send(request)
        reply = ws.until(lambda m: "e" not in m and "stream" not in m)
        if expected is None:
            assert reply["code"] == 2
        else:
            assert reply == expected, request
    ws.send('{"method": "LIST_SUBSCRIPTIONS", "id": 1')
    invalid = ws.until(lambda m: "code" in m)
    assert invalid["code"] == 3
    assert invalid["msg"].startswith("Invalid JSON: expected value at line 1 column ")
    ws.send('{"params": [], "id": 1}')
    missing = ws.until(lambda m: "code" in m)
    assert missing["code"] == 2
    assert missing["msg"].startswith("Invalid request: missing field `method`")
    ws.send({"method": "SUBSCRIBED", "id": 4})
    unknown = ws.until(lambda m: "code" in m)
    assert unknown["msg"].startswith(
        "Invalid request: unknown variant `SUBSCRIBED`, expected one of `SUBSCRIBE`"
    )
    recorded = fake_binance.control_messages(fake_binance.connections()[0].id)
    assert [r.method for r in recorded[:3]] == ["SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS"]
    assert recorded[0].params == ["btcusdt@aggTrade", "btcusdt@depth"]
    assert recorded[0].id == 1
    assert recorded[1].time >= recorded[0].time
    assert any(r.method is None for r in recorded)
    assert fake_binance.control_messages() == recorded


@pytest.mark.fake_binance(message_rate=0)
def test_diff_depth_is_consistent_with_the_rest_snapshot(
    fake_binance: FakeBinance, open_ws: OpenWS, rest: Rest
) -> None:
    """The documented local-order-book procedure reproduces the server's book exactly."""
    ws = open_ws(fake_binance.ws_url + "/ws/btcusdt@depth@100ms")
    assert wait_until(lambda: len(fake_binance.connections()) == 1)
    fake_binance.step(3)
    buffered = [ws.recv() for _ in range(3)]
    snapshot = rest.get("/api/v3/depth", symbol="BTCUSDT", limit=5000).json()
    assert snapshot["lastUpdateId"] >= buffered[0]["U"]
    fake_binance.step(30)
    book = {
        "b": {Decimal(p): Decimal(q) for p, q in snapshot["bids"]},
        "a": {Decimal(p): Decimal(q) for p, q in snapshot["asks"]},
    }
    update_id = snapshot["lastUpdateId"]
    events = buffered + [ws.recv() for _ in range(30)]
    previous_u = None
    for event in events:
        same_shape(event, load_fixture("ws/depthUpdate.json"))
        if previous_u is not None:
            assert event["U"] == previous_u + 1  # contiguous
        previous_u = event["u"]
        if event["u"] <= update_id:
            continue
        assert event["U"] <= update_id + 1
        for side in ("b", "a"):
            for price, qty in event[side]:
                if Decimal(qty) == 0:
                    book[side].pop(Decimal(price), None)
                else:
                    book[side][Decimal(price)] = Decimal(qty)
        update_id = event["u"]
    final = rest.get("/api/v3/depth", symbol="BTCUSDT", limit=5000).json()
    assert final["lastUpdateId"] == update_id
    assert book["b"] == {Decimal(p): Decimal(q) for p, q in final["bids"]}
    assert book["a"] == {Decimal(p): Decimal(q) for p, q in final["asks"]}


@pytest.mark.fake_binance(message_rate=0)
def test_periodic_streams_shapes(fake_binance: FakeBinance, open_ws: OpenWS) -> None:
    streams = [
        "ethbtc@depth5@100ms",
        "ethbtc@depth20",
        "ethbtc@depth",
        "ethbtc@miniTicker",
        "ethbtc@avgPrice",
        "ethbtc@kline_1m",
        "ethbtc@kline_1s",
        "!miniTicker@arr",
    ]
    ws = open_ws(fake_binance.ws_url + "/stream?streams=" + "/".join(streams))
    assert wait_until(lambda: len(fake_binance.connections()) == 1)
    fake_binance.step(20)
    seen: dict[str, Any] = {}
    while set(seen) != set(streams):
        message = ws.recv()
        seen.setdefault(message["stream"], message["data"])
    same_shape(seen["ethbtc@depth5@100ms"], load_fixture("ws/depth_partial.json"))
    assert len(seen["ethbtc@depth5@100ms"]["bids"]) == 5
    assert len(seen["ethbtc@depth20"]["asks"]) == 20
    same_shape(seen["ethbtc@depth"], load_fixture("ws/depthUpdate.json"))
    same_shape(seen["ethbtc@miniTicker"], load_fixture("ws/miniTicker.json"))
    same_shape(seen["ethbtc@avgPrice"], load_fixture("ws/avgPrice.json"))
    kline = seen["ethbtc@kline_1m"]
    same_shape(kline, load_fixture("ws/kline.json"))
    assert kline["k"]["i"] == "1m"
    assert kline["k"]["T"] - kline["k"]["t"] == 59_999
    assert seen["ethbtc@kline_1s"]["k"]["T"] - seen["ethbtc@kline_1s"]["k"]["t"] == 999
    arr = seen["!miniTicker@arr"]
    same_shape(arr, load_fixture("ws/constructed/miniTicker_arr.json"))
    assert {t["s"] for t in arr} == set(fake_binance._exchange.markets)


@pytest.mark.fake_binance(message_rate=0)
def test_kline_stream_closes_the_previous_candle(
    fake_binance: FakeBinance, open_ws: OpenWS
) -> None:
    ws = open_ws(fake_binance.ws_url + "/ws/btcusdt@kline_1s")
    assert wait_until(lambda: len(fake_binance.connections()) == 1)
    fake_binance.step(10)
    first = ws.recv()
    assert first["k"]["x"] is False
    # Make the candle's second pass: the server clock jumps 2 s ahead.
    fake_binance.faults.set_clock_offset(2000)
    fake_binance.step(10)
    closed = ws.recv()
    assert closed["k"]["t"] == first["k"]["t"]
    assert closed["k"]["x"] is True
    assert ws.recv()["k"]["t"] > first["k"]["t"]


@pytest.mark.fake_binance(message_rate=0)
def test_microsecond_streams(fake_binance: FakeBinance, open_ws: OpenWS) -> None:
    ws = open_ws(
        fake_binance.ws_url + "/stream?streams=btcusdt@trade/btcusdt@kline_1m&timeUnit=MICROSECOND"
    )
    ms = open_ws(fake_binance.ws_url + "/ws/btcusdt@trade")
    assert wait_until(lambda: len(fake_binance.connections()) == 2)
    fake_binance.step(20)
    trade = ws.until(lambda m: m["stream"] == "btcusdt@trade")["data"]
    plain = ms.recv()
    assert trade["t"] == plain["t"]
    assert trade["E"] == plain["E"] * 1000
    assert trade["T"] == plain["T"] * 1000
    kline = ws.until(lambda m: m["stream"] == "btcusdt@kline_1m")["data"]
    assert kline["k"]["t"] % 60_000_000 == 0


def test_bad_handshakes(fake_binance: FakeBinance) -> None:
    for path, status in (("/nowhere", 404), ("/ws/btcusdt@trade?timeUnit=NANOSECOND", 400)):
        with pytest.raises(websocket.WebSocketBadStatusException) as info:
            websocket.create_connection(fake_binance.ws_url + path, timeout=10)
        assert info.value.status_code == status
    assert fake_binance.connection_attempts == 2


@pytest.mark.fake_binance(max_streams_per_connection=3)
def test_stream_limit_per_connection(fake_binance: FakeBinance, open_ws: OpenWS) -> None:
    ws = open_ws(fake_binance.ws_url + "/ws/btcusdt@trade/ethusdt@trade")
    ws.send({"method": "SUBSCRIBE", "params": ["bnbusdt@trade", "ethbtc@trade"], "id": 1})
    reply = ws.until(lambda m: "code" in m or "id" in m)
    assert reply["code"] == 2
    assert "too many streams" in reply["msg"]
    ws.send({"method": "SUBSCRIBE", "params": ["bnbusdt@trade"], "id": 2})
    assert ws.until(lambda m: m.get("id") == 2) == {"result": None, "id": 2}
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        websocket.create_connection(
            fake_binance.ws_url + "/stream?streams=a@trade/b@trade/c@trade/d@trade", timeout=10
        )
    assert info.value.status_code == 400


@pytest.mark.fake_binance(message_rate=0, max_incoming_per_second=3)
def test_too_many_incoming_messages_disconnects(fake_binance: FakeBinance, open_ws: OpenWS) -> None:
    ws = open_ws(fake_binance.ws_url + "/ws")
    for i in range(3):
        ws.send({"method": "LIST_SUBSCRIPTIONS", "id": i})
    assert [ws.recv()["id"] for _ in range(3)] == [0, 1, 2]
    ws.send({"method": "LIST_SUBSCRIPTIONS", "id": 3})  # the 4th within a second
    assert ws.close_code() == 1008
    assert wait_until(lambda: not fake_binance.connections())


@pytest.mark.fake_binance(max_connection_attempts=2, connection_attempt_window=60)
def test_connection_attempt_limit(fake_binance: FakeBinance, open_ws: OpenWS) -> None:
    open_ws(fake_binance.ws_url + "/ws")
    open_ws(fake_binance.ws_url + "/ws")
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        websocket.create_connection(fake_binance.ws_url + "/ws", timeout=10)
    assert info.value.status_code == 429
    assert fake_binance.connection_attempts == 3


@pytest.mark.fake_binance(ping_interval=0.05, pong_timeout=5)
def test_server_pings_and_an_answering_client_stays(fake_binance: FakeBinance) -> None:
    ws = websocket.create_connection(fake_binance.ws_url + "/ws", timeout=10)
    try:
        for _ in range(5):
            opcode, frame = ws.recv_data_frame(True)
            assert opcode == websocket.ABNF.OPCODE_PING
            ws.pong(frame.data)
        assert len(fake_binance.connections()) == 1
    finally:
        ws.close()


@pytest.mark.fake_binance(ping_interval=0.05, pong_timeout=0.2)
def test_client_that_stops_answering_pings_is_disconnected(
    fake_binance: FakeBinance, open_ws: OpenWS
) -> None:
    ws = open_ws(fake_binance.ws_url + "/ws")
    assert wait_until(lambda: len(fake_binance.connections()) == 1)
    # Never read, so websocket-client never answers the pings.
    assert wait_until(lambda: not fake_binance.connections())
    opcode, _ = ws.frame()  # the pings it ignored, then the close
    while opcode != websocket.ABNF.OPCODE_CLOSE:
        opcode, _ = ws.frame()


@pytest.mark.fake_binance(max_connection_age=0.3, ping_interval=5)
def test_connection_lifetime(fake_binance: FakeBinance, open_ws: OpenWS) -> None:
    ws = open_ws(fake_binance.ws_url + "/ws/btcusdt@trade")
    assert ws.close_code() == 1001


def test_unknown_and_uppercase_stream_names_get_no_data(
    fake_binance: FakeBinance, open_ws: OpenWS
) -> None:
    ws = open_ws(fake_binance.ws_url + "/ws")
    ws.send({"method": "SUBSCRIBE", "params": ["BTCUSDT@trade", "btcusdt@trade"], "id": 1})
    assert ws.recv() == {"result": None, "id": 1}
    assert ws.recv()["s"] == "BTCUSDT"  # only the lowercase name delivers
    ws.send({"method": "UNSUBSCRIBE", "params": ["btcusdt@trade"], "id": 2})
    assert ws.until(lambda m: "id" in m) == {"result": None, "id": 2}
    ws.send({"method": "LIST_SUBSCRIPTIONS", "id": 3})
    assert ws.until(lambda m: "id" in m) == {"result": ["BTCUSDT@trade"], "id": 3}
    assert json.dumps(fake_binance.connections()[0].streams) == '["BTCUSDT@trade"]'
