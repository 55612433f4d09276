"""Per-IP request weight: 429 with Retry-After, the 418 ban for clients that ignore it,
and unfilled-order counting that forgives filled orders."""

from __future__ import annotations

import pytest

from cryptoex.testing import FakeBinance
from tests.sandbox.conftest import Rest


@pytest.mark.fake_binance(message_rate=0, request_weight_limit=45, ban_after_429s=2, ban_seconds=30)
def test_weight_limit_then_ban(rest: Rest) -> None:
    assert rest.get("/api/v3/exchangeInfo").status_code == 200  # 20
    assert rest.get("/api/v3/exchangeInfo").status_code == 200  # 40
    over = rest.get("/api/v3/exchangeInfo")  # 60 > 45
    assert over.status_code == 429
    assert over.json() == {
        "code": -1003,
        "msg": "Too much request weight used; current limit is 45 request weight per 1 MINUTE. "
        "Please use WebSocket Streams for live updates to avoid polling the API.",
    }
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    assert int(over.headers["X-MBX-USED-WEIGHT-1M"]) > 45
    ignored = rest.get("/api/v3/ping")  # sent during the back-off: still 429
    assert ignored.status_code == 429
    banned = rest.get("/api/v3/ping")  # the 2nd request ignoring it: banned
    assert banned.status_code == 418
    assert banned.json()["code"] == -1003
    assert banned.json()["msg"].startswith("Way too much request weight used; IP banned until ")
    assert 29 <= int(banned.headers["Retry-After"]) <= 30
    still = rest.get("/api/v3/time")
    assert still.status_code == 418
    assert rest.signed("GET", "/api/v3/account").status_code == 418


@pytest.mark.fake_binance(message_rate=0, order_limit_10s=2)
def test_filled_orders_do_not_count(rest: Rest, fake_binance: FakeBinance) -> None:
    for _ in range(4):
        response = rest.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001")
        assert response.status_code == 200
        assert response.headers["X-MBX-ORDER-COUNT-10S"] == "0"
    for i in range(2):
        assert (
            rest.order(
                symbol="BTCUSDT",
                side="BUY",
                type="LIMIT",
                timeInForce="GTC",
                quantity="0.001",
                price=str(50000 + i),
            ).status_code
            == 200
        )
    assert (
        rest.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001").json()["code"]
        == -1015
    )
    # Once one of them trades, there is room again.
    fake_binance.set_price("BTCUSDT", "49000")
    assert (
        rest.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001").status_code == 200
    )


@pytest.mark.fake_binance(message_rate=0, order_limit_10s=50, order_limit_1d=2)
def test_daily_order_limit(rest: Rest) -> None:
    for i in range(2):
        rest.order(
            symbol="BTCUSDT",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity="0.001",
            price=str(50000 + i),
        )
    refused = rest.order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.001",
        price="50100",
    )
    assert refused.status_code == 429
    assert refused.json()["msg"] == "Too many new orders; current limit is 2 orders per 1 DAY."
