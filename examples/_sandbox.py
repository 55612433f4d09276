"""The switch every example uses: Binance by default, a local FakeBinance
when ``CRYPTOEX_SANDBOX=1``.

    python examples/ticker_callbacks.py                      # Binance
    BINANCE_TESTNET=1 python examples/place_and_cancel.py    # the Spot Testnet
    CRYPTOEX_SANDBOX=1 python examples/ticker_callbacks.py   # no network, no keys

In your own code you do not need this module: pass the URLs you want
(``StreamManager(testnet=True)``, ``UserClient.from_env()``) or nothing at all.
"""

from __future__ import annotations

import atexit
import os
from typing import Any

import cryptoex
from cryptoex.testing import FakeBinance

_sandbox: FakeBinance | None = None


def sandbox(**options: Any) -> FakeBinance | None:
    """The local sandbox when ``CRYPTOEX_SANDBOX=1`` (started on first use,
    stopped at exit; *options* go to ``FakeBinance``), else ``None``."""
    global _sandbox
    if os.environ.get("CRYPTOEX_SANDBOX") != "1":
        return None
    if _sandbox is None:
        _sandbox = FakeBinance(**options).start()
        atexit.register(_sandbox.stop)
    return _sandbox


def testnet() -> bool:
    """Whether ``BINANCE_TESTNET=1`` asks for the Spot Testnet."""
    return os.environ.get("BINANCE_TESTNET", "").lower() in ("1", "true", "yes")


def stream_options() -> dict[str, Any]:
    """Keyword arguments for ``StreamManager`` / ``cryptoex.configure``."""
    fake = sandbox()
    if fake is None:
        return {"testnet": testnet()}
    return {"ws_url": fake.ws_url, "rest_url": fake.rest_url, "ws_api_url": fake.ws_api_url}


def rest_options() -> dict[str, Any]:
    """Keyword arguments for ``MarketClient``."""
    fake = sandbox()
    return {"testnet": testnet()} if fake is None else {"rest_url": fake.rest_url}


def user_client(**options: Any) -> cryptoex.UserClient:
    """A ``UserClient``: the sandbox's account, or ``BINANCE_API_KEY`` and
    ``BINANCE_API_SECRET`` from the environment (``BINANCE_TESTNET=1`` for
    the testnet)."""
    fake = sandbox()
    if fake is None:
        return cryptoex.UserClient.from_env(**options)
    return cryptoex.UserClient(
        fake.api_key,
        fake.api_secret,
        rest_url=fake.rest_url,
        ws_api_url=fake.ws_api_url,
        **options,
    )
