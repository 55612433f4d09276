"""Follow many markets at once on one connection, then print the manager's
statistics (messages, receive lag, reconnects per stream).

    python examples/many_symbols.py
    CRYPTOEX_SANDBOX=1 python examples/many_symbols.py

Streams share a connection (Binance's combined streams) until the
per-connection limit, then the manager opens another; each connection is
one thread. Here the mini-ticker callback keeps the latest price per symbol
in a dict (a dict item assignment is atomic, so no lock is needed for this).
"""

from __future__ import annotations

import threading

import cryptoex

from _sandbox import sandbox, stream_options

fake = sandbox()
SYMBOLS = (
    ["BTCUSDT", "ETHUSDT", "BNBUSDT", "ETHBTC", "PEPEUSDT"]
    if fake is not None
    else ["BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT", "ADAUSDT", "DOGEUSDT",
          "TRXUSDT", "LINKUSDT", "DOTUSDT", "LTCUSDT", "BCHUSDT"]
)  # fmt: skip

prices: dict[str, cryptoex.MiniTicker] = {}
everyone_seen = threading.Event()

with cryptoex.StreamManager(**stream_options()) as sm:

    @sm.on_mini_ticker(*SYMBOLS)
    def remember(ticker: cryptoex.MiniTicker) -> None:
        prices[ticker.symbol] = ticker
        if len(prices) == len(SYMBOLS):
            everyone_seen.set()

    # The main thread is free meanwhile; here it just waits (at most 30 s).
    everyone_seen.wait(timeout=30)
    for symbol in SYMBOLS:
        ticker = prices.get(symbol)
        print(f"{symbol:<9} {ticker.last_price if ticker else 'no data yet':>20}")

    stats = sm.stats()
    for name, conn in stats.connections.items():
        print(f"{name}: {conn.streams} streams, {conn.messages} messages, state {conn.state}")
    for stream in stats.streams.values():
        print(
            f"  {stream.stream:<22} {stream.messages:>4} messages,"
            f" receive lag p50 {stream.lag_ms_p50 or 0:.1f} ms, reconnects {stream.reconnects}"
        )
# Leaving the with block stopped the manager and joined its threads.
