from __future__ import annotations

import logging
import pickle
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cryptoex
from cryptoex import errors
from cryptoex.config import Backoff
from cryptoex.enums import KlineInterval, OrderStatus, OrderType, Side, TimeInForce, coerce_enum


def test_tree_matches_api_md() -> None:
    assert issubclass(errors.ValidationError, ValueError)
    assert issubclass(errors.NetworkError, ConnectionError)
    assert issubclass(errors.IPBannedError, errors.RateLimitError)
    assert issubclass(errors.InsufficientBalanceError, errors.OrderRejectedError)
    for cls in (
        errors.AuthenticationError,
        errors.RateLimitError,
        errors.OrderRejectedError,
        errors.OrderNotFoundError,
        errors.TimestampError,
        errors.InvalidSymbolError,
        errors.ExchangeUnavailableError,
    ):
        assert issubclass(cls, errors.ExchangeError)
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.CryptoExError)


def test_exchange_error_message_and_attributes() -> None:
    err = errors.ExchangeError(400, -1121, "Invalid symbol.")
    assert str(err) == "HTTP 400, code -1121: Invalid symbol."
    assert (err.status, err.code, err.message) == (400, -1121, "Invalid symbol.")
    assert str(errors.ExchangeError(None, None, "plain")) == "plain"


@pytest.mark.parametrize(
    "err",
    [
        errors.ExchangeError(400, -1121, "Invalid symbol."),
        errors.RateLimitError(429, -1003, "Too much request weight used", retry_after=2.5),
        errors.IPBannedError(
            418, -1003, "banned", retry_after=120.0, until=datetime(2026, 1, 1, tzinfo=timezone.utc)
        ),
        errors.InsufficientBalanceError(400, -2010, "insufficient"),
        errors.OrderStatusUnknownError("abc-123", "BTCUSDT", "timeout"),
        errors.ValidationError("price bad", field="price", filter="PRICE_FILTER", allowed="0.01"),
        errors.ParseError("ticker", "missing key 'c'"),
    ],
)
def test_exceptions_pickle(err: Exception) -> None:
    clone = pickle.loads(pickle.dumps(err))  # noqa: S301 - our own bytes
    assert type(clone) is type(err)
    assert str(clone) == str(err)
    assert vars(clone) == vars(err)


def test_order_status_unknown_says_what_to_do() -> None:
    err = errors.OrderStatusUnknownError("cid-1", "BTCUSDT")
    assert err.client_order_id == "cid-1"
    assert "do not re-send" in str(err)


def test_parse_error_names_kind() -> None:
    err = errors.ParseError("ticker", "missing 'c'")
    assert err.kind == "ticker"
    assert "ticker" in str(err)
    assert isinstance(err, ValueError)


def test_str_enums_compare_to_strings() -> None:
    assert Side.BUY == "BUY"
    assert str(OrderType.LIMIT) == "LIMIT"
    assert KlineInterval("1M") is KlineInterval.MONTH_1
    assert KlineInterval("1m") is KlineInterval.MINUTE_1
    assert KlineInterval.HOUR_4.milliseconds == 4 * 3_600_000


def test_unknown_enum_value_is_kept_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="cryptoex.enums"):
        first = OrderStatus("SOMETHING_FROM_2027")
        second = OrderStatus("SOMETHING_FROM_2027")
    assert first is second
    assert first == "SOMETHING_FROM_2027"
    assert first.value == "SOMETHING_FROM_2027"
    assert first not in list(OrderStatus)
    assert not OrderStatus.is_known(first)
    assert len([r for r in caplog.records if "SOMETHING_FROM_2027" in r.getMessage()]) == 1


def test_non_string_enum_value_raises() -> None:
    with pytest.raises(ValueError):
        Side(3)


def test_coerce_enum_is_strict() -> None:
    assert coerce_enum(Side, "buy", "side") is Side.BUY
    assert coerce_enum(TimeInForce, TimeInForce.IOC, "time_in_force") is TimeInForce.IOC
    assert coerce_enum(KlineInterval, "1M", "interval") is KlineInterval.MONTH_1
    with pytest.raises(cryptoex.ValidationError, match=r"side='HOLD'.*BUY, SELL") as info:
        coerce_enum(Side, "HOLD", "side")
    assert info.value.field == "side"
    with pytest.raises(cryptoex.ValidationError):
        coerce_enum(KlineInterval, "1H", "interval")  # case matters for intervals
    unknown = OrderStatus("ANOTHER_NEW_ONE")
    with pytest.raises(cryptoex.ValidationError):
        coerce_enum(OrderStatus, unknown, "status")
    with pytest.raises(cryptoex.ValidationError):
        coerce_enum(Side, 1, "side")


def test_order_status_is_open() -> None:
    assert OrderStatus.NEW.is_open
    assert not OrderStatus.FILLED.is_open


def test_backoff_schedule_without_jitter() -> None:
    backoff = Backoff(initial=1.0, factor=2.0, cap=10.0, jitter=0.0)
    delays = backoff.delays()
    assert [next(delays) for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert backoff.ceiling(10_000) == 10.0


@given(
    initial=st.floats(0, 10),
    factor=st.floats(1, 5),
    extra=st.floats(0, 100),
    jitter=st.floats(0, 1),
    attempt=st.integers(1, 200),
    r=st.floats(0, 1, exclude_max=True),
)
def test_backoff_bounds(
    initial: float, factor: float, extra: float, jitter: float, attempt: int, r: float
) -> None:
    backoff = Backoff(initial=initial, factor=factor, cap=initial + extra, jitter=jitter)
    ceiling = backoff.ceiling(attempt)
    delay = backoff.delay(attempt, lambda: r)
    assert 0 <= delay <= ceiling <= backoff.cap
    assert delay >= ceiling * (1 - jitter) - 1e-9
    if attempt > 1:
        assert backoff.ceiling(attempt - 1) <= ceiling


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial": -1},
        {"factor": 0.5},
        {"initial": 5, "cap": 1},
        {"jitter": 2},
        {"reset_after": -1},
        {"initial": "1"},
        {"cap": True},
    ],
)
def test_backoff_validates(kwargs: dict[str, object]) -> None:
    with pytest.raises(cryptoex.ConfigurationError):
        Backoff(**kwargs)  # type: ignore[arg-type]


def test_backoff_from_value() -> None:
    assert Backoff.from_value(None) == Backoff()
    custom = Backoff(initial=0.1)
    assert Backoff.from_value(custom) is custom
    fixed = Backoff.from_value(3)
    assert fixed.delay(1) == fixed.delay(5) == 3.0
    for bad in (True, "x"):
        with pytest.raises(cryptoex.ConfigurationError):
            Backoff.from_value(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Backoff().ceiling(0)
