"""One symbol's market state: its book, trade tape, 24 h statistics, kline history, and the
builders of every market-data payload (REST and stream) derived from that state.

The engine (:mod:`cryptoex.testing._engine`) mutates this state under its lock; every
method here assumes the caller holds that lock.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from cryptoex.testing._accounts import Order
from cryptoex.testing._book import Book
from cryptoex.testing._format import ZERO, fmt, quantize
from cryptoex.testing._klines import LISTING_MS, MINUTE, History, next_open, open_time
from cryptoex.testing._markets import SymbolSpec

DAY_MS: Final = 86_400_000
#: Trades kept per symbol for REST lookups and live klines (older ones are forgotten).
MAX_TAPE: Final = 200_000


@dataclass(slots=True)
class Trade:
    """One trade on the tape."""

    id: int
    time: int
    price: int
    units: int
    buyer_maker: bool


@dataclass(slots=True)
class AggTrade:
    """One aggregate trade (a taker's fills at one price)."""

    id: int
    first: int
    last: int
    time: int
    price: int
    units: int
    buyer_maker: bool


class Market:
    """State and payload builders for one symbol."""

    def __init__(self, spec: SymbolSpec, seed: int, start_ms: int) -> None:
        self.spec = spec
        self.symbol = spec.symbol
        # Seeded for a repeatable market, not for security.
        self.rng = random.Random(f"market:{seed}:{spec.symbol}")  # noqa: S311  # nosec B311
        rng = self.rng
        self.book = Book(first_update_id=1_000_000 + rng.randrange(9_000_000))
        self.price_ticks = int(spec.price / spec.tick)
        self.anchor = self.price_ticks / spec.gap_ticks
        self.fair = self.anchor
        self.next_trade_id = 10_000 + rng.randrange(90_000)
        self.next_agg_id = 5_000 + rng.randrange(45_000)
        self.tape: list[Trade] = []
        self.tape_times: list[int] = []
        self.aggs: list[AggTrade] = []
        self.agg_times: list[int] = []
        self.last_price = self.price_ticks
        self.last_units = 0
        self.last_time = start_ms
        self.stop_orders: list[Order] = []
        self.tick_count = 0
        self.history = History(spec, seed, start_ms)
        self.start_ms = start_ms
        # 24 h statistics: a synthetic baseline for the day before the start, plus the
        # sandbox's own trades (the baseline never rolls off: sandboxes live for minutes).
        drift = Decimal(repr(rng.uniform(-0.03, 0.03)))
        self.open_ticks = max(1, int(self.price_ticks * (1 + drift)))
        self.high_ticks = int(max(self.open_ticks, self.price_ticks) * Decimal("1.012"))
        self.low_ticks = int(min(self.open_ticks, self.price_ticks) * Decimal("0.988"))
        base_volume = (
            spec.daily_volume * Decimal(repr(rng.uniform(0.8, 1.2))) / spec.step
        ).to_integral_value()
        self.volume_units = int(base_volume)
        mid = spec.tick * (self.open_ticks + self.price_ticks) / 2
        self.quote_volume = quantize(spec.step * self.volume_units * mid)
        self.count = 50_000 + rng.randrange(50_000)
        self.first_trade_id = self.next_trade_id - self.count
        #: Open time of the candle last pushed per kline stream (to push its close).
        self.kline_open: dict[str, int] = {}
        self.book_ticker: tuple[int | None, int, int | None, int] | None = None

    # -- conversions ---------------------------------------------------------------

    def px(self, ticks: int) -> Decimal:
        """Ticks to a decimal price.

        :param ticks: price in ticks.
        :returns: the price.
        """
        return self.spec.tick * ticks

    def qty(self, units: int) -> Decimal:
        """Lot steps to a decimal quantity.

        :param units: quantity in steps.
        :returns: the quantity.
        """
        return self.spec.step * units

    def fpx(self, ticks: int) -> str:
        """Ticks to Binance's price string.

        :param ticks: price in ticks.
        :returns: 8-decimal string.
        """
        return fmt(self.spec.tick * ticks)

    def fqty(self, units: int) -> str:
        """Lot steps to Binance's quantity string.

        :param units: quantity in steps.
        :returns: 8-decimal string.
        """
        return fmt(self.spec.step * units)

    # -- tape ----------------------------------------------------------------------

    def record_trade(self, time: int, price: int, units: int, buyer_maker: bool) -> Trade:
        """Append a trade to the tape and the statistics.

        :param time: trade time.
        :param price: price in ticks.
        :param units: quantity in steps.
        :param buyer_maker: whether the buyer was the maker.
        :returns: the trade with its new id.
        """
        trade = Trade(self.next_trade_id, time, price, units, buyer_maker)
        self.next_trade_id += 1
        self.tape.append(trade)
        self.tape_times.append(time)
        if len(self.tape) > MAX_TAPE:
            del self.tape[: MAX_TAPE // 2]
            del self.tape_times[: MAX_TAPE // 2]
        self.last_price, self.last_units, self.last_time = price, units, time
        self.high_ticks = max(self.high_ticks, price)
        self.low_ticks = min(self.low_ticks, price)
        self.volume_units += units
        self.quote_volume += self.px(price) * self.qty(units)
        self.count += 1
        return trade

    def record_agg(self, first: Trade, last: Trade, units: int) -> AggTrade:
        """Append an aggregate trade covering trades *first* .. *last*.

        :param first: first trade of the aggregate.
        :param last: last trade of the aggregate.
        :param units: summed quantity.
        :returns: the aggregate with its new id.
        """
        agg = AggTrade(
            self.next_agg_id, first.id, last.id, first.time, first.price, units, first.buyer_maker
        )
        self.next_agg_id += 1
        self.aggs.append(agg)
        self.agg_times.append(agg.time)
        if len(self.aggs) > MAX_TAPE:
            del self.aggs[: MAX_TAPE // 2]
            del self.agg_times[: MAX_TAPE // 2]
        return agg

    # -- stream payloads -------------------------------------------------------------

    def trade_event(self, trade: Trade, now: int) -> dict[str, Any]:
        """``<symbol>@trade`` payload.

        :param trade: the trade.
        :param now: event time.
        :returns: payload shaped like ``tests/fixtures/ws/trade.json``.
        """
        return {
            "e": "trade",
            "E": now,
            "s": self.symbol,
            "t": trade.id,
            "p": self.fpx(trade.price),
            "q": self.fqty(trade.units),
            "T": trade.time,
            "m": trade.buyer_maker,
            "M": True,
        }

    def agg_event(self, agg: AggTrade, now: int) -> dict[str, Any]:
        """``<symbol>@aggTrade`` payload.

        :param agg: the aggregate trade.
        :param now: event time.
        :returns: payload shaped like ``tests/fixtures/ws/aggTrade.json``.
        """
        return {
            "e": "aggTrade",
            "E": now,
            "s": self.symbol,
            "a": agg.id,
            "p": self.fpx(agg.price),
            "q": self.fqty(agg.units),
            "f": agg.first,
            "l": agg.last,
            "T": agg.time,
            "m": agg.buyer_maker,
            "M": True,
        }

    def best(self) -> tuple[int | None, int, int | None, int]:
        """Best bid/ask with their quantities.

        :returns: ``(bid ticks, bid steps, ask ticks, ask steps)``; prices ``None`` when a
            side is empty.
        """
        bid = self.book.best(True)
        ask = self.book.best(False)
        return (
            bid,
            self.book.quantity(True, bid) if bid is not None else 0,
            ask,
            self.book.quantity(False, ask) if ask is not None else 0,
        )

    def book_ticker_event(self) -> dict[str, Any]:
        """``<symbol>@bookTicker`` payload (no event type, no event time, as Binance).

        :returns: payload shaped like ``tests/fixtures/ws/bookTicker.json``.
        """
        bid, bid_qty, ask, ask_qty = self.best()
        return {
            "u": self.book.update_id,
            "s": self.symbol,
            "b": self.fpx(bid or 0),
            "B": self.fqty(bid_qty),
            "a": self.fpx(ask or 0),
            "A": self.fqty(ask_qty),
        }

    def partial_depth(self, levels: int) -> dict[str, Any]:
        """``<symbol>@depth<levels>`` payload.

        :param levels: 5, 10 or 20.
        :returns: payload shaped like ``tests/fixtures/ws/depth_partial.json``.
        """
        return {
            "lastUpdateId": self.book.update_id,
            "bids": [[self.fpx(p), self.fqty(q)] for p, q in self.book.top(True, levels)],
            "asks": [[self.fpx(p), self.fqty(q)] for p, q in self.book.top(False, levels)],
        }

    def diff_event(self, cadence: str, now: int) -> dict[str, Any] | None:
        """Next ``depthUpdate`` of a diff stream, or ``None`` when nothing changed.

        :param cadence: ``"1000ms"`` or ``"100ms"``.
        :param now: event time.
        :returns: payload shaped like ``tests/fixtures/ws/depthUpdate.json``.
        """
        diff = self.book.take_diff(cadence)
        if diff is None:
            return None
        first, last, bids, asks = diff
        return {
            "e": "depthUpdate",
            "E": now,
            "s": self.symbol,
            "U": first,
            "u": last,
            "b": [[self.fpx(p), self.fqty(q)] for p, q in bids],
            "a": [[self.fpx(p), self.fqty(q)] for p, q in asks],
        }

    def _stats(self) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
        """(open, last, change, change percent, weighted average price)."""
        open_p = self.px(self.open_ticks)
        last_p = self.px(self.last_price)
        change = last_p - open_p
        percent = change / open_p * 100 if open_p else ZERO
        volume = self.qty(self.volume_units)
        wavg = self.quote_volume / volume if volume else last_p
        return open_p, last_p, change, percent, wavg

    def ticker_event(self, now: int) -> dict[str, Any]:
        """``<symbol>@ticker`` payload (24 h rolling statistics).

        :param now: event time.
        :returns: payload shaped like ``tests/fixtures/ws/ticker.json``.
        """
        open_p, last_p, change, percent, wavg = self._stats()
        bid, bid_qty, ask, ask_qty = self.best()
        return {
            "e": "24hrTicker",
            "E": now,
            "s": self.symbol,
            "p": fmt(change),
            "P": fmt(percent, 2),
            "w": fmt(quantize(wavg)),
            "x": fmt(open_p),
            "c": fmt(last_p),
            "Q": self.fqty(self.last_units),
            "b": self.fpx(bid or 0),
            "B": self.fqty(bid_qty),
            "a": self.fpx(ask or 0),
            "A": self.fqty(ask_qty),
            "o": fmt(open_p),
            "h": self.fpx(self.high_ticks),
            "l": self.fpx(self.low_ticks),
            "v": self.fqty(self.volume_units),
            "q": fmt(quantize(self.quote_volume)),
            "O": now - DAY_MS,
            "C": now,
            "F": self.first_trade_id,
            "L": self.next_trade_id - 1,
            "n": self.count,
        }

    def mini_ticker_event(self, now: int) -> dict[str, Any]:
        """``<symbol>@miniTicker`` payload.

        :param now: event time.
        :returns: payload shaped like ``tests/fixtures/ws/miniTicker.json``.
        """
        return {
            "e": "24hrMiniTicker",
            "E": now,
            "s": self.symbol,
            "c": self.fpx(self.last_price),
            "o": self.fpx(self.open_ticks),
            "h": self.fpx(self.high_ticks),
            "l": self.fpx(self.low_ticks),
            "v": self.fqty(self.volume_units),
            "q": fmt(quantize(self.quote_volume)),
        }

    def avg_price(self, now: int) -> tuple[Decimal, int]:
        """Volume-weighted average price of the last 5 minutes (last price when idle).

        :param now: current time.
        :returns: ``(price, time of the last trade)``.
        """
        start = bisect.bisect_left(self.tape_times, now - 5 * MINUTE)
        volume = 0
        notional = ZERO
        for trade in self.tape[start:]:
            volume += trade.units
            notional += self.px(trade.price) * trade.units
        price = notional / volume if volume else self.px(self.last_price)
        return quantize(price), self.last_time

    def avg_price_event(self, now: int) -> dict[str, Any]:
        """``<symbol>@avgPrice`` payload.

        :param now: event time.
        :returns: payload shaped like ``tests/fixtures/ws/avgPrice.json``.
        """
        price, last = self.avg_price(now)
        return {"e": "avgPrice", "E": now, "s": self.symbol, "i": "5m", "w": fmt(price), "T": last}

    # -- klines ---------------------------------------------------------------------

    def live_candle(self, interval: str, open_ms: int, close_ms: int) -> dict[str, Any]:
        """Aggregate the tape over ``[open_ms, close_ms]`` (fields of a kline).

        :param interval: kline interval.
        :param open_ms: open time.
        :param close_ms: close time.
        :returns: a dict with the stream kline's one-letter keys.
        """
        lo = bisect.bisect_left(self.tape_times, open_ms)
        hi = bisect.bisect_right(self.tape_times, close_ms)
        trades = self.tape[lo:hi]
        if lo > 0:
            prev_close = self.tape[lo - 1].price
        elif open_ms < self.start_ms or not trades:
            prev_close = int(Decimal(repr(self.history.price(open_ms))) / self.spec.tick) or 1
        else:
            prev_close = trades[0].price
        if trades:
            o, c = trades[0].price, trades[-1].price
            h = max(t.price for t in trades)
            low = min(t.price for t in trades)
        else:
            o = c = h = low = prev_close
        volume = sum(t.units for t in trades)
        taker_buy = sum(t.units for t in trades if not t.buyer_maker)
        quote = sum((self.px(t.price) * self.qty(t.units) for t in trades), ZERO)
        taker_quote = sum(
            (self.px(t.price) * self.qty(t.units) for t in trades if not t.buyer_maker), ZERO
        )
        return {
            "t": open_ms,
            "T": close_ms,
            "s": self.symbol,
            "i": interval,
            "f": trades[0].id if trades else -1,
            "L": trades[-1].id if trades else -1,
            "o": self.fpx(o),
            "c": self.fpx(c),
            "h": self.fpx(h),
            "l": self.fpx(low),
            "v": self.fqty(volume),
            "n": len(trades),
            "q": fmt(quantize(quote)),
            "V": self.fqty(taker_buy),
            "Q": fmt(quantize(taker_quote)),
            "B": "0",
        }

    def kline_row(self, interval: str, open_ms: int, close_ms: int) -> list[object]:
        """One ``GET /api/v3/klines`` row (synthetic history before the start).

        :param interval: kline interval.
        :param open_ms: open time.
        :param close_ms: close time.
        :returns: the 12-element array.
        """
        if close_ms < self.start_ms - 5_000:
            # Closed before the sandbox (and its warm-up trades) existed: synthetic.
            return self.history.candle(interval, open_ms, close_ms)
        k = self.live_candle(interval, open_ms, close_ms)
        return [
            open_ms,
            k["o"],
            k["h"],
            k["l"],
            k["c"],
            k["v"],
            close_ms,
            k["q"],
            k["n"],
            k["V"],
            k["Q"],
            "0",
        ]

    def klines(
        self,
        interval: str,
        now: int,
        start: int | None,
        end: int | None,
        limit: int,
        tz_ms: int = 0,
    ) -> list[list[object]]:
        """``GET /api/v3/klines`` rows with Binance's start/end/limit rules.

        :param interval: kline interval.
        :param now: current time (the last candle is the one open now).
        :param start: ``startTime`` (inclusive open time) or ``None``.
        :param end: ``endTime`` (inclusive open time) or ``None``.
        :param limit: maximum rows.
        :param tz_ms: ``timeZone`` offset.
        :returns: rows in ascending open time.
        """
        last_open = open_time(interval, now, tz_ms)
        upper = last_open if end is None else min(last_open, open_time(interval, end, tz_ms))
        opens: list[int] = []
        if start is None:
            # Most recent `limit` candles up to `upper`: walk back from it.
            cursor = upper
            while len(opens) < limit and cursor >= LISTING_MS:
                opens.append(cursor)
                cursor = open_time(interval, cursor - 1, tz_ms)
            opens.reverse()
        else:
            cursor = open_time(interval, max(start, LISTING_MS), tz_ms)
            if cursor < start:
                cursor = next_open(interval, cursor, tz_ms)
            while len(opens) < limit and cursor <= upper:
                opens.append(cursor)
                cursor = next_open(interval, cursor, tz_ms)
        return [self.kline_row(interval, o, next_open(interval, o, tz_ms) - 1) for o in opens]

    def kline_event(self, interval: str, open_ms: int, now: int, tz_ms: int = 0) -> dict[str, Any]:
        """``<symbol>@kline_<interval>`` payload for the candle opening at *open_ms*.

        :param interval: kline interval.
        :param open_ms: the candle's open time.
        :param now: event time.
        :param tz_ms: time-zone offset of the stream (``@+08:00``).
        :returns: payload shaped like ``tests/fixtures/ws/kline.json``.
        """
        close_ms = next_open(interval, open_ms, tz_ms) - 1
        k = self.live_candle(interval, open_ms, close_ms)
        k["x"] = now > close_ms
        ordered = {
            key: k[key]
            for key in (
                "t",
                "T",
                "s",
                "i",
                "f",
                "L",
                "o",
                "c",
                "h",
                "l",
                "v",
                "n",
                "x",
                "q",
                "V",
                "Q",
                "B",
            )
        }
        return {"e": "kline", "E": now, "s": self.symbol, "k": ordered}

    # -- REST payloads ------------------------------------------------------------------

    def depth(self, limit: int) -> dict[str, Any]:
        """``GET /api/v3/depth`` payload.

        :param limit: levels per side.
        :returns: payload shaped like ``tests/fixtures/rest/depth.json``.
        """
        return self.partial_depth(limit)

    def ticker_rest(self, now: int, mini: bool) -> dict[str, Any]:
        """``GET /api/v3/ticker/24hr`` entry for this symbol.

        :param now: current time.
        :param mini: ``type=MINI``.
        :returns: payload shaped like ``tests/fixtures/rest/ticker_24hr_full.json`` / ``_mini``.
        """
        open_p, last_p, change, percent, wavg = self._stats()
        common_tail = {
            "openPrice": fmt(open_p),
            "highPrice": self.fpx(self.high_ticks),
            "lowPrice": self.fpx(self.low_ticks),
            "lastPrice": fmt(last_p),
            "volume": self.fqty(self.volume_units),
            "quoteVolume": fmt(quantize(self.quote_volume)),
            "openTime": now - DAY_MS,
            "closeTime": now,
            "firstId": self.first_trade_id,
            "lastId": self.next_trade_id - 1,
            "count": self.count,
        }
        if mini:
            return {"symbol": self.symbol, **common_tail}
        bid, bid_qty, ask, ask_qty = self.best()
        return {
            "symbol": self.symbol,
            "priceChange": fmt(change),
            "priceChangePercent": fmt(percent, 3),
            "weightedAvgPrice": fmt(quantize(wavg)),
            "prevClosePrice": fmt(open_p),
            "lastPrice": fmt(last_p),
            "lastQty": self.fqty(self.last_units),
            "bidPrice": self.fpx(bid or 0),
            "bidQty": self.fqty(bid_qty),
            "askPrice": self.fpx(ask or 0),
            "askQty": self.fqty(ask_qty),
            "openPrice": common_tail["openPrice"],
            "highPrice": common_tail["highPrice"],
            "lowPrice": common_tail["lowPrice"],
            "volume": common_tail["volume"],
            "quoteVolume": common_tail["quoteVolume"],
            "openTime": common_tail["openTime"],
            "closeTime": common_tail["closeTime"],
            "firstId": common_tail["firstId"],
            "lastId": common_tail["lastId"],
            "count": common_tail["count"],
        }

    def price_rest(self) -> dict[str, Any]:
        """``GET /api/v3/ticker/price`` entry.

        :returns: ``{"symbol", "price"}``.
        """
        return {"symbol": self.symbol, "price": self.fpx(self.last_price)}

    def book_ticker_rest(self) -> dict[str, Any]:
        """``GET /api/v3/ticker/bookTicker`` entry.

        :returns: ``{"symbol", "bidPrice", "bidQty", "askPrice", "askQty"}``.
        """
        bid, bid_qty, ask, ask_qty = self.best()
        return {
            "symbol": self.symbol,
            "bidPrice": self.fpx(bid or 0),
            "bidQty": self.fqty(bid_qty),
            "askPrice": self.fpx(ask or 0),
            "askQty": self.fqty(ask_qty),
        }

    def trade_rest(self, trade: Trade) -> dict[str, Any]:
        """One ``GET /api/v3/trades`` row.

        :param trade: the trade.
        :returns: payload shaped like ``tests/fixtures/rest/trades.json``.
        """
        return {
            "id": trade.id,
            "price": self.fpx(trade.price),
            "qty": self.fqty(trade.units),
            "quoteQty": fmt(self.px(trade.price) * self.qty(trade.units)),
            "time": trade.time,
            "isBuyerMaker": trade.buyer_maker,
            "isBestMatch": True,
        }

    def agg_rest(self, agg: AggTrade) -> dict[str, Any]:
        """One ``GET /api/v3/aggTrades`` row.

        :param agg: the aggregate trade.
        :returns: payload shaped like ``tests/fixtures/rest/aggTrades.json``.
        """
        return {
            "a": agg.id,
            "p": self.fpx(agg.price),
            "q": self.fqty(agg.units),
            "f": agg.first,
            "l": agg.last,
            "T": agg.time,
            "m": agg.buyer_maker,
            "M": True,
        }
