"""Terminal output: readable lines for every stream kind and user-data event
(from Binance's published payloads), JSON lines, numbers, and the in-place
redraw."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

import cryptoex
from cryptoex import _console
from cryptoex.exchanges.binance import parse
from tests.helpers import load_fixture

STREAM_FIXTURES = {
    "ticker": "ws/ticker.json",
    "mini_ticker": "ws/miniTicker.json",
    "book_ticker": "ws/bookTicker.json",
    "trade": "ws/trade.json",
    "agg_trade": "ws/aggTrade.json",
    "kline": "ws/kline.json",
    "depth": "ws/depth_partial.json",
    "depth_update": "ws/depthUpdate.json",
}


def _stream_model(kind: str) -> object:
    payload = load_fixture(STREAM_FIXTURES[kind])
    return parse.STREAM_PARSERS[kind](payload, "BNBBTC")


@pytest.mark.parametrize("kind", sorted(STREAM_FIXTURES))
def test_every_stream_kind_has_a_readable_line(kind: str) -> None:
    model = _stream_model(kind)
    line = _console.describe(kind, model)
    assert model.symbol in line  # type: ignore[attr-defined]
    assert "Decimal(" not in line
    assert "datetime" not in line
    assert "\n" not in line


def test_lines_show_the_fields_that_matter() -> None:
    assert "last" in _console.describe("ticker", _stream_model("ticker"))
    trade = _console.describe("trade", _stream_model("trade"))
    assert "100 @ 0.001" in trade.replace("  ", " ")
    assert "trade 12345" in trade
    kline = _console.describe("kline", _stream_model("kline"))
    assert " 1m " in kline
    assert "(open)" in kline or "(closed)" in kline
    depth = _console.describe("depth", _stream_model("depth"))
    assert "best bid 10 @ 0.0024" in depth
    update = _console.describe("depth_update", _stream_model("depth_update"))
    assert "updates 157-160" in update


def test_user_data_lines() -> None:
    report = parse.parse_execution_report(
        load_fixture("user-data/executionReport.json")["event"], "alice"
    )
    line = _console.describe("order_update", report)
    assert "alice" in line
    assert "ETHBTC BUY LIMIT 1.00 @ 0.1026441" in line
    assert "NEW -> NEW" in line
    assert f"(order {report.order_id})" in line
    balance = parse.parse_balance_update(
        load_fixture("user-data/balanceUpdate.json")["event"], "alice"
    )
    assert f"{balance.asset} {_console.num(balance.delta)}" in _console.describe(
        "balance_update", balance
    )
    account = parse.parse_account_update(
        load_fixture("user-data/outboundAccountPosition.json")["event"], "alice"
    )
    assert "balances: " in _console.describe("account_update", account)


def test_filled_order_update_shows_the_fill() -> None:
    report = parse.parse_execution_report(
        load_fixture("user-data/executionReport.json")["event"], "bob"
    )
    filled = report.__class__.from_dict(
        {**report.to_dict(), "last_filled_quantity": "0.5", "last_filled_price": "0.1"}
    )
    assert "filled 0.50 @ 0.10" in _console.describe("order_update", filled)


def test_unknown_kind_falls_back_to_repr() -> None:
    balance = cryptoex.Balance(asset="BTC", free=Decimal(1), locked=Decimal(0))
    assert _console.describe("something", balance) == repr(balance)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("64996.00000000"), "64996.00"),
        (Decimal("0.21533000"), "0.21533"),
        (Decimal("1E-7"), "0.0000001"),
        (Decimal("100"), "100"),
        (Decimal("-0.50"), "-0.50"),
        (None, "-"),
    ],
)
def test_num(value: Decimal | None, shown: str) -> None:
    assert _console.num(value) == shown


def test_json_line_round_trips() -> None:
    trade = _stream_model("trade")
    line = _console.json_line(trade)  # type: ignore[arg-type]
    assert "\n" not in line
    assert '"price":"0.001"' in line
    assert cryptoex.Trade.from_json(line) == trade


def test_screen_redraws_in_place_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    screen = _console.Screen(out, live=True)
    screen.frame(["a", "b"])
    screen.frame(["c"])
    screen.line("end")
    screen.frame(["d"])
    assert out.getvalue() == "a\nb\n\x1b[2F\x1b[Jc\nend\nd\n"
    piped = io.StringIO()
    plain = _console.Screen(piped)
    assert not plain.live
    plain.frame(["ignored"])
    assert piped.getvalue() == ""

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("TERM", "xterm")
    assert _console.is_terminal(Tty())
    monkeypatch.setenv("TERM", "dumb")
    assert not _console.is_terminal(Tty())
    closed = io.StringIO()
    closed.close()
    assert not _console.is_terminal(closed)
    assert not _console.is_terminal(object())  # type: ignore[arg-type]


def test_python_m_cryptoex_entry_point(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import cryptoex.__main__ as entry

    monkeypatch.setattr("sys.argv", ["cryptoex"])
    assert entry.main() == 2  # no command: help and the demo hint
    assert "python -m cryptoex demo" in capsys.readouterr().out
