"""Every fixture in ``tests/fixtures/manifest.json`` is either parsed here or
mapped to an explicit reason why no model parses it, so a fixture nobody
parses is visible.

The exact field values are checked in ``test_parse.py``; this module makes
sure the map is complete and that every mapped fixture really parses.
"""

from __future__ import annotations

import fnmatch
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from cryptoex.exchanges.binance import parse as p
from cryptoex.models import Model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MANIFEST = orjson.loads((FIXTURES / "manifest.json").read_bytes())
SYMBOL = "BNBBTC"


@dataclass(frozen=True)
class Parsed:
    """Fixtures parsed by cryptoex: *parse* returns the models of one file."""

    parse: Callable[[Any], list[Any]]


@dataclass(frozen=True)
class Lead:
    """Fixtures parsed by the lead's :mod:`cryptoex.exchanges.binance.filters`
    (checked here once that module is on this branch)."""

    function: str
    extract: Callable[[Any], list[Any]] = lambda raw: [raw]


@dataclass(frozen=True)
class NotParsed:
    """Fixtures no model parses, and why."""

    reason: str


Rule = Parsed | Lead | NotParsed


def each(parse: Callable[[Any], Any]) -> Parsed:
    return Parsed(lambda raw: [parse(item) for item in raw])


def one(parse: Callable[[Any], Any]) -> Parsed:
    return Parsed(lambda raw: [parse(raw)])


def user_event(parse: Callable[[Any, str], Any]) -> Parsed:
    return Parsed(lambda raw: [parse(raw["event"], "account")])


def combined(raw: Any) -> list[Any]:
    """A combined-stream frame, parsed by the kind its stream name says."""
    stream = raw["stream"]
    symbol, _, rest = stream.partition("@")
    kind = "depth" if rest.startswith("depth") and rest[5:6].isdigit() else None
    kind = kind or ("depth_update" if rest.startswith("depth") else rest.split("@")[0])
    return [p.STREAM_PARSERS[kind](raw["data"], symbol.upper())]


def user_events(raw: Any) -> list[Any]:
    return [p.USER_EVENT_PARSERS[e["e"]](e, "account") for e in raw]


ERROR_MAPPING = NotParsed(
    "an error answer: mapped to an exception by cryptoex.exchanges.binance.errors (lead)"
)
SENT_BY_US = NotParsed(
    "a request cryptoex sends, not an answer: built and signed by "
    "cryptoex.exchanges.binance.signing / the user stream (lead)"
)
SESSION_ANSWER = NotParsed(
    "a WebSocket API session or subscription answer: read by the user stream "
    "(subscription id, status); no data model"
)

#: fnmatch pattern -> rule. Each manifest entry must match exactly one pattern.
RULES: dict[str, Rule] = {
    # -- errors, signing: other modules own these ------------------------
    "errors/constructed/*.json": ERROR_MAPPING,
    "rest/error_*.json": ERROR_MAPPING,
    "wsapi/error_session_revoked.json": ERROR_MAPPING,
    "wsapi/response_error_example.json": ERROR_MAPPING,
    "wsapi/response_ip_banned_418.json": ERROR_MAPPING,
    "signing/vectors.json": NotParsed("signing vectors (lead): tests of exchanges.binance.signing"),
    "wsapi/hmac_signed_order_place_*.json": SENT_BY_US,
    "wsapi/request_example_order_place.json": SENT_BY_US,
    "wsapi/*_request.json": SENT_BY_US,
    # -- exchange info, filters, rate limits: the lead's filters module --
    "rest/exchangeInfo.json": Lead("parse_exchange_info"),
    "rest/constructed/exchangeInfo_all_filters.json": Lead("parse_exchange_info"),
    "rest/filters/*.json": Lead("parse_filter"),
    "rest/rateLimits/*.json": Lead("parse_rate_limit"),
    # -- no content -----------------------------------------------------
    "rest/ping.json": NotParsed("an empty object: GET /api/v3/ping answers {}"),
    "rest/order_test.json": NotParsed("an empty object: POST /api/v3/order/test answers {}"),
    "rest/order_test_computeCommissionRates.json": NotParsed(
        "test_order() only validates (API.md); its commission-rate preview is not modelled"
    ),
    "rest/legacy/userDataStream_post_RETIRED.json": NotParsed(
        "listenKey endpoint retired 2026-02-20; cryptoex uses the WebSocket API"
    ),
    "user-data/legacy/listenKeyExpired_RETIRED.json": NotParsed(
        "listenKey event retired 2026-02-20; cryptoex uses the WebSocket API"
    ),
    "user-data/eventStreamTerminated.json": NotParsed(
        "ends a user-data subscription: handled by the user stream, carries only a time"
    ),
    "ws/serverShutdown_*.json": NotParsed(
        "connection lifecycle: the streaming layer rotates the connection; carries only a time"
    ),
    "wsapi/serverShutdown.json": NotParsed(
        "connection lifecycle: the user stream reconnects; carries only a time"
    ),
    "ws/control/*.json": NotParsed(
        "stream control frames (SUBSCRIBE, LIST_SUBSCRIPTIONS...): built and read by "
        "exchanges.binance.streams and the streaming layer, not models"
    ),
    "wsapi/*_response.json": SESSION_ANSWER,
    # -- market streams -------------------------------------------------
    "ws/ticker.json": one(p.parse_ticker),
    "ws/miniTicker.json": one(p.parse_mini_ticker),
    "ws/bookTicker.json": one(p.parse_book_ticker),
    "ws/trade.json": one(p.parse_trade),
    "ws/aggTrade.json": one(p.parse_agg_trade),
    "ws/kline.json": one(p.parse_kline),
    "ws/kline_tz_utc8.json": one(p.parse_kline),
    "ws/depth_partial.json": one(lambda raw: p.parse_partial_depth(raw, SYMBOL)),
    "ws/depthUpdate.json": one(p.parse_depth_update),
    "ws/rollingTicker_1h.json": one(p.parse_rolling_ticker),
    "ws/avgPrice.json": one(p.parse_avg_price),
    "ws/blockTrade.json": one(p.parse_block_trade),
    "ws/referencePrice.json": one(p.parse_reference_price),
    "ws/constructed/combined_*.json": Parsed(combined),
    "ws/constructed/miniTicker_arr.json": each(p.parse_mini_ticker),
    "ws/constructed/rollingTicker_1h_arr.json": each(p.parse_rolling_ticker),
    "ws/constructed/ticker_arr_RETIRED.json": each(p.parse_ticker),
    # -- public REST ----------------------------------------------------
    "rest/time.json": Parsed(lambda raw: [p.parse_server_time(raw)]),
    "rest/depth.json": one(lambda raw: p.parse_order_book(raw, SYMBOL)),
    "rest/trades.json": each(lambda raw: p.parse_rest_trade(raw, SYMBOL)),
    "rest/historicalTrades.json": each(lambda raw: p.parse_rest_trade(raw, SYMBOL)),
    "rest/historicalBlockTrades.json": each(lambda raw: p.parse_rest_block_trade(raw, SYMBOL)),
    "rest/aggTrades.json": each(lambda raw: p.parse_rest_agg_trade(raw, SYMBOL)),
    "rest/klines.json": each(lambda row: p.parse_kline_row(row, SYMBOL, "1d")),
    "rest/uiKlines.json": each(lambda row: p.parse_kline_row(row, SYMBOL, "1d")),
    "rest/avgPrice.json": one(lambda raw: p.parse_rest_avg_price(raw, SYMBOL)),
    "rest/ticker_24hr_full.json": one(p.parse_rest_ticker),
    "rest/ticker_24hr_full_list.json": each(p.parse_rest_ticker),
    "rest/ticker_24hr_mini.json": one(p.parse_rest_mini_ticker),
    "rest/ticker_24hr_mini_list.json": each(p.parse_rest_mini_ticker),
    "rest/ticker_rolling_mini.json": one(p.parse_rest_mini_ticker),
    "rest/ticker_rolling_mini_list.json": each(p.parse_rest_mini_ticker),
    "rest/ticker_rolling_full.json": one(p.parse_rest_rolling_ticker),
    "rest/ticker_rolling_full_list.json": each(p.parse_rest_rolling_ticker),
    "rest/ticker_bookTicker.json": one(p.parse_rest_book_ticker),
    "rest/ticker_bookTicker_list.json": each(p.parse_rest_book_ticker),
    "rest/ticker_price.json": one(p.parse_price_ticker),
    "rest/ticker_price_list.json": each(p.parse_price_ticker),
    "rest/referencePrice.json": one(p.parse_rest_reference_price),
    "rest/referencePrice_null.json": one(p.parse_rest_reference_price),
    # -- trading and account --------------------------------------------
    "rest/order_ack.json": one(p.parse_order),
    "rest/order_result.json": one(p.parse_order),
    "rest/order_full.json": one(p.parse_order),
    "rest/order_full_market_expired.json": one(p.parse_order),
    "rest/query_order.json": one(p.parse_order),
    "rest/cancel_order.json": one(p.parse_order),
    "rest/open_orders.json": each(p.parse_order),
    "rest/all_orders.json": each(p.parse_order),
    "rest/cancel_open_orders.json": Parsed(p.parse_canceled_orders),
    "rest/my_trades.json": each(p.parse_my_trade),
    "rest/account.json": one(p.parse_account),
    "rest/rate_limit_order.json": each(p.parse_rate_limit_usage),
    "wsapi/response_success_example.json": Parsed(
        lambda raw: [
            p.parse_order(raw["result"]),
            *(p.parse_rate_limit_usage(r) for r in raw["rateLimits"]),
        ]
    ),
    # -- user data ------------------------------------------------------
    "user-data/executionReport.json": user_event(p.parse_execution_report),
    "user-data/balanceUpdate.json": user_event(p.parse_balance_update),
    "user-data/outboundAccountPosition.json": user_event(p.parse_account_update),
    "user-data/externalLockUpdate.json": user_event(p.parse_external_lock_update),
    "user-data/listStatus.json": user_event(p.parse_list_status),
    "user-data/sequence_market_order_expired_unwrapped.json": Parsed(user_events),
    "wsapi/event_example_outboundAccountPosition.json": user_event(p.parse_account_update),
}

MANIFEST_FILES = [entry["file"] for entry in MANIFEST]


def rule_for(path: str) -> Rule:
    """The one rule for *path*; the most specific pattern wins where a
    literal name and a wildcard both match (``wsapi/*_request.json``)."""
    matches = [pattern for pattern in RULES if fnmatch.fnmatchcase(path, pattern)]
    literal = [pattern for pattern in matches if "*" not in pattern]
    assert len(literal) <= 1, (path, literal)
    chosen = literal or matches
    assert len(chosen) == 1, f"{path} matches {len(chosen)} rules: {chosen}"
    return RULES[chosen[0]]


def test_manifest_lists_every_fixture_file() -> None:
    on_disk = sorted(
        str(path.relative_to(FIXTURES))
        for path in FIXTURES.rglob("*.json")
        if path.name != "manifest.json"
    )
    assert sorted(MANIFEST_FILES) == on_disk


def test_every_rule_is_used() -> None:
    used = {
        pattern
        for pattern in RULES
        if any(fnmatch.fnmatchcase(path, pattern) for path in MANIFEST_FILES)
    }
    assert used == set(RULES)


@pytest.mark.parametrize("path", MANIFEST_FILES)
def test_fixture_is_parsed_or_has_a_reason(path: str) -> None:
    rule = rule_for(path)
    raw = orjson.loads((FIXTURES / path).read_bytes())
    if isinstance(rule, NotParsed):
        assert rule.reason
        return
    if isinstance(rule, Lead):
        module = _lead_module()
        if module is None or not hasattr(module, rule.function):
            pytest.skip(f"parsed by exchanges.binance.filters.{rule.function} (lead), not here yet")
        parse = getattr(module, rule.function)
        results = [parse(item) for item in rule.extract(raw)]
    else:
        results = rule.parse(raw)
    assert results, path
    for result in results:
        assert isinstance(result, Model) or path == "rest/time.json", (path, result)


def _lead_module() -> Any:
    try:
        return importlib.import_module("cryptoex.exchanges.binance.filters")
    except ImportError:
        return None


def test_parsed_share_of_the_fixtures() -> None:
    """Keep an eye on coverage: most fixtures that carry data are parsed."""
    parsed = [path for path in MANIFEST_FILES if isinstance(rule_for(path), Parsed)]
    assert len(parsed) >= 60
