"""Fixtures for the streaming tests: managers that are always stopped, a
stub exchange for tests that need no parser, and the default manager reset."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from cryptoex import _default
from cryptoex.config import Backoff
from cryptoex.exchanges.binance import BinanceSpot
from cryptoex.streaming import StreamManager

#: Reconnect quickly in tests (the delays are what is checked, never waited out).
FAST_BACKOFF = Backoff(initial=0.02, factor=2.0, cap=0.2, jitter=0.5, reset_after=30.0)


class StubExchange(BinanceSpot):
    """Binance, with payload -> dict "parsers" (for tests that never parse a
    real model)."""

    def stream_parsers(self, time_unit: str = "MILLISECOND") -> Mapping[str, Callable[..., Any]]:
        def parse(payload: Any, symbol: str | None = None) -> Any:
            return payload

        return dict.fromkeys(
            (
                "ticker",
                "mini_ticker",
                "book_ticker",
                "trade",
                "agg_trade",
                "kline",
                "depth",
                "depth_update",
            ),
            parse,
        )


def refused_url() -> str:
    """A loopback URL nobody listens on (connections are refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"ws://127.0.0.1:{port}"


@pytest.fixture
def managers() -> Iterator[Callable[..., StreamManager]]:
    """Factory of StreamManagers, every one stopped after the test."""
    made: list[StreamManager] = []

    def make(**options: Any) -> StreamManager:
        options.setdefault("backoff", FAST_BACKOFF)
        sm = StreamManager(**options)
        made.append(sm)
        return sm

    yield make
    for sm in made:
        sm.stop(timeout=5.0)


@pytest.fixture
def stub_exchange() -> StubExchange:
    return StubExchange()


@pytest.fixture(autouse=True)
def _fresh_default_manager() -> Iterator[None]:
    _default._reset()
    yield
    _default._reset()


@pytest.fixture
def fakes() -> Iterator[Callable[..., Any]]:
    """Factory of started FakeBinance sandboxes, each stopped after the test
    (imported lazily: the sandbox is an optional extra)."""
    from cryptoex.testing import FakeBinance

    made: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("message_rate", 50.0)
        options.setdefault("symbols", ["BTCUSDT", "ETHUSDT", "BNBUSDT"])
        fake = FakeBinance(**options).start()
        made.append(fake)
        return fake

    yield make
    for fake in made:
        fake.stop()


class Lifecycle:
    """Records the manager's lifecycle signals (connected, disconnected,
    reconnecting) for one manager."""

    def __init__(self, sm: StreamManager) -> None:
        from cryptoex import signals
        from tests.helpers import Recorder

        self.sm = sm
        self.connected = Recorder()
        self.disconnected = Recorder()
        self.reconnecting = Recorder()
        self.errors = Recorder()
        self._pairs = [
            (signals.connected, self.connected),
            (signals.disconnected, self.disconnected),
            (signals.reconnecting, self.reconnecting),
            (signals.callback_error, self.errors),
        ]
        for signal, recorder in self._pairs:
            signal.connect(recorder, sender=sm)

    def close(self) -> None:
        for signal, recorder in self._pairs:
            signal.disconnect(recorder, sender=self.sm)


@pytest.fixture
def lifecycle() -> Iterator[Callable[[StreamManager], Lifecycle]]:
    """``lifecycle(sm)`` starts recording *sm*'s lifecycle signals."""
    made: list[Lifecycle] = []

    def make(sm: StreamManager) -> Lifecycle:
        recorder = Lifecycle(sm)
        made.append(recorder)
        return recorder

    yield make
    for recorder in made:
        recorder.close()
