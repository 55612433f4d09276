"""The lazily created default manager and the module-level API."""

from __future__ import annotations

import threading
from typing import get_type_hints

import pytest

import cryptoex
from cryptoex import ConfigurationError
from tests.streaming.conftest import StubExchange

MODULE_DECORATORS = [
    "on_ticker",
    "on_mini_ticker",
    "on_book_ticker",
    "on_trade",
    "on_agg_trade",
    "on_kline",
    "on_depth",
    "on_depth_update",
    "on_order_book",
    "on_order_update",
    "on_balance_update",
    "on_account_update",
]


def test_public_names_exported() -> None:
    for name in [*MODULE_DECORATORS, "run_forever", "configure", "default_manager"]:
        assert callable(getattr(cryptoex, name)), name
        assert name in cryptoex.__all__
    assert cryptoex.StreamManager.__name__ == "StreamManager"
    assert "Subscription" in cryptoex.__all__
    for name in MODULE_DECORATORS:
        assert hasattr(cryptoex.StreamManager, name), f"StreamManager.{name}"


def test_importing_creates_nothing() -> None:
    from cryptoex import _default

    assert _default._manager is None
    assert not [t for t in threading.enumerate() if t.name.startswith("cryptoex")]


def test_created_once_lazily_even_under_concurrency() -> None:
    seen: list[cryptoex.StreamManager] = []
    barrier = threading.Barrier(8)

    def get() -> None:
        barrier.wait()
        seen.append(cryptoex.default_manager())

    threads = [threading.Thread(target=get) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(m) for m in seen}) == 1


def test_configure_sets_options_and_must_come_first() -> None:
    cryptoex.configure(ws_url="ws://127.0.0.1:9", backoff=1.5, exchange=StubExchange())
    sm = cryptoex.default_manager()
    assert sm.environment.ws_url == "ws://127.0.0.1:9"
    assert sm.backoff.initial == 1.5
    with pytest.raises(ConfigurationError, match="before the default manager"):
        cryptoex.configure(testnet=True)


def test_configure_rejects_unknown_options_at_once() -> None:
    with pytest.raises(ConfigurationError, match="configure"):
        cryptoex.configure(nonsense=1)


def test_binance_testnet_env_selects_testnet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BINANCE_TESTNET", "1")
    assert "testnet" in cryptoex.default_manager().environment.ws_url


def test_configure_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BINANCE_TESTNET", "1")
    cryptoex.configure(testnet=False)
    assert "testnet" not in cryptoex.default_manager().environment.ws_url


def test_module_decorators_register_on_the_default_manager() -> None:
    cryptoex.configure(exchange=StubExchange())

    def fn(event: object) -> None:
        pass

    assert cryptoex.on_ticker("BTCUSDT")(fn) is fn
    assert cryptoex.on_mini_ticker("BTCUSDT")(fn) is fn
    assert cryptoex.on_book_ticker("BTCUSDT")(fn) is fn
    assert cryptoex.on_trade("BTCUSDT")(fn) is fn
    assert cryptoex.on_agg_trade("BTCUSDT")(fn) is fn
    assert cryptoex.on_kline("BTCUSDT", interval="1h")(fn) is fn
    assert cryptoex.on_depth("BTCUSDT", levels=20)(fn) is fn
    assert cryptoex.on_depth_update("BTCUSDT", fast=True)(fn) is fn
    assert cryptoex.on_order_book("BTCUSDT")(fn) is fn
    assert cryptoex.on_order_update()(fn) is fn
    assert cryptoex.on_order_update("BTCUSDT")(fn) is fn
    assert cryptoex.on_balance_update("USDT", "btc")(fn) is fn
    assert cryptoex.on_account_update()(fn) is fn
    streams = set(cryptoex.default_manager().stats().streams)
    assert streams == {
        "btcusdt@ticker",
        "btcusdt@miniTicker",
        "btcusdt@bookTicker",
        "btcusdt@trade",
        "btcusdt@aggTrade",
        "btcusdt@kline_1h",
        "btcusdt@depth20",
        "btcusdt@depth@100ms",
    }


def test_decorators_are_typed_to_return_the_function_type() -> None:
    hints = get_type_hints(cryptoex.StreamManager.on_ticker)
    assert "Callable" in str(hints["return"])
