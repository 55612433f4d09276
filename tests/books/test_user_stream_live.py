"""User data over the WebSocket API against FakeBinance on loopback: orders
produce NEW and TRADE updates and account updates through every kind of
receiver, several users at once, refused keys, unsubscribe, and gaps
(dropped connection, eventStreamTerminated, serverShutdown) closed by the
REST refill so no fill is ever missed."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

import cryptoex
from cryptoex import (
    AccountUpdate,
    AuthenticationError,
    BalanceUpdate,
    ExecutionType,
    NetworkError,
    OrderStatus,
    OrderUpdate,
    UserClient,
    UserStream,
    signals,
)
from cryptoex.streaming import StreamManager
from tests.helpers import Recorder, wait_until

Fakes = Callable[..., Any]
Managers = Callable[..., StreamManager]
D = Decimal


@pytest.fixture
def clients() -> Iterator[Callable[..., UserClient]]:
    made: list[UserClient] = []

    def make(
        fake: Any, api_key: str | None = None, secret: str | None = None, **kw: Any
    ) -> UserClient:
        kw.setdefault("ws_api_url", fake.ws_api_url)
        client = UserClient(
            api_key or fake.api_key, secret or fake.api_secret, rest_url=fake.rest_url, **kw
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


Clients = Callable[..., UserClient]


def ws_api_conns(fake: Any) -> list[Any]:
    return [c for c in fake.connections() if c.kind == "ws-api"]


def order_updates(rec: Recorder, order_id: int) -> list[OrderUpdate]:
    return [e for e in rec.events if isinstance(e, OrderUpdate) and e.order_id == order_id]


def wait_ws_api_closed(sm: StreamManager, action: Callable[[], Any]) -> None:
    """Run *action* and wait until the manager saw a WebSocket API connection close."""
    lost = Recorder()

    def on_lost(sender: Any, **kw: Any) -> None:
        if kw["connection"].startswith("cryptoex-ws-api"):
            lost(sender, **kw)

    signals.disconnected.connect(on_lost, sender=sm)
    try:
        action()
        assert lost.wait(1)
    finally:
        signals.disconnected.disconnect(on_lost, sender=sm)


def test_market_order_produces_new_trade_and_account_updates(
    fakes: Fakes, managers: Managers, clients: Clients
) -> None:
    fake = fakes(message_rate=5)
    client = clients(fake, name="alice")
    sm = managers(fake).start()
    user = sm.subscribe_user(client)
    assert isinstance(user, UserStream)
    assert user.is_subscribed
    assert user.account == "alice"
    assert len(ws_api_conns(fake)) == 1
    mine, every, accounts = Recorder(), Recorder(), Recorder()
    user.on_order_update("btcusdt")(mine)
    user.on_account_update()(accounts)
    sm.on_order_update()(every)
    on_signal = Recorder()
    signals.order_update.connect(on_signal, sender="alice")
    try:
        order = client.place_order("BTCUSDT", side="BUY", type="MARKET", quantity="0.001")
        assert mine.wait(predicate=lambda evs: len(order_updates_in(evs, order.order_id)) >= 2)
        assert accounts.wait(1)
        assert on_signal.wait(2)
    finally:
        signals.order_update.disconnect(on_signal, sender="alice")
    new, trade = order_updates(mine, order.order_id)[:2]
    assert new.execution_type is ExecutionType.NEW
    assert new.status is OrderStatus.NEW
    assert trade.execution_type is ExecutionType.TRADE
    assert trade.status is OrderStatus.FILLED
    assert trade.last_filled_quantity == D("0.001")
    assert trade.trade_id is not None
    assert trade.client_order_id == order.client_order_id
    for update in (new, trade):
        assert update.account == "alice"
        assert update.symbol == "BTCUSDT"
        assert update.synthetic is False
    assert on_signal.senders[:2] == ["alice", "alice"]
    assert wait_until(lambda: len(every) >= 2)
    (position,) = accounts.events[:1]
    assert isinstance(position, AccountUpdate)
    assert {b.asset for b in position.balances} >= {"BTC", "USDT"}
    assert position.account == "alice"


def order_updates_in(events: list[Any], order_id: int) -> list[OrderUpdate]:
    return [e for e in events if isinstance(e, OrderUpdate) and e.order_id == order_id]


def test_resting_order_then_cancel_and_a_deposit(
    fakes: Fakes, managers: Managers, clients: Clients
) -> None:
    fake = fakes(message_rate=0)
    client = clients(fake)
    sm = managers(fake)  # never started: user data needs no market stream
    user = sm.subscribe_user(client)
    orders, balances = Recorder(), Recorder()
    user.on_order_update()(orders)
    user.on_balance_update("usdt")(balances)
    price = (fake.price("BTCUSDT") * D("0.9")).quantize(D("0.01"))
    order = client.place_order(
        "BTCUSDT", side="BUY", type="LIMIT", quantity="0.001", price=price, time_in_force="GTC"
    )
    assert orders.wait(1)
    client.cancel_order("BTCUSDT", order_id=order.order_id)
    assert orders.wait(predicate=lambda evs: len(order_updates_in(evs, order.order_id)) >= 2)
    new, cancel = order_updates(orders, order.order_id)
    assert new.status is OrderStatus.NEW
    assert new.is_working
    assert cancel.execution_type is ExecutionType.CANCELED
    assert cancel.client_order_id == order.client_order_id
    fake.deposit("BTC", "1")  # filtered out (USDT only)
    fake.deposit("USDT", "25.5")
    assert balances.wait(1)
    (deposit,) = balances.events
    assert isinstance(deposit, BalanceUpdate)
    assert deposit.asset == "USDT"
    assert deposit.delta == D("25.5")
    assert deposit.account == client.account
    assert "…" in deposit.account, "unnamed clients are labelled with the masked key"


def test_two_users_each_get_only_their_own_events(
    fakes: Fakes, managers: Managers, clients: Clients
) -> None:
    fake = fakes(message_rate=5)
    bob_key, bob_secret = fake.add_account(balances={"USDT": "5000", "BTC": "1"}, name="bob")
    alice = clients(fake, name="alice")
    bob = clients(fake, bob_key, bob_secret, name="bob")
    sm = managers(fake).start()
    users = {c.account: sm.subscribe_user(c) for c in (alice, bob)}
    assert len(ws_api_conns(fake)) == 1, "two accounts share one connection"
    seen = {name: Recorder() for name in users}
    for name, user in users.items():
        user.on_order_update()(seen[name])
    every = Recorder()
    sm.on_order_update()(every)
    a = alice.place_order("BTCUSDT", side="BUY", type="MARKET", quantity="0.001")
    b = bob.place_order("BTCUSDT", side="SELL", type="MARKET", quantity="0.002")
    assert seen["alice"].wait(2)
    assert seen["bob"].wait(2)
    assert wait_until(lambda: len(every) >= 4)
    assert {e.order_id for e in seen["alice"].events} == {a.order_id}
    assert {e.order_id for e in seen["bob"].events} == {b.order_id}
    assert {e.account for e in seen["alice"].events} == {"alice"}
    assert {e.account for e in seen["bob"].events} == {"bob"}
    assert {(e.account, e.order_id) for e in every.events} == {
        ("alice", a.order_id),
        ("bob", b.order_id),
    }


def test_refused_key_or_signature_raises_authentication_error(
    fakes: Fakes, managers: Managers, clients: Clients
) -> None:
    fake = fakes(message_rate=0)
    sm = managers(fake).start()
    bad_secret = clients(fake, secret="not-the-secret-" + "x" * 40)
    with pytest.raises(AuthenticationError) as refused:
        sm.subscribe_user(bad_secret)
    assert refused.value.code == -1022
    unknown_key = clients(fake, api_key="A" * 64)
    with pytest.raises(AuthenticationError):
        sm.subscribe_user(unknown_key)
    # Nothing was left behind: the connection carried only the refused ones.
    assert wait_until(lambda: not ws_api_conns(fake))
    good = clients(fake)
    assert sm.subscribe_user(good).is_subscribed


def test_no_confirmation_in_time_is_a_network_error(
    fakes: Fakes, managers: Managers, clients: Clients
) -> None:
    import socket

    fake = fakes(message_rate=0)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = clients(fake, ws_api_url=f"ws://127.0.0.1:{port}/ws-api/v3")
    sm = managers(fake).start()
    with pytest.raises(NetworkError, match="did not confirm"):
        sm.subscribe_user(client, timeout=0.3)


def test_manager_ws_api_url_is_used_when_the_client_has_only_the_default(
    fakes: Fakes, managers: Managers
) -> None:
    fake = fakes(message_rate=0)
    client = UserClient(fake.api_key, fake.api_secret, rest_url=fake.rest_url)
    try:
        sm = managers(fake).start()
        assert sm.subscribe_user(client).is_subscribed
    finally:
        client.close()


def test_same_client_twice_shares_one_subscription(
    fakes: Fakes, managers: Managers, clients: Clients
) -> None:
    fake = fakes(message_rate=0)
    client = clients(fake)
    sm = managers(fake).start()
    first, second = sm.subscribe_user(client), sm.subscribe_user(client)
    assert first is not second
    subscribes = [
        m for m in fake.control_messages() if m.method == "userDataStream.subscribe.signature"
    ]
    assert len(subscribes) == 1
    one, two = Recorder(), Recorder()
    first.on_balance_update()(one)
    second.on_balance_update()(two)
    fake.deposit("USDT", "1")
    assert one.wait(1)
    assert two.wait(1)
    first.unsubscribe()
    first.unsubscribe()
    assert not first.active
    fake.deposit("USDT", "2")
    assert two.wait(2)
    assert len(one) == 1, "a released handle hears nothing more"
    assert second.is_subscribed
    second.unsubscribe()
    assert "released" in repr(second)
    assert wait_until(lambda: not ws_api_conns(fake)), "the last user closes the connection"


def test_unsubscribe_ends_one_account_and_keeps_the_other(
    fakes: Fakes, managers: Managers, clients: Clients
) -> None:
    fake = fakes(message_rate=0)
    bob_key, bob_secret = fake.add_account(name="bob")
    sm = managers(fake).start()
    alice = sm.subscribe_user(clients(fake, name="alice"))
    bob = sm.subscribe_user(clients(fake, bob_key, bob_secret, name="bob"))
    heard = {"alice": Recorder(), "bob": Recorder()}
    alice.on_balance_update()(heard["alice"])
    bob.on_balance_update()(heard["bob"])
    with alice:
        pass  # leaving the block unsubscribes
    assert not alice.active

    def unsubscribes() -> list[Any]:
        return [m for m in fake.control_messages() if m.method == "userDataStream.unsubscribe"]

    assert wait_until(lambda: len(unsubscribes()) == 1)
    assert unsubscribes()[0].params == {"subscriptionId": 0}
    fake.deposit("USDT", "1")  # alice's account
    fake.deposit("USDT", "1", api_key=bob_key)
    assert heard["bob"].wait(1)
    assert len(heard["alice"]) == 0
    assert len(ws_api_conns(fake)) == 1


def test_fill_while_disconnected_arrives_through_the_refill(
    fakes: Fakes, managers: Managers, clients: Clients
) -> None:
    fake = fakes(message_rate=0)
    client = clients(fake, name="alice")
    sm = managers(fake).start()
    user = sm.subscribe_user(client)
    orders, accounts = Recorder(), Recorder()
    user.on_order_update()(orders)
    user.on_account_update()(accounts)
    price = fake.price("BTCUSDT")
    resting = client.place_order(
        "BTCUSDT",
        side="BUY",
        type="LIMIT",
        quantity="0.002",
        price=(price - 50).quantize(D("0.01")),
        time_in_force="GTC",
    )
    assert orders.wait(1)  # NEW, live
    live_accounts = len(accounts)
    # The connection goes and stays down while the order fills and another
    # one is placed and filled.
    fake.faults.refuse_connections(10_000)
    wait_ws_api_closed(sm, lambda: fake.faults.drop_connections(kind="ws-api"))
    assert not user.is_subscribed
    fake.set_price("BTCUSDT", price - 100)  # the market moves through the order
    assert wait_until(
        lambda: any(
            o["orderId"] == resting.order_id and o["status"] == "FILLED" for o in fake.orders()
        )
    )
    unseen = client.place_order("BTCUSDT", side="SELL", type="MARKET", quantity="0.001")
    assert len(order_updates(orders, resting.order_id)) == 1
    fake.faults.clear()
    assert orders.wait(predicate=lambda evs: len(order_updates_in(evs, unseen.order_id)) >= 2)
    assert wait_until(lambda: any(order_updates_in(orders.events, resting.order_id)[1:]))
    fills = order_updates(orders, resting.order_id)[1:]
    assert all(u.synthetic for u in fills)
    assert [u.execution_type for u in fills] == [ExecutionType.TRADE] * len(fills)
    assert fills[-1].status is OrderStatus.FILLED
    assert fills[-1].cumulative_filled_quantity == D("0.002")
    assert sum(u.last_filled_quantity for u in fills) == D("0.002")
    trade_ids = {t.trade_id for t in client.get_trades("BTCUSDT", order_id=resting.order_id)}
    assert {u.trade_id for u in fills} == trade_ids
    new, trade = order_updates(orders, unseen.order_id)[:2]
    assert (new.execution_type, trade.execution_type) == (ExecutionType.NEW, ExecutionType.TRADE)
    assert new.synthetic
    assert trade.synthetic
    assert trade.status is OrderStatus.FILLED
    assert accounts.wait(live_accounts + 1)
    rebuilt = accounts.events[-1]
    assert rebuilt.synthetic
    expected = fake.balances()
    for balance in rebuilt.balances:
        assert (balance.free, balance.locked) == expected[balance.asset]
    # Nothing twice: live events after the gap are not duplicated either.
    later = client.place_order("BTCUSDT", side="BUY", type="MARKET", quantity="0.001")
    assert orders.wait(predicate=lambda evs: len(order_updates_in(evs, later.order_id)) >= 2)
    assert not any(u.synthetic for u in order_updates(orders, later.order_id))
    ids = [(u.order_id, u.execution_type, u.trade_id) for u in orders.events]
    assert len(ids) == len(set(ids))


def test_event_stream_terminated_resubscribes_and_refills(
    fakes: Fakes, managers: Managers, clients: Clients
) -> None:
    fake = fakes(message_rate=0)
    client = clients(fake)
    sm = managers(fake).start()
    user = sm.subscribe_user(client)
    orders = Recorder()
    user.on_order_update()(orders)
    internal = user._user
    first = internal.subscription_id
    assert first is not None
    link = internal.link
    assert link is not None
    # Make the exchange end the subscription (it then sends
    # eventStreamTerminated), as it does when a subscription expires.
    link.conn.send(
        json.dumps(
            {"id": "x", "method": "userDataStream.unsubscribe", "params": {"subscriptionId": first}}
        )
    )
    order = client.place_order("BTCUSDT", side="BUY", type="MARKET", quantity="0.001")
    assert orders.wait(predicate=lambda evs: len(order_updates_in(evs, order.order_id)) >= 2)
    assert wait_until(lambda: internal.subscription_id not in (None, first))
    assert len(ws_api_conns(fake)) == 1, "same connection, new subscription"
    kinds = [u.execution_type for u in order_updates(orders, order.order_id)]
    assert kinds[:2] == [ExecutionType.NEW, ExecutionType.TRADE]


def test_server_shutdown_reconnects_and_keeps_delivering(
    fakes: Fakes, managers: Managers, clients: Clients
) -> None:
    fake = fakes(message_rate=0)
    client = clients(fake)
    sm = managers(fake).start()
    user = sm.subscribe_user(client)
    balances = Recorder()
    user.on_balance_update()(balances)
    (before,) = ws_api_conns(fake)
    assert fake.faults.server_shutdown(kind="ws-api", close_after=None) == 1
    assert wait_until(lambda: [c.id for c in ws_api_conns(fake)] not in ([], [before.id]))
    assert wait_until(lambda: user.is_subscribed)
    fake.deposit("USDT", "3")
    assert balances.wait(1)


def test_module_level_decorators_see_every_user(fakes: Fakes, clients: Clients) -> None:
    fake = fakes(message_rate=0)
    cryptoex.configure(ws_url=fake.ws_url, rest_url=fake.rest_url, ws_api_url=fake.ws_api_url)
    seen = Recorder()
    cryptoex.on_balance_update("USDT")(seen)
    sm = cryptoex.default_manager()
    try:
        sm.subscribe_user(clients(fake, name="carol"))
        fake.deposit("USDT", "1")
        assert seen.wait(1)
        assert seen.events[0].account == "carol"
    finally:
        sm.stop()


def test_a_raising_callback_does_not_stop_the_stream(
    fakes: Fakes, managers: Managers, clients: Clients
) -> None:
    fake = fakes(message_rate=0)
    sm = managers(fake).start()
    user = sm.subscribe_user(clients(fake))
    after = Recorder()
    reports: list[dict[str, Any]] = []
    errors = Recorder()

    def on_error(sender: Any, **kw: Any) -> None:
        reports.append(kw)
        errors(sender, **kw)

    signals.callback_error.connect(on_error, sender=sm)

    @user.on_balance_update()
    def broken(event: Any) -> None:
        raise RuntimeError("user bug")

    user.on_balance_update()(after)
    try:
        fake.deposit("USDT", "1")
        fake.deposit("USDT", "2")
        assert after.wait(2)
        assert errors.wait(2)
    finally:
        signals.callback_error.disconnect(on_error, sender=sm)
    assert reports[0]["callback"] is broken
    assert isinstance(reports[0]["exception"], RuntimeError)


def test_stop_ends_every_user_data_thread(
    fakes: Fakes, managers: Managers, clients: Clients
) -> None:
    fake = fakes(message_rate=0)
    sm = managers(fake).start()
    sm.subscribe_user(clients(fake))
    assert any(t.name.startswith("cryptoex-user") for t in threading.enumerate())
    sm.stop()
    assert not any(
        t.name.startswith(("cryptoex-user", "cryptoex-ws-api")) for t in threading.enumerate()
    )
    with pytest.raises(RuntimeError, match="stopped"):
        sm.subscribe_user(clients(fake))
