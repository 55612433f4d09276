"""Binance stream names, URLs, endpoints and weights, headers, the adapter."""

from __future__ import annotations

from decimal import Decimal

import orjson
import pytest

from cryptoex import ConfigurationError, ValidationError
from cryptoex._secrets import Secret
from cryptoex.enums import OrderType, Side
from cryptoex.exchanges import get_exchange
from cryptoex.exchanges.base import Exchange
from cryptoex.exchanges.binance import BINANCE_SPOT, BinanceSpot
from cryptoex.exchanges.binance.endpoints import (
    ENDPOINTS,
    LIVE,
    TESTNET,
    credentials_from_env,
    env_testnet,
    resolve_environment,
)
from cryptoex.exchanges.binance.limits import interval_seconds, order_counts, used_weights
from cryptoex.exchanges.binance.streams import (
    StreamKey,
    combined_url,
    control_message,
    parse_stream_name,
    stream_name,
)
from tests.helpers import load_fixture


@pytest.mark.parametrize(
    ("args", "kwargs", "name"),
    [
        (("ticker", "BTCUSDT"), {}, "btcusdt@ticker"),
        (("mini_ticker", "btcusdt"), {}, "btcusdt@miniTicker"),
        (("book_ticker", "BnbUsdt"), {}, "bnbusdt@bookTicker"),
        (("trade", "BTCUSDT"), {}, "btcusdt@trade"),
        (("agg_trade", "BTCUSDT"), {}, "btcusdt@aggTrade"),
        (("kline", "BTCUSDT"), {}, "btcusdt@kline_1m"),
        (("kline", "BTCUSDT"), {"interval": "1M"}, "btcusdt@kline_1M"),
        (("depth", "BTCUSDT"), {"levels": 20}, "btcusdt@depth20"),
        (("depth", "BTCUSDT"), {"levels": 5, "fast": True}, "btcusdt@depth5@100ms"),
        (("depth_update", "BTCUSDT"), {"fast": True}, "btcusdt@depth@100ms"),
        (("depth_update", "BTCUSDT"), {}, "btcusdt@depth"),
    ],
)
def test_stream_names_round_trip(
    args: tuple[str, str], kwargs: dict[str, object], name: str
) -> None:
    assert stream_name(*args, **kwargs) == name  # type: ignore[arg-type]
    key = parse_stream_name(name)
    assert key is not None
    assert key.kind == args[0]
    assert key.symbol == args[1].upper()
    assert key.name == name


@pytest.mark.parametrize(
    ("args", "kwargs", "field"),
    [
        (("ticker", ""), {}, "symbol"),
        (("depth", "BTCUSDT"), {"levels": 7}, "levels"),
        (("kline", "BTCUSDT"), {"interval": "7m"}, "interval"),
        (("candles", "BTCUSDT"), {}, "kind"),
    ],
)
def test_bad_stream_requests(args: tuple[str, str], kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        stream_name(*args, **kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


@pytest.mark.parametrize(
    "name", ["!miniTicker@arr", "!serverShutdown", "btcusdt", "btcusdt@blockTrade"]
)
def test_unmodelled_stream_names(name: str) -> None:
    assert parse_stream_name(name) is None


def test_combined_url_and_control_messages() -> None:
    assert combined_url("ws://127.0.0.1:9/") == "ws://127.0.0.1:9/stream"
    assert (
        combined_url(LIVE.ws_url, ["btcusdt@trade", "btcusdt@kline_1d@+08:00"])
        == "wss://stream.binance.com:9443/stream?streams=btcusdt@trade/btcusdt@kline_1d@%2B08%3A00"
    )
    sub = orjson.loads(control_message("SUBSCRIBE", 1, ["btcusdt@aggTrade", "btcusdt@depth"]))
    assert sub == load_fixture("ws/control/subscribe_request.json")
    listing = orjson.loads(control_message("LIST_SUBSCRIPTIONS", 3))
    assert listing == load_fixture("ws/control/list_subscriptions_request.json")


def test_environments() -> None:
    assert resolve_environment() is LIVE
    assert resolve_environment(True) is TESTNET
    env = resolve_environment(rest_url="http://127.0.0.1:5/", ws_url="ws://127.0.0.1:6")
    assert env.rest_url == "http://127.0.0.1:5"
    assert env.ws_url == "ws://127.0.0.1:6"
    assert env.ws_api_url == LIVE.ws_api_url
    with pytest.raises(ConfigurationError, match="rest_url"):
        resolve_environment(rest_url="localhost")
    assert LIVE.ws_api_url == "wss://ws-api.binance.com:443/ws-api/v3"
    assert TESTNET.rest_url == "https://testnet.binance.vision"


def test_environment_variables() -> None:
    assert env_testnet({"BINANCE_TESTNET": "1"})
    assert env_testnet({"BINANCE_TESTNET": "true"})
    assert not env_testnet({"BINANCE_TESTNET": "0"})
    assert not env_testnet({})
    assert credentials_from_env({"BINANCE_API_KEY": "k", "BINANCE_API_SECRET": "s"}) == ("k", "s")
    with pytest.raises(ConfigurationError, match="BINANCE_API_SECRET"):
        credentials_from_env({"BINANCE_API_KEY": "k"})
    with pytest.raises(ConfigurationError, match="BINANCE_API_KEY"):
        credentials_from_env({"BINANCE_API_KEY": " ", "BINANCE_API_SECRET": "s"})


@pytest.mark.parametrize(
    ("name", "params", "weight"),
    [
        ("depth", {"limit": 100}, 5),
        ("depth", {"limit": 500}, 25),
        ("depth", {"limit": 1000}, 50),
        ("depth", {"limit": 5000}, 250),
        ("depth", {}, 5),
        ("ticker_24hr", {"symbol": "BTCUSDT"}, 2),
        ("ticker_24hr", {}, 80),
        ("ticker_24hr", {"symbols": ["A"] * 21}, 40),
        ("ticker_24hr", {"symbols": '["A","B"]'}, 2),
        ("ticker_24hr", {"symbols": ["A"] * 101}, 80),
        ("ticker_price", {}, 4),
        ("open_orders", {"symbol": "BTCUSDT"}, 6),
        ("open_orders", {}, 80),
        ("my_trades", {"orderId": 1}, 5),
        ("my_trades", {}, 20),
        ("order_test", {"computeCommissionRates": True}, 20),
        ("order_test", {}, 1),
        ("account", {}, 20),
        ("exchange_info", {}, 20),
    ],
)
def test_endpoint_weights(name: str, params: dict[str, object], weight: int) -> None:
    assert ENDPOINTS[name].weight_for(params) == weight


def test_order_endpoints_are_signed_and_free_on_success() -> None:
    new = ENDPOINTS["order_new"]
    assert new.signed
    assert new.free_on_success
    assert new.places_order
    assert not ENDPOINTS["ping"].signed
    assert ENDPOINTS["order_cancel"].free_on_success


def test_rate_limit_headers() -> None:
    headers = {
        "X-MBX-USED-WEIGHT-1M": "120",
        "x-mbx-used-weight-1s": "3",
        "X-MBX-ORDER-COUNT-10S": "4",
        "X-MBX-ORDER-COUNT-1D": "99",
        "X-MBX-USED-WEIGHT-1H": "junk",
        "Content-Type": "application/json",
    }
    assert used_weights(headers) == {60: 120, 1: 3}
    assert order_counts(headers) == {10: 4, 86400: 99}
    assert interval_seconds("MINUTE", 5) == 300
    assert interval_seconds("D") == 86400


def test_adapter_delegates() -> None:
    ex = get_exchange("binance")
    assert ex is BINANCE_SPOT
    assert isinstance(ex, BinanceSpot)
    assert isinstance(ex, Exchange)
    with pytest.raises(ConfigurationError):
        get_exchange("kraken")
    assert ex.stream_name("ticker", "BTCUSDT") == "btcusdt@ticker"
    assert ex.parse_stream_name("btcusdt@trade") == StreamKey("trade", "BTCUSDT")
    assert ex.combined_url("ws://h:1", ["a@trade"]) == "ws://h:1/stream?streams=a@trade"
    assert orjson.loads(ex.control_message("UNSUBSCRIBE", 312, ["btcusdt@depth"])) == load_fixture(
        "ws/control/unsubscribe_request.json"
    )
    secret = Secret("s")
    assert ex.signed_payload(secret, {"a": 1}).startswith("a=1&signature=")
    assert ex.encode_params({"a": Decimal("1E-3")}) == "a=0.001"
    assert len(ex.sign_ws_params(secret, {"apiKey": "k", "timestamp": 1})) == 64
    assert ex.environment(True) is TESTNET
    err = ex.error_from_http(400, b'{"code":-1121,"msg":"Invalid symbol."}', {})
    assert err.code == -1121
    assert ex.error_from_ws_api({"status": 400, "error": {"code": -2013, "msg": "x"}}).code == -2013
    info = ex.parse_exchange_info(load_fixture("rest/exchangeInfo.json"))
    sym = info.symbols[0]
    ex.validate_order(
        sym, side=Side.BUY, order_type=OrderType.LIMIT, quantity=Decimal("1"), price=Decimal("0.1")
    )
    assert ex.max_streams_per_connection == 1024
