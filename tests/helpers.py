"""Test helpers: wait on conditions, never sleep."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Generous upper bound for anything a test waits for (not the thing measured).
LONG_TIMEOUT = 10.0

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(relative: str) -> Any:
    """Load one of Binance's published example payloads from tests/fixtures."""
    return json.loads((FIXTURES / relative).read_text(encoding="utf-8"))


def wait_until(
    predicate: Callable[[], bool], timeout: float = LONG_TIMEOUT, interval: float = 0.005
) -> bool:
    """Poll *predicate* on a condition variable until it holds or *timeout* passes.

    Returns whether it held. Uses ``Event.wait`` between checks, not sleep, so
    the test thread stays responsive.
    """
    deadline = time.monotonic() + timeout
    waiter = threading.Event()
    while True:
        if predicate():
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        waiter.wait(min(interval, remaining))


class Recorder:
    """A receiver that records what it is called with and wakes waiters.

    Use it as a callback (``rec(event)``) or as a blinker receiver
    (``rec(sender, event=...)``).
    """

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.senders: list[Any] = []
        self._cond = threading.Condition()

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        if "event" in kwargs:
            sender, event = (args[0] if args else None), kwargs["event"]
        elif kwargs:
            sender, event = (args[0] if args else None), kwargs
        else:
            sender, event = None, (args[0] if len(args) == 1 else args)
        with self._cond:
            self.senders.append(sender)
            self.events.append(event)
            self._cond.notify_all()

    def wait(
        self,
        count: int = 1,
        timeout: float = LONG_TIMEOUT,
        predicate: Callable[[list[Any]], bool] | None = None,
    ) -> bool:
        """Wait until *count* events arrived (or *predicate* holds on them)."""
        check = predicate or (lambda evs: len(evs) >= count)
        with self._cond:
            return self._cond.wait_for(lambda: check(self.events), timeout)

    def __len__(self) -> int:
        with self._cond:
            return len(self.events)
