"""The user stream's harder paths against FakeBinance: a skewed clock on
resubscription, refills that fail and are retried, frames that are not
events, stopping while a subscription is awaited, misuse."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest

from cryptoex import OrderUpdate, UserClient, ValidationError, signals
from cryptoex.streaming import StreamManager
from tests.helpers import Recorder, wait_until

Fakes = Callable[..., Any]
Managers = Callable[..., StreamManager]


@pytest.fixture
def client_for() -> Iterator[Callable[..., UserClient]]:
    made: list[UserClient] = []

    def make(fake: Any, **kw: Any) -> UserClient:
        kw.setdefault("ws_api_url", fake.ws_api_url)
        client = UserClient(fake.api_key, fake.api_secret, rest_url=fake.rest_url, **kw)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def drop_and_wait(fake: Any, sm: StreamManager, refuse: bool = True) -> None:
    lost = Recorder()
    signals.disconnected.connect(lost, sender=sm)
    try:
        if refuse:
            fake.faults.refuse_connections(10_000)
        fake.faults.drop_connections(kind="ws-api")
        assert lost.wait(1)
    finally:
        signals.disconnected.disconnect(lost, sender=sm)


def missed_fill_arrives(orders: Recorder, order_id: int) -> bool:
    return orders.wait(
        predicate=lambda evs: any(
            isinstance(e, OrderUpdate) and e.order_id == order_id and e.synthetic for e in evs
        )
    )


def test_skewed_clock_on_resubscribe_resyncs_and_subscribes(
    fakes: Fakes, managers: Managers, client_for: Callable[..., UserClient], caplog: Any
) -> None:
    fake = fakes(message_rate=0)
    sm = managers(fake).start()
    user = sm.subscribe_user(client_for(fake))
    first = user._user.subscription_id
    # The exchange's clock moves a minute ahead of what the client measured:
    # the subscribe after the reconnect is outside recvWindow (-1021).
    fake.faults.set_clock_offset(60_000)
    drop_and_wait(fake, sm, refuse=False)
    assert not user.is_subscribed
    assert wait_until(lambda: user.is_subscribed)
    assert "code -1021" in caplog.text
    assert "resyncing the clock" in caplog.text
    assert first is not None


def test_refill_failure_is_retried(
    fakes: Fakes, managers: Managers, client_for: Callable[..., UserClient], caplog: Any
) -> None:
    fake = fakes(message_rate=0)
    client = client_for(fake)
    sm = managers(fake).start()
    user = sm.subscribe_user(client)
    orders = Recorder()
    user.on_order_update()(orders)
    drop_and_wait(fake, sm)
    missed = client.place_order("BTCUSDT", side="BUY", type="MARKET", quantity="0.001")
    fake.faults.clear()
    fake.faults.fail_next("/api/v3/openOrders", method="GET", count=1, status=400)
    assert missed_fill_arrives(orders, missed.order_id)
    assert "gap refill failed" in caplog.text


def test_refill_that_keeps_failing_lets_live_events_through_first(
    fakes: Fakes, managers: Managers, client_for: Callable[..., UserClient], caplog: Any
) -> None:
    fake = fakes(message_rate=0)
    client = client_for(fake)
    sm = managers(fake).start()
    user = sm.subscribe_user(client)
    orders = Recorder()
    user.on_order_update()(orders)
    drop_and_wait(fake, sm)
    missed = client.place_order("BTCUSDT", side="BUY", type="MARKET", quantity="0.001")
    fake.faults.clear()
    fake.faults.fail_next("/api/v3/openOrders", method="GET", count=3, status=400)
    with caplog.at_level(logging.ERROR, logger="cryptoex.streaming.user_stream"):
        assert wait_until(lambda: "failed 3 times" in caplog.text)
    live = client.place_order("BTCUSDT", side="SELL", type="MARKET", quantity="0.001")
    assert missed_fill_arrives(orders, missed.order_id)
    live_updates = [e for e in orders.events if e.order_id == live.order_id]
    assert live_updates
    assert not any(e.synthetic for e in live_updates)


def test_frames_that_are_not_deliverable_events(
    fakes: Fakes, managers: Managers, client_for: Callable[..., UserClient], caplog: Any
) -> None:
    fake = fakes(message_rate=0)
    sm = managers(fake).start()
    user = sm.subscribe_user(client_for(fake))
    every = Recorder()
    user.on_order_update()(every)
    user.on_balance_update()(every)
    internal = user._user
    link = internal.link
    assert link is not None
    sub = internal.subscription_id
    on_message = link.message_callback(link.conn)  # what the reader thread runs
    on_message(None, b"not json")
    on_message(None, b'{"unexpected": true}')
    on_message(None, orjson.dumps({"subscriptionId": sub, "event": {"e": "executionReport"}}))
    on_message(None, orjson.dumps({"subscriptionId": sub, "event": {"e": "listStatus"}}))
    on_message(None, orjson.dumps({"subscriptionId": 999, "event": {"e": "balanceUpdate"}}))
    on_message(None, orjson.dumps({"id": 424242, "status": 200, "result": {}}))
    assert internal.parse_errors == 1
    assert len(every) == 0
    assert "not JSON" in caplog.text
    assert "unexpected frame" in caplog.text
    assert "does not parse" in caplog.text
    # An event without a subscription id, on a connection with one
    # subscription, belongs to it.
    bare = {"e": "balanceUpdate", "E": 1, "a": "BNB", "d": "2.5", "T": 1}
    on_message(None, orjson.dumps({"event": bare}))
    assert every.wait(1)
    assert every.events[0].asset == "BNB"
    # The stream still works.
    fake.deposit("USDT", "1")
    assert every.wait(2)


def test_stop_while_waiting_for_a_confirmation(
    fakes: Fakes, managers: Managers, client_for: Callable[..., UserClient]
) -> None:
    import socket

    fake = fakes(message_rate=0)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = client_for(fake, ws_api_url=f"ws://127.0.0.1:{port}/ws-api/v3")
    sm = managers(fake).start()
    outcome: list[BaseException] = []
    waiting = threading.Event()

    def subscribe() -> None:
        waiting.set()
        try:
            sm.subscribe_user(client, timeout=30)
        except BaseException as exc:  # recorded for the assertion
            outcome.append(exc)

    thread = threading.Thread(target=subscribe)
    thread.start()
    assert waiting.wait(5)
    assert wait_until(lambda: sm._user_streams is not None and bool(sm._user_streams._users))
    sm.stop()
    thread.join(5)
    assert not thread.is_alive()
    assert isinstance(outcome[0], RuntimeError)
    assert "stopped" in str(outcome[0])


def test_misuse_is_reported_clearly(
    fakes: Fakes, managers: Managers, client_for: Callable[..., UserClient]
) -> None:
    fake = fakes(message_rate=0)
    sm = managers(fake).start()
    with pytest.raises(TypeError, match="UserClient"):
        sm.subscribe_user(object())  # type: ignore[arg-type]
    user = sm.subscribe_user(client_for(fake))
    with pytest.raises(TypeError, match="decorates a callable"):
        user.on_order_update()(42)  # type: ignore[type-var]
    with pytest.raises(ValidationError):
        user.on_order_update("")
    with pytest.raises(TypeError):
        user.on_balance_update(print)  # type: ignore[arg-type]
    assert repr(user).startswith("<UserStream account=")
    assert user.client is not None
