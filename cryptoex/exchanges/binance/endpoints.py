"""Binance base URLs, REST endpoints with their request weights, and the
``BINANCE_*`` environment variables: the one home of Binance configuration.

Weights follow ``binance/rest.md`` as of 2026: successful order placements and
cancels cost 0 (failures cost the documented weight), ``depth`` and the
multi-symbol endpoints cost by size.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Final, Literal

from cryptoex.errors import ConfigurationError

__all__ = [
    "ENDPOINTS",
    "LIVE",
    "TESTNET",
    "Endpoint",
    "Environment",
    "credentials_from_env",
    "env_testnet",
    "resolve_environment",
]

Security = Literal["NONE", "TRADE", "USER_DATA", "USER_STREAM"]


@dataclass(frozen=True)
class Environment:
    """The three base URLs of one Binance deployment.

    :param rest_url: REST base (``https://api.binance.com``); paths such as
        ``/api/v3/time`` are appended.
    :param ws_url: market-stream base (``wss://stream.binance.com:9443``);
        ``/stream?streams=...`` is appended.
    :param ws_api_url: the full WebSocket API URL (user data).
    """

    name: str
    rest_url: str
    ws_url: str
    ws_api_url: str


#: Binance production.
LIVE: Final = Environment(
    name="live",
    rest_url="https://api.binance.com",
    ws_url="wss://stream.binance.com:9443",
    ws_api_url="wss://ws-api.binance.com:443/ws-api/v3",
)
#: Binance Spot Testnet (virtual money, same API).
TESTNET: Final = Environment(
    name="testnet",
    rest_url="https://testnet.binance.vision",
    ws_url="wss://stream.testnet.binance.vision",
    ws_api_url="wss://ws-api.testnet.binance.vision/ws-api/v3",
)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def env_testnet(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``BINANCE_TESTNET`` asks for the testnet (``1``/``true``/``yes``)."""
    env = os.environ if environ is None else environ
    return _truthy(env.get("BINANCE_TESTNET"))


def credentials_from_env(environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """``(BINANCE_API_KEY, BINANCE_API_SECRET)`` from the environment.

    :raises ConfigurationError: naming the variable that is missing or empty.
    """
    env = os.environ if environ is None else environ
    values = []
    for name in ("BINANCE_API_KEY", "BINANCE_API_SECRET"):
        value = env.get(name, "").strip()
        if not value:
            raise ConfigurationError(f"environment variable {name} is not set")
        values.append(value)
    return values[0], values[1]


def resolve_environment(
    testnet: bool = False,
    *,
    rest_url: str | None = None,
    ws_url: str | None = None,
    ws_api_url: str | None = None,
) -> Environment:
    """The environment for *testnet*, with any URL overridden.

    Overrides point a client at a sandbox (``FakeBinance``) or a proxy; a
    trailing slash is dropped.
    """
    base = TESTNET if testnet else LIVE
    overrides: dict[str, str] = {}
    for name, value in (("rest_url", rest_url), ("ws_url", ws_url), ("ws_api_url", ws_api_url)):
        if value is None:
            continue
        if not isinstance(value, str) or "://" not in value:
            raise ConfigurationError(
                f"{name} must be a URL such as 'https://host:port', got {value!r}"
            )
        overrides[name] = value.rstrip("/")
    if not overrides:
        return base
    return replace(base, name="custom", **overrides)


@dataclass(frozen=True)
class Endpoint:
    """One REST endpoint.

    :param weight: request weight charged (per IP); see :meth:`weight_for`.
    :param security: Binance's security type; anything but ``NONE`` is signed.
    :param free_on_success: successful calls cost 0 weight (order placement
        and cancels since 2026-04-02).
    :param places_order: counts against the account's order-rate limits.
    """

    method: Literal["GET", "POST", "PUT", "DELETE"]
    path: str
    weight: int
    security: Security = "NONE"
    free_on_success: bool = False
    places_order: bool = False
    weigher: Callable[[Mapping[str, object]], int] | None = field(default=None, compare=False)

    @property
    def signed(self) -> bool:
        """Whether the endpoint needs a timestamp and signature."""
        return self.security != "NONE"

    def weight_for(self, params: Mapping[str, object]) -> int:
        """The weight of a call with *params* (some endpoints cost by size)."""
        return self.weigher(params) if self.weigher is not None else self.weight


def _depth_weight(params: Mapping[str, object]) -> int:
    limit = int(str(params.get("limit", 100)))
    if limit <= 100:
        return 5
    if limit <= 500:
        return 25
    if limit <= 1000:
        return 50
    return 250


def _count_symbols(params: Mapping[str, object]) -> int | None:
    if params.get("symbol") is not None:
        return 1
    symbols = params.get("symbols")
    if symbols is None:
        return None
    if isinstance(symbols, (list, tuple)):
        return len(symbols)
    return str(symbols).count(",") + 1


def _ticker_24hr_weight(params: Mapping[str, object]) -> int:
    count = _count_symbols(params)
    if count is None or count > 100:
        return 80
    if count > 20:
        return 40
    return 2


def _price_weight(params: Mapping[str, object]) -> int:
    return 2 if params.get("symbol") is not None else 4


def _open_orders_weight(params: Mapping[str, object]) -> int:
    return 6 if params.get("symbol") is not None else 80


def _my_trades_weight(params: Mapping[str, object]) -> int:
    return 5 if params.get("orderId") is not None else 20


def _order_test_weight(params: Mapping[str, object]) -> int:
    return 20 if str(params.get("computeCommissionRates", "")).lower() == "true" else 1


#: Every REST endpoint cryptoex calls, by name.
ENDPOINTS: Final[Mapping[str, Endpoint]] = {
    "ping": Endpoint("GET", "/api/v3/ping", 1),
    "time": Endpoint("GET", "/api/v3/time", 1),
    "exchange_info": Endpoint("GET", "/api/v3/exchangeInfo", 20),
    "depth": Endpoint("GET", "/api/v3/depth", 5, weigher=_depth_weight),
    "trades": Endpoint("GET", "/api/v3/trades", 25),
    "agg_trades": Endpoint("GET", "/api/v3/aggTrades", 4),
    "klines": Endpoint("GET", "/api/v3/klines", 2),
    "avg_price": Endpoint("GET", "/api/v3/avgPrice", 2),
    "ticker_24hr": Endpoint("GET", "/api/v3/ticker/24hr", 2, weigher=_ticker_24hr_weight),
    "ticker_price": Endpoint("GET", "/api/v3/ticker/price", 2, weigher=_price_weight),
    "book_ticker": Endpoint("GET", "/api/v3/ticker/bookTicker", 2, weigher=_price_weight),
    "order_new": Endpoint(
        "POST", "/api/v3/order", 1, "TRADE", free_on_success=True, places_order=True
    ),
    "order_test": Endpoint("POST", "/api/v3/order/test", 1, "TRADE", weigher=_order_test_weight),
    "order_get": Endpoint("GET", "/api/v3/order", 4, "USER_DATA"),
    "order_cancel": Endpoint("DELETE", "/api/v3/order", 1, "TRADE", free_on_success=True),
    "open_orders": Endpoint(
        "GET", "/api/v3/openOrders", 6, "USER_DATA", weigher=_open_orders_weight
    ),
    "open_orders_cancel": Endpoint(
        "DELETE", "/api/v3/openOrders", 1, "TRADE", free_on_success=True
    ),
    "all_orders": Endpoint("GET", "/api/v3/allOrders", 20, "USER_DATA"),
    "my_trades": Endpoint("GET", "/api/v3/myTrades", 20, "USER_DATA", weigher=_my_trades_weight),
    "account": Endpoint("GET", "/api/v3/account", 20, "USER_DATA"),
    "rate_limit_order": Endpoint("GET", "/api/v3/rateLimit/order", 40, "USER_DATA"),
}

#: Largest ``limit`` per endpoint (paging uses these).
MAX_LIMITS: Final[Mapping[str, int]] = {
    "depth": 5000,
    "trades": 1000,
    "agg_trades": 1000,
    "klines": 1000,
    "all_orders": 1000,
    "my_trades": 1000,
}

#: Binance's limits when ``exchangeInfo`` has not been read yet (rest.md §2).
DEFAULT_REQUEST_WEIGHT_PER_MINUTE: Final = 6000
DEFAULT_ORDERS_PER_10S: Final = 50
DEFAULT_ORDERS_PER_DAY: Final = 160_000
DEFAULT_RAW_REQUESTS_PER_5M: Final = 300_000
#: Largest ``recvWindow`` Binance accepts, in milliseconds.
MAX_RECV_WINDOW_MS: Final = 60_000
