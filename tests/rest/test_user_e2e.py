"""UserClient against FakeBinance over loopback: every trading and account
call, clock skew, wrong secret, from_env, and one client in 8 threads."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from cryptoex import (
    AuthenticationError,
    ConfigurationError,
    InsufficientBalanceError,
    OrderNotFoundError,
    OrderRejectedError,
    OrderStatus,
    Side,
    UserClient,
    ValidationError,
)
from cryptoex._secrets import mask
from tests.helpers import LONG_TIMEOUT
from tests.rest.adapters import SmallPages


def below_market(client: UserClient, fb: Any, symbol: str = "BTCUSDT") -> Decimal:
    """A BUY price that rests on the book (80 % of the market, on the tick grid)."""
    return client.symbol_info(symbol).round_price(fb.price(symbol) * Decimal("0.8"), "down")


def fake_orders(fb: Any, coid: str) -> list[dict[str, Any]]:
    return [o for o in fb.orders() if o["clientOrderId"] == coid]


def order_posts(fb: Any) -> list[Any]:
    return [r for r in fb.requests if r.path == "/api/v3/order" and r.method == "POST"]


def test_place_get_cancel_a_limit_order(client: UserClient, fb: Any) -> None:
    price = below_market(client, fb)
    order = client.place_order(
        "BTCUSDT", side="BUY", type="LIMIT", quantity="0.001", price=price, client_order_id="my-1"
    )
    assert order.client_order_id == "my-1"
    assert order.status is OrderStatus.NEW
    assert order.side is Side.BUY
    assert order.price == price
    assert order.quantity == Decimal("0.001")
    assert len(fake_orders(fb, "my-1")) == 1
    # Sent in the form body, signed, never in the query.
    post = order_posts(fb)[-1]
    assert post.query == {}
    assert post.body["newClientOrderId"] == "my-1"
    assert "signature" in post.body
    assert post.body["quantity"] == "0.001"

    assert client.get_order("BTCUSDT", order_id=order.order_id).client_order_id == "my-1"
    assert client.get_order("BTCUSDT", client_order_id="my-1").order_id == order.order_id
    assert [o.order_id for o in client.get_open_orders("BTCUSDT")] == [order.order_id]
    assert order.order_id in [o.order_id for o in client.get_open_orders()]

    cancelled = client.cancel_order("BTCUSDT", client_order_id="my-1")
    assert cancelled.status is OrderStatus.CANCELED
    assert cancelled.client_order_id == "my-1"  # the order's id, not the cancel's
    assert client.get_open_orders("BTCUSDT") == []
    with pytest.raises(OrderNotFoundError):
        client.cancel_order("BTCUSDT", order_id=order.order_id)
    with pytest.raises(OrderNotFoundError):
        client.get_order("BTCUSDT", client_order_id="never-placed")


def test_generated_client_order_ids_and_cancel_by_id(client: UserClient, fb: Any) -> None:
    price = below_market(client, fb)
    order = client.place_order("BTCUSDT", "BUY", "LIMIT", 0.001, price)
    assert client._exchange.check_client_order_id(order.client_order_id)
    assert fake_orders(fb, order.client_order_id)
    cancelled = client.cancel_order("BTCUSDT", order_id=order.order_id)
    assert cancelled.client_order_id == order.client_order_id


def test_market_order_fills_and_shows_in_trades_and_balances(client: UserClient, fb: Any) -> None:
    before = client.get_balance("BTC").free
    order = client.place_order("BTCUSDT", side="BUY", type="MARKET", quantity="0.01")
    assert order.status is OrderStatus.FILLED
    assert order.executed_quantity == Decimal("0.01")
    assert order.fills
    assert client.get_balance("BTC").free > before
    fills = client.get_trades("BTCUSDT")
    assert fills
    assert {f.order_id for f in fills} == {order.order_id}
    assert client.get_trades("BTCUSDT", order_id=order.order_id)[0].order_id == order.order_id


def test_balances(client: UserClient) -> None:
    balances = client.get_balances()
    assets = {b.asset for b in balances}
    assert {"USDT", "BTC"} <= assets
    assert all(b.free + b.locked > 0 for b in balances)
    assert all(isinstance(b.free, Decimal) for b in balances)
    zero = client.get_balance("doge")
    assert (zero.asset, zero.free, zero.locked) == ("DOGE", Decimal(0), Decimal(0))
    assert client.get_account().can_trade


def test_cancel_all_orders(client: UserClient, fb: Any) -> None:
    price = below_market(client, fb)
    placed = {
        client.place_order("BTCUSDT", "BUY", "LIMIT", "0.001", price).client_order_id
        for _ in range(3)
    }
    cancelled = client.cancel_all_orders("BTCUSDT")
    assert {o.client_order_id for o in cancelled} == placed
    assert all(o.status is OrderStatus.CANCELED for o in cancelled)
    assert client.cancel_all_orders("BTCUSDT") == []


def test_order_history_pages(fb: Any) -> None:
    client = UserClient(fb.api_key, fb.api_secret, rest_url=fb.rest_url, exchange=SmallPages())
    try:
        price = below_market(client, fb)
        placed = [
            client.place_order("BTCUSDT", "BUY", "LIMIT", "0.001", price).order_id for _ in range(7)
        ]
        history = client.get_orders("BTCUSDT")
        assert [o.order_id for o in history] == placed
        assert [o.order_id for o in client.get_orders("BTCUSDT", limit=2)] == placed[-2:]
        start = datetime.now(timezone.utc) - timedelta(hours=1)
        ranged = client.get_orders("BTCUSDT", start=start)
        assert [o.order_id for o in ranged] == placed
        assert [o.order_id for o in client.get_orders("BTCUSDT", start=start, limit=4)] == placed[
            :4
        ]
        pages = [r for r in fb.requests if r.path == "/api/v3/allOrders"]
        assert len(pages) > 3  # it paged
    finally:
        client.close()


def test_trade_history_pages(fb: Any) -> None:
    client = UserClient(fb.api_key, fb.api_secret, rest_url=fb.rest_url, exchange=SmallPages())
    try:
        orders = [client.place_order("BTCUSDT", "BUY", "MARKET", "0.001") for _ in range(5)]
        fills = client.get_trades("BTCUSDT")
        assert {f.order_id for f in fills} == {o.order_id for o in orders}
        ids = [f.trade_id for f in fills]
        assert ids == sorted(set(ids))
        start = datetime.now(timezone.utc) - timedelta(hours=1)
        assert [f.trade_id for f in client.get_trades("BTCUSDT", start=start)] == ids
    finally:
        client.close()


def test_test_order_validates_without_placing(client: UserClient, fb: Any) -> None:
    price = below_market(client, fb)
    client.test_order("BTCUSDT", "BUY", "LIMIT", "0.001", price)
    assert fb.orders() == []
    assert [r for r in fb.requests if r.path == "/api/v3/order/test"]


def test_insufficient_balance_is_its_own_error(client: UserClient, fb: Any) -> None:
    with pytest.raises(InsufficientBalanceError) as info:
        client.place_order("BTCUSDT", "SELL", "MARKET", "50")
    assert info.value.code == -2010
    assert isinstance(info.value, OrderRejectedError)


def test_wrong_secret_is_an_authentication_error(fb: Any) -> None:
    client = UserClient(fb.api_key, "not-the-secret", rest_url=fb.rest_url)
    try:
        with pytest.raises(AuthenticationError) as info:
            client.get_balances()
        assert info.value.code == -1022
        with pytest.raises(AuthenticationError):
            client.place_order("BTCUSDT", "BUY", "MARKET", "0.001")
    finally:
        client.close()
    bad_key = UserClient("unknown-key-0000000000", fb.api_secret, rest_url=fb.rest_url)
    try:
        with pytest.raises(AuthenticationError):
            bad_key.get_open_orders()
    finally:
        bad_key.close()


@pytest.mark.parametrize("skew_ms", [10_000, -10_000])
def test_a_skewed_clock_still_trades(fb: Any, skew_ms: int) -> None:
    fb.faults.set_clock_offset(skew_ms)
    client = UserClient(fb.api_key, fb.api_secret, rest_url=fb.rest_url)
    try:
        order = client.place_order("BTCUSDT", "BUY", "MARKET", "0.001")
        assert order.status is OrderStatus.FILLED
        assert abs(client._clock.offset_ms - skew_ms) < 1000  # type: ignore[operator]
    finally:
        client.close()


def test_a_clock_jump_is_resynced_and_retried_once(client: UserClient, fb: Any) -> None:
    client.get_balances()  # offset measured (0)
    fb.faults.set_clock_offset(-10_000)
    assert client.get_balances()  # -1021, resync, retried
    order = client.place_order("BTCUSDT", "BUY", "MARKET", "0.001", client_order_id="after-jump")
    fb.faults.set_clock_offset(12_000)
    second = client.place_order("BTCUSDT", "BUY", "MARKET", "0.001", client_order_id="jump-2")
    assert order.client_order_id == "after-jump"
    assert second.client_order_id == "jump-2"
    assert len(fake_orders(fb, "jump-2")) == 1
    # -1021 was answered, the order looked up, and only then sent again.
    posts = [r for r in order_posts(fb) if r.body.get("newClientOrderId") == "jump-2"]
    lookups = [
        r
        for r in fb.requests
        if r.path == "/api/v3/order"
        and r.method == "GET"
        and r.query.get("origClientOrderId") == "jump-2"
    ]
    assert len(posts) == 2
    assert len(lookups) == 1
    assert posts[0].time < lookups[0].time < posts[1].time


def test_from_env(fb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BINANCE_API_KEY", fb.api_key)
    monkeypatch.delenv("BINANCE_API_SECRET", raising=False)
    with pytest.raises(ConfigurationError, match="BINANCE_API_SECRET"):
        UserClient.from_env(rest_url=fb.rest_url)
    monkeypatch.setenv("BINANCE_API_SECRET", fb.api_secret)
    monkeypatch.delenv("BINANCE_API_KEY")
    with pytest.raises(ConfigurationError, match="BINANCE_API_KEY"):
        UserClient.from_env(rest_url=fb.rest_url)
    monkeypatch.setenv("BINANCE_API_KEY", fb.api_key)
    monkeypatch.setenv("BINANCE_TESTNET", "1")
    client = UserClient.from_env(rest_url=fb.rest_url, name="env-user")
    try:
        assert client.testnet
        assert client.account == "env-user"
        assert client.get_balances()
    finally:
        client.close()


def test_account_label_and_semi_public_hooks(client: UserClient, fb: Any) -> None:
    assert client.account == mask(fb.api_key)
    assert client.ws_api_url == fb.ws_api_url
    assert client.recv_window == 5000
    signed = client._sign_ws({"a": 1})
    assert signed["apiKey"] == fb.api_key
    assert signed["a"] == 1
    assert abs(signed["timestamp"] - client._server_time_ms()) < 5000  # type: ignore[operator]
    assert len(str(signed["signature"])) == 64
    client._resync_clock()
    named = UserClient(fb.api_key, fb.api_secret, rest_url=fb.rest_url, name="alice")
    assert named.account == "alice"
    assert fb.api_key not in repr(named)
    named.close()


def test_constructor_checks() -> None:
    for key in ("", "with space", "clé", "tab\tkey"):
        with pytest.raises(ConfigurationError, match="api_key"):
            UserClient(key, "secret")
    with pytest.raises(ConfigurationError, match="api_secret"):
        UserClient("key", "  ")
    with pytest.raises(ConfigurationError, match="recv_window"):
        UserClient("key", "secret", recv_window=70_000)
    with pytest.raises(ConfigurationError, match="timeout"):
        UserClient("key", "secret", timeout=0)
    with pytest.raises(ConfigurationError, match="reconcile_timeout"):
        UserClient("key", "secret", reconcile_timeout=-1)
    with pytest.raises(ConfigurationError, match="name"):
        UserClient("key", "secret", name="")
    with pytest.raises(ConfigurationError, match="rest_url"):
        UserClient("key", "secret", rest_url="localhost")


def test_validation_errors_send_nothing(client: UserClient, fb: Any) -> None:
    client.symbol_info("BTCUSDT")
    fb.clear_requests()
    with pytest.raises(ValidationError) as info:
        client.place_order("BTCUSDT", "BUY", "LIMIT", "0.001")
    assert info.value.field == "price"
    with pytest.raises(ValidationError) as info:
        client.place_order("NOPEUSDT", "BUY", "MARKET", "1")
    assert info.value.field == "symbol"
    assert not order_posts(fb)


def test_one_client_eight_threads_no_lost_or_duplicated_order(client: UserClient, fb: Any) -> None:
    price = below_market(client, fb)
    results: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker(index: int) -> None:
        start.wait()
        for n in range(6):
            coid = f"t{index}-{n}"
            try:
                order = client.place_order(
                    "BTCUSDT", "BUY", "LIMIT", "0.001", price, client_order_id=coid
                )
            except BaseException as exc:  # collected and asserted below
                with lock:
                    errors.append(exc)
                continue
            with lock:
                results.append(order.client_order_id)

    threads = [
        threading.Thread(target=worker, args=(i,), name=f"test-orders-{i}") for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(LONG_TIMEOUT)
    assert errors == []
    expected = {f"t{i}-{n}" for i in range(8) for n in range(6)}
    assert sorted(results) == sorted(expected)
    on_exchange = [o["clientOrderId"] for o in fb.orders()]
    assert sorted(on_exchange) == sorted(expected)
