"""The exact requests the clients send (``responses`` pins single requests):
the signed order body byte for byte, lookups by client id, klines paging
parameters."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from urllib.parse import parse_qsl

import pytest
import responses
from freezegun import freeze_time

from cryptoex import MarketClient, UserClient
from tests.helpers import load_fixture

BASE = "https://api.binance.com"
VECTORS = load_fixture("signing/vectors.json")
KEY = VECTORS["hmac_example_key"]["apiKey"]
SECRET = VECTORS["hmac_example_key"]["secretKey"]
NOW_MS = 1499827319559


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{BASE}/api/v3/exchangeInfo", json=load_fixture("rest/exchangeInfo.json"))
        rsps.get(f"{BASE}/api/v3/time", json={"serverTime": NOW_MS})
        yield rsps


def body(call: responses.Call) -> str:
    raw = call.request.body
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def sign(payload: str) -> str:
    return hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()


def test_place_order_sends_exactly_the_signed_bytes(mocked: responses.RequestsMock) -> None:
    order = load_fixture("rest/order_full.json")
    order["clientOrderId"] = "abc-1"
    mocked.post(f"{BASE}/api/v3/order", json=order)
    with freeze_time("2017-07-12 02:41:59.559"):
        client = UserClient(KEY, SECRET)
        result = client.place_order(
            "bnbbtc", "buy", "limit", quantity=1, price=0.1, client_order_id="abc-1"
        )
        client.close()
    assert result.client_order_id == "abc-1"
    (post,) = [c for c in mocked.calls if c.request.method == "POST"]
    payload = (
        "symbol=BNBBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
        "&newClientOrderId=abc-1&newOrderRespType=FULL&recvWindow=5000"
        f"&timestamp={NOW_MS}"
    )
    assert body(post) == f"{payload}&signature={sign(payload)}"
    assert post.request.url == f"{BASE}/api/v3/order"
    assert post.request.headers["X-MBX-APIKEY"] == KEY
    assert post.request.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_small_amounts_go_out_fixed_point(mocked: responses.RequestsMock) -> None:
    mocked.post(f"{BASE}/api/v3/order/test", json={})
    with freeze_time("2017-07-12 02:41:59.559"):
        client = UserClient(KEY, SECRET, recv_window=6000.5)
        client.test_order("BNBBTC", "SELL", "LIMIT", quantity="1E+3", price="0.0000010")
        client.close()
    (post,) = [c for c in mocked.calls if c.request.method == "POST"]
    params = dict(parse_qsl(body(post)))
    assert params["quantity"] == "1000"
    assert params["price"] == "0.0000010"
    assert params["recvWindow"] == "6000.5"


def test_cancel_and_lookup_by_client_order_id(mocked: responses.RequestsMock) -> None:
    cancel = load_fixture("rest/cancel_order.json")
    mocked.delete(f"{BASE}/api/v3/order", json=cancel)
    mocked.get(f"{BASE}/api/v3/order", json=load_fixture("rest/query_order.json"))
    client = UserClient(KEY, SECRET)
    cancelled = client.cancel_order("LTCBTC", client_order_id="myOrder1")
    assert cancelled.client_order_id == cancel["origClientOrderId"]
    client.get_order("LTCBTC", client_order_id="myOrder1")
    client.close()
    delete = next(c for c in mocked.calls if c.request.method == "DELETE")
    assert body(delete).startswith("symbol=LTCBTC&origClientOrderId=myOrder1&recvWindow=5000&")
    get = next(c for c in mocked.calls if str(c.request.url).startswith(f"{BASE}/api/v3/order?"))
    assert "origClientOrderId=myOrder1" in str(get.request.url)
    assert get.request.body is None


def test_klines_pages_with_start_time_after_the_last_open(mocked: responses.RequestsMock) -> None:
    minute = 60_000
    start = 1_700_000_000_000 - 1_700_000_000_000 % minute

    def rows(first: int, count: int) -> list[list[object]]:
        return [
            [
                first + i * minute,
                "1",
                "2",
                "0.5",
                "1.5",
                "10",
                first + (i + 1) * minute - 1,
                "15",
                3,
                "5",
                "7",
                "0",
            ]
            for i in range(count)
        ]

    mocked.get(f"{BASE}/api/v3/klines", json=rows(start, 1000))
    mocked.get(f"{BASE}/api/v3/klines", json=rows(start + 1000 * minute, 200))
    market = MarketClient()
    klines = market.klines("BTCUSDT", "1m", start=start, limit=1200)
    market.close()
    assert len(klines) == 1200
    pages = [
        dict(parse_qsl(str(c.request.url).split("?", 1)[1]))
        for c in mocked.calls
        if "/klines" in str(c.request.url)
    ]
    assert pages[0] == {
        "symbol": "BTCUSDT",
        "interval": "1m",
        "startTime": str(start),
        "limit": "1000",
    }
    assert pages[1]["startTime"] == str(start + 999 * minute + 1)
    assert pages[1]["limit"] == "200"
