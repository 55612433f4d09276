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
from typing import TYPE_CHECKING, Any, SupportsIndex, TypeVar, overload

from dataclasses_json import DataClassJsonMixin, config, dataclass_json

from cryptoex._money import format_decimal, to_decimal
from cryptoex._time import UTC, from_ms
from cryptoex.errors import ValidationError

__all__ = ["Model", "ModelList", "money", "optional_money", "optional_timestamp", "timestamp"]


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


M = TypeVar("M", bound=Model)

#: Rows a :class:`ModelList` shows in Jupyter before eliding the middle.
HTML_MAX_ROWS = 60


class ModelList(list[M]):
    """A plain ``list`` of models that also renders as one table in Jupyter.

    The REST clients return their lists as ``ModelList`` (``klines()``,
    ``recent_trades()``, ``get_open_orders()``, ``get_balances()``...); it is
    a ``list`` in every other respect (``==`` to a list with the same items,
    same ``repr``). In a notebook its ``_repr_html_`` draws one row per model
    and one column per field; long lists show their first and last
    ``HTML_MAX_ROWS // 2`` rows. For analysis, turn it into a DataFrame with
    :func:`cryptoex.to_dataframe`.
    """

    __slots__ = ()

    @overload
    def __getitem__(self, index: SupportsIndex) -> M: ...

    @overload
    def __getitem__(self, index: slice) -> ModelList[M]: ...

    def __getitem__(self, index: SupportsIndex | slice) -> M | ModelList[M]:
        # A slice stays a ModelList, so ``klines[-10:]`` still renders as a table.
        if isinstance(index, slice):
            return ModelList(super().__getitem__(index))
        return super().__getitem__(index)

    def _repr_html_(self) -> str:
        """Render the list as an HTML table: one row per model (Jupyter)."""
        items = list(self)  # a snapshot: the list may grow on another thread
        names: list[str] = []
        kinds: list[str] = []
        for item in items:
            kind = type(item).__name__
            if kind not in kinds:
                kinds.append(kind)
            for f in fields(item) if isinstance(item, Model) else ():
                if f.name not in names:
                    names.append(f.name)
        caption = html.escape(f"{len(items)} x {', '.join(kinds) or 'model'}")
        if not names:
            return f"<table><caption>{caption}</caption><tbody></tbody></table>"
        head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
        shown: list[tuple[int, Any]] = list(enumerate(items))
        elided = 0
        if len(items) > HTML_MAX_ROWS:
            half = HTML_MAX_ROWS // 2
            elided = len(items) - 2 * half
            shown = shown[:half] + shown[-half:]
        rows: list[str] = []
        for position, (index, item) in enumerate(shown):
            if elided and position == HTML_MAX_ROWS // 2:
                rows.append(
                    f"<tr><td colspan='{len(names) + 1}' style='text-align:center'>"
                    f"... {elided} more rows ...</td></tr>"
                )
            cells = "".join(
                f"<td style='text-align:right'>{html.escape(_cell(item, n))}</td>" for n in names
            )
            rows.append(f"<tr><th>{index}</th>{cells}</tr>")
        return (
            f"<table><caption>{caption}</caption><thead><tr><th></th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )


def _cell(item: Any, name: str) -> str:
    """One table cell: empty for a field this model does not have; nested
    models are summarised (``"2 x Fill"``) to keep rows one line high."""
    if not hasattr(item, name):
        return ""
    value = getattr(item, name)
    if value is None:
        return ""
    if isinstance(value, tuple) and value and all(isinstance(v, Model) for v in value):
        return f"{len(value)} x {type(value[0]).__name__}"
    return _display(value)


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
