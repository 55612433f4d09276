"""The only code that turns user or wire values into :class:`~decimal.Decimal`
and back.

* :func:`to_decimal` checks *user input*: ``Decimal``, ``str`` and ``int`` are
  taken as they are, a ``float`` only through ``str()`` (so ``0.1`` is
  ``Decimal("0.1")``, never ``0.1000000000000000055…``), and ``bool``, NaN and
  infinities are refused with a :class:`~cryptoex.errors.ValidationError` that
  names the field.
* :func:`parse_decimal` reads Binance's decimal strings on the hot path.
* :func:`format_decimal` writes the wire form: fixed-point, never an exponent
  (``"0.0000001"``, not ``"1E-7"``), trailing zeros kept.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from cryptoex.errors import ValidationError

__all__ = ["format_decimal", "parse_decimal", "to_decimal"]

ZERO = Decimal(0)


def to_decimal(value: object, field: str = "value") -> Decimal:
    """Turn user input into a finite :class:`~decimal.Decimal`.

    :param value: a ``Decimal``, ``str``, ``int`` or ``float``.
    :param field: the argument's name, used in the error message.
    :raises ValidationError: for ``bool``, other types, text that is not a
        number, NaN and infinities.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        # bool is an int subclass; True is not a quantity.
        raise ValidationError(
            f"{field} must be a number (Decimal, str or int), not bool", field=field
        )
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        # str() gives the shortest repr that round-trips: 0.1 -> "0.1".
        result = Decimal(str(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValidationError(
                f"{field}={value!r} is not a decimal number", field=field
            ) from None
    else:
        raise ValidationError(
            f"{field} must be a Decimal, str, int or float, not {type(value).__name__}",
            field=field,
        )
    if not result.is_finite():
        raise ValidationError(f"{field}={value!r} must be a finite number", field=field)
    return result


def parse_decimal(text: str) -> Decimal:
    """Parse a decimal string from the exchange (hot path, no checks beyond
    :class:`~decimal.Decimal`'s own).

    :raises decimal.InvalidOperation: if *text* is not a number; the parse
        layer turns that into :class:`~cryptoex.errors.ParseError`.
    """
    return Decimal(text)


def format_decimal(value: Decimal) -> str:
    """Format *value* for the wire: fixed-point, no exponent, zeros kept.

    ``Decimal("1E-7")`` becomes ``"0.0000001"``, ``Decimal("0.00000010")``
    stays ``"0.00000010"`` and ``Decimal("1E+3")`` becomes ``"1000"``.
    Negative zero is written ``"0"``.
    """
    if not value.is_finite():
        raise ValidationError(f"cannot format non-finite number {value!r}")
    if value.is_zero() and value.is_signed():
        value = value.copy_abs()
    return format(value, "f")
