"""Binance error answers -> exception classes (errors.md), against fixtures."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest

from cryptoex import errors
from cryptoex.exchanges.binance.errors import (
    ERROR_RULES,
    error_for,
    error_from_http,
    error_from_ws_api,
    parse_retry_after,
)
from tests.helpers import FIXTURES, load_fixture

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)

EXPECTED = {
    -1000: errors.ExchangeError,
    -1003: errors.RateLimitError,
    -1007: errors.ExchangeUnavailableError,
    -1013: errors.OrderRejectedError,
    -1015: errors.RateLimitError,
    -1021: errors.TimestampError,
    -1022: errors.AuthenticationError,
    -1100: errors.ExchangeError,
    -1102: errors.ExchangeError,
    -1121: errors.InvalidSymbolError,
    -2011: errors.OrderNotFoundError,
    -2013: errors.OrderNotFoundError,
    -2014: errors.AuthenticationError,
    -2015: errors.AuthenticationError,
}

ERROR_FILES = sorted((FIXTURES / "errors" / "constructed").glob("*.json"))


@pytest.mark.parametrize("path", ERROR_FILES, ids=lambda p: p.stem)
def test_error_fixtures_map_to_the_api_md_tree(path: Path) -> None:
    body = path.read_bytes()
    payload = orjson.loads(body)
    err = error_from_http(400, body, {}, now=NOW)
    code = payload["code"]
    expected: type[errors.ExchangeError]
    if code == -2010:
        expected = (
            errors.InsufficientBalanceError
            if "insufficient balance" in payload["msg"]
            else errors.OrderRejectedError
        )
    else:
        expected = EXPECTED[code]
    assert type(err) is expected
    assert err.code == code
    assert err.message == payload["msg"]
    assert err.status == 400


def test_duplicate_order_is_rejected_not_insufficient() -> None:
    body = (FIXTURES / "errors/constructed/error_-2010_duplicate_order.json").read_bytes()
    assert type(error_from_http(400, body, {})) is errors.OrderRejectedError


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("rest/error_invalid_symbol.json", errors.InvalidSymbolError),
        ("rest/error_cancel_restrictions_not_met.json", errors.ExchangeError),
        ("rest/error_cancel_restrictions_invalid.json", errors.ExchangeError),
        ("rest/error_no_reference_price.json", errors.ExchangeError),
    ],
)
def test_rest_error_fixtures(fixture: str, expected: type[Exception]) -> None:
    err = error_from_http(400, (FIXTURES / fixture).read_bytes(), {})
    assert type(err) is expected


def test_429_carries_retry_after() -> None:
    body = (FIXTURES / "errors/constructed/error_-1003_too_much_weight.json").read_bytes()
    err = error_from_http(429, body, {"Retry-After": "7"})
    assert isinstance(err, errors.RateLimitError)
    assert not isinstance(err, errors.IPBannedError)
    assert err.retry_after == 7.0


def test_418_is_a_ban_with_its_end() -> None:
    body = orjson.dumps({"code": -1003, "msg": "Way too much request weight used; IP banned"})
    err = error_from_http(418, body, {"retry-after": "120"}, now=NOW)
    assert isinstance(err, errors.IPBannedError)
    assert err.retry_after == 120.0
    assert err.until == NOW + timedelta(seconds=120)


def test_ban_end_from_message() -> None:
    msg = "Way too much request weight used; IP banned until 1767225660000. Please use ..."
    err = error_for(418, -1003, msg, now=NOW)
    assert isinstance(err, errors.IPBannedError)
    assert err.until == datetime(2026, 1, 1, 0, 1, tzinfo=timezone.utc)
    assert err.retry_after == 60.0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_html_is_unavailable_not_a_crash(status: int) -> None:
    err = error_from_http(status, b"<html><body>Bad Gateway</body></html>", {})
    assert isinstance(err, errors.ExchangeUnavailableError)
    assert err.status == status
    assert "Bad Gateway" in str(err)


def test_5xx_with_json_body_is_unavailable() -> None:
    body = (FIXTURES / "errors/constructed/error_-1000_unknown.json").read_bytes()
    assert isinstance(error_from_http(500, body, {}), errors.ExchangeUnavailableError)


def test_403_waf_block() -> None:
    err = error_from_http(403, b"", {})
    assert type(err) is errors.ExchangeError
    assert "firewall" in str(err)


def test_429_without_json() -> None:
    err = error_from_http(429, b"slow down", {"Retry-After": "3"})
    assert isinstance(err, errors.RateLimitError)
    assert err.retry_after == 3.0


def test_unreadable_4xx_is_unavailable() -> None:
    err = error_from_http(404, b"", {})
    assert isinstance(err, errors.ExchangeUnavailableError)
    assert "empty body" in str(err)


def test_ws_api_errors() -> None:
    banned = load_fixture("wsapi/response_ip_banned_418.json")
    now = datetime(2022, 7, 30, 1, 1, 47, 531000, tzinfo=timezone.utc)
    err = error_from_ws_api(banned, now=now)
    assert isinstance(err, errors.IPBannedError)
    assert err.until is not None
    assert err.retry_after is not None
    assert err.retry_after > 0
    generic = error_from_ws_api(load_fixture("wsapi/response_error_example.json"))
    assert isinstance(generic, errors.InsufficientBalanceError)
    revoked = error_from_ws_api(load_fixture("wsapi/error_session_revoked.json"))
    assert isinstance(revoked, errors.AuthenticationError)
    assert revoked.status == 401
    limited = error_from_ws_api(
        {"status": 429, "error": {"code": -1003, "msg": "x", "data": {"retryAfter": 5}}}
    )
    assert isinstance(limited, errors.RateLimitError)
    assert limited.retry_after == 5.0
    odd = error_from_ws_api({"status": "weird", "error": "text"})
    assert type(odd) is errors.ExchangeError


def test_rules_table_is_ordered_and_total() -> None:
    assert ERROR_RULES[0].error is errors.IPBannedError
    assert type(error_for(400, -9999, "new code")) is errors.ExchangeError
    assert type(error_for(None, None, "no status")) is errors.ExchangeError


def test_parse_retry_after() -> None:
    assert parse_retry_after({"Retry-After": "2"}) == 2.0
    assert parse_retry_after({"retry-after": "nope"}) is None
    assert parse_retry_after({}) is None


def test_no_secret_in_error_args() -> None:
    err = error_for(400, -1022, "Signature for this request is not valid.")
    assert err.args == ("HTTP 400, code -1022: Signature for this request is not valid.",)
