"""The adapter's user-data framing against Binance's published examples
(tests/fixtures/wsapi, tests/fixtures/user-data)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from cryptoex import AccountUpdate, AuthenticationError, BalanceUpdate, OrderUpdate, ParseError
from cryptoex.exchanges.binance import BINANCE_SPOT
from cryptoex.exchanges.binance.user_data import UserStreamEvent, WsApiReply
from cryptoex.models import Model
from tests.helpers import load_fixture


def test_subscribe_request_has_the_documented_shape() -> None:
    example = load_fixture("wsapi/userDataStream_subscribe_signature_request.json")
    frame = json.loads(BINANCE_SPOT.user_stream_subscribe(7, example["params"]))
    assert frame == {"id": 7, "method": example["method"], "params": example["params"]}


def test_unsubscribe_request_names_one_subscription() -> None:
    example = load_fixture("wsapi/userDataStream_unsubscribe_request.json")
    frame = json.loads(BINANCE_SPOT.user_stream_unsubscribe(8, 3))
    assert frame == {"id": 8, "method": example["method"], "params": {"subscriptionId": 3}}


def test_answers_are_told_from_events() -> None:
    ok = BINANCE_SPOT.user_stream_message(
        load_fixture("wsapi/userDataStream_subscribe_signature_response.json")
    )
    assert isinstance(ok, WsApiReply)
    assert ok.ok
    assert ok.subscription_id == 0
    refused = BINANCE_SPOT.user_stream_message(load_fixture("wsapi/error_session_revoked.json"))
    assert isinstance(refused, WsApiReply)
    assert not refused.ok
    assert refused.subscription_id is None
    assert isinstance(BINANCE_SPOT.error_from_ws_api(refused.response), AuthenticationError)
    unsubscribed = BINANCE_SPOT.user_stream_message(
        load_fixture("wsapi/userDataStream_unsubscribe_response.json")
    )
    assert isinstance(unsubscribed, WsApiReply)
    assert unsubscribed.ok
    assert unsubscribed.subscription_id is None
    assert BINANCE_SPOT.user_stream_message([1, 2]) is None
    assert BINANCE_SPOT.user_stream_message({"result": None}) is None


@pytest.mark.parametrize(
    ("fixture", "kind", "subscription"),
    [
        ("wsapi/serverShutdown.json", "shutdown", None),
        ("user-data/eventStreamTerminated.json", "terminated", 0),
        ("user-data/balanceUpdate.json", "data", 0),
    ],
)
def test_events_are_classified(fixture: str, kind: str, subscription: int | None) -> None:
    event = BINANCE_SPOT.user_stream_message(load_fixture(fixture))
    assert isinstance(event, UserStreamEvent)
    assert event.kind == kind
    assert event.subscription_id == subscription


def test_events_parse_with_the_account_label() -> None:
    def parse(fixture: str) -> tuple[str, Model]:
        event = BINANCE_SPOT.user_stream_message(load_fixture(fixture))
        assert isinstance(event, UserStreamEvent)
        parsed = BINANCE_SPOT.parse_user_event(event, "alice")
        assert parsed is not None
        return parsed

    kind, position = parse("wsapi/event_example_outboundAccountPosition.json")
    assert kind == "account_update"
    assert isinstance(position, AccountUpdate)
    assert position.account == "alice"
    assert position.balances[0].free == Decimal("11818.00000000")
    kind, balance = parse("user-data/balanceUpdate.json")
    assert (kind, type(balance)) == ("balance_update", BalanceUpdate)
    kind, report = parse("user-data/executionReport.json")
    assert (kind, type(report)) == ("order_update", OrderUpdate)
    assert isinstance(report, OrderUpdate)
    assert report.synthetic is False
    other = BINANCE_SPOT.user_stream_message(load_fixture("user-data/listStatus.json"))
    assert isinstance(other, UserStreamEvent)
    assert BINANCE_SPOT.parse_user_event(other, "alice") is None
    broken = UserStreamEvent(0, "data", "executionReport", {"e": "executionReport"})
    with pytest.raises(ParseError):
        BINANCE_SPOT.parse_user_event(broken, "alice")
