"""Many REST queries from many threads, within the exchange's rate limits.

    python examples/bulk_queries.py
    CRYPTOEX_SANDBOX=1 python examples/bulk_queries.py

Every client of one base URL shares one request-weight budget (Binance
counts weight per IP), read from ``exchangeInfo`` and kept in step with the
``X-MBX-USED-WEIGHT-*`` headers. With ``block=True`` (the default) a call
that would overrun it waits for the next window instead of earning a 429 or
a ban; with ``block=False`` it raises ``RateLimitError`` at once, carrying
``retry_after`` in seconds.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import cryptoex

from _sandbox import rest_options, sandbox

# The sandbox gets a small budget (1000 weight a minute) so that part 2 runs
# into it quickly; Binance's is 6000.
fake = sandbox(request_weight_limit=1000)

with cryptoex.MarketClient(**rest_options()) as client:  # one client, shared by every thread
    symbols = [s.symbol for s in client.exchange_info().symbols if s.quote_asset == "USDT"][:20]

    def summary(symbol: str) -> str:
        ticker = client.ticker(symbol)  # weight 2
        trades = client.recent_trades(symbol, limit=100)  # weight 25
        bought = sum(t.quantity for t in trades if not t.is_buyer_maker)
        return f"{symbol:<10} last {ticker.last_price:>16}  taker buys in last 100 trades: {bought}"

    # Part 1: 8 threads, 2 requests per symbol; the shared budget paces them.
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        for line in pool.map(summary, symbols):
            print(line)
    print(f"{2 * len(symbols)} requests in {time.monotonic() - started:.2f} s")

# Part 2 (sandbox only: on Binance it would spend your IP's whole minute):
# an impatient client raises instead of waiting.
if fake is not None:
    with cryptoex.MarketClient(rest_url=fake.rest_url, block=False) as impatient:
        sent = 0
        try:
            while sent < 100:
                impatient.order_book("BTCUSDT", limit=5000)  # weight 250
                sent += 1
        except cryptoex.RateLimitError as exc:
            wait = f"{exc.retry_after:.1f} s" if exc.retry_after is not None else "a while"
            print(f"request {sent + 1} would overrun the budget: RateLimitError, retry after {wait}"
                  " (nothing was sent)")  # fmt: skip
