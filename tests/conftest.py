"""Shared fixtures: no proxies, no leaked threads, hypothesis profiles."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

_PROXY_VARS = (
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
)


@pytest.fixture(autouse=True)
def _clean_proxy_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """requests and websocket-client honour proxy variables, loopback included
    (websocket-client >= 1.9); tests talk to 127.0.0.1 directly."""
    for name in _PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _no_thread_leaks() -> Iterator[None]:
    """Fail a test that leaves a cryptoex thread running."""
    before = set(threading.enumerate())
    yield
    leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    for thread in leftover:
        thread.join(timeout=2.0)
    leaked = sorted(
        t.name for t in leftover if t.is_alive() and t.name.startswith(("cryptoex", "fakebinance"))
    )
    assert not leaked, f"threads still running after the test: {leaked}"
