"""The public surface: every name the API contract lists is importable from
``cryptoex``, and ``cryptoex.__all__`` is exactly (and sorted) what the
package exports (httpx's ``test_exported_members`` pattern)."""

from __future__ import annotations
import __future__

import enum
import importlib
import inspect
import types

import pytest

import cryptoex

MODELS = [
    "Ticker",
    "MiniTicker",
    "BookTicker",
    "Trade",
    "AggTrade",
    "Kline",
    "PartialDepth",
    "DepthUpdate",
    "OrderBookLevel",
    "Order",
    "Fill",
    "Balance",
    "AccountInfo",
    "SymbolInfo",
    "OrderUpdate",
    "BalanceUpdate",
    "AccountUpdate",
]
ENUMS = ["Side", "OrderType", "TimeInForce", "OrderStatus", "KlineInterval"]
ERRORS = [
    "CryptoExError",
    "ConfigurationError",
    "ValidationError",
    "NetworkError",
    "OrderStatusUnknownError",
    "ExchangeError",
    "AuthenticationError",
    "RateLimitError",
    "IPBannedError",
    "OrderRejectedError",
    "InsufficientBalanceError",
    "OrderNotFoundError",
    "TimestampError",
    "InvalidSymbolError",
    "ExchangeUnavailableError",
]
DECORATORS = [
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
OTHERS = [
    "MarketClient",
    "UserClient",
    "StreamManager",
    "OrderBook",
    "UserStream",
    "Backoff",
    "configure",
    "default_manager",
    "run_forever",
    "to_dataframe",
    "signals",
    "errors",
]
SIGNALS = [
    "ticker",
    "mini_ticker",
    "book_ticker",
    "trade",
    "agg_trade",
    "kline",
    "depth",
    "depth_update",
    "order_book",
    "order_update",
    "balance_update",
    "account_update",
    "connected",
    "disconnected",
    "reconnecting",
    "callback_error",
]
#: Error -> its parent in the contract's tree.
TREE = {
    "ConfigurationError": "CryptoExError",
    "ValidationError": "CryptoExError",
    "NetworkError": "CryptoExError",
    "OrderStatusUnknownError": "CryptoExError",
    "ExchangeError": "CryptoExError",
    "AuthenticationError": "ExchangeError",
    "RateLimitError": "ExchangeError",
    "IPBannedError": "RateLimitError",
    "OrderRejectedError": "ExchangeError",
    "InsufficientBalanceError": "OrderRejectedError",
    "OrderNotFoundError": "ExchangeError",
    "TimestampError": "ExchangeError",
    "InvalidSymbolError": "ExchangeError",
    "ExchangeUnavailableError": "ExchangeError",
}


@pytest.mark.parametrize("name", MODELS + ENUMS + ERRORS + DECORATORS + OTHERS)
def test_contract_name_is_importable_from_cryptoex(name: str) -> None:
    module = importlib.import_module("cryptoex")
    assert hasattr(module, name), f"from cryptoex import {name} fails"
    assert name in cryptoex.__all__


def test_models_are_frozen_dataclasses_with_serialisers() -> None:
    for name in MODELS:
        cls = getattr(cryptoex, name)
        assert cls.__dataclass_params__.frozen, name
        for method in ("to_dict", "to_json", "from_dict", "from_json", "_repr_html_"):
            assert callable(getattr(cls, method)), f"{name}.{method}"


def test_enums_are_str_valued() -> None:
    for name in ENUMS:
        cls = getattr(cryptoex, name)
        assert issubclass(cls, str)
        assert issubclass(cls, enum.Enum)
    assert cryptoex.Side.BUY == "BUY"


def test_errors_follow_the_contract_tree() -> None:
    for name, parent in TREE.items():
        cls = getattr(cryptoex, name)
        assert getattr(cryptoex, parent) in cls.__bases__, name
        assert getattr(cryptoex.errors, name) is cls
    assert issubclass(cryptoex.ValidationError, ValueError)


def test_decorators_return_the_function_unchanged() -> None:
    manager = cryptoex.StreamManager()
    for name in DECORATORS:
        assert callable(getattr(cryptoex, name))
        assert callable(getattr(manager, name)), f"StreamManager.{name}"

    def fn(model: object) -> None: ...

    assert manager.on_ticker("BTCUSDT")(fn) is fn
    manager.stop()


def test_signals_module_exposes_every_signal() -> None:
    for name in SIGNALS:
        signal = getattr(cryptoex.signals, name)
        assert callable(signal.connect), name
        assert signal.name == name


def test_testing_exposes_fakebinance_and_the_fixture() -> None:
    from cryptoex.testing import FakeBinance
    from cryptoex.testing.pytest_plugin import fake_binance

    assert inspect.isclass(FakeBinance)
    assert callable(fake_binance)


def _public_names(module: types.ModuleType) -> list[str]:
    """What *module* exports: every attribute not starting with ``_`` that
    is not a submodule or a ``__future__`` feature, plus ``__version__``
    and the public submodules ``errors`` and ``signals``."""
    names = []
    for name, value in vars(module).items():
        if name == "__version__" or name in ("errors", "signals"):
            names.append(name)
        elif name.startswith("_") or isinstance(value, (types.ModuleType, __future__._Feature)):
            continue
        else:
            names.append(name)
    return sorted(names)


def test_all_is_exactly_the_sorted_exported_names() -> None:
    assert cryptoex.__all__ == _public_names(cryptoex)


def test_every_name_in_all_resolves() -> None:
    for name in cryptoex.__all__:
        assert getattr(cryptoex, name) is not None, name


def test_public_callables_have_docstrings() -> None:
    for name in cryptoex.__all__:
        value = getattr(cryptoex, name)
        if callable(value) or inspect.ismodule(value):
            assert inspect.getdoc(value), f"cryptoex.{name} has no docstring"
