"""Orders over signed REST: matching (LIMIT, MARKET incl. quoteOrderQty, LIMIT_MAKER,
stop-limit, take-profit-limit; GTC/IOC/FOK), response types, balances, commissions,
client order ids, queries, cancels, filters and parameter errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from cryptoex.testing import FakeBinance
from tests.helpers import load_fixture
from tests.sandbox.conftest import Rest, same_shape

pytestmark = pytest.mark.fake_binance(message_rate=0)

D = Decimal


def best(rest: Rest, symbol: str) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    book = rest.get("/api/v3/ticker/bookTicker", symbol=symbol).json()
    return D(book["bidPrice"]), D(book["bidQty"]), D(book["askPrice"]), D(book["askQty"])


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def error(response: Any) -> tuple[int, int, str]:
    body = response.json()
    return response.status_code, body["code"], body["msg"]


def test_limit_order_rests_locks_and_cancels(rest: Rest, fake_binance: FakeBinance) -> None:
    bid, _, _, _ = best(rest, "BTCUSDT")
    price = bid - 500
    placed = ok(
        rest.order(
            symbol="BTCUSDT",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity="0.01",
            price=str(price),
            newClientOrderId="my-order_1",
        )
    )
    same_shape(placed, load_fixture("rest/order_full.json"))
    assert placed["status"] == "NEW"
    assert placed["fills"] == []
    assert placed["clientOrderId"] == "my-order_1"
    assert fake_binance.balances()["USDT"] == (D(100000) - price * D("0.01"), price * D("0.01"))
    opened = ok(rest.signed("GET", "/api/v3/openOrders", symbol="BTCUSDT"))
    same_shape(opened, load_fixture("rest/open_orders.json"))
    assert [o["orderId"] for o in opened] == [placed["orderId"]]
    by_id = ok(rest.signed("GET", "/api/v3/order", symbol="BTCUSDT", orderId=placed["orderId"]))
    by_client = ok(
        rest.signed("GET", "/api/v3/order", symbol="BTCUSDT", origClientOrderId="my-order_1")
    )
    same_shape(by_id, load_fixture("rest/query_order.json"))
    assert by_id == by_client
    assert by_id["isWorking"] is True
    assert D(by_id["price"]) == price
    # The order is in the book: the level's quantity includes it.
    depth = ok(rest.get("/api/v3/depth", symbol="BTCUSDT", limit=5000))
    assert any(D(p) == price and D(q) >= D("0.01") for p, q in depth["bids"])
    cancelled = ok(
        rest.signed(
            "DELETE",
            "/api/v3/order",
            symbol="BTCUSDT",
            orderId=placed["orderId"],
            newClientOrderId="cancel-1",
        )
    )
    same_shape(cancelled, load_fixture("rest/cancel_order.json"))
    assert cancelled["status"] == "CANCELED"
    assert cancelled["origClientOrderId"] == "my-order_1"
    assert cancelled["clientOrderId"] == "cancel-1"
    assert fake_binance.balances()["USDT"] == (D(100000), D(0))
    assert ok(rest.signed("GET", "/api/v3/openOrders")) == []
    again = rest.signed("DELETE", "/api/v3/order", symbol="BTCUSDT", origClientOrderId="my-order_1")
    assert error(again) == (400, -2011, "Unknown order sent.")
    # Closed: the client order id may be used again.
    reused = ok(
        rest.order(
            symbol="BTCUSDT",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity="0.01",
            price=str(price),
            newClientOrderId="my-order_1",
        )
    )
    assert reused["orderId"] != placed["orderId"]
    duplicate = rest.order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.01",
        price=str(price),
        newClientOrderId="my-order_1",
    )
    assert error(duplicate) == (400, -2010, "Duplicate order sent.")
    assert (
        ok(rest.signed("GET", "/api/v3/order", symbol="BTCUSDT", origClientOrderId="my-order_1"))[
            "orderId"
        ]
        == reused["orderId"]
    )
    assert [o["orderId"] for o in fake_binance.orders()] == [placed["orderId"], reused["orderId"]]


def test_crossing_limit_fills_at_book_prices_with_commission(
    rest: Rest, fake_binance: FakeBinance
) -> None:
    _, _, ask, ask_qty = best(rest, "ETHUSDT")
    qty = D("0.5")
    assert qty < ask_qty
    filled = ok(
        rest.order(
            symbol="ETHUSDT",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity=str(qty),
            price=str(ask + 10),
        )
    )
    assert filled["status"] == "FILLED"
    assert [(D(f["price"]), D(f["qty"])) for f in filled["fills"]] == [(ask, qty)]
    fill = filled["fills"][0]
    assert fill["commissionAsset"] == "ETH"
    assert D(fill["commission"]) == qty * D("0.001")
    assert D(filled["cummulativeQuoteQty"]) == ask * qty
    free_usdt, locked_usdt = fake_binance.balances()["USDT"]
    assert free_usdt == D(100000) - ask * qty  # price improvement returned
    assert locked_usdt == 0
    assert fake_binance.balances()["ETH"] == (D(10) + qty - qty * D("0.001"), D(0))
    trades = ok(rest.signed("GET", "/api/v3/myTrades", symbol="ETHUSDT"))
    same_shape(trades, load_fixture("rest/my_trades.json"))
    assert trades[0]["isBuyer"] is True
    assert trades[0]["isMaker"] is False
    assert trades[0]["id"] == fill["tradeId"]
    assert (
        ok(rest.signed("GET", "/api/v3/myTrades", symbol="ETHUSDT", orderId=filled["orderId"]))
        == trades
    )
    public = ok(rest.get("/api/v3/trades", symbol="ETHUSDT", limit=1))
    assert public[0]["id"] == fill["tradeId"]
    assert public[0]["isBuyerMaker"] is False


def test_market_orders_by_quantity_and_quote(rest: Rest, fake_binance: FakeBinance) -> None:
    _, _, ask, _ = best(rest, "BTCUSDT")
    bought = ok(rest.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.002"))
    same_shape(bought, load_fixture("rest/order_full.json"))
    assert bought["status"] == "FILLED"
    assert D(bought["executedQty"]) == D("0.002")
    assert bought["price"] == "0.00000000"
    assert D(bought["fills"][0]["price"]) == ask
    spend = ok(rest.order(symbol="BTCUSDT", side="BUY", type="MARKET", quoteOrderQty="100"))
    assert spend["status"] == "FILLED"
    assert D(spend["origQuoteOrderQty"]) == 100
    assert D(spend["cummulativeQuoteQty"]) <= 100
    assert D(spend["cummulativeQuoteQty"]) > 99
    sold = ok(
        rest.order(
            symbol="BTCUSDT",
            side="SELL",
            type="MARKET",
            quoteOrderQty="50",
            newOrderRespType="RESULT",
        )
    )
    same_shape(sold, load_fixture("rest/order_result.json"))
    assert D(sold["cummulativeQuoteQty"]) <= 50
    assert D(sold["executedQty"]) > 0
    bought_btc = D(bought["executedQty"]) + D(spend["executedQty"])
    commissions = sum(D(f["commission"]) for f in bought["fills"] + spend["fills"])
    expected_btc = D(1) + bought_btc - commissions - D(sold["executedQty"])
    assert fake_binance.balances()["BTC"] == (expected_btc, D(0))


def test_insufficient_balance(rest: Rest) -> None:
    expected = load_fixture("errors/constructed/error_-2010_insufficient_balance.json")
    assert rest.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="5").json() == expected
    assert (
        rest.order(
            symbol="BTCUSDT",
            side="SELL",
            type="LIMIT",
            timeInForce="GTC",
            quantity="2",
            price="90000",
        ).json()
        == expected
    )
    assert rest.order(symbol="ETHBTC", side="SELL", type="MARKET", quantity="11").json() == expected
    assert (
        rest.order(symbol="BTCUSDT", side="BUY", type="MARKET", quoteOrderQty="100001").json()
        == expected
    )


def test_limit_maker(rest: Rest) -> None:
    bid, _, ask, _ = best(rest, "BNBUSDT")
    taking = rest.order(
        symbol="BNBUSDT", side="BUY", type="LIMIT_MAKER", quantity="1", price=str(ask)
    )
    assert error(taking) == (400, -2010, "Order would immediately match and take.")
    resting = ok(
        rest.order(symbol="BNBUSDT", side="BUY", type="LIMIT_MAKER", quantity="1", price=str(bid))
    )
    assert set(resting) == set(
        load_fixture("rest/order_ack.json")
    )  # default ACK for non-LIMIT/MARKET
    query = ok(rest.signed("GET", "/api/v3/order", symbol="BNBUSDT", orderId=resting["orderId"]))
    assert query["type"] == "LIMIT_MAKER"
    assert query["status"] == "NEW"


def test_ioc_and_fok(rest: Rest, fake_binance: FakeBinance) -> None:
    _, _, ask, ask_qty = best(rest, "ETHUSDT")
    ioc = ok(
        rest.order(
            symbol="ETHUSDT",
            side="BUY",
            type="LIMIT",
            timeInForce="IOC",
            quantity=str(ask_qty + 1),
            price=str(ask),
        )
    )
    assert ioc["status"] == "EXPIRED"
    assert D(ioc["executedQty"]) == ask_qty
    assert ioc["expiryReason"] == "UNFILLED_IOC_QUANTITY_EXPIRED"
    _, _, ask, ask_qty = best(rest, "ETHUSDT")
    fok = ok(
        rest.order(
            symbol="ETHUSDT",
            side="BUY",
            type="LIMIT",
            timeInForce="FOK",
            quantity=str(ask_qty + 1),
            price=str(ask),
        )
    )
    assert fok["status"] == "EXPIRED"
    assert D(fok["executedQty"]) == 0
    assert fok["fills"] == []
    assert fok["expiryReason"] == "UNFILLED_FOK_ORDER_EXPIRED"
    fok_ok = ok(
        rest.order(
            symbol="ETHUSDT",
            side="BUY",
            type="LIMIT",
            timeInForce="FOK",
            quantity=str(ask_qty),
            price=str(ask),
        )
    )
    assert fok_ok["status"] == "FILLED"
    assert fake_binance.balances()["USDT"][1] == 0  # nothing stays locked


def test_market_order_that_runs_out_of_liquidity_expires(fake_binance: FakeBinance) -> None:
    rich = Rest(fake_binance, *fake_binance.add_account({"ETH": "100000", "USDT": "0"}))
    try:
        sold = ok(rich.order(symbol="ETHBTC", side="SELL", type="MARKET", quantity="2000"))
        same_shape(
            sold,
            load_fixture("rest/order_full_market_expired.json"),
            optional=frozenset({"origQuoteOrderQty", "expiryReason"}),
        )
        assert sold["status"] == "EXPIRED"
        assert sold["expiryReason"] == "INSUFFICIENT_LIQUIDITY"
        assert 0 < D(sold["executedQty"]) < 2000
        empty = rich.get("/api/v3/depth", symbol="ETHBTC").json()
        assert empty["bids"] == []
        assert (
            rich.order(symbol="ETHBTC", side="SELL", type="MARKET", quoteOrderQty="1").json()[
                "code"
            ]
            == -2010
        )
    finally:
        rich.close()


def test_resting_order_fills_when_the_market_moves_through_it(
    rest: Rest, fake_binance: FakeBinance
) -> None:
    bid, _, _, _ = best(rest, "BTCUSDT")
    price = bid - 1000
    placed = ok(
        rest.order(
            symbol="BTCUSDT",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity="0.01",
            price=str(price),
        )
    )
    fake_binance.set_price("BTCUSDT", price - 100)
    order = ok(rest.signed("GET", "/api/v3/order", symbol="BTCUSDT", orderId=placed["orderId"]))
    assert order["status"] == "FILLED"
    assert D(order["cummulativeQuoteQty"]) == price * D("0.01")  # at its own price
    trade = ok(rest.signed("GET", "/api/v3/myTrades", symbol="BTCUSDT"))[-1]
    assert trade["isMaker"] is True
    assert fake_binance.balances()["BTC"] == (D(1) + D("0.01") * D("0.999"), D(0))
    assert fake_binance.balances()["USDT"] == (D(100000) - price * D("0.01"), D(0))
    assert fake_binance.price("BTCUSDT") < price


def test_stop_limit_orders(rest: Rest, fake_binance: FakeBinance) -> None:
    last = D(ok(rest.get("/api/v3/ticker/price", symbol="BTCUSDT"))["price"])
    immediate = rest.order(
        symbol="BTCUSDT",
        side="SELL",
        type="STOP_LOSS_LIMIT",
        timeInForce="GTC",
        quantity="0.01",
        price=str(last),
        stopPrice=str(last + 100),
    )
    assert error(immediate) == (400, -2010, "Order would trigger immediately.")
    stop = last - 300
    placed = ok(
        rest.order(
            symbol="BTCUSDT",
            side="SELL",
            type="STOP_LOSS_LIMIT",
            timeInForce="GTC",
            quantity="0.01",
            price=str(stop - 200),
            stopPrice=str(stop),
            newOrderRespType="RESULT",
        )
    )
    assert placed["status"] == "NEW"
    assert placed["workingTime"] == -1
    assert D(placed["stopPrice"]) == stop
    assert fake_binance.balances()["BTC"] == (D("0.99"), D("0.01"))
    take = ok(
        rest.order(
            symbol="BTCUSDT",
            side="BUY",
            type="TAKE_PROFIT_LIMIT",
            timeInForce="GTC",
            quantity="0.01",
            price=str(stop - 300),
            stopPrice=str(stop - 250),
        )
    )
    fake_binance.set_price("BTCUSDT", stop - 150)  # falls through the stop
    after = ok(rest.signed("GET", "/api/v3/order", symbol="BTCUSDT", orderId=placed["orderId"]))
    assert after["status"] == "FILLED"
    assert after["isWorking"] is True
    assert after["workingTime"] > 0
    assert (
        ok(rest.signed("GET", "/api/v3/order", symbol="BTCUSDT", orderId=take["orderId"]))["status"]
        == "NEW"
    )
    fake_binance.set_price("BTCUSDT", stop - 400)
    bought = ok(rest.signed("GET", "/api/v3/order", symbol="BTCUSDT", orderId=take["orderId"]))
    assert bought["status"] == "FILLED"
    assert bought["type"] == "TAKE_PROFIT_LIMIT"
    assert D(bought["cummulativeQuoteQty"]) <= (stop - 300) * D("0.01")
    assert fake_binance.balances()["BTC"][1] == 0
    assert fake_binance.balances()["USDT"][1] == 0


def test_cancel_all_and_restrictions(rest: Rest) -> None:
    bid, _, _, _ = best(rest, "BNBUSDT")
    ids = [
        ok(
            rest.order(
                symbol="BNBUSDT",
                side="BUY",
                type="LIMIT",
                timeInForce="GTC",
                quantity="1",
                price=str(bid - i - 1),
            )
        )["orderId"]
        for i in range(2)
    ]
    restricted = rest.signed(
        "DELETE",
        "/api/v3/order",
        symbol="BNBUSDT",
        orderId=ids[0],
        cancelRestrictions="ONLY_PARTIALLY_FILLED",
    )
    assert restricted.json() == load_fixture("rest/error_cancel_restrictions_not_met.json")
    invalid = rest.signed(
        "DELETE", "/api/v3/order", symbol="BNBUSDT", orderId=ids[0], cancelRestrictions="SOMETIMES"
    )
    assert invalid.json() == load_fixture("rest/error_cancel_restrictions_invalid.json")
    cancelled = ok(rest.signed("DELETE", "/api/v3/openOrders", symbol="BNBUSDT"))
    same_shape(cancelled, [load_fixture("rest/cancel_order.json")])
    assert [o["orderId"] for o in cancelled] == ids
    assert len({o["clientOrderId"] for o in cancelled}) == 1
    assert error(rest.signed("DELETE", "/api/v3/openOrders", symbol="BNBUSDT")) == (
        400,
        -2011,
        "Unknown order sent.",
    )
    only_new = ok(
        rest.order(
            symbol="BNBUSDT",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity="1",
            price=str(bid - 5),
        )
    )
    assert (
        ok(
            rest.signed(
                "DELETE",
                "/api/v3/order",
                symbol="BNBUSDT",
                orderId=only_new["orderId"],
                cancelRestrictions="ONLY_NEW",
            )
        )["status"]
        == "CANCELED"
    )


def test_order_lookup_errors(rest: Rest) -> None:
    assert error(rest.signed("GET", "/api/v3/order", symbol="BTCUSDT", orderId=999)) == (
        400,
        -2013,
        "Order does not exist.",
    )
    assert rest.signed("GET", "/api/v3/order", symbol="BTCUSDT").json() == {
        "code": -1102,
        "msg": "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
    }
    assert error(rest.signed("DELETE", "/api/v3/order", symbol="BTCUSDT", orderId=999))[1] == -2011
    placed = ok(
        rest.order(
            symbol="BTCUSDT",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity="0.001",
            price="60000",
            newClientOrderId="abc",
        )
    )
    mismatch = rest.signed(
        "GET", "/api/v3/order", symbol="BTCUSDT", orderId=placed["orderId"], origClientOrderId="xyz"
    )
    assert error(mismatch) == (400, -2039, "Client order ID is not correct for this order ID.")
    assert (
        error(rest.signed("GET", "/api/v3/order", symbol="ETHUSDT", orderId=placed["orderId"]))[1]
        == -2013
    )
    assert (
        error(
            rest.signed(
                "DELETE",
                "/api/v3/order",
                symbol="BTCUSDT",
                orderId=placed["orderId"],
                origClientOrderId="xyz",
            )
        )[1]
        == -2011
    )
    assert (
        rest.signed("GET", "/api/v3/order", symbol="BTCUSDT", origClientOrderId="").json()["code"]
        == -1119
    )


def test_history_endpoints(rest: Rest, fake_binance: FakeBinance) -> None:
    for _ in range(3):
        ok(rest.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001"))
    orders = ok(rest.signed("GET", "/api/v3/allOrders", symbol="BTCUSDT"))
    same_shape(orders, load_fixture("rest/all_orders.json"), optional=frozenset())
    ids = [o["orderId"] for o in orders]
    assert len(ids) == 3
    assert [
        o["orderId"]
        for o in ok(rest.signed("GET", "/api/v3/allOrders", symbol="BTCUSDT", orderId=ids[1]))
    ] == ids[1:]
    assert [
        o["orderId"] for o in ok(rest.signed("GET", "/api/v3/allOrders", symbol="BTCUSDT", limit=1))
    ] == ids[-1:]
    start = orders[1]["time"]
    assert (
        ok(rest.signed("GET", "/api/v3/allOrders", symbol="BTCUSDT", startTime=start, limit=1))[0][
            "time"
        ]
        >= start
    )
    assert (
        ok(rest.signed("GET", "/api/v3/allOrders", symbol="BTCUSDT", endTime=start))[-1]["time"]
        <= start
    )
    wide = rest.signed(
        "GET", "/api/v3/allOrders", symbol="BTCUSDT", startTime=0, endTime=90_000_000
    )
    assert error(wide) == (400, -1127, "More than 24 hours between startTime and endTime.")
    trades = ok(rest.signed("GET", "/api/v3/myTrades", symbol="BTCUSDT"))
    first = trades[1]["id"]
    assert (
        ok(rest.signed("GET", "/api/v3/myTrades", symbol="BTCUSDT", fromId=first, limit=1))[0]["id"]
        == first
    )
    assert ok(rest.signed("GET", "/api/v3/myTrades", symbol="BTCUSDT", startTime=trades[0]["time"]))
    assert ok(rest.signed("GET", "/api/v3/myTrades", symbol="BTCUSDT", endTime=trades[-1]["time"]))
    assert (
        rest.signed("GET", "/api/v3/myTrades", symbol="BTCUSDT", fromId=1, startTime=1).json()[
            "code"
        ]
        == -1128
    )
    assert (
        rest.signed("GET", "/api/v3/allOrders", symbol="BTCUSDT", limit=0).json()["code"] == -1100
    )
    assert ok(rest.signed("GET", "/api/v3/myTrades", symbol="ETHBTC")) == []


def test_account_and_order_rate_limit(rest: Rest, fake_binance: FakeBinance) -> None:
    response = rest.signed("GET", "/api/v3/account")
    assert response.headers["X-MBX-USED-WEIGHT-1M"] == "20"
    account = ok(response)
    same_shape(account, load_fixture("rest/account.json"))
    assert account["makerCommission"] == 10
    assert account["commissionRates"]["taker"] == "0.00100000"
    assert {b["asset"]: b["free"] for b in account["balances"]} == {
        "USDT": "100000.00000000",
        "BTC": "1.00000000",
        "ETH": "10.00000000",
        "BNB": "100.00000000",
    }
    fake_binance.deposit("PEPE", "0")
    assert "PEPE" in {b["asset"] for b in ok(rest.signed("GET", "/api/v3/account"))["balances"]}
    assert "PEPE" not in {
        b["asset"]
        for b in ok(rest.signed("GET", "/api/v3/account", omitZeroBalances="true"))["balances"]
    }
    limits = rest.signed("GET", "/api/v3/rateLimit/order")
    same_shape(ok(limits), load_fixture("rest/rate_limit_order.json"))


@pytest.mark.parametrize(
    ("params", "code", "msg"),
    [
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.01",
                "price": "60000.001",
            },
            -1013,
            "Filter failure: PRICE_FILTER",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.01",
                "price": "0.000000001",
            },
            -1111,
            "Parameter 'price' has too much precision.",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.000001",
                "price": "60000",
            },
            -1013,
            "Filter failure: LOT_SIZE",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.00001",
                "price": "60000",
            },
            -1013,
            "Filter failure: NOTIONAL",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "200",
                "price": "60000",
            },
            -1013,
            "Filter failure: NOTIONAL",
        ),
        (
            {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "200"},
            -1013,
            "Filter failure: MARKET_LOT_SIZE",
        ),
        (
            {
                "symbol": "ETHBTC",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "0.001",
                "price": "0.05",
            },
            -1013,
            "Filter failure: MIN_NOTIONAL",
        ),
        (
            {"symbol": "PEPEUSDT", "side": "BUY", "type": "MARKET", "quantity": "1000050"},
            -1013,
            "Filter failure: MARKET_LOT_SIZE",
        ),
        (
            {
                "symbol": "PEPEUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "1000000.5",
                "price": "0.00001",
            },
            -1013,
            "Filter failure: LOT_SIZE",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "-1",
                "price": "60000",
            },
            -1100,
            "Illegal characters found in parameter 'quantity'; "
            "legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
        ),
        (
            {"symbol": "BTCUSDT", "type": "MARKET", "quantity": "1"},
            -1102,
            "Mandatory parameter 'side' was not sent, was empty/null, or malformed.",
        ),
        (
            {"symbol": "BTCUSDT", "side": "HOLD", "type": "MARKET", "quantity": "1"},
            -1117,
            "Invalid side.",
        ),
        (
            {"symbol": "BTCUSDT", "side": "BUY", "type": "CHEAP", "quantity": "1"},
            -1116,
            "Invalid orderType.",
        ),
        (
            {"symbol": "BTCUSDT", "side": "BUY", "quantity": "1"},
            -1102,
            "Mandatory parameter 'type' was not sent, was empty/null, or malformed.",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTD",
                "quantity": "1",
                "price": "1",
            },
            -1115,
            "Invalid timeInForce.",
        ),
        (
            {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "1", "price": "1"},
            -1102,
            "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "1",
            },
            -1102,
            "Mandatory parameter 'price' was not sent, was empty/null, or malformed.",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "price": "1",
            },
            -1102,
            "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.",
        ),
        (
            {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET"},
            -1102,
            "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "MARKET",
                "quantity": "1",
                "quoteOrderQty": "10",
            },
            -1128,
            "Combination of optional parameters invalid.",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "MARKET",
                "quantity": "1",
                "timeInForce": "GTC",
            },
            -1106,
            "Parameter 'timeInForce' sent when not required.",
        ),
        (
            {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "1", "price": "1"},
            -1106,
            "Parameter 'price' sent when not required.",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "1",
                "price": "1",
                "quoteOrderQty": "1",
            },
            -1106,
            "Parameter 'quoteOrderQty' sent when not required.",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT_MAKER",
                "timeInForce": "GTC",
                "quantity": "1",
                "price": "1",
            },
            -1106,
            "Parameter 'timeInForce' sent when not required.",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "1",
                "price": "1",
                "stopPrice": "1",
            },
            -1106,
            "Parameter 'stopPrice' sent when not required.",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "STOP_LOSS_LIMIT",
                "timeInForce": "GTC",
                "quantity": "1",
                "price": "1",
            },
            -1102,
            "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null!",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "STOP_LOSS",
                "quantity": "1",
                "stopPrice": "1",
            },
            -2010,
            "Stop loss orders are not supported for this symbol.",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "TAKE_PROFIT",
                "quantity": "1",
                "stopPrice": "1",
            },
            -2010,
            "Take profit orders are not supported for this symbol.",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "1",
                "price": "1",
                "icebergQty": "0.1",
            },
            -2010,
            "Iceberg orders are not supported for this symbol.",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "STOP_LOSS_LIMIT",
                "timeInForce": "GTC",
                "quantity": "1",
                "price": "1",
                "trailingDelta": "10",
            },
            -2010,
            "Trailing stop orders are not supported for this symbol.",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": "1",
                "pegPriceType": "PRIMARY_PEG",
                "price": "1",
            },
            -2010,
            "Pegged orders are not supported for this symbol.",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "MARKET",
                "quantity": "1",
                "strategyType": "5",
            },
            -1134,
            "`strategyType` was less than 1000000.",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "MARKET",
                "quantity": "1",
                "selfTradePreventionMode": "EXPIRE_TAKER",
            },
            -1130,
            "Data sent for parameter 'selfTradePreventionMode' is not valid.",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "MARKET",
                "quantity": "1",
                "newOrderRespType": "ALL",
            },
            -1100,
            "Illegal characters found in parameter 'newOrderRespType'; "
            "legal range is 'ACK, RESULT, FULL'.",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "MARKET",
                "quantity": "1",
                "newClientOrderId": "has space",
            },
            -1100,
            "Illegal characters found in parameter 'newClientOrderId'; "
            "legal range is '^[a-zA-Z0-9-_]{1,36}$'.",
        ),
        (
            {
                "symbol": "BTCUSDT",
                "side": "BUY",
                "type": "MARKET",
                "quantity": "1",
                "newClientOrderId": "",
            },
            -1118,
            "New client order ID was empty.",
        ),
        (
            {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "1", "quantty": "1"},
            -1104,
            "Not all sent parameters were read; read '6' parameter(s) but was sent '7'.",
        ),
        (
            {"symbol": "LTCBTC", "side": "BUY", "type": "MARKET", "quantity": "1"},
            -1121,
            "Invalid symbol.",
        ),
    ],
)
def test_order_validation(rest: Rest, params: dict[str, str], code: int, msg: str) -> None:
    response = rest.order(**params)
    assert response.status_code == 400
    assert response.json() == {"code": code, "msg": msg}
    assert "X-MBX-ORDER-COUNT-10S" not in response.headers


def test_max_num_orders(fake_binance: FakeBinance) -> None:
    trader = Rest(fake_binance, *fake_binance.add_account({"USDT": "1000"}))
    try:
        for i in range(5):
            ok(
                trader.order(
                    symbol="PEPEUSDT",
                    side="BUY",
                    type="LIMIT",
                    timeInForce="GTC",
                    quantity="1000000",
                    price=f"0.0000{1100 - i}",
                )
            )
        sixth = trader.order(
            symbol="PEPEUSDT",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity="1000000",
            price="0.00001000",
        )
        assert error(sixth) == (400, -1013, "Filter failure: MAX_NUM_ORDERS")
        assert len(fake_binance.orders(trader.api_key)) == 5
        assert fake_binance.orders() == []  # the default account is separate
    finally:
        trader.close()


def test_test_order_validates_without_placing(rest: Rest, fake_binance: FakeBinance) -> None:
    response = rest.signed(
        "POST", "/api/v3/order/test", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001"
    )
    assert response.headers["X-MBX-USED-WEIGHT-1M"] == "1"
    assert ok(response) == load_fixture("rest/order_test.json")
    rates = rest.signed(
        "POST",
        "/api/v3/order/test",
        symbol="BTCUSDT",
        side="BUY",
        type="MARKET",
        quantity="0.001",
        computeCommissionRates="true",
    )
    assert rates.headers["X-MBX-USED-WEIGHT-1M"] == "21"
    same_shape(ok(rates), load_fixture("rest/order_test_computeCommissionRates.json"))
    assert (
        rest.signed(
            "POST",
            "/api/v3/order/test",
            symbol="BTCUSDT",
            side="BUY",
            type="MARKET",
            quantity="0.000001",
        ).json()["code"]
        == -1013
    )
    assert fake_binance.orders() == []


def test_weights_and_order_count_headers(rest: Rest) -> None:
    placed = rest.order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.001",
        price="60000",
    )
    assert (
        placed.headers["X-MBX-USED-WEIGHT-1M"] == "0"
    )  # successful placement is free (2026-04-02)
    assert placed.headers["X-MBX-ORDER-COUNT-10S"] == "1"
    assert placed.headers["X-MBX-ORDER-COUNT-1D"] == "1"
    failed = rest.order(
        symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.001", price="1"
    )
    assert failed.headers["X-MBX-USED-WEIGHT-1M"] == "1"  # failures pay the documented weight
    query = rest.signed("GET", "/api/v3/order", symbol="BTCUSDT", orderId=placed.json()["orderId"])
    assert query.headers["X-MBX-USED-WEIGHT-1M"] == "5"
    cancel = rest.signed(
        "DELETE", "/api/v3/order", symbol="BTCUSDT", orderId=placed.json()["orderId"]
    )
    assert cancel.headers["X-MBX-USED-WEIGHT-1M"] == "5"
    assert (
        rest.signed("GET", "/api/v3/openOrders", symbol="BTCUSDT").headers["X-MBX-USED-WEIGHT-1M"]
        == "11"
    )
    assert rest.signed("GET", "/api/v3/openOrders").headers["X-MBX-USED-WEIGHT-1M"] == "91"
    assert (
        rest.signed("GET", "/api/v3/myTrades", symbol="BTCUSDT", orderId=1).headers[
            "X-MBX-USED-WEIGHT-1M"
        ]
        == "96"
    )
    assert rest.signed("GET", "/api/v3/rateLimit/order").headers["X-MBX-USED-WEIGHT-1M"] == "136"


@pytest.mark.fake_binance(message_rate=0, order_limit_10s=3)
def test_order_count_limit(rest: Rest) -> None:
    for i in range(3):
        ok(
            rest.order(
                symbol="BTCUSDT",
                side="BUY",
                type="LIMIT",
                timeInForce="GTC",
                quantity="0.001",
                price=str(60000 - i),
            )
        )
    fourth = rest.order(
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="0.001",
        price="59000",
    )
    assert fourth.status_code == 429
    assert fourth.json() == {
        "code": -1015,
        "msg": "Too many new orders; current limit is 3 orders per 10 SECOND.",
    }
    assert 1 <= int(fourth.headers["Retry-After"]) <= 10
    limits = ok(rest.signed("GET", "/api/v3/rateLimit/order"))
    assert limits[0]["count"] == 3
    assert limits[0]["limit"] == 3
