"""Binance error answers -> :mod:`cryptoex.errors` classes, by a table.

:data:`ERROR_RULES` is the whole mapping, in order: the first rule whose HTTP
status, error code and message pattern all match decides the class. It
follows ``binance/errors.md``: 418 is a ban, 429 a rate limit, any 5XX (and
-1001/-1006/-1007/-1008) means the exchange could not answer and the outcome
is unknown; -2014/-2015/-1022 are authentication; -2010 and -1013 reject an
order ("insufficient balance" is its own class); -2011/-2013 mean the order
is not there; -1021 is the clock; -1121 the symbol. Codes not listed become
:class:`~cryptoex.errors.ExchangeError` with the code and message kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from cryptoex._time import UTC, from_ms
from cryptoex.errors import (
    AuthenticationError,
    ExchangeError,
    ExchangeUnavailableError,
    InsufficientBalanceError,
    InvalidSymbolError,
    IPBannedError,
    OrderNotFoundError,
    OrderRejectedError,
    RateLimitError,
    TimestampError,
)

__all__ = ["ERROR_RULES", "ErrorRule", "error_for", "error_from_http", "error_from_ws_api"]


@dataclass(frozen=True)
class ErrorRule:
    """One row of the mapping: ``None`` matches anything.

    :param status: HTTP status, or a range as ``(low, high)`` inclusive.
    :param code: Binance error code.
    :param pattern: regular expression searched in the message
        (case-insensitive).
    """

    error: type[ExchangeError]
    status: int | tuple[int, int] | None = None
    code: int | None = None
    pattern: str | None = None

    def matches(self, status: int | None, code: int | None, message: str) -> bool:
        """Whether this rule applies to the answer."""
        if self.status is not None:
            if status is None:
                return False
            if isinstance(self.status, tuple):
                low, high = self.status
                if not low <= status <= high:
                    return False
            elif status != self.status:
                return False
        if self.code is not None and code != self.code:
            return False
        return self.pattern is None or re.search(self.pattern, message, re.IGNORECASE) is not None


#: The mapping, first match wins.
ERROR_RULES: tuple[ErrorRule, ...] = (
    ErrorRule(IPBannedError, status=418),
    ErrorRule(RateLimitError, status=429),
    ErrorRule(ExchangeUnavailableError, status=(500, 599)),
    ErrorRule(IPBannedError, code=-1003, pattern=r"banned until"),
    ErrorRule(RateLimitError, code=-1003),
    ErrorRule(RateLimitError, code=-1015),
    ErrorRule(AuthenticationError, code=-2014),
    ErrorRule(AuthenticationError, code=-2015),
    ErrorRule(AuthenticationError, code=-1022),
    ErrorRule(AuthenticationError, code=-1002),
    ErrorRule(InsufficientBalanceError, code=-2010, pattern=r"insufficient balance"),
    ErrorRule(OrderRejectedError, code=-2010),
    ErrorRule(OrderRejectedError, code=-1013),
    ErrorRule(ExchangeError, code=-2011, pattern=r"cancel restrictions"),
    ErrorRule(OrderNotFoundError, code=-2011),
    ErrorRule(OrderNotFoundError, code=-2013),
    ErrorRule(TimestampError, code=-1021),
    ErrorRule(InvalidSymbolError, code=-1121),
    ErrorRule(ExchangeUnavailableError, code=-1001),
    ErrorRule(ExchangeUnavailableError, code=-1006),
    ErrorRule(ExchangeUnavailableError, code=-1007),
    ErrorRule(ExchangeUnavailableError, code=-1008),
)

_BANNED_UNTIL = re.compile(r"banned until (\d{10,16})")


def error_for(
    status: int | None,
    code: int | None,
    message: str,
    *,
    retry_after: float | None = None,
    now: datetime | None = None,
) -> ExchangeError:
    """Build the exception for one error answer.

    :param retry_after: seconds from the ``Retry-After`` header (or the
        WebSocket API's ``retryAfter``), if any.
    :param now: the current time, for a ban's end (defaults to the wall clock).
    """
    cls: type[ExchangeError] = ExchangeError
    for rule in ERROR_RULES:
        if rule.matches(status, code, message):
            cls = rule.error
            break
    if issubclass(cls, IPBannedError):
        until = _ban_end(message, retry_after, now)
        if retry_after is None and until is not None:
            retry_after = max(0.0, (until - (now or datetime.now(UTC))).total_seconds())
        return cls(status, code, message, retry_after=retry_after, until=until)
    if issubclass(cls, RateLimitError):
        return cls(status, code, message, retry_after=retry_after)
    return cls(status, code, message)


def _ban_end(message: str, retry_after: float | None, now: datetime | None) -> datetime | None:
    match = _BANNED_UNTIL.search(message)
    if match:
        stamp = int(match.group(1))
        return from_ms(stamp // 1000 if stamp > 10**14 else stamp)
    if retry_after is not None:
        return (now or datetime.now(UTC)) + timedelta(seconds=retry_after)
    return None


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a ``Retry-After`` header (Binance sends whole seconds)."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


def error_from_http(
    status: int, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None
) -> ExchangeError:
    """Map an HTTP error answer (status >= 400) to an exception.

    A body that is not Binance's ``{"code": ..., "msg": ...}`` (an HTML page
    from a proxy, a WAF block) never causes a decode crash: 5XX and other
    unreadable answers become :class:`~cryptoex.errors.ExchangeUnavailableError`,
    a 403 is reported as a WAF block.
    """
    retry_after = parse_retry_after(headers)
    code: int | None = None
    message: str | None = None
    try:
        payload: Any = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("code"), int):
        code = payload["code"]
        message = str(payload.get("msg", ""))
    if message is None:
        snippet = _describe_body(body)
        if status == 403:
            return ExchangeError(
                status,
                None,
                f"request blocked by the exchange's firewall (HTTP 403, {snippet})",
            )
        if status in (418, 429):
            message = f"HTTP {status} ({snippet})"
        else:
            return ExchangeUnavailableError(
                status, None, f"unexpected answer from the exchange: HTTP {status}, {snippet}"
            )
    return error_for(status, code, message, retry_after=retry_after, now=now)


def error_from_ws_api(response: Mapping[str, Any], *, now: datetime | None = None) -> ExchangeError:
    """Map a WebSocket API error response (``{"status", "error": {...}}``)."""
    status = response.get("status")
    error = response.get("error") or {}
    code = error.get("code") if isinstance(error, dict) else None
    message = str(error.get("msg", "")) if isinstance(error, dict) else str(error)
    data = error.get("data") if isinstance(error, dict) else None
    retry_after: float | None = None
    if isinstance(data, dict) and isinstance(data.get("retryAfter"), int):
        value = data["retryAfter"]
        # For 418 Binance sends the epoch ms when the ban lifts.
        if value > 10**11:
            current = now or datetime.now(UTC)
            retry_after = max(0.0, (from_ms(value) - current).total_seconds())
        else:
            retry_after = float(value)
    return error_for(
        status if isinstance(status, int) else None,
        code if isinstance(code, int) else None,
        message,
        retry_after=retry_after,
        now=now,
    )


def _describe_body(body: bytes) -> str:
    if not body:
        return "empty body"
    text = body[:80].decode("utf-8", "replace").strip().replace("\n", " ")
    return f"body starts {text!r}"
