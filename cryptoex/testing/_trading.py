"""Signed endpoints (TRADE / USER_DATA): order placement with Binance's parameter and
filter validation, queries, cancels, account and order-count endpoints."""

from __future__ import annotations

import math
import re
import secrets
import string
from decimal import Decimal
from typing import Any, Final

from cryptoex.testing._accounts import Account, Order
from cryptoex.testing._context import Context, Endpoint, fixed
from cryptoex.testing._engine import NewOrder
from cryptoex.testing._errors import ApiError, filter_failure, illegal, mandatory, rejected
from cryptoex.testing._format import ZERO, fmt
from cryptoex.testing._market import Market
from cryptoex.testing._markets import EXCHANGE_MAX_NUM_ORDERS, SymbolSpec
from cryptoex.testing._params import Params

CLIENT_ID_RANGE: Final = "^[a-zA-Z0-9-_]{1,36}$"
_CLIENT_ID: Final = re.compile(r"[a-zA-Z0-9\-_]{1,36}")
_ALPHABET: Final = string.ascii_letters + string.digits
SIDES: Final = ("BUY", "SELL")
TYPES: Final = (
    "LIMIT",
    "MARKET",
    "STOP_LOSS",
    "STOP_LOSS_LIMIT",
    "TAKE_PROFIT",
    "TAKE_PROFIT_LIMIT",
    "LIMIT_MAKER",
)
TIFS: Final = ("GTC", "IOC", "FOK")
RESP_TYPES: Final = ("ACK", "RESULT", "FULL")
_COMMON: Final = frozenset({"recvWindow", "timestamp", "signature"})
ORDER_PARAMS: Final = _COMMON | {
    "symbol",
    "side",
    "type",
    "timeInForce",
    "quantity",
    "quoteOrderQty",
    "price",
    "newClientOrderId",
    "strategyId",
    "strategyType",
    "stopPrice",
    "trailingDelta",
    "icebergQty",
    "newOrderRespType",
    "selfTradePreventionMode",
    "pegPriceType",
    "pegOffsetValue",
    "pegOffsetType",
}
DAY_MS: Final = 86_400_000


def new_client_id() -> str:
    """A random 22-character client order id, like Binance generates.

    :returns: e.g. ``"6gCrw2kRUAF9CvJDGP16IP"``.
    """
    return "".join(secrets.choice(_ALPHABET) for _ in range(22))


def _client_id(params: Params, name: str) -> str:
    if name in params.values and params.values[name] == "":
        raise ApiError(-1118, "New client order ID was empty.")
    value = params.raw(name)
    if value is None:
        return new_client_id()
    if not _CLIENT_ID.fullmatch(value):
        raise illegal(name, CLIENT_ID_RANGE)
    return value


def parse_new_order(ctx: Context) -> tuple[NewOrder, str, bool]:
    """Validate ``POST /api/v3/order`` parameters (everything but balances and limits).

    :param ctx: the request.
    :returns: ``(request, newOrderRespType, computeCommissionRates)``.
    :raises ApiError: Binance's -11xx / -1013 / -2010 answers.
    """
    p = ctx.params
    markets = ctx.exchange.markets
    symbol = p.symbol(markets)
    side = p.enum("side", SIDES, ApiError(-1117, "Invalid side."))
    if side is None:
        raise mandatory("side")
    order_type = p.enum("type", TYPES, ApiError(-1116, "Invalid orderType."))
    if order_type is None:
        raise mandatory("type")
    tif = p.enum("timeInForce", TIFS, ApiError(-1115, "Invalid timeInForce."))
    resp_type = p.enum("newOrderRespType", RESP_TYPES)
    quantity = p.decimal("quantity")
    quote_qty = p.decimal("quoteOrderQty")
    price = p.decimal("price")
    stop_price = p.decimal("stopPrice")
    client_id = _client_id(p, "newClientOrderId")
    strategy_id = p.long("strategyId")
    strategy_type = p.long("strategyType")
    compute = bool(p.boolean("computeCommissionRates"))
    if strategy_type is not None and strategy_type < 1_000_000:
        raise ApiError(-1134, "`strategyType` was less than 1000000.")
    stp = p.raw("selfTradePreventionMode")
    if stp is not None and stp != "NONE":
        raise ApiError(-1130, "Data sent for parameter 'selfTradePreventionMode' is not valid.")
    # Per-type mandatory parameters (rest.md §6.1).
    if order_type == "STOP_LOSS":
        raise rejected("Stop loss orders are not supported for this symbol.")
    if order_type == "TAKE_PROFIT":
        raise rejected("Take profit orders are not supported for this symbol.")
    if order_type == "MARKET":
        if tif is not None:
            raise ApiError(-1106, "Parameter 'timeInForce' sent when not required.")
        if price is not None:
            raise ApiError(-1106, "Parameter 'price' sent when not required.")
        if quantity is None and quote_qty is None:
            raise ApiError(
                -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"
            )
        if quantity is not None and quote_qty is not None:
            raise ApiError(-1128, "Combination of optional parameters invalid.")
    else:
        if quote_qty is not None:
            raise ApiError(-1106, "Parameter 'quoteOrderQty' sent when not required.")
        if order_type == "LIMIT_MAKER":
            if tif is not None:
                raise ApiError(-1106, "Parameter 'timeInForce' sent when not required.")
        elif tif is None:
            raise mandatory("timeInForce")
        if quantity is None:
            raise mandatory("quantity")
        if price is None:
            raise mandatory("price")
        if order_type in ("STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"):
            if stop_price is None and p.raw("trailingDelta") is None:
                raise ApiError(
                    -1102,
                    "Param 'stopPrice' or 'trailingDelta' must be sent, but both were empty/null!",
                )
        elif stop_price is not None:
            raise ApiError(-1106, "Parameter 'stopPrice' sent when not required.")
    if p.raw("icebergQty") is not None:
        raise rejected("Iceberg orders are not supported for this symbol.")
    if p.raw("trailingDelta") is not None:
        raise rejected("Trailing stop orders are not supported for this symbol.")
    if p.raw("pegPriceType") is not None or p.raw("pegOffsetType") or p.raw("pegOffsetValue"):
        raise rejected("Pegged orders are not supported for this symbol.")
    request = NewOrder(
        symbol=symbol,
        side=side,
        type=order_type,
        time_in_force=tif or "GTC",
        price=price or ZERO,
        stop_price=stop_price or ZERO,
        quantity=quantity,
        quote_order_qty=quote_qty,
        client_order_id=client_id,
        strategy_id=strategy_id,
        strategy_type=strategy_type,
    )
    check_filters(ctx, markets[symbol], request)
    if resp_type is None:
        resp_type = "FULL" if order_type in ("MARKET", "LIMIT") else "ACK"
    return request, resp_type, compute


def _on_grid(value: Decimal, step: Decimal) -> bool:
    return step == 0 or value % step == 0


def check_filters(ctx: Context, market: Market, request: NewOrder) -> None:
    """Apply the symbol's filters (rest.md §8) with Binance's ``Filter failure`` texts.

    :param ctx: the request.
    :param market: the symbol's market.
    :param request: the validated order.
    :raises ApiError: -1013 naming the first failing filter.
    """
    spec: SymbolSpec = market.spec
    market_order = request.type == "MARKET"
    if not market_order:
        for price in (
            (request.price, request.stop_price) if request.stop_price else (request.price,)
        ):
            if price < spec.min_price or price > spec.max_price or not _on_grid(price, spec.tick):
                raise filter_failure("PRICE_FILTER")
    qty = request.quantity
    if qty is not None:
        if qty < spec.min_qty or qty > spec.max_qty or not _on_grid(qty, spec.step):
            raise filter_failure("LOT_SIZE")
        if market_order and (
            qty < spec.market_min_qty
            or qty > spec.market_max_qty
            or not _on_grid(qty, spec.market_step)
        ):
            raise filter_failure("MARKET_LOT_SIZE")
    if market_order:
        if request.quote_order_qty is not None:
            notional = request.quote_order_qty
        else:
            ref, _ = market.avg_price(ctx.now)
            notional = (qty or ZERO) * ref
        check_max = False
    else:
        notional = (qty or ZERO) * request.price
        check_max = True
    if notional < spec.min_notional:
        raise filter_failure(spec.notional_filter)
    if check_max and spec.max_notional is not None and notional > spec.max_notional:
        raise filter_failure("NOTIONAL")
    account = ctx.account
    if account is not None:
        open_here = [o for o in account.open_orders.values() if o.symbol == spec.symbol]
        if len(open_here) >= spec.max_num_orders:
            raise filter_failure("MAX_NUM_ORDERS")
        if request.type in ("STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT") and (
            sum(1 for o in open_here if o.is_stop) >= spec.max_num_algo_orders
        ):
            raise filter_failure("MAX_NUM_ALGO_ORDERS")
        if len(account.open_orders) >= EXCHANGE_MAX_NUM_ORDERS:
            raise filter_failure("EXCHANGE_MAX_NUM_ORDERS")


def _check_order_rate(ctx: Context, account: Account) -> None:
    """Binance's ORDERS limiters (unfilled order count per 10 s and per day)."""
    settings = ctx.settings
    account.prune_placements(ctx.now, DAY_MS)
    for window, limit, label in (
        (10_000, settings.order_limit_10s, "10 SECOND"),
        (DAY_MS, settings.order_limit_1d, "1 DAY"),
    ):
        if account.unfilled_count(window, ctx.now) >= limit:
            oldest = next(
                t for t, o in account.placements if t > ctx.now - window and o.executed_units == 0
            )
            retry = max(1, math.ceil((oldest + window - ctx.now) / 1000))
            raise ApiError(
                -1015,
                f"Too many new orders; current limit is {limit} orders per {label}.",
                status=429,
                headers={"Retry-After": str(retry)},
            )


def _order_count_headers(ctx: Context, account: Account) -> None:
    ctx.response_headers["X-MBX-ORDER-COUNT-10S"] = str(account.unfilled_count(10_000, ctx.now))
    ctx.response_headers["X-MBX-ORDER-COUNT-1D"] = str(account.unfilled_count(DAY_MS, ctx.now))


def place_order(ctx: Context) -> dict[str, Any]:
    """``POST /api/v3/order``.

    :param ctx: the request.
    :returns: ACK, RESULT or FULL response.
    """
    account = ctx.user()
    with ctx.exchange.lock:
        request, resp_type, _ = parse_new_order(ctx)
        _check_order_rate(ctx, account)
        order, fills, transact = ctx.exchange.place(account, request)
        _order_count_headers(ctx, account)
    if resp_type == "ACK":
        return {
            "symbol": order.symbol,
            "orderId": order.order_id,
            "orderListId": -1,
            "clientOrderId": order.client_order_id,
            "transactTime": transact,
        }
    result = order.result_payload(transact)
    if resp_type == "FULL":
        result["fills"] = [f.payload() for f in fills]
    return result


def test_order(ctx: Context) -> dict[str, Any]:
    """``POST /api/v3/order/test``: validate only.

    :param ctx: the request.
    :returns: ``{}`` or the commission rates (``computeCommissionRates=true``).
    """
    with ctx.exchange.lock:
        _, _, compute = parse_new_order(ctx)
    if not compute:
        return {}
    rate = fmt(ctx.settings.commission_rate)
    zero = fmt(ZERO)
    return {
        "standardCommissionForOrder": {"maker": rate, "taker": rate},
        "specialCommissionForOrder": {"maker": zero, "taker": zero},
        "taxCommissionForOrder": {"maker": zero, "taker": zero},
        "discount": {
            "enabledForAccount": False,
            "enabledForSymbol": False,
            "discountAsset": "BNB",
            "discount": zero,
        },
    }


def _test_weight(params: Params) -> int:
    return 20 if (params.values.get("computeCommissionRates") or "").lower() == "true" else 1


def _find(ctx: Context, for_cancel: bool) -> Order:
    p = ctx.params
    account = ctx.user()
    symbol = p.symbol(ctx.exchange.markets)
    order_id = p.long("orderId")
    if "origClientOrderId" in p.values and p.values["origClientOrderId"] == "" and order_id is None:
        raise ApiError(-1119, "Original client order ID was empty.")
    client_id = p.raw("origClientOrderId")
    if order_id is None and client_id is None:
        raise ApiError(
            -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!"
        )
    missing = (
        ApiError(-2011, "Unknown order sent.")
        if for_cancel
        else ApiError(-2013, "Order does not exist.")
    )
    if order_id is not None:
        order = account.orders.get(order_id)
        if order is None or order.symbol != symbol:
            raise missing
        if client_id is not None and order.client_order_id != client_id:
            if for_cancel:
                raise missing
            raise ApiError(-2039, "Client order ID is not correct for this order ID.")
        return order
    found = account.by_client.get((symbol, client_id or ""))
    if found is None:
        raise missing
    return found


def query_order(ctx: Context) -> dict[str, Any]:
    """``GET /api/v3/order``.

    :param ctx: the request.
    :returns: the order (``tests/fixtures/rest/query_order.json`` shape).
    """
    with ctx.exchange.lock:
        return _find(ctx, for_cancel=False).query_payload()


def cancel_order(ctx: Context) -> dict[str, Any]:
    """``DELETE /api/v3/order`` with ``cancelRestrictions``.

    :param ctx: the request.
    :returns: the cancelled order (``tests/fixtures/rest/cancel_order.json`` shape).
    """
    p = ctx.params
    restriction = p.enum(
        "cancelRestrictions",
        ("ONLY_NEW", "ONLY_PARTIALLY_FILLED"),
        ApiError(-1145, "Invalid cancelRestrictions"),
    )
    cancel_id = _client_id(p, "newClientOrderId")
    with ctx.exchange.lock:
        order = _find(ctx, for_cancel=True)
        if not order.is_open:
            raise ApiError(-2011, "Unknown order sent.")
        if (restriction == "ONLY_NEW" and order.status != "NEW") or (
            restriction == "ONLY_PARTIALLY_FILLED" and order.status != "PARTIALLY_FILLED"
        ):
            raise ApiError(-2011, "Order was not canceled due to cancel restrictions.")
        transact = ctx.exchange.cancel(ctx.user(), order, cancel_id)
        return order.cancel_payload(cancel_id, transact)


def open_orders(ctx: Context) -> list[dict[str, Any]]:
    """``GET /api/v3/openOrders`` (one symbol or all).

    :param ctx: the request.
    :returns: open orders, oldest first.
    """
    with ctx.exchange.lock:
        symbol = ctx.params.optional_symbol(ctx.exchange.markets)
        orders = sorted(ctx.user().open_orders.values(), key=lambda o: o.order_id)
        return [o.query_payload() for o in orders if symbol is None or o.symbol == symbol]


def _open_orders_weight(params: Params) -> int:
    return 6 if params.values.get("symbol") else 80


def cancel_all(ctx: Context) -> list[dict[str, Any]]:
    """``DELETE /api/v3/openOrders``.

    :param ctx: the request.
    :returns: the cancelled orders.
    :raises ApiError: -2011 when the symbol has no open order (as Binance answers).
    """
    with ctx.exchange.lock:
        symbol = ctx.params.symbol(ctx.exchange.markets)
        account = ctx.user()
        orders = sorted(
            (o for o in account.open_orders.values() if o.symbol == symbol),
            key=lambda o: o.order_id,
        )
        if not orders:
            raise ApiError(-2011, "Unknown order sent.")
        cancel_id = new_client_id()
        out = []
        for order in orders:
            transact = ctx.exchange.cancel(account, order, cancel_id)
            out.append(order.cancel_payload(cancel_id, transact))
        return out


def _window(ctx: Context) -> tuple[int | None, int | None, int]:
    p = ctx.params
    start = p.long("startTime")
    end = p.long("endTime")
    limit = p.long("limit")
    if limit is not None and limit <= 0:
        raise illegal("limit", "^[1-9][0-9]{0,19}$")
    if start is not None and end is not None and end - start > DAY_MS:
        raise ApiError(-1127, "More than 24 hours between startTime and endTime.")
    return start, end, min(limit or 500, 1000)


def all_orders(ctx: Context) -> list[dict[str, Any]]:
    """``GET /api/v3/allOrders`` (orderId / startTime / endTime / limit).

    :param ctx: the request.
    :returns: orders in ascending id.
    """
    with ctx.exchange.lock:
        symbol = ctx.params.symbol(ctx.exchange.markets)
        order_id = ctx.params.long("orderId")
        start, end, limit = _window(ctx)
        orders = sorted(
            (o for o in ctx.user().orders.values() if o.symbol == symbol), key=lambda o: o.order_id
        )
        if order_id is not None:
            orders = [o for o in orders if o.order_id >= order_id][:limit]
        elif start is not None or end is not None:
            orders = [
                o
                for o in orders
                if (start is None or o.time >= start) and (end is None or o.time <= end)
            ]
            orders = orders[:limit] if start is not None else orders[-limit:]
        else:
            orders = orders[-limit:]
        return [o.query_payload() for o in orders]


def my_trades(ctx: Context) -> list[dict[str, Any]]:
    """``GET /api/v3/myTrades`` (orderId / startTime / endTime / fromId / limit).

    :param ctx: the request.
    :returns: fills in ascending trade id.
    """
    p = ctx.params
    with ctx.exchange.lock:
        symbol = p.symbol(ctx.exchange.markets)
        order_id = p.long("orderId")
        from_id = p.long("fromId")
        start, end, limit = _window(ctx)
        if (order_id is not None and (start is not None or end is not None)) or (
            from_id is not None and (start is not None or end is not None)
        ):
            raise ApiError(-1128, "Combination of optional parameters invalid.")
        rows = [t for t in ctx.user().trades if t.symbol == symbol]
        if order_id is not None:
            rows = [t for t in rows if t.order_id == order_id]
        if from_id is not None:
            rows = [t for t in rows if t.trade_id >= from_id][:limit]
        elif start is not None or end is not None:
            rows = [
                t
                for t in rows
                if (start is None or t.time >= start) and (end is None or t.time <= end)
            ]
            rows = rows[:limit] if start is not None else rows[-limit:]
        else:
            rows = rows[-limit:]
        return [t.payload() for t in rows]


def _my_trades_weight(params: Params) -> int:
    return 5 if params.values.get("orderId") else 20


def account_info(ctx: Context) -> dict[str, Any]:
    """``GET /api/v3/account``.

    :param ctx: the request.
    :returns: payload shaped like ``tests/fixtures/rest/account.json``.
    """
    omit_zero = bool(ctx.params.boolean("omitZeroBalances"))
    rate = ctx.settings.commission_rate
    bips = int(rate * 10_000)
    with ctx.exchange.lock:
        account = ctx.user()
        balances = [
            {"asset": asset, "free": fmt(free), "locked": fmt(locked)}
            for asset, (free, locked) in account.balances.items()
            if not omit_zero or free or locked
        ]
        update_time = account.update_time
    return {
        "makerCommission": bips,
        "takerCommission": bips,
        "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {
            "maker": fmt(rate),
            "taker": fmt(rate),
            "buyer": fmt(ZERO),
            "seller": fmt(ZERO),
        },
        "canTrade": True,
        "canWithdraw": True,
        "canDeposit": True,
        "brokered": False,
        "requireSelfTradePrevention": False,
        "preventSor": False,
        "updateTime": update_time,
        "accountType": "SPOT",
        "balances": balances,
        "permissions": ["SPOT"],
        "uid": account.uid,
    }


def order_rate_limit(ctx: Context) -> list[dict[str, Any]]:
    """``GET /api/v3/rateLimit/order``.

    :param ctx: the request.
    :returns: the two ORDERS limiters with the account's current counts.
    """
    s = ctx.settings
    with ctx.exchange.lock:
        account = ctx.user()
        count_10s = account.unfilled_count(10_000, ctx.now)
        count_1d = account.unfilled_count(DAY_MS, ctx.now)
    return [
        {
            "rateLimitType": "ORDERS",
            "interval": "SECOND",
            "intervalNum": 10,
            "limit": s.order_limit_10s,
            "count": count_10s,
        },
        {
            "rateLimitType": "ORDERS",
            "interval": "DAY",
            "intervalNum": 1,
            "limit": s.order_limit_1d,
            "count": count_1d,
        },
    ]


def _signed(handler: Any, weight: Any, *names: str, free_on_success: bool = False) -> Endpoint:
    return Endpoint(
        handler,
        weight,
        signed=True,
        allowed=_COMMON | frozenset(names),
        free_on_success=free_on_success,
    )


#: Signed routes: (method, path) -> endpoint. Weights from rest.md §6-7; placement and
#: cancels are free when they succeed (changelog 2026-03-27, effective 2026-04-02).
SIGNED_ROUTES: Final[dict[tuple[str, str], Endpoint]] = {
    ("POST", "/api/v3/order"): Endpoint(
        place_order, fixed(1), True, ORDER_PARAMS, free_on_success=True
    ),
    ("POST", "/api/v3/order/test"): Endpoint(
        test_order, _test_weight, True, ORDER_PARAMS | {"computeCommissionRates"}
    ),
    ("GET", "/api/v3/order"): _signed(
        query_order, fixed(4), "symbol", "orderId", "origClientOrderId"
    ),
    ("DELETE", "/api/v3/order"): _signed(
        cancel_order,
        fixed(1),
        "symbol",
        "orderId",
        "origClientOrderId",
        "newClientOrderId",
        "cancelRestrictions",
        free_on_success=True,
    ),
    ("GET", "/api/v3/openOrders"): _signed(open_orders, _open_orders_weight, "symbol"),
    ("DELETE", "/api/v3/openOrders"): _signed(cancel_all, fixed(1), "symbol", free_on_success=True),
    ("GET", "/api/v3/allOrders"): _signed(
        all_orders, fixed(20), "symbol", "orderId", "startTime", "endTime", "limit"
    ),
    ("GET", "/api/v3/myTrades"): _signed(
        my_trades, _my_trades_weight, "symbol", "orderId", "startTime", "endTime", "fromId", "limit"
    ),
    ("GET", "/api/v3/account"): _signed(account_info, fixed(20), "omitZeroBalances"),
    ("GET", "/api/v3/rateLimit/order"): _signed(order_rate_limit, fixed(40)),
}
