"""exchangeInfo parsing, order checks against filters, tick/step rounding."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cryptoex import ParseError, ValidationError
from cryptoex.enums import OrderType, Side, SymbolStatus
from cryptoex.exchanges.binance.filters import (
    parse_exchange_info,
    parse_filter,
    parse_rate_limit,
    parse_symbol_info,
    validate_order,
)
from cryptoex.models.symbols import (
    ExchangeInfo,
    LotSizeFilter,
    MarketLotSizeFilter,
    NotionalFilter,
    PriceFilter,
    SymbolInfo,
    UnknownFilter,
    round_to_step,
)
from tests.helpers import FIXTURES, load_fixture

FILTER_FILES = sorted((FIXTURES / "rest" / "filters").glob("*.json"))
RATE_LIMIT_FILES = sorted((FIXTURES / "rest" / "rateLimits").glob("*.json"))

_CAMEL_TO_FIELD = {
    "minPrice": "min_price",
    "maxPrice": "max_price",
    "tickSize": "tick_size",
    "minQty": "min_qty",
    "maxQty": "max_qty",
    "stepSize": "step_size",
    "minNotional": "min_notional",
    "maxNotional": "max_notional",
    "applyToMarket": "apply_to_market",
    "applyMinToMarket": "apply_min_to_market",
    "applyMaxToMarket": "apply_max_to_market",
    "avgPriceMins": "avg_price_mins",
    "multiplierUp": "multiplier_up",
    "multiplierDown": "multiplier_down",
    "bidMultiplierUp": "bid_multiplier_up",
    "bidMultiplierDown": "bid_multiplier_down",
    "askMultiplierUp": "ask_multiplier_up",
    "askMultiplierDown": "ask_multiplier_down",
    "limit": "limit",
    "maxNumOrders": "max_num_orders",
    "maxNumAlgoOrders": "max_num_algo_orders",
    "maxNumIcebergOrders": "max_num_iceberg_orders",
    "maxPosition": "max_position",
    "minTrailingAboveDelta": "min_trailing_above_delta",
    "maxTrailingAboveDelta": "max_trailing_above_delta",
    "minTrailingBelowDelta": "min_trailing_below_delta",
    "maxTrailingBelowDelta": "max_trailing_below_delta",
}


@pytest.mark.parametrize("path", FILTER_FILES, ids=lambda p: p.stem)
def test_every_filter_fixture_parses_exactly(path: Path) -> None:
    raw = load_fixture(f"rest/filters/{path.name}")
    flt = parse_filter(raw)
    assert flt.filter_type == raw["filterType"]
    if isinstance(flt, UnknownFilter):
        # exchange-level and newer filters keep their raw parameters
        assert flt.params == {k: v for k, v in raw.items() if k != "filterType"}
        return
    for key, value in raw.items():
        if key == "filterType":
            continue
        got = getattr(flt, _CAMEL_TO_FIELD[key])
        expected = Decimal(value) if isinstance(value, str) else value
        assert got == expected, key
        if isinstance(value, str):
            assert isinstance(got, Decimal)
            assert str(got) == value  # exact digits, trailing zeros kept
    assert type(flt).from_dict(flt.to_dict()) == flt


@pytest.mark.parametrize("path", RATE_LIMIT_FILES, ids=lambda p: p.stem)
def test_rate_limit_fixtures(path: Path) -> None:
    raw = load_fixture(f"rest/rateLimits/{path.name}")
    limit = parse_rate_limit(raw)
    assert (limit.rate_limit_type, limit.interval, limit.interval_num, limit.limit) == (
        raw["rateLimitType"],
        raw["interval"],
        raw["intervalNum"],
        raw["limit"],
    )


def test_rate_limit_interval_seconds() -> None:
    raw = load_fixture("rest/rateLimits/RAW_REQUESTS.json")
    assert parse_rate_limit(raw).interval_seconds == 300


@pytest.mark.parametrize("name", ["exchangeInfo.json", "constructed/exchangeInfo_all_filters.json"])
def test_exchange_info_fixtures(name: str) -> None:
    raw = load_fixture(f"rest/{name}")
    info = parse_exchange_info(raw)
    assert isinstance(info, ExchangeInfo)
    assert int(info.server_time.timestamp() * 1000) == raw["serverTime"]
    assert len(info.rate_limits) == len(raw["rateLimits"])
    assert len(info.exchange_filters) == len(raw["exchangeFilters"])
    assert [s.symbol for s in info.symbols] == [s["symbol"] for s in raw["symbols"]]
    first, raw_first = info.symbols[0], raw["symbols"][0]
    assert first.status == SymbolStatus(raw_first["status"])
    assert first.base_asset == raw_first["baseAsset"]
    assert first.quote_asset_precision == raw_first["quoteAssetPrecision"]
    assert [t.value for t in first.order_types] == raw_first["orderTypes"]
    assert [f.filter_type for f in first.filters] == [f["filterType"] for f in raw_first["filters"]]
    price = next(f for f in raw_first["filters"] if f["filterType"] == "PRICE_FILTER")
    assert first.tick_size == Decimal(price["tickSize"])
    lot = next(f for f in raw_first["filters"] if f["filterType"] == "LOT_SIZE")
    assert first.step_size == Decimal(lot["stepSize"])
    assert first.min_qty == Decimal(lot["minQty"])
    assert first.max_qty == Decimal(lot["maxQty"])
    assert info.symbol(raw_first["symbol"].lower()) == first
    assert info.symbol("NOPE") is None
    assert ExchangeInfo.from_dict(info.to_dict()) == info
    assert ExchangeInfo.from_json(info.to_json()) == info


def test_all_filters_symbol_has_every_typed_filter() -> None:
    info = parse_exchange_info(load_fixture("rest/constructed/exchangeInfo_all_filters.json"))
    sym = info.symbols[0]
    assert sym.price_filter is not None
    assert sym.lot_size is not None
    assert sym.market_lot_size is not None
    assert sym.notional_filter is not None
    assert sym.max_num_orders is not None
    assert sym.min_notional == sym.notional_filter.min_notional


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (
            {"filterType": "PRICE_FILTER", "minPrice": "x", "maxPrice": "1", "tickSize": "1"},
            "filter",
        ),
        ({"filterType": "LOT_SIZE"}, "filter"),
        ({"rateLimitType": "X"}, "rate limit"),
    ],
)
def test_malformed_filters_raise_parse_error(raw: dict[str, str], kind: str) -> None:
    parser = parse_rate_limit if kind == "rate limit" else parse_filter
    with pytest.raises(ParseError) as info:
        parser(raw)
    assert info.value.kind == kind


def test_malformed_symbol_and_exchange_info() -> None:
    with pytest.raises(ParseError, match="symbol info"):
        parse_symbol_info({"symbol": "X"})
    with pytest.raises(ParseError, match="exchange info"):
        parse_exchange_info({"symbols": []})
    bad_filter = {**load_fixture("rest/exchangeInfo.json")}
    bad_filter["symbols"] = [{**bad_filter["symbols"][0], "filters": [{"filterType": "LOT_SIZE"}]}]
    with pytest.raises(ParseError, match="filter"):
        parse_exchange_info(bad_filter)


def test_unknown_symbol_status_is_kept() -> None:
    raw = {**load_fixture("rest/exchangeInfo.json")["symbols"][0], "status": "FUTURE_STATUS"}
    assert parse_symbol_info(raw).status == "FUTURE_STATUS"


# --- validation ---------------------------------------------------------------------------

_PRICE = PriceFilter(
    min_price=Decimal("0.01"), max_price=Decimal("1000000"), tick_size=Decimal("0.01")
)
_LOT = LotSizeFilter(
    min_qty=Decimal("0.00001"), max_qty=Decimal("9000"), step_size=Decimal("0.00001")
)
_MLOT = MarketLotSizeFilter(
    min_qty=Decimal("0.001"), max_qty=Decimal("100"), step_size=Decimal("0.001")
)
_NOTIONAL = NotionalFilter(
    min_notional=Decimal("5"), max_notional=Decimal("9000000"), apply_min_to_market=True
)
BTC = SymbolInfo(
    symbol="BTCUSDT",
    status=SymbolStatus.TRADING,
    base_asset="BTC",
    quote_asset="USDT",
    base_asset_precision=8,
    quote_asset_precision=8,
    order_types=(OrderType.LIMIT, OrderType.MARKET, OrderType.LIMIT_MAKER),
    filters=(_PRICE, _LOT, _MLOT, _NOTIONAL),
    price_filter=_PRICE,
    lot_size=_LOT,
    market_lot_size=_MLOT,
    notional_filter=_NOTIONAL,
)


def _limit(**kw: object) -> None:
    args: dict[str, object] = {
        "side": Side.BUY,
        "order_type": OrderType.LIMIT,
        "quantity": Decimal("0.001"),
        "price": Decimal("50000"),
    }
    args.update(kw)
    validate_order(BTC, **args)  # type: ignore[arg-type]


def test_valid_limit_order_passes() -> None:
    _limit()
    _limit(price=Decimal("50000.01"), quantity=Decimal("0.00123"))


@pytest.mark.parametrize(
    ("kw", "field", "flt", "allowed"),
    [
        ({"price": Decimal("50000.005")}, "price", "PRICE_FILTER", "50000.00 or 50000.01"),
        ({"price": Decimal("0.001")}, "price", "PRICE_FILTER", ">= 0.01"),
        ({"price": Decimal("2000000")}, "price", "PRICE_FILTER", "<= 1000000"),
        ({"quantity": Decimal("0.000001")}, "quantity", "LOT_SIZE", ">= 0.00001"),
        ({"quantity": Decimal("0.000015")}, "quantity", "LOT_SIZE", "0.00001 or 0.00002"),
        ({"quantity": Decimal("9001")}, "quantity", "LOT_SIZE", "<= 9000"),
        ({"quantity": Decimal("0.00001")}, "quantity", "NOTIONAL", ">= 5"),
        (
            {"quantity": Decimal("200"), "price": Decimal("50000")},
            "quantity",
            "NOTIONAL",
            "<= 9000000",
        ),
        ({"stop_price": Decimal("1.001")}, "stop_price", "PRICE_FILTER", "1.00 or 1.01"),
    ],
)
def test_filter_failures_name_field_filter_and_allowed(
    kw: dict[str, object], field: str, flt: str, allowed: str
) -> None:
    with pytest.raises(ValidationError) as info:
        _limit(**kw)
    err = info.value
    assert (err.field, err.filter, err.allowed) == (field, flt, allowed)
    assert flt in str(err)
    assert field in str(err)
    assert allowed.lstrip("<>= ") in str(err)


def test_market_orders_use_market_lot_size_and_reference_price() -> None:
    market = {"side": Side.SELL, "order_type": OrderType.MARKET}
    validate_order(BTC, quantity=Decimal("0.002"), **market)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as info:
        validate_order(BTC, quantity=Decimal("0.0015"), **market)  # type: ignore[arg-type]
    assert info.value.filter == "MARKET_LOT_SIZE"
    with pytest.raises(ValidationError) as info:
        validate_order(
            BTC,
            quantity=Decimal("0.001"),
            reference_price=Decimal("10"),
            **market,  # type: ignore[arg-type]
        )
    assert info.value.filter == "NOTIONAL"
    with pytest.raises(ValidationError) as info:
        validate_order(BTC, quote_quantity=Decimal("1"), **market)  # type: ignore[arg-type]
    assert info.value.filter == "NOTIONAL"
    with pytest.raises(ValidationError) as info:
        validate_order(BTC, quote_quantity=Decimal("0"), **market)  # type: ignore[arg-type]
    assert info.value.field == "quote_quantity"


def test_status_type_and_non_positive_price() -> None:
    halted = replace(BTC, status=SymbolStatus.HALT)
    with pytest.raises(ValidationError, match="not trading"):
        validate_order(halted, side=Side.BUY, order_type=OrderType.LIMIT)
    with pytest.raises(ValidationError) as info:
        _limit(order_type=OrderType.STOP_LOSS_LIMIT)
    assert info.value.field == "type"
    with pytest.raises(ValidationError) as info:
        _limit(price=Decimal("-1"))
    assert info.value.field == "price"


def test_iceberg_quantity_and_percent_price() -> None:
    with pytest.raises(ValidationError) as info:
        _limit(iceberg_quantity=Decimal("0.0000015"))
    assert info.value.field == "iceberg_quantity"
    pp = parse_filter(load_fixture("rest/filters/PERCENT_PRICE_BY_SIDE.json"))
    sided = replace(BTC, filters=(*BTC.filters, pp))
    validate_order(
        sided,
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        price=Decimal("100"),
        reference_price=Decimal("100"),
    )
    with pytest.raises(ValidationError) as info:
        validate_order(
            sided,
            side=Side.SELL,
            order_type=OrderType.LIMIT,
            price=Decimal("50"),
            reference_price=Decimal("100"),
        )
    assert info.value.filter == "PERCENT_PRICE_BY_SIDE"
    plain = parse_filter(load_fixture("rest/filters/PERCENT_PRICE.json"))
    simple = replace(BTC, filters=(plain,))
    with pytest.raises(ValidationError) as info:
        validate_order(
            simple,
            side=Side.BUY,
            order_type=OrderType.LIMIT,
            price=Decimal("200"),
            reference_price=Decimal("100"),
        )
    assert info.value.filter == "PERCENT_PRICE"


def test_symbol_without_filters_accepts_anything_positive() -> None:
    bare = SymbolInfo(
        symbol="X",
        status=SymbolStatus.TRADING,
        base_asset="A",
        quote_asset="B",
        base_asset_precision=8,
        quote_asset_precision=8,
    )
    validate_order(
        bare,
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        quantity=Decimal("0.123456789"),
        price=Decimal("1.23456789"),
    )
    assert bare.tick_size is None
    assert bare.step_size is None
    assert bare.min_notional is None
    assert bare.min_qty is None
    assert bare.max_qty is None
    assert bare.round_price("1.234") == Decimal("1.234")


_ticks = st.integers(min_value=1, max_value=10**8)


@given(units=_ticks, offset=st.integers(min_value=0, max_value=99))
def test_prices_on_the_grid_pass_and_off_grid_fail(units: int, offset: int) -> None:
    price = Decimal(units) * Decimal("0.01") + Decimal(offset) * Decimal("0.0001")
    if price > Decimal("1000000"):
        return
    on_grid = offset == 0
    try:
        validate_order(BTC, side=Side.BUY, order_type=OrderType.LIMIT, price=price)
    except ValidationError as err:
        assert not on_grid
        assert err.filter == "PRICE_FILTER"
        assert err.field == "price"
    else:
        assert on_grid


@given(
    quantity=st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("10000"), places=7),
    price=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("2000000"), places=3),
)
def test_random_orders_pass_or_name_the_filter(quantity: Decimal, price: Decimal) -> None:
    try:
        validate_order(
            BTC, side=Side.BUY, order_type=OrderType.LIMIT, quantity=quantity, price=price
        )
    except ValidationError as err:
        assert err.filter in {"PRICE_FILTER", "LOT_SIZE", "NOTIONAL"}
        assert err.allowed
    else:
        assert price % Decimal("0.01") == 0
        assert quantity % Decimal("0.00001") == 0
        assert Decimal("0.00001") <= quantity <= Decimal("9000")
        assert Decimal("5") <= quantity * price <= Decimal("9000000")


@given(value=st.decimals(min_value=Decimal("0"), max_value=Decimal("1e9"), places=10))
def test_rounding_lands_on_the_grid(value: Decimal) -> None:
    for mode in ("down", "up", "nearest"):
        rounded = BTC.round_price(value, mode)
        assert rounded % Decimal("0.01") == 0
        assert abs(rounded - value) <= Decimal("0.01")
        assert rounded.as_tuple().exponent == -2
    assert BTC.round_price(value, "down") <= value <= BTC.round_price(value, "up")
    assert BTC.round_quantity(value) <= value


def test_round_helpers() -> None:
    assert BTC.round_price("50000.005") == Decimal("50000.01")
    assert BTC.round_price(50000.004) == Decimal("50000.00")
    assert BTC.round_quantity("0.123456789") == Decimal("0.12345")
    assert round_to_step(Decimal("123"), Decimal("10"), "down") == Decimal("120")
    assert round_to_step(Decimal("5"), None) == Decimal("5")
    with pytest.raises(ValueError, match="rounding"):
        round_to_step(Decimal("1"), Decimal("1"), "sideways")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        BTC.round_price("abc")
