"""Rate limits end to end against FakeBinance: 429 blocking and non-blocking,
418 bans, and one budget shared by two clients and eight threads."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from cryptoex import IPBannedError, MarketClient, RateLimitError, UserClient
from cryptoex.rest.ratelimit import limiter_for
from tests.helpers import LONG_TIMEOUT


def test_429_non_blocking_raises_with_retry_after(fb: Any) -> None:
    client = MarketClient(rest_url=fb.rest_url, block=False)
    try:
        client.server_time()
        fb.faults.force_rate_limit(count=1, status=429, retry_after=7)
        with pytest.raises(RateLimitError) as info:
            client.server_time()
        assert info.value.status == 429
        assert info.value.retry_after == 7.0
        sent = len(fb.requests)
        # Every client of the host now waits: refused locally, nothing sent.
        other = UserClient(fb.api_key, fb.api_secret, rest_url=fb.rest_url, block=False)
        with pytest.raises(RateLimitError) as again:
            other.get_balances()
        assert again.value.status is None
        assert 0 < again.value.retry_after <= 7.0  # type: ignore[operator]
        assert len(fb.requests) == sent
        other.close()
    finally:
        client.close()


def test_429_blocking_waits_retry_after_and_succeeds(fb: Any) -> None:
    client = MarketClient(rest_url=fb.rest_url, block=True)
    try:
        client.server_time()
        fb.faults.force_rate_limit(count=1, status=429, retry_after=1)
        assert client.server_time().tzinfo is not None
        times = [r.time for r in fb.requests if r.path == "/api/v3/time"]
        # The retry went after Retry-After, not before.
        assert times[-1] - times[-2] >= 0.9
    finally:
        client.close()


def test_418_bans_every_client_of_the_host(fb: Any) -> None:
    client = UserClient(fb.api_key, fb.api_secret, rest_url=fb.rest_url)
    market = MarketClient(rest_url=fb.rest_url)
    try:
        client.get_balances()
        fb.faults.ban(60)
        with pytest.raises(IPBannedError) as info:
            client.get_balances()
        until = info.value.until
        assert until is not None
        expected = datetime.now(timezone.utc) + timedelta(seconds=60)
        assert abs(until - expected) < timedelta(seconds=5)
        sent = len(fb.requests)
        for call in (market.server_time, client.get_open_orders, lambda: market.ticker("BTCUSDT")):
            with pytest.raises(IPBannedError) as again:
                call()
            assert again.value.until == until
        with pytest.raises(IPBannedError):
            client.place_order("BTCUSDT", "BUY", "MARKET", "0.001")
        assert len(fb.requests) == sent  # nothing reached the host during the ban
        assert limiter_for(fb.rest_url).banned_until() == until
    finally:
        client.close()
        market.close()


def test_two_clients_and_eight_threads_share_one_budget() -> None:
    from cryptoex.testing import FakeBinance

    with FakeBinance(seed=3, request_weight_limit=300) as fb:
        a = MarketClient(rest_url=fb.rest_url, block=False)
        b = UserClient(fb.api_key, fb.api_secret, rest_url=fb.rest_url, block=False)
        a.symbol_info("BTCUSDT")  # exchangeInfo: the fake's limit of 300 applies
        ok: list[int] = []
        local: list[RateLimitError] = []
        remote: list[RateLimitError] = []
        lock = threading.Lock()
        barrier = threading.Barrier(8)

        def worker(index: int) -> None:
            client = a if index % 2 else b
            barrier.wait()
            for _ in range(40):
                try:
                    client.ticker("BTCUSDT")  # weight 2
                except RateLimitError as exc:
                    with lock:
                        (local if exc.status is None else remote).append(exc)
                    continue
                with lock:
                    ok.append(1)

        threads = [threading.Thread(target=worker, args=(i,), name=f"test-w{i}") for i in range(8)]
        started = datetime.now(timezone.utc)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(LONG_TIMEOUT)
        windows = 1 if started.minute == datetime.now(timezone.utc).minute else 2
        a.close()
        b.close()
    # The shared budget kept both clients under the host's limit: the fake
    # never had to answer 429, and the refusals were local.
    assert remote == []
    assert local
    assert 0 < len(ok) <= windows * 300 // 2
    assert all(e.retry_after is not None and e.retry_after > 0 for e in local)
