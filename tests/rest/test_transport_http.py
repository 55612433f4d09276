"""The exact shape of single requests (``responses``): bytes on the wire,
signing with Binance's published vectors, headers, and error translation."""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses

from cryptoex import (
    ExchangeUnavailableError,
    InvalidSymbolError,
    IPBannedError,
    RateLimitError,
)
from cryptoex._secrets import Secret
from cryptoex.exchanges import get_exchange
from cryptoex.exchanges.binance.endpoints import ENDPOINTS
from cryptoex.exchanges.binance.rest_api import RestCall
from cryptoex.rest.ratelimit import HostLimiter, order_budget_for, reset_rate_limits
from cryptoex.rest.transport import RequestError, Signer, Transport, Wire
from tests.helpers import LONG_TIMEOUT, load_fixture

BASE = "https://api.binance.com"
EXCHANGE = get_exchange()
VECTORS = load_fixture("signing/vectors.json")
KEY = VECTORS["hmac_example_key"]["apiKey"]
SECRET = VECTORS["hmac_example_key"]["secretKey"]
VECTOR_PARAMS: dict[str, object] = {
    "symbol": "LTCBTC",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": Decimal("1"),
    "price": Decimal("0.1"),
}


def vector(name: str) -> dict[str, Any]:
    return next(v for v in VECTORS["hmac_vectors"] if v["id"] == name)


@pytest.fixture
def transport() -> Iterator[Transport]:
    reset_rate_limits()
    t = Transport(BASE, EXCHANGE, HostLimiter(BASE, [(60, 6000, False)]), timeout=5.0)
    yield t
    t.close()
    reset_rate_limits()


def signer(timestamp: int = 1499827319559) -> Signer:
    return Signer(Secret(KEY), Secret(SECRET), EXCHANGE, lambda: timestamp, 5000)


def body_of(call: Any) -> str:
    body = call.request.body
    return body.decode("ascii") if isinstance(body, bytes) else body


@responses.activate
def test_official_vector_is_sent_byte_for_byte_in_the_body(transport: Transport) -> None:
    responses.post(f"{BASE}/api/v3/order", json={"orderId": 1})
    transport.send(RestCall(ENDPOINTS["order_new"], dict(VECTOR_PARAMS)), signer=signer())
    (call,) = responses.calls
    expected = vector("rest_hmac_ascii")
    assert body_of(call) == f"{expected['payload']}&signature={expected['signature']}"
    assert call.request.url == f"{BASE}/api/v3/order"  # nothing in the query
    assert call.request.headers["X-MBX-APIKEY"] == KEY
    assert call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"


@responses.activate
def test_non_ascii_symbol_is_percent_encoded_then_signed(transport: Transport) -> None:
    responses.post(f"{BASE}/api/v3/order", json={"orderId": 1})
    params = {**VECTOR_PARAMS, "symbol": "１２３４５６"}
    transport.send(RestCall(ENDPOINTS["order_new"], params), signer=signer())
    expected = vector("rest_hmac_unicode")
    assert body_of(responses.calls[0]) == (
        f"{expected['payload']}&signature={expected['signature']}"
    )


@responses.activate
def test_signed_get_carries_the_signature_in_the_query(transport: Transport) -> None:
    responses.get(f"{BASE}/api/v3/openOrders", json=[])
    transport.send(RestCall(ENDPOINTS["open_orders"], {"symbol": "BTCUSDT"}), signer=signer(42))
    (call,) = responses.calls
    payload = "symbol=BTCUSDT&recvWindow=5000&timestamp=42"
    signature = hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
    assert call.request.url == f"{BASE}/api/v3/openOrders?{payload}&signature={signature}"
    assert call.request.body is None
    assert call.request.headers["X-MBX-APIKEY"] == KEY


@responses.activate
def test_cancel_sends_its_parameters_in_the_body(transport: Transport) -> None:
    responses.delete(f"{BASE}/api/v3/order", json={})
    transport.send(
        RestCall(ENDPOINTS["order_cancel"], {"symbol": "BTCUSDT", "orderId": 7}), signer=signer(1)
    )
    body = body_of(responses.calls[0])
    assert body.startswith("symbol=BTCUSDT&orderId=7&recvWindow=5000&timestamp=1&signature=")
    assert responses.calls[0].request.url == f"{BASE}/api/v3/order"


@responses.activate
def test_numbers_are_fixed_point_never_exponents(transport: Transport) -> None:
    responses.post(f"{BASE}/api/v3/order", json={})
    params = {**VECTOR_PARAMS, "quantity": Decimal("1E-5"), "price": Decimal("5E+4")}
    transport.send(RestCall(ENDPOINTS["order_new"], params), signer=signer())
    body = body_of(responses.calls[0])
    assert "quantity=0.00001&price=50000&" in body
    assert "E" not in body.split("&signature=")[0].replace("BUY", "").replace("LIMIT", "")


@responses.activate
def test_public_get_has_no_key_and_no_signature(transport: Transport) -> None:
    responses.get(f"{BASE}/api/v3/depth", json={"lastUpdateId": 1, "bids": [], "asks": []})
    answer = transport.send(RestCall(ENDPOINTS["depth"], {"symbol": "BTCUSDT", "limit": 10}))
    assert answer.payload["lastUpdateId"] == 1
    (call,) = responses.calls
    assert call.request.url == f"{BASE}/api/v3/depth?symbol=BTCUSDT&limit=10"
    assert "X-MBX-APIKEY" not in call.request.headers


@responses.activate
def test_signed_endpoint_without_signer_is_refused(transport: Transport) -> None:
    with pytest.raises(RuntimeError, match="UserClient"):
        transport.send(RestCall(ENDPOINTS["account"], {}))
    assert not responses.calls


@responses.activate
def test_used_weight_headers_update_the_shared_budget(transport: Transport) -> None:
    responses.get(
        f"{BASE}/api/v3/time", json={"serverTime": 1}, headers={"X-MBX-USED-WEIGHT-1M": "77"}
    )
    transport.send(RestCall(ENDPOINTS["time"], {}))
    assert transport.limiter.budget.snapshot()["60s"] == (77, 6000)


@responses.activate
def test_successful_orders_cost_no_weight(transport: Transport) -> None:
    responses.post(f"{BASE}/api/v3/order", json={})
    responses.post(
        f"{BASE}/api/v3/order", json={"code": -2010, "msg": "Duplicate order sent."}, status=400
    )
    transport.send(RestCall(ENDPOINTS["order_new"], dict(VECTOR_PARAMS)), signer=signer())
    assert transport.limiter.budget.snapshot()["60s"] == (0, 6000)
    with pytest.raises(Exception, match="Duplicate"):
        transport.send(RestCall(ENDPOINTS["order_new"], dict(VECTOR_PARAMS)), signer=signer())
    assert transport.limiter.budget.snapshot()["60s"] == (1, 6000)  # failures cost weight


@responses.activate
def test_exchange_errors_are_mapped(transport: Transport) -> None:
    responses.get(
        f"{BASE}/api/v3/depth", json={"code": -1121, "msg": "Invalid symbol."}, status=400
    )
    with pytest.raises(InvalidSymbolError) as info:
        transport.send(RestCall(ENDPOINTS["depth"], {"symbol": "NOPE"}))
    assert (info.value.status, info.value.code) == (400, -1121)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (502, b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
        (200, b"<html>captive portal</html>"),
        (200, b""),
        (503, b""),
    ],
)
@responses.activate
def test_unexpected_bodies_are_exchange_unavailable(
    transport: Transport, status: int, body: bytes
) -> None:
    responses.get(f"{BASE}/api/v3/time", body=body, status=status, content_type="text/html")
    with pytest.raises(ExchangeUnavailableError) as info:
        transport.send(RestCall(ENDPOINTS["time"], {}))
    assert info.value.status == status
    assert info.value.__cause__ is None


@responses.activate
def test_429_non_blocking_raises_and_backs_off_every_client(transport: Transport) -> None:
    responses.get(
        f"{BASE}/api/v3/time",
        json={"code": -1003, "msg": "Too much request weight used"},
        status=429,
        headers={"Retry-After": "30"},
    )
    with pytest.raises(RateLimitError) as info:
        transport.send(RestCall(ENDPOINTS["time"], {}), block=False)
    assert info.value.retry_after == 30.0
    assert info.value.status == 429
    # The back-off is shared: the next call is refused locally, not sent.
    with pytest.raises(RateLimitError) as again:
        transport.send(RestCall(ENDPOINTS["time"], {}), block=False)
    assert again.value.status is None
    assert again.value.retry_after == pytest.approx(30.0, abs=1.0)
    assert len(responses.calls) == 1


@responses.activate
def test_429_blocking_waits_and_sends_again(transport: Transport) -> None:
    responses.get(
        f"{BASE}/api/v3/time",
        json={"code": -1003, "msg": "Too much request weight used"},
        status=429,
        headers={"Retry-After": "0"},
    )
    responses.get(f"{BASE}/api/v3/time", json={"serverTime": 5})
    assert transport.send(RestCall(ENDPOINTS["time"], {})).payload == {"serverTime": 5}
    assert len(responses.calls) == 2


@responses.activate
def test_429_on_orders_backs_off_the_account_not_the_ip(transport: Transport) -> None:
    reset_rate_limits()
    orders = order_budget_for(KEY)
    responses.post(
        f"{BASE}/api/v3/order",
        json={"code": -1015, "msg": "Too many new orders."},
        status=429,
        headers={"Retry-After": "10"},
    )
    with pytest.raises(RateLimitError):
        transport.send(
            RestCall(ENDPOINTS["order_new"], dict(VECTOR_PARAMS)),
            signer=signer(),
            order_budget=orders,
            block=False,
        )
    assert orders.try_reserve(1)[0] is None
    assert transport.limiter.budget.try_reserve(1)[0] is not None


@responses.activate
def test_418_bans_the_host_until_the_end(transport: Transport) -> None:
    responses.get(
        f"{BASE}/api/v3/time",
        json={
            "code": -1003,
            "msg": "Way too much request weight used; IP banned until 4102444800000.",
        },
        status=418,
        headers={"Retry-After": "120"},
    )
    with pytest.raises(IPBannedError) as info:
        transport.send(RestCall(ENDPOINTS["time"], {}))
    until = info.value.until
    assert until is not None
    assert until.year == 2100
    with pytest.raises(IPBannedError) as again:
        transport.send(RestCall(ENDPOINTS["time"], {}))
    assert again.value.until == until
    assert len(responses.calls) == 1  # nothing sent during the ban


@pytest.mark.parametrize(
    ("exc", "maybe_sent", "text"),
    [
        (requests.ConnectTimeout("x"), False, "could not connect"),
        (requests.ReadTimeout("x"), True, "timed out"),
        (requests.ConnectionError("x"), True, "connection dropped"),
        (requests.TooManyRedirects("x"), True, "request failed"),
        (ConnectionResetError("x"), True, "request failed"),
        (UnicodeEncodeError("latin-1", "é", 0, 1, "x"), True, "request failed"),
    ],
)
@responses.activate
def test_network_errors_are_translated_without_chaining(
    transport: Transport, exc: Exception, maybe_sent: bool, text: str
) -> None:
    responses.get(f"{BASE}/api/v3/openOrders", body=exc)
    with pytest.raises(RequestError) as info:
        transport.send(RestCall(ENDPOINTS["open_orders"], {}), signer=signer())
    assert info.value.maybe_sent is maybe_sent
    assert text in str(info.value)
    assert "signature" not in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__context__ is None


def test_sessions_are_per_thread_and_closed(transport: Transport) -> None:
    main = transport.session()
    assert transport.session() is main
    others: list[requests.Session] = []
    thread = threading.Thread(target=lambda: others.append(transport.session()), name="t-s")
    thread.start()
    thread.join(LONG_TIMEOUT)
    assert others[0] is not main
    closed: list[requests.Session] = []
    original = requests.Session.close

    def spy(self: requests.Session) -> None:
        closed.append(self)
        original(self)

    requests.Session.close = spy  # type: ignore[method-assign]
    try:
        # A new thread's session closes the finished thread's one.
        thread = threading.Thread(target=transport.session, name="t-s2")
        thread.start()
        thread.join(LONG_TIMEOUT)
        assert others[0] in closed
        transport.close()
        assert main in closed
    finally:
        requests.Session.close = original  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="closed"):
        threading.Thread(target=transport.session).run()


def test_wire_and_signer_reprs_hide_secrets() -> None:
    s = signer()
    text = repr(s) + repr(s.headers) + repr(s.sign({"symbol": "X"}))
    assert SECRET not in text
    assert KEY not in text
    assert s.masked_key in text
    assert repr(Wire("a=1", False)) == "Wire('a=1')"
