"""The blinker signals cryptoex sends (public as :mod:`cryptoex.signals`).

Market-data signals are sent with the symbol as sender and the parsed model as
``event=``::

    from cryptoex import signals

    def on_btc(sender, event):
        print(sender, event.last_price)

    signals.ticker.connect(on_btc, sender="BTCUSDT")

User-data signals (``order_update``, ``balance_update``, ``account_update``)
are sent with the account label as sender. Lifecycle signals are sent with the
``StreamManager`` as sender.

``connect`` keeps blinker's semantics: receivers are held *weakly* unless you
pass ``weak=False``. Connecting a receiver does not subscribe a stream;
``StreamManager.subscribe`` (or a decorator such as ``@cryptoex.on_ticker``)
does. cryptoex calls each receiver on its own, so one that raises does not
starve the others: the error is logged and sent on :data:`callback_error`.
"""

from __future__ import annotations

from blinker import NamedSignal, Namespace

__all__ = [
    "MARKET_SIGNALS",
    "USER_SIGNALS",
    "account_update",
    "agg_trade",
    "balance_update",
    "book_ticker",
    "callback_error",
    "connected",
    "depth",
    "depth_update",
    "disconnected",
    "kline",
    "mini_ticker",
    "order_book",
    "order_update",
    "reconnecting",
    "ticker",
    "trade",
]

_ns = Namespace()

#: A ``<symbol>@ticker`` event (``Ticker``).
ticker: NamedSignal = _ns.signal("ticker", doc="24 h ticker, sender = symbol, event = Ticker")
#: A ``<symbol>@miniTicker`` event (``MiniTicker``).
mini_ticker: NamedSignal = _ns.signal("mini_ticker", doc="mini ticker, sender = symbol")
#: A ``<symbol>@bookTicker`` event (``BookTicker``).
book_ticker: NamedSignal = _ns.signal("book_ticker", doc="best bid/ask, sender = symbol")
#: A ``<symbol>@trade`` event (``Trade``).
trade: NamedSignal = _ns.signal("trade", doc="trade, sender = symbol")
#: A ``<symbol>@aggTrade`` event (``AggTrade``).
agg_trade: NamedSignal = _ns.signal("agg_trade", doc="aggregate trade, sender = symbol")
#: A ``<symbol>@kline_<interval>`` event (``Kline``).
kline: NamedSignal = _ns.signal("kline", doc="kline update, sender = symbol")
#: A ``<symbol>@depth<N>`` partial book (``PartialDepth``).
depth: NamedSignal = _ns.signal("depth", doc="partial book depth, sender = symbol")
#: A ``<symbol>@depth`` diff (``DepthUpdate``).
depth_update: NamedSignal = _ns.signal("depth_update", doc="diff depth, sender = symbol")
#: A maintained local order book changed (``OrderBook``).
order_book: NamedSignal = _ns.signal("order_book", doc="local book updated, sender = symbol")
#: An order changed (``OrderUpdate``), sender = account label.
order_update: NamedSignal = _ns.signal("order_update", doc="order update, sender = account")
#: A balance changed by deposit/withdrawal/transfer (``BalanceUpdate``).
balance_update: NamedSignal = _ns.signal("balance_update", doc="balance delta, sender = account")
#: Balances after an execution (``AccountUpdate``).
account_update: NamedSignal = _ns.signal("account_update", doc="balances, sender = account")

#: A connection opened: ``connected(manager, connection=name)``.
connected: NamedSignal = _ns.signal("connected", doc="sender = StreamManager; connection=")
#: A connection closed: ``disconnected(manager, connection=name, reason=text)``.
disconnected: NamedSignal = _ns.signal(
    "disconnected", doc="sender = StreamManager; connection=, reason="
)
#: A reconnect is scheduled:
#: ``reconnecting(manager, connection=name, attempt=n, delay=seconds)``.
reconnecting: NamedSignal = _ns.signal(
    "reconnecting", doc="sender = StreamManager; connection=, attempt=, delay="
)
#: A callback raised:
#: ``callback_error(manager, exception=exc, callback=fn, event=model)``.
callback_error: NamedSignal = _ns.signal(
    "callback_error", doc="sender = StreamManager; exception=, callback=, event="
)

#: Market-data signals by stream kind.
MARKET_SIGNALS: dict[str, NamedSignal] = {
    "ticker": ticker,
    "mini_ticker": mini_ticker,
    "book_ticker": book_ticker,
    "trade": trade,
    "agg_trade": agg_trade,
    "kline": kline,
    "depth": depth,
    "depth_update": depth_update,
}
#: User-data signals by event kind.
USER_SIGNALS: dict[str, NamedSignal] = {
    "order_update": order_update,
    "balance_update": balance_update,
    "account_update": account_update,
}
