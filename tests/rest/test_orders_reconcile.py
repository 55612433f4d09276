"""Placements whose outcome is unknown (5XX, timeout, reset, HTML) are
reconciled by client order id and never sent twice (FakeBinance faults)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from cryptoex import (
    NetworkError,
    OrderNotFoundError,
    OrderStatus,
    OrderStatusUnknownError,
    UserClient,
)
from cryptoex.rest.ratelimit import reset_rate_limits


def posts(fb: Any, coid: str) -> list[Any]:
    return [
        r
        for r in fb.requests
        if r.path == "/api/v3/order"
        and r.method == "POST"
        and r.body.get("newClientOrderId") == coid
    ]


def on_exchange(fb: Any, coid: str) -> list[dict[str, Any]]:
    return [o for o in fb.orders() if o["clientOrderId"] == coid]


def fast_client(fb: Any, **options: Any) -> UserClient:
    args: dict[str, Any] = {"rest_url": fb.rest_url, "timeout": 0.5, "reconcile_timeout": 3.0}
    args.update(options)
    return UserClient(fb.api_key, fb.api_secret, **args)


@pytest.mark.parametrize(
    ("status", "mode"),
    [(500, "error"), (503, "error"), (502, "html"), (500, "reset"), (500, "hang")],
)
def test_failure_after_the_order_was_recorded_is_reconciled(
    fb: Any, status: int, mode: str
) -> None:
    client = fast_client(fb)
    try:
        client.symbol_info("BTCUSDT")
        fb.faults.fail_next(
            "/api/v3/order", method="POST", status=status, when="after", mode=mode, hang_seconds=3.0
        )
        order = client.place_order(
            "BTCUSDT", "BUY", "MARKET", "0.001", client_order_id=f"rec-{mode}-{status}"
        )
        assert order.client_order_id == f"rec-{mode}-{status}"
        assert order.status is OrderStatus.FILLED
        assert len(on_exchange(fb, order.client_order_id)) == 1
        assert len(posts(fb, order.client_order_id)) == 1  # never sent twice
    finally:
        client.close()


def test_limit_order_reconciled_then_cancelled(fb: Any) -> None:
    client = fast_client(fb)
    try:
        price = client.symbol_info("BTCUSDT").round_price(fb.price("BTCUSDT") / 2, "down")
        fb.faults.fail_next("/api/v3/order", method="POST", status=500, when="after")
        order = client.place_order("BTCUSDT", "BUY", "LIMIT", Decimal("0.001"), price)
        assert order.status is OrderStatus.NEW
        fb.faults.fail_next("/api/v3/order", method="DELETE", status=500, when="after")
        cancelled = client.cancel_order("BTCUSDT", order_id=order.order_id)
        assert cancelled.status is OrderStatus.CANCELED
        assert cancelled.client_order_id == order.client_order_id
    finally:
        client.close()


def test_lookup_failing_raises_order_status_unknown(fb: Any) -> None:
    client = fast_client(fb, reconcile_timeout=0.3)
    try:
        client.symbol_info("BTCUSDT")
        fb.faults.fail_next("/api/v3/order", method="POST", status=500, when="after")
        fb.faults.fail_next("/api/v3/order", method="GET", status=500, count=1000)
        with pytest.raises(OrderStatusUnknownError) as info:
            client.place_order("BTCUSDT", "BUY", "MARKET", "0.001", client_order_id="lost-1")
        assert info.value.client_order_id == "lost-1"
        assert info.value.symbol == "BTCUSDT"
        assert "lost-1" in str(info.value)
        assert len(posts(fb, "lost-1")) == 1
        fb.faults.clear()
        # It was placed after all; the id finds it.
        assert client.get_order("BTCUSDT", client_order_id="lost-1").client_order_id == "lost-1"
    finally:
        client.close()


def test_not_found_within_the_bound_is_unknown_not_resent(fb: Any) -> None:
    client = fast_client(fb, reconcile_timeout=0.3)
    try:
        client.symbol_info("BTCUSDT")
        fb.faults.fail_next("/api/v3/order", method="POST", status=503, when="before")
        with pytest.raises(OrderStatusUnknownError) as info:
            client.place_order("BTCUSDT", "BUY", "MARKET", "0.001", client_order_id="gone-1")
        assert "not found" in str(info.value)
        assert len(posts(fb, "gone-1")) == 1
        assert on_exchange(fb, "gone-1") == []
        lookups = [
            r
            for r in fb.requests
            if r.method == "GET" and r.query.get("origClientOrderId") == "gone-1"
        ]
        assert len(lookups) >= 2  # looked up with backoff, not once
    finally:
        client.close()


def test_connection_refused_is_a_network_error_nothing_sent(fb: Any) -> None:
    client = fast_client(fb)
    client.symbol_info("BTCUSDT")
    url = fb.rest_url
    fb.stop()
    try:
        with pytest.raises(NetworkError) as info:
            client.place_order("BTCUSDT", "BUY", "MARKET", "0.001", client_order_id="down-1")
        assert "not sent" in str(info.value)
        assert not isinstance(info.value, OrderStatusUnknownError)
    finally:
        client.close()
        reset_rate_limits()
    assert url


def test_cancel_and_queries_retry_on_5xx(client: UserClient, fb: Any) -> None:
    fb.faults.fail_next("/api/v3/account", method="GET", status=502, mode="html", count=2)
    assert client.get_balances()
    fb.faults.fail_next("/api/v3/openOrders", method="GET", status=500, when="before")
    assert client.get_open_orders("BTCUSDT") == []
    with pytest.raises(OrderNotFoundError):
        client.cancel_order("BTCUSDT", client_order_id="does-not-exist")
