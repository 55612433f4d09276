"""Rare paths pinned with ``responses`` (single scripted answers): -1021 on an
order, duplicate ids on the resend, failures during reconciliation, cancel
retries, defaults when exchangeInfo cannot be read; and the exchangeInfo
cache under concurrency."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import responses

from cryptoex import (
    ExchangeUnavailableError,
    MarketClient,
    OrderStatusUnknownError,
    TimestampError,
    UserClient,
)
from cryptoex.models.symbols import ExchangeInfo
from cryptoex.rest import cache as cache_module
from cryptoex.rest.cache import ExchangeInfoCache
from cryptoex.rest.ratelimit import limiter_for
from tests.helpers import LONG_TIMEOUT, load_fixture
from tests.rest.adapters import SmallPages

BASE = "https://api.binance.com"
ORDER = f"{BASE}/api/v3/order"
TIMESTAMP = {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."}
NOT_FOUND = {"code": -2013, "msg": "Order does not exist."}
UNKNOWN = {"code": -2011, "msg": "Unknown order sent."}


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{BASE}/api/v3/exchangeInfo", json=load_fixture("rest/exchangeInfo.json"))
        rsps.get(f"{BASE}/api/v3/time", json={"serverTime": 1_780_000_000_000})
        yield rsps


@pytest.fixture
def client() -> Iterator[UserClient]:
    c = UserClient("k" * 64, "s" * 64, timeout=1.0, reconcile_timeout=0.2)
    yield c
    c.close()


def order_json(coid: str, status: str = "NEW") -> dict[str, Any]:
    data: dict[str, Any] = load_fixture("rest/query_order.json")
    data.update({"symbol": "BNBBTC", "clientOrderId": coid, "status": status})
    return data


def calls(mocked: responses.RequestsMock, method: str, url: str = ORDER) -> list[Any]:
    return [
        c
        for c in mocked.calls
        if c.request.method == method and str(c.request.url).split("?")[0] == url
    ]


def place(client: UserClient, coid: str) -> Any:
    return client.place_order("BNBBTC", "BUY", "LIMIT", "1", "0.1", client_order_id=coid)


def test_timestamp_error_then_found_by_lookup_is_not_resent(
    mocked: responses.RequestsMock, client: UserClient
) -> None:
    mocked.post(ORDER, json=TIMESTAMP, status=400)
    mocked.get(ORDER, json=order_json("ts-1"))
    assert place(client, "ts-1").client_order_id == "ts-1"
    assert len(calls(mocked, "POST")) == 1


def test_timestamp_error_resend_meets_duplicate_and_reconciles(
    mocked: responses.RequestsMock, client: UserClient
) -> None:
    mocked.post(ORDER, json=TIMESTAMP, status=400)
    mocked.post(ORDER, json={"code": -2010, "msg": "Duplicate order sent."}, status=400)
    mocked.get(ORDER, json=NOT_FOUND, status=400)
    mocked.get(ORDER, json=order_json("ts-2"))
    assert place(client, "ts-2").client_order_id == "ts-2"
    assert len(calls(mocked, "POST")) == 2


def test_timestamp_error_twice_is_raised(
    mocked: responses.RequestsMock, client: UserClient
) -> None:
    mocked.post(ORDER, json=TIMESTAMP, status=400)
    mocked.get(ORDER, json=NOT_FOUND, status=400)
    with pytest.raises(TimestampError):
        place(client, "ts-3")
    assert len(calls(mocked, "POST")) == 2


def test_timestamp_error_and_failed_lookup_is_not_resent(
    mocked: responses.RequestsMock, client: UserClient
) -> None:
    mocked.post(ORDER, json=TIMESTAMP, status=400)
    mocked.get(ORDER, json={"code": -1002, "msg": "You are not authorized."}, status=401)
    with pytest.raises(TimestampError) as info:
        place(client, "ts-4")
    assert "not placed" in str(info.value)
    assert len(calls(mocked, "POST")) == 1


def test_a_ban_during_reconciliation_is_status_unknown(
    mocked: responses.RequestsMock, client: UserClient
) -> None:
    mocked.post(ORDER, body="<html>bad gateway</html>", status=502)
    mocked.get(
        ORDER,
        json={"code": -1003, "msg": "Way too much request weight used."},
        status=418,
        headers={"Retry-After": "60"},
    )
    with pytest.raises(OrderStatusUnknownError) as info:
        place(client, "ban-1")
    assert info.value.client_order_id == "ban-1"
    assert "banned" in str(info.value).lower() or "418" in str(info.value)


def test_reconciliation_stops_when_the_client_closes(
    mocked: responses.RequestsMock,
) -> None:
    client = UserClient("k" * 64, "s" * 64, timeout=1.0, reconcile_timeout=30.0)
    mocked.post(ORDER, status=500, json={"code": -1000, "msg": "unknown"})
    mocked.get(ORDER, json=NOT_FOUND, status=400)
    raised: list[BaseException] = []

    def run() -> None:
        try:
            place(client, "close-1")
        except BaseException as exc:  # collected and asserted below
            raised.append(exc)

    thread = threading.Thread(target=run, name="test-reconcile")
    thread.start()
    assert _wait_for(lambda: len(calls(mocked, "GET")) >= 1)
    client._closing.set()
    thread.join(LONG_TIMEOUT)
    assert not thread.is_alive()
    assert isinstance(raised[0], OrderStatusUnknownError)
    client.close()


def test_cancel_gives_up_after_its_retries(
    mocked: responses.RequestsMock, client: UserClient
) -> None:
    for _ in range(3):
        mocked.delete(ORDER, status=503, body=b"")
    with pytest.raises(ExchangeUnavailableError):
        client.cancel_order("BNBBTC", order_id=1)
    assert len(calls(mocked, "DELETE")) == 3


def test_cancel_retry_finds_the_order_still_open(
    mocked: responses.RequestsMock, client: UserClient
) -> None:
    mocked.delete(ORDER, status=500, json={"code": -1000, "msg": "x"})
    mocked.delete(ORDER, status=400, json=UNKNOWN)
    mocked.get(ORDER, json=order_json("open-1", "NEW"))
    with pytest.raises(Exception, match="Unknown order"):
        client.cancel_order("BNBBTC", client_order_id="open-1")


def test_defaults_apply_when_exchange_info_cannot_be_read(mocked: responses.RequestsMock) -> None:
    mocked.replace(responses.GET, f"{BASE}/api/v3/exchangeInfo", status=403, body=b"blocked")
    market = MarketClient(timeout=1.0)
    try:
        assert market.server_time().year > 2000
        assert limiter_for(BASE).configured  # defaults in force, not asked again
        market.server_time()
        assert len(calls(mocked, "GET", f"{BASE}/api/v3/exchangeInfo")) == 1
    finally:
        market.close()


def test_klines_backwards_stops_on_a_short_page(mocked: responses.RequestsMock) -> None:
    row = [0, "1", "1", "1", "1", "1", 59_999, "1", 1, "1", "1", "0"]
    mocked.get(f"{BASE}/api/v3/klines", json=[row])
    market = MarketClient()
    try:
        assert len(market.klines("BTCUSDT", "1m", limit=2000)) == 1
        assert len(market.klines("BTCUSDT", "1m", end=59_999, limit=2000)) == 1
    finally:
        market.close()


def test_bad_answers_are_parse_errors(mocked: responses.RequestsMock, client: UserClient) -> None:
    from cryptoex import ParseError

    mocked.get(f"{BASE}/api/v3/openOrders", json={"not": "a list"})
    with pytest.raises(ParseError):
        client.get_open_orders()
    mocked.post(f"{BASE}/api/v3/order/test", json=[])
    with pytest.raises(ParseError):
        client._exchange.parse_rest("test_order", [])


def test_the_cache_loads_once_for_concurrent_callers() -> None:
    cache = ExchangeInfoCache()
    info = ExchangeInfo.from_dict(
        {"timezone": "UTC", "server_time": 0, "symbols": [], "rate_limits": []}
    )
    entered = threading.Event()
    release = threading.Event()
    loads: list[int] = []

    def load() -> ExchangeInfo:
        loads.append(1)
        entered.set()
        assert release.wait(LONG_TIMEOUT)
        return info

    results: list[ExchangeInfo] = []
    first = threading.Thread(target=lambda: results.append(cache.get(load, 60)), name="t-c1")
    first.start()
    assert entered.wait(LONG_TIMEOUT)
    second = threading.Thread(target=lambda: results.append(cache.get(load, 60)), name="t-c2")
    second.start()
    release.set()
    first.join(LONG_TIMEOUT)
    second.join(LONG_TIMEOUT)
    assert loads == [1]
    assert results == [info, info]
    assert cache.age() is not None
    assert "0 symbols" in repr(cache)


def test_an_unknown_symbol_refreshes_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ExchangeInfoCache()
    assert cache.age() is None
    loads: list[int] = []
    raw = load_fixture("rest/exchangeInfo.json")
    from cryptoex.exchanges import get_exchange

    def load() -> ExchangeInfo:
        loads.append(1)
        return get_exchange().parse_exchange_info(raw)

    assert cache.symbol("BNBBTC", load, 60) is not None
    assert cache.symbol("NEWCOIN", load, 60) is None  # too soon to read again
    monkeypatch.setattr(cache_module, "MIN_REFRESH_INTERVAL", 0.0)
    assert cache.symbol("NEWCOIN", load, 60) is None
    assert len(loads) == 2


def _wait_for(predicate: Any) -> bool:
    from tests.helpers import wait_until

    return wait_until(predicate)


def test_paging_stops_when_the_exchange_ignores_the_cursor(
    mocked: responses.RequestsMock,
) -> None:
    """A page that brings nothing new ends the paging instead of looping."""
    minute = 60_000
    rows = [
        [i * minute, "1", "1", "1", "1", "1", (i + 1) * minute - 1, "1", 1, "1", "1", "0"]
        for i in range(1000)
    ]
    mocked.get(f"{BASE}/api/v3/klines", json=rows)  # the same page whatever is asked
    market = MarketClient()
    try:
        assert len(market.klines("BTCUSDT", "1m", start=0)) == 1000
        assert len(market.klines("BTCUSDT", "1m", end=999 * minute, limit=3000)) == 1000
    finally:
        market.close()
    orders = [order_json(f"o{i}") | {"orderId": i, "time": i} for i in range(3)]
    mocked.get(f"{BASE}/api/v3/allOrders", json=orders)
    client = UserClient("k" * 64, "s" * 64, exchange=SmallPages())
    try:
        assert [o.order_id for o in client.get_orders("BNBBTC")] == [0, 1, 2]
        assert len(calls(mocked, "GET", f"{BASE}/api/v3/allOrders")) == 2
    finally:
        client.close()


def test_reconciliation_waits_for_budget_no_longer_than_its_bound(
    mocked: responses.RequestsMock, client: UserClient
) -> None:
    client.symbol_info("BNBBTC")
    client._server_time_ms()  # the clock offset is measured
    limiter = limiter_for(BASE)
    # 5999 of 6000 used: the order (weight 1) still goes, its lookups (4) cannot.
    limiter.settle(limiter.acquire(0, block=False), charged=True, used_weights={60: 5999})
    mocked.post(ORDER, status=500, json={"code": -1000, "msg": "unknown"})
    with pytest.raises(OrderStatusUnknownError) as info:
        place(client, "budget-1")
    assert "lookup failed" in str(info.value)
    assert calls(mocked, "GET") == []
