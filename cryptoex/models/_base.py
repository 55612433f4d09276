"""The model base class and the field helpers every model uses.

Models are frozen, slotted, keyword-only dataclasses: immutable, so they cross
threads without locks. dataclasses-json provides ``to_dict()``, ``to_json()``,
``from_dict()`` and ``from_json()``; the field helpers below make those
round-trip exactly:

* :func:`money` fields encode as fixed-point strings (``"0.00000010"``, never
  ``"1E-7"``) and decode through :func:`cryptoex._money.to_decimal`, so a float
  in a hand-written dict becomes ``Decimal(str(x))``, never its binary value.
* :func:`timestamp` fields hold aware UTC datetimes, encode as ISO 8601 and
  decode from ISO 8601 or from milliseconds since the epoch.

The wire path does not go through dataclasses-json (it is far too slow per
message): :mod:`cryptoex.exchanges.binance.parse` calls the constructors
directly.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from dataclasses_json import DataClassJsonMixin, config, dataclass_json

from cryptoex._money import format_decimal, to_decimal
from cryptoex._time import UTC, from_ms
from cryptoex.errors import ValidationError

__all__ = ["Model", "money", "optional_money", "optional_timestamp", "timestamp"]


def _encode_money(value: Decimal) -> str:
    return format_decimal(value)


def _decode_money(value: Any) -> Decimal:
    return to_decimal(value, "money field")


def _encode_optional_money(value: Decimal | None) -> str | None:
    return None if value is None else format_decimal(value)


def _decode_optional_money(value: Any) -> Decimal | None:
    return None if value is None else to_decimal(value, "money field")


def _encode_timestamp(value: datetime) -> str:
    return value.isoformat()


def _decode_timestamp(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, int) and not isinstance(value, bool):
        return from_ms(value)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    raise ValidationError(f"expected an ISO 8601 string or milliseconds, got {value!r}")


def _encode_optional_timestamp(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _decode_optional_timestamp(value: Any) -> datetime | None:
    return None if value is None else _decode_timestamp(value)


def money(*, default: Decimal | None = None) -> Any:
    """A ``Decimal`` field that (de)serialises as a fixed-point string."""
    meta = config(encoder=_encode_money, decoder=_decode_money)
    if default is None:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


def optional_money() -> Any:
    """A ``Decimal | None`` field (default ``None``), fixed-point on the wire."""
    return field(
        default=None,
        metadata=config(encoder=_encode_optional_money, decoder=_decode_optional_money),
    )


def timestamp() -> Any:
    """An aware UTC ``datetime`` field; ISO 8601 in ``to_dict``/``to_json``."""
    return field(metadata=config(encoder=_encode_timestamp, decoder=_decode_timestamp))


def optional_timestamp() -> Any:
    """A ``datetime | None`` field (default ``None``)."""
    return field(
        default=None,
        metadata=config(encoder=_encode_optional_timestamp, decoder=_decode_optional_timestamp),
    )


if TYPE_CHECKING:
    _JsonMixin = DataClassJsonMixin
else:
    # At run time the (de)serialisers are attached by ``@dataclass_json``
    # instead of inherited: DataClassJsonMixin has no ``__slots__``, so
    # inheriting it would give every model instance a ``__dict__`` (about
    # three times the memory of an order-book level). Type checkers still see
    # the mixin's methods.
    _JsonMixin = object


@dataclass_json
@dataclass(frozen=True, slots=True, kw_only=True)
class Model(_JsonMixin):
    """Base of every cryptoex model: a frozen dataclass with dataclasses-json
    (de)serialisers and an HTML table for Jupyter.

    ``Model.from_dict(m.to_dict()) == m`` and ``Model.from_json(m.to_json())
    == m`` hold for every model.
    """

    def _repr_html_(self) -> str:
        """Render the model as a two-column HTML table (Jupyter)."""
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(f.name)}</th>"
            f"<td style='text-align:left'>{html.escape(_display(getattr(self, f.name)))}</td></tr>"
            for f in fields(self)
        )
        title = html.escape(type(self).__name__)
        return f"<table><caption>{title}</caption><tbody>{rows}</tbody></table>"


def _display(value: Any) -> str:
    """Human-readable cell text: fixed-point Decimals, ISO datetimes, enum values."""
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, tuple):
        return ", ".join(_display(v) for v in value)
    return repr(value) if isinstance(value, Model) else str(value)
