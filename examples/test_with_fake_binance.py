"""Testing your own code against the sandbox with the ``fake_binance`` pytest
fixture (installed with cryptoex; no conftest needed).

    python -m pytest examples/test_with_fake_binance.py

Each test gets a fresh FakeBinance on 127.0.0.1, stopped afterwards. Mark a
test with ``@pytest.mark.fake_binance(...)`` to pass it options.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest

import cryptoex
from cryptoex.testing import FakeBinance


# -- the code under test: yours -------------------------------------------------------------
def place_ladder(client: cryptoex.UserClient, symbol: str, steps: int) -> list[cryptoex.Order]:
    """Buy orders 1%, 2%, ... under the best bid, each worth 20 USDT."""
    info = client.symbol_info(symbol)
    bid = client.ticker(symbol).best_bid_price
    orders = []
    for step in range(1, steps + 1):
        price = info.round_price(bid * (1 - Decimal(step) / 100), "down")
        quantity = info.round_quantity(Decimal(20) / price, "up")
        orders.append(
            client.place_order(symbol, side="BUY", type="LIMIT", quantity=quantity, price=price)
        )
    return orders


def average_trade_price(sm: cryptoex.StreamManager, symbol: str, count: int) -> Decimal:
    """The volume-weighted price of the next *count* trades."""
    trades: list[cryptoex.Trade] = []
    done = threading.Event()

    @sm.on_trade(symbol)
    def collect(trade: cryptoex.Trade) -> None:
        if len(trades) < count:
            trades.append(trade)
        if len(trades) == count:
            done.set()

    assert done.wait(timeout=10), "no trades arrived"
    volume = sum((t.quantity for t in trades), Decimal(0))
    return sum((t.price * t.quantity for t in trades), Decimal(0)) / volume


# -- the tests ------------------------------------------------------------------------------
@pytest.fixture
def client(fake_binance: FakeBinance) -> Iterator[cryptoex.UserClient]:
    with cryptoex.UserClient(
        fake_binance.api_key, fake_binance.api_secret, rest_url=fake_binance.rest_url
    ) as c:
        yield c


def test_ladder_rests_three_orders(fake_binance: FakeBinance, client: cryptoex.UserClient) -> None:
    orders = place_ladder(client, "BTCUSDT", steps=3)
    assert [o.status for o in orders] == ["NEW"] * 3
    # The sandbox is inspectable: what did the exchange receive?
    booked = fake_binance.orders()
    prices = [Decimal(o["price"]) for o in booked]
    assert prices == sorted(prices, reverse=True)  # 1%, 2%, 3% under the bid
    locked = fake_binance.balances()["USDT"][1]
    assert locked == sum(Decimal(o["price"]) * Decimal(o["origQty"]) for o in booked)


def test_a_5xx_on_placement_is_reconciled_not_duplicated(
    fake_binance: FakeBinance, client: cryptoex.UserClient
) -> None:
    # The order is recorded, then the answer is lost behind a 503.
    fake_binance.faults.fail_next("/api/v3/order", method="POST", status=503, when="after")
    orders = place_ladder(client, "BTCUSDT", steps=1)
    assert orders[0].status == "NEW"  # found by its client order id
    assert len(fake_binance.orders()) == 1  # and never sent twice


@pytest.mark.fake_binance(message_rate=50, symbols=["ETHUSDT"])
def test_average_trade_price(fake_binance: FakeBinance) -> None:
    with cryptoex.StreamManager(ws_url=fake_binance.ws_url) as sm:
        vwap = average_trade_price(sm, "ETHUSDT", count=20)
    assert abs(vwap - fake_binance.price("ETHUSDT")) < 50
