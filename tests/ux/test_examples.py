"""Every example runs, as a user runs it, against the sandbox
(``CRYPTOEX_SANDBOX=1``), in a subprocess: an example that breaks fails CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import LONG_TIMEOUT
from tests.ux.conftest import ROOT

EXAMPLES = ROOT / "examples"

#: script -> (extra arguments, text its output must contain).
SCRIPTS: dict[str, tuple[list[str], list[str]]] = {
    "ticker_callbacks.py": ([], ["BTCUSDT  last", "ETHUSDT  last", "stopped: every"]),
    "many_symbols.py": ([], ["PEPEUSDT", "cryptoex-ws-0: 5 streams", "receive lag p50"]),
    "klines_to_csv.py": (["ETHUSDT", "eth.csv"], ["wrote 168 hourly klines of ETHUSDT"]),
    "place_and_cancel.py": (
        [],
        [
            "refused (price off the tick grid): field=price filter=PRICE_FILTER",
            "refused (quantity off the step grid): field=quantity filter=LOT_SIZE",
            "refused (order worth too little): field=quantity filter=NOTIONAL",
            "refused (LIMIT without a price): field=price",
            ": NEW BUY",
            ": CANCELED",
            "cancel again: OrderNotFoundError (code -2011)",
            "too big: InsufficientBalanceError (code -2010)",
        ],
    ),
    "order_book.py": ([], ["BTCUSDT: ", "price levels, spread", "top-10 bids hold"]),
    "user_data.py": (
        [],
        [
            "me: order 1 BUY LIMIT NEW -> NEW",
            "me: order 1 BUY LIMIT CANCELED -> CANCELED",
            "BUY MARKET TRADE -> FILLED",
            "SELL MARKET TRADE -> FILLED",
            "me: USDT ",
            "done: the manager stopped",
        ],
    ),
    "bulk_queries.py": ([], ["BTCUSDT    last", "requests in", "RateLimitError, retry after"]),
    "background_web_app.py": (["--once"], ['"BTCUSDT": "', "GET http://127.0.0.1:"]),
}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(CRYPTOEX_SANDBOX="1", PYTHONUNBUFFERED="1")
    env.pop("BINANCE_TESTNET", None)
    return env


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=LONG_TIMEOUT * 6,
    )


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_example_runs_against_the_sandbox(script: str, tmp_path: Path) -> None:
    args, expected = SCRIPTS[script]
    done = _run([str(EXAMPLES / script), *args], cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    for text in expected:
        assert text in done.stdout, f"{script}: {text!r} not in:\n{done.stdout}"


def test_klines_csv_is_exact(tmp_path: Path) -> None:
    done = _run([str(EXAMPLES / "klines_to_csv.py"), "BTCUSDT", "out.csv"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "open_time,open_price,high_price,low_price,close_price,volume"
    assert len(rows) == 169
    # Prices as the exchange sent them: fixed-point strings, no float noise.
    assert all(len(cell.split(".")[1]) == 8 for cell in rows[1].split(",")[1:])


@pytest.mark.parametrize("script", ["place_and_cancel.py", "user_data.py"])
def test_trading_examples_refuse_the_live_exchange(script: str, tmp_path: Path) -> None:
    env = _env()
    env.pop("CRYPTOEX_SANDBOX")
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=LONG_TIMEOUT,
    )
    assert done.returncode == 1
    assert "run it with CRYPTOEX_SANDBOX=1 or BINANCE_TESTNET=1" in done.stderr


def test_fixture_example_passes_under_pytest() -> None:
    done = _run(
        [
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(EXAMPLES / "test_with_fake_binance.py"),
        ],
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout


def test_notebook_cells_run_in_order(tmp_path: Path) -> None:
    notebook = EXAMPLES / "explore_markets.ipynb"
    done = _run([str(ROOT / "tests" / "ux" / "run_notebook.py"), str(notebook)], cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "--- cell 2: ModelList" in out
    assert "<caption>4 x SymbolInfo</caption>" in out  # a list of models as one table
    assert "<caption>Ticker</caption>" in out
    assert "--- cell 5: DataFrame" in out
    assert "exact range:" in out


def test_every_example_is_run_by_a_test() -> None:
    covered = {*SCRIPTS, "_sandbox.py", "test_with_fake_binance.py", "explore_markets.ipynb"}
    present = {p.name for p in EXAMPLES.iterdir() if p.suffix in (".py", ".ipynb")}
    assert present == covered, "add the new example to tests/ux/test_examples.py"
