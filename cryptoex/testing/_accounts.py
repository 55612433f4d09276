"""Accounts (keys, balances, orders, trades) and the order record the engine mutates."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cryptoex.testing._format import ZERO, fmt

OPEN_STATUSES = frozenset({"NEW", "PARTIALLY_FILLED"})
STOP_TYPES = frozenset({"STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})


@dataclass(eq=False)
class Order:
    """One user order; quantities are kept both as lot steps and as decimals."""

    account: Account
    symbol: str
    order_id: int
    client_order_id: str
    side: str
    type: str
    time_in_force: str
    price: Decimal
    price_ticks: int
    stop_price: Decimal
    orig_units: int
    orig_qty: Decimal
    quote_order_qty: Decimal
    time: int
    step: Decimal
    working_time: int = -1
    executed_units: int = 0
    cumulative_quote: Decimal = ZERO
    status: str = "NEW"
    update_time: int = 0
    in_book: bool = False
    expiry_reason: str | None = None
    locked: Decimal = ZERO
    strategy_id: int | None = None
    strategy_type: int | None = None

    @property
    def remaining_units(self) -> int:
        """Unfilled quantity in lot steps.

        :returns: orig - executed.
        """
        return self.orig_units - self.executed_units

    @property
    def executed_qty(self) -> Decimal:
        """Filled quantity.

        :returns: decimal base quantity.
        """
        return self.step * self.executed_units

    @property
    def is_open(self) -> bool:
        """Whether the order can still fill or be cancelled.

        :returns: status is NEW or PARTIALLY_FILLED.
        """
        return self.status in OPEN_STATUSES

    @property
    def is_stop(self) -> bool:
        """Whether this is a stop-limit / take-profit-limit order.

        :returns: membership in the stop types.
        """
        return self.type in STOP_TYPES

    @property
    def is_buy(self) -> bool:
        """Whether the order buys.

        :returns: side is BUY.
        """
        return self.side == "BUY"

    def query_payload(self, time_factor: int = 1) -> dict[str, Any]:
        """The order as ``GET /api/v3/order`` returns it.

        :param time_factor: 1 for milliseconds, 1000 for microseconds.
        :returns: a payload shaped like ``tests/fixtures/rest/query_order.json``.
        """
        out: dict[str, Any] = {
            "symbol": self.symbol,
            "orderId": self.order_id,
            "orderListId": -1,
            "clientOrderId": self.client_order_id,
            "price": fmt(self.price),
            "origQty": fmt(self.orig_qty),
            "executedQty": fmt(self.executed_qty),
            "cummulativeQuoteQty": fmt(self.cumulative_quote),
            "status": self.status,
            "timeInForce": self.time_in_force,
            "type": self.type,
            "side": self.side,
            "stopPrice": fmt(self.stop_price),
            "icebergQty": fmt(ZERO),
            "time": self.time * time_factor,
            "updateTime": self.update_time * time_factor,
            "isWorking": self.working_time != -1,
            "workingTime": self.working_time * time_factor if self.working_time != -1 else -1,
            "origQuoteOrderQty": fmt(self.quote_order_qty),
            "selfTradePreventionMode": "NONE",
        }
        self._extras(out)
        return out

    def _extras(self, out: dict[str, Any]) -> None:
        if self.strategy_id is not None:
            out["strategyId"] = self.strategy_id
        if self.strategy_type is not None:
            out["strategyType"] = self.strategy_type
        if self.expiry_reason is not None:
            out["expiryReason"] = self.expiry_reason

    def result_payload(self, transact_time: int, time_factor: int = 1) -> dict[str, Any]:
        """The order as a RESULT placement response.

        :param transact_time: time of the placement.
        :param time_factor: 1 for milliseconds, 1000 for microseconds.
        :returns: a payload shaped like ``tests/fixtures/rest/order_result.json``.
        """
        out: dict[str, Any] = {
            "symbol": self.symbol,
            "orderId": self.order_id,
            "orderListId": -1,
            "clientOrderId": self.client_order_id,
            "transactTime": transact_time * time_factor,
            "price": fmt(self.price),
            "origQty": fmt(self.orig_qty),
            "executedQty": fmt(self.executed_qty),
            "origQuoteOrderQty": fmt(self.quote_order_qty),
            "cummulativeQuoteQty": fmt(self.cumulative_quote),
            "status": self.status,
            "timeInForce": self.time_in_force,
            "type": self.type,
            "side": self.side,
        }
        if self.is_stop:
            out["stopPrice"] = fmt(self.stop_price)
        out["workingTime"] = self.working_time * time_factor if self.working_time != -1 else -1
        out["selfTradePreventionMode"] = "NONE"
        self._extras(out)
        return out

    def cancel_payload(
        self, cancel_client_id: str, transact_time: int, time_factor: int = 1
    ) -> dict[str, Any]:
        """The order as ``DELETE /api/v3/order`` returns it.

        :param cancel_client_id: the cancel request's own client id.
        :param transact_time: time of the cancel.
        :param time_factor: 1 for milliseconds, 1000 for microseconds.
        :returns: a payload shaped like ``tests/fixtures/rest/cancel_order.json``.
        """
        out: dict[str, Any] = {
            "symbol": self.symbol,
            "origClientOrderId": self.client_order_id,
            "orderId": self.order_id,
            "orderListId": -1,
            "clientOrderId": cancel_client_id,
            "transactTime": transact_time * time_factor,
            "price": fmt(self.price),
            "origQty": fmt(self.orig_qty),
            "executedQty": fmt(self.executed_qty),
            "origQuoteOrderQty": fmt(self.quote_order_qty),
            "cummulativeQuoteQty": fmt(self.cumulative_quote),
            "status": self.status,
            "timeInForce": self.time_in_force,
            "type": self.type,
            "side": self.side,
        }
        if self.is_stop:
            out["stopPrice"] = fmt(self.stop_price)
        out["selfTradePreventionMode"] = "NONE"
        self._extras(out)
        return out


@dataclass
class AccountTrade:
    """One fill of one of the account's orders (a ``myTrades`` row)."""

    symbol: str
    trade_id: int
    order_id: int
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    is_buyer: bool
    is_maker: bool

    def payload(self, time_factor: int = 1) -> dict[str, Any]:
        """The fill as ``GET /api/v3/myTrades`` returns it.

        :param time_factor: 1 for milliseconds, 1000 for microseconds.
        :returns: a payload shaped like ``tests/fixtures/rest/my_trades.json``.
        """
        return {
            "symbol": self.symbol,
            "id": self.trade_id,
            "orderId": self.order_id,
            "orderListId": -1,
            "price": fmt(self.price),
            "qty": fmt(self.qty),
            "quoteQty": fmt(self.quote_qty),
            "commission": fmt(self.commission),
            "commissionAsset": self.commission_asset,
            "time": self.time * time_factor,
            "isBuyer": self.is_buyer,
            "isMaker": self.is_maker,
            "isBestMatch": True,
        }


@dataclass(eq=False)
class Account:
    """One API key pair and everything it owns."""

    api_key: str
    secret: str
    name: str
    uid: int
    balances: dict[str, list[Decimal]] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    open_orders: dict[int, Order] = field(default_factory=dict)
    by_client: dict[tuple[str, str], Order] = field(default_factory=dict)
    trades: list[AccountTrade] = field(default_factory=list)
    update_time: int = 0
    #: Placements for the unfilled-order-count limits: (time ms, order).
    placements: deque[tuple[int, Order]] = field(default_factory=deque)
    #: Assets whose balance changed during the current engine operation.
    changed: dict[str, None] = field(default_factory=dict)

    def free(self, asset: str) -> Decimal:
        """Free balance of *asset*.

        :param asset: asset name.
        :returns: free amount (0 when unknown).
        """
        entry = self.balances.get(asset)
        return entry[0] if entry else ZERO

    def adjust(self, asset: str, free: Decimal = ZERO, locked: Decimal = ZERO) -> None:
        """Move balance: add *free* to the free amount and *locked* to the locked amount.

        :param asset: asset name.
        :param free: signed change of the free amount.
        :param locked: signed change of the locked amount.
        :raises AssertionError: if a balance would go negative (an engine bug).
        """
        entry = self.balances.setdefault(asset, [ZERO, ZERO])
        entry[0] += free
        entry[1] += locked
        if entry[0] < 0 or entry[1] < 0:  # an engine bug, never a user error
            raise RuntimeError(f"negative balance {asset}: {entry}")
        self.changed[asset] = None

    def unfilled_count(self, window_ms: int, now: int) -> int:
        """The unfilled order count over the last *window_ms* (Binance's ORDERS limiter:
        orders that traded stop counting).

        :param window_ms: window length.
        :param now: current server time.
        :returns: how many orders placed in the window have not traded.
        """
        start = now - window_ms
        return sum(1 for t, order in self.placements if t > start and order.executed_units == 0)

    def prune_placements(self, now: int, keep_ms: int) -> None:
        """Forget placements older than *keep_ms*.

        :param now: current server time.
        :param keep_ms: the longest window still needed.
        """
        while self.placements and self.placements[0][0] <= now - keep_ms:
            self.placements.popleft()
