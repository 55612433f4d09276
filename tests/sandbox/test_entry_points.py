"""``python -m cryptoex.testing`` and the ``fake_binance`` fixture through the installed
``pytest11`` entry point (in a separate project), both in subprocesses."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests

from tests.helpers import LONG_TIMEOUT, wait_until

ROOT = Path(__file__).resolve().parents[2]


def test_module_prints_its_urls_and_stops_cleanly() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "cryptoex.testing", "--seed", "5", "--symbols", "BTCUSDT,ETHUSDT"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Markets:"):
                break
        text = "\n".join(lines)
        rest_url = re.search(r"REST:\s+(http://127\.0\.0\.1:\d+)", text)
        assert rest_url, text
        assert re.search(r"Streams:\s+ws://127\.0\.0\.1:\d+", text)
        assert re.search(r"WebSocket API:\s+ws://127\.0\.0\.1:\d+/ws-api/v3", text)
        assert re.search(r"API key:\s+[A-Za-z0-9]{64}", text)
        assert re.search(r"API secret:\s+[A-Za-z0-9]{64}", text)
        assert "BTCUSDT, ETHUSDT" in text
        info = requests.get(rest_url.group(1) + "/api/v3/exchangeInfo", timeout=LONG_TIMEOUT).json()
        assert [s["symbol"] for s in info["symbols"]] == ["BTCUSDT", "ETHUSDT"]
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=LONG_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "FakeBinance stopped" in out
    assert "Traceback" not in err


def test_module_stops_on_sigterm_and_rejects_bad_arguments() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "cryptoex.testing"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("Markets:"):
                break
        process.terminate()
        out, _ = process.communicate(timeout=LONG_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert "FakeBinance stopped" in out
    bad = subprocess.run(
        [sys.executable, "-m", "cryptoex.testing", "--symbols", "DOGEUSDT"],
        capture_output=True,
        text=True,
        timeout=LONG_TIMEOUT,
        cwd=ROOT,
    )
    assert bad.returncode == 2
    assert "DOGEUSDT" in bad.stderr


def test_fixture_works_in_a_separate_project(tmp_path: Path) -> None:
    (tmp_path / "test_users_code.py").write_text(
        textwrap.dedent(
            """
            import pytest
            import requests


            def test_ping(fake_binance):
                assert requests.get(fake_binance.rest_url + "/api/v3/ping", timeout=10).json() == {}
                assert fake_binance.ws_url.startswith("ws://127.0.0.1:")


            @pytest.mark.fake_binance(symbols=["ETHBTC"], message_rate=0)
            def test_marker_options(fake_binance):
                url = fake_binance.rest_url + "/api/v3/exchangeInfo"
                info = requests.get(url, timeout=10).json()
                assert [s["symbol"] for s in info["symbols"]] == ["ETHBTC"]
                assert fake_binance.message_rate == 0
            """
        ),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--strict-markers",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_imports_stay_cheap() -> None:
    code = (
        "import sys, cryptoex.testing, cryptoex.testing.pytest_plugin; "
        "print('websockets' in sys.modules, 'cryptoex.testing._ws' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=LONG_TIMEOUT, cwd=ROOT
    )
    assert result.stdout.split() == ["False", "False"], result.stderr


def test_sandbox_never_imports_the_client() -> None:
    """The sandbox is an independent implementation (a shared bug would pass every test)."""
    forbidden = re.compile(r"^\s*(from|import)\s+cryptoex\.(?!testing\b)", re.MULTILINE)
    for path in (ROOT / "cryptoex" / "testing").glob("*.py"):
        assert not forbidden.search(path.read_text(encoding="utf-8")), path


def test_main_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    import threading

    from cryptoex.testing.__main__ import main

    def interrupt_once_running() -> None:
        wait_until(lambda: any(t.name == "fakebinance-market" for t in threading.enumerate()))
        os.kill(os.getpid(), signal.SIGTERM)

    helper = threading.Thread(target=interrupt_once_running)
    helper.start()
    assert main(["--message-rate", "0", "--symbols", "pepeusdt"]) == 0
    helper.join()
    out = capsys.readouterr().out
    assert "PEPEUSDT" in out
    assert out.rstrip().endswith("FakeBinance stopped")
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_main_in_process_stops_on_an_early_sigint(capsys: pytest.CaptureFixture[str]) -> None:
    """SIGINT as soon as the servers run (before the wait loop) stops cleanly
    and the previous handlers come back."""
    import threading

    from cryptoex.testing.__main__ import main

    def interrupt_once_running() -> None:
        wait_until(lambda: any(t.name == "fakebinance-market" for t in threading.enumerate()))
        os.kill(os.getpid(), signal.SIGINT)

    before = signal.getsignal(signal.SIGINT)
    helper = threading.Thread(target=interrupt_once_running)
    helper.start()
    assert main(["--message-rate", "0", "--symbols", "btcusdt"]) == 0
    helper.join()
    assert capsys.readouterr().out.rstrip().endswith("FakeBinance stopped")
    assert signal.getsignal(signal.SIGINT) is before
