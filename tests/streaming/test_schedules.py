"""Property tests of the two schedules a connection follows: outgoing-message
pacing and reconnect delays."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cryptoex.config import Backoff
from cryptoex.streaming.connection import ReconnectSchedule
from cryptoex.streaming.pacing import DEFAULT_WINDOW, Pacer, pacer_for_limit

LIMIT = 5  # Binance: incoming messages per second per connection


def simulate(
    requests: list[float], pongs: list[float], pacer: Pacer
) -> tuple[list[float], list[float]]:
    """Discrete-event run of a connection: paced messages queued at
    *requests* times go out as soon as the pacer allows; pongs are forced out
    at their times and recorded. Returns (send times, pong times)."""
    requests = sorted(requests)
    pongs = sorted(pongs)
    sent: list[float] = []
    now = 0.0
    backlog = 0
    ri = pi = 0
    while ri < len(requests) or pi < len(pongs) or backlog:
        candidates = []
        if ri < len(requests):
            candidates.append(requests[ri])
        if pi < len(pongs):
            candidates.append(pongs[pi])
        if backlog:
            candidates.append(now + pacer.delay(now))
        now = max(now, min(candidates))
        if pi < len(pongs) and pongs[pi] <= now:
            pacer.record(now)
            pi += 1
            continue
        while ri < len(requests) and requests[ri] <= now:
            backlog += 1
            ri += 1
        if backlog and pacer.try_acquire(now):
            sent.append(now)
            backlog -= 1
    return sent, pongs


def max_in_window(times: list[float], width: float) -> int:
    times = sorted(times)
    best = 0
    j = 0
    for i, t in enumerate(times):
        while times[j] <= t - width:
            j += 1
        best = max(best, i - j + 1)
    return best


requests_st = st.lists(st.floats(min_value=0, max_value=20, allow_nan=False), max_size=60)


@st.composite
def pong_times(draw: st.DrawFn) -> list[float]:
    """Server pings (hence our pongs) at least a second apart."""
    gaps = draw(st.lists(st.floats(min_value=1.0, max_value=5.0), max_size=15))
    start = draw(st.floats(min_value=0, max_value=2))
    out, t = [], start
    for gap in gaps:
        out.append(t)
        t += gap
    return out


@given(requests=requests_st, pongs=pong_times())
def test_pacing_stays_strictly_under_the_limit_in_any_second(
    requests: list[float], pongs: list[float]
) -> None:
    pacer = pacer_for_limit(LIMIT)
    sent, pongs = simulate(requests, pongs, pacer)
    assert len(sent) == len(requests), "every queued message is sent eventually"
    everything = sent + pongs
    # Strictly under the limit in any one-second window, whatever the phase.
    assert max_in_window(everything, 1.0) <= LIMIT - 1
    # Paced messages alone respect the budget over the longer window too.
    assert max_in_window(sent, DEFAULT_WINDOW - 1e-6) <= pacer.budget


@given(requests=requests_st)
def test_pacing_sends_as_soon_as_the_window_allows(requests: list[float]) -> None:
    pacer = pacer_for_limit(LIMIT)
    sent, _ = simulate(requests, [], pacer)
    # No message waits when the window has room: either it went out when
    # requested, or the window was full just before it went.
    for i, t in enumerate(sent):
        requested_at = sorted(requests)[i]
        window_before = [s for s in sent[:i] if t - DEFAULT_WINDOW - 1e-6 <= s < t]
        assert t == requested_at or len(window_before) >= pacer.budget
    if requests:
        # A burst of n drains within ceil(n / budget) windows.
        burst = sorted(requests)
        assert sent[-1] <= burst[-1] + math.ceil(len(requests) / pacer.budget) * DEFAULT_WINDOW


def test_pacer_budget_and_reset() -> None:
    pacer = pacer_for_limit(5)
    assert pacer.budget == 3
    assert pacer_for_limit(1).budget == 1
    assert [pacer.try_acquire(0.0) for _ in range(4)] == [True, True, True, False]
    assert pacer.delay(0.5) == pytest.approx(DEFAULT_WINDOW - 0.5)
    pacer.reset()
    assert pacer.delay(0.5) == 0.0
    with pytest.raises(ValueError, match="budget"):
        Pacer(0)
    with pytest.raises(ValueError, match="window"):
        Pacer(1, window=0)


backoffs = st.builds(
    Backoff,
    initial=st.floats(min_value=0.001, max_value=5),
    factor=st.floats(min_value=1, max_value=4),
    cap=st.floats(min_value=5, max_value=120),
    jitter=st.floats(min_value=0, max_value=1),
    reset_after=st.floats(min_value=0.1, max_value=100),
)


@given(
    backoff=backoffs,
    rolls=st.lists(st.floats(min_value=0, max_value=0.999), min_size=1, max_size=40),
)
def test_reconnect_delays_grow_are_capped_and_jittered_downwards(
    backoff: Backoff, rolls: list[float]
) -> None:
    it = iter(rolls)
    schedule = ReconnectSchedule(backoff, rand=lambda: next(it))
    previous_ceiling = 0.0
    for expected_attempt in range(1, len(rolls) + 1):
        attempt, delay = schedule.next(open_for=None)  # refused: never opened
        assert attempt == expected_attempt
        ceiling = backoff.ceiling(attempt)
        assert ceiling >= previous_ceiling, "ceilings never shrink"
        assert ceiling <= backoff.cap
        assert ceiling * (1 - backoff.jitter) - 1e-9 <= delay <= ceiling + 1e-9
        previous_ceiling = ceiling


@given(backoff=backoffs, failures=st.integers(min_value=1, max_value=10))
def test_reconnect_schedule_resets_after_a_healthy_connection(
    backoff: Backoff, failures: int
) -> None:
    schedule = ReconnectSchedule(backoff, rand=lambda: 0.0)
    for _ in range(failures):
        schedule.next(open_for=None)
    # A drop after a short life keeps counting...
    attempt, _ = schedule.next(open_for=backoff.reset_after / 2)
    assert attempt == failures + 1
    # ...a drop after a healthy period starts over.
    attempt, delay = schedule.next(open_for=backoff.reset_after)
    assert attempt == 1
    assert delay == backoff.initial


def test_retry_after_is_honoured_when_longer() -> None:
    schedule = ReconnectSchedule(Backoff(initial=1, cap=4, jitter=0), rand=lambda: 0.0)
    assert schedule.next(None, retry_after=30.0) == (1, 30.0)
    assert schedule.next(None, retry_after=0.5) == (2, 2.0)
