"""Public market-data endpoints (security type NONE) and their request weights."""

from __future__ import annotations

import bisect
import re
from typing import Any, Final

from cryptoex.testing._context import Context, Endpoint, fixed
from cryptoex.testing._errors import ApiError, illegal, invalid_symbol
from cryptoex.testing._format import fmt
from cryptoex.testing._klines import is_interval
from cryptoex.testing._market import Market
from cryptoex.testing._markets import EXCHANGE_MAX_NUM_ORDERS
from cryptoex.testing._params import Params

_STATUS: Final = ("TRADING", "HALT", "BREAK", "END_OF_DAY", "CANCEL_ONLY")
_TZ: Final = re.compile(r"([+-]?)(\d{1,2})(?::(\d{2}))?")


def _limit(params: Params, default: int, maximum: int) -> int:
    value = params.long("limit")
    if value is None:
        return default
    if value <= 0:
        raise illegal("limit", "^[1-9][0-9]{0,19}$")
    return min(value, maximum)


def _markets(ctx: Context) -> dict[str, Market]:
    return ctx.exchange.markets


def _symbol_status(ctx: Context, single: bool) -> bool:
    """Check ``symbolStatus``; every sandbox symbol is TRADING.

    :returns: whether symbols match (only ``False`` for multi-symbol requests).
    """
    status = ctx.params.enum("symbolStatus", _STATUS, ApiError(-1122, "Invalid symbolStatus."))
    if status is None or status == "TRADING":
        return True
    if single:
        raise ApiError(-1220, "The symbol's status does not match the requested symbolStatus.")
    return False


def ping(ctx: Context) -> dict[str, Any]:
    """``GET /api/v3/ping``.

    :param ctx: the request.
    :returns: ``{}``.
    """
    return {}


def server_time(ctx: Context) -> dict[str, Any]:
    """``GET /api/v3/time``.

    :param ctx: the request.
    :returns: ``{"serverTime": ms}``.
    """
    return {"serverTime": ctx.now}


def rate_limits(ctx: Context) -> list[dict[str, Any]]:
    """The ``rateLimits`` array of exchangeInfo for this sandbox's settings.

    :param ctx: the request.
    :returns: REQUEST_WEIGHT, ORDERS (10 s, 1 d) and RAW_REQUESTS limiters.
    """
    s = ctx.settings
    return [
        {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": "MINUTE",
            "intervalNum": 1,
            "limit": s.request_weight_limit,
        },
        {
            "rateLimitType": "ORDERS",
            "interval": "SECOND",
            "intervalNum": 10,
            "limit": s.order_limit_10s,
        },
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": s.order_limit_1d},
        {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 300_000},
    ]


def exchange_info(ctx: Context) -> dict[str, Any]:
    """``GET /api/v3/exchangeInfo``.

    :param ctx: the request.
    :returns: payload shaped like ``tests/fixtures/rest/exchangeInfo.json``.
    """
    p = ctx.params
    markets = _markets(ctx)
    one = p.raw("symbol")
    many = p.symbols(markets)
    permissions = p.raw("permissions")
    p.boolean("showPermissionSets")
    if one is not None and many is not None:
        raise ApiError(-1128, "Combination of optional parameters invalid.")
    if one is not None and one not in markets:
        raise invalid_symbol()
    if (one is not None or many is not None) and (permissions or p.raw("symbolStatus")):
        raise ApiError(-1128, "Combination of optional parameters invalid.")
    names = [one] if one is not None else many if many is not None else list(markets)
    if not _symbol_status(ctx, single=False):
        names = []
    if permissions is not None and "SPOT" not in permissions:
        names = []
    return {
        "timezone": "UTC",
        "serverTime": ctx.now,
        "rateLimits": rate_limits(ctx),
        "exchangeFilters": [
            {"filterType": "EXCHANGE_MAX_NUM_ORDERS", "maxNumOrders": EXCHANGE_MAX_NUM_ORDERS}
        ],
        "symbols": [markets[n].spec.exchange_info() for n in names],
    }


def _depth_weight(params: Params) -> int:
    try:
        limit = int(params.values.get("limit") or 100)
    except ValueError:
        limit = 100
    return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250


def depth(ctx: Context) -> dict[str, Any]:
    """``GET /api/v3/depth``: the book with ``lastUpdateId`` consistent with the diff streams.

    :param ctx: the request.
    :returns: payload shaped like ``tests/fixtures/rest/depth.json``.
    """
    symbol = ctx.params.symbol(_markets(ctx))
    limit = _limit(ctx.params, 100, 5000)
    _symbol_status(ctx, single=True)
    return _markets(ctx)[symbol].depth(limit)


def trades(ctx: Context) -> list[dict[str, Any]]:
    """``GET /api/v3/trades`` (most recent first in time order, oldest first in the list).

    :param ctx: the request.
    :returns: rows shaped like ``tests/fixtures/rest/trades.json``.
    """
    symbol = ctx.params.symbol(_markets(ctx))
    market = _markets(ctx)[symbol]
    limit = _limit(ctx.params, 500, 1000)
    return [market.trade_rest(t) for t in market.tape[-limit:]]


def historical_trades(ctx: Context) -> list[dict[str, Any]]:
    """``GET /api/v3/historicalTrades``.

    :param ctx: the request.
    :returns: rows shaped like ``tests/fixtures/rest/historicalTrades.json``.
    """
    symbol = ctx.params.symbol(_markets(ctx))
    market = _markets(ctx)[symbol]
    limit = _limit(ctx.params, 500, 1000)
    from_id = ctx.params.long("fromId")
    if from_id is None:
        rows = market.tape[-limit:]
    else:
        ids = [t.id for t in market.tape]
        start = bisect.bisect_left(ids, from_id)
        rows = market.tape[start : start + limit]
    return [market.trade_rest(t) for t in rows]


def agg_trades(ctx: Context) -> list[dict[str, Any]]:
    """``GET /api/v3/aggTrades`` with fromId / startTime / endTime.

    :param ctx: the request.
    :returns: rows shaped like ``tests/fixtures/rest/aggTrades.json``.
    """
    p = ctx.params
    symbol = p.symbol(_markets(ctx))
    market = _markets(ctx)[symbol]
    limit = _limit(p, 500, 1000)
    from_id = p.long("fromId")
    start = p.long("startTime")
    end = p.long("endTime")
    aggs = market.aggs
    if from_id is not None:
        ids = [a.id for a in aggs]
        lo = bisect.bisect_left(ids, from_id)
        rows = aggs[lo : lo + limit]
    elif start is not None or end is not None:
        lo = bisect.bisect_left(market.agg_times, start) if start is not None else 0
        hi = bisect.bisect_right(market.agg_times, end) if end is not None else len(aggs)
        rows = aggs[lo:hi][:limit] if start is not None else aggs[lo:hi][-limit:]
    else:
        rows = aggs[-limit:]
    return [market.agg_rest(a) for a in rows]


def _time_zone(value: str | None) -> int:
    if value is None or value == "0":
        return 0
    match = _TZ.fullmatch(value)
    if not match:
        raise ApiError(-1130, "Data sent for parameter 'timeZone' is not valid.")
    sign = -1 if match.group(1) == "-" else 1
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    offset = sign * (hours * 60 + minutes)
    if not -12 * 60 <= offset <= 14 * 60 or minutes >= 60:
        raise ApiError(-1130, "Data sent for parameter 'timeZone' is not valid.")
    return offset * 60_000


def klines(ctx: Context) -> list[list[object]]:
    """``GET /api/v3/klines`` (and ``uiKlines``) with startTime / endTime / limit / timeZone.

    :param ctx: the request.
    :returns: rows shaped like ``tests/fixtures/rest/klines.json``.
    """
    p = ctx.params
    symbol = p.symbol(_markets(ctx))
    interval = p.text("interval")
    if not is_interval(interval):
        raise ApiError(-1120, "Invalid interval.")
    start = p.long("startTime")
    end = p.long("endTime")
    limit = _limit(p, 500, 1000)
    tz = _time_zone(p.raw("timeZone"))
    if start is not None and end is not None and start > end:
        return []
    return _markets(ctx)[symbol].klines(interval, ctx.now, start, end, limit, tz)


def avg_price(ctx: Context) -> dict[str, Any]:
    """``GET /api/v3/avgPrice``.

    :param ctx: the request.
    :returns: payload shaped like ``tests/fixtures/rest/avgPrice.json``.
    """
    symbol = ctx.params.symbol(_markets(ctx))
    price, last = _markets(ctx)[symbol].avg_price(ctx.now)
    return {"mins": 5, "price": fmt(price), "closeTime": last}


def _selection(ctx: Context) -> tuple[list[str], bool]:
    """Symbols named by ``symbol`` / ``symbols`` (all when neither); whether a single object."""
    p = ctx.params
    markets = _markets(ctx)
    one = p.optional_symbol(markets)
    many = p.symbols(markets)
    if one is not None and many is not None:
        raise ApiError(-1128, "Combination of optional parameters invalid.")
    if one is not None:
        _symbol_status(ctx, single=True)
        return [one], True
    names = many if many is not None else list(markets)
    return (names if _symbol_status(ctx, single=False) else []), False


def _many_weight(single: int, some: int, everything: int) -> Any:
    def weight(params: Params) -> int:
        if params.values.get("symbol"):
            return single
        raw = params.values.get("symbols")
        if raw:
            return some
        return everything

    return weight


def _ticker_weight(params: Params) -> int:
    if params.values.get("symbol"):
        return 2
    raw = params.values.get("symbols")
    if raw:
        count = raw.count(",") + 1
        return 2 if count <= 20 else 40 if count <= 100 else 80
    return 80


def ticker_24hr(ctx: Context) -> Any:
    """``GET /api/v3/ticker/24hr`` (FULL or MINI; object for ``symbol``, array otherwise).

    :param ctx: the request.
    :returns: payloads shaped like ``tests/fixtures/rest/ticker_24hr_*.json``.
    """
    kind = ctx.params.enum("type", ("FULL", "MINI"), ApiError(-1139, "Invalid ticker type."))
    names, single = _selection(ctx)
    rows = [_markets(ctx)[n].ticker_rest(ctx.now, kind == "MINI") for n in names]
    return rows[0] if single else rows


def ticker_price(ctx: Context) -> Any:
    """``GET /api/v3/ticker/price``.

    :param ctx: the request.
    :returns: ``{"symbol", "price"}`` or a list of them.
    """
    names, single = _selection(ctx)
    rows = [_markets(ctx)[n].price_rest() for n in names]
    return rows[0] if single else rows


def ticker_book(ctx: Context) -> Any:
    """``GET /api/v3/ticker/bookTicker``.

    :param ctx: the request.
    :returns: best bid/ask object or a list of them.
    """
    names, single = _selection(ctx)
    rows = [_markets(ctx)[n].book_ticker_rest() for n in names]
    return rows[0] if single else rows


def _public(handler: Any, weight: Any, *names: str, kline_rows: bool = False) -> Endpoint:
    return Endpoint(handler, weight, signed=False, allowed=frozenset(names), kline_rows=kline_rows)


#: Public routes: (method, path) -> endpoint. Weights from rest.md §4-5.
PUBLIC_ROUTES: Final[dict[tuple[str, str], Endpoint]] = {
    ("GET", "/api/v3/ping"): _public(ping, fixed(1)),
    ("GET", "/api/v3/time"): _public(server_time, fixed(1)),
    ("GET", "/api/v3/exchangeInfo"): _public(
        exchange_info,
        fixed(20),
        "symbol",
        "symbols",
        "permissions",
        "showPermissionSets",
        "symbolStatus",
    ),
    ("GET", "/api/v3/depth"): _public(depth, _depth_weight, "symbol", "limit", "symbolStatus"),
    ("GET", "/api/v3/trades"): _public(trades, fixed(25), "symbol", "limit"),
    ("GET", "/api/v3/historicalTrades"): _public(
        historical_trades, fixed(25), "symbol", "limit", "fromId"
    ),
    ("GET", "/api/v3/aggTrades"): _public(
        agg_trades, fixed(4), "symbol", "fromId", "startTime", "endTime", "limit"
    ),
    ("GET", "/api/v3/klines"): _public(
        klines,
        fixed(2),
        "symbol",
        "interval",
        "startTime",
        "endTime",
        "timeZone",
        "limit",
        kline_rows=True,
    ),
    ("GET", "/api/v3/uiKlines"): _public(
        klines,
        fixed(2),
        "symbol",
        "interval",
        "startTime",
        "endTime",
        "timeZone",
        "limit",
        kline_rows=True,
    ),
    ("GET", "/api/v3/avgPrice"): _public(avg_price, fixed(2), "symbol"),
    ("GET", "/api/v3/ticker/24hr"): _public(
        ticker_24hr, _ticker_weight, "symbol", "symbols", "type", "symbolStatus"
    ),
    ("GET", "/api/v3/ticker/price"): _public(
        ticker_price, _many_weight(2, 4, 4), "symbol", "symbols", "symbolStatus"
    ),
    ("GET", "/api/v3/ticker/bookTicker"): _public(
        ticker_book, _many_weight(2, 4, 4), "symbol", "symbols", "symbolStatus"
    ),
}
