"""Notebook and data-analysis helpers: :func:`to_dataframe`.

pandas is an optional extra (``pip install "cryptoex[pandas]"``): it is
imported only when :func:`to_dataframe` is called, so ``import cryptoex``
stays cheap and works without it. The HTML tables Jupyter shows for models,
lists of models and order books are their own ``_repr_html_`` methods
(:class:`cryptoex.models._base.Model`, :class:`~cryptoex.models._base.ModelList`).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from dataclasses import fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

import cryptoex.models
from cryptoex.errors import ConfigurationError, ValidationError
from cryptoex.models._base import Model

if TYPE_CHECKING:
    import pandas

__all__ = ["to_dataframe"]

logger = logging.getLogger(__name__)

#: What the error says when pandas is missing (quoted: the brackets are
#: special to most shells).
PANDAS_HINT = 'pip install "cryptoex[pandas]"'


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as exc:
        raise ConfigurationError(
            f"to_dataframe() needs pandas, an optional extra: {PANDAS_HINT}"
        ) from exc
    return pandas


def to_dataframe(
    # Spelled out in full so the docs (which cannot import pandas for the
    # return type, hence see strings) can link the type.
    models: Iterable[cryptoex.models.Model] | cryptoex.models.Model,
    *,
    index: str | None = None,
) -> pandas.DataFrame:
    """Turn models into a pandas ``DataFrame``: one row per model, one column
    per field, in the models' field order.

    Money stays exact: ``Decimal`` columns hold the ``Decimal`` objects
    (``object`` dtype), never floats; convert explicitly where you want speed
    over exactness (``df["close_price"].astype(float)``). Datetimes become
    timezone-aware UTC ``datetime64`` columns, enums their string values,
    integer fields with gaps pandas' nullable ``Int64``. Nested models (an
    order's ``fills``) stay as Python objects. A list mixing model types gets
    a leading ``model`` column with the class name, and each row leaves the
    fields its model lacks empty.

    Usage::

        klines = client.klines("BTCUSDT", "1h", limit=48)
        df = cryptoex.to_dataframe(klines, index="open_time")
        df["close_price"].max()          # a Decimal

    :param models: models (any iterable, such as the lists the clients
        return), or a single model.
    :param index: a field to use as the index (``"open_time"``).
    :returns: the DataFrame (empty, without columns, for no models).
    :raises ConfigurationError: pandas is not installed
        (``pip install "cryptoex[pandas]"``).
    :raises TypeError: an item is not a cryptoex model.
    :raises ValidationError: *index* is not a field of the models.
    """
    pd = _pandas()
    items = [models] if isinstance(models, Model) else list(models)
    names: list[str] = []
    kinds: list[str] = []
    for position, item in enumerate(items):
        if not isinstance(item, Model):
            raise TypeError(
                f"to_dataframe() takes cryptoex models; item {position} is "
                f"{type(item).__name__}: {item!r:.80}"
            )
        kind = type(item).__name__
        if kind not in kinds:
            kinds.append(kind)
        for f in fields(item):
            if f.name not in names:
                names.append(f.name)
    columns: dict[str, Any] = {}
    if len(kinds) > 1:
        columns["model"] = pd.Series([type(m).__name__ for m in items], dtype=object)
    for name in names:
        columns[name] = _column(pd, [_value(getattr(m, name, None)) for m in items])
    frame: pandas.DataFrame = pd.DataFrame(columns)
    if index is not None:
        if index not in frame.columns:
            raise ValidationError(
                f"index={index!r} is not a field of these models",
                field="index",
                allowed=", ".join(frame.columns) or "(no fields: no models were given)",
            )
        frame = frame.set_index(index)
    return frame


def _value(value: Any) -> Any:
    # Enums are str (or int) subclasses: keep the plain value so the column
    # compares, groups and exports like the strings Binance sends.
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _column(pd: Any, values: list[Any]) -> Any:
    """A Series of *values* whose dtype keeps them exact."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, datetime) for v in present):
        # Aware UTC datetimes (the models' only kind): a real datetime column.
        return pd.to_datetime(pd.Series(values, dtype=object), utc=True)
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        # Ids and counts: pandas would turn a column with gaps into float64,
        # which rounds ids above 2**53; the nullable Int64 keeps them exact.
        return pd.Series(values, dtype="Int64" if len(present) < len(values) else "int64")
    if present and all(isinstance(v, bool) for v in present) and len(present) == len(values):
        return pd.Series(values, dtype=bool)
    if present and all(isinstance(v, str) for v in present):
        return pd.Series(values)  # pandas' own string dtype for this version
    # Decimals, strings, nested models: object dtype holds them unchanged.
    return pd.Series(values, dtype=object)
