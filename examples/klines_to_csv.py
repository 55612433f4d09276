"""Download a week of hourly klines (candlesticks) and write them to a CSV
file, with exact decimal prices.

    python examples/klines_to_csv.py [SYMBOL] [FILE]
    CRYPTOEX_SANDBOX=1 python examples/klines_to_csv.py BTCUSDT btc.csv

``MarketClient.klines`` pages through long ranges by itself (Binance returns
at most 1000 per request) and waits for rate-limit budget when it must.
Prices are ``Decimal``: written with ``str()`` they keep every digit, with
no float rounding on the way to the file.
"""

from __future__ import annotations

import csv
import sys
from datetime import datetime, timedelta, timezone

import cryptoex

from _sandbox import rest_options

symbol = sys.argv[1] if len(sys.argv) > 1 else "BTCUSDT"
path = sys.argv[2] if len(sys.argv) > 2 else f"{symbol.lower()}-1h.csv"
end = datetime.now(timezone.utc)
start = end - timedelta(days=7)

with cryptoex.MarketClient(**rest_options()) as client:
    klines = client.klines(symbol, "1h", start=start, end=end)

columns = ["open_time", "open_price", "high_price", "low_price", "close_price", "volume"]
with open(path, "w", newline="", encoding="utf-8") as f:
    writer = csv.writer(f)
    writer.writerow(columns)
    for k in klines:
        writer.writerow([k.open_time.isoformat(), k.open_price, k.high_price, k.low_price,
                         k.close_price, k.volume])  # fmt: skip

highest = max(klines, key=lambda k: k.high_price)
print(f"wrote {len(klines)} hourly klines of {symbol} to {path}")
print(f"first {klines[0].open_time:%Y-%m-%d %H:%M}, last {klines[-1].open_time:%Y-%m-%d %H:%M} UTC")
print(f"highest {highest.high_price} at {highest.open_time:%Y-%m-%d %H:%M} UTC")
