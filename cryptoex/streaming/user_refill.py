"""Closing a user-data gap: what a user has been told (:class:`Ledger`) and the
events that rebuild what changed while the stream was down
(:func:`rebuild`), from REST answers.

Binance does not replay user-data events missed while a WebSocket API
connection was down (``user-data.md`` §5). After every resubscription the
user stream asks the account's :class:`~cryptoex.UserClient` for open
orders, the account, the orders it knew to be open, the history of the
symbols that may have traded, and the fills of every order that changed,
and turns the differences into :class:`~cryptoex.OrderUpdate` and
:class:`~cryptoex.AccountUpdate` events marked ``synthetic=True``.

The :class:`Ledger` is also the duplicate filter: every event, live or
synthetic, passes :meth:`Ledger.accept` before it is delivered, so a fill
that both the refill and the new subscription report reaches the callbacks
once.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from cryptoex._time import from_ms, to_ms
from cryptoex.enums import ExecutionType, OrderStatus, OrderType, Side, TimeInForce
from cryptoex.errors import CryptoExError, OrderNotFoundError
from cryptoex.models import AccountInfo, AccountUpdate, Balance, Fill, Order, OrderUpdate

if TYPE_CHECKING:
    from cryptoex.rest.user import UserClient

__all__ = ["CLOSED_ORDERS_REMEMBERED", "Ledger", "LedgerView", "OrderState", "rebuild"]

logger = logging.getLogger(__name__)

#: Finished orders remembered for duplicate filtering (per account).
CLOSED_ORDERS_REMEMBERED: Final = 10_000
#: Final order statuses and the execution type that reports each.
FINAL: Final[Mapping[OrderStatus, ExecutionType]] = {
    OrderStatus.CANCELED: ExecutionType.CANCELED,
    OrderStatus.EXPIRED: ExecutionType.EXPIRED,
    OrderStatus.REJECTED: ExecutionType.REJECTED,
    OrderStatus.EXPIRED_IN_MATCH: ExecutionType.TRADE_PREVENTION,
}
_FINISHED: Final = frozenset({OrderStatus.FILLED, *FINAL})
_ZERO: Final = Decimal(0)

Key = tuple[str, int]
Event = tuple[str, Any]


@dataclass
class OrderState:
    """What the user was told about one order."""

    status: OrderStatus | None
    filled: Decimal
    trade_ids: set[int]

    @property
    def is_open(self) -> bool:
        """Whether the order may still change."""
        return self.status not in _FINISHED


@dataclass(frozen=True)
class LedgerView:
    """A copy of a :class:`Ledger` for one refill."""

    orders: Mapping[Key, OrderState]
    symbols: frozenset[str]
    balances: Mapping[str, tuple[Decimal, Decimal]] | None

    def open_orders(self) -> list[Key]:
        """Orders the user believes open."""
        return [key for key, state in self.orders.items() if state.is_open]


class Ledger:
    """What one account's user has been told: order states (with the trade
    ids delivered) and balances. Thread-safe (its own lock, never held while
    calling out)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._orders: dict[Key, OrderState] = {}
        self._closed: deque[Key] = deque()
        self._symbols: set[str] = set()
        self._balances: dict[str, tuple[Decimal, Decimal]] | None = None
        # Newest account update delivered (ms): older ones are stale.
        self._told_ms: int | None = None

    def seed(self, orders: Iterable[Order], account: AccountInfo | None = None) -> None:
        """Learn orders and balances from REST without telling the user
        (the baseline at subscription time). Never overrides what live
        events said."""
        with self._lock:
            for order in orders:
                key = (order.symbol, order.order_id)
                if key in self._orders:
                    continue
                self._orders[key] = OrderState(
                    order.status, order.executed_quantity or _ZERO, set()
                )
                self._symbols.add(order.symbol)
            if account is not None:
                if self._balances is None:
                    self._balances = {}
                for b in account.balances:
                    # An asset a live event reported already keeps that value.
                    self._balances.setdefault(b.asset, (b.free, b.locked))

    def accept(self, kind: str, event: Any) -> bool:
        """Record *event* and say whether it is news (deliver it) or a
        duplicate / stale copy of something already delivered (drop it)."""
        if kind == "order_update" and isinstance(event, OrderUpdate):
            with self._lock:
                return self._accept_order(event)
        if kind == "account_update" and isinstance(event, AccountUpdate):
            with self._lock:
                return self._accept_account(event)
        return True

    def _accept_order(self, update: OrderUpdate) -> bool:
        key = (update.symbol, update.order_id)
        state = self._orders.get(key)
        kind = update.execution_type
        if state is not None:
            if kind is ExecutionType.NEW:
                return False  # the order is known already
            if kind is ExecutionType.TRADE:
                trade_id = update.trade_id
                if trade_id is not None and trade_id in state.trade_ids:
                    return False
                if trade_id is None and update.cumulative_filled_quantity <= state.filled:
                    return False
            elif state.status is update.status and state.status in _FINISHED:
                return False  # the same final status twice
        else:
            state = OrderState(None, _ZERO, set())
            self._orders[key] = state
        state.status = update.status
        if update.cumulative_filled_quantity > state.filled:
            state.filled = update.cumulative_filled_quantity
        if update.trade_id is not None:
            state.trade_ids.add(update.trade_id)
        self._symbols.add(update.symbol)
        if update.status in _FINISHED:
            self._closed.append(key)
            while len(self._closed) > CLOSED_ORDERS_REMEMBERED:
                self._orders.pop(self._closed.popleft(), None)
        return True

    def _accept_account(self, update: AccountUpdate) -> bool:
        update_ms = to_ms(update.last_update_time)
        if self._told_ms is not None and update_ms < self._told_ms:
            return False  # older than balances already delivered (a refill's)
        self._told_ms = update_ms if self._told_ms is None else max(self._told_ms, update_ms)
        if self._balances is None:
            self._balances = {}
        for balance in update.balances:
            self._balances[balance.asset] = (balance.free, balance.locked)
        return True

    def view(self) -> LedgerView:
        """A copy for one refill."""
        with self._lock:
            orders = {
                key: OrderState(s.status, s.filled, set(s.trade_ids))
                for key, s in self._orders.items()
            }
            balances = dict(self._balances) if self._balances is not None else None
            return LedgerView(orders, frozenset(self._symbols), balances)


def rebuild(
    client: UserClient, view: LedgerView, since_ms: int, account: str, now: datetime
) -> tuple[list[Event], list[Order]]:
    """The events that rebuild what changed since *since_ms* (exchange time),
    in exchange-time order, and the orders to learn silently.

    REST calls: open orders (all symbols), the account, each order believed
    open but no longer open, the order history since *since_ms* of every
    symbol that may have traded (known symbols, and symbols whose base and
    quote balances both changed), and the fills of each order whose filled
    quantity grew.

    :raises CryptoExError: when a REST call fails (the caller retries).
    """
    open_now = client.get_open_orders()
    info = client.get_account()
    candidates: dict[Key, Order] = {(o.symbol, o.order_id): o for o in open_now}
    for key in view.open_orders():
        if key in candidates:
            continue
        try:
            candidates[key] = client.get_order(key[0], order_id=key[1])
        except OrderNotFoundError:
            logger.warning("%s: order %s %d is unknown to the exchange", account, *key)
    symbols = set(view.symbols) | {key[0] for key in candidates}
    symbols |= _traded_symbols(client, view.balances, info)
    for symbol in sorted(symbols):
        for order in client.get_orders(symbol, start=since_ms):
            candidates.setdefault((order.symbol, order.order_id), order)
    events: list[Event] = []
    learn: list[Order] = []
    for key, order in candidates.items():
        built = _order_events(client, order, view.orders.get(key), since_ms, account, now)
        if built:
            events.extend(("order_update", e) for e in built)
        elif key not in view.orders:
            learn.append(order)
    # Stable: the events of one order keep their order on equal times.
    events.sort(key=lambda item: to_ms(item[1].transaction_time))
    balances = _account_event(view.balances, info, account)
    if balances is not None:
        events.append(("account_update", balances))
    return events, learn


def _traded_symbols(
    client: UserClient,
    before: Mapping[str, tuple[Decimal, Decimal]] | None,
    info: AccountInfo,
) -> set[str]:
    """Symbols whose base and quote balances both changed (a fill changes
    both), from the cached exchange information."""
    if before is None:
        return set()
    after = {b.asset: (b.free, b.locked) for b in info.balances}
    changed = {
        asset
        for asset in set(before) | set(after)
        if before.get(asset, (_ZERO, _ZERO)) != after.get(asset, (_ZERO, _ZERO))
    }
    if len(changed) < 2:
        return set()
    try:
        symbols = client.exchange_info().symbols
    except CryptoExError as exc:
        logger.warning("cannot list symbols to look for missed orders: %s", exc)
        return set()
    return {s.symbol for s in symbols if s.base_asset in changed and s.quote_asset in changed}


def _order_events(
    client: UserClient,
    order: Order,
    state: OrderState | None,
    since_ms: int,
    account: str,
    now: datetime,
) -> list[OrderUpdate]:
    if order.side is None or order.type is None or order.status is None:
        logger.warning(
            "%s: order %s %d: the exchange's answer lacks side, type or status; not rebuilt",
            account,
            order.symbol,
            order.order_id,
        )
        return []
    created = order.created_time or order.transaction_time or now
    updated = order.update_time or created
    out: list[OrderUpdate] = []
    known_filled = state.filled if state is not None else _ZERO
    seen_trades: set[int] = state.trade_ids if state is not None else set()
    if state is None:
        if to_ms(created) >= since_ms:
            out.append(_update(order, account, ExecutionType.NEW, OrderStatus.NEW, created))
        elif not order.status.is_open and to_ms(updated) < since_ms:
            return []  # finished before the gap, never seen: old news
    executed = order.executed_quantity or _ZERO
    if executed > known_filled:
        out.extend(
            _fills(client, order, known_filled, seen_trades, state is None, since_ms, account)
        )
    final = FINAL.get(order.status)
    changed = state is None or state.status is not order.status
    # An order never seen gets its final status only if it ended in the gap.
    recent = state is not None or to_ms(updated) >= since_ms or bool(out)
    if final is not None and changed and recent:
        out.append(_update(order, account, final, order.status, updated))
    return out


def _fills(
    client: UserClient,
    order: Order,
    known_filled: Decimal,
    seen: set[int],
    unknown: bool,
    since_ms: int,
    account: str,
) -> list[OrderUpdate]:
    """A ``TRADE`` update per fill the user was not told about."""
    fills: list[Fill] = sorted(
        client.get_trades(order.symbol, order_id=order.order_id), key=lambda f: f.trade_id
    )
    executed = order.executed_quantity or _ZERO
    quantity = order.quantity or executed
    out: list[OrderUpdate] = []
    cumulative = _ZERO
    quote = _ZERO
    for index, fill in enumerate(fills):
        cumulative += fill.quantity
        quote += (
            fill.quote_quantity if fill.quote_quantity is not None else (fill.price * fill.quantity)
        )
        if fill.trade_id in seen or cumulative <= known_filled:
            continue
        when = fill.trade_time
        if unknown and when is not None and to_ms(when) < since_ms:
            continue  # an old fill of an order never seen: before the gap
        last = index == len(fills) - 1
        done = cumulative >= quantity or (
            last and order.status is OrderStatus.FILLED and cumulative >= executed
        )
        out.append(
            _update(
                order,
                account,
                ExecutionType.TRADE,
                OrderStatus.FILLED if done else OrderStatus.PARTIALLY_FILLED,
                when or order.update_time or order.created_time or from_ms(since_ms),
                fill=fill,
                cumulative=cumulative,
                quote=quote,
            )
        )
    if cumulative < executed and executed > known_filled:
        # The exchange reports more filled than its fills add up to (a fill
        # not listed yet): one update for the rest, without a trade id.
        rest = executed - max(cumulative, known_filled)
        total_quote = order.cumulative_quote_quantity or quote
        price = (total_quote - quote) / rest if rest and total_quote > quote else _ZERO
        logger.info(
            "%s: order %s %d: %s filled beyond the listed fills; reported without a trade id",
            account,
            order.symbol,
            order.order_id,
            rest,
        )
        out.append(
            _update(
                order,
                account,
                ExecutionType.TRADE,
                order.status if order.status is not None else OrderStatus.PARTIALLY_FILLED,
                order.update_time or order.created_time or from_ms(since_ms),
                last=(price, rest),
                cumulative=executed,
                quote=total_quote,
            )
        )
    return out


def _update(
    order: Order,
    account: str,
    execution: ExecutionType,
    status: OrderStatus,
    when: datetime,
    *,
    fill: Fill | None = None,
    last: tuple[Decimal, Decimal] | None = None,
    cumulative: Decimal | None = None,
    quote: Decimal | None = None,
) -> OrderUpdate:
    """A synthetic :class:`OrderUpdate` from REST answers (the caller checked
    that *order* has a side and a type)."""
    if fill is not None:
        last_price, last_quantity = fill.price, fill.quantity
    elif last is not None:
        last_price, last_quantity = last
    else:
        last_price, last_quantity = _ZERO, _ZERO
    if execution is ExecutionType.NEW:
        cumulative, quote = _ZERO, _ZERO
    filled = cumulative if cumulative is not None else (order.executed_quantity or _ZERO)
    quote_total = quote if quote is not None else (order.cumulative_quote_quantity or _ZERO)
    return OrderUpdate(
        account=account,
        symbol=order.symbol,
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        side=order.side if order.side is not None else Side.BUY,
        type=order.type if order.type is not None else OrderType.LIMIT,
        time_in_force=order.time_in_force if order.time_in_force is not None else TimeInForce.GTC,
        status=status,
        execution_type=execution,
        price=order.price or _ZERO,
        quantity=order.quantity or _ZERO,
        stop_price=order.stop_price or _ZERO,
        iceberg_quantity=order.iceberg_quantity or _ZERO,
        last_filled_price=last_price,
        last_filled_quantity=last_quantity,
        cumulative_filled_quantity=filled,
        cumulative_quote_quantity=quote_total,
        last_quote_quantity=last_price * last_quantity,
        quote_order_quantity=order.quote_order_quantity or _ZERO,
        commission=fill.commission if fill is not None else _ZERO,
        commission_asset=fill.commission_asset if fill is not None else None,
        trade_id=fill.trade_id if fill is not None else None,
        order_list_id=order.order_list_id,
        reject_reason="NONE",
        is_working=bool(order.is_working) and status.is_open,
        is_maker=bool(fill.is_maker) if fill is not None else False,
        execution_id=0,
        event_time=when,
        transaction_time=when,
        created_time=order.created_time or when,
        working_time=order.working_time,
        self_trade_prevention_mode=order.self_trade_prevention_mode,
        expiry_reason=order.expiry_reason if status in FINAL else None,
        synthetic=True,
    )


def _account_event(
    before: Mapping[str, tuple[Decimal, Decimal]] | None, info: AccountInfo, account: str
) -> AccountUpdate | None:
    """The balances that changed (all non-zero ones when nothing was known)."""
    after = {b.asset: (b.free, b.locked) for b in info.balances}
    if before is None:
        changed = [Balance(a, f, lk) for a, (f, lk) in after.items() if f or lk]
    else:
        changed = []
        for asset in sorted(set(before) | set(after)):
            now = after.get(asset, (_ZERO, _ZERO))
            if before.get(asset, (_ZERO, _ZERO)) != now:
                changed.append(Balance(asset, now[0], now[1]))
    if not changed:
        return None
    return AccountUpdate(
        account=account,
        event_time=info.update_time,
        last_update_time=info.update_time,
        balances=tuple(changed),
        synthetic=True,
    )
