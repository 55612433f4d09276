"""The REST part of the exchange adapter: operations -> endpoint + wire names."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cryptoex import OrderRejectedError, ParseError, ValidationError
from cryptoex._secrets import Secret
from cryptoex.enums import OrderType, Side
from cryptoex.exchanges import get_exchange
from cryptoex.exchanges.base import Exchange
from tests.helpers import load_fixture

EXCHANGE = get_exchange()


def test_the_adapter_still_satisfies_the_protocol() -> None:
    assert isinstance(EXCHANGE, Exchange)


def test_place_order_names_and_full_response() -> None:
    call = EXCHANGE.rest_call(
        "place_order",
        symbol="BTCUSDT",
        side=Side.BUY,
        type=OrderType.LIMIT,
        time_in_force=None,
        quantity=Decimal("1"),
        price=Decimal("2"),
        client_order_id="abc",
    )
    assert call.endpoint.path == "/api/v3/order"
    assert call.endpoint.method == "POST"
    assert call.endpoint.places_order
    assert call.params == {
        "symbol": "BTCUSDT",
        "side": Side.BUY,
        "type": OrderType.LIMIT,
        "quantity": Decimal("1"),
        "price": Decimal("2"),
        "newClientOrderId": "abc",
        "newOrderRespType": "FULL",
    }


@pytest.mark.parametrize("operation", ["cancel_order", "get_order"])
def test_lookups_by_client_id_use_orig_client_order_id(operation: str) -> None:
    call = EXCHANGE.rest_call(operation, symbol="X", client_order_id="abc")
    assert call.params == {"symbol": "X", "origClientOrderId": "abc"}


def test_paging_names_and_limits() -> None:
    call = EXCHANGE.rest_call("all_orders", symbol="X", start_ms=1, end_ms=2, from_order_id=5)
    assert call.params == {"symbol": "X", "startTime": 1, "endTime": 2, "orderId": 5}
    assert EXCHANGE.rest_call("my_trades", symbol="X", from_id=3).params["fromId"] == 3
    assert EXCHANGE.max_limit("klines") == 1000
    assert EXCHANGE.max_limit("order_book") == 5000
    assert EXCHANGE.max_limit("ticker") is None
    assert EXCHANGE.max_span_ms("all_orders") == 86_400_000
    assert EXCHANGE.max_span_ms("klines") is None


def test_unknown_operations_and_arguments_are_bugs() -> None:
    with pytest.raises(ValueError, match="operation"):
        EXCHANGE.rest_call("withdraw")
    with pytest.raises(ValueError, match="argument"):
        EXCHANGE.rest_call("ticker", symbol="X", colour="red")


def test_client_order_ids() -> None:
    generated = EXCHANGE.new_client_order_id()
    assert EXCHANGE.check_client_order_id(generated) == generated
    assert len(generated) <= 36
    with pytest.raises(ValidationError) as info:
        EXCHANGE.check_client_order_id("bad id!")
    assert info.value.field == "client_order_id"
    assert info.value.allowed is not None


def test_duplicates_and_server_time() -> None:
    assert EXCHANGE.is_duplicate_order(OrderRejectedError(400, -2010, "Duplicate order sent."))
    assert not EXCHANGE.is_duplicate_order(OrderRejectedError(400, -2010, "Market is closed."))
    assert EXCHANGE.parse_rest("server_time", load_fixture("rest/time.json")) > 0
    bad: object
    for bad in ({}, {"serverTime": "1"}, [], {"serverTime": True}):
        with pytest.raises(ParseError):
            EXCHANGE.parse_rest("server_time", bad)


def test_timing_auth_and_usage() -> None:
    assert EXCHANGE.timing_params(5, 5000) == {"recvWindow": 5000, "timestamp": 5}
    assert EXCHANGE.auth_headers("k") == {"X-MBX-APIKEY": "k"}
    weights, orders = EXCHANGE.rate_limit_usage(
        {"X-MBX-USED-WEIGHT-1M": "10", "x-mbx-order-count-10s": "2", "Other": "1"}
    )
    assert weights == {60: 10}
    assert orders == {10: 2}
    kinds = {r.rate_limit_type for r in EXCHANGE.default_rate_limits}
    assert kinds == {"REQUEST_WEIGHT", "RAW_REQUESTS", "ORDERS"}
    assert EXCHANGE.max_recv_window_ms == 60000


def test_environment_helpers() -> None:
    assert EXCHANGE.credentials_from_env({"BINANCE_API_KEY": "k", "BINANCE_API_SECRET": "s"}) == (
        "k",
        "s",
    )
    assert EXCHANGE.env_testnet({"BINANCE_TESTNET": "1"})
    assert not EXCHANGE.env_testnet({})


def test_ws_api_signing_reproduces_the_published_vector() -> None:
    vectors = load_fixture("signing/vectors.json")
    key = vectors["hmac_example_key"]
    logon = next(v for v in vectors["hmac_vectors"] if v["id"] == "wsapi_session_logon_example")
    signed = EXCHANGE.sign_ws_request(
        key["apiKey"], Secret(key["secretKey"]), {}, timestamp_ms=1649729878532
    )
    assert signed == {
        "apiKey": key["apiKey"],
        "timestamp": 1649729878532,
        "signature": logon["signature"],
    }
    with_window = EXCHANGE.sign_ws_request(
        key["apiKey"], Secret(key["secretKey"]), {}, timestamp_ms=1, recv_window=5000
    )
    assert with_window["recvWindow"] == 5000
    assert list(with_window)[-1] == "signature"
