from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cryptoex import ValidationError
from cryptoex._money import format_decimal, parse_decimal, to_decimal
from cryptoex._time import UTC, SystemClock, from_ms, now_ms, to_ms


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0.00000010"), Decimal("0.00000010")),
        ("0.1", Decimal("0.1")),
        (" 12.50 ", Decimal("12.50")),
        (5, Decimal(5)),
        (0.1, Decimal("0.1")),
        (1e-7, Decimal("1E-7")),
    ],
)
def test_to_decimal_accepts(value: object, expected: Decimal) -> None:
    result = to_decimal(value, "price")
    assert result == expected
    assert str(result) == str(expected)


@pytest.mark.parametrize("value", [True, False, "abc", "", "NaN", "inf", float("nan"), None, [1]])
def test_to_decimal_rejects_and_names_field(value: object) -> None:
    with pytest.raises(ValidationError, match="quantity") as info:
        to_decimal(value, "quantity")
    assert info.value.field == "quantity"


def test_float_goes_through_str_not_binary() -> None:
    assert to_decimal(0.1) == Decimal("0.1")
    assert to_decimal(0.1) != Decimal(0.1)  # noqa: RUF032 - the binary value, on purpose


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (Decimal("1E-7"), "0.0000001"),
        (Decimal("0.00000010"), "0.00000010"),
        (Decimal("1E+3"), "1000"),
        (Decimal("-0"), "0"),
        (Decimal("-0.000"), "0.000"),
        (Decimal("123.4500"), "123.4500"),
    ],
)
def test_format_decimal_fixed_point(value: Decimal, wire: str) -> None:
    assert format_decimal(value) == wire


def test_format_decimal_rejects_nan() -> None:
    with pytest.raises(ValidationError):
        format_decimal(Decimal("NaN"))


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_format_round_trips_without_exponent(value: Decimal) -> None:
    wire = format_decimal(value)
    assert "E" not in wire.upper()
    assert parse_decimal(wire) == value
    assert to_decimal(wire) == value


@given(st.integers(min_value=-(10**30), max_value=10**30), st.integers(-30, 30))
def test_extreme_exponents_stay_fixed_point(coefficient: int, exponent: int) -> None:
    value = Decimal(coefficient).scaleb(exponent)
    wire = format_decimal(value)
    assert "E" not in wire.upper()
    assert Decimal(wire) == value


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_become_their_shortest_repr(value: float) -> None:
    assert to_decimal(value) == Decimal(repr(value))


def test_from_ms_is_exact_and_aware() -> None:
    dt = from_ms(1672515782136)
    assert dt.tzinfo is UTC
    assert dt == datetime(2022, 12, 31, 19, 43, 2, 136000, tzinfo=timezone.utc)
    assert to_ms(dt) == 1672515782136


@given(st.integers(min_value=0, max_value=4_102_444_800_000))
def test_ms_round_trip(ms: int) -> None:
    assert to_ms(from_ms(ms)) == ms


def test_to_ms_naive_is_utc_and_aware_is_converted() -> None:
    assert to_ms(datetime(2024, 1, 1)) == 1704067200000
    plus_two = timezone(timedelta(hours=2))
    assert to_ms(datetime(2024, 1, 1, 2, tzinfo=plus_two)) == 1704067200000
    assert to_ms(42) == 42


@pytest.mark.parametrize("bad", [True, "2024-01-01", 1.5])
def test_to_ms_rejects(bad: object) -> None:
    with pytest.raises(ValidationError):
        to_ms(bad)  # type: ignore[arg-type]


def test_system_clock_and_now() -> None:
    clock = SystemClock()
    assert abs(clock.time() * 1000 - now_ms()) < 60_000
    assert clock.monotonic() <= clock.monotonic()
