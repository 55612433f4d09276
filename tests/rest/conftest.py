"""Fixtures for the REST tests: a fresh shared state per test, a FakeBinance
on loopback and clients pointed at it (always closed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cryptoex.rest import reset_shared_state


@pytest.fixture(autouse=True)
def _fresh_shared_state() -> Iterator[None]:
    """The per-host budgets and exchangeInfo caches are process-wide by
    design; every test starts and ends with none."""
    reset_shared_state()
    yield
    reset_shared_state()


@pytest.fixture
def fb() -> Iterator[Any]:
    from cryptoex.testing import FakeBinance

    with FakeBinance(seed=7) as fake:
        yield fake


@pytest.fixture
def client(fb: Any) -> Iterator[Any]:
    from cryptoex import UserClient

    c = UserClient(
        fb.api_key,
        fb.api_secret,
        rest_url=fb.rest_url,
        ws_api_url=fb.ws_api_url,
        timeout=2.0,
        reconcile_timeout=3.0,
    )
    yield c
    c.close()


@pytest.fixture
def market(fb: Any) -> Iterator[Any]:
    from cryptoex import MarketClient

    c = MarketClient(rest_url=fb.rest_url, timeout=2.0)
    yield c
    c.close()
