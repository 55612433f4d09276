"""Gap refill logic on its own: the ledger's duplicate filter, the events
rebuilt from REST answers (a stand-in client returns them), and the
mailbox's ordering. No network."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from cryptoex import (
    AccountInfo,
    AccountUpdate,
    Balance,
    ExecutionType,
    Fill,
    Order,
    OrderNotFoundError,
    OrderStatus,
    OrderType,
    OrderUpdate,
    Side,
    TimeInForce,
)
from cryptoex._time import to_ms
from cryptoex.models import ExchangeInfo, SymbolInfo
from cryptoex.streaming.user_refill import Ledger, rebuild
from cryptoex.streaming.user_stream import _Mailbox

D = Decimal
ZERO = Decimal(0)
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
GAP = T0 + timedelta(minutes=10)  # the stream went down here
SINCE = to_ms(GAP)


def at(seconds: float) -> datetime:
    """A time *seconds* after the gap began (negative: before)."""
    return GAP + timedelta(seconds=seconds)


def order(
    order_id: int,
    status: OrderStatus,
    executed: str = "0",
    *,
    symbol: str = "BTCUSDT",
    quantity: str = "1",
    created: datetime = T0,
    updated: datetime | None = None,
    quote: str | None = None,
) -> Order:
    return Order(
        symbol=symbol,
        order_id=order_id,
        client_order_id=f"coid-{order_id}",
        side=Side.BUY,
        type=OrderType.LIMIT,
        time_in_force=TimeInForce.GTC,
        status=status,
        price=D("100"),
        quantity=D(quantity),
        executed_quantity=D(executed),
        cumulative_quote_quantity=D(quote if quote is not None else str(D(executed) * 100)),
        created_time=created,
        update_time=updated or created,
        is_working=status.is_open,
    )


def fill(order_id: int, trade_id: int, quantity: str, when: datetime, price: str = "100") -> Fill:
    return Fill(
        symbol="BTCUSDT",
        order_id=order_id,
        trade_id=trade_id,
        price=D(price),
        quantity=D(quantity),
        commission=D("0.001"),
        commission_asset="BTC",
        trade_time=when,
        quote_quantity=D(price) * D(quantity),
        is_buyer=True,
        is_maker=True,
    )


def account(update: datetime, **balances: tuple[str, str]) -> AccountInfo:
    return AccountInfo(
        account_type="SPOT",
        can_trade=True,
        can_withdraw=True,
        can_deposit=True,
        maker_commission=10,
        taker_commission=10,
        buyer_commission=0,
        seller_commission=0,
        update_time=update,
        balances=tuple(Balance(a, D(f), D(lk)) for a, (f, lk) in balances.items()),
    )


def symbol_info(name: str, base: str, quote: str) -> SymbolInfo:
    return SymbolInfo(
        symbol=name,
        status="TRADING",  # type: ignore[arg-type]
        base_asset=base,
        quote_asset=quote,
        base_asset_precision=8,
        quote_asset_precision=8,
    )


class StubClient:
    """The REST calls a refill makes, answered from lists; records calls."""

    def __init__(
        self,
        *,
        open_orders: list[Order] = (),  # type: ignore[assignment]
        info: AccountInfo | None = None,
        orders: list[Order] = (),  # type: ignore[assignment]
        fills: list[Fill] = (),  # type: ignore[assignment]
    ) -> None:
        self.open = list(open_orders)
        self.info = info or account(at(60), BTC=("1", "0"), USDT=("1000", "0"))
        self.orders = list(orders)
        self.fills = list(fills)
        self.calls: list[tuple[str, Any]] = []

    def get_open_orders(self, symbol: str | None = None) -> list[Order]:
        self.calls.append(("open_orders", symbol))
        return list(self.open)

    def get_account(self) -> AccountInfo:
        self.calls.append(("account", None))
        return self.info

    def get_order(self, symbol: str, order_id: int | None = None) -> Order:
        self.calls.append(("order", order_id))
        for o in self.orders:
            if o.order_id == order_id:
                return o
        raise OrderNotFoundError(400, -2013, "Order does not exist.")

    def get_orders(self, symbol: str, start: int | None = None) -> list[Order]:
        self.calls.append(("orders", symbol))
        return [
            o
            for o in self.orders
            if o.symbol == symbol
            and (start is None or (o.created_time is not None and to_ms(o.created_time) >= start))
        ]

    def get_trades(self, symbol: str, order_id: int | None = None) -> list[Fill]:
        self.calls.append(("trades", order_id))
        return [f for f in self.fills if f.order_id == order_id]

    def exchange_info(self) -> ExchangeInfo:
        self.calls.append(("exchange_info", None))
        return ExchangeInfo(
            timezone="UTC",
            server_time=T0,
            symbols=(
                symbol_info("BTCUSDT", "BTC", "USDT"),
                symbol_info("ETHUSDT", "ETH", "USDT"),
                symbol_info("ETHBTC", "ETH", "BTC"),
            ),
        )


def known(ledger: Ledger, o: Order, *, trade_ids: tuple[int, ...] = ()) -> None:
    """Tell the ledger about *o* as live events would have."""
    ledger.accept("order_update", update_from(o, ExecutionType.NEW, OrderStatus.NEW))
    for tid in trade_ids:
        ledger.accept(
            "order_update",
            update_from(
                o,
                ExecutionType.TRADE,
                o.status or OrderStatus.PARTIALLY_FILLED,
                trade_id=tid,
                filled=o.executed_quantity or D(0),
            ),
        )


def update_from(
    o: Order,
    execution: ExecutionType,
    status: OrderStatus,
    *,
    trade_id: int | None = None,
    filled: Decimal = ZERO,
    synthetic: bool = False,
) -> OrderUpdate:
    return OrderUpdate(
        account="alice",
        symbol=o.symbol,
        order_id=o.order_id,
        client_order_id=o.client_order_id,
        side=Side.BUY,
        type=OrderType.LIMIT,
        time_in_force=TimeInForce.GTC,
        status=status,
        execution_type=execution,
        price=D(100),
        quantity=D(1),
        stop_price=D(0),
        iceberg_quantity=D(0),
        last_filled_price=D(0),
        last_filled_quantity=D(0),
        cumulative_filled_quantity=filled,
        cumulative_quote_quantity=filled * 100,
        last_quote_quantity=D(0),
        quote_order_quantity=D(0),
        commission=D(0),
        trade_id=trade_id,
        reject_reason="NONE",
        is_working=True,
        is_maker=False,
        execution_id=1,
        event_time=T0,
        transaction_time=T0,
        created_time=T0,
        synthetic=synthetic,
    )


def run(client: StubClient, ledger: Ledger) -> tuple[list[tuple[str, Any]], list[Order]]:
    return rebuild(client, ledger.view(), SINCE, "alice", at(120))  # type: ignore[arg-type]


def summary(events: list[tuple[str, Any]]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for kind, e in events:
        assert e.synthetic is True
        assert e.account == "alice"
        if kind == "order_update":
            out.append(
                (
                    e.order_id,
                    e.execution_type.value,
                    e.status.value,
                    e.trade_id,
                    e.cumulative_filled_quantity,
                )
            )
        else:
            out.append(("account", tuple((b.asset, b.free, b.locked) for b in e.balances)))
    return out


# -- rebuild -------------------------------------------------------------------------


def test_known_open_order_filled_during_the_gap() -> None:
    ledger = Ledger()
    resting = order(7, OrderStatus.NEW)
    ledger.seed([], account(T0, BTC=("1", "0"), USDT=("1000", "100")))
    known(ledger, resting)
    filled = order(7, OrderStatus.FILLED, "1", updated=at(30))
    client = StubClient(
        orders=[filled],
        fills=[fill(7, 11, "0.4", at(10)), fill(7, 12, "0.6", at(20))],
        info=account(at(30), BTC=("2", "0"), USDT=("900", "0")),
    )
    events, learn = run(client, ledger)
    assert summary(events) == [
        (7, "TRADE", "PARTIALLY_FILLED", 11, D("0.4")),
        (7, "TRADE", "FILLED", 12, D("1.0")),
        ("account", (("BTC", D(2), D(0)), ("USDT", D(900), D(0)))),
    ]
    trade = events[0][1]
    assert trade.last_filled_quantity == D("0.4")
    assert trade.last_filled_price == D(100)
    assert trade.commission == D("0.001")
    assert trade.commission_asset == "BTC"
    assert trade.transaction_time == at(10)
    assert trade.client_order_id == "coid-7"
    assert trade.execution_id == 0
    assert events[1][1].cumulative_quote_quantity == D(100)
    assert events[2][1].last_update_time == at(30)
    assert learn == []
    assert ("order", 7) in client.calls


def test_only_fills_not_delivered_yet_are_rebuilt() -> None:
    ledger = Ledger()
    partly = order(7, OrderStatus.PARTIALLY_FILLED, "0.4")
    known(ledger, partly, trade_ids=(11,))
    client = StubClient(
        open_orders=[order(7, OrderStatus.PARTIALLY_FILLED, "0.7")],
        fills=[fill(7, 11, "0.4", at(-50)), fill(7, 13, "0.3", at(10))],
    )
    events, _ = run(client, ledger)
    assert summary(events)[:1] == [(7, "TRADE", "PARTIALLY_FILLED", 13, D("0.7"))]


def test_order_placed_and_filled_during_the_gap_found_through_balances() -> None:
    ledger = Ledger()
    ledger.seed([], account(T0, BTC=("1", "0"), USDT=("1000", "0"), ETH=("5", "0")))
    placed = order(9, OrderStatus.FILLED, "1", created=at(5), updated=at(6))
    client = StubClient(
        orders=[placed, order(3, OrderStatus.FILLED, "1", created=at(-3600))],
        fills=[fill(9, 21, "1", at(6))],
        info=account(at(6), BTC=("2", "0"), USDT=("900", "0"), ETH=("5", "0")),
    )
    events, _ = run(client, ledger)
    assert summary(events) == [
        (9, "NEW", "NEW", None, D(0)),
        (9, "TRADE", "FILLED", 21, D(1)),
        ("account", (("BTC", D(2), D(0)), ("USDT", D(900), D(0)))),
    ]
    # BTC and USDT changed: BTCUSDT was searched, ETHBTC and ETHUSDT not.
    searched = {arg for name, arg in client.calls if name == "orders"}
    assert searched == {"BTCUSDT"}


def test_old_unknown_open_order_is_learned_not_announced() -> None:
    ledger = Ledger()
    old = order(4, OrderStatus.NEW, created=at(-3600))
    client = StubClient(open_orders=[old])
    events, learn = run(client, ledger)
    assert [e for e in events if e[0] == "order_update"] == []
    assert learn == [old]
    ledger.seed(learn)
    assert ledger.view().open_orders() == [("BTCUSDT", 4)]


def test_cancel_during_the_gap() -> None:
    ledger = Ledger()
    resting = order(5, OrderStatus.NEW)
    known(ledger, resting)
    client = StubClient(orders=[order(5, OrderStatus.CANCELED, updated=at(3))])
    events, _ = run(client, ledger)
    (only,) = [e for k, e in events if k == "order_update"]
    assert only.execution_type is ExecutionType.CANCELED
    assert only.status is OrderStatus.CANCELED
    assert only.transaction_time == at(3)
    assert not only.is_working


def test_nothing_changed_means_no_events() -> None:
    ledger = Ledger()
    info = account(T0, BTC=("1", "0"), USDT=("1000", "0"))
    ledger.seed([order(5, OrderStatus.NEW)], info)
    client = StubClient(open_orders=[order(5, OrderStatus.NEW)], info=info)
    events, learn = run(client, ledger)
    assert events == []
    assert learn == []


def test_fill_missing_from_the_trade_list_is_reported_without_trade_id() -> None:
    ledger = Ledger()
    known(ledger, order(7, OrderStatus.NEW))
    client = StubClient(
        orders=[order(7, OrderStatus.FILLED, "1", updated=at(9), quote="100")],
        fills=[fill(7, 11, "0.4", at(4))],
    )
    events, _ = run(client, ledger)
    assert summary(events)[:2] == [
        (7, "TRADE", "PARTIALLY_FILLED", 11, D("0.4")),
        (7, "TRADE", "FILLED", None, D(1)),
    ]
    rest = events[1][1]
    assert rest.last_filled_quantity == D("0.6")
    assert rest.last_filled_price == D(100)


def test_an_order_the_exchange_forgot_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    ledger = Ledger()
    known(ledger, order(8, OrderStatus.NEW))
    events, _ = run(StubClient(), ledger)
    assert [e for e in events if e[0] == "order_update"] == []
    assert "unknown to the exchange" in caplog.text


def test_without_a_baseline_every_balance_is_reported() -> None:
    events, _ = run(StubClient(info=account(at(1), BTC=("1", "0"), EMPTY=("0", "0"))), Ledger())
    assert summary(events) == [("account", (("BTC", D(1), D(0)),))]


# -- the ledger ----------------------------------------------------------------------


def test_ledger_drops_duplicates_and_stale_balances() -> None:
    ledger = Ledger()
    o = order(1, OrderStatus.NEW)
    assert ledger.accept("order_update", update_from(o, ExecutionType.NEW, OrderStatus.NEW))
    assert not ledger.accept("order_update", update_from(o, ExecutionType.NEW, OrderStatus.NEW))
    trade = update_from(
        o, ExecutionType.TRADE, OrderStatus.PARTIALLY_FILLED, trade_id=5, filled=D("0.5")
    )
    assert ledger.accept("order_update", trade)
    assert not ledger.accept("order_update", trade), "same trade id twice"
    no_id = update_from(o, ExecutionType.TRADE, OrderStatus.PARTIALLY_FILLED, filled=D("0.5"))
    assert not ledger.accept("order_update", no_id), "nothing more filled"
    done = update_from(o, ExecutionType.CANCELED, OrderStatus.CANCELED, filled=D("0.5"))
    assert ledger.accept("order_update", done)
    assert not ledger.accept("order_update", done), "the same final status twice"
    assert ledger.view().open_orders() == []
    newer = AccountUpdate(account="alice", event_time=at(5), last_update_time=at(5))
    older = AccountUpdate(account="alice", event_time=at(1), last_update_time=at(1))
    assert ledger.accept("account_update", newer)
    assert not ledger.accept("account_update", older)
    assert ledger.accept("account_update", newer), "equal times are delivered"
    assert ledger.accept("balance_update", object())


def test_ledger_forgets_old_closed_orders(monkeypatch: pytest.MonkeyPatch) -> None:
    import cryptoex.streaming.user_refill as module

    monkeypatch.setattr(module, "CLOSED_ORDERS_REMEMBERED", 2)
    ledger = Ledger()
    for i in range(5):
        o = order(i, OrderStatus.FILLED)
        ledger.accept(
            "order_update", update_from(o, ExecutionType.TRADE, OrderStatus.FILLED, trade_id=i)
        )
    assert sorted(ledger.view().orders) == [("BTCUSDT", 3), ("BTCUSDT", 4)]


def test_seed_never_overrides_live_knowledge() -> None:
    ledger = Ledger()
    o = order(1, OrderStatus.PARTIALLY_FILLED, "0.5")
    ledger.accept(
        "order_update",
        update_from(
            o, ExecutionType.TRADE, OrderStatus.PARTIALLY_FILLED, trade_id=1, filled=D("0.5")
        ),
    )
    ledger.seed([order(1, OrderStatus.NEW)], account(T0, BTC=("1", "0")))
    state = ledger.view().orders[("BTCUSDT", 1)]
    assert state.filled == D("0.5")
    assert state.trade_ids == {1}
    live = AccountUpdate(
        account="alice",
        event_time=at(1),
        last_update_time=at(1),
        balances=(Balance("USDT", D(7), D(0)),),
    )
    ledger.accept("account_update", live)
    ledger.seed([], account(T0, USDT=("9", "0"), ETH=("3", "0")))
    assert ledger.view().balances == {
        "BTC": (D(1), D(0)),
        "USDT": (D(7), D(0)),
        "ETH": (D(3), D(0)),
    }


# -- the mailbox ---------------------------------------------------------------------


def test_mailbox_holds_live_events_behind_the_rebuilt_ones() -> None:
    seen: list[Any] = []
    box = _Mailbox(lambda kind, event: seen.append(event))
    box.push("order_update", "live-1")
    box.hold()
    box.push("order_update", "live-2")
    box.push("order_update", "live-3")
    assert seen == ["live-1"]
    box.release([("order_update", "rebuilt-a"), ("account_update", "rebuilt-b")])
    assert seen == ["live-1", "rebuilt-a", "rebuilt-b", "live-2", "live-3"]
    box.release()
    box.push("order_update", "live-4")
    assert seen[-1] == "live-4"


def test_mailbox_never_delivers_concurrently() -> None:
    active = [0]
    overlaps: list[int] = []
    lock = threading.Lock()
    seen: list[int] = []

    def deliver(kind: str, event: int) -> None:
        with lock:
            active[0] += 1
            if active[0] > 1:
                overlaps.append(event)
        seen.append(event)
        with lock:
            active[0] -= 1

    box = _Mailbox(deliver)

    def pusher(base: int) -> None:
        for i in range(2000):
            box.push("k", base + i)

    threads = [threading.Thread(target=pusher, args=(n * 10_000,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not overlaps
    assert len(seen) == 6000
    for n in range(3):
        mine = [e for e in seen if n * 10_000 <= e < (n + 1) * 10_000]
        assert mine == sorted(mine), "each producer's events keep their order"
