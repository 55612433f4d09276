"""Terminal output for the command line and the demo: one readable line per
model, JSON lines for piping, and a block of lines redrawn in place on a
terminal.

Only the main thread writes: callbacks hand their models over through a queue
(see :mod:`cryptoex.cli`), so lines never interleave and a closed pipe
(``cryptoex stream ... | head``) is noticed in one place.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, TextIO

import orjson

from cryptoex._money import format_decimal
from cryptoex.models._base import Model

__all__ = ["Screen", "describe", "json_line", "num"]

# ANSI: go to the start of the line N lines up; clear from the cursor to the
# end of the screen. Supported by every terminal Python runs in today
# (Windows 10+ consoles included).
_UP = "\x1b[{n}F"
_CLEAR_DOWN = "\x1b[J"


def is_terminal(stream: TextIO) -> bool:
    """Whether *stream* is an interactive terminal that understands cursor
    movement (not a pipe, a file, or ``TERM=dumb``)."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):  # closed or file-like without isatty
        return False
    return bool(tty) and os.environ.get("TERM", "") != "dumb"


class Screen:
    """Writes lines to *stream*; on a terminal, :meth:`frame` redraws a block
    of lines in place instead of scrolling.

    :param stream: where to write (``sys.stdout`` by default).
    :param live: redraw in place; ``None`` decides by :func:`is_terminal`.
    """

    def __init__(self, stream: TextIO | None = None, *, live: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        #: Whether frames are redrawn in place.
        self.live = is_terminal(self.stream) if live is None else live
        self._height = 0

    def line(self, text: str = "") -> None:
        """Write one line (below the current frame, which then stays)."""
        self._height = 0
        self.stream.write(text + "\n")
        self.stream.flush()

    def frame(self, lines: Sequence[str]) -> None:
        """Replace the previous frame with *lines* (terminal only; on a pipe
        each frame would be noise, so callers print plain lines instead)."""
        if not self.live:
            return
        # Cut to the terminal's width: a wrapped line takes two rows but
        # would count as one, and the next redraw would start too low.
        width = max(20, shutil.get_terminal_size((100, 24)).columns - 1)
        out = [_UP.format(n=self._height) + _CLEAR_DOWN if self._height else ""]
        out.extend(text[:width].rstrip() + "\n" for text in lines)
        self.stream.write("".join(out))
        self.stream.flush()
        self._height = len(lines)


def num(value: Decimal | None, places: int = 2) -> str:
    """A Decimal for people: fixed-point, trailing zeros trimmed down to
    *places* decimals (``64996.00000000`` -> ``64996.00``,
    ``0.21533000`` -> ``0.21533``)."""
    if value is None:
        return "-"
    text = format_decimal(value)
    if "." not in text:
        return text
    whole, frac = text.split(".")
    frac = frac.rstrip("0")
    frac = frac + "0" * (places - len(frac)) if len(frac) < places else frac
    return f"{whole}.{frac}" if frac else whole


def clock(moment: datetime | None) -> str:
    """``HH:MM:SS.mmm`` in UTC (the exchange's clock), or now."""
    moment = moment if moment is not None else datetime.now(timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%H:%M:%S.%f")[:-3]


def json_line(model: Model) -> str:
    """One model as a compact JSON line; ``Model.from_json`` reads it back
    (money as exact decimal strings, times as ISO 8601)."""
    return orjson.dumps(model.to_dict(encode_json=True)).decode()


def _side(is_buyer_maker: bool) -> str:
    # The taker is the aggressor: when the buyer made the market, a seller took it.
    return "SELL" if is_buyer_maker else "BUY "


def describe(kind: str, model: Any) -> str:
    """One readable line for a model of stream *kind* (falls back to the
    model's ``repr`` for anything unknown)."""
    f = _FORMATS.get(kind)
    return f(model) if f is not None else repr(model)


def _ticker(t: Any) -> str:
    return (
        f"{clock(t.event_time)}  {t.symbol:<9} last {num(t.last_price):>12}"
        f"  bid {num(t.best_bid_price):>12}  ask {num(t.best_ask_price):>12}"
        f"  24h {num(t.price_change_percent):>6}%  vol {num(t.volume)}"
    )


def _mini_ticker(t: Any) -> str:
    return (
        f"{clock(t.event_time)}  {t.symbol:<9} last {num(t.last_price):>12}"
        f"  open {num(t.open_price)}  high {num(t.high_price)}  low {num(t.low_price)}"
        f"  vol {num(t.volume)}"
    )


def _book_ticker(t: Any) -> str:
    return (
        f"{clock(None)}  {t.symbol:<9} bid {num(t.best_bid_quantity):>10} @ "
        f"{num(t.best_bid_price):<12} ask {num(t.best_ask_quantity):>10} @ "
        f"{num(t.best_ask_price)}"
    )


def _trade(t: Any) -> str:
    return (
        f"{clock(t.trade_time)}  {t.symbol:<9} {_side(t.is_buyer_maker)} "
        f"{num(t.quantity):>12} @ {num(t.price):<12} trade {t.trade_id}"
    )


def _agg_trade(t: Any) -> str:
    return (
        f"{clock(t.trade_time)}  {t.symbol:<9} {_side(t.is_buyer_maker)} "
        f"{num(t.quantity):>12} @ {num(t.price):<12} agg {t.agg_trade_id}"
        f" (trades {t.first_trade_id}-{t.last_trade_id})"
    )


def _kline(k: Any) -> str:
    state = "closed" if k.is_closed else "open"
    return (
        f"{clock(k.event_time)}  {k.symbol:<9} {k.interval.value} {clock(k.open_time)[:5]}"
        f"  O {num(k.open_price)}  H {num(k.high_price)}  L {num(k.low_price)}"
        f"  C {num(k.close_price)}  V {num(k.volume)}  ({state})"
    )


def _levels(levels: Sequence[Any]) -> str:
    if not levels:
        return "-"
    return f"{num(levels[0].quantity)} @ {num(levels[0].price)}"


def _depth(d: Any) -> str:
    return (
        f"{clock(None)}  {d.symbol:<9} best bid {_levels(d.bids)}  best ask {_levels(d.asks)}"
        f"  ({len(d.bids)}x{len(d.asks)} levels, update {d.last_update_id})"
    )


def _depth_update(d: Any) -> str:
    return (
        f"{clock(d.event_time)}  {d.symbol:<9} updates {d.first_update_id}-{d.final_update_id}"
        f"  {len(d.bids)} bid and {len(d.asks)} ask levels changed"
    )


def _order_update(u: Any) -> str:
    price = f" @ {num(u.price)}" if u.price else ""
    fill = (
        f"  filled {num(u.last_filled_quantity)} @ {num(u.last_filled_price)}"
        if u.last_filled_quantity
        else ""
    )
    return (
        f"{clock(u.event_time)}  {u.account}  {u.symbol} {u.side.value} {u.type.value}"
        f" {num(u.quantity)}{price}  {u.execution_type.value} -> {u.status.value}{fill}"
        f"  (order {u.order_id})"
    )


def _balance_update(u: Any) -> str:
    return f"{clock(u.event_time)}  {u.account}  {u.asset} {num(u.delta)}"


def _account_update(u: Any) -> str:
    balances = ", ".join(f"{b.asset} {num(b.free)} (+{num(b.locked)} locked)" for b in u.balances)
    return f"{clock(u.event_time)}  {u.account}  balances: {balances}"


_FORMATS = {
    "ticker": _ticker,
    "mini_ticker": _mini_ticker,
    "book_ticker": _book_ticker,
    "trade": _trade,
    "agg_trade": _agg_trade,
    "kline": _kline,
    "depth": _depth,
    "depth_update": _depth_update,
    "order_update": _order_update,
    "balance_update": _balance_update,
    "account_update": _account_update,
}
