"""User-data events: order, balance and account updates of one account.

Every event carries ``account``, the label of the :class:`~cryptoex.UserClient`
it belongs to (its ``name``, else its masked API key), so one callback that
serves several users can tell them apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from cryptoex.enums import ExecutionType, OrderStatus, OrderType, Side, TimeInForce
from cryptoex.models._base import Model, money, optional_timestamp, timestamp
from cryptoex.models.account import Balance

__all__ = [
    "AccountUpdate",
    "BalanceUpdate",
    "ExternalLockUpdate",
    "ListStatus",
    "ListStatusOrder",
    "OrderUpdate",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderUpdate(Model):
    """Something happened to one of the account's orders (Binance
    ``executionReport``).

    ``execution_type`` says what (``NEW``, ``TRADE``, ``CANCELED``,
    ``EXPIRED``...), ``status`` is the order's status afterwards. For a
    ``TRADE`` the ``last_filled_*``, ``commission`` and ``trade_id`` fields
    describe that fill; otherwise ``trade_id`` and ``commission_asset`` are
    ``None``. ``client_order_id`` is always the order's own client id, also
    for a cancel (Binance then sends the cancel request's id, kept as
    ``cancel_client_order_id``). Average fill price:
    ``cumulative_quote_quantity / cumulative_filled_quantity``.
    """

    account: str
    symbol: str
    order_id: int
    client_order_id: str
    side: Side
    type: OrderType
    time_in_force: TimeInForce
    status: OrderStatus
    execution_type: ExecutionType
    price: Decimal = money()
    quantity: Decimal = money()
    stop_price: Decimal = money()
    iceberg_quantity: Decimal = money()
    last_filled_price: Decimal = money()
    last_filled_quantity: Decimal = money()
    cumulative_filled_quantity: Decimal = money()
    cumulative_quote_quantity: Decimal = money()
    #: ``last_filled_price * last_filled_quantity``.
    last_quote_quantity: Decimal = money()
    #: Quote amount a MARKET order was placed for.
    quote_order_quantity: Decimal = money()
    commission: Decimal = money()
    commission_asset: str | None = None
    trade_id: int | None = None
    #: The order list the order belongs to, ``None`` when none.
    order_list_id: int | None = None
    #: Binance's reject reason, ``"NONE"`` when not rejected.
    reject_reason: str
    #: Whether the order is on the book.
    is_working: bool
    #: Whether this fill was on the maker side.
    is_maker: bool
    execution_id: int
    event_time: datetime = timestamp()
    transaction_time: datetime = timestamp()
    created_time: datetime = timestamp()
    working_time: datetime | None = optional_timestamp()
    self_trade_prevention_mode: str | None = None
    #: The cancel request's own client id (``CANCELED`` updates only).
    cancel_client_order_id: str | None = None
    #: Why the order expired (``"INSUFFICIENT_LIQUIDITY"``...), if Binance says.
    expiry_reason: str | None = None
    #: Set when self-trade prevention expired the order.
    prevented_match_id: int | None = None
    #: ``True`` when the exchange's own event was lost while the user-data
    #: stream was down and cryptoex rebuilt this one from REST answers after
    #: the reconnect (see the user-data docs: ``execution_id`` is then 0 and
    #: the times are those REST reports).
    synthetic: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class BalanceUpdate(Model):
    """A deposit, withdrawal or transfer changed a balance (Binance
    ``balanceUpdate``)."""

    account: str
    asset: str
    #: Signed change of the balance.
    delta: Decimal = money()
    event_time: datetime = timestamp()
    #: When the change was cleared.
    clear_time: datetime = timestamp()
    #: Always ``False``: a missed deposit or withdrawal is not rebuilt (its
    #: new balance arrives as a synthetic :class:`AccountUpdate`).
    synthetic: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountUpdate(Model):
    """New balances of the assets an event may have changed (Binance
    ``outboundAccountPosition``)."""

    account: str
    event_time: datetime = timestamp()
    #: Time of the account's last update.
    last_update_time: datetime = timestamp()
    balances: tuple[Balance, ...] = ()
    #: ``True`` when cryptoex built it from a REST account snapshot after a
    #: reconnect: the balances that changed while the stream was down.
    synthetic: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ExternalLockUpdate(Model):
    """An external system (margin collateral, say) locked or unlocked part of
    a spot balance (Binance ``externalLockUpdate``)."""

    account: str
    asset: str
    #: Signed change of the locked amount.
    delta: Decimal = money()
    event_time: datetime = timestamp()
    transaction_time: datetime = timestamp()


@dataclass(frozen=True, slots=True, kw_only=True)
class ListStatusOrder(Model):
    """One order of an order list, as :class:`ListStatus` names it."""

    symbol: str
    order_id: int
    client_order_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ListStatus(Model):
    """An order list (OCO, OTO...) changed (Binance ``listStatus``, sent next
    to the members' :class:`OrderUpdate` events)."""

    account: str
    symbol: str
    order_list_id: int
    #: ``"OCO"``, ``"OTO"``...
    contingency_type: str
    #: ``"RESPONSE"``, ``"EXEC_STARTED"``, ``"UPDATED"`` or ``"ALL_DONE"``.
    list_status_type: str
    #: ``"EXECUTING"``, ``"ALL_DONE"`` or ``"REJECT"``.
    list_order_status: str
    list_reject_reason: str
    list_client_order_id: str
    transaction_time: datetime = timestamp()
    event_time: datetime = timestamp()
    orders: tuple[ListStatusOrder, ...] = ()
