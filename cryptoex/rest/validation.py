"""Argument checks that run before any request: symbols, enums, amounts,
limits, times, and the shape of an order (which fields its type needs).

Every failure is a :class:`~cryptoex.errors.ValidationError` naming the field
and what is allowed; nothing has been sent when one is raised. The symbol's
exchange filters (tick size, step size, notional...) are checked afterwards by
the exchange adapter against the cached ``exchangeInfo``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

from cryptoex._money import format_decimal, to_decimal
from cryptoex._time import to_ms
from cryptoex.enums import KlineInterval, OrderType, Side, TimeInForce, coerce_enum
from cryptoex.errors import ConfigurationError, ValidationError

__all__ = [
    "OrderRequest",
    "check_asset",
    "check_interval",
    "check_limit",
    "check_order",
    "check_order_ref",
    "check_positive_number",
    "check_symbol",
    "check_time",
]

#: Types that rest on the book at a limit price and take a time in force.
_NEEDS_TIF: Final = frozenset(
    {OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT}
)
#: Types that need a limit price.
_NEEDS_PRICE: Final = _NEEDS_TIF | {OrderType.LIMIT_MAKER}
#: Types that need a stop (trigger) price.
_NEEDS_STOP: Final = frozenset(
    {
        OrderType.STOP_LOSS,
        OrderType.STOP_LOSS_LIMIT,
        OrderType.TAKE_PROFIT,
        OrderType.TAKE_PROFIT_LIMIT,
    }
)
#: Types that may be iceberg orders.
_ICEBERG_TYPES: Final = frozenset({OrderType.LIMIT, OrderType.LIMIT_MAKER})


@dataclass(frozen=True)
class OrderRequest:
    """A checked order, ready to be validated against the symbol's filters
    and sent. Amounts are Decimals; enums are members."""

    symbol: str
    side: Side
    type: OrderType
    quantity: Decimal | None
    quote_quantity: Decimal | None
    price: Decimal | None
    stop_price: Decimal | None
    time_in_force: TimeInForce | None
    iceberg_quantity: Decimal | None
    client_order_id: str

    def call_args(self) -> dict[str, object]:
        """The arguments of the adapter's ``place_order`` operation."""
        return {
            "symbol": self.symbol,
            "side": self.side,
            "type": self.type,
            "time_in_force": self.time_in_force,
            "quantity": self.quantity,
            "quote_quantity": self.quote_quantity,
            "price": self.price,
            "stop_price": self.stop_price,
            "iceberg_quantity": self.iceberg_quantity,
            "client_order_id": self.client_order_id,
        }


def check_symbol(symbol: object, field: str = "symbol") -> str:
    """An upper-case symbol name.

    :raises ValidationError: for anything but a non-empty string without spaces.
    """
    text = symbol.strip() if isinstance(symbol, str) else ""
    if not text or any(c.isspace() for c in text):
        raise ValidationError(
            f"{field}={symbol!r} is not a symbol name such as 'BTCUSDT'",
            field=field,
            allowed="a symbol name such as 'BTCUSDT'",
        )
    return text.upper()


def check_asset(asset: object) -> str:
    """An upper-case asset name (``"BTC"``)."""
    return check_symbol(asset, "asset")


def check_interval(interval: object) -> KlineInterval:
    """A kline interval (``"1m"``, ``KlineInterval.HOUR_1``...)."""
    return coerce_enum(KlineInterval, interval, "interval")


def check_positive_number(value: object, field: str) -> Decimal:
    """A Decimal greater than zero (Decimal, str, int, or float via ``str``)."""
    number = to_decimal(value, field)
    if number <= 0:
        raise ValidationError(
            f"{field} must be greater than 0, got {format_decimal(number)}",
            field=field,
            allowed="> 0",
        )
    return number


def check_limit(limit: object, field: str = "limit", maximum: int | None = None) -> int | None:
    """``None`` or an int from 1 to *maximum*."""
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValidationError(
            f"{field} must be a positive int, got {limit!r}", field=field, allowed=">= 1"
        )
    if maximum is not None and limit > maximum:
        raise ValidationError(
            f"{field}={limit} is above the maximum of {maximum}",
            field=field,
            allowed=f"1..{maximum}",
        )
    return limit


def check_time(value: object, field: str) -> int | None:
    """``None``, or milliseconds since the epoch from a datetime (naive = UTC)
    or an int of milliseconds."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (datetime, int)):
        raise ValidationError(
            f"{field} must be a datetime or milliseconds since the epoch, got {value!r}",
            field=field,
            allowed="datetime or int milliseconds",
        )
    ms = to_ms(value)
    if ms < 0:
        raise ValidationError(f"{field} must not be before 1970, got {value!r}", field=field)
    return ms


def check_range(start: int | None, end: int | None) -> None:
    """``start`` must not be after ``end``."""
    if start is not None and end is not None and start > end:
        raise ValidationError(
            f"start ({start}) is after end ({end})", field="start", allowed="start <= end"
        )


def check_order_ref(order_id: object, client_order_id: object) -> tuple[int | None, str | None]:
    """Exactly one of ``order_id`` (int) and ``client_order_id`` (str)."""
    if (order_id is None) == (client_order_id is None):
        raise ValidationError(
            "give exactly one of order_id and client_order_id",
            field="order_id",
            allowed="order_id or client_order_id",
        )
    if order_id is not None and (
        isinstance(order_id, bool) or not isinstance(order_id, int) or order_id < 0
    ):
        raise ValidationError(
            f"order_id must be a non-negative int, got {order_id!r}",
            field="order_id",
            allowed="int >= 0",
        )
    if client_order_id is not None and (
        not isinstance(client_order_id, str) or not client_order_id
    ):
        raise ValidationError(
            f"client_order_id must be a non-empty str, got {client_order_id!r}",
            field="client_order_id",
            allowed="non-empty str",
        )
    return order_id, client_order_id


def _optional_positive(value: object, field: str) -> Decimal | None:
    return None if value is None else check_positive_number(value, field)


def _forbid(value: object, field: str, order_type: OrderType, use: str) -> None:
    if value is not None:
        raise ValidationError(
            f"{field} is not accepted for {order_type.value} orders ({use})",
            field=field,
            allowed="None",
        )


def check_order(
    *,
    symbol: object,
    side: object,
    type: object,
    quantity: object = None,
    price: object = None,
    time_in_force: object = None,
    client_order_id: object = None,
    quote_quantity: object = None,
    stop_price: object = None,
    iceberg_quantity: object = None,
    new_client_order_id: Callable[[], str],
    check_client_order_id: Callable[[object, str], str],
) -> OrderRequest:
    """Check an order's arguments and fill in defaults.

    * ``side``, ``type`` and ``time_in_force`` must be known values
      (case-insensitive strings or the enums);
    * LIMIT, STOP_LOSS_LIMIT and TAKE_PROFIT_LIMIT need a ``price`` and take
      ``time_in_force`` (default ``GTC``); LIMIT_MAKER needs a ``price`` and
      takes no time in force; MARKET, STOP_LOSS and TAKE_PROFIT take neither;
    * stop and take-profit types need a ``stop_price``, others take none;
    * ``quantity`` must be greater than 0; a MARKET order may give
      ``quote_quantity`` (amount of the quote asset) instead, never both;
    * ``iceberg_quantity`` only for LIMIT and LIMIT_MAKER, below ``quantity``;
    * ``client_order_id`` must match the exchange's pattern; one is generated
      when it is ``None``.

    :raises ValidationError: naming the field and what is allowed.
    """
    checked_symbol = check_symbol(symbol)
    checked_side = coerce_enum(Side, side, "side")
    order_type = coerce_enum(OrderType, type, "type")

    tif: TimeInForce | None = None
    if order_type in _NEEDS_TIF:
        tif = (
            TimeInForce.GTC
            if time_in_force is None
            else coerce_enum(TimeInForce, time_in_force, "time_in_force")
        )
    else:
        _forbid(time_in_force, "time_in_force", order_type, "it never rests on the book")

    checked_price = _optional_positive(price, "price")
    if order_type in _NEEDS_PRICE:
        if checked_price is None:
            raise ValidationError(
                f"price is required for {order_type.value} orders",
                field="price",
                allowed="a price > 0",
            )
    else:
        _forbid(price, "price", order_type, "it trades at the market price")

    checked_stop = _optional_positive(stop_price, "stop_price")
    if order_type in _NEEDS_STOP:
        if checked_stop is None:
            raise ValidationError(
                f"stop_price is required for {order_type.value} orders",
                field="stop_price",
                allowed="a stop price > 0",
            )
    else:
        _forbid(stop_price, "stop_price", order_type, "only stop and take-profit orders have one")

    checked_qty = _optional_positive(quantity, "quantity")
    checked_quote = _optional_positive(quote_quantity, "quote_quantity")
    if order_type == OrderType.MARKET:
        if (checked_qty is None) == (checked_quote is None):
            raise ValidationError(
                "a MARKET order needs exactly one of quantity and quote_quantity",
                field="quantity",
                allowed="quantity > 0 or quote_quantity > 0",
            )
    else:
        _forbid(quote_quantity, "quote_quantity", order_type, "only MARKET orders take it")
        if checked_qty is None:
            raise ValidationError(
                f"quantity is required for {order_type.value} orders",
                field="quantity",
                allowed="a quantity > 0",
            )

    checked_iceberg = _optional_positive(iceberg_quantity, "iceberg_quantity")
    if checked_iceberg is not None:
        if order_type not in _ICEBERG_TYPES:
            _forbid(iceberg_quantity, "iceberg_quantity", order_type, "only LIMIT/LIMIT_MAKER")
        if tif is not None and tif != TimeInForce.GTC:
            raise ValidationError(
                "time_in_force must be GTC for an iceberg order",
                field="time_in_force",
                allowed="GTC",
            )
        if checked_qty is not None and checked_iceberg >= checked_qty:
            raise ValidationError(
                "iceberg_quantity must be below quantity",
                field="iceberg_quantity",
                allowed=f"< {format_decimal(checked_qty)}",
            )

    coid = (
        new_client_order_id()
        if client_order_id is None
        else check_client_order_id(client_order_id, "client_order_id")
    )
    return OrderRequest(
        symbol=checked_symbol,
        side=checked_side,
        type=order_type,
        quantity=checked_qty,
        quote_quantity=checked_quote,
        price=checked_price,
        stop_price=checked_stop,
        time_in_force=tif,
        iceberg_quantity=checked_iceberg,
        client_order_id=coid,
    )


def check_recv_window(value: object, maximum: int) -> int | float:
    """A ``recv_window`` in milliseconds: more than 0, at most *maximum*.

    :raises ConfigurationError: naming ``recv_window``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= maximum:
        raise ConfigurationError(
            f"recv_window must be a number of milliseconds in (0, {maximum}], got {value!r}"
        )
    return value


def check_timeout(value: object) -> float:
    """A per-request ``timeout`` in seconds (> 0).

    :raises ConfigurationError: naming ``timeout``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ConfigurationError(f"timeout must be a number of seconds > 0, got {value!r}")
    return float(value)
