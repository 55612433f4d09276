"""Place and cancel a limit order, and see what the client refuses before
sending and what the exchange refuses.

    CRYPTOEX_SANDBOX=1 python examples/place_and_cancel.py      # local sandbox
    BINANCE_TESTNET=1 BINANCE_API_KEY=... BINANCE_API_SECRET=... \\
        python examples/place_and_cancel.py                     # Spot Testnet

This example trades, so it refuses to run against Binance's live exchange.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import Any

import cryptoex

from _sandbox import sandbox, testnet, user_client

if sandbox() is None and not testnet():
    sys.exit("this example places orders: run it with CRYPTOEX_SANDBOX=1 or BINANCE_TESTNET=1")

SYMBOL = "BTCUSDT"

with user_client() as client:
    info = client.symbol_info(SYMBOL)
    print(f"{SYMBOL}: tick size {info.tick_size}, step size {info.step_size},"
          f" min quantity {info.min_qty}, min notional {info.min_notional}")  # fmt: skip

    # A price 5% under the market, on the tick grid, and the smallest
    # quantity worth 3x the minimum notional, on the step grid.
    bid = client.ticker(SYMBOL).best_bid_price
    price = info.round_price(bid * Decimal("0.95"), "down")
    quantity = info.round_quantity((info.min_notional or Decimal(10)) * 3 / price, "up")
    tick = info.tick_size or Decimal("0.01")
    step = info.step_size or Decimal("0.00001")

    # 1. Refused before anything is sent: the error names the field, the
    #    exchange filter and the allowed value. Nothing reached the exchange.
    bad_orders: dict[str, dict[str, Any]] = {
        "price off the tick grid": {"quantity": quantity, "price": price + tick / 3},
        "quantity off the step grid": {"quantity": quantity + step / 7, "price": price},
        "order worth too little": {"quantity": step, "price": price},
        "LIMIT without a price": {"quantity": quantity},
    }
    for what, args in bad_orders.items():
        try:
            client.place_order(SYMBOL, side="BUY", type="LIMIT", **args)
        except cryptoex.ValidationError as exc:
            print(f"refused ({what}): field={exc.field} filter={exc.filter}\n    {exc}")

    # 2. Checked by the exchange too, without placing anything.
    client.test_order(SYMBOL, side="BUY", type="LIMIT", quantity=quantity, price=price)

    # 3. Place it: the order rests on the book (status NEW).
    order = client.place_order(SYMBOL, side="BUY", type="LIMIT", quantity=quantity, price=price)
    print(f"placed order {order.order_id} ({order.client_order_id}): {order.status}"
          f" BUY {order.quantity} @ {order.price}")  # fmt: skip
    print("open orders:", [o.order_id for o in client.get_open_orders(SYMBOL)])

    # 4. Cancel it; cancelling again is an OrderNotFoundError.
    cancelled = client.cancel_order(SYMBOL, order_id=order.order_id)
    print(f"cancelled order {cancelled.order_id}: {cancelled.status}")
    try:
        client.cancel_order(SYMBOL, order_id=order.order_id)
    except cryptoex.OrderNotFoundError as exc:
        print(f"cancel again: OrderNotFoundError (code {exc.code}): {exc.message}")

    # 5. Refused by the exchange: far more than the account holds.
    try:
        client.place_order(SYMBOL, side="BUY", type="LIMIT", quantity="100", price=price)
    except cryptoex.InsufficientBalanceError as exc:
        print(f"too big: InsufficientBalanceError (code {exc.code}): {exc.message}")
