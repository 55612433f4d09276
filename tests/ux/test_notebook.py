"""Notebook support: ModelList tables, to_dataframe, and nothing blocking a
running event loop (Jupyter's)."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

import cryptoex
from cryptoex.models._base import HTML_MAX_ROWS, ModelList
from cryptoex.testing import FakeBinance
from tests.helpers import LONG_TIMEOUT

T0 = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)


def _trade(i: int, *, price: str = "64210.01000000", quote: str | None = None) -> cryptoex.Trade:
    return cryptoex.Trade(
        symbol="BTCUSDT",
        trade_id=2**60 + i,
        price=Decimal(price),
        quantity=Decimal("0.00100000"),
        trade_time=T0,
        is_buyer_maker=bool(i % 2),
        event_time=None if i % 2 else T0,
        quote_quantity=None if quote is None else Decimal(quote),
    )


def _balance(asset: str, free: str) -> cryptoex.Balance:
    return cryptoex.Balance(asset=asset, free=Decimal(free), locked=Decimal("0"))


def _body_rows(html: str) -> int:
    return html.split("<tbody>", 1)[1].count("<tr><th>")


# -- ModelList ---------------------------------------------------------------------


def test_model_list_is_a_list() -> None:
    items = [_trade(0), _trade(1)]
    listed = ModelList(items)
    assert listed == items
    assert repr(listed) == repr(items)
    assert isinstance(listed, list)


def test_model_list_slices_stay_model_lists() -> None:
    listed = ModelList([_trade(i) for i in range(5)])
    assert type(listed[1:3]) is ModelList
    assert listed[1:3] == [_trade(1), _trade(2)]
    assert listed[-1] == _trade(4)


def test_model_list_html_has_one_row_per_model_and_a_column_per_field() -> None:
    html = ModelList([_balance("BTC", "1.50000000"), _balance("USDT", "0.00000010")])._repr_html_()
    assert "<caption>2 x Balance</caption>" in html
    for name in ("asset", "free", "locked"):
        assert f"<th>{name}</th>" in html
    assert _body_rows(html) == 2  # one row per model
    # Money is shown fixed-point and exact, never as 1E-7 or a float.
    assert ">1.50000000<" in html
    assert ">0.00000010<" in html


def test_model_list_html_escapes_text() -> None:
    html = ModelList([_balance("<b>X</b>", "1")])._repr_html_()
    assert "<b>X</b>" not in html
    assert "&lt;b&gt;X&lt;/b&gt;" in html


def test_model_list_html_elides_long_lists() -> None:
    listed = ModelList([_trade(i) for i in range(HTML_MAX_ROWS + 40)])
    html = listed._repr_html_()
    assert _body_rows(html) == HTML_MAX_ROWS
    assert "... 40 more rows ..." in html
    assert f"<tr><th>{len(listed) - 1}</th>" in html  # the last row is shown


def test_model_list_html_mixed_models_and_nested_fields() -> None:
    fill = cryptoex.Fill(
        symbol="BTCUSDT",
        order_id=1,
        trade_id=2,
        price=Decimal("1"),
        quantity=Decimal("1"),
        commission=Decimal("0"),
        commission_asset="BNB",
    )
    order = cryptoex.Order(symbol="BTCUSDT", order_id=1, client_order_id="x", fills=(fill, fill))
    html = ModelList([order, _balance("BTC", "1")])._repr_html_()
    assert "<caption>2 x Order, Balance</caption>" in html
    assert ">2 x Fill<" in html  # nested models summarised, one line per row


def test_empty_model_list_renders() -> None:
    assert "<caption>0 x model</caption>" in ModelList()._repr_html_()


def test_rest_clients_return_model_lists() -> None:
    with FakeBinance(seed=3, symbols=["BTCUSDT"], message_rate=0) as fb:
        client = cryptoex.UserClient(fb.api_key, fb.api_secret, rest_url=fb.rest_url)
        try:
            placed = client.place_order(
                "BTCUSDT", side="BUY", type="LIMIT", quantity="0.001", price="60000"
            )
            client.place_order("BTCUSDT", side="BUY", type="MARKET", quantity="0.001")
            results: dict[str, Any] = {
                "klines": client.klines("BTCUSDT", "1m", limit=3),
                "klines_from_start": client.klines(
                    "BTCUSDT", "1m", start=datetime(2026, 1, 1, tzinfo=timezone.utc), limit=3
                ),
                "recent_trades": client.recent_trades("BTCUSDT", limit=3),
                "get_open_orders": client.get_open_orders("BTCUSDT"),
                "get_orders": client.get_orders("BTCUSDT"),
                "get_trades": client.get_trades("BTCUSDT"),
                "get_trades_by_order": client.get_trades("BTCUSDT", order_id=placed.order_id),
                "get_balances": client.get_balances(),
                "cancel_all_orders": client.cancel_all_orders("BTCUSDT"),
                "cancel_all_none_open": client.cancel_all_orders("BTCUSDT"),
            }
        finally:
            client.close()
    for name, value in results.items():
        assert type(value) is ModelList, name
    assert len(results["klines"]) == 3
    assert [o.order_id for o in results["cancel_all_orders"]] == [placed.order_id]
    assert results["cancel_all_none_open"] == []


# -- to_dataframe -----------------------------------------------------------------------


def test_to_dataframe_keeps_decimals_exact() -> None:
    trades = [_trade(0, price="0.00000001", quote="123456789.123456789"), _trade(1)]
    df = cryptoex.to_dataframe(trades)
    assert list(df.columns) == [
        "symbol",
        "trade_id",
        "price",
        "quantity",
        "trade_time",
        "is_buyer_maker",
        "event_time",
        "quote_quantity",
    ]
    assert df["price"].dtype == object
    assert df["price"].tolist() == [Decimal("0.00000001"), Decimal("64210.01000000")]
    assert all(type(v) is Decimal for v in df["price"])
    assert df["quote_quantity"][0] == Decimal("123456789.123456789")
    assert df["quote_quantity"][1] is None
    # Exact arithmetic survives: the sum is a Decimal, not a float.
    assert df["quantity"].sum() == Decimal("0.00200000")


def test_to_dataframe_times_ids_flags_and_enums() -> None:
    df = cryptoex.to_dataframe([_trade(0), _trade(1)])
    assert str(df["trade_time"].dtype).startswith("datetime64")
    assert str(df["trade_time"].dt.tz) == "UTC"
    assert df["trade_time"][0] == pd.Timestamp(T0)
    # Ids above 2**53 stay exact (float64 would round them).
    assert df["trade_id"].tolist() == [2**60, 2**60 + 1]
    assert df["is_buyer_maker"].dtype == bool
    assert df["event_time"].isna().tolist() == [False, True]
    order = cryptoex.Order(
        symbol="BTCUSDT", order_id=1, client_order_id="a", side=cryptoex.Side.BUY
    )
    gap = cryptoex.Order(symbol="BTCUSDT", order_id=2, client_order_id="b", order_list_id=7)
    orders = cryptoex.to_dataframe([order, gap])
    assert orders["side"][0] == "BUY"
    assert type(orders["side"][0]) is str  # the plain value, not the enum member
    assert str(orders["order_list_id"].dtype) == "Int64"
    assert orders["order_list_id"].tolist()[1] == 7


def test_to_dataframe_index_single_model_mixed_and_empty() -> None:
    df = cryptoex.to_dataframe([_trade(0), _trade(1)], index="trade_id")
    assert df.index.tolist() == [2**60, 2**60 + 1]
    single = cryptoex.to_dataframe(_balance("BTC", "1.5"))
    assert single["free"].tolist() == [Decimal("1.5")]
    mixed = cryptoex.to_dataframe([_balance("BTC", "1"), _trade(0)])
    assert mixed["model"].tolist() == ["Balance", "Trade"]
    assert mixed["asset"].tolist()[0] == "BTC"
    assert pd.isna(mixed["asset"].tolist()[1])
    assert cryptoex.to_dataframe([]).empty


def test_to_dataframe_rejects_what_it_cannot_convert() -> None:
    with pytest.raises(TypeError, match="item 1 is dict"):
        cryptoex.to_dataframe([_trade(0), {"price": "1"}])  # type: ignore[list-item]
    with pytest.raises(cryptoex.ValidationError, match="index='nope'") as info:
        cryptoex.to_dataframe([_trade(0)], index="nope")
    assert info.value.field == "index"
    assert info.value.allowed is not None
    assert "trade_time" in info.value.allowed


def test_to_dataframe_without_pandas_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A None entry makes `import pandas` raise ImportError, as if not installed.
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(cryptoex.ConfigurationError) as info:
        cryptoex.to_dataframe([_trade(0)])
    assert 'pip install "cryptoex[pandas]"' in str(info.value)


def test_klines_from_the_sandbox_to_a_dataframe() -> None:
    with FakeBinance(seed=5, symbols=["ETHUSDT"], message_rate=0) as fb:
        market = cryptoex.MarketClient(rest_url=fb.rest_url)
        klines = market.klines("ETHUSDT", "1h", limit=24)
        market.close()
    df = cryptoex.to_dataframe(klines, index="open_time")
    assert len(df) == 24
    assert df.index.is_monotonic_increasing
    assert df["close_price"].tolist() == [k.close_price for k in klines]
    assert max(df["high_price"]) == max(k.high_price for k in klines)


# -- nothing blocks the notebook's event loop ----------------------------------------------


def test_streaming_leaves_a_running_event_loop_free() -> None:
    """Jupyter runs cells inside an asyncio loop: starting a manager,
    subscribing, reading ``latest()`` and stopping all return at once, and
    the loop keeps turning while events arrive on cryptoex's threads."""

    async def cell(fb: FakeBinance) -> tuple[int, Any]:
        sm = cryptoex.StreamManager(ws_url=fb.ws_url)
        sm.subscribe("trade", "BTCUSDT")
        turns = 0
        try:
            sm.start()  # returns at once: the socket opens on its own thread
            deadline = time.monotonic() + LONG_TIMEOUT
            while sm.latest("trade", "BTCUSDT") is None and time.monotonic() < deadline:
                await asyncio.sleep(0.005)  # the loop must keep running meanwhile
                turns += 1
            return turns, sm.latest("trade", "BTCUSDT")
        finally:
            sm.stop()

    with FakeBinance(seed=1, symbols=["BTCUSDT"], message_rate=50) as fb:
        turns, latest = asyncio.run(cell(fb))
    assert isinstance(latest, cryptoex.Trade)
    assert turns >= 1  # the coroutine was resumed while the stream connected
