"""The documentation's promises: every public name has an API entry, and the
code a new user copies from the README and the quickstart runs as shown."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import cryptoex
import cryptoex.testing
from tests.helpers import LONG_TIMEOUT
from tests.ux.conftest import ROOT

DOCS = ROOT / "docs"


def _documented(*pages: str) -> set[str]:
    names: set[str] = set()
    for page in pages:
        text = (DOCS / page).read_text(encoding="utf-8")
        names.update(re.findall(r"^\.\. (?:auto\w+|py:\w+):: ([\w.]+)", text, re.MULTILINE))
    return names


def test_every_public_name_is_in_the_api_reference() -> None:
    documented = _documented("api.rst")
    missing = [n for n in cryptoex.__all__ if f"cryptoex.{n}" not in documented]
    assert not missing, f"add to docs/api.rst: {missing}"


def test_every_testing_name_is_documented() -> None:
    documented = _documented("api.rst", "sandbox.rst")
    missing = [n for n in cryptoex.testing.__all__ if f"cryptoex.testing.{n}" not in documented]
    assert not missing, f"add to docs/api.rst or docs/sandbox.rst: {missing}"


def _python_blocks(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:(?:   .*)?\n)+)", text)
    return ["\n".join(line[3:] for line in b.splitlines()) for b in blocks]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _run_until_ctrl_c(code: str, tmp_path: Path, lines: int) -> tuple[list[str], str, int]:
    """Run *code* as a user's script, read *lines* lines, then press Ctrl-C."""
    script = tmp_path / "first.py"
    script.write_text(code, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=_env(),
    )
    assert proc.stdout is not None
    seen = [proc.stdout.readline() for _ in range(lines)]
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=LONG_TIMEOUT)
    return seen, err, proc.returncode


@pytest.mark.parametrize("page", ["README.rst", "docs/quickstart.rst"])
def test_first_script_streams_and_stops_on_ctrl_c(page: str, tmp_path: Path) -> None:
    code = next(b for b in _python_blocks(ROOT / page) if "on_ticker" in b)
    seen, err, returncode = _run_until_ctrl_c(code, tmp_path, lines=2)
    assert returncode == 0, err
    assert "Traceback" not in err
    for line in seen:
        symbol, price, change = line.split()
        assert symbol in ("BTCUSDT", "ETHUSDT")
        assert re.fullmatch(r"\d+\.\d+", price)
        assert re.fullmatch(r"[+-]\d+\.\d+%", change)


def test_quickstart_trading_script_runs(tmp_path: Path) -> None:
    code = next(b for b in _python_blocks(DOCS / "quickstart.rst") if "place_order" in b)
    script = tmp_path / "trade.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_env(),
        timeout=LONG_TIMEOUT * 3,
    )
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first.startswith("NEW ")
    assert "cx-" in first  # the generated client order id
    assert second == "CANCELED"
