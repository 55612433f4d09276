"""``python -m cryptoex demo``: live streaming and trading against the
in-process sandbox, plain lines when piped, a table redrawn in place on a
terminal, a clean end by itself or on Ctrl-C."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

import cryptoex
from cryptoex import demo
from cryptoex.cli import CommandError
from tests.helpers import LONG_TIMEOUT


class Output(io.StringIO):
    """A text stream tests can wait on."""

    def __init__(self, tty: bool = False) -> None:
        super().__init__()
        self._tty = tty
        self._cond = threading.Condition()

    def isatty(self) -> bool:
        return self._tty

    def write(self, text: str) -> int:
        with self._cond:
            n = super().write(text)
            self._cond.notify_all()
        return n

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = LONG_TIMEOUT) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self.getvalue()), timeout)


def run_until(predicate: Callable[[str], bool], **options: Any) -> tuple[int, str, bool]:
    """Run the demo (long duration) on a thread and stop it once the output
    satisfies *predicate*; returns (exit code, output, whether it did)."""
    out = Output(tty=bool(options.pop("tty", False)))
    stop = threading.Event()
    result: list[int] = []
    runner = threading.Thread(
        target=lambda: result.append(
            demo.run(duration=120, out=out, stop=stop, pause=0.05, **options)
        ),
        name="test-demo",
    )
    runner.start()
    try:
        seen = out.wait_for(predicate)
    finally:
        stop.set()
        runner.join(LONG_TIMEOUT)
    assert not runner.is_alive()
    return result[0], out.getvalue(), seen


def test_demo_streams_and_trades_in_plain_lines() -> None:
    def everything(text: str) -> bool:
        return all(
            part in text
            for part in (
                "-> CANCELED",  # placed, filled and cancelled over REST
                "LIMIT: CANCELED -> CANCELED",  # ... and reported by the user-data stream
                "MARKET: TRADE -> FILLED",
                "local book: the bid at",  # the resting order seen in the local book
            )
        )

    code, out, seen = run_until(everything, live=False)
    assert seen, out
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("cryptoex demo: a local FakeBinance on http://127.0.0.1:")
    assert "(no network, no keys)" in lines[0]
    # Market data from decorator callbacks, every default symbol.
    for symbol in demo.DEFAULT_SYMBOLS:
        assert re.search(rf"market {symbol}\s+last\s+\d", out), symbol
    # Trading with a UserClient: resting, filled, refused locally, cancelled.
    assert re.search(r"you\s+BUY LIMIT \S+ BTCUSDT @ [\d.]+ -> NEW \(order \d+\)", out)
    assert re.search(r"you\s+BUY MARKET \S+ BTCUSDT -> FILLED .*fill\(s\) avg", out)
    assert "refused before sending (nothing sent): price=" in out
    assert "PRICE_FILTER" in out
    assert re.search(r"you\s+SELL MARKET \S+ BTCUSDT -> FILLED", out)
    assert re.search(r"cancel order \d+ BTCUSDT -> CANCELED", out)
    # The user-data stream reports every order change and the balances.
    assert re.search(r"user\s+order \d+ BTCUSDT BUY LIMIT: NEW -> NEW", out)
    assert re.search(r"user\s+order \d+ BTCUSDT BUY MARKET: TRADE -> FILLED [\d.]+ @ ", out)
    assert re.search(r"user\s+order \d+ BTCUSDT BUY LIMIT: CANCELED -> CANCELED", out)
    assert re.search(r"user\s+balances now (\w+ [\d.]+)", out)
    assert re.search(r"user data: [1-9]\d* order updates, [1-9]\d* balance updates", out)
    # The local order books: the resting order shows in one, all are summarised.
    assert re.search(r"book\s+\w+ local book: the bid at [\d.]+ holds [\d.]+ \(your ", out)
    for symbol in demo.DEFAULT_SYMBOLS:
        assert re.search(rf"local book {symbol}: (not )?in sync at update id \d+", out), symbol
    # The end: a summary, then the promise that everything stopped.
    assert "Summary after" in out
    assert re.search(r"trade: \d+ messages on 3 streams, receive lag p50", out)
    assert re.search(r"orders: [1-9]\d* placed, [1-9]\d* cancelled, [1-9]\d* refused", out)
    assert "balances: " in out
    assert lines[-2] == "Done: the manager and the sandbox stopped, every thread joined."
    assert "\x1b[" not in out  # no cursor movement in a pipe


def test_demo_redraws_a_table_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm")
    code, out, seen = run_until(lambda text: "-> FILLED" in text, tty=True)
    assert seen
    assert code == 0
    assert "\x1b[" in out
    assert "F\x1b[J" in out
    assert "MARKET" in out
    assert "UPDATES" in out
    frames = out.split("\x1b[J")
    assert len(frames) > 2
    last = frames[-1]
    for symbol in demo.DEFAULT_SYMBOLS:
        assert re.search(rf"^{symbol}\s+\d", last, re.MULTILINE), symbol
    assert "Summary after" in last


def test_demo_symbols_option_and_other_markets() -> None:
    code, out, seen = run_until(
        lambda text: "ETHBTC" in text and "-> FILLED" in text,
        symbols=["ethbtc", "PEPEUSDT"],
        live=False,
    )
    assert seen, out
    assert code == 0
    assert "markets ETHBTC, PEPEUSDT" in out
    assert "market BTCUSDT" not in out


def test_demo_refuses_unknown_markets() -> None:
    with pytest.raises(CommandError, match="no market XRPUSDT; choose from BTCUSDT"):
        demo.run(duration=1, symbols=["XRPUSDT"], out=io.StringIO())
    with pytest.raises(CommandError, match="none given"):
        demo.run(duration=1, symbols=[" "], out=io.StringIO())


def test_demo_ends_by_itself() -> None:
    out = Output()
    assert demo.run(duration=0.5, out=out) == 0
    text = out.getvalue()
    assert "Summary after" in text
    assert "Done: the manager and the sandbox stopped, every thread joined." in text


def test_board_and_trader_report_errors_without_stopping() -> None:
    board = demo.Board(["BTCUSDT"])

    class Broken:
        def symbol_info(self, symbol: str) -> None:
            raise cryptoex.NetworkError("connection refused")

    trader = demo.Trader(Broken(), board, ["BTCUSDT"], pause=0.01)  # type: ignore[arg-type]
    trader._do(trader._buy_limit, "BTCUSDT")
    assert board.counts["errors"] == 1
    assert "error  BTCUSDT: NetworkError: connection refused" in board.take_pending()[0]
    assert board.mid("BTCUSDT") is None
    trader.stop()  # never started: nothing to join


def test_fills_summary() -> None:
    fill = cryptoex.Fill(
        symbol="BTCUSDT",
        order_id=1,
        trade_id=1,
        price=Decimal("100.00"),
        quantity=Decimal("2"),
        commission=Decimal("0.002"),
        commission_asset="BTC",
    )
    second = cryptoex.Fill(
        symbol="BTCUSDT",
        order_id=1,
        trade_id=2,
        price=Decimal("101.00"),
        quantity=Decimal("2"),
        commission=Decimal("0.002"),
        commission_asset="BTC",
    )
    order = cryptoex.Order(symbol="BTCUSDT", order_id=1, client_order_id="x", fills=(fill, second))
    assert demo._fills(order) == ", 2 fill(s) avg 100.50, fee 0.004 BTC"
    assert demo._fills(cryptoex.Order(symbol="BTCUSDT", order_id=1, client_order_id="x")) == ""


# -- as a new user runs it ---------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def test_python_m_cryptoex_demo_piped(python: str) -> None:
    done = subprocess.run(
        [python, "-m", "cryptoex", "demo", "--duration", "2"],
        capture_output=True,
        text=True,
        timeout=LONG_TIMEOUT * 3,
        env=_env(),
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.startswith("cryptoex demo: a local FakeBinance")
    assert "Summary after" in done.stdout
    assert "every thread joined" in done.stdout


def test_ctrl_c_stops_the_demo_cleanly(python: str) -> None:
    proc = subprocess.Popen(
        [python, "-m", "cryptoex", "demo", "--duration", "120"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if " you " in f" {line}" or "] you " in line:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=LONG_TIMEOUT * 2)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "Summary after" in out
    assert "Interrupted (Ctrl-C): the manager and the sandbox stopped, every thread joined." in out
