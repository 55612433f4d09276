"""Print live 24-hour tickers of two markets through decorator callbacks.

    python examples/ticker_callbacks.py
    CRYPTOEX_SANDBOX=1 python examples/ticker_callbacks.py   # local sandbox

The callback runs on cryptoex's connection thread, once per ticker (about
one per second per symbol). It stops itself after a few tickers; delete the
three ``seen`` lines to run until Ctrl-C.
"""

from __future__ import annotations

import cryptoex

from _sandbox import stream_options

cryptoex.configure(**stream_options())  # before the first decorator
seen = 0


@cryptoex.on_ticker("BTCUSDT", "ETHUSDT")
def show(ticker: cryptoex.Ticker) -> None:
    global seen
    print(
        f"{ticker.symbol:<8} last {ticker.last_price:>16}  "
        f"bid {ticker.best_bid_price} / ask {ticker.best_ask_price}  "
        f"24h {ticker.price_change_percent:+}%"
    )
    seen += 1
    if seen == 6:
        cryptoex.default_manager().stop()  # stopping from a callback is fine


cryptoex.run_forever()  # blocks; Ctrl-C stops cleanly
print("stopped: every connection closed, every thread joined")
