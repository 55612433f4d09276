"""The matching engine: the synthetic market flow, user orders matched against each
symbol's book, balances, commissions, and the events (market data and user data)
every change produces.

One re-entrant lock guards all exchange state. Events are handed to the
:class:`Publisher` while the lock is held so their order on every connection is the
order in which the engine produced them; the publisher only enqueues (no I/O).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, Protocol

from cryptoex.testing._accounts import Account, AccountTrade, Order
from cryptoex.testing._errors import rejected
from cryptoex.testing._format import ZERO, Clock, fmt, quantize
from cryptoex.testing._klines import INTERVALS, open_time
from cryptoex.testing._market import Market, Trade
from cryptoex.testing._markets import SymbolSpec

#: Nominal ticks per second: one tick stands for 100 ms of market time, so the 100 ms
#: streams publish every tick and the 1000 ms ones every 10 ticks, whatever the rate.
TICKS_PER_SECOND: Final = 10
WARMUP_TICKS: Final = 40
#: Interval names and their stream suffixes (plain UTC, and the ``@+08:00`` variant).
KLINE_ZONES: Final = (("", 0), ("@+08:00", 8 * 3_600_000))
INSUFFICIENT: Final = "Account has insufficient balance for requested action."


class Publisher(Protocol):
    """Where the engine sends events (implemented by the websocket layer)."""

    def wants(self, stream: str) -> bool:
        """Whether any connection is subscribed to *stream*."""

    def publish(self, stream: str, payload: Any) -> None:
        """Send a market-data payload to the stream's subscribers."""

    def publish_user(self, api_key: str, event: dict[str, Any]) -> None:
        """Send a user-data event to the account's subscriptions."""


class NullPublisher:
    """A publisher with no subscribers (before the servers start)."""

    def wants(self, stream: str) -> bool:
        """Nobody listens.

        :param stream: stream name.
        :returns: ``False``.
        """
        return False

    def publish(self, stream: str, payload: Any) -> None:
        """Drop the payload.

        :param stream: stream name.
        :param payload: the payload.
        """

    def publish_user(self, api_key: str, event: dict[str, Any]) -> None:
        """Drop the event.

        :param api_key: account key.
        :param event: the event.
        """


@dataclass
class Fill:
    """One fill of a taker, as the FULL response lists it."""

    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    trade_id: int

    def payload(self) -> dict[str, Any]:
        """The ``fills[]`` entry.

        :returns: ``{"price", "qty", "commission", "commissionAsset", "tradeId"}``.
        """
        return {
            "price": fmt(self.price),
            "qty": fmt(self.qty),
            "commission": fmt(self.commission),
            "commissionAsset": self.commission_asset,
            "tradeId": self.trade_id,
        }


@dataclass
class NewOrder:
    """A validated order request (see :mod:`cryptoex.testing._trading`)."""

    symbol: str
    side: str
    type: str
    time_in_force: str
    price: Decimal
    stop_price: Decimal
    quantity: Decimal | None
    quote_order_qty: Decimal | None
    client_order_id: str
    strategy_id: int | None = None
    strategy_type: int | None = None


@dataclass
class _Operation:
    """Per-operation bookkeeping (events to flush, accounts touched)."""

    now: int
    accounts: dict[int, Account] = field(default_factory=dict)


class Exchange:
    """All markets and accounts, and every state change between them."""

    def __init__(
        self,
        specs: Iterable[SymbolSpec],
        *,
        seed: int,
        clock: Clock,
        commission_rate: Decimal,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.commission_rate = commission_rate
        self.start_ms = clock.now_ms()
        self.markets: dict[str, Market] = {
            spec.symbol: Market(spec, seed, self.start_ms) for spec in specs
        }
        self.accounts: dict[str, Account] = {}
        self.publisher: Publisher = NullPublisher()
        self.next_order_id = 1
        self.next_exec_id = 1
        self.next_uid = 354_937_868
        self._op: _Operation | None = None
        # Warm-up: give every market a book and a short tape before anyone looks.
        for i in range(WARMUP_TICKS):
            self.tick(now=self.start_ms - (WARMUP_TICKS - i) * 100)
        for market in self.markets.values():
            # Diff streams start from the post-warm-up book (a snapshot covers the rest).
            for cadence in market.book.cadences.values():
                cadence.pending.clear()
                cadence.next_u = market.book.update_id + 1
            market.book_ticker = market.best()

    # -- accounts -----------------------------------------------------------------------

    def add_account(
        self, api_key: str, secret: str, name: str, balances: Mapping[str, Decimal]
    ) -> Account:
        """Create an account.

        :param api_key: its API key.
        :param secret: its HMAC secret.
        :param name: a label.
        :param balances: starting free balances.
        :returns: the account.
        :raises ValueError: when the key is already used.
        """
        with self.lock:
            if api_key in self.accounts:
                raise ValueError(f"api_key: an account with this key already exists ({name})")
            account = Account(api_key=api_key, secret=secret, name=name, uid=self.next_uid)
            self.next_uid += 1
            for asset, amount in balances.items():
                account.balances[asset] = [amount, ZERO]
            account.changed.clear()
            account.update_time = self.clock.now_ms()
            self.accounts[api_key] = account
            return account

    # -- operation bookkeeping -----------------------------------------------------------

    def _begin(self, now: int | None = None) -> _Operation:
        op = _Operation(now if now is not None else self.clock.now_ms())
        self._op = op
        return op

    @property
    def _current(self) -> _Operation:
        if self._op is None:
            raise RuntimeError("engine state changed outside an operation")
        return self._op

    def _touch_account(self, account: Account) -> None:
        self._current.accounts[id(account)] = account

    def _end(self, op: _Operation) -> None:
        """Flush balance events and book tickers after an operation."""
        for account in op.accounts.values():
            if account.changed:
                account.update_time = op.now
                self._user(account, self._account_position(account, op.now))
                account.changed.clear()
        self._op = None

    def _user(self, account: Account, event: dict[str, Any]) -> None:
        self.publisher.publish_user(account.api_key, event)

    def _account_position(self, account: Account, now: int) -> dict[str, Any]:
        return {
            "e": "outboundAccountPosition",
            "E": now,
            "u": account.update_time,
            "B": [
                {
                    "a": asset,
                    "f": fmt(account.balances[asset][0]),
                    "l": fmt(account.balances[asset][1]),
                }
                for asset in account.changed
            ],
        }

    def _execution_report(
        self,
        order: Order,
        exec_type: str,
        now: int,
        *,
        last_units: int = 0,
        last_price: Decimal = ZERO,
        commission: Decimal | None = None,
        commission_asset: str | None = None,
        trade_id: int = -1,
        maker: bool = False,
        cancel_client_id: str | None = None,
    ) -> dict[str, Any]:
        exec_id = self.next_exec_id
        self.next_exec_id += 1
        last_qty = order.step * last_units
        event: dict[str, Any] = {
            "e": "executionReport",
            "E": now,
            "s": order.symbol,
            "c": cancel_client_id if cancel_client_id is not None else order.client_order_id,
            "S": order.side,
            "o": order.type,
            "f": order.time_in_force,
            "q": fmt(order.orig_qty),
            "p": fmt(order.price),
            "P": fmt(order.stop_price),
            "F": fmt(ZERO),
            "g": -1,
            "C": order.client_order_id if cancel_client_id is not None else "",
            "x": exec_type,
            "X": order.status,
            "r": "NONE",
            "i": order.order_id,
            "l": fmt(last_qty),
            "z": fmt(order.executed_qty),
            "L": fmt(last_price),
            "n": fmt(commission) if commission is not None else "0",
            "N": commission_asset,
            "T": now,
            "t": trade_id,
            "I": exec_id,
            "w": order.in_book or (exec_type == "NEW" and order.working_time != -1),
            "m": maker,
            "M": trade_id != -1,
            "O": order.time,
            "Z": fmt(order.cumulative_quote),
            "Y": fmt(quantize(last_price * last_qty)),
            "Q": fmt(order.quote_order_qty),
        }
        if order.working_time != -1:
            event["W"] = order.working_time
        event["V"] = "NONE"
        if order.expiry_reason is not None and exec_type == "EXPIRED":
            event["eR"] = order.expiry_reason
        return event

    def _report(self, order: Order, exec_type: str, **kwargs: Any) -> None:
        self._touch_account(order.account)
        self._user(
            order.account, self._execution_report(order, exec_type, self._current.now, **kwargs)
        )

    # -- market data ---------------------------------------------------------------------

    def _publish(self, stream: str, build: Any) -> None:
        if self.publisher.wants(stream):
            self.publisher.publish(stream, build())

    def _book_ticker(self, market: Market) -> None:
        best = market.best()
        if best != market.book_ticker:
            market.book_ticker = best
            self._publish(f"{market.spec.stream_symbol}@bookTicker", market.book_ticker_event)

    def tick(self, now: int | None = None) -> None:
        """Advance every market by one tick and publish what is due.

        :param now: tick time (defaults to the clock; warm-up passes past times).
        """
        with self.lock:
            op = self._begin(now)
            try:
                for market in self.markets.values():
                    self._tick_market(market, op.now)
                if op.now >= self.start_ms and self._due(10):
                    self._publish(
                        "!miniTicker@arr",
                        lambda: [m.mini_ticker_event(op.now) for m in self.markets.values()],
                    )
            finally:
                self._end(op)

    def _due(self, every: int) -> bool:
        first = next(iter(self.markets.values()))
        return first.tick_count % every == 0

    def _tick_market(self, market: Market, now: int) -> None:
        spec = market.spec
        rng = market.rng
        market.tick_count += 1
        # 1. The fair price (in level units) walks, pulled gently back to its anchor.
        market.fair += rng.gauss(0.0, spec.volatility) + 0.002 * (market.anchor - market.fair)
        self._recenter(market, math.floor(market.fair), now)
        # 2. Market makers change a couple of quantities near the top of the book.
        for _ in range(2):
            bids = rng.random() < 0.5
            index = int(rng.random() ** 2 * spec.levels)
            top = market.book.best(bids)
            if top is None:
                continue
            price = top - index * spec.gap_ticks if bids else top + index * spec.gap_ticks
            level = market.book.side(bids).get(price)
            if level is not None:
                level.synthetic = self._level_qty(market, index)
                market.book.touch(bids, price)
        # 3. A small taker trade against the best level, most ticks.
        if rng.random() < 0.7:
            buy = rng.random() < 0.5
            best = market.book.best(not buy)
            if best is not None:
                level = market.book.side(not buy)[best]
                units = max(1, int(level.synthetic * rng.uniform(0.02, 0.4)))
                self._match(market, buy, best, units, None, now)
        self._trigger_stops(market, now)
        self._book_ticker(market)
        self._emit_periodic(market, now)

    def _level_qty(self, market: Market, index: int) -> int:
        base = market.spec.level_qty / market.spec.step
        factor = Decimal(repr(0.3 + market.rng.random() * (1.0 + index * 0.03)))
        return max(1, int(base * factor))

    def _recenter(self, market: Market, best_bid_level: int, now: int) -> None:
        """Move the synthetic book so its best bid sits at *best_bid_level* (in gaps).

        Liquidity the move leaves on the wrong side is swept by a synthetic taker, so
        resting orders the price moves through are filled at their own price.
        """
        spec = market.spec
        gap = spec.gap_ticks
        bid_top = max(1, best_bid_level) * gap
        ask_top = bid_top + gap
        book = market.book
        best_ask = book.best(False)
        if best_ask is not None and best_ask <= bid_top:
            self._match(market, True, bid_top, None, None, now)
        best_bid = book.best(True)
        if best_bid is not None and best_bid >= ask_top:
            self._match(market, False, ask_top, None, None, now)
        for bids, top, direction in ((True, bid_top, -1), (False, ask_top, 1)):
            window = {top + direction * i * gap: i for i in range(spec.levels)}
            side = book.side(bids)
            for price in list(side):
                level = side[price]
                if price not in window and level.synthetic:
                    level.synthetic = 0
                    book.touch(bids, price)
            for price, index in window.items():
                if price <= 0:
                    continue
                existing = side.get(price)
                if existing is None or not existing.synthetic:
                    book.level(bids, price).synthetic = self._level_qty(market, index)
                    book.touch(bids, price)

    def _emit_periodic(self, market: Market, now: int) -> None:
        if now < self.start_ms:
            return  # warm-up ticks publish nothing
        sym = market.spec.stream_symbol
        count = market.tick_count
        second = count % TICKS_PER_SECOND == 0
        diff = market.diff_event("100ms", now)
        if diff is not None:
            self._publish(f"{sym}@depth@100ms", lambda: diff)
        for levels in (5, 10, 20):
            self._publish(f"{sym}@depth{levels}@100ms", lambda n=levels: market.partial_depth(n))
        if not second:
            return
        diff = market.diff_event("1000ms", now)
        if diff is not None:
            self._publish(f"{sym}@depth", lambda: diff)
        for levels in (5, 10, 20):
            self._publish(f"{sym}@depth{levels}", lambda n=levels: market.partial_depth(n))
        self._publish(f"{sym}@ticker", lambda: market.ticker_event(now))
        self._publish(f"{sym}@miniTicker", lambda: market.mini_ticker_event(now))
        self._publish(f"{sym}@avgPrice", lambda: market.avg_price_event(now))
        two_seconds = count % (2 * TICKS_PER_SECOND) == 0
        for interval in INTERVALS:
            if interval != "1s" and not two_seconds:
                continue
            for suffix, tz in KLINE_ZONES:
                stream = f"{sym}@kline_{interval}{suffix}"
                if not self.publisher.wants(stream):
                    market.kline_open.pop(stream, None)
                    continue
                current = open_time(interval, now, tz)
                previous = market.kline_open.get(stream)
                if previous is not None and previous != current:
                    # Close the previous candle first (x = true), as Binance does.
                    self.publisher.publish(stream, market.kline_event(interval, previous, now, tz))
                market.kline_open[stream] = current
                self.publisher.publish(stream, market.kline_event(interval, current, now, tz))

    # -- matching ---------------------------------------------------------------------------

    def _commission(
        self, buy: bool, market: Market, price: Decimal, qty: Decimal
    ) -> tuple[Decimal, str]:
        """Commission on a fill, charged in the asset received."""
        if buy:
            return quantize(qty * self.commission_rate), market.spec.base
        return quantize(price * qty * self.commission_rate), market.spec.quote

    def _settle(
        self, order: Order, market: Market, price: Decimal, qty: Decimal
    ) -> tuple[Decimal, str]:
        """Move one fill's balances for a user order; returns its commission."""
        account = order.account
        spec = market.spec
        quote = price * qty
        commission, asset = self._commission(order.is_buy, market, price, qty)
        if order.is_buy:
            if order.locked:
                release = order.price * qty
                order.locked -= release
                account.adjust(spec.quote, free=release - quote, locked=-release)
            else:
                account.adjust(spec.quote, free=-quote)
            account.adjust(spec.base, free=qty - commission)
        else:
            if order.locked:
                order.locked -= qty
                account.adjust(spec.base, locked=-qty)
            else:
                account.adjust(spec.base, free=-qty)
            account.adjust(spec.quote, free=quote - commission)
        self._touch_account(account)
        return commission, asset

    def _fill(self, order: Order, market: Market, trade: Trade, maker: bool) -> Fill:
        """Apply one trade to a user order: quantities, balances, status, events."""
        now = self._current.now
        price = market.px(trade.price)
        qty = market.qty(trade.units)
        order.executed_units += trade.units
        order.cumulative_quote += price * qty
        order.update_time = now
        order.status = "FILLED" if order.remaining_units == 0 else "PARTIALLY_FILLED"
        if order.status == "FILLED":
            self._close(order)
        commission, asset = self._settle(order, market, price, qty)
        order.account.trades.append(
            AccountTrade(
                symbol=order.symbol,
                trade_id=trade.id,
                order_id=order.order_id,
                price=price,
                qty=qty,
                quote_qty=price * qty,
                commission=commission,
                commission_asset=asset,
                time=trade.time,
                is_buyer=order.is_buy,
                is_maker=maker,
            )
        )
        self._report(
            order,
            "TRADE",
            last_units=trade.units,
            last_price=price,
            commission=commission,
            commission_asset=asset,
            trade_id=trade.id,
            maker=maker,
        )
        return Fill(price, qty, commission, asset, trade.id)

    def _close(self, order: Order) -> None:
        """Take a finished order out of the book and the open-order indexes."""
        order.in_book = False
        order.account.open_orders.pop(order.order_id, None)

    def available(
        self, market: Market, buy: bool, limit: int | None, units: int | None, quote: Decimal | None
    ) -> tuple[int, Decimal]:
        """What a taker could fill right now, without filling it.

        :param market: the symbol's market.
        :param buy: taker side.
        :param limit: worst acceptable price in ticks (``None`` = any).
        :param units: wanted quantity in steps (``None`` = unlimited).
        :param quote: quote budget (``quoteOrderQty``) instead of a quantity.
        :returns: ``(fillable steps, their quote cost)``.
        """
        filled = 0
        cost = ZERO
        for price in market.book.prices(not buy):
            if limit is not None and (price > limit if buy else price < limit):
                break
            here = market.book.quantity(not buy, price)
            unit_cost = market.px(price) * market.spec.step
            if quote is not None:
                here = min(here, int((quote - cost) / unit_cost))
            if units is not None:
                here = min(here, units - filled)
            filled += here
            cost += unit_cost * here
            if units is not None and filled >= units:
                break
        return filled, cost

    def _match(
        self,
        market: Market,
        buy: bool,
        limit: int | None,
        units: int | None,
        taker: Order | None,
        now: int,
    ) -> list[Fill]:
        """Execute a taker against the book: synthetic liquidity first at each level, then
        resting orders in time priority. *taker* ``None`` is the synthetic market;
        *units* ``None`` sweeps everything up to *limit*."""
        book = market.book
        fills: list[Fill] = []
        remaining = units
        sym = market.spec.stream_symbol
        for price in book.prices(not buy):
            if limit is not None and (price > limit if buy else price < limit):
                break
            if remaining is not None and remaining <= 0:
                break
            level = book.side(not buy)[price]
            trades: list[Trade] = []
            makers: list[Order | None] = []
            take = level.synthetic if remaining is None else min(level.synthetic, remaining)
            if take > 0:
                level.synthetic -= take
                trades.append(market.record_trade(now, price, take, buyer_maker=not buy))
                makers.append(None)
                if remaining is not None:
                    remaining -= take
            for resting in list(level.orders):
                if remaining is not None and remaining <= 0:
                    break
                take = resting.remaining_units
                if remaining is not None:
                    take = min(take, remaining)
                    remaining -= take
                trades.append(market.record_trade(now, price, take, buyer_maker=not buy))
                makers.append(resting)
                if take == resting.remaining_units:
                    level.orders.remove(resting)
            book.touch(not buy, price)
            for trade, maker in zip(trades, makers, strict=True):
                self._publish(f"{sym}@trade", lambda t=trade: market.trade_event(t, now))
                if maker is not None:
                    self._fill(maker, market, trade, maker=True)
                if taker is not None:
                    fills.append(self._fill(taker, market, trade, maker=False))
            agg = market.record_agg(trades[0], trades[-1], sum(t.units for t in trades))
            self._publish(f"{sym}@aggTrade", lambda a=agg: market.agg_event(a, now))
        return fills

    # -- user orders -----------------------------------------------------------------------------

    def _lock_for(self, request: NewOrder, market: Market) -> tuple[str, Decimal]:
        """Asset and amount a resting order locks (quote for BUY, base for SELL)."""
        quantity = request.quantity or ZERO
        if request.side == "BUY":
            return market.spec.quote, request.price * quantity
        return market.spec.base, quantity

    def place(self, account: Account, request: NewOrder) -> tuple[Order, list[Fill], int]:
        """Place a validated order: lock funds, match, rest or expire, publish events.

        :param account: the owner.
        :param request: validated parameters.
        :returns: ``(order, taker fills, transaction time)``.
        :raises ApiError: -2010 rejections (duplicate id, balance, LIMIT_MAKER, stops).
        """
        with self.lock:
            market = self.markets[request.symbol]
            spec = market.spec
            buy = request.side == "BUY"
            existing = account.by_client.get((request.symbol, request.client_order_id))
            if existing is not None and existing.is_open:
                raise rejected("Duplicate order sent.")
            units = int(request.quantity / spec.step) if request.quantity is not None else 0
            price_ticks = int(request.price / spec.tick) if request.price else 0
            is_limit_like = request.type != "MARKET"
            if request.type == "LIMIT_MAKER":
                best = market.book.best(not buy)
                if best is not None and (best <= price_ticks if buy else best >= price_ticks):
                    raise rejected("Order would immediately match and take.")
            if request.type in ("STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT") and self._triggered(
                request.type, buy, request.stop_price, market.px(market.last_price)
            ):
                raise rejected("Order would trigger immediately.")
            if request.quote_order_qty is not None:
                # quoteOrderQty: the size is what the budget buys (or must sell to
                # receive it) from current liquidity, on the MARKET_LOT_SIZE grid.
                units, _ = self.available(market, buy, None, None, request.quote_order_qty)
                grid = int(spec.market_step / spec.step) if spec.market_step else 1
                units = units // grid * grid
                if units * spec.step < spec.min_qty:
                    raise rejected(
                        "Order book liquidity is less than LOT_SIZE filter minimum quantity."
                    )
            # Balance check.
            if is_limit_like:
                asset, amount = self._lock_for(request, market)
                if account.free(asset) < amount:
                    raise rejected(INSUFFICIENT)
            elif buy:
                _, need = self.available(market, True, None, units, None)
                if account.free(spec.quote) < need:
                    raise rejected(INSUFFICIENT)
            elif account.free(spec.base) < market.qty(units):
                raise rejected(INSUFFICIENT)
            op = self._begin()
            try:
                now = op.now
                order = Order(
                    account=account,
                    symbol=request.symbol,
                    order_id=self.next_order_id,
                    client_order_id=request.client_order_id,
                    side=request.side,
                    type=request.type,
                    time_in_force=request.time_in_force,
                    price=request.price,
                    price_ticks=price_ticks,
                    stop_price=request.stop_price,
                    orig_units=units,
                    orig_qty=market.qty(units),
                    quote_order_qty=request.quote_order_qty or ZERO,
                    time=now,
                    step=spec.step,
                    update_time=now,
                    strategy_id=request.strategy_id,
                    strategy_type=request.strategy_type,
                )
                self.next_order_id += 1
                account.orders[order.order_id] = order
                account.by_client[(order.symbol, order.client_order_id)] = order
                account.placements.append((now, order))
                account.open_orders[order.order_id] = order
                self._touch_account(account)
                if is_limit_like:
                    asset, amount = self._lock_for(request, market)
                    order.locked = amount
                    account.adjust(asset, free=-amount, locked=amount)
                if order.is_stop:
                    market.stop_orders.append(order)
                    self._report(order, "NEW")
                    return order, [], now
                order.working_time = now
                fills = self._work(order, market, now)
                self._trigger_stops(market, now)
                self._book_ticker(market)
                return order, fills, now
            finally:
                self._end(op)

    def _work(self, order: Order, market: Market, now: int) -> list[Fill]:
        """Run a working order: NEW, taker fills, then rest or expire."""
        buy = order.is_buy
        self._report(order, "NEW")
        limit = order.price_ticks if order.type != "MARKET" else None
        if order.time_in_force == "FOK":
            fillable, _ = self.available(market, buy, limit, order.orig_units, None)
            if fillable < order.orig_units:
                self._expire(order, "UNFILLED_FOK_ORDER_EXPIRED")
                return []
        fills = self._match(market, buy, limit, order.remaining_units, order, now)
        if order.is_open:
            if order.type == "MARKET":
                self._expire(order, "INSUFFICIENT_LIQUIDITY")
            elif order.time_in_force == "IOC":
                self._expire(order, "UNFILLED_IOC_QUANTITY_EXPIRED")
            else:
                market.book.level(buy, order.price_ticks).orders.append(order)
                order.in_book = True
                market.book.touch(buy, order.price_ticks)
        return fills

    def _release(self, order: Order, market: Market) -> None:
        """Give back what an order still locks."""
        if order.locked:
            asset = market.spec.quote if order.is_buy else market.spec.base
            order.account.adjust(asset, free=order.locked, locked=-order.locked)
            order.locked = ZERO
            self._touch_account(order.account)

    def _expire(self, order: Order, reason: str) -> None:
        market = self.markets[order.symbol]
        order.status = "EXPIRED"
        order.expiry_reason = reason
        order.update_time = self._current.now
        self._close(order)
        self._release(order, market)
        self._report(order, "EXPIRED")

    @staticmethod
    def _triggered(order_type: str, buy: bool, stop: Decimal, last: Decimal) -> bool:
        # STOP_LOSS BUY / TAKE_PROFIT SELL trigger when the price rises to the stop;
        # STOP_LOSS SELL / TAKE_PROFIT BUY when it falls to it (rest.md §6.1).
        rising = (order_type == "STOP_LOSS_LIMIT") == buy
        return last >= stop if rising else last <= stop

    def _trigger_stops(self, market: Market, now: int) -> None:
        last = market.px(market.last_price)
        for order in list(market.stop_orders):
            if not order.is_open:
                market.stop_orders.remove(order)
                continue
            if self._triggered(order.type, order.is_buy, order.stop_price, last):
                market.stop_orders.remove(order)
                order.working_time = now
                order.update_time = now
                self._work(order, market, now)

    def cancel(self, account: Account, order: Order, cancel_client_id: str) -> int:
        """Cancel an open order.

        :param account: the owner.
        :param order: an open order of that account.
        :param cancel_client_id: the cancel's client id (``newClientOrderId``).
        :returns: the transaction time.
        """
        with self.lock:
            market = self.markets[order.symbol]
            op = self._begin()
            try:
                if order.in_book:
                    level = market.book.side(order.is_buy).get(order.price_ticks)
                    if level is not None and order in level.orders:
                        level.orders.remove(order)
                    market.book.touch(order.is_buy, order.price_ticks)
                if order in market.stop_orders:
                    market.stop_orders.remove(order)
                order.status = "CANCELED"
                order.update_time = op.now
                self._close(order)
                self._release(order, market)
                self._report(order, "CANCELED", cancel_client_id=cancel_client_id)
                self._book_ticker(market)
                return op.now
            finally:
                self._end(op)

    def deposit(self, account: Account, asset: str, amount: Decimal) -> None:
        """Credit (or debit, when negative) a free balance and publish ``balanceUpdate``.

        :param account: the account.
        :param asset: asset name.
        :param amount: signed amount.
        :raises ValueError: when a withdrawal exceeds the free balance.
        """
        with self.lock:
            if account.free(asset) + amount < 0:
                raise ValueError(f"amount: {asset} free balance is {account.free(asset)}")
            op = self._begin()
            try:
                account.adjust(asset, free=amount)
                self._touch_account(account)
                self._user(
                    account,
                    {"e": "balanceUpdate", "E": op.now, "a": asset, "d": fmt(amount), "T": op.now},
                )
            finally:
                self._end(op)

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Move a market's fair price to *price* at once (sweeping what it crosses).

        :param symbol: the market.
        :param price: the new price.
        """
        with self.lock:
            market = self.markets[symbol]
            level = float(price / market.spec.tick) / market.spec.gap_ticks
            market.fair = level
            market.anchor = level
            op = self._begin()
            try:
                before = market.last_price
                self._recenter(market, math.floor(level), op.now)
                # A jump deeper than the book leaves the last trade behind: print one
                # small trade at the new top, as the first trade after a gap would.
                up = price > market.px(before)
                top = market.book.best(not up)
                if top is not None:
                    self._match(market, up, top, 1, None, op.now)
                self._trigger_stops(market, op.now)
                self._book_ticker(market)
            finally:
                self._end(op)

    def mid_price(self, symbol: str) -> Decimal:
        """Current mid price of a market.

        :param symbol: the market.
        :returns: (best bid + best ask) / 2, or the last price when a side is empty.
        """
        with self.lock:
            market = self.markets[symbol]
            bid = market.book.best(True)
            ask = market.book.best(False)
            if bid is None or ask is None:
                return market.px(market.last_price)
            return market.px(bid + ask) / 2
