"""The rate limiter as pure clock logic (freezegun) plus its thread-safety
under contention (real threads, no time passing)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory

from cryptoex import IPBannedError, RateLimitError
from cryptoex.errors import ConfigurationError
from cryptoex.models.symbols import RateLimit
from cryptoex.rest import ratelimit
from cryptoex.rest.ratelimit import (
    Budget,
    HostLimiter,
    host_key,
    limiter_for,
    order_budget_for,
    reset_rate_limits,
)
from tests.helpers import LONG_TIMEOUT, wait_until

START = datetime(2026, 7, 1, 12, 0, 30, tzinfo=timezone.utc)


@pytest.fixture
def frozen() -> Iterator[FrozenDateTimeFactory]:
    with freeze_time(START) as clock:
        assert isinstance(clock, FrozenDateTimeFactory)
        yield clock


def weight_limiter(limit: int = 10) -> HostLimiter:
    return HostLimiter("http://127.0.0.1:1", [(60, limit, False)])


def test_weight_fits_until_the_window_is_full(frozen: FrozenDateTimeFactory) -> None:
    limiter = weight_limiter(10)
    first = limiter.acquire(4, block=False)
    second = limiter.acquire(4, block=False)
    with pytest.raises(RateLimitError) as info:
        limiter.acquire(4, block=False)
    # 12:00:30 -> the minute window ends in 30 s.
    assert info.value.retry_after == pytest.approx(30.0)
    assert info.value.status is None  # refused locally: nothing was sent
    assert "nothing was sent" in str(info.value)
    limiter.settle(first, charged=True)
    limiter.settle(second, charged=True)
    assert limiter.budget.snapshot()["60s"] == (8, 10)
    # A small request still fits.
    limiter.settle(limiter.acquire(2, block=False), charged=True)
    with pytest.raises(RateLimitError):
        limiter.acquire(1, block=False)


def test_the_next_window_starts_empty(frozen: FrozenDateTimeFactory) -> None:
    limiter = weight_limiter(10)
    limiter.settle(limiter.acquire(10, block=False), charged=True)
    with pytest.raises(RateLimitError):
        limiter.acquire(1, block=False)
    frozen.tick(timedelta(seconds=30))
    limiter.settle(limiter.acquire(10, block=False), charged=True)


def test_free_on_success_gives_the_weight_back(frozen: FrozenDateTimeFactory) -> None:
    limiter = weight_limiter(2)
    ticket = limiter.acquire(2, block=False)
    with pytest.raises(RateLimitError):
        limiter.acquire(1, block=False)
    limiter.settle(ticket, charged=False)
    limiter.settle(limiter.acquire(2, block=False), charged=True)
    # Settling twice is harmless.
    limiter.settle(ticket, charged=True)
    assert limiter.budget.snapshot()["60s"] == (2, 2)


def test_used_weight_headers_bring_the_budget_in_step(frozen: FrozenDateTimeFactory) -> None:
    limiter = weight_limiter(100)
    ticket = limiter.acquire(1, block=False)
    # Another process on the same IP used 95.
    limiter.settle(ticket, charged=True, used_weights={60: 95})
    assert limiter.budget.snapshot()["60s"] == (95, 100)
    limiter.settle(limiter.acquire(5, block=False), charged=True)
    with pytest.raises(RateLimitError):
        limiter.acquire(1, block=False)
    # A lower count within the same window never lowers the weight used.
    limiter.settle(limiter.acquire(0, block=False), charged=True, used_weights={60: 3})
    assert limiter.budget.snapshot()["60s"] == (100, 100)


def test_headers_from_a_previous_window_are_ignored(frozen: FrozenDateTimeFactory) -> None:
    limiter = weight_limiter(100)
    ticket = limiter.acquire(1, block=False)
    frozen.tick(timedelta(seconds=31))  # the answer arrives in the next minute
    limiter.settle(ticket, charged=True, used_weights={60: 99})
    assert limiter.budget.snapshot()["60s"] == (0, 100)


def test_request_count_windows_count_requests(frozen: FrozenDateTimeFactory) -> None:
    limiter = HostLimiter("http://h:1", [(60, 1000, False), (300, 2, True)])
    limiter.settle(limiter.acquire(10, block=False), charged=True)
    limiter.settle(limiter.acquire(10, block=False), charged=True)
    with pytest.raises(RateLimitError):
        limiter.acquire(1, block=False)
    assert limiter.budget.snapshot() == {"60s": (20, 1000), "300s/requests": (2, 2)}


def test_order_budget_counts_per_key_and_follows_headers(frozen: FrozenDateTimeFactory) -> None:
    reset_rate_limits()
    limiter = weight_limiter(1000)
    orders = order_budget_for("key-one", [(10, 2, False)])
    assert order_budget_for("key-one") is orders
    assert order_budget_for("key-two") is not orders
    assert "key-one" not in orders.name  # the key is never kept in clear
    t1 = limiter.acquire(1, order_budget=orders, block=False)
    t2 = limiter.acquire(1, order_budget=orders, block=False)
    with pytest.raises(RateLimitError) as info:
        limiter.acquire(1, order_budget=orders, block=False)
    assert "order count" in str(info.value)
    # The weight reserved for the refused order was given back.
    assert limiter.budget.snapshot()["60s"] == (2, 1000)
    limiter.settle(t1, charged=False, order_counts={10: 2})
    # Orders that fill lower the exchange's count: the header is taken as is.
    limiter.settle(t2, charged=False, order_counts={10: 0})
    assert orders.snapshot()["10s"] == (0, 2)
    reset_rate_limits()


def test_retry_after_blocks_every_request_until_it_passes(frozen: FrozenDateTimeFactory) -> None:
    limiter = weight_limiter(100)
    limiter.budget.back_off(5)
    with pytest.raises(RateLimitError) as info:
        limiter.acquire(1, block=False)
    assert info.value.retry_after == pytest.approx(5.0)
    frozen.tick(timedelta(seconds=5))
    limiter.settle(limiter.acquire(1, block=False), charged=True)


def test_a_ban_refuses_at_once_even_when_blocking(frozen: FrozenDateTimeFactory) -> None:
    limiter = weight_limiter(100)
    until = START + timedelta(seconds=120)
    limiter.ban(until, "banned")
    for block in (True, False):
        with pytest.raises(IPBannedError) as info:
            limiter.acquire(1, block=block)
        assert info.value.until == until
        assert info.value.retry_after == pytest.approx(120.0)
        assert info.value.status == 418
    # A shorter ban reported later does not shorten it.
    limiter.ban(START + timedelta(seconds=10))
    assert limiter.banned_until() == until
    frozen.tick(timedelta(seconds=120))
    assert limiter.banned_until() is None
    limiter.settle(limiter.acquire(1, block=False), charged=True)


def test_max_wait_gives_up_with_rate_limit_error() -> None:
    limiter = weight_limiter(1)
    limiter.settle(limiter.acquire(1, block=False), charged=True)
    with pytest.raises(RateLimitError) as info:
        limiter.acquire(1, block=True, max_wait=0.01)
    assert "still exhausted" in str(info.value)


def test_a_blocked_request_goes_as_soon_as_weight_is_given_back(
    frozen: FrozenDateTimeFactory,
) -> None:
    limiter = weight_limiter(1)
    held = limiter.acquire(1, block=False)
    acquired = threading.Event()

    def worker() -> None:
        limiter.settle(limiter.acquire(1, block=True), charged=True)
        acquired.set()

    thread = threading.Thread(target=worker, name="test-blocked")
    thread.start()
    # The worker waits: no time passes under freezegun, so only the refund
    # below can release it.
    assert not acquired.wait(0.05)
    limiter.settle(held, charged=False)
    assert acquired.wait(LONG_TIMEOUT)
    thread.join(LONG_TIMEOUT)


def rl(kind: str, interval: str, num: int, limit: int) -> RateLimit:
    return RateLimit(rate_limit_type=kind, interval=interval, interval_num=num, limit=limit)


def test_configure_from_exchange_rate_limits(frozen: FrozenDateTimeFactory) -> None:
    limiter = weight_limiter(6000)
    assert not limiter.configured
    limiter.settle(limiter.acquire(7, block=False), charged=True)
    limiter.configure(
        [
            RateLimit(
                rate_limit_type="REQUEST_WEIGHT", interval="MINUTE", interval_num=1, limit=10
            ),
            RateLimit(rate_limit_type="RAW_REQUESTS", interval="MINUTE", interval_num=5, limit=50),
            RateLimit(rate_limit_type="ORDERS", interval="SECOND", interval_num=10, limit=3),
            RateLimit(rate_limit_type="CONNECTIONS", interval="MINUTE", interval_num=5, limit=3),
        ]
    )
    assert limiter.configured
    # Counts carry over to the new limits.
    assert limiter.budget.snapshot() == {"60s": (7, 10), "300s/requests": (0, 50)}
    assert limiter.order_limits == [(10, 3, False)]
    with pytest.raises(RateLimitError):
        limiter.acquire(4, block=False)


def test_a_request_heavier_than_the_window_goes_alone(frozen: FrozenDateTimeFactory) -> None:
    limiter = weight_limiter(10)
    limiter.settle(limiter.acquire(50, block=False), charged=True)
    with pytest.raises(RateLimitError):
        limiter.acquire(1, block=False)


def test_the_registry_is_per_host_and_resettable() -> None:
    reset_rate_limits()
    a = limiter_for("http://127.0.0.1:8080/")
    assert limiter_for("HTTP://127.0.0.1:8080") is a
    assert limiter_for("http://127.0.0.1:8081") is not a
    assert host_key("https://api.binance.com") == "https://api.binance.com:443"
    assert host_key("http://[::1]:9/x") == "http://[::1]:9"
    with pytest.raises(ConfigurationError):
        host_key("not a url")
    reset_rate_limits()
    assert limiter_for("http://127.0.0.1:8080") is not a
    assert repr(a) == "<HostLimiter http://127.0.0.1:8080>"
    reset_rate_limits()


def test_ban_end_defaults() -> None:
    now = START.timestamp()
    assert ratelimit.ban_end(30.0, now) == START + timedelta(seconds=30)
    assert ratelimit.ban_end(None, now) == START + timedelta(seconds=120)
    assert ratelimit.ban_end(0.0, now) == START + timedelta(seconds=1)


def test_budget_reset_and_repr() -> None:
    budget = Budget("b", [(60, 5, False)])
    reservation, wait = budget.try_reserve(5)
    assert reservation is not None
    assert wait == 0
    budget.back_off(100)
    budget.reset()
    reservation, wait = budget.try_reserve(5)
    assert reservation is not None
    assert "b" in repr(budget)


def test_eight_threads_never_exceed_the_budget() -> None:
    """Contention: 8 threads race for 100 units; exactly 100 reservations
    succeed and none is lost or double counted."""
    limiter = HostLimiter("http://h:2", [(86400, 100, False)])
    granted: list[int] = []
    refused: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        for _ in range(50):
            try:
                ticket = limiter.acquire(1, block=False)
            except RateLimitError:
                with lock:
                    refused.append(1)
                continue
            limiter.settle(ticket, charged=True)
            with lock:
                granted.append(1)

    threads = [threading.Thread(target=worker, name=f"test-contention-{i}") for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(LONG_TIMEOUT)
    assert len(granted) == 100
    assert len(refused) == 300
    assert wait_until(lambda: limiter.budget.snapshot()["86400s"] == (100, 100))
