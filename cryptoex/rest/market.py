"""``MarketClient``: the exchange's public REST data (no keys needed), and the
request machinery ``UserClient`` builds on.

Every call blocks and returns models (``Decimal`` money, UTC datetimes) or
raises one of :mod:`cryptoex.errors`. Queries are retried on connection
failures and 5XX answers (they change nothing); the shared rate-limit budget
of the base URL is respected before anything is sent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Final, TypeVar

from cryptoex._time import from_ms, to_ms
from cryptoex.config import DEFAULT_TIMEOUT, Backoff
from cryptoex.errors import (
    CryptoExError,
    ExchangeUnavailableError,
    InvalidSymbolError,
    NetworkError,
    RateLimitError,
    TimestampError,
)
from cryptoex.exchanges import get_exchange
from cryptoex.models import Kline, PartialDepth, Ticker, Trade
from cryptoex.models._base import ModelList
from cryptoex.models.symbols import ExchangeInfo, SymbolInfo
from cryptoex.rest import validation as check
from cryptoex.rest.cache import DEFAULT_EXCHANGE_INFO_TTL, ExchangeInfoCache, info_cache_for
from cryptoex.rest.ratelimit import HostLimiter, limiter_for, limits_from_exchange
from cryptoex.rest.transport import Response, Signer, Transport

if TYPE_CHECKING:
    from cryptoex.exchanges.base import Exchange
    from cryptoex.exchanges.binance.endpoints import Environment
    from cryptoex.exchanges.binance.rest_api import RestCall
    from cryptoex.rest.ratelimit import Budget

__all__ = ["DEFAULT_QUERY_RETRIES", "MarketClient"]

_Client = TypeVar("_Client", bound="MarketClient")

logger = logging.getLogger(__name__)

#: Extra attempts of a query (GET) after a connection failure or a 5XX.
DEFAULT_QUERY_RETRIES: Final = 2
#: Pauses between those attempts.
QUERY_BACKOFF: Final = Backoff(initial=0.1, factor=2.0, cap=1.0, jitter=0.5)


class MarketClient:
    """Blocking client for the exchange's public market data.

    Usage::

        >>> client = cryptoex.MarketClient()
        >>> client.ticker("BTCUSDT").last_price
        Decimal('64210.01000000')

    Thread-safe: share one client between threads (each thread gets its own
    HTTP session). Every client of the same base URL in the process shares one
    request-weight budget, as the exchange counts weight per IP.

    :param testnet: use the exchange's test deployment.
    :param rest_url: REST base URL overriding the deployment's (for example a
        ``FakeBinance``'s ``rest_url``).
    :param timeout: seconds per HTTP request.
    :param block: when the rate-limit budget is used up, wait until the
        request may go (``True``) or raise
        :class:`~cryptoex.errors.RateLimitError` at once (``False``).
    :param exchange_info_ttl: seconds a cached ``exchangeInfo`` is used.
    :param exchange: the exchange: its name (``"binance"``) or an adapter.
    :type exchange: str
    :raises ConfigurationError: for an invalid option.
    """

    def __init__(
        self,
        testnet: bool = False,
        rest_url: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        block: bool = True,
        exchange_info_ttl: float = DEFAULT_EXCHANGE_INFO_TTL,
        exchange: Exchange | str = "binance",
    ) -> None:
        self._exchange: Exchange = get_exchange(exchange) if isinstance(exchange, str) else exchange
        self._testnet = bool(testnet)
        self._environment = self._build_environment(testnet, rest_url)
        self._timeout = check.check_timeout(timeout)
        self._block = bool(block)
        self._info_ttl = float(exchange_info_ttl)
        self._limiter: HostLimiter = limiter_for(self._environment.rest_url)
        self._info_cache: ExchangeInfoCache = info_cache_for(self._environment.rest_url)
        self._transport = Transport(
            self._environment.rest_url,
            self._exchange,
            self._limiter,
            timeout=self._timeout,
            block=self._block,
        )
        #: Set by :meth:`close`; interrupts retry pauses.
        self._closing = threading.Event()

    def _build_environment(self, testnet: bool, rest_url: str | None) -> Environment:
        return self._exchange.environment(bool(testnet), rest_url=rest_url)

    # --- lifecycle ------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rest_url={self.rest_url!r})"

    def __enter__(self: _Client) -> _Client:
        # Typed so that `with UserClient(...) as client:` is a UserClient.
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP sessions of every thread. The client cannot be used
        afterwards. Safe to call twice."""
        self._closing.set()
        self._transport.close()

    @property
    def rest_url(self) -> str:
        """The REST base URL this client talks to."""
        return self._environment.rest_url

    @property
    def testnet(self) -> bool:
        """Whether this client uses the exchange's test deployment."""
        return self._testnet

    # --- public calls ---------------------------------------------------------------

    def server_time(self) -> datetime:
        """The exchange's clock (``GET /api/v3/time``, weight 1).

        :returns: an aware UTC datetime.
        """
        answer = self._request("server_time")
        ms: int = self._exchange.parse_rest("server_time", answer.payload)
        return from_ms(ms)

    def exchange_info(self) -> ExchangeInfo:
        """Every symbol's trading rules and the exchange's rate limits
        (``GET /api/v3/exchangeInfo``, weight 20), read now.

        The answer also refreshes the cache :meth:`symbol_info` and order
        validation use, and the shared rate-limit budget.
        """
        info = self._load_exchange_info()
        self._info_cache.put(info)
        return info

    def symbol_info(self, symbol: str) -> SymbolInfo:
        """The trading rules of *symbol* (tick size, step size, min notional...)
        from the cached ``exchangeInfo``.

        Use ``round_price()`` and ``round_quantity()`` on the result to put
        values on the symbol's grid::

            info = client.symbol_info("BTCUSDT")
            price = info.round_price("64210.123456")     # nearest tick
            quantity = info.round_quantity(0.0012345)    # down to the step

        :raises InvalidSymbolError: the exchange does not list *symbol*.
        """
        name = check.check_symbol(symbol)
        info = self._info_cache.symbol(name, self._load_exchange_info, self._info_ttl)
        if info is None:
            raise InvalidSymbolError(None, None, f"the exchange does not list symbol {name!r}")
        return info

    def ticker(self, symbol: str) -> Ticker:
        """24-hour rolling statistics of *symbol* (``GET /api/v3/ticker/24hr``,
        weight 2)."""
        name = check.check_symbol(symbol)
        answer = self._request("ticker", symbol=name)
        ticker: Ticker = self._exchange.parse_rest("ticker", answer.payload)
        return ticker

    def order_book(self, symbol: str, limit: int = 100) -> PartialDepth:
        """The best *limit* bids and asks of *symbol* (``GET /api/v3/depth``,
        weight 5 to 250 by *limit*).

        :param limit: levels per side, 1 to 5000.
        """
        name = check.check_symbol(symbol)
        size = check.check_limit(limit, maximum=self._exchange.max_limit("order_book"))
        answer = self._request("order_book", symbol=name, limit=size)
        book: PartialDepth = self._exchange.parse_rest("order_book", answer.payload, symbol=name)
        return book

    def recent_trades(self, symbol: str, limit: int | None = None) -> list[Trade]:
        """The latest trades of *symbol*, oldest first (``GET /api/v3/trades``,
        weight 25).

        :param limit: how many, 1 to 1000 (exchange default 500).
        """
        name = check.check_symbol(symbol)
        size = check.check_limit(limit, maximum=self._exchange.max_limit("recent_trades"))
        answer = self._request("recent_trades", symbol=name, limit=size)
        trades: list[Trade] = self._exchange.parse_rest(
            "recent_trades", answer.payload, symbol=name
        )
        return ModelList(trades)

    def klines(
        self,
        symbol: str,
        interval: str,
        start: datetime | int | None = None,
        end: datetime | int | None = None,
        limit: int | None = None,
    ) -> list[Kline]:
        """Candlesticks of *symbol*, oldest first (``GET /api/v3/klines``,
        weight 2 per page).

        Pages through long ranges by itself (the exchange returns at most 1000
        per request):

        * with *start*: every kline opening from *start* up to *end* (or now),
          at most *limit* of them;
        * without *start*: the latest *limit* klines (500 if not given) up to
          *end* (or now).

        :param interval: ``"1m"``, ``"1h"``, ... or a :class:`~cryptoex.KlineInterval`.
        :param start: first open time (datetime, naive = UTC, or epoch ms).
        :param end: last open time (inclusive).
        :param limit: most klines to return (any positive number; paged).
        """
        name = check.check_symbol(symbol)
        period = check.check_interval(interval)
        start_ms = check.check_time(start, "start")
        end_ms = check.check_time(end, "end")
        check.check_range(start_ms, end_ms)
        wanted = check.check_limit(limit)
        page_size = self._exchange.max_limit("klines") or 1000

        def fetch(page_start: int | None, page_end: int | None, size: int) -> list[Kline]:
            answer = self._request(
                "klines",
                symbol=name,
                interval=period,
                start_ms=page_start,
                end_ms=page_end,
                limit=size,
            )
            rows: list[Kline] = self._exchange.parse_rest(
                "klines", answer.payload, symbol=name, interval=period
            )
            return rows

        if start_ms is None:
            return ModelList(self._klines_backwards(fetch, end_ms, wanted or 500, page_size))
        result: list[Kline] = ModelList()
        cursor = start_ms
        while wanted is None or len(result) < wanted:
            size = page_size if wanted is None else min(page_size, wanted - len(result))
            page = [k for k in fetch(cursor, end_ms, size) if to_ms(k.open_time) >= cursor]
            result.extend(page)
            # A short page is the end; an empty one (also when the exchange
            # ignored startTime) means no progress is possible.
            if len(page) < size:
                break
            cursor = to_ms(page[-1].open_time) + 1
            if end_ms is not None and cursor > end_ms:
                break
        return result

    @staticmethod
    def _klines_backwards(
        fetch: Callable[[int | None, int | None, int], list[Kline]],
        end_ms: int | None,
        wanted: int,
        page_size: int,
    ) -> list[Kline]:
        pages: list[list[Kline]] = []
        count = 0
        cursor = end_ms
        while count < wanted:
            size = min(page_size, wanted - count)
            page = fetch(None, cursor, size)
            if cursor is not None:
                # Guard against an exchange that ignored endTime: keep only
                # klines older than the previous page.
                page = [k for k in page if to_ms(k.open_time) <= cursor]
            pages.append(page)
            count += len(page)
            if len(page) < size or not page:
                break
            cursor = to_ms(page[0].open_time) - 1
            if cursor < 0:
                break
        result: list[Kline] = []
        for page in reversed(pages):
            result.extend(page)
        return result

    # --- machinery (shared with UserClient) ------------------------------------------

    def _load_exchange_info(self) -> ExchangeInfo:
        answer = self._request("exchange_info", _ensure_limits=False)
        info: ExchangeInfo = self._exchange.parse_exchange_info(answer.payload)
        self._apply_rate_limits(info)
        return info

    def _apply_rate_limits(self, info: ExchangeInfo) -> None:
        if info.rate_limits:
            self._limiter.configure(info.rate_limits)

    def _ensure_rate_limits(self) -> None:
        """Read ``exchangeInfo`` (once per base URL and process) before the
        first request, so the budget uses the exchange's own limits."""
        if self._limiter.configured:
            return
        try:
            self._info_cache.get(self._load_exchange_info, self._info_ttl)
        except RateLimitError:
            raise
        except CryptoExError as exc:
            # Keep going with the documented defaults; the response headers
            # still keep the budget in step, and the call itself reports any
            # lasting problem.
            logger.warning("exchangeInfo not read (%s); using default rate limits", exc)
        if not self._limiter.configured:
            # The exchange sent no rate limits (or could not be read): stop
            # asking on every call, the defaults stay in force.
            ip, _ = limits_from_exchange(self._exchange.default_rate_limits)
            self._limiter.budget.configure(ip)

    def _request(
        self,
        operation: str,
        *,
        _ensure_limits: bool = True,
        _retries: int | None = None,
        **args: object,
    ) -> Response:
        """Send a public *operation*; queries retry on connection failures and
        5XX answers."""
        if _ensure_limits:
            self._ensure_rate_limits()
        call = self._exchange.rest_call(operation, **args)
        return self._send(call, retries=_retries)

    def _send(
        self,
        call: RestCall,
        *,
        signer: Signer | None = None,
        order_budget: Budget | None = None,
        retries: int | None = None,
        on_timestamp_error: Callable[[], None] | None = None,
        max_wait: float | None = None,
    ) -> Response:
        """Send *call*, retrying where that is safe.

        GET requests (and, when asked, cancels) are retried *retries* times on
        connection failures and 5XX answers. A ``-1021`` is retried once after
        *on_timestamp_error* (a clock resync) has run.
        """
        if retries is None:
            retries = DEFAULT_QUERY_RETRIES if call.endpoint.method == "GET" else 0
        attempt = 0
        resynced = False
        while True:
            attempt += 1
            try:
                return self._transport.send(
                    call, signer=signer, order_budget=order_budget, max_wait=max_wait
                )
            except TimestampError:
                if resynced or on_timestamp_error is None:
                    raise
                # The request was refused before it was processed; resync the
                # clock and send it once more.
                logger.warning("%s %s: -1021, resyncing the clock", *_route(call))
                on_timestamp_error()
                resynced = True
            except (NetworkError, ExchangeUnavailableError) as exc:
                if attempt > retries:
                    raise
                delay = QUERY_BACKOFF.delay(attempt)
                logger.warning("%s %s failed (%s); retrying in %.2f s", *_route(call), exc, delay)
                if self._closing.wait(delay):
                    raise


def _route(call: RestCall) -> tuple[str, str]:
    return call.endpoint.method, call.endpoint.path
