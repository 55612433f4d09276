"""MarketClient against FakeBinance over loopback: every public call."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest

from cryptoex import InvalidSymbolError, KlineInterval, MarketClient, ValidationError
from cryptoex._time import to_ms
from cryptoex.models import SymbolInfo
from cryptoex.rest.ratelimit import limiter_for


def paths(fb: Any, path: str) -> list[Any]:
    return [r for r in fb.requests if r.path == path]


def test_server_time_is_an_aware_utc_datetime(market: MarketClient) -> None:
    stamp = market.server_time()
    assert stamp.tzinfo is not None
    assert abs(stamp - datetime.now(timezone.utc)) < timedelta(minutes=1)


def test_exchange_info_and_symbol_info(market: MarketClient, fb: Any) -> None:
    info = market.exchange_info()
    names = {s.symbol for s in info.symbols}
    assert {"BTCUSDT", "PEPEUSDT"} <= names
    assert info.rate_limits
    pepe = market.symbol_info("pepeusdt")
    assert isinstance(pepe, SymbolInfo)
    assert pepe.symbol == "PEPEUSDT"
    assert pepe.tick_size == Decimal("0.00000001")
    assert pepe.step_size == Decimal("1")
    assert pepe.round_quantity("12.9") == Decimal("12")
    # symbol_info is served from the cache: no second exchangeInfo request.
    before = len(paths(fb, "/api/v3/exchangeInfo"))
    market.symbol_info("BTCUSDT")
    assert len(paths(fb, "/api/v3/exchangeInfo")) == before
    with pytest.raises(InvalidSymbolError):
        market.symbol_info("NOPEUSDT")
    # exchangeInfo's rate limits now drive the shared budget.
    assert limiter_for(fb.rest_url).configured


def test_ticker(market: MarketClient) -> None:
    ticker = market.ticker("btcusdt")
    assert ticker.symbol == "BTCUSDT"
    assert isinstance(ticker.last_price, Decimal)
    assert ticker.last_price > 0
    assert ticker.close_time.tzinfo is not None


def test_order_book(market: MarketClient, fb: Any) -> None:
    book = market.order_book("BTCUSDT", limit=5)
    assert book.symbol == "BTCUSDT"
    assert 0 < len(book.bids) <= 5
    assert 0 < len(book.asks) <= 5
    assert book.bids[0].price < book.asks[0].price
    assert [b.price for b in book.bids] == sorted((b.price for b in book.bids), reverse=True)
    assert paths(fb, "/api/v3/depth")[-1].query["limit"] == "5"
    with pytest.raises(ValidationError):
        market.order_book("BTCUSDT", limit=5001)


def test_recent_trades(market: MarketClient, fb: Any) -> None:
    fb.step(50)
    trades = market.recent_trades("BTCUSDT", limit=10)
    assert 0 < len(trades) <= 10
    assert all(t.symbol == "BTCUSDT" and t.price > 0 for t in trades)
    ids = [t.trade_id for t in trades]
    assert ids == sorted(ids)


def test_unknown_symbol_is_the_exchange_error(market: MarketClient) -> None:
    with pytest.raises(InvalidSymbolError) as info:
        market.ticker("NOPEUSDT")
    assert info.value.code == -1121


def test_latest_klines_without_start(market: MarketClient) -> None:
    klines = market.klines("BTCUSDT", "1m", limit=10)
    assert len(klines) == 10
    assert all(k.interval is KlineInterval.MINUTE_1 for k in klines)
    opens = [to_ms(k.open_time) for k in klines]
    assert opens == sorted(opens)
    assert all(b - a == 60_000 for a, b in pairwise(opens))


def test_klines_page_through_long_ranges(market: MarketClient, fb: Any) -> None:
    end = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=5)
    start = end - timedelta(minutes=2499)
    klines = market.klines("BTCUSDT", "1m", start=start, end=end)
    opens = [to_ms(k.open_time) for k in klines]
    assert len(opens) == 2500
    assert opens[0] == to_ms(start)
    assert opens[-1] == to_ms(end)
    assert len(set(opens)) == len(opens)
    assert all(b - a == 60_000 for a, b in pairwise(opens))
    requests = paths(fb, "/api/v3/klines")
    assert len(requests) == 3
    assert all(int(r.query["limit"]) <= 1000 for r in requests)


def test_klines_limit_across_pages_and_backwards(market: MarketClient, fb: Any) -> None:
    start = datetime.now(timezone.utc) - timedelta(days=3)
    klines = market.klines("BTCUSDT", KlineInterval.MINUTE_1, start=start, limit=1500)
    assert len(klines) == 1500
    latest = market.klines("BTCUSDT", "1m", limit=1200)
    opens = [to_ms(k.open_time) for k in latest]
    assert len(opens) == 1200
    assert all(b - a == 60_000 for a, b in pairwise(opens))


def test_kline_arguments_are_checked(market: MarketClient) -> None:
    with pytest.raises(ValidationError) as info:
        market.klines("BTCUSDT", "7m")
    assert info.value.field == "interval"
    with pytest.raises(ValidationError):
        market.klines("BTCUSDT", "1m", start=10, end=5)


def test_context_manager_and_repr(fb: Any) -> None:
    with MarketClient(rest_url=fb.rest_url) as market:
        assert repr(market) == f"MarketClient(rest_url={fb.rest_url!r})"
        assert not market.testnet
        market.server_time()
    with pytest.raises(RuntimeError):
        market.server_time()
