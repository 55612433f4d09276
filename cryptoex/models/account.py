"""Trading and account models: orders, fills, balances and account details.

:class:`Order` covers every order answer Binance gives (placement with ACK,
RESULT or FULL response, query, open orders, order history, cancel and
cancel-all); fields a given answer does not carry are ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from cryptoex.enums import OrderStatus, OrderType, Side, TimeInForce
from cryptoex.models._base import Model, money, optional_money, optional_timestamp, timestamp

__all__ = [
    "AccountInfo",
    "Balance",
    "CommissionRates",
    "Fill",
    "Order",
    "RateLimitUsage",
]

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Balance(Model):
    """An asset balance: ``Balance(asset, free, locked)``.

    It may be built positionally (``Balance("BTC", Decimal("1"),
    Decimal("0"))``), as it is a small value.
    """

    asset: str
    #: Available to trade or withdraw.
    free: Decimal = money()
    #: Held by open orders (or locked by an external system).
    locked: Decimal = money()

    @property
    def total(self) -> Decimal:
        """``free + locked``."""
        return self.free + self.locked


@dataclass(frozen=True, slots=True, kw_only=True)
class Fill(Model):
    """One trade of one of the account's orders.

    Built from the ``fills`` of a FULL order answer (where ``trade_time``,
    ``quote_quantity``, ``is_buyer`` and ``is_maker`` are ``None``) and from
    ``GET /api/v3/myTrades`` (all fields set).
    """

    symbol: str
    order_id: int
    trade_id: int
    price: Decimal = money()
    quantity: Decimal = money()
    commission: Decimal = money()
    commission_asset: str
    trade_time: datetime | None = optional_timestamp()
    quote_quantity: Decimal | None = optional_money()
    is_buyer: bool | None = None
    is_maker: bool | None = None
    #: The order list the order belongs to, ``None`` when it is in none.
    order_list_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Order(Model):
    """An order, as Binance reported it.

    ``client_order_id`` is always the order's own client id, also in cancel
    answers (where Binance calls it ``origClientOrderId`` and gives the cancel
    request's id as ``clientOrderId``; that one is kept as
    ``cancel_client_order_id``). An ACK placement answer carries only the
    ids and ``transaction_time``; every other field is then ``None``.
    """

    symbol: str
    order_id: int
    client_order_id: str
    #: The order list (OCO, OTO...) the order belongs to, ``None`` when none.
    order_list_id: int | None = None
    side: Side | None = None
    type: OrderType | None = None
    time_in_force: TimeInForce | None = None
    status: OrderStatus | None = None
    price: Decimal | None = optional_money()
    #: Ordered quantity (``origQty``).
    quantity: Decimal | None = optional_money()
    #: Filled quantity so far (``executedQty``).
    executed_quantity: Decimal | None = optional_money()
    #: Quote-asset amount filled so far (``cummulativeQuoteQty``; negative
    #: for some very old orders, meaning "not available").
    cumulative_quote_quantity: Decimal | None = optional_money()
    #: Quote amount a MARKET order was placed for (``origQuoteOrderQty``).
    quote_order_quantity: Decimal | None = optional_money()
    stop_price: Decimal | None = optional_money()
    iceberg_quantity: Decimal | None = optional_money()
    #: When the order was created (queries only).
    created_time: datetime | None = optional_timestamp()
    #: Last update (queries only).
    update_time: datetime | None = optional_timestamp()
    #: When the placement or cancel was processed.
    transaction_time: datetime | None = optional_timestamp()
    #: When the order started working on the book.
    working_time: datetime | None = optional_timestamp()
    is_working: bool | None = None
    self_trade_prevention_mode: str | None = None
    #: Why the order expired (``"INSUFFICIENT_LIQUIDITY"``...), if it did.
    expiry_reason: str | None = None
    #: The cancel request's own client id (cancel answers only).
    cancel_client_order_id: str | None = None
    #: Trades of the order (FULL placement answers only).
    fills: tuple[Fill, ...] = ()

    @property
    def average_price(self) -> Decimal | None:
        """Average fill price (``cumulative_quote_quantity /
        executed_quantity``), ``None`` before any fill or when unknown."""
        if (
            self.executed_quantity is None
            or self.cumulative_quote_quantity is None
            or self.executed_quantity <= _ZERO
            or self.cumulative_quote_quantity < _ZERO
        ):
            return None
        return self.cumulative_quote_quantity / self.executed_quantity

    @property
    def is_open(self) -> bool | None:
        """Whether the order can still trade (``None`` when the answer had no
        status, as with ACK)."""
        return None if self.status is None else self.status.is_open


@dataclass(frozen=True, slots=True, kw_only=True)
class CommissionRates(Model):
    """The account's commission rates as fractions (``"0.00150000"`` is
    0.15 %)."""

    maker: Decimal = money()
    taker: Decimal = money()
    buyer: Decimal = money()
    seller: Decimal = money()


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountInfo(Model):
    """The account's permissions, commissions and balances
    (``GET /api/v3/account``).

    ``*_commission`` are in basis points (15 is 0.15 %); ``commission_rates``
    gives the same as fractions.
    """

    account_type: str
    can_trade: bool
    can_withdraw: bool
    can_deposit: bool
    maker_commission: int
    taker_commission: int
    buyer_commission: int
    seller_commission: int
    update_time: datetime = timestamp()
    balances: tuple[Balance, ...] = ()
    permissions: tuple[str, ...] = ()
    commission_rates: CommissionRates | None = None
    brokered: bool | None = None
    require_self_trade_prevention: bool | None = None
    prevent_sor: bool | None = None
    uid: int | None = None

    def balance(self, asset: str) -> Balance:
        """The balance of *asset* (case-insensitive); a zero balance when the
        account holds none."""
        wanted = asset.upper()
        for balance in self.balances:
            if balance.asset == wanted:
                return balance
        return Balance(wanted, _ZERO, _ZERO)


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimitUsage(Model):
    """How much of one rate limit is used (``GET /api/v3/rateLimit/order``
    and the ``rateLimits`` of WebSocket API answers)."""

    #: ``"ORDERS"``, ``"REQUEST_WEIGHT"`` or ``"RAW_REQUESTS"``.
    rate_limit_type: str
    #: ``"SECOND"``, ``"MINUTE"``, ``"HOUR"`` or ``"DAY"``.
    interval: str
    interval_num: int
    limit: int
    count: int
