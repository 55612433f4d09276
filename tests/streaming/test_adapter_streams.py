"""The stream-side additions to the exchange adapter: envelope keys, control
replies, serverShutdown and per-kind event identity (dedupe key)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cryptoex import ParseError, ValidationError
from cryptoex.exchanges import get_exchange
from cryptoex.exchanges.base import Exchange
from cryptoex.exchanges.binance.streams import STREAM_KINDS, ControlReply
from tests.helpers import load_fixture

EXCHANGE = get_exchange("binance")


def test_adapter_still_satisfies_the_protocol() -> None:
    assert isinstance(EXCHANGE, Exchange)
    assert EXCHANGE.stream_envelope == ("stream", "data")
    assert EXCHANGE.event_time_key == "E"


def test_control_replies() -> None:
    ok = EXCHANGE.control_reply({"result": None, "id": 7})
    assert ok == ControlReply(id=7, result=None)
    assert ok is not None
    assert ok.ok
    listed = EXCHANGE.control_reply({"result": ["btcusdt@trade"], "id": 3})
    assert listed is not None
    assert listed.result == ["btcusdt@trade"]
    error = EXCHANGE.control_reply({"code": 2, "msg": "Invalid request: too many parameters"})
    assert error is not None
    assert not error.ok
    assert error.error_code == 2
    assert error.id is None
    assert "too many" in (error.error_message or "")
    weird = EXCHANGE.control_reply({"code": "x", "msg": "?", "id": 1})
    assert weird is not None
    assert weird.error_code == -1
    assert EXCHANGE.control_reply(load_fixture("ws/constructed/combined_trade.json")) is None
    assert EXCHANGE.control_reply([1, 2]) is None


def test_server_shutdown_in_both_forms() -> None:
    assert EXCHANGE.is_server_shutdown(load_fixture("ws/serverShutdown_combined.json"))
    assert EXCHANGE.is_server_shutdown(load_fixture("ws/serverShutdown_raw.json"))
    assert not EXCHANGE.is_server_shutdown(load_fixture("ws/constructed/combined_trade.json"))
    assert not EXCHANGE.is_server_shutdown("serverShutdown")


@pytest.mark.parametrize(
    ("kind", "fixture"),
    [
        ("trade", "ws/trade.json"),
        ("agg_trade", "ws/aggTrade.json"),
        ("book_ticker", "ws/bookTicker.json"),
        ("depth_update", "ws/depthUpdate.json"),
        ("depth", "ws/depth_partial.json"),
        ("ticker", "ws/ticker.json"),
        ("mini_ticker", "ws/miniTicker.json"),
        ("kline", "ws/kline.json"),
    ],
)
def test_event_identity_names_an_event_and_changes_with_it(kind: str, fixture: str) -> None:
    identity = EXCHANGE.event_identity(kind)
    payload = load_fixture(fixture)
    first = identity(payload)
    assert first == identity(dict(payload)), "the same event has the same identity"
    hash(first)
    changed = dict(payload)
    key = {
        "trade": "t",
        "agg_trade": "a",
        "book_ticker": "u",
        "depth_update": "u",
        "depth": "lastUpdateId",
        "ticker": "E",
        "mini_ticker": "E",
        "kline": "E",
    }[kind]
    changed[key] = payload[key] + 1
    assert identity(changed) != first


def test_every_stream_kind_has_an_identity() -> None:
    for kind in STREAM_KINDS:
        assert callable(EXCHANGE.event_identity(kind))
    with pytest.raises(ValidationError, match="unknown stream kind"):
        EXCHANGE.event_identity("blockTrade")
    with pytest.raises(KeyError):
        EXCHANGE.event_identity("trade")({"e": "trade"})


def test_microsecond_time_unit_url_and_exact_parsers() -> None:
    assert EXCHANGE.time_units == {"MILLISECOND": 1.0, "MICROSECOND": 0.001}
    assert EXCHANGE.combined_url("ws://h", ["btcusdt@trade"], "MICROSECOND") == (
        "ws://h/stream?streams=btcusdt@trade&timeUnit=MICROSECOND"
    )
    assert EXCHANGE.combined_url("ws://h/", [], "MICROSECOND") == (
        "ws://h/stream?timeUnit=MICROSECOND"
    )
    assert (
        EXCHANGE.combined_url("ws://h", ["btcusdt@trade"]) == "ws://h/stream?streams=btcusdt@trade"
    )
    with pytest.raises(ValidationError, match="time_unit"):
        EXCHANGE.combined_url("ws://h", [], "NANOSECOND")
    with pytest.raises(ValidationError, match="time_unit"):
        EXCHANGE.stream_parsers("seconds")

    micro = EXCHANGE.stream_parsers("MICROSECOND")
    milli = EXCHANGE.stream_parsers()
    assert set(micro) == set(milli)
    assert EXCHANGE.stream_parsers("MICROSECOND") is micro, "built once"
    trade = load_fixture("ws/trade.json")
    as_us = dict(trade, E=trade["E"] * 1000 + 123, T=trade["T"] * 1000 + 456)
    parsed = micro["trade"](as_us)
    reference = milli["trade"](trade)
    assert parsed.event_time - reference.event_time == timedelta(microseconds=123)
    assert parsed.trade_time - reference.trade_time == timedelta(microseconds=456)
    assert parsed.price == reference.price
    kline = load_fixture("ws/kline.json")
    kline_us = {**kline, "E": kline["E"] * 1000, "k": {**kline["k"]}}
    kline_us["k"]["t"] *= 1000
    kline_us["k"]["T"] *= 1000
    assert micro["kline"](kline_us) == milli["kline"](kline)
    depth = load_fixture("ws/depth_partial.json")
    assert micro["depth"](depth, "BNBBTC") == milli["depth"](depth, "BNBBTC")
    with pytest.raises(ParseError):
        milli["trade"](as_us)  # microseconds read as milliseconds: past year 9999
