"""Fixtures for the order-book and user-data tests: sandboxes and managers
that are always stopped, fast reconnects, and helpers to build diffs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from cryptoex import _default
from cryptoex.config import Backoff
from cryptoex.models import DepthUpdate, OrderBookLevel, PartialDepth
from cryptoex.streaming import StreamManager

#: Reconnect and retry quickly (the delays are never what a test measures).
FAST_BACKOFF = Backoff(initial=0.02, factor=2.0, cap=0.2, jitter=0.5, reset_after=30.0)
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


def level(price: str | int, quantity: str | int) -> OrderBookLevel:
    return OrderBookLevel(Decimal(str(price)), Decimal(str(quantity)))


def diff(
    first: int,
    last: int,
    bids: list[tuple[Any, Any]] = (),  # type: ignore[assignment]
    asks: list[tuple[Any, Any]] = (),  # type: ignore[assignment]
    symbol: str = "BTCUSDT",
) -> DepthUpdate:
    return DepthUpdate(
        symbol=symbol,
        first_update_id=first,
        final_update_id=last,
        bids=tuple(level(p, q) for p, q in bids),
        asks=tuple(level(p, q) for p, q in asks),
        event_time=EPOCH,
    )


def depth(
    last_update_id: int,
    bids: list[tuple[Any, Any]],
    asks: list[tuple[Any, Any]],
    symbol: str = "BTCUSDT",
) -> PartialDepth:
    return PartialDepth(
        symbol=symbol,
        last_update_id=last_update_id,
        bids=tuple(level(p, q) for p, q in bids),
        asks=tuple(level(p, q) for p, q in asks),
    )


@pytest.fixture(autouse=True)
def _fresh_default_manager() -> Iterator[None]:
    _default._reset()
    yield
    _default._reset()


@pytest.fixture
def fakes() -> Iterator[Callable[..., Any]]:
    """Factory of started FakeBinance sandboxes, each stopped after the test."""
    from cryptoex.testing import FakeBinance

    made: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("message_rate", 20.0)
        options.setdefault("symbols", ["BTCUSDT", "ETHUSDT", "BNBUSDT"])
        options.setdefault("ping_interval", 0.5)
        options.setdefault("pong_timeout", 2.0)
        fake = FakeBinance(**options).start()
        made.append(fake)
        return fake

    yield make
    for fake in made:
        fake.stop()


@pytest.fixture
def managers() -> Iterator[Callable[..., StreamManager]]:
    """Factory of StreamManagers on a sandbox, every one stopped after the test."""
    made: list[StreamManager] = []

    def make(fake: Any = None, **options: Any) -> StreamManager:
        options.setdefault("backoff", FAST_BACKOFF)
        if fake is not None:
            options.setdefault("ws_url", fake.ws_url)
            options.setdefault("rest_url", fake.rest_url)
            options.setdefault("ws_api_url", fake.ws_api_url)
        sm = StreamManager(**options)
        made.append(sm)
        return sm

    yield make
    for sm in made:
        sm.stop(timeout=5.0)
