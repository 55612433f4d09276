"""``UserClient``: signed, blocking trading and account calls.

What it guarantees, and how:

* **Orders are never lost or duplicated.** Every order carries a client order
  id (the caller's or a generated one). When the placement's outcome is
  unknown (a timeout, a dropped connection, a 5XX or ``-1001/-1006/-1007``)
  the order is *not* sent again: it is looked up by that id with backoff for
  up to ``reconcile_timeout`` seconds and returned, or
  :class:`~cryptoex.errors.OrderStatusUnknownError` carrying the id is raised.
  After a ``-1021`` (refused before the matching engine) the clock is
  resynchronised and the order is looked up; only when it is confirmed absent
  is it sent once more, under the same id.
* **Validation before any request**: arguments, then the symbol's filters from
  the cached ``exchangeInfo``.
* **The secret never shows**: it lives in a :class:`~cryptoex._secrets.Secret`
  that only the adapter's signing code unwraps; ``repr(client)`` masks the key.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from cryptoex._secrets import Secret, mask
from cryptoex._time import SYSTEM_CLOCK, to_ms
from cryptoex.config import DEFAULT_RECV_WINDOW, DEFAULT_TIMEOUT, Backoff
from cryptoex.errors import (
    ConfigurationError,
    CryptoExError,
    ExchangeError,
    ExchangeUnavailableError,
    InvalidSymbolError,
    IPBannedError,
    NetworkError,
    OrderNotFoundError,
    OrderStatusUnknownError,
    RateLimitError,
    TimestampError,
    ValidationError,
)
from cryptoex.models import AccountInfo, Balance, Fill, Order
from cryptoex.models._base import ModelList
from cryptoex.rest import validation as check
from cryptoex.rest.cache import DEFAULT_EXCHANGE_INFO_TTL
from cryptoex.rest.clock import ServerClock
from cryptoex.rest.market import MarketClient
from cryptoex.rest.ratelimit import Budget, limits_from_exchange, order_budget_for
from cryptoex.rest.transport import RequestError, Response, Signer
from cryptoex.rest.validation import OrderRequest

if TYPE_CHECKING:
    from cryptoex.exchanges.base import Exchange
    from cryptoex.exchanges.binance.endpoints import Environment
    from cryptoex.exchanges.binance.rest_api import RestCall

__all__ = ["DEFAULT_RECONCILE_TIMEOUT", "UserClient"]

logger = logging.getLogger(__name__)

#: Seconds spent looking up an order whose placement outcome is unknown.
DEFAULT_RECONCILE_TIMEOUT: Final = 30.0
#: Pauses between those lookups.
RECONCILE_BACKOFF: Final = Backoff(initial=0.05, factor=2.0, cap=2.0, jitter=0.2)
#: Extra attempts of a cancel whose outcome is unknown.
CANCEL_RETRIES: Final = 2


class UserClient(MarketClient):
    """Blocking, thread-safe trading client for one API key.

    Usage::

        client = cryptoex.UserClient(api_key, api_secret, testnet=True)
        order = client.place_order("BTCUSDT", side="BUY", type="LIMIT",
                                   quantity="0.001", price="50000")
        client.cancel_order("BTCUSDT", order_id=order.order_id)

    Has every :class:`MarketClient` call too. One client may be used from many
    threads at once. All clients of one base URL share the request-weight
    budget; all clients of one API key share its order budget.

    :param api_key: the API key (shown masked everywhere).
    :param api_secret: the API secret, a ``str`` (or cryptoex's masking
        ``Secret`` wrapper); never shown.
    :type api_secret: str
    :param testnet: use the exchange's test deployment.
    :param rest_url: REST base URL (e.g. a ``FakeBinance``'s).
    :param ws_api_url: full WebSocket API URL (user data), overriding the
        deployment's.
    :param recv_window: how long a signed request stays valid, in
        **milliseconds** (the exchange's unit), at most 60000.
    :param timeout: seconds per HTTP request.
    :param block: wait for the rate-limit budget (``True``) or raise
        :class:`~cryptoex.errors.RateLimitError` at once (``False``).
    :param name: the account label on user-data events and in logs (default:
        the masked API key).
    :param reconcile_timeout: seconds spent looking up an order whose
        placement outcome is unknown before giving up with
        :class:`~cryptoex.errors.OrderStatusUnknownError`.
    :param exchange_info_ttl: seconds a cached ``exchangeInfo`` is used.
    :param exchange: the exchange: its name (``"binance"``) or an adapter.
    :type exchange: str
    :raises ConfigurationError: for a missing key or secret, or an invalid option.
    """

    def __init__(
        self,
        api_key: str,
        api_secret: str | Secret,
        testnet: bool = False,
        *,
        rest_url: str | None = None,
        ws_api_url: str | None = None,
        recv_window: int | float = DEFAULT_RECV_WINDOW,
        timeout: float = DEFAULT_TIMEOUT,
        block: bool = True,
        name: str | None = None,
        reconcile_timeout: float = DEFAULT_RECONCILE_TIMEOUT,
        exchange_info_ttl: float = DEFAULT_EXCHANGE_INFO_TTL,
        exchange: Exchange | str = "binance",
    ) -> None:
        if (
            not isinstance(api_key, str)
            or not api_key.strip()
            or not api_key.strip().isascii()
            or not api_key.strip().isprintable()
            or any(c.isspace() for c in api_key.strip())
        ):
            # It goes into an HTTP header: printable ASCII, no spaces.
            raise ConfigurationError("api_key must be a non-empty string of printable ASCII")
        secret = api_secret if isinstance(api_secret, Secret) else _secret(api_secret)
        if name is not None and (not isinstance(name, str) or not name):
            raise ConfigurationError("name must be a non-empty string or None")
        if (
            isinstance(reconcile_timeout, bool)
            or not isinstance(reconcile_timeout, (int, float))
            or reconcile_timeout < 0
        ):
            raise ConfigurationError(
                f"reconcile_timeout must be a number of seconds >= 0, got {reconcile_timeout!r}"
            )
        self._ws_api_url_option = ws_api_url
        super().__init__(
            testnet,
            rest_url,
            timeout=timeout,
            block=block,
            exchange_info_ttl=exchange_info_ttl,
            exchange=exchange,
        )
        # Kept wrapped as well: the full key is not a secret, but it must not
        # show in reprs, vars() or traceback locals either.
        self._api_key = Secret(api_key.strip())
        self._name = name
        self._recv_window = check.check_recv_window(recv_window, self._exchange.max_recv_window_ms)
        self._reconcile_timeout = float(reconcile_timeout)
        self._clock = ServerClock(self._fetch_server_ms)
        self._signer = Signer(
            self._api_key,
            secret,
            self._exchange,
            self._clock.timestamp_ms,
            self._recv_window,
            prepare=self._clock.ensure_synced,
        )
        self._orders = order_budget_for(self._api_key.reveal())

    def _build_environment(self, testnet: bool, rest_url: str | None) -> Environment:
        return self._exchange.environment(
            bool(testnet), rest_url=rest_url, ws_api_url=self._ws_api_url_option
        )

    @classmethod
    def from_env(cls, **options: Any) -> UserClient:
        """A client from ``BINANCE_API_KEY`` and ``BINANCE_API_SECRET`` (and
        ``BINANCE_TESTNET=1`` for the testnet, unless ``testnet=`` is given).

        :param options: the constructor's keyword options.
        :raises ConfigurationError: naming the variable that is missing.
        """
        exchange = options.get("exchange", "binance")
        adapter: Exchange = get_adapter(exchange)
        api_key, api_secret = adapter.credentials_from_env(os.environ)
        testnet = options.pop("testnet", None)
        if testnet is None:
            testnet = adapter.env_testnet(os.environ)
        return cls(api_key, Secret(api_secret), testnet, **options)

    def __repr__(self) -> str:
        key = mask(self._api_key.reveal())
        if self._name is None:
            return f"UserClient(account={key!r}, rest_url={self.rest_url!r})"
        return f"UserClient(account={self._name!r}, api_key={key!r}, rest_url={self.rest_url!r})"

    def __reduce__(self) -> Any:
        raise TypeError("a UserClient holds credentials and cannot be pickled")

    # --- semi-public: used by the user-data stream ----------------------------------

    @property
    def account(self) -> str:
        """The account label: the ``name`` given, else the masked API key.

        User-data events carry it as ``account``.
        """
        return self._name if self._name is not None else mask(self._api_key.reveal())

    @property
    def ws_api_url(self) -> str:
        """The full WebSocket API URL for this client's deployment (user data)."""
        return self._environment.ws_api_url

    @property
    def recv_window(self) -> int | float:
        """``recvWindow`` of signed requests, in milliseconds."""
        return self._recv_window

    def _server_time_ms(self) -> int:
        """Semi-public: the exchange's current time in ms, from the kept offset
        (measured on first use, refreshed periodically)."""
        return self._clock.timestamp_ms()

    def _resync_clock(self) -> None:
        """Semi-public: measure the server-time offset again (after a
        ``-1021`` on the WebSocket API)."""
        self._clock.sync(force=True)

    def _sign_ws(self, params: Mapping[str, object]) -> dict[str, object]:
        """Semi-public: *params* of a WebSocket API request with the API key,
        an offset-corrected timestamp, ``recvWindow`` and the signature added.

        The secret itself is never handed out. The result is a credential
        (valid for ``recv_window``): never log it.
        """
        return self._signer.sign_ws(params)

    # --- orders ----------------------------------------------------------------------

    def place_order(
        self,
        symbol: str,
        side: str,
        type: str,
        quantity: Decimal | str | int | float | None = None,
        price: Decimal | str | int | float | None = None,
        time_in_force: str | None = None,
        client_order_id: str | None = None,
        *,
        quote_quantity: Decimal | str | int | float | None = None,
        stop_price: Decimal | str | int | float | None = None,
        iceberg_quantity: Decimal | str | int | float | None = None,
    ) -> Order:
        """Place an order and return it as the exchange accepted it
        (``POST /api/v3/order``, weight 0 when it succeeds, 1 otherwise; one
        unit of the account's order budget).

        The arguments are checked, then the symbol's filters (tick size, step
        size, min/max quantity, notional), before anything is sent. Amounts
        accept ``Decimal``, ``str``, ``int``, or ``float`` (through ``str()``)
        and are sent in fixed-point notation.

        If the outcome is unknown (timeout, dropped connection, 5XX) the order
        is never sent again blindly: it is looked up by its client order id and
        returned when found.

        :param side: ``"BUY"`` or ``"SELL"``.
        :param type: ``"LIMIT"``, ``"MARKET"``, ``"LIMIT_MAKER"``,
            ``"STOP_LOSS"``, ``"STOP_LOSS_LIMIT"``, ``"TAKE_PROFIT"``,
            ``"TAKE_PROFIT_LIMIT"``.
        :param quantity: base-asset amount (> 0).
        :param price: limit price (LIMIT, LIMIT_MAKER and the ``*_LIMIT`` types).
        :param time_in_force: ``"GTC"`` (default for limit types), ``"IOC"``
            or ``"FOK"``.
        :param client_order_id: your id for the order (1-36 of ``a-zA-Z0-9-_``);
            generated when ``None``. The returned order carries it.
        :param quote_quantity: for MARKET orders, the quote amount to spend or
            receive instead of *quantity*.
        :param stop_price: trigger price of stop-loss and take-profit types.
        :param iceberg_quantity: visible part of an iceberg LIMIT order.
        :returns: the order, with fills for orders that traded.
        :raises ValidationError: an argument or a symbol filter was violated;
            nothing was sent.
        :raises OrderRejectedError: the exchange refused the order
            (:class:`~cryptoex.errors.InsufficientBalanceError` for funds).
        :raises OrderStatusUnknownError: the outcome stayed unknown after
            reconciliation; do not re-send, look it up by ``client_order_id``.
        :raises RateLimitError: the budget is exhausted (``block=False``) or the
            IP is banned (:class:`~cryptoex.errors.IPBannedError`).
        """
        request = self._checked_order(
            symbol,
            side,
            type,
            quantity,
            price,
            time_in_force,
            client_order_id,
            quote_quantity,
            stop_price,
            iceberg_quantity,
        )
        return self._submit(request)

    def test_order(
        self,
        symbol: str,
        side: str,
        type: str,
        quantity: Decimal | str | int | float | None = None,
        price: Decimal | str | int | float | None = None,
        time_in_force: str | None = None,
        client_order_id: str | None = None,
        *,
        quote_quantity: Decimal | str | int | float | None = None,
        stop_price: Decimal | str | int | float | None = None,
        iceberg_quantity: Decimal | str | int | float | None = None,
    ) -> None:
        """Validate an order locally and with the exchange without placing it
        (``POST /api/v3/order/test``, weight 1). Same arguments as
        :meth:`place_order`.

        :raises ValidationError: as :meth:`place_order`.
        :raises OrderRejectedError: the exchange would refuse it.
        """
        request = self._checked_order(
            symbol,
            side,
            type,
            quantity,
            price,
            time_in_force,
            client_order_id,
            quote_quantity,
            stop_price,
            iceberg_quantity,
        )
        call = self._exchange.rest_call("test_order", **request.call_args())
        self._signed_call(call, retries=CANCEL_RETRIES)

    def cancel_order(
        self, symbol: str, order_id: int | None = None, client_order_id: str | None = None
    ) -> Order:
        """Cancel one open order, by exchange id or by client order id
        (``DELETE /api/v3/order``, weight 0 when it succeeds).

        A cancel whose outcome is unknown is sent again (cancelling twice is
        harmless); if the retry finds the order already gone, the order is
        looked up and returned when it is cancelled.

        :returns: the cancelled order; its
            ``client_order_id`` is the id the order was placed with.
        :raises OrderNotFoundError: no such open order.
        """
        name = check.check_symbol(symbol)
        oid, coid = check.check_order_ref(order_id, client_order_id)
        call = self._exchange.rest_call(
            "cancel_order", symbol=name, order_id=oid, client_order_id=coid
        )
        attempt = 0
        while True:
            attempt += 1
            try:
                answer = self._signed_call(call, retries=0)
            except (NetworkError, ExchangeUnavailableError) as exc:
                if attempt > CANCEL_RETRIES:
                    raise
                logger.warning("cancel on %s: outcome unknown (%s); sending it again", name, exc)
                if self._closing.wait(RECONCILE_BACKOFF.delay(attempt)):
                    raise
                continue
            except OrderNotFoundError:
                if attempt == 1:
                    raise
                # An earlier attempt may have cancelled it: report the order
                # as it now stands if that is the case.
                order = self.get_order(name, order_id=oid, client_order_id=coid)
                if order.status is None or order.is_open:
                    raise
                return order
            order_out: Order = self._exchange.parse_rest("cancel_order", answer.payload)
            return order_out

    def cancel_all_orders(self, symbol: str) -> list[Order]:
        """Cancel every open order on *symbol* (``DELETE /api/v3/openOrders``,
        weight 0 when it succeeds).

        :returns: the cancelled orders (empty when none was open).
        """
        name = check.check_symbol(symbol)
        call = self._exchange.rest_call("cancel_all_orders", symbol=name)
        try:
            answer = self._signed_call(call, retries=CANCEL_RETRIES)
        except OrderNotFoundError:
            # The exchange answers "Unknown order sent." when nothing is open.
            return ModelList()
        orders: list[Order] = self._exchange.parse_rest("cancel_all_orders", answer.payload)
        return ModelList(orders)

    def get_order(
        self, symbol: str, order_id: int | None = None, client_order_id: str | None = None
    ) -> Order:
        """One order, by exchange id or client order id (``GET /api/v3/order``,
        weight 4).

        :raises OrderNotFoundError: the exchange does not know it.
        """
        name = check.check_symbol(symbol)
        oid, coid = check.check_order_ref(order_id, client_order_id)
        return self._get_order(name, oid, coid, retries=None)

    def _get_order(
        self,
        symbol: str,
        order_id: int | None,
        client_order_id: str | None,
        retries: int | None,
        max_wait: float | None = None,
    ) -> Order:
        call = self._exchange.rest_call(
            "get_order", symbol=symbol, order_id=order_id, client_order_id=client_order_id
        )
        answer = self._signed_call(call, retries=retries, max_wait=max_wait)
        order: Order = self._exchange.parse_rest("get_order", answer.payload)
        return order

    def get_open_orders(self, symbol: str | None = None) -> list[Order]:
        """Open orders on *symbol*, or on every symbol (``GET /api/v3/openOrders``,
        weight 6 with a symbol, 80 without)."""
        name = None if symbol is None else check.check_symbol(symbol)
        answer = self._signed_call(self._exchange.rest_call("open_orders", symbol=name))
        orders: list[Order] = self._exchange.parse_rest("open_orders", answer.payload)
        return ModelList(orders)

    def get_orders(
        self,
        symbol: str,
        start: datetime | int | None = None,
        end: datetime | int | None = None,
        limit: int | None = None,
    ) -> list[Order]:
        """Order history of *symbol*, oldest first (``GET /api/v3/allOrders``,
        weight 20 per page). Pages by itself:

        * with *start* (and *end*, default now): every order created in the
          range, at most *limit* (the exchange's 24-hour span per request is
          handled here);
        * without *start*: every order of the symbol, or only the latest
          *limit* when *limit* is given.
        """
        name = check.check_symbol(symbol)
        start_ms = check.check_time(start, "start")
        end_ms = check.check_time(end, "end")
        check.check_range(start_ms, end_ms)
        wanted = check.check_limit(limit)
        return ModelList(
            self._history("all_orders", name, start_ms, end_ms, wanted, cursor_arg="from_order_id")
        )

    def get_trades(
        self,
        symbol: str,
        start: datetime | int | None = None,
        end: datetime | int | None = None,
        limit: int | None = None,
        *,
        order_id: int | None = None,
    ) -> list[Fill]:
        """This account's trades (fills) on *symbol*, oldest first
        (``GET /api/v3/myTrades``, weight 20 per page, 5 with *order_id*).

        Pages like :meth:`get_orders`; with *order_id*, only that order's fills.
        """
        name = check.check_symbol(symbol)
        start_ms = check.check_time(start, "start")
        end_ms = check.check_time(end, "end")
        check.check_range(start_ms, end_ms)
        wanted = check.check_limit(limit)
        if order_id is not None:
            oid, _ = check.check_order_ref(order_id, None)
            answer = self._signed_call(
                self._exchange.rest_call("my_trades", symbol=name, order_id=oid)
            )
            fills: list[Fill] = self._exchange.parse_rest("my_trades", answer.payload)
            return ModelList(fills[-wanted:] if wanted is not None else fills)
        return ModelList(
            self._history("my_trades", name, start_ms, end_ms, wanted, cursor_arg="from_id")
        )

    def get_account(self) -> AccountInfo:
        """The account: permissions, commissions and every balance
        (``GET /api/v3/account``, weight 20)."""
        answer = self._signed_call(self._exchange.rest_call("account"))
        account: AccountInfo = self._exchange.parse_rest("account", answer.payload)
        return account

    def get_balances(self, include_zero: bool = False) -> list[Balance]:
        """The account's balances (``GET /api/v3/account``, weight 20).

        :param include_zero: also list assets with nothing free or locked.
        """
        answer = self._signed_call(
            self._exchange.rest_call("account", omit_zero=None if include_zero else True)
        )
        account: AccountInfo = self._exchange.parse_rest("account", answer.payload)
        balances = list(account.balances)
        if not include_zero:
            balances = [b for b in balances if b.free or b.locked]
        return ModelList(balances)

    def get_balance(self, asset: str) -> Balance:
        """The balance of one asset; a zero balance when the account has none
        (``GET /api/v3/account``, weight 20)."""
        name = check.check_asset(asset)
        for balance in self.get_balances():
            if balance.asset == name:
                return balance
        return Balance(asset=name, free=Decimal(0), locked=Decimal(0))

    # --- machinery ------------------------------------------------------------------

    def _fetch_server_ms(self) -> int:
        answer = self._request("server_time")
        ms: int = self._exchange.parse_rest("server_time", answer.payload)
        return ms

    def _signed_call(
        self, call: RestCall, *, retries: int | None = None, max_wait: float | None = None
    ) -> Response:
        self._ensure_rate_limits()
        return self._send(
            call,
            signer=self._signer,
            retries=retries,
            on_timestamp_error=self._resync_clock,
            max_wait=max_wait,
        )

    def _checked_order(
        self,
        symbol: object,
        side: object,
        type: object,
        quantity: object,
        price: object,
        time_in_force: object,
        client_order_id: object,
        quote_quantity: object,
        stop_price: object,
        iceberg_quantity: object,
    ) -> OrderRequest:
        request = check.check_order(
            symbol=symbol,
            side=side,
            type=type,
            quantity=quantity,
            price=price,
            time_in_force=time_in_force,
            client_order_id=client_order_id,
            quote_quantity=quote_quantity,
            stop_price=stop_price,
            iceberg_quantity=iceberg_quantity,
            new_client_order_id=self._exchange.new_client_order_id,
            check_client_order_id=self._exchange.check_client_order_id,
        )
        try:
            info = self.symbol_info(request.symbol)
        except InvalidSymbolError:
            raise ValidationError(
                f"symbol={request.symbol!r} is not listed by the exchange",
                field="symbol",
                allowed="a symbol listed in exchangeInfo",
            ) from None
        self._exchange.validate_order(
            info,
            side=request.side,
            order_type=request.type,
            quantity=request.quantity,
            price=request.price,
            quote_quantity=request.quote_quantity,
            stop_price=request.stop_price,
            iceberg_quantity=request.iceberg_quantity,
        )
        return request

    def _order_budget(self) -> Budget:
        """This key's shared order budget, with the exchange's ``ORDERS``
        limits once ``exchangeInfo`` was read (the documented defaults until
        then, or when it lists none)."""
        if not self._orders.configured and self._limiter.configured:
            limits = self._limiter.order_limits
            if not limits:
                _, limits = limits_from_exchange(self._exchange.default_rate_limits)
            self._orders.configure(limits)
        return self._orders

    def _submit(self, request: OrderRequest) -> Order:
        """Send a checked order; never send it twice without knowing the first
        did not arrive."""
        call = self._exchange.rest_call("place_order", **request.call_args())
        self._ensure_rate_limits()
        budget = self._order_budget()
        resent = False
        while True:
            try:
                answer = self._transport.send(call, signer=self._signer, order_budget=budget)
            except TimestampError:
                if resent:
                    raise
                # -1021 is decided before the matching engine, so the order
                # was not placed; still, confirm that before sending it again.
                logger.warning(
                    "order %s refused with -1021; resyncing the clock", request.client_order_id
                )
                found = self._resync_and_look_up(request)
                if found is not None:
                    return found
                resent = True
                continue
            except RequestError as exc:
                if not exc.maybe_sent:
                    raise NetworkError(
                        f"order {request.client_order_id!r} was not sent ({exc}); "
                        "it is safe to place it again"
                    ) from exc
                return self._reconcile(request, exc)
            except ExchangeUnavailableError as exc:
                return self._reconcile(request, exc)
            except ExchangeError as exc:
                if resent and self._exchange.is_duplicate_order(exc):
                    # The first attempt did arrive after all.
                    return self._reconcile(request, exc)
                raise
            order: Order = self._exchange.parse_rest("place_order", answer.payload)
            logger.debug(
                "order %s placed on %s: %s", request.client_order_id, request.symbol, order.status
            )
            return order

    def _resync_and_look_up(self, request: OrderRequest) -> Order | None:
        """After a ``-1021``: resync the clock, then the order if the exchange
        has it, ``None`` if it certainly has not.

        :raises TimestampError: the resync or the lookup failed, so the order
            cannot be sent again safely (it was not placed).
        """
        try:
            self._resync_clock()
            return self._get_order(request.symbol, None, request.client_order_id, retries=None)
        except OrderNotFoundError:
            return None
        except CryptoExError as exc:
            raise TimestampError(
                None,
                -1021,
                f"order {request.client_order_id!r} was refused for its timestamp and could "
                f"not be checked afterwards ({exc}); it was not placed",
            ) from exc

    def _reconcile(self, request: OrderRequest, cause: Exception) -> Order:
        """Look the order up by client order id until found or
        ``reconcile_timeout`` passes."""
        coid = request.client_order_id
        logger.warning(
            "order %s on %s: outcome unknown (%s); looking it up", coid, request.symbol, cause
        )
        clock = SYSTEM_CLOCK
        deadline = clock.monotonic() + self._reconcile_timeout
        attempt = 0
        reason = str(cause)
        while True:
            attempt += 1
            try:
                # The lookup waits for rate-limit budget no longer than the
                # reconciliation may take.
                order = self._get_order(
                    request.symbol,
                    None,
                    coid,
                    retries=0,
                    max_wait=max(0.0, deadline - clock.monotonic()),
                )
            except OrderNotFoundError:
                reason = "not found by client order id (it may still arrive)"
            except IPBannedError as exc:
                raise OrderStatusUnknownError(coid, request.symbol, str(exc)) from exc
            except (NetworkError, ExchangeUnavailableError, RateLimitError, TimestampError) as exc:
                reason = f"lookup failed: {exc}"
            else:
                logger.info("order %s found after %d lookup(s): %s", coid, attempt, order.status)
                return order
            remaining = deadline - clock.monotonic()
            if remaining <= 0 or self._closing.is_set():
                logger.error("order %s: status unknown after %d lookup(s)", coid, attempt)
                raise OrderStatusUnknownError(coid, request.symbol, reason) from cause
            self._closing.wait(min(RECONCILE_BACKOFF.delay(attempt), remaining))

    def _history(
        self,
        operation: str,
        symbol: str,
        start_ms: int | None,
        end_ms: int | None,
        wanted: int | None,
        *,
        cursor_arg: str,
    ) -> list[Any]:
        """Page through ``allOrders`` / ``myTrades``.

        With a start time, the range is cut in spans the exchange accepts and
        each span is paged by id; without one, everything is paged by id from
        the first (or, for a small *limit*, the latest page is read).
        """
        page_size = self._exchange.max_limit(operation) or 1000
        id_of = _order_id if operation == "all_orders" else _trade_id

        def fetch(**args: object) -> list[Any]:
            answer = self._signed_call(self._exchange.rest_call(operation, symbol=symbol, **args))
            items: list[Any] = self._exchange.parse_rest(operation, answer.payload)
            return items

        if start_ms is None and end_ms is None and wanted is not None and wanted <= page_size:
            # The exchange returns the latest *limit* by itself.
            return fetch(limit=wanted)
        result: list[Any] = []
        seen: set[int] = set()

        def add(items: Iterable[Any]) -> int:
            added = 0
            for item in items:
                key = id_of(item)
                if key in seen:
                    continue
                if end_ms is not None and _time_ms(item) > end_ms:
                    continue
                seen.add(key)
                result.append(item)
                added += 1
            return added

        if start_ms is None:
            cursor = 0
            while True:
                page = fetch(**{cursor_arg: cursor, "limit": page_size})
                added = add(page)
                if (
                    len(page) < page_size
                    or added == 0  # the exchange ignored the cursor: nothing new
                    or (end_ms is not None and _time_ms(page[-1]) > end_ms)
                ):
                    break
                cursor = id_of(page[-1]) + 1
            return result[-wanted:] if wanted is not None else result

        span = self._exchange.max_span_ms(operation) or 24 * 3600 * 1000
        stop = end_ms if end_ms is not None else self._clock.timestamp_ms()
        window_start = start_ms
        while window_start <= stop and (wanted is None or len(result) < wanted):
            window_end = min(window_start + span - 1, stop)
            page_start = window_start
            while True:
                page = fetch(start_ms=page_start, end_ms=window_end, limit=page_size)
                added = add(page)
                if len(page) < page_size or added == 0:
                    break
                # A full page: continue from the last item's time (items of
                # the same millisecond are de-duplicated by id).
                page_start = _time_ms(page[-1])
            window_start = window_end + 1
        result.sort(key=lambda item: (_time_ms(item), id_of(item)))
        return result[:wanted] if wanted is not None else result


def _secret(value: object) -> Secret:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError("api_secret must be a non-empty string")
    return Secret(value.strip())


def get_adapter(exchange: Exchange | str) -> Exchange:
    """The adapter for *exchange* (a name or an adapter)."""
    from cryptoex.exchanges import get_exchange

    return get_exchange(exchange) if isinstance(exchange, str) else exchange


def _order_id(order: Order) -> int:
    return order.order_id


def _trade_id(fill: Fill) -> int:
    return fill.trade_id


def _time_ms(item: Order | Fill) -> int:
    """When an order was created or a fill traded (0 when not reported)."""
    stamp = item.created_time if isinstance(item, Order) else item.trade_time
    return to_ms(stamp) if stamp is not None else 0
