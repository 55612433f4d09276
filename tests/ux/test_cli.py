"""The ``cryptoex`` command line against FakeBinance over loopback: stream
commands end by themselves, print readable lines or JSON, point where they
are told, refuse keys on the command line, and stop cleanly."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import cryptoex
from cryptoex import cli
from cryptoex.models._base import Model
from cryptoex.testing import FakeBinance
from tests.helpers import LONG_TIMEOUT, wait_until

MODELS: dict[str, type[Model]] = {
    "ticker": cryptoex.Ticker,
    "mini_ticker": cryptoex.MiniTicker,
    "book_ticker": cryptoex.BookTicker,
    "trade": cryptoex.Trade,
    "agg_trade": cryptoex.AggTrade,
    "kline": cryptoex.Kline,
    "depth": cryptoex.PartialDepth,
    "depth_update": cryptoex.DepthUpdate,
}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_stream_json_lines_read_back_as_models(fake_binance: FakeBinance, kind: str) -> None:
    extra = ["--interval", "1s"] if kind == "kline" else []
    code, out, err = run(
        "stream", kind, "btcusdt", "--ws-url", fake_binance.ws_url, "--json", "--count", "2",
        *extra,
    )  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 2
    for line in lines:
        model = MODELS[kind].from_json(line)
        assert model.symbol == "BTCUSDT"  # type: ignore[attr-defined]
        assert json.loads(line)["symbol"] == "BTCUSDT"
    assert "cryptoex: connected (cryptoex-ws-" in err


def test_stream_readable_lines(fake_binance: FakeBinance) -> None:
    code, out, err = run(
        "stream", "ticker", "BTCUSDT", "ETHUSDT", "--ws-url", fake_binance.ws_url, "--count", "4"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 4
    assert {line.split()[1] for line in lines} == {"BTCUSDT", "ETHUSDT"}
    assert all(" last " in line and " bid " in line and "24h" in line for line in lines)
    assert "streaming ticker of BTCUSDT, ETHUSDT from ws://127.0.0.1" in err


def test_stream_kinds_accept_hyphens_and_depth_options(fake_binance: FakeBinance) -> None:
    code, out, err = run(
        "stream", "depth", "BTCUSDT", "--levels", "5", "--fast", "--ws-url", fake_binance.ws_url,
        "--count", "1", "--json", "-q",
    )  # fmt: skip
    assert code == 0
    depth = cryptoex.PartialDepth.from_json(out)
    assert len(depth.bids) == 5
    assert err == ""  # --quiet
    code, out, _ = run(
        "stream", "mini-ticker", "BTCUSDT", "--ws-url", fake_binance.ws_url, "--count", "1"
    )
    assert code == 0
    assert " open " in out


@pytest.mark.fake_binance(message_rate=0)
def test_stream_duration_ends_a_quiet_stream(fake_binance: FakeBinance) -> None:
    code, out, err = run(
        "stream", "trade", "BTCUSDT", "--ws-url", fake_binance.ws_url, "--duration", "0.5"
    )
    assert code == 0
    assert out == ""
    assert "disconnected" not in err  # its own stop is not news


def test_stream_sandbox_option_runs_its_own_exchange() -> None:
    code, out, err = run("stream", "trade", "BTCUSDT", "--sandbox", "--count", "3")
    assert code == 0, err
    assert len(out.splitlines()) == 3
    assert "the local sandbox (http://127.0.0.1:" in err


def test_sandbox_excludes_other_targets() -> None:
    code, _, err = run("stream", "trade", "BTCUSDT", "--sandbox", "--testnet", "--count", "1")
    assert code == 1
    assert "--sandbox picks its own URLs" in err


def test_unreachable_exchange_is_reported_on_stderr() -> None:
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, out, err = run(
        "stream", "ticker", "BTCUSDT", "--ws-url", f"ws://127.0.0.1:{port}", "--duration", "1.5"
    )
    assert code == 0
    assert out == ""
    assert "WARNING" in err
    assert "connection attempt failed" in err


def test_status_hints_at_the_sandbox_when_nothing_connects() -> None:
    err = io.StringIO()
    manager = cryptoex.StreamManager()
    with cli.Status(manager, err, quiet=False):
        cryptoex.signals.reconnecting.send(manager, connection="c", attempt=1, delay=1.0)
        assert "offline?" not in err.getvalue()
        cryptoex.signals.reconnecting.send(manager, connection="c", attempt=2, delay=2.0)
        cryptoex.signals.reconnecting.send(manager, connection="c", attempt=3, delay=4.0)
        cryptoex.signals.disconnected.send(manager, connection="c", reason="reset")
    assert err.getvalue().count("offline? try --sandbox") == 1
    assert "disconnected (c): reset" in err.getvalue()
    # Receivers are removed afterwards.
    cryptoex.signals.disconnected.send(manager, connection="c", reason="later")
    assert "later" not in err.getvalue()


def test_feed_counts_what_it_drops() -> None:
    feed = cli.Feed(size=2)
    receive = feed.callback("trade")
    for i in range(5):
        receive(i)
    assert feed.dropped == 3
    assert feed.get(0.01) == ("trade", 0)
    assert feed.get(0.01) == ("trade", 1)
    assert feed.get(0.01) is None


def test_book_json_lines_are_consistent_snapshots(fake_binance: FakeBinance) -> None:
    code, out, err = run(
        "book", "btcusdt", "--ws-url", fake_binance.ws_url, "--rest-url", fake_binance.rest_url,
        "--json", "--count", "3", "--depth", "4",
    )  # fmt: skip
    assert code == 0, err
    views = [cryptoex.PartialDepth.from_json(line) for line in out.splitlines()]
    assert len(views) == 3
    for view in views:
        assert view.symbol == "BTCUSDT"
        assert len(view.bids) == 4
        assert len(view.asks) == 4
        assert view.bids[0].price < view.asks[0].price  # never crossed
        assert [b.price for b in view.bids] == sorted((b.price for b in view.bids), reverse=True)
    assert [v.last_update_id for v in views] == sorted({v.last_update_id for v in views})
    assert "keeping the BTCUSDT order book from ws://127.0.0.1" in err


def test_book_lines_and_terminal_table(
    fake_binance: FakeBinance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERM", "xterm")
    urls = ["--ws-url", fake_binance.ws_url, "--rest-url", fake_binance.rest_url]
    code, out, _ = run("book", "ETHUSDT", *urls, "--count", "2", "-q")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2
    assert all("ETHUSDT" in line and "spread" in line and "(in sync)" in line for line in lines)

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    assert cli.main(["book", "ETHUSDT", *urls, "--count", "2", "--depth", "3", "-q"], out=tty) == 0
    frames = tty.getvalue().split("\x1b[J")
    assert len(frames) == 2  # drawn, then redrawn in place
    last = frames[-1].splitlines()
    assert last[0].startswith("ETHUSDT local order book from ws://127.0.0.1")
    assert "in sync, update id" in last[0]
    assert len(last) == 2 + 3 + 1  # title, header, 3 levels, spread line
    assert last[-1].startswith("spread ")


def test_keys_on_the_command_line_are_refused_without_echo(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for flag in ("--api-key", "--api-secret=", "--secret"):
        code, out, err = run("account", f"{flag}s3cr3tvalue" if "=" in flag else flag, "s3cr3t")
        assert code == 2
        assert "environment only" in err
        assert "s3cr3t" not in err + out + "".join(capsys.readouterr())


def test_account_reads_keys_from_the_environment(
    fake_binance: FakeBinance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BINANCE_API_KEY", fake_binance.api_key)
    monkeypatch.setenv("BINANCE_API_SECRET", fake_binance.api_secret)
    monkeypatch.delenv("BINANCE_TESTNET", raising=False)
    with cryptoex.UserClient(
        fake_binance.api_key, fake_binance.api_secret, rest_url=fake_binance.rest_url
    ) as client:
        order = client.place_order(
            "BTCUSDT", side="BUY", type="LIMIT", quantity="0.001", price="50000"
        )
    code, out, err = run("account", "--rest-url", fake_binance.rest_url)
    assert code == 0, err
    assert "USDT" in out
    assert "1 open order(s)" in out
    assert f"order {order.order_id}" in out
    assert fake_binance.api_secret not in out + err
    assert fake_binance.api_key not in out + err  # shown masked only
    code, out, _ = run("account", "--rest-url", fake_binance.rest_url, "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert {"asset": "BTC", "free": "1.00000000", "locked": "0.00000000"} in rows
    assert cryptoex.Order.from_dict(rows[-1]).order_id == order.order_id


class Waitable(io.StringIO):
    """A text stream a test can wait on."""

    def __init__(self) -> None:
        super().__init__()
        self._cond = threading.Condition()

    def write(self, text: str) -> int:
        with self._cond:
            n = super().write(text)
            self._cond.notify_all()
        return n

    def wait_for(self, text: str) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: text in self.getvalue(), LONG_TIMEOUT)


@pytest.mark.parametrize("as_json", [True, False])
def test_user_prints_the_accounts_events(
    fake_binance: FakeBinance, monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    monkeypatch.setenv("BINANCE_API_KEY", fake_binance.api_key)
    monkeypatch.setenv("BINANCE_API_SECRET", fake_binance.api_secret)
    monkeypatch.delenv("BINANCE_TESTNET", raising=False)
    urls = ["--rest-url", fake_binance.rest_url, "--ws-api-url", fake_binance.ws_api_url]
    out, err = Waitable(), Waitable()
    codes: list[int] = []
    argv = ["user", *urls, "--count", "2", *(["--json"] if as_json else [])]
    runner = threading.Thread(
        target=lambda: codes.append(cli.main(argv, out=out, err=err)), name="test-cli-user"
    )
    runner.start()
    try:
        assert err.wait_for("cryptoex: user data of "), err.getvalue()
        with cryptoex.UserClient(
            fake_binance.api_key, fake_binance.api_secret, rest_url=fake_binance.rest_url
        ) as client:
            order = client.place_order(
                "BTCUSDT", side="BUY", type="LIMIT", quantity="0.001", price="50000"
            )
    finally:
        runner.join(LONG_TIMEOUT)
    assert not runner.is_alive()
    assert codes == [0], err.getvalue()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    if as_json:
        events = [json.loads(line) for line in lines]
        kinds = {e["event"] for e in events}
        assert kinds == {"order_update", "account_update"}
        update = next(e for e in events if e["event"] == "order_update")
        parsed = cryptoex.OrderUpdate.from_dict(update)
        assert parsed.order_id == order.order_id
        assert parsed.status == "NEW"
    else:
        text = out.getvalue()
        assert f"BTCUSDT BUY LIMIT 0.001 @ 50000.00  NEW -> NEW  (order {order.order_id})" in text
        assert "balances: " in text
    assert fake_binance.api_secret not in out.getvalue() + err.getvalue()


def test_user_without_keys_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BINANCE_API_KEY", raising=False)
    code, _, err = run("user")
    assert code == 2
    assert "BINANCE_API_KEY" in err


def test_account_without_keys_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BINANCE_API_KEY", raising=False)
    monkeypatch.delenv("BINANCE_API_SECRET", raising=False)
    code, _, err = run("account")
    assert code == 2
    assert "BINANCE_API_KEY" in err
    assert "--sandbox" in err


def test_account_sandbox() -> None:
    code, out, err = run("account", "--sandbox")
    assert code == 0, err
    assert "0 open order(s)" in out
    assert "USDT" in out


def test_no_command_prints_help_and_the_demo_hint() -> None:
    code, out, _ = run()
    assert code == 2
    assert "demo" in out
    assert "New here? Run: python -m cryptoex demo" in out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["stream", "nonsense", "BTCUSDT"]) == 2
    assert "unknown stream kind 'nonsense'" in capsys.readouterr().err
    assert cli.main(["stream", "ticker", "BTCUSDT", "--count", "0"]) == 2
    assert cli.main(["stream", "ticker", "BTCUSDT", "--duration", "-1"]) == 2
    assert cli.main(["stream", "ticker", "BTCUSDT", "--duration", "soon"]) == 2
    assert cli.main(["stream", "ticker", "BTCUSDT", "--count", "many"]) == 2
    assert cli.main(["--version"]) == 0
    assert cryptoex.__version__ in capsys.readouterr().out


def test_cli_leaves_logging_as_it_was(fake_binance: FakeBinance) -> None:
    import logging

    logger = logging.getLogger("cryptoex")
    handlers, level = list(logger.handlers), logger.level
    code, _, _ = run("-vv", "stream", "trade", "BTCUSDT", "--ws-url", fake_binance.ws_url,
                     "--count", "1")  # fmt: skip
    assert code == 0
    assert logger.handlers == handlers
    assert logger.level == level


def test_verbose_logs_to_stderr(fake_binance: FakeBinance) -> None:
    code, _, err = run(
        "-v", "stream", "trade", "BTCUSDT", "--ws-url", fake_binance.ws_url, "--count", "1"
    )
    assert code == 0
    assert "INFO cryptoex.streaming.manager" in err


# -- as a user runs it: a real process ----------------------------------------------------


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def test_closed_pipe_ends_quietly(fake_binance: FakeBinance, python: str) -> None:
    proc = subprocess.Popen(
        [python, "-m", "cryptoex", "stream", "trade", "BTCUSDT", "--ws-url", fake_binance.ws_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    first = proc.stdout.readline()  # like `| head -1`
    proc.stdout.close()
    assert b"BTCUSDT" in first
    code = proc.wait(LONG_TIMEOUT)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert code == 0, err
    assert "Traceback" not in err


def test_ctrl_c_stops_the_stream_cleanly(fake_binance: FakeBinance, python: str) -> None:
    proc = subprocess.Popen(
        [python, "-m", "cryptoex", "stream", "trade", "BTCUSDT", "--ws-url", fake_binance.ws_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    assert b"BTCUSDT" in proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=LONG_TIMEOUT)
    assert proc.returncode == 0, err
    assert b"Traceback" not in err
    # The sandbox saw the connection close.
    assert wait_until(lambda: not fake_binance.connections())


def test_console_script_is_installed(python: str) -> None:
    script = Path(python).parent / "cryptoex"
    assert script.exists(), "pip install -e . creates the cryptoex console script"
    done = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, timeout=LONG_TIMEOUT
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"cryptoex {cryptoex.__version__}"


def test_sandbox_command_runs_fakebinance_until_stopped(python: str) -> None:
    proc = subprocess.Popen(
        [python, "-m", "cryptoex", "sandbox", "--symbols", "BTCUSDT"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("Markets:"):
            break
    text = "".join(lines)
    assert "REST:          http://127.0.0.1:" in text
    assert "API secret:" in text
    # SIGTERM: its handler is installed before anything is printed, so the
    # signal cannot land between the last line and the wait loop.
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=LONG_TIMEOUT)
    assert proc.returncode == 0, err
    assert "FakeBinance stopped" in out


def test_sandbox_commands_explain_the_missing_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As if `websockets` were not installed (pip install cryptoex, no extra).
    monkeypatch.setitem(sys.modules, "websockets", None)
    for argv in (["demo"], ["stream", "trade", "BTCUSDT", "--sandbox"], ["sandbox"]):
        code, out, err = run(*argv)
        assert code == 1, argv
        assert 'pip install "cryptoex[sandbox]"' in err
        assert out == ""


def test_target_user_client_prefers_the_sandbox_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    env_key, sandbox_key = "E" * 60 + "envk", "S" * 60 + "sand"
    monkeypatch.setenv("BINANCE_API_KEY", env_key)
    monkeypatch.setenv("BINANCE_API_SECRET", "envsecret")
    target = cli.Target({"rest_url": "http://127.0.0.1:9"}, "x", sandbox_key, "sandboxsecret")
    with target.user_client() as client:
        assert "sand" in repr(client)  # the masked key ends like the sandbox's
    env_target = cli.Target({"rest_url": "http://127.0.0.1:9"}, "x")
    with env_target.user_client() as client:
        assert "envk" in repr(client)
        assert env_key not in repr(client)
