"""Models: immutability, exact ``to_dict``/``to_json`` round trips with
fixed-point Decimals, convenience properties and exports."""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cryptoex
from cryptoex import models
from cryptoex.enums import OrderStatus, Side
from cryptoex.exchanges.binance import parse
from cryptoex.models import (
    AccountInfo,
    AccountUpdate,
    AggTrade,
    AvgPrice,
    Balance,
    BalanceUpdate,
    BlockTrade,
    BookTicker,
    CommissionRates,
    DepthUpdate,
    ExternalLockUpdate,
    Fill,
    Kline,
    ListStatus,
    ListStatusOrder,
    MiniTicker,
    Model,
    Order,
    OrderBookLevel,
    OrderUpdate,
    PartialDepth,
    PriceTicker,
    RateLimitUsage,
    ReferencePrice,
    RollingWindowTicker,
    Ticker,
    Trade,
)

UTC = timezone.utc

#: The models this module owns (symbols.py's are tested with the filters).
MODELS: list[type[Model]] = [
    AccountInfo,
    AccountUpdate,
    AggTrade,
    AvgPrice,
    Balance,
    BalanceUpdate,
    BlockTrade,
    BookTicker,
    CommissionRates,
    DepthUpdate,
    ExternalLockUpdate,
    Fill,
    Kline,
    ListStatus,
    ListStatusOrder,
    MiniTicker,
    Order,
    OrderBookLevel,
    OrderUpdate,
    PartialDepth,
    PriceTicker,
    RateLimitUsage,
    ReferencePrice,
    RollingWindowTicker,
    Ticker,
    Trade,
]

#: The models API.md names; each must be importable from ``cryptoex``.
API_MODELS = [
    "Ticker",
    "MiniTicker",
    "BookTicker",
    "Trade",
    "AggTrade",
    "Kline",
    "PartialDepth",
    "DepthUpdate",
    "OrderBookLevel",
    "Order",
    "Fill",
    "Balance",
    "AccountInfo",
    "SymbolInfo",
    "OrderUpdate",
    "BalanceUpdate",
    "AccountUpdate",
]

# --------------------------------------------------------------------------
# A strategy for any model, from its type hints
# --------------------------------------------------------------------------

finite_decimals = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False),
    st.sampled_from(["1E-7", "0.00000010", "0E-8", "-0", "1E+3", "123456789.123456789"]).map(
        Decimal
    ),
)
utc_datetimes = st.datetimes(timezones=st.just(UTC))
#: Enum values cryptoex does not know yet (digits keep them apart from real ones).
unknown_enum_values = st.from_regex(r"\A[A-Z]{3,8}_9[0-9]\Z")


def for_type(tp: Any) -> st.SearchStrategy[Any]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(for_type(arg) for arg in typing.get_args(tp)))
    if origin is tuple:
        item, _ = typing.get_args(tp)
        return st.lists(for_type(item), max_size=3).map(tuple)
    if tp is type(None):
        return st.none()
    if tp is Decimal:
        return finite_decimals
    if tp is datetime:
        return utc_datetimes
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(min_value=-(2**63), max_value=2**64)
    if tp is str:
        return st.text(max_size=20)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from(list(tp)) | unknown_enum_values.map(tp)
    if isinstance(tp, type) and issubclass(tp, Model):
        return model_of(tp)
    raise AssertionError(f"no strategy for {tp!r}")


def model_of(cls: type[Model]) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls)
    return st.builds(cls, **{f.name: for_type(hints[f.name]) for f in dataclasses.fields(cls)})


def decimal_strings(value: Any) -> list[str]:
    """Every string in a ``to_dict`` result (money is encoded as strings)."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in decimal_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in decimal_strings(v)]
    return [value] if isinstance(value, str) else []


@pytest.mark.parametrize("cls", MODELS, ids=lambda cls: cls.__name__)
@settings(max_examples=30)  # per model class: ~800 generated models in all
@given(data=st.data())
def test_round_trips_exactly(cls: type[Model], data: st.DataObject) -> None:
    model = data.draw(model_of(cls))
    as_dict = model.to_dict()
    assert cls.from_dict(as_dict) == model
    assert cls.from_json(model.to_json()) == model
    assert cls.from_dict(json.loads(model.to_json())) == model
    # Money is written fixed-point: no exponent anywhere in the output.
    for field in dataclasses.fields(model):
        value = getattr(model, field.name)
        if isinstance(value, Decimal):
            text = as_dict[field.name]
            assert "E" not in text
            assert "e" not in text
            assert Decimal(text) == value


def test_decimals_come_out_fixed_point_with_their_zeros() -> None:
    trade = Trade(
        symbol="BTCUSDT",
        trade_id=1,
        price=Decimal("1E-7"),
        quantity=Decimal("0.00000010"),
        trade_time=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        is_buyer_maker=False,
    )
    assert trade.to_dict()["price"] == "0.0000001"
    assert trade.to_dict()["quantity"] == "0.00000010"
    assert json.loads(trade.to_json())["quantity"] == "0.00000010"
    assert trade.to_dict()["trade_time"] == "2026-01-02T03:04:05.678000+00:00"
    back = Trade.from_json(trade.to_json())
    assert back.quantity.as_tuple() == Decimal("0.00000010").as_tuple()
    assert back.trade_time.tzinfo is not None


def test_nested_models_round_trip() -> None:
    order = parse.parse_order(
        {
            "symbol": "BTCUSDT",
            "orderId": 1,
            "clientOrderId": "a",
            "status": "FILLED",
            "side": "BUY",
            "executedQty": "2",
            "cummulativeQuoteQty": "3.5",
            "fills": [
                {
                    "price": "1.5",
                    "qty": "1",
                    "commission": "0.001",
                    "commissionAsset": "BNB",
                    "tradeId": 7,
                },
                {
                    "price": "2",
                    "qty": "1",
                    "commission": "0.001",
                    "commissionAsset": "BNB",
                    "tradeId": 8,
                },
            ],
        }
    )
    as_dict: Any = order.to_dict()
    assert as_dict["fills"][0]["price"] == "1.5"
    assert as_dict["side"] == "BUY" or as_dict["side"] is Side.BUY
    assert Order.from_dict(as_dict) == order
    assert Order.from_json(order.to_json()).fills[1].trade_id == 8
    assert order.average_price == Decimal("1.75")
    assert order.is_open is False


def test_models_are_frozen_and_hashable() -> None:
    level = OrderBookLevel(Decimal("1.5"), Decimal("2"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        level.price = Decimal(3)  # type: ignore[misc]
    assert hash(level) == hash(OrderBookLevel(price=Decimal("1.50"), quantity=Decimal("2")))
    assert {level, OrderBookLevel(Decimal("1.5"), Decimal("2"))} == {level}


def test_small_value_models_take_positional_arguments() -> None:
    assert OrderBookLevel(Decimal(1), Decimal(2)) == OrderBookLevel(
        price=Decimal(1), quantity=Decimal(2)
    )
    balance = Balance("BTC", Decimal("1.5"), Decimal("0.25"))
    assert balance == Balance(asset="BTC", free=Decimal("1.5"), locked=Decimal("0.25"))
    assert balance.total == Decimal("1.75")
    with pytest.raises(TypeError):
        Ticker("BTCUSDT")  # type: ignore[call-arg]  # keyword-only


def test_optional_fields_default_to_none() -> None:
    order = Order(symbol="BTCUSDT", order_id=1, client_order_id="x")
    assert order.price is None
    assert order.status is None
    assert order.fills == ()
    assert order.average_price is None
    assert order.is_open is None
    assert Order(
        symbol="X",
        order_id=1,
        client_order_id="x",
        status=OrderStatus.NEW,
        executed_quantity=Decimal(0),
        cumulative_quote_quantity=Decimal(0),
    ).is_open


def test_depth_best_levels() -> None:
    empty = PartialDepth(symbol="BTCUSDT", last_update_id=1)
    assert empty.best_bid is None
    assert empty.best_ask is None
    book = PartialDepth(
        symbol="BTCUSDT",
        last_update_id=2,
        bids=(OrderBookLevel(Decimal(10), Decimal(1)), OrderBookLevel(Decimal(9), Decimal(1))),
        asks=(OrderBookLevel(Decimal(11), Decimal(2)),),
    )
    assert book.best_bid == OrderBookLevel(Decimal(10), Decimal(1))
    assert book.best_ask == OrderBookLevel(Decimal(11), Decimal(2))


def test_account_balance_lookup() -> None:
    account = AccountInfo(
        account_type="SPOT",
        can_trade=True,
        can_withdraw=False,
        can_deposit=True,
        maker_commission=10,
        taker_commission=10,
        buyer_commission=0,
        seller_commission=0,
        update_time=datetime(2026, 1, 1, tzinfo=UTC),
        balances=(Balance("BTC", Decimal("0.5"), Decimal("0.1")),),
    )
    assert account.balance("btc").total == Decimal("0.6")
    assert account.balance("ETH") == Balance("ETH", Decimal(0), Decimal(0))


def test_html_table_for_notebooks() -> None:
    update = parse.parse_depth_update(
        {
            "e": "depthUpdate",
            "E": 1672515782136,
            "s": "BNBBTC",
            "U": 157,
            "u": 160,
            "b": [["0.0024", "10"]],
            "a": [["1E-7", "100"]],
        }
    )
    html = update._repr_html_()
    assert "<caption>DepthUpdate</caption>" in html
    assert "2022-12-31T19:43:02.136000+00:00" in html
    assert "first_update_id" in html


def test_every_api_model_is_exported() -> None:
    for name in API_MODELS:
        assert getattr(cryptoex, name) is getattr(models, name)
        assert name in cryptoex.__all__
    for cls in MODELS:
        assert getattr(models, cls.__name__) is cls
        assert cls.__name__ in models.__all__


def test_every_public_name_is_documented() -> None:
    for cls in MODELS:
        assert (cls.__doc__ or "").strip(), cls
    for name in parse.__all__:
        obj = getattr(parse, name)
        if callable(obj) and name.startswith("parse_"):
            doc = obj.__doc__ or ""
            assert ":raises ParseError:" in doc, name
