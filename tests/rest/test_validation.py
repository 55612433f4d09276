"""Argument checks before any request (no network)."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cryptoex import ConfigurationError, OrderType, Side, TimeInForce, ValidationError
from cryptoex.enums import KlineInterval
from cryptoex.exchanges import get_exchange
from cryptoex.rest import validation as v

EXCHANGE = get_exchange()


def order(**kwargs: Any) -> v.OrderRequest:
    args: dict[str, Any] = {"symbol": "btcusdt", "side": "BUY", "type": "LIMIT"}
    args.update(kwargs)
    return v.check_order(
        **args,
        new_client_order_id=EXCHANGE.new_client_order_id,
        check_client_order_id=EXCHANGE.check_client_order_id,
    )


def test_a_limit_order_is_normalised() -> None:
    req = order(side="buy", quantity=0.001, price="50000", client_order_id="my-1")
    assert req.symbol == "BTCUSDT"
    assert req.side is Side.BUY
    assert req.type is OrderType.LIMIT
    assert req.time_in_force is TimeInForce.GTC  # default for LIMIT
    assert req.quantity == Decimal("0.001")  # float through str()
    assert req.price == Decimal("50000")
    assert req.client_order_id == "my-1"
    assert req.call_args()["client_order_id"] == "my-1"


def test_a_client_order_id_is_generated() -> None:
    ids = {order(quantity=1, price=1).client_order_id for _ in range(50)}
    assert len(ids) == 50
    for coid in ids:
        assert EXCHANGE.check_client_order_id(coid) == coid
        assert len(coid) <= 36


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"side": "HOLD", "quantity": 1, "price": 1}, "side"),
        ({"type": "LIMIT_ORDER", "quantity": 1, "price": 1}, "type"),
        ({"quantity": 1, "price": 1, "time_in_force": "GTX"}, "time_in_force"),
        ({"quantity": 1}, "price"),
        ({"type": "LIMIT_MAKER", "quantity": 1}, "price"),
        ({"quantity": 0, "price": 1}, "quantity"),
        ({"quantity": "-1", "price": 1}, "quantity"),
        ({"quantity": "abc", "price": 1}, "quantity"),
        ({"quantity": True, "price": 1}, "quantity"),
        ({"quantity": float("nan"), "price": 1}, "quantity"),
        ({"quantity": 1, "price": 0}, "price"),
        ({"price": 1}, "quantity"),
        ({"type": "MARKET", "quantity": 1, "price": 1}, "price"),
        ({"type": "MARKET", "quantity": 1, "time_in_force": "GTC"}, "time_in_force"),
        ({"type": "MARKET"}, "quantity"),
        ({"type": "MARKET", "quantity": 1, "quote_quantity": 10}, "quantity"),
        ({"quantity": 1, "price": 1, "quote_quantity": 10}, "quote_quantity"),
        ({"type": "STOP_LOSS", "quantity": 1}, "stop_price"),
        ({"type": "STOP_LOSS_LIMIT", "quantity": 1, "price": 1}, "stop_price"),
        ({"quantity": 1, "price": 1, "stop_price": 1}, "stop_price"),
        ({"quantity": 1, "price": 1, "client_order_id": "has space"}, "client_order_id"),
        ({"quantity": 1, "price": 1, "client_order_id": "x" * 37}, "client_order_id"),
        ({"quantity": 1, "price": 1, "client_order_id": ""}, "client_order_id"),
        ({"quantity": 1, "price": 1, "iceberg_quantity": 2}, "iceberg_quantity"),
        (
            {"quantity": 2, "price": 1, "iceberg_quantity": 1, "time_in_force": "IOC"},
            "time_in_force",
        ),
        ({"type": "MARKET", "quantity": 2, "iceberg_quantity": 1}, "iceberg_quantity"),
        ({"symbol": "", "quantity": 1, "price": 1}, "symbol"),
        ({"symbol": "BTC USDT", "quantity": 1, "price": 1}, "symbol"),
        ({"symbol": 42, "quantity": 1, "price": 1}, "symbol"),
    ],
)
def test_each_rule_names_its_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        order(**kwargs)
    assert info.value.field == field
    assert field in str(info.value)


def test_order_types_and_their_fields() -> None:
    market = order(type="MARKET", quote_quantity="100")
    assert market.quantity is None
    assert market.quote_quantity == Decimal("100")
    assert market.time_in_force is None
    stop = order(type="STOP_LOSS_LIMIT", quantity=1, price=10, stop_price=11, time_in_force="FOK")
    assert stop.time_in_force is TimeInForce.FOK
    assert stop.stop_price == Decimal(11)
    maker = order(type="LIMIT_MAKER", quantity=2, price=1, iceberg_quantity=1)
    assert maker.time_in_force is None
    assert maker.iceberg_quantity == Decimal(1)
    take = order(type="TAKE_PROFIT", side=Side.SELL, quantity=1, stop_price=5)
    assert take.price is None


@given(st.decimals(allow_nan=False, allow_infinity=False, places=8))
def test_quantities_are_accepted_in_every_input_form(value: Decimal) -> None:
    if value <= 0:
        with pytest.raises(ValidationError):
            v.check_positive_number(value, "quantity")
        return
    for form in (value, str(value), format(value, "f")):
        assert v.check_positive_number(form, "quantity") == value


@given(st.floats(min_value=1e-8, max_value=1e9, allow_nan=False))
def test_floats_go_through_str(value: float) -> None:
    assert v.check_positive_number(value, "price") == Decimal(str(value))


def test_limits_times_and_refs() -> None:
    assert v.check_limit(None) is None
    assert v.check_limit(5, maximum=10) == 5
    for bad in (0, -1, True, 1.5, "5"):
        with pytest.raises(ValidationError):
            v.check_limit(bad)
    with pytest.raises(ValidationError) as info:
        v.check_limit(11, maximum=10)
    assert info.value.allowed == "1..10"
    stamp = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert v.check_time(stamp, "start") == 1767225600000
    assert v.check_time(datetime(2026, 1, 1), "start") == 1767225600000  # naive = UTC
    assert v.check_time(5, "end") == 5
    assert v.check_time(None, "end") is None
    for bad in ("2026-01-01", 1.5, True, -1):
        with pytest.raises(ValidationError):
            v.check_time(bad, "start")
    v.check_range(1, 2)
    v.check_range(None, 2)
    with pytest.raises(ValidationError):
        v.check_range(3, 2)
    assert v.check_order_ref(5, None) == (5, None)
    assert v.check_order_ref(None, "abc") == (None, "abc")
    for ref in ((None, None), (1, "a"), (-1, None), (True, None), (None, ""), (None, 5)):
        with pytest.raises(ValidationError):
            v.check_order_ref(*ref)
    assert v.check_interval("1m") is KlineInterval.MINUTE_1
    with pytest.raises(ValidationError):
        v.check_interval("7m")
    assert v.check_asset(" btc ") == "BTC"


def test_configuration_checks() -> None:
    assert v.check_recv_window(5000, 60000) == 5000
    assert v.check_recv_window(6000.5, 60000) == 6000.5
    for bad in (0, 60001, True, "5000", -1):
        with pytest.raises(ConfigurationError, match="recv_window"):
            v.check_recv_window(bad, 60000)
    assert v.check_timeout(3) == 3.0
    for wrong in (0, -1, True, "3", None):
        with pytest.raises(ConfigurationError, match="timeout"):
            v.check_timeout(wrong)
