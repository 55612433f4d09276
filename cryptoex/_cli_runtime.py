"""What the ``cryptoex`` commands share: where to connect (:func:`connect`,
with an in-process sandbox for ``--sandbox``), the hand-off from callbacks to
the printing thread (:class:`Feed`, :func:`pump`) and the connection status
lines on stderr (:class:`Status`). Part of :mod:`cryptoex.cli`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from cryptoex import signals
from cryptoex.errors import CryptoExError
from cryptoex.exchanges.binance.endpoints import env_testnet
from cryptoex.rest.user import UserClient
from cryptoex.streaming.manager import StreamManager

__all__ = [
    "QUEUE_SIZE",
    "SANDBOX_HINT",
    "TICK",
    "CommandError",
    "Feed",
    "Status",
    "Target",
    "connect",
    "pump",
    "require_sandbox",
]

#: What to run when the sandbox's websocket server is missing (quoted: the
#: brackets are special to zsh and other shells).
SANDBOX_HINT = 'pip install "cryptoex[sandbox]"'

#: Models waiting to be printed; beyond this (output slower than the
#: stream) new ones are dropped and counted, never silently.
QUEUE_SIZE = 10_000
#: Main-loop wake-up interval, seconds: how quickly Ctrl-C, --duration and
#: a stopped manager are noticed.
TICK = 0.2


class CommandError(CryptoExError):
    """A command cannot run as asked (the message says what to do)."""


def require_sandbox() -> None:
    """Check the sandbox's optional dependency before starting one.

    :raises CommandError: ``websockets`` is missing; the message says how to
        install it.
    """
    if importlib.util.find_spec("websockets") is None:
        raise CommandError(
            f"the sandbox needs the 'websockets' package, an optional extra: {SANDBOX_HINT}"
        )


@dataclass(frozen=True)
class Target:
    """Where a command connects: URL options for the library, and the
    sandbox's credentials when it runs one."""

    options: dict[str, Any]
    label: str
    api_key: str | None = None
    api_secret: str | None = None

    def user_client(self, **options: Any) -> UserClient:
        """A client for the sandbox's account, or from ``BINANCE_API_KEY`` /
        ``BINANCE_API_SECRET``.

        :raises ConfigurationError: a variable is missing (named).
        """
        rest = {k: v for k, v in self.options.items() if k in ("testnet", "rest_url", "ws_api_url")}
        if self.api_key is not None and self.api_secret is not None:
            return UserClient(self.api_key, self.api_secret, **rest, **options)
        return UserClient.from_env(**rest, **options)


@contextlib.contextmanager
def connect(args: argparse.Namespace) -> Iterator[Target]:
    """Resolve the connection options; start (and finally stop) a sandbox for
    ``--sandbox``."""
    explicit = {
        key: getattr(args, key)
        for key in ("ws_url", "rest_url", "ws_api_url")
        if getattr(args, key, None)
    }
    if args.sandbox:
        if explicit or args.testnet:
            raise CommandError("--sandbox picks its own URLs: drop --testnet and --*-url")
        require_sandbox()
        from cryptoex.testing import FakeBinance

        with FakeBinance() as fake:
            yield Target(
                {"ws_url": fake.ws_url, "rest_url": fake.rest_url, "ws_api_url": fake.ws_api_url},
                f"the local sandbox ({fake.rest_url})",
                fake.api_key,
                fake.api_secret,
            )
        return
    testnet = bool(args.testnet) or env_testnet()
    label = "Binance Spot Testnet" if testnet else "Binance"
    if explicit:
        label = ", ".join(f"{v}" for v in explicit.values())
    yield Target({"testnet": testnet, **explicit}, label)


# -- the main loop shared by the streaming commands -----------------------------------------


class Feed:
    """Hands models from callbacks (any thread) to the printing thread.

    Bounded: when output is slower than the stream the newest models are
    dropped and counted (reported at the end), so memory stays flat.
    """

    def __init__(self, size: int = QUEUE_SIZE) -> None:
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(size)
        self._lock = threading.Lock()
        #: Models dropped because the queue was full.
        self.dropped = 0

    def put(self, kind: str, model: Any) -> None:
        """Queue *model* (never blocks a connection thread)."""
        try:
            self._queue.put_nowait((kind, model))
        except queue.Full:
            with self._lock:
                self.dropped += 1

    def callback(self, kind: str) -> Callable[[Any], None]:
        """A callback queuing every model it receives as *kind*."""

        def receive(model: Any) -> None:
            self.put(kind, model)

        return receive

    def get(self, timeout: float) -> tuple[str, Any] | None:
        """The next model, or ``None`` after *timeout* seconds."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None


class Status:
    """Connection status lines on stderr, from the manager's lifecycle
    signals: what a user of a silent terminal needs (connecting, dropped,
    retrying, and a hint when nothing connects)."""

    def __init__(self, manager: StreamManager, err: TextIO, *, quiet: bool) -> None:
        self._manager = manager
        self._err = err
        self._quiet = quiet
        self._lock = threading.Lock()
        self._hinted = False
        self._closing = False

    def __enter__(self) -> Status:
        if not self._quiet:
            signals.connected.connect(self._connected, sender=self._manager, weak=False)
            signals.disconnected.connect(self._disconnected, sender=self._manager, weak=False)
            signals.reconnecting.connect(self._reconnecting, sender=self._manager, weak=False)
        return self

    def closing(self) -> None:
        """The command is ending: its own disconnects are not news."""
        self._closing = True

    def __exit__(self, *exc: object) -> None:
        for signal, receiver in (
            (signals.connected, self._connected),
            (signals.disconnected, self._disconnected),
            (signals.reconnecting, self._reconnecting),
        ):
            signal.disconnect(receiver, sender=self._manager)

    def say(self, text: str) -> None:
        """One status line on stderr (none with ``--quiet``)."""
        if self._quiet:
            return
        with self._lock, contextlib.suppress(OSError, ValueError):
            self._err.write(f"cryptoex: {text}\n")
            self._err.flush()

    def _connected(self, sender: Any, **kw: Any) -> None:
        self.say(f"connected ({kw.get('connection')})")

    def _disconnected(self, sender: Any, **kw: Any) -> None:
        if self._closing:
            return
        self.say(f"disconnected ({kw.get('connection')}): {kw.get('reason')}")

    def _reconnecting(self, sender: Any, **kw: Any) -> None:
        # The library's own warning (shown on stderr) says why and when; add
        # the hint a new user needs once it is clear nothing connects.
        if not self._hinted and (kw.get("attempt") or 0) >= 2:
            self._hinted = True
            self.say("no connection yet; offline? try --sandbox (a local exchange)")


def pump(
    feed: Feed,
    render: Callable[[str, Any], str | None],
    out: TextIO,
    *,
    count: int | None,
    duration: float | None,
    running: Callable[[], bool] = lambda: True,
) -> int:
    """Print what *feed* delivers until *count* lines, *duration* seconds,
    Ctrl-C, a closed pipe, or *running* turning false.

    :returns: the number of lines printed.
    """
    deadline = None if duration is None else time.monotonic() + duration
    shown = 0
    while count is None or shown < count:
        wait = TICK
        if deadline is not None:
            wait = min(wait, deadline - time.monotonic())
            if wait <= 0:
                break
        item = feed.get(wait)
        if item is None:
            if not running():
                break
            continue
        text = render(*item)
        if text is None:
            continue
        out.write(text + "\n")
        out.flush()
        shown += 1
    return shown
