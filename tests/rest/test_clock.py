"""Server-time offset logic with an injected clock (no network)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest

from cryptoex import NetworkError
from cryptoex.rest.clock import ServerClock
from tests.helpers import LONG_TIMEOUT, wait_until


@dataclass
class FakeClock:
    wall: float = 1_780_000_000.0
    mono: float = 100.0

    def time(self) -> float:
        return self.wall

    def monotonic(self) -> float:
        return self.mono


class FakeServer:
    """Answers with its own time, ``skew_ms`` ahead of the fake wall clock,
    advancing the clock by ``rtt_ms`` during the call."""

    def __init__(self, clock: FakeClock, skew_ms: int, rtt_ms: int = 0) -> None:
        self.clock = clock
        self.skew_ms = skew_ms
        self.rtt_ms = rtt_ms
        self.calls = 0
        self.fail: Exception | None = None

    def __call__(self) -> int:
        self.calls += 1
        if self.fail is not None:
            raise self.fail
        half = self.rtt_ms / 2000
        self.clock.wall += half
        server = int(self.clock.wall * 1000) + self.skew_ms
        self.clock.wall += half
        return server


@pytest.mark.parametrize("skew_ms", [10_000, -10_000, 0, 1])
def test_offset_is_measured_at_first_use(skew_ms: int) -> None:
    clock = FakeClock()
    server = FakeServer(clock, skew_ms, rtt_ms=40)
    sc = ServerClock(server, clock=clock)
    assert sc.offset_ms is None
    stamp = sc.timestamp_ms()
    assert server.calls == 1
    # The midpoint of the round trip cancels the network delay.
    assert sc.offset_ms == skew_ms
    assert stamp == int(clock.wall * 1000) + skew_ms
    sc.timestamp_ms()
    assert server.calls == 1  # not measured again until due


def test_offset_is_refreshed_periodically() -> None:
    clock = FakeClock()
    server = FakeServer(clock, 500)
    sc = ServerClock(server, clock=clock, resync_interval=60.0)
    sc.timestamp_ms()
    server.skew_ms = 700
    clock.mono += 59.0
    sc.timestamp_ms()
    assert sc.offset_ms == 500
    clock.mono += 1.0
    sc.timestamp_ms()
    assert server.calls == 2
    assert sc.offset_ms == 700


def test_forced_sync_after_a_timestamp_error() -> None:
    clock = FakeClock()
    server = FakeServer(clock, 0)
    sc = ServerClock(server, clock=clock)
    sc.timestamp_ms()
    server.skew_ms = -10_000  # the local clock jumped ahead
    assert sc.sync(force=True) == -10_000
    assert sc.sync(force=False) == -10_000  # fresh: no new request
    assert server.calls == 2
    assert "offset=-10000" in repr(sc)


def test_a_failed_measurement_keeps_the_last_offset() -> None:
    clock = FakeClock()
    server = FakeServer(clock, 2000)
    sc = ServerClock(server, clock=clock, resync_interval=1.0)
    sc.timestamp_ms()
    server.fail = NetworkError("down")
    clock.mono += 5
    # timestamp_ms() never raises for the measurement: the request reports it.
    assert sc.timestamp_ms() == int(clock.wall * 1000) + 2000
    with pytest.raises(NetworkError):
        sc.sync()
    assert sc.offset_ms == 2000


def test_no_offset_yet_and_failure_means_local_time() -> None:
    clock = FakeClock()
    server = FakeServer(clock, 2000)
    server.fail = NetworkError("down")
    sc = ServerClock(server, clock=clock)
    assert sc.timestamp_ms() == int(clock.wall * 1000)
    assert sc.offset_ms is None


def test_concurrent_syncs_send_one_request() -> None:
    clock = FakeClock()
    release = threading.Event()
    entered = threading.Event()
    calls: list[int] = []

    def slow_fetch() -> int:
        calls.append(1)
        entered.set()
        assert release.wait(LONG_TIMEOUT)
        return int(clock.wall * 1000) + 1234

    sc = ServerClock(slow_fetch, clock=clock)
    results: list[int] = []
    first = threading.Thread(target=lambda: results.append(sc.timestamp_ms()), name="test-sync-1")
    first.start()
    assert entered.wait(LONG_TIMEOUT)
    second = threading.Thread(target=lambda: results.append(sc.timestamp_ms()), name="test-sync-2")
    second.start()
    release.set()
    first.join(LONG_TIMEOUT)
    second.join(LONG_TIMEOUT)
    assert wait_until(lambda: len(results) == 2)
    assert calls == [1]
    assert sc.offset_ms == 1234
