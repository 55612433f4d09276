"""The default :class:`~cryptoex.StreamManager` behind the module-level
decorators (``@cryptoex.on_ticker(...)``), :func:`run_forever`,
:func:`configure` and :func:`default_manager`.

This is one of cryptoex's two deliberate globals (the other is the per-host
REST weight budget). It is created lazily, on the first decorator or call
that needs it, under a lock, so nothing happens at import time; every
module-level decorator in the process shares it, with its connections and
callbacks. Code that wants isolation (libraries, tests) should create its
own ``StreamManager`` and use its decorator methods instead.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from cryptoex.enums import KlineInterval
from cryptoex.errors import ConfigurationError
from cryptoex.exchanges.binance.endpoints import env_testnet
from cryptoex.streaming.manager import StreamManager

__all__ = [
    "configure",
    "default_manager",
    "on_account_update",
    "on_agg_trade",
    "on_balance_update",
    "on_book_ticker",
    "on_depth",
    "on_depth_update",
    "on_kline",
    "on_mini_ticker",
    "on_order_book",
    "on_order_update",
    "on_ticker",
    "on_trade",
    "run_forever",
]

_F = TypeVar("_F", bound=Callable[..., Any])

_lock = threading.Lock()
_manager: StreamManager | None = None
_options: dict[str, Any] = {}


def configure(**options: Any) -> None:
    """Set the default manager's :class:`~cryptoex.StreamManager` options
    (``testnet=``, ``ws_url=``, ``rest_url=``, ``backoff=``, ...).

    Must come before the default manager exists (before the first
    module-level decorator, :func:`run_forever` or :func:`default_manager`).
    Calling it again replaces the options given before. Without it,
    ``BINANCE_TESTNET=1`` in the environment selects the testnet.

    :raises ConfigurationError: if the default manager was already created,
        or for an option ``StreamManager`` does not take.
    """
    try:
        inspect.signature(StreamManager).bind(**options)
    except TypeError as exc:
        raise ConfigurationError(f"configure(): {exc}") from None
    with _lock:
        if _manager is not None:
            raise ConfigurationError(
                "configure() must be called before the default manager is created "
                "(before the first module-level decorator or run_forever())"
            )
        _options.clear()
        _options.update(options)


def default_manager() -> StreamManager:
    """The process-wide default :class:`~cryptoex.StreamManager`, created on
    first use with the :func:`configure` options (or ``BINANCE_TESTNET``).

    Thread-safe: concurrent first calls create one manager.
    """
    global _manager
    with _lock:
        if _manager is None:
            options = dict(_options)
            if "testnet" not in options:
                options["testnet"] = env_testnet()
            _manager = StreamManager(**options)
        return _manager


def _reset() -> None:
    """Stop and forget the default manager and the configured options (for
    tests, and for a notebook that wants a fresh start)."""
    global _manager
    with _lock:
        manager, _manager = _manager, None
        _options.clear()
    if manager is not None:
        manager.stop()


def run_forever() -> None:
    """Start the default manager and block until Ctrl-C (or ``stop()``);
    see :meth:`StreamManager.run_forever`."""
    default_manager().run_forever()


def on_ticker(*symbols: str) -> Callable[[_F], _F]:
    """:meth:`StreamManager.on_ticker` on the default manager."""
    return default_manager().on_ticker(*symbols)


def on_mini_ticker(*symbols: str) -> Callable[[_F], _F]:
    """:meth:`StreamManager.on_mini_ticker` on the default manager."""
    return default_manager().on_mini_ticker(*symbols)


def on_book_ticker(*symbols: str) -> Callable[[_F], _F]:
    """:meth:`StreamManager.on_book_ticker` on the default manager."""
    return default_manager().on_book_ticker(*symbols)


def on_trade(*symbols: str) -> Callable[[_F], _F]:
    """:meth:`StreamManager.on_trade` on the default manager."""
    return default_manager().on_trade(*symbols)


def on_agg_trade(*symbols: str) -> Callable[[_F], _F]:
    """:meth:`StreamManager.on_agg_trade` on the default manager."""
    return default_manager().on_agg_trade(*symbols)


def on_kline(*symbols: str, interval: str | KlineInterval = "1m") -> Callable[[_F], _F]:
    """:meth:`StreamManager.on_kline` on the default manager."""
    return default_manager().on_kline(*symbols, interval=interval)


def on_depth(
    *symbols: str, levels: Literal[5, 10, 20] = 10, fast: bool = False
) -> Callable[[_F], _F]:
    """:meth:`StreamManager.on_depth` on the default manager."""
    return default_manager().on_depth(*symbols, levels=levels, fast=fast)


def on_depth_update(*symbols: str, fast: bool = False) -> Callable[[_F], _F]:
    """:meth:`StreamManager.on_depth_update` on the default manager."""
    return default_manager().on_depth_update(*symbols, fast=fast)


def on_order_book(*symbols: str) -> Callable[[_F], _F]:
    """:meth:`StreamManager.on_order_book` on the default manager."""
    return default_manager().on_order_book(*symbols)


def on_order_update(*symbols: str) -> Callable[[_F], _F]:
    """:meth:`StreamManager.on_order_update` on the default manager."""
    return default_manager().on_order_update(*symbols)


def on_balance_update(*assets: str) -> Callable[[_F], _F]:
    """:meth:`StreamManager.on_balance_update` on the default manager."""
    return default_manager().on_balance_update(*assets)


def on_account_update() -> Callable[[_F], _F]:
    """:meth:`StreamManager.on_account_update` on the default manager."""
    return default_manager().on_account_update()
