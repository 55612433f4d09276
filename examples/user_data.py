"""Follow your account as it changes: order updates and balances from the
user-data stream, while the same program trades.

    CRYPTOEX_SANDBOX=1 python examples/user_data.py
    BINANCE_TESTNET=1 BINANCE_API_KEY=... BINANCE_API_SECRET=... python examples/user_data.py

It places a resting order, cancels it, then buys and sells a few dollars'
worth at market, so it refuses to run against the live exchange. The events
arrive on the WebSocket API connection's thread, usually before the REST call
that caused them has returned.
"""

from __future__ import annotations

import sys
import threading
from decimal import Decimal

import cryptoex

from _sandbox import sandbox, stream_options, testnet, user_client

if sandbox() is None and not testnet():
    sys.exit("this example places orders: run it with CRYPTOEX_SANDBOX=1 or BINANCE_TESTNET=1")

SYMBOL = "BTCUSDT"
sold = threading.Event()

with user_client(name="me") as client, cryptoex.StreamManager(**stream_options()) as sm:
    user = sm.subscribe_user(client)  # returns once the exchange confirmed it

    @user.on_order_update(SYMBOL)
    def order(u: cryptoex.OrderUpdate) -> None:
        print(
            f"{u.account}: order {u.order_id} {u.side} {u.type} {u.execution_type} -> {u.status},"
            f" filled {u.cumulative_filled_quantity} of {u.quantity}"
        )
        if u.side == "SELL" and u.status == "FILLED":
            sold.set()

    @user.on_account_update()
    def balances(u: cryptoex.AccountUpdate) -> None:
        print(f"{u.account}: " + ", ".join(f"{b.asset} {b.free} free" for b in u.balances))

    info = client.symbol_info(SYMBOL)
    bid = client.ticker(SYMBOL).best_bid_price
    price = info.round_price(bid * Decimal("0.95"), "down")
    quantity = info.round_quantity((info.min_notional or Decimal(10)) * 2 / price, "up")

    resting = client.place_order(SYMBOL, side="BUY", type="LIMIT", quantity=quantity, price=price)
    client.cancel_order(SYMBOL, order_id=resting.order_id)
    client.place_order(SYMBOL, side="BUY", type="MARKET", quantity=quantity)
    client.place_order(SYMBOL, side="SELL", type="MARKET", quantity=quantity)

    if not sold.wait(timeout=30):
        sys.exit("the SELL fill did not arrive on the user-data stream within 30 s")
print("done: the manager stopped and its threads were joined")
