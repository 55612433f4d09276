"""Public market-data endpoints: payload shapes (as tests/fixtures/rest), parameters,
errors, weights and headers, over real HTTP with raw requests."""

from __future__ import annotations

import itertools
import re
from decimal import Decimal

import pytest

from cryptoex.testing import FakeBinance
from tests.helpers import load_fixture
from tests.sandbox.conftest import DECIMAL_8, Rest, same_shape

pytestmark = pytest.mark.fake_binance(message_rate=0)


def test_ping_time_and_weight_header(rest: Rest) -> None:
    response = rest.get("/api/v3/ping")
    assert response.status_code == 200
    assert response.json() == load_fixture("rest/ping.json")
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["X-MBX-USED-WEIGHT-1M"] == "1"
    body = rest.get("/api/v3/time").json()
    same_shape(body, load_fixture("rest/time.json"))
    assert rest.get("/api/v3/time").headers["X-MBX-USED-WEIGHT-1M"] == "3"


def test_exchange_info_shape_and_filters(rest: Rest, fake_binance: FakeBinance) -> None:
    response = rest.get("/api/v3/exchangeInfo")
    assert response.headers["X-MBX-USED-WEIGHT-1M"] == "20"
    info = response.json()
    fixture = load_fixture("rest/exchangeInfo.json")
    assert set(info) == set(fixture) - {"sors"}
    names = [s["symbol"] for s in info["symbols"]]
    assert names == ["BTCUSDT", "ETHUSDT", "BNBUSDT", "ETHBTC", "PEPEUSDT"]
    without_filters = {k: v for k, v in fixture["symbols"][0].items() if k != "filters"}
    same_shape({k: v for k, v in info["symbols"][0].items() if k != "filters"}, without_filters)
    filters = {f["filterType"]: f for f in info["symbols"][4]["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.00000001"
    assert filters["LOT_SIZE"]["stepSize"] == "1.00000000"
    assert filters["MARKET_LOT_SIZE"] != {**filters["LOT_SIZE"], "filterType": "MARKET_LOT_SIZE"}
    assert filters["NOTIONAL"]["minNotional"] == "5.00000000"
    assert filters["MAX_NUM_ORDERS"]["maxNumOrders"] == 5
    for name in ("LOT_SIZE", "MARKET_LOT_SIZE", "NOTIONAL", "PRICE_FILTER", "MAX_NUM_ORDERS"):
        same_shape(filters[name], load_fixture(f"rest/filters/{name}.json"))
    ethbtc = {f["filterType"]: f for f in info["symbols"][3]["filters"]}
    same_shape(ethbtc["MIN_NOTIONAL"], load_fixture("rest/filters/MIN_NOTIONAL.json"))
    limits = {(r["rateLimitType"], r["interval"]): r["limit"] for r in info["rateLimits"]}
    assert limits[("REQUEST_WEIGHT", "MINUTE")] == 6000
    assert limits[("ORDERS", "SECOND")] == 50
    one = rest.get("/api/v3/exchangeInfo", symbol="ETHBTC").json()
    assert [s["symbol"] for s in one["symbols"]] == ["ETHBTC"]
    two = rest.get("/api/v3/exchangeInfo", symbols='["BNBUSDT","BTCUSDT"]').json()
    assert sorted(s["symbol"] for s in two["symbols"]) == ["BNBUSDT", "BTCUSDT"]
    assert rest.get("/api/v3/exchangeInfo", symbolStatus="HALT").json()["symbols"] == []


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"symbol": "NOPE"}, 400, -1121),
        ({"symbols": '["BTCUSDT","BTCUSDT"]'}, 400, -1151),
        ({"symbols": "BTCUSDT"}, 400, -1100),
        ({"symbol": "BTCUSDT", "symbols": '["ETHUSDT"]'}, 400, -1128),
        ({"symbolStatus": "SLEEPING"}, 400, -1122),
        ({"colour": "red"}, 400, -1104),
    ],
)
def test_exchange_info_errors(rest: Rest, params: dict[str, str], status: int, code: int) -> None:
    response = rest.get("/api/v3/exchangeInfo", **params)
    assert response.status_code == status
    assert response.json()["code"] == code


def test_invalid_symbol_is_binance_error(rest: Rest) -> None:
    response = rest.get("/api/v3/depth", symbol="LTCBTC")
    assert response.status_code == 400
    assert response.json() == load_fixture("rest/error_invalid_symbol.json")
    missing = rest.get("/api/v3/depth")
    assert missing.json() == {
        "code": -1102,
        "msg": "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
    }
    bad = rest.get("/api/v3/depth", symbol="BTCUSDT", limit="ten").json()
    assert bad["code"] == -1100
    assert "'limit'" in bad["msg"]


@pytest.mark.parametrize(
    ("limit", "weight", "levels"), [(5, 5, 5), (500, 25, 60), (1000, 50, 60), (6000, 250, 60)]
)
def test_depth_limits_and_weights(rest: Rest, limit: int, weight: int, levels: int) -> None:
    response = rest.get("/api/v3/depth", symbol="BTCUSDT", limit=limit)
    assert response.headers["X-MBX-USED-WEIGHT-1M"] == str(weight)
    book = response.json()
    same_shape(book, load_fixture("rest/depth.json"))
    assert len(book["bids"]) == len(book["asks"]) == levels
    bids = [Decimal(p) for p, _ in book["bids"]]
    asks = [Decimal(p) for p, _ in book["asks"]]
    assert bids == sorted(bids, reverse=True)
    assert asks == sorted(asks)
    assert bids[0] < asks[0]
    assert all(re.fullmatch(DECIMAL_8, v) for level in book["bids"] for v in level)


def test_depth_default_limit_is_100_and_symbol_status(rest: Rest) -> None:
    assert rest.get("/api/v3/depth", symbol="ETHBTC").headers["X-MBX-USED-WEIGHT-1M"] == "5"
    halted = rest.get("/api/v3/depth", symbol="ETHBTC", symbolStatus="HALT")
    assert halted.json()["code"] == -1220


def test_trades_and_agg_trades(rest: Rest, fake_binance: FakeBinance) -> None:
    fake_binance.step(20)
    trades = rest.get("/api/v3/trades", symbol="BTCUSDT", limit=10).json()
    assert len(trades) == 10
    same_shape(trades, load_fixture("rest/trades.json"))
    ids = [t["id"] for t in trades]
    assert ids == sorted(ids)
    assert ids == list(range(ids[0], ids[0] + 10))
    older = rest.get("/api/v3/historicalTrades", symbol="BTCUSDT", fromId=ids[2], limit=3).json()
    assert [t["id"] for t in older] == ids[2:5]
    aggs = rest.get("/api/v3/aggTrades", symbol="BTCUSDT", limit=5).json()
    same_shape(aggs, load_fixture("rest/aggTrades.json"))
    assert all(a["f"] <= a["l"] for a in aggs)
    first = aggs[0]["a"]
    assert [
        a["a"]
        for a in rest.get("/api/v3/aggTrades", symbol="BTCUSDT", fromId=first, limit=2).json()
    ] == [
        first,
        first + 1,
    ]
    start = aggs[1]["T"]
    since = rest.get("/api/v3/aggTrades", symbol="BTCUSDT", startTime=start, limit=1000).json()
    assert since
    assert all(a["T"] >= start for a in since)
    until = rest.get("/api/v3/aggTrades", symbol="BTCUSDT", endTime=start, limit=2).json()
    assert all(a["T"] <= start for a in until)


def test_klines_ranges_and_paging(rest: Rest, fake_binance: FakeBinance) -> None:
    latest = rest.get("/api/v3/klines", symbol="BTCUSDT", interval="1m", limit=3).json()
    same_shape(latest, load_fixture("rest/klines.json"))
    assert len(latest) == 3
    assert latest[1][0] - latest[0][0] == 60_000
    assert latest[0][6] == latest[0][0] + 59_999
    # Three days of 1h candles: 72 rows, contiguous, from startTime, in pages of 30.
    end = latest[-1][0]
    start = (end // 3_600_000 - 72) * 3_600_000
    rows: list[list[object]] = []
    cursor = start
    while True:
        page = rest.get(
            "/api/v3/klines",
            symbol="ETHUSDT",
            interval="1h",
            startTime=cursor,
            endTime=end,
            limit=30,
        ).json()
        rows += page
        if len(page) < 30:
            break
        cursor = int(page[-1][0]) + 1
    opens = [int(r[0]) for r in rows]  # type: ignore[call-overload]
    assert opens[0] == start
    assert all(b - a == 3_600_000 for a, b in itertools.pairwise(opens))
    for row in rows:
        o, h, low, c = (Decimal(str(v)) for v in row[1:5])
        assert low <= min(o, c) <= max(o, c) <= h
    # Deterministic history: the same request twice gives the same rows.
    again = rest.get(
        "/api/v3/klines", symbol="ETHUSDT", interval="1h", startTime=start, limit=5
    ).json()
    assert again == rows[:5]
    ui = rest.get(
        "/api/v3/uiKlines", symbol="ETHUSDT", interval="1h", startTime=start, limit=5
    ).json()
    assert ui == rows[:5]
    before_end = rest.get(
        "/api/v3/klines", symbol="ETHUSDT", interval="1d", endTime=start, limit=2
    ).json()
    assert len(before_end) == 2
    assert before_end[-1][0] <= start


@pytest.mark.parametrize("interval", ["1s", "3m", "2h", "6h", "8h", "12h", "3d", "1w", "1M"])
def test_kline_intervals_align(rest: Rest, interval: str) -> None:
    rows = rest.get("/api/v3/klines", symbol="BNBUSDT", interval=interval, limit=3).json()
    assert len(rows) == 3
    assert rows[0][6] + 1 == rows[1][0]
    if interval == "1w":
        assert (rows[0][0] // 86_400_000 - 4) % 7 == 0  # Mondays
    if interval == "1M":
        import datetime

        assert datetime.datetime.fromtimestamp(rows[1][0] / 1000, datetime.timezone.utc).day == 1


def test_klines_errors_and_time_zone(rest: Rest) -> None:
    assert rest.get("/api/v3/klines", symbol="BTCUSDT", interval="7m").json() == {
        "code": -1120,
        "msg": "Invalid interval.",
    }
    utc = rest.get("/api/v3/klines", symbol="BTCUSDT", interval="1d", limit=2).json()
    plus8 = rest.get(
        "/api/v3/klines", symbol="BTCUSDT", interval="1d", limit=2, timeZone="+08:00"
    ).json()
    assert (utc[-1][0] - plus8[-1][0]) % 86_400_000 == 8 * 3_600_000
    assert (
        rest.get("/api/v3/klines", symbol="BTCUSDT", interval="1d", timeZone="+15:00").json()[
            "code"
        ]
        == -1130
    )
    assert (
        rest.get("/api/v3/klines", symbol="BTCUSDT", interval="1d", startTime=5, endTime=1).json()
        == []
    )
    assert (
        rest.get("/api/v3/klines", symbol="BTCUSDT", interval="1d", startTime=0, limit=1).json()[0][
            0
        ]
        == 1_577_836_800_000
    )


def test_tickers(rest: Rest, fake_binance: FakeBinance) -> None:
    full = rest.get("/api/v3/ticker/24hr", symbol="BTCUSDT")
    assert full.headers["X-MBX-USED-WEIGHT-1M"] == "2"
    same_shape(full.json(), load_fixture("rest/ticker_24hr_full.json"))
    assert re.fullmatch(r"-?[0-9]+\.[0-9]{3}", full.json()["priceChangePercent"])
    mini = rest.get("/api/v3/ticker/24hr", symbols='["BTCUSDT","ETHBTC"]', type="MINI").json()
    same_shape(mini, load_fixture("rest/ticker_24hr_mini_list.json"))
    everything = rest.get("/api/v3/ticker/24hr")
    assert everything.headers["X-MBX-USED-WEIGHT-1M"] == str(2 + 2 + 80)
    assert len(everything.json()) == 5
    assert rest.get("/api/v3/ticker/24hr", type="HUGE").json()["code"] == -1139
    price = rest.get("/api/v3/ticker/price", symbol="PEPEUSDT").json()
    same_shape(price, load_fixture("rest/ticker_price.json"))
    same_shape(rest.get("/api/v3/ticker/price").json(), load_fixture("rest/ticker_price_list.json"))
    book = rest.get("/api/v3/ticker/bookTicker", symbol="BNBUSDT").json()
    same_shape(book, load_fixture("rest/ticker_bookTicker.json"))
    assert Decimal(book["bidPrice"]) < Decimal(book["askPrice"])
    assert (Decimal(book["bidPrice"]) + Decimal(book["askPrice"])) / 2 == fake_binance.price(
        "BNBUSDT"
    )
    listed = rest.get("/api/v3/ticker/bookTicker", symbols='["BNBUSDT"]')
    assert listed.headers["X-MBX-USED-WEIGHT-1M"] != "0"
    same_shape(listed.json(), load_fixture("rest/ticker_bookTicker_list.json"))
    avg = rest.get("/api/v3/avgPrice", symbol="BTCUSDT").json()
    same_shape(avg, load_fixture("rest/avgPrice.json"))
    assert abs(Decimal(avg["price"]) - fake_binance.price("BTCUSDT")) < 100


def test_microsecond_time_unit(rest: Rest, fake_binance: FakeBinance) -> None:
    ms = rest.get("/api/v3/time").json()["serverTime"]
    response = rest.session.get(
        fake_binance.rest_url + "/api/v3/time",
        headers={"X-MBX-TIME-UNIT": "MICROSECOND"},
        timeout=10,
    )
    assert response.json()["serverTime"] >= ms * 1000
    rows = rest.session.get(
        fake_binance.rest_url + "/api/v3/klines",
        params={"symbol": "BTCUSDT", "interval": "1m", "limit": "1"},
        headers={"X-MBX-TIME-UNIT": "microsecond"},
        timeout=10,
    ).json()
    assert rows[0][0] % 60_000_000 == 0
    assert rows[0][6] % 1000 == 999_000 % 1000
    bad = rest.session.get(
        fake_binance.rest_url + "/api/v3/time", headers={"X-MBX-TIME-UNIT": "NANO"}, timeout=10
    )
    assert bad.json()["code"] == -1194


def test_unknown_retired_and_wrong_method(rest: Rest, fake_binance: FakeBinance) -> None:
    assert rest.get("/api/v3/nothing").status_code == 404
    retired = rest.session.post(fake_binance.rest_url + "/api/v3/userDataStream", timeout=10)
    assert retired.status_code == 410
    assert retired.json()["code"] == -1016
    assert rest.get("/api/v1/ping").status_code == 410
    wrong = rest.session.put(fake_binance.rest_url + "/api/v3/ping", timeout=10)
    assert wrong.status_code == 405


def test_duplicate_parameter_is_rejected(rest: Rest, fake_binance: FakeBinance) -> None:
    response = rest.session.get(
        fake_binance.rest_url + "/api/v3/depth?symbol=BTCUSDT&symbol=ETHUSDT", timeout=10
    )
    assert response.json()["code"] == -1101


def test_requests_are_recorded(rest: Rest, fake_binance: FakeBinance) -> None:
    rest.get("/api/v3/depth", symbol="BTCUSDT", limit=5)
    recorded = fake_binance.requests[-1]
    assert (recorded.method, recorded.path) == ("GET", "/api/v3/depth")
    assert recorded.query == {"symbol": "BTCUSDT", "limit": "5"}
    assert recorded.params == recorded.query
    assert recorded.headers["Host"].startswith("127.0.0.1")
    fake_binance.clear_requests()
    assert fake_binance.requests == []
