"""``cryptoex.run_forever()`` in a real script: Ctrl-C (SIGINT) stops it
cleanly, with every thread joined and exit status 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import LONG_TIMEOUT

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import sys, threading
    import cryptoex

    cryptoex.configure(ws_url=sys.argv[1])

    @cryptoex.on_trade("BTCUSDT")
    def first(trade):
        if not getattr(first, "done", False):
            first.done = True
            print("ready", trade.symbol, flush=True)

    cryptoex.run_forever()
    alive = [t.name for t in threading.enumerate() if t.name.startswith("cryptoex")]
    print("stopped", cryptoex.default_manager().state, alive, flush=True)
    """
)


def read_line(stream: Any, timeout: float) -> str:
    """One line from a pipe, waiting at most *timeout* (no sleeping)."""
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return box[0] if box else ""


@pytest.mark.skipif(os.name != "posix", reason="SIGINT delivery to a child is POSIX-only")
def test_sigint_stops_run_forever_cleanly(fakes: Callable[..., Any]) -> None:
    fake = fakes()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("BINANCE_TESTNET", None)
    child = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, fake.ws_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        line = read_line(child.stdout, LONG_TIMEOUT)
        assert line.startswith("ready BTCUSDT"), line
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=LONG_TIMEOUT)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 0, err
    assert "stopped stopped []" in out
    assert "Traceback" not in err
    assert "KeyboardInterrupt" not in err
