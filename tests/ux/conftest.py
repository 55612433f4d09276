"""Fixtures for the first-five-minutes tests (demo, CLI, examples, notebooks):
fresh process-wide REST state and default manager around every test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cryptoex import _default
from cryptoex.rest import reset_shared_state

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh_state() -> Iterator[None]:
    """The per-host budgets, exchangeInfo caches and the default manager are
    process-wide by design; every test starts and ends without them."""
    reset_shared_state()
    _default._reset()
    yield
    _default._reset()
    reset_shared_state()


@pytest.fixture
def python() -> str:
    """The interpreter running the tests (subprocesses use the same one)."""
    return sys.executable
