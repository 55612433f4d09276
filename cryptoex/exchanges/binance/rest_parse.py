"""REST answers -> models, by operation (what
:meth:`~cryptoex.exchanges.binance.BinanceSpot.parse_rest` dispatches to).

The per-payload parsers live in :mod:`.parse`; this module only knows which
one reads which operation's answer, and checks the answer's outer shape (a
list where a list is expected), so a malformed answer is a
:class:`~cryptoex.errors.ParseError`, never a ``TypeError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

from cryptoex.enums import KlineInterval
from cryptoex.errors import ParseError
from cryptoex.exchanges.binance import parse
from cryptoex.models import AccountInfo, Fill, Kline, Order, PartialDepth, Ticker, Trade

__all__ = ["PARSERS"]


def _list(kind: str, payload: Any) -> Sequence[Any]:
    if not isinstance(payload, list):
        raise ParseError(kind, f"expected a list, got {type(payload).__name__}")
    return payload


def _ticker(payload: Any) -> Ticker:
    return parse.parse_rest_ticker(payload)


def _order_book(payload: Any, *, symbol: str) -> PartialDepth:
    return parse.parse_order_book(payload, symbol)


def _recent_trades(payload: Any, *, symbol: str) -> list[Trade]:
    return [parse.parse_rest_trade(item, symbol) for item in _list("trades", payload)]


def _klines(payload: Any, *, symbol: str, interval: KlineInterval | str) -> list[Kline]:
    return [parse.parse_kline_row(row, symbol, interval) for row in _list("klines", payload)]


def _order(payload: Any) -> Order:
    return parse.parse_order(payload)


def _orders(payload: Any) -> list[Order]:
    return [parse.parse_order(item) for item in _list("order", payload)]


def _canceled(payload: Any) -> list[Order]:
    return parse.parse_canceled_orders(_list("order", payload))


def _fills(payload: Any) -> list[Fill]:
    return [parse.parse_my_trade(item) for item in _list("my_trades", payload)]


def _account(payload: Any) -> AccountInfo:
    return parse.parse_account(payload)


def _nothing(payload: Any) -> None:
    if not isinstance(payload, Mapping):
        raise ParseError("order_test", f"expected an object, got {type(payload).__name__}")


#: Operation -> parser of its answer.
PARSERS: Final[Mapping[str, Callable[..., Any]]] = MappingProxyType(
    {
        "ticker": _ticker,
        "order_book": _order_book,
        "recent_trades": _recent_trades,
        "klines": _klines,
        "place_order": _order,
        "test_order": _nothing,
        "cancel_order": _order,
        "get_order": _order,
        "cancel_all_orders": _canceled,
        "open_orders": _orders,
        "all_orders": _orders,
        "my_trades": _fills,
        "account": _account,
    }
)
