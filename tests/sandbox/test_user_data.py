"""User data over the WebSocket API: subscriptions (signature and logon based), the
{"subscriptionId", "event"} wrapper, executionReport / outboundAccountPosition /
balanceUpdate / eventStreamTerminated as orders change, session methods and errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from cryptoex.testing import FakeBinance
from tests.helpers import load_fixture, wait_until
from tests.sandbox.conftest import WS, Rest, hmac_hex, now_ms, same_shape, ws_api_signed

pytestmark = pytest.mark.fake_binance(message_rate=0)
OpenWS = Callable[[str], WS]
D = Decimal
REPORT_OPTIONAL = frozenset({"v", "W", "eR"})


def request(ws: WS, ident: Any, method: str, params: dict[str, Any] | None = None) -> Any:
    message: dict[str, Any] = {"id": ident, "method": method}
    if params is not None:
        message["params"] = params
    ws.send(message)
    return ws.until(lambda m: m.get("id") == ident and "status" in m)


def subscribe(ws: WS, api_key: str, secret: str, ident: Any = 1) -> int:
    reply = request(ws, ident, "userDataStream.subscribe.signature", ws_api_signed(api_key, secret))
    assert reply["status"] == 200, reply
    return int(reply["result"]["subscriptionId"])


def events(ws: WS, count: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while len(out) < count:
        message = ws.recv()
        if "event" in message:
            out.append(message)
    return out


def test_signed_order_fills_and_shows_in_account_and_user_stream(
    fake_binance: FakeBinance, open_ws: OpenWS, rest: Rest
) -> None:
    ws = open_ws(fake_binance.ws_api_url)
    reply = request(
        ws,
        "d3df8a22-98ea-4fe0-9f4e-0fcea5d418b7",
        "userDataStream.subscribe.signature",
        ws_api_signed(fake_binance.api_key, fake_binance.api_secret),
    )
    same_shape(
        {k: v for k, v in reply.items() if k != "rateLimits"},
        load_fixture("wsapi/userDataStream_subscribe_signature_response.json"),
    )
    assert reply["result"] == {"subscriptionId": 0}
    same_shape(
        reply["rateLimits"], load_fixture("wsapi/response_success_example.json")["rateLimits"][2:]
    )

    placed = rest.order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.01")
    assert placed.status_code == 200
    order = placed.json()
    assert order["status"] == "FILLED"

    new, trade, position = events(ws, 3)
    fixture = load_fixture("user-data/executionReport.json")
    for wrapped in (new, trade):
        same_shape(wrapped, fixture, optional=REPORT_OPTIONAL)
        assert wrapped["subscriptionId"] == 0
    assert (new["event"]["x"], new["event"]["X"]) == ("NEW", "NEW")
    assert (trade["event"]["x"], trade["event"]["X"]) == ("TRADE", "FILLED")
    report = trade["event"]
    assert report["i"] == order["orderId"]
    assert report["c"] == order["clientOrderId"]
    assert report["t"] == order["fills"][0]["tradeId"]
    assert D(report["z"]) == D("0.01")
    assert D(report["Z"]) == D(order["cummulativeQuoteQty"])
    assert report["N"] == "BTC"
    assert D(report["n"]) == D(order["fills"][0]["commission"])
    assert report["m"] is False
    same_shape(position, load_fixture("user-data/outboundAccountPosition.json"))
    pushed = {b["a"]: (D(b["f"]), D(b["l"])) for b in position["event"]["B"]}

    account = rest.signed("GET", "/api/v3/account").json()
    balances = {b["asset"]: (D(b["free"]), D(b["locked"])) for b in account["balances"]}
    assert pushed == {"USDT": balances["USDT"], "BTC": balances["BTC"]}
    assert balances["BTC"][0] == D(1) + D("0.01") - D(order["fills"][0]["commission"])
    assert balances["USDT"][0] == D(100000) - D(order["cummulativeQuoteQty"])
    assert position["event"]["u"] == account["updateTime"]


def test_resting_order_cancel_and_maker_fill_events(
    fake_binance: FakeBinance, open_ws: OpenWS, rest: Rest
) -> None:
    ws = open_ws(fake_binance.ws_api_url)
    subscribe(ws, fake_binance.api_key, fake_binance.api_secret)
    bid = D(rest.get("/api/v3/ticker/bookTicker", symbol="ETHUSDT").json()["bidPrice"])
    first = rest.order(
        symbol="ETHUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="1",
        price=str(bid - 20),
        newClientOrderId="resting-1",
    ).json()
    new, locked = events(ws, 2)
    assert new["event"]["w"] is True
    assert new["event"]["W"] == new["event"]["O"]
    assert {b["a"]: b["l"] for b in locked["event"]["B"]} == {"USDT": f"{bid - 20:.8f}"}
    rest.signed(
        "DELETE",
        "/api/v3/order",
        symbol="ETHUSDT",
        orderId=first["orderId"],
        newClientOrderId="cancel-9",
    )
    cancelled, unlocked = events(ws, 2)
    assert (cancelled["event"]["x"], cancelled["event"]["X"]) == ("CANCELED", "CANCELED")
    assert cancelled["event"]["c"] == "cancel-9"
    assert cancelled["event"]["C"] == "resting-1"
    assert {b["a"]: b["l"] for b in unlocked["event"]["B"]} == {"USDT": "0.00000000"}

    second = rest.order(
        symbol="ETHUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="GTC",
        quantity="1",
        price=str(bid - 20),
    ).json()
    events(ws, 2)
    fake_binance.set_price("ETHUSDT", bid - 40)
    fill = ws.until(lambda m: m.get("event", {}).get("x") == "TRADE")["event"]
    assert fill["i"] == second["orderId"]
    assert fill["m"] is True
    assert fill["X"] == "FILLED"
    assert D(fill["L"]) == bid - 20
    assert fill["w"] is False
    position = ws.until(lambda m: m.get("event", {}).get("e") == "outboundAccountPosition")["event"]
    assert {b["a"] for b in position["B"]} == {"USDT", "ETH"}


def test_expired_order_carries_its_reason(
    fake_binance: FakeBinance, open_ws: OpenWS, rest: Rest
) -> None:
    ws = open_ws(fake_binance.ws_api_url)
    subscribe(ws, fake_binance.api_key, fake_binance.api_secret)
    bid = D(rest.get("/api/v3/ticker/bookTicker", symbol="BNBUSDT").json()["bidPrice"])
    rest.order(
        symbol="BNBUSDT",
        side="BUY",
        type="LIMIT",
        timeInForce="IOC",
        quantity="1",
        price=str(bid - 10),
    )
    new, expired, _position = events(ws, 3)
    assert new["event"]["x"] == "NEW"
    assert (expired["event"]["x"], expired["event"]["X"]) == ("EXPIRED", "EXPIRED")
    assert expired["event"]["eR"] == "UNFILLED_IOC_QUANTITY_EXPIRED"


def test_deposit_pushes_balance_update(fake_binance: FakeBinance, open_ws: OpenWS) -> None:
    ws = open_ws(fake_binance.ws_api_url)
    subscribe(ws, fake_binance.api_key, fake_binance.api_secret)
    fake_binance.deposit("BTC", "100.5")
    update, position = events(ws, 2)
    same_shape(update, load_fixture("user-data/balanceUpdate.json"))
    assert (update["event"]["a"], update["event"]["d"]) == ("BTC", "100.50000000")
    assert position["event"]["B"] == [{"a": "BTC", "f": "101.50000000", "l": "0.00000000"}]
    fake_binance.deposit("BTC", Decimal("-1.5"))
    assert events(ws, 1)[0]["event"]["d"] == "-1.50000000"
    with pytest.raises(ValueError, match="amount"):
        fake_binance.deposit("BTC", "-1000")
    with pytest.raises(TypeError, match="amount"):
        fake_binance.deposit("BTC", 1.5)  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="api_key"):
        fake_binance.deposit("BTC", "1", api_key="x" * 64)


def test_two_accounts_on_one_connection_are_routed_by_subscription(
    fake_binance: FakeBinance, open_ws: OpenWS, rest: Rest
) -> None:
    other_key, other_secret = fake_binance.add_account(name="second")
    ws = open_ws(fake_binance.ws_api_url)
    assert subscribe(ws, fake_binance.api_key, fake_binance.api_secret, 1) == 0
    assert subscribe(ws, other_key, other_secret, 2) == 1
    again = request(
        ws, 3, "userDataStream.subscribe.signature", ws_api_signed(other_key, other_secret)
    )
    assert again["status"] == 400
    assert again["error"] == {"code": -2035, "msg": "User Data Stream subscription already active."}
    listed = request(ws, "4", "session.subscriptions", {})
    same_shape(
        listed,
        load_fixture("wsapi/session_subscriptions_response.json"),
        optional=frozenset({"rateLimits"}),
    )
    assert listed["result"] == [{"subscriptionId": 0}, {"subscriptionId": 1}]
    fake_binance.deposit("ETH", "1", api_key=other_key)
    second = events(ws, 2)
    assert {e["subscriptionId"] for e in second} == {1}
    fake_binance.deposit("ETH", "1")
    first = events(ws, 2)
    assert {e["subscriptionId"] for e in first} == {0}
    # Another connection of the same account gets the events too, with its own ids.
    other_ws = open_ws(fake_binance.ws_api_url)
    assert subscribe(other_ws, other_key, other_secret) == 0
    fake_binance.deposit("ETH", "2", api_key=other_key)
    assert [e["subscriptionId"] for e in events(other_ws, 2)] == [0, 0]
    assert [e["subscriptionId"] for e in events(ws, 2)] == [1, 1]
    assert wait_until(
        lambda: [c.subscriptions for c in fake_binance.connections()] == [(0, 1), (0,)]
    )


def test_unsubscribe_terminates_streams(fake_binance: FakeBinance, open_ws: OpenWS) -> None:
    other_key, other_secret = fake_binance.add_account()
    ws = open_ws(fake_binance.ws_api_url)
    subscribe(ws, fake_binance.api_key, fake_binance.api_secret, 1)
    subscribe(ws, other_key, other_secret, 2)
    ws.send({"id": "u1", "method": "userDataStream.unsubscribe", "params": {"subscriptionId": 0}})
    terminated = ws.until(lambda m: "event" in m)
    same_shape(terminated, load_fixture("user-data/eventStreamTerminated.json"))
    assert terminated["subscriptionId"] == 0
    reply = ws.until(lambda m: m.get("id") == "u1")
    same_shape(
        {k: v for k, v in reply.items() if k != "rateLimits"},
        load_fixture("wsapi/userDataStream_unsubscribe_response.json"),
    )
    missing = request(ws, "u2", "userDataStream.unsubscribe", {"subscriptionId": 0})
    assert missing["error"] == {"code": -2036, "msg": "User Data Stream subscription not active."}
    assert (
        request(ws, "u3", "userDataStream.unsubscribe", {"subscriptionId": "x"})["error"]["code"]
        == -1100
    )
    fake_binance.deposit("USDT", "1")  # the unsubscribed account: nothing arrives
    ws.send({"id": "u4", "method": "userDataStream.unsubscribe"})
    assert ws.until(lambda m: "event" in m)["event"]["e"] == "eventStreamTerminated"
    assert ws.until(lambda m: m.get("id") == "u4")["result"] == {}
    assert request(ws, "u5", "session.subscriptions")["result"] == []


def test_session_logon_subscribe_and_logout(fake_binance: FakeBinance, open_ws: OpenWS) -> None:
    ws = open_ws(fake_binance.ws_api_url + "?returnRateLimits=false")
    status = request(ws, "1", "session.status")
    assert set(status) == set(load_fixture("wsapi/session_status_response.json"))
    assert set(status["result"]) == set(
        load_fixture("wsapi/session_status_response.json")["result"]
    )
    assert status["result"]["apiKey"] is None
    assert status["result"]["authorizedSince"] is None
    not_logged_on = request(ws, "2", "userDataStream.subscribe")
    assert not_logged_on["status"] == 401
    assert not_logged_on["error"]["code"] == -1002
    logon = request(
        ws, "3", "session.logon", ws_api_signed(fake_binance.api_key, fake_binance.api_secret)
    )
    same_shape(logon, load_fixture("wsapi/session_logon_response.json"))
    assert logon["result"]["apiKey"] == fake_binance.api_key
    assert logon["result"]["authorizedSince"] >= logon["result"]["connectedSince"]
    assert "rateLimits" not in logon
    reply = request(ws, "4", "userDataStream.subscribe")
    same_shape(reply, load_fixture("wsapi/userDataStream_subscribe_response.json"))
    other_key, other_secret = fake_binance.add_account()
    subscribe(ws, other_key, other_secret, 5)
    assert request(ws, "6", "session.status")["result"]["userDataStream"] is True
    ws.send({"id": "7", "method": "session.logout"})
    terminated = ws.until(lambda m: "event" in m)
    assert terminated == {"subscriptionId": 0, "event": terminated["event"]}
    logout = ws.until(lambda m: m.get("id") == "7")
    same_shape(logout, load_fixture("wsapi/session_logout_response.json"))
    assert logout["result"]["apiKey"] is None
    # The signature-based subscription survives the logout.
    assert request(ws, "8", "session.subscriptions")["result"] == [{"subscriptionId": 1}]
    with_limits = request(ws, 9, "time", {"returnRateLimits": True})
    assert with_limits["rateLimits"][0]["rateLimitType"] == "REQUEST_WEIGHT"
    assert with_limits["result"]["serverTime"] >= now_ms() - 5000


@pytest.mark.parametrize(
    ("mutate", "status", "code"),
    [
        (lambda p: p | {"signature": "0" * 64}, 400, -1022),
        (lambda p: p | {"apiKey": "B" * 64}, 401, -2015),
        (lambda p: p | {"apiKey": "short"}, 401, -2014),
        (lambda p: {k: v for k, v in p.items() if k != "signature"}, 400, -1102),
        (lambda p: {k: v for k, v in p.items() if k != "timestamp"}, 400, -1102),
        (lambda p: p | {"recvWindow": 70000}, 400, -1102),
    ],
)
def test_subscription_errors(
    fake_binance: FakeBinance, open_ws: OpenWS, mutate: Any, status: int, code: int
) -> None:
    ws = open_ws(fake_binance.ws_api_url)
    reply = request(
        ws,
        "e",
        "userDataStream.subscribe.signature",
        mutate(ws_api_signed(fake_binance.api_key, fake_binance.api_secret)),
    )
    assert reply["status"] == status
    assert reply["error"]["code"] == code
    assert "result" not in reply


def test_stale_timestamp_and_numbers_signed_as_sent(
    fake_binance: FakeBinance, open_ws: OpenWS
) -> None:
    ws = open_ws(fake_binance.ws_api_url)
    stale = ws_api_signed(
        fake_binance.api_key, fake_binance.api_secret, timestamp=now_ms() - 60_000
    )
    assert request(ws, 1, "userDataStream.subscribe.signature", stale)["error"]["code"] == -1021
    # recvWindow as a JSON number with decimals: signed exactly as written.
    text_params = (
        f'{{"apiKey":"{fake_binance.api_key}","recvWindow":6000.5,"timestamp":{now_ms()}}}'
    )
    params = json.loads(text_params)
    payload = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    signature = hmac_hex(fake_binance.api_secret, payload)
    raw = text_params[:-1] + f',"signature":"{signature}"}}'
    ws.send(f'{{"id":2,"method":"v3/userDataStream.subscribe.signature","params":{raw}}}')
    assert ws.until(lambda m: m.get("id") == 2)["status"] == 200
    recorded = next(c for c in fake_binance.control_messages() if c.id == 2)
    assert recorded.method == "v3/userDataStream.subscribe.signature"
    assert recorded.params["recvWindow"] == 6000.5


def test_bad_requests(fake_binance: FakeBinance, open_ws: OpenWS) -> None:
    ws = open_ws(fake_binance.ws_api_url)
    ws.send("{nope")
    assert ws.recv() == {
        "id": None,
        "status": 400,
        "error": {"code": -1135, "msg": "Invalid JSON Request"},
    }
    unknown = request(ws, 1, "order.place", {"symbol": "BTCUSDT"})
    assert unknown["error"] == {"code": -1020, "msg": "This operation is not supported."}
    ws.send({"id": 2})
    assert ws.recv()["error"]["code"] == -1102
    ws.send({"id": 3, "method": "ping", "params": [1]})
    assert ws.recv()["error"]["code"] == -1130
    ws.send("[1, 2]")
    assert ws.recv()["status"] == 400
    assert request(ws, 4, "ping")["result"] == {}


def test_microsecond_user_events(fake_binance: FakeBinance, open_ws: OpenWS) -> None:
    ws = open_ws(fake_binance.ws_api_url + "?timeUnit=MICROSECOND")
    plain = open_ws(fake_binance.ws_api_url)
    subscribe(ws, fake_binance.api_key, fake_binance.api_secret)
    subscribe(plain, fake_binance.api_key, fake_binance.api_secret)
    fake_binance.deposit("BNB", "1")
    micro, ms = events(ws, 1)[0]["event"], events(plain, 1)[0]["event"]
    assert micro["E"] == ms["E"] * 1000
    assert micro["T"] == ms["T"] * 1000
