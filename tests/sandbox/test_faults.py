"""Every fault of ``fb.faults``, exercised against raw clients."""

from __future__ import annotations

import select
from collections.abc import Callable

import pytest
import requests
import websocket

from cryptoex.testing import FakeBinance
from tests.helpers import load_fixture, wait_until
from tests.sandbox.conftest import WS, Rest, now_ms, ws_api_signed

pytestmark = pytest.mark.fake_binance(message_rate=0)
OpenWS = Callable[[str], WS]


def _ids(fb: FakeBinance, kind: str) -> list[int]:
    return [c.id for c in fb.connections() if c.kind == kind]


def test_drop_connections_abruptly_and_gracefully(
    fake_binance: FakeBinance, open_ws: OpenWS
) -> None:
    first = open_ws(fake_binance.ws_url + "/ws/btcusdt@trade")
    second = open_ws(fake_binance.ws_url + "/ws/btcusdt@trade")
    api = open_ws(fake_binance.ws_api_url)
    assert wait_until(lambda: len(fake_binance.connections()) == 3)
    stream_ids = _ids(fake_binance, "stream")
    assert fake_binance.faults.drop_connections(kind="stream", ids=stream_ids[:1]) == 1
    assert first.close_code() is None  # reset: no close frame
    assert wait_until(lambda: _ids(fake_binance, "stream") == stream_ids[1:])
    assert fake_binance.faults.drop_connections(kind="stream", abrupt=False) == 1
    assert second.close_code() == 1001
    assert wait_until(lambda: _ids(fake_binance, "stream") == [])
    assert fake_binance.faults.drop_connections(kind="stream") == 0
    assert len(_ids(fake_binance, "ws-api")) == 1  # untouched
    assert fake_binance.faults.drop_connections() == 1
    assert api.close_code() is None
    with pytest.raises(ValueError, match="kind"):
        fake_binance.faults.drop_connections(kind="rest")  # type: ignore[arg-type]


def test_refuse_connections(fake_binance: FakeBinance, open_ws: OpenWS) -> None:
    fake_binance.faults.refuse_connections(2, status=503, retry_after=7)
    for _ in range(2):
        with pytest.raises(websocket.WebSocketBadStatusException) as info:
            websocket.create_connection(fake_binance.ws_url + "/ws", timeout=10)
        assert info.value.status_code == 503
        assert info.value.resp_headers is not None
        assert info.value.resp_headers["retry-after"] == "7"
    open_ws(fake_binance.ws_url + "/ws")  # the third one is accepted
    fake_binance.faults.refuse_connections(1)
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        websocket.create_connection(fake_binance.ws_api_url, timeout=10)
    assert info.value.status_code == 429
    assert info.value.resp_headers is not None
    assert "retry-after" not in info.value.resp_headers
    assert fake_binance.connection_attempts == 4


@pytest.mark.fake_binance(message_rate=0, ping_interval=0.05, pong_timeout=0.3)
def test_silence_keeps_the_connection_open_but_quiet(
    fake_binance: FakeBinance, open_ws: OpenWS
) -> None:
    quiet = open_ws(fake_binance.ws_url + "/ws/ethusdt@trade")
    loud = open_ws(fake_binance.ws_url + "/ws/ethusdt@trade")
    assert wait_until(lambda: len(fake_binance.connections()) == 2)
    quiet_id = fake_binance.connections()[0].id
    assert fake_binance.faults.silence(ids=[quiet_id]) == 1
    assert [c.silenced for c in fake_binance.connections()] == [True, False]
    quiet.ws.ping(b"hello")  # no pong will come back either
    fake_binance.step(10)
    # The loud twin receives its trades and several ping rounds, well past the pong
    # timeout: the silenced connection got nothing and is still open.
    trades = [loud.recv()["t"] for _ in range(3)]
    pings = 0
    while pings < 10:  # 10 x 0.05 s: past the 0.3 s pong timeout
        opcode, _ = loud.ws.recv_data_frame(True)
        pings += opcode == websocket.ABNF.OPCODE_PING
    assert wait_until(lambda: any(c.silenced for c in fake_binance.connections()))
    assert quiet.ws.sock is not None
    readable, _, _ = select.select([quiet.ws.sock], [], [], 0)
    assert readable == []
    assert [c.id for c in fake_binance.connections()] == [quiet_id, quiet_id + 1]
    fake_binance.faults.clear()  # speaking again
    fake_binance.step(10)
    assert quiet.until(lambda m: m["t"] > trades[-1])["e"] == "trade"


def test_server_shutdown_in_every_framing(fake_binance: FakeBinance, open_ws: OpenWS) -> None:
    raw = open_ws(fake_binance.ws_url + "/ws")
    combined = open_ws(fake_binance.ws_url + "/stream?streams=btcusdt@trade")
    api = open_ws(fake_binance.ws_api_url)
    assert wait_until(lambda: len(fake_binance.connections()) == 3)
    assert fake_binance.faults.server_shutdown(kind="stream", close_after=None) == 2
    assert raw.recv().keys() == load_fixture("ws/serverShutdown_raw.json").keys()
    event = combined.recv()
    assert event["stream"] == load_fixture("ws/serverShutdown_combined.json")["stream"]
    assert event["data"]["e"] == "serverShutdown"
    assert len(fake_binance.connections()) == 3  # still open: no close_after
    assert fake_binance.faults.server_shutdown(kind="ws-api", close_after=0.05) == 1
    notice = api.recv()
    assert notice.keys() == load_fixture("wsapi/serverShutdown.json").keys()
    assert notice["event"]["e"] == "serverShutdown"
    assert api.close_code() == 1001
    fake_binance.faults.server_shutdown(ids=[fake_binance.connections()[0].id], close_after=0)
    assert raw.recv()["e"] == "serverShutdown"
    assert raw.close_code() == 1001


def test_depth_gap(fake_binance: FakeBinance, open_ws: OpenWS, rest: Rest) -> None:
    ws = open_ws(fake_binance.ws_url + "/stream?streams=bnbusdt@depth@100ms/bnbusdt@depth")
    assert wait_until(lambda: len(fake_binance.connections()) == 1)
    fake_binance.step(10)
    last: dict[str, int] = {}
    while len(last) < 2:
        message = ws.recv()
        last[message["stream"]] = message["data"]["u"]
    fake_binance.faults.depth_gap("BNBUSDT", skip=7)
    fake_binance.step(10)
    gaps: dict[str, int] = {}
    while len(gaps) < 2:
        message = ws.recv()
        gaps.setdefault(message["stream"], message["data"]["U"] - last[message["stream"]] - 1)
    assert min(gaps.values()) >= 7
    snapshot = rest.get("/api/v3/depth", symbol="BNBUSDT").json()
    fake_binance.step(1)
    after = ws.until(lambda m: m["stream"] == "bnbusdt@depth@100ms")["data"]
    assert after["U"] == snapshot["lastUpdateId"] + 1  # a resync works again
    with pytest.raises(ValueError, match="skip"):
        fake_binance.faults.depth_gap("BNBUSDT", skip=0)
    with pytest.raises(ValueError, match="symbol"):
        fake_binance.faults.depth_gap("DOGEUSDT")


def test_fail_next_before_and_after(fake_binance: FakeBinance, rest: Rest) -> None:
    fake_binance.faults.fail_next("/api/v3/order", method="POST", status=500)
    failed = rest.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001")
    assert failed.status_code == 500
    assert failed.json() == load_fixture("errors/constructed/error_-1000_unknown.json")
    assert fake_binance.orders() == []  # "before": nothing happened
    fake_binance.faults.fail_next("/api/v3/order", method="POST", status=504, when="after")
    unknown = rest.order(
        symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001", newClientOrderId="maybe-1"
    )
    assert unknown.status_code == 504
    assert unknown.json() == load_fixture("errors/constructed/error_-1007_timeout.json")
    placed = rest.signed("GET", "/api/v3/order", symbol="BTCUSDT", origClientOrderId="maybe-1")
    assert placed.json()["status"] == "FILLED"  # "after": the order exists
    fake_binance.faults.fail_next("/api/v3/time", count=2, status=503)
    assert [rest.get("/api/v3/time").status_code for _ in range(3)] == [503, 503, 200]
    fake_binance.faults.fail_next("/api/v3/ping", method="POST", status=502)
    assert rest.get("/api/v3/ping").status_code == 200  # another method: untouched
    fake_binance.faults.fail_next("/api/v3/ping", status=502)
    assert rest.get("/api/v3/ping").json()["code"] == -1006
    fake_binance.faults.fail_next("/api/v3/ping", status=418)
    assert rest.get("/api/v3/ping").json()["code"] == -1000


def test_fail_next_modes(fake_binance: FakeBinance, rest: Rest) -> None:
    fake_binance.faults.fail_next("/api/v3/depth", mode="html", status=502)
    page = rest.get("/api/v3/depth", symbol="BTCUSDT")
    assert page.status_code == 502
    assert page.headers["Content-Type"] == "text/html"
    assert page.text.startswith("<html>")
    fake_binance.faults.fail_next("/api/v3/depth", mode="reset")
    with pytest.raises(requests.ConnectionError):
        rest.get("/api/v3/depth", symbol="BTCUSDT")
    fake_binance.faults.fail_next("/api/v3/order", mode="hang", when="after", hang_seconds=30)
    with pytest.raises(requests.Timeout):
        rest.session.post(
            fake_binance.rest_url + "/api/v3/order",
            data=_signed_body(
                fake_binance, symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001"
            ),
            headers={
                "X-MBX-APIKEY": fake_binance.api_key,
                "Content-Type": "application/x-www-form-urlencoded",
            },
            timeout=0.3,
        )
    assert [o["status"] for o in fake_binance.orders()] == ["FILLED"]
    assert rest.get("/api/v3/depth", symbol="BTCUSDT").status_code == 200
    with pytest.raises(ValueError, match="mode"):
        fake_binance.faults.fail_next("/api/v3/ping", mode="explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="when"):
        fake_binance.faults.fail_next("/api/v3/ping", when="during")  # type: ignore[arg-type]


def _signed_body(fb: FakeBinance, **params: str) -> str:
    from urllib.parse import urlencode

    from tests.sandbox.conftest import hmac_hex

    payload = urlencode({**params, "timestamp": now_ms()})
    return payload + "&signature=" + hmac_hex(fb.api_secret, payload)


def test_force_rate_limit_and_ban(fake_binance: FakeBinance, rest: Rest, open_ws: OpenWS) -> None:
    fake_binance.faults.force_rate_limit(count=2, retry_after=3)
    limited = [rest.get("/api/v3/ping") for _ in range(3)]
    assert [r.status_code for r in limited] == [429, 429, 200]
    assert limited[0].headers["Retry-After"] == "3"
    assert limited[0].json()["code"] == -1003
    fake_binance.faults.force_rate_limit(count=1, status=418, retry_after=60)
    banned = rest.get("/api/v3/ping")
    assert banned.status_code == 418
    assert rest.get("/api/v3/ping").status_code == 418  # the forced 418 banned the IP
    fake_binance.faults.clear()
    assert rest.get("/api/v3/ping").status_code == 200
    fake_binance.faults.ban(30)
    response = rest.get("/api/v3/time")
    assert response.status_code == 418
    assert 29 <= int(response.headers["Retry-After"]) <= 30
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        websocket.create_connection(fake_binance.ws_api_url, timeout=10)
    assert info.value.status_code == 418
    fake_binance.faults.clear()
    api = open_ws(fake_binance.ws_api_url)
    fake_binance.faults.ban(30)
    api.send(
        {
            "id": 1,
            "method": "userDataStream.subscribe.signature",
            "params": ws_api_signed(fake_binance.api_key, fake_binance.api_secret),
        }
    )
    reply = api.recv()
    assert reply["status"] == 418
    assert reply["error"]["data"]["retryAfter"] > reply["error"]["data"]["serverTime"]
    same_shape_keys = load_fixture("wsapi/response_ip_banned_418.json")["error"]["data"].keys()
    assert reply["error"]["data"].keys() == same_shape_keys
    fake_binance.faults.clear()
    fake_binance.faults.force_rate_limit(count=1)
    api.send({"id": 2, "method": "ping"})
    assert api.recv()["status"] == 429


def test_slow_market_and_set_message_rate(fake_binance: FakeBinance, open_ws: OpenWS) -> None:
    ws = open_ws(fake_binance.ws_url + "/ws/btcusdt@trade")
    assert fake_binance.message_rate == 0
    fake_binance.faults.slow_market(200)  # the paused market starts ticking on its own
    assert fake_binance.message_rate == 200
    assert ws.recv()["e"] == "trade"
    fake_binance.set_message_rate(0)
    assert fake_binance.message_rate == 0
    with pytest.raises(ValueError, match="rate"):
        fake_binance.set_message_rate(-1)


def test_clear_removes_pending_faults(
    fake_binance: FakeBinance, rest: Rest, open_ws: OpenWS
) -> None:
    fake_binance.faults.fail_next("/api/v3/ping", count=5)
    fake_binance.faults.refuse_connections(5)
    fake_binance.faults.set_clock_offset(100_000)
    fake_binance.faults.force_rate_limit(count=5)
    fake_binance.faults.ban(60)
    fake_binance.faults.clear()
    assert rest.get("/api/v3/ping").status_code == 200
    open_ws(fake_binance.ws_url + "/ws")  # no refusal left
    assert abs(rest.get("/api/v3/time").json()["serverTime"] - now_ms()) < 5000
