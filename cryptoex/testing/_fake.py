"""FakeBinance: configuration, lifecycle, accounts, market control and inspection."""

from __future__ import annotations

import enum
import logging
import math
import secrets
import string
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

import orjson

from cryptoex.testing._context import Settings
from cryptoex.testing._engine import Exchange, NullPublisher
from cryptoex.testing._faults import Faults
from cryptoex.testing._format import Clock
from cryptoex.testing._market import AggTrade, Market, Trade
from cryptoex.testing._markets import select_markets
from cryptoex.testing._records import ConnectionInfo, RecordedControl, RecordedRequest
from cryptoex.testing._state import Core
from cryptoex.testing._streams import parse_stream, to_micros

if TYPE_CHECKING:
    from cryptoex.testing._rest import RestServer
    from cryptoex.testing._ws import Hub, WsConn

logger = logging.getLogger(__name__)

#: Default starting balances of the default account.
DEFAULT_BALANCES: Final[Mapping[str, str]] = {
    "USDT": "100000",
    "BTC": "1",
    "ETH": "10",
    "BNB": "100",
}
DEFAULT_COMMISSION_RATE: Final = Decimal("0.001")
_ALNUM: Final = string.ascii_letters + string.digits
# Placeholders substituted per flooded message (larger than any real time or id).
_FLOOD_TIME: Final = 987_654_321_012_345
_FLOOD_ID: Final = 876_543_210_987_654


class _State(enum.Enum):
    NEW = "new"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"


def _key() -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(64))


def _amounts(balances: Mapping[str, str | Decimal | int], field: str) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for asset, amount in balances.items():
        if isinstance(amount, (float, bool)) or not isinstance(amount, (str, Decimal, int)):
            raise TypeError(
                f"{field}[{asset!r}]: give a str, Decimal or int amount, "
                f"not {type(amount).__name__}"
            )
        try:
            value = Decimal(amount)
        except InvalidOperation:
            raise ValueError(f"{field}[{asset!r}]: {amount!r} is not a number") from None
        if not value.is_finite() or value < 0:
            raise ValueError(f"{field}[{asset!r}]: must be a finite amount >= 0, got {amount!r}")
        out[str(asset).upper()] = value
    return out


def _positive(name: str, value: float, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__}")
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name}: must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return float(value)


def _count(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name}: must be >= 1, got {value!r}")
    return value


class FakeBinance:
    """A Binance-compatible exchange on 127.0.0.1: REST, market streams and the
    WebSocket API on real sockets, with a seeded synthetic market, order matching,
    user-data events, signature checks, rate limits and fault injection.

    Construction only stores configuration and builds the market; :meth:`start` binds
    two ephemeral ports (REST, websockets) and starts the threads (all named
    ``fakebinance-...``); :meth:`stop` joins every one of them. Usage::

        with FakeBinance(seed=1, message_rate=50) as fb:
            requests.get(fb.rest_url + "/api/v3/ping")

    The websocket server needs the ``websockets`` package (``pip install cryptoex[sandbox]``),
    imported only when a sandbox starts.

    :param seed: seeds the synthetic market (same seed, same operations: same market).
    :param symbols: a subset of the built-in markets (``BTCUSDT``, ``ETHUSDT``,
        ``BNBUSDT``, ``ETHBTC``, ``PEPEUSDT``); all when ``None``.
    :param message_rate: market ticks per second; 0 pauses the market (use :meth:`step`).
    :param ping_interval: seconds between server pings on every websocket.
    :param pong_timeout: seconds a client has to answer a ping before it is disconnected.
    :param max_connection_age: seconds after which a websocket is closed (Binance: 24 h).
    :param max_streams_per_connection: streams one connection may hold.
    :param max_incoming_per_second: messages per second a stream connection may send
        (more: disconnected).
    :param max_connection_attempts: websocket handshakes allowed per
        *connection_attempt_window* seconds (more: 429).
    :param connection_attempt_window: the attempt-counting window in seconds.
    :param request_weight_limit: REQUEST_WEIGHT per minute (REST and WebSocket API).
    :param order_limit_10s: unfilled orders per 10 s per account.
    :param order_limit_1d: unfilled orders per day per account.
    :param ban_after_429s: requests sent during a 429's ``Retry-After`` before a 418 ban.
    :param ban_seconds: length of an automatic ban.
    :param balances: the default account's starting balances
        (default USDT 100000, BTC 1, ETH 10, BNB 100).
    :param commission_rate: maker and taker commission (default 0.001).
    :raises TypeError: a parameter of the wrong type (named in the message).
    :raises ValueError: a parameter out of range (named in the message).
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        symbols: Sequence[str] | None = None,
        message_rate: float = 10.0,
        ping_interval: float = 20.0,
        pong_timeout: float = 60.0,
        max_connection_age: float = 86_400.0,
        max_streams_per_connection: int = 1024,
        max_incoming_per_second: float = 5.0,
        max_connection_attempts: int = 300,
        connection_attempt_window: float = 300.0,
        request_weight_limit: int = 6000,
        order_limit_10s: int = 50,
        order_limit_1d: int = 160_000,
        ban_after_429s: int = 3,
        ban_seconds: float = 120.0,
        balances: Mapping[str, str | Decimal | int] | None = None,
        commission_rate: Decimal | str = DEFAULT_COMMISSION_RATE,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed: expected an int, got {type(seed).__name__}")
        specs = select_markets(symbols)
        given: object = commission_rate  # typed, but callers may pass anything at runtime
        if isinstance(given, float) or not isinstance(given, (Decimal, str)):
            raise TypeError("commission_rate: give a Decimal or str, e.g. Decimal('0.001')")
        try:
            rate = Decimal(commission_rate)
        except InvalidOperation:
            raise ValueError(f"commission_rate: {commission_rate!r} is not a number") from None
        if not rate.is_finite() or not 0 <= rate < 1:
            raise ValueError(f"commission_rate: must be in [0, 1), got {commission_rate!r}")
        self._settings = Settings(
            seed=seed,
            message_rate=_positive("message_rate", message_rate, allow_zero=True),
            ping_interval=_positive("ping_interval", ping_interval),
            pong_timeout=_positive("pong_timeout", pong_timeout),
            max_connection_age=_positive("max_connection_age", max_connection_age),
            max_streams_per_connection=_count(
                "max_streams_per_connection", max_streams_per_connection
            ),
            max_incoming_per_second=_positive("max_incoming_per_second", max_incoming_per_second),
            max_connection_attempts=_count("max_connection_attempts", max_connection_attempts),
            connection_attempt_window=_positive(
                "connection_attempt_window", connection_attempt_window
            ),
            request_weight_limit=_count("request_weight_limit", request_weight_limit),
            order_limit_10s=_count("order_limit_10s", order_limit_10s),
            order_limit_1d=_count("order_limit_1d", order_limit_1d),
            ban_after_429s=_count("ban_after_429s", ban_after_429s),
            ban_seconds=_positive("ban_seconds", ban_seconds),
            commission_rate=rate,
        )
        starting = _amounts(DEFAULT_BALANCES if balances is None else balances, "balances")
        self._clock = Clock()
        self._exchange = Exchange(specs, seed=seed, clock=self._clock, commission_rate=rate)
        self._core = Core(self._settings, self._exchange, self._clock)
        self._rate = self._settings.message_rate
        self._wake = threading.Event()
        self._state = _State.NEW
        self._state_lock = threading.Lock()
        self._rest: RestServer | None = None
        self._hub: Hub | None = None
        self._market_thread: threading.Thread | None = None
        #: The default account's API key (random per instance).
        self.api_key = _key()
        #: The default account's API secret (random per instance).
        self.api_secret = _key()
        self._exchange.add_account(self.api_key, self.api_secret, "default", starting)
        #: Fault injection for this sandbox (see :class:`Faults`).
        self.faults = Faults(self)

    def __repr__(self) -> str:
        where = f" rest={self._rest.url}" if self._rest is not None else ""
        return f"<FakeBinance {self._state.value}{where} api_key={self.api_key[:6]}...>"

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> FakeBinance:
        """Bind the REST and websocket servers on 127.0.0.1 (ephemeral ports) and start the
        market. Returns once both servers accept connections.

        :returns: ``self``.
        :raises RuntimeError: if already started (a sandbox runs once; create a new one).
        :raises ImportError: if ``websockets`` is not installed (``pip install cryptoex[sandbox]``).
        """
        with self._state_lock:
            if self._state is not _State.NEW:
                raise RuntimeError(
                    f"FakeBinance.start(): this sandbox is {self._state.value}; "
                    "a sandbox runs once, create a new FakeBinance"
                )
            try:
                from cryptoex.testing._ws import Hub
            except ImportError as exc:  # pragma: no cover - depends on the environment
                raise ImportError(
                    "FakeBinance needs the 'websockets' package: pip install cryptoex[sandbox]"
                ) from exc
            from cryptoex.testing._rest import RestServer

            self._rest = RestServer(self._core)
            self._hub = Hub(self._core)
            self._exchange.publisher = self._hub
            self._market_thread = threading.Thread(
                target=self._run_market, name="fakebinance-market", daemon=True
            )
            self._rest.start()
            self._hub.start()
            self._market_thread.start()
            self._state = _State.RUNNING
        logger.info("FakeBinance started: %s %s", self.rest_url, self.ws_url)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop both servers and the market; join every thread started.

        Open websockets get a close frame (code 1001); those that do not complete the
        close handshake quickly are reset. Idempotent.

        :param timeout: seconds to wait for threads before giving up (logged).
        """
        with self._state_lock:
            if self._state is _State.NEW:
                self._state = _State.STOPPED
                return
            if self._state is not _State.RUNNING:
                return
            self._state = _State.STOPPING
        deadline = time.monotonic() + timeout
        self._core.stopping.set()
        self._wake.set()
        rest, hub = self._running("stop()")
        rest.stop(deadline)
        hub.stop(deadline)
        if self._market_thread is not None:
            self._market_thread.join(max(0.0, deadline - time.monotonic()))
        self._exchange.publisher = NullPublisher()
        with self._state_lock:
            self._state = _State.STOPPED
        logger.info("FakeBinance stopped")

    def __enter__(self) -> FakeBinance:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _running(self, what: str) -> tuple[RestServer, Hub]:
        if self._rest is None or self._hub is None:
            raise RuntimeError(
                f"FakeBinance.{what}: call start() first (or use it as a context manager)"
            )
        return self._rest, self._hub

    @property
    def rest_url(self) -> str:
        """REST base URL, e.g. ``http://127.0.0.1:PORT`` (paths ``/api/v3/...``).

        :raises RuntimeError: before :meth:`start`.
        """
        rest, _ = self._running("rest_url")
        return rest.url

    @property
    def ws_url(self) -> str:
        """Market-stream base URL, e.g. ``ws://127.0.0.1:PORT`` (``/ws``, ``/ws/<stream>``,
        ``/stream?streams=...``).

        :raises RuntimeError: before :meth:`start`.
        """
        _, hub = self._running("ws_url")
        return f"ws://127.0.0.1:{hub.port}"

    @property
    def ws_api_url(self) -> str:
        """WebSocket API URL, e.g. ``ws://127.0.0.1:PORT/ws-api/v3``.

        :raises RuntimeError: before :meth:`start`.
        """
        return self.ws_url + "/ws-api/v3"

    # -- accounts ------------------------------------------------------------------

    def add_account(
        self,
        balances: Mapping[str, str | Decimal | int] | None = None,
        name: str | None = None,
        *,
        api_key: str | None = None,
        api_secret: str | None = None,
    ) -> tuple[str, str]:
        """Create another account.

        :param balances: starting free balances (default: the default account's defaults).
        :param name: a label for logs.
        :param api_key: use this key (64 letters/digits) instead of a random one, e.g.
            Binance's documented example key to replay its signing vectors.
        :param api_secret: use this secret instead of a random one.
        :returns: ``(api_key, api_secret)``.
        :raises ValueError: malformed or duplicate key, bad balances.
        """
        key = api_key if api_key is not None else _key()
        if len(key) != 64 or any(c not in _ALNUM for c in key):
            raise ValueError("api_key: must be 64 letters or digits (Binance's key format)")
        secret = api_secret if api_secret is not None else _key()
        amounts = _amounts(DEFAULT_BALANCES if balances is None else balances, "balances")
        label = name if name is not None else f"account-{len(self._exchange.accounts) + 1}"
        self._exchange.add_account(key, secret, label, amounts)
        return key, secret

    def deposit(self, asset: str, amount: str | Decimal | int, api_key: str | None = None) -> None:
        """Credit (negative: debit) an account's free balance; pushes ``balanceUpdate`` and
        ``outboundAccountPosition`` to its user-data subscriptions.

        :param asset: e.g. ``"USDT"``.
        :param amount: signed amount (str, Decimal or int, never float).
        :param api_key: the account (default account when ``None``).
        :raises KeyError: unknown key.
        :raises ValueError: a withdrawal larger than the free balance.
        :raises TypeError: a float amount.
        """
        if isinstance(amount, (float, bool)) or not isinstance(amount, (str, Decimal, int)):
            raise TypeError(f"amount: give a str, Decimal or int, not {type(amount).__name__}")
        value = Decimal(amount)
        account = self._core.account(api_key, self.api_key)
        self._exchange.deposit(account, asset.upper(), value)

    # -- market control --------------------------------------------------------------------

    def _market(self, symbol: str) -> Market:
        market = self._exchange.markets.get(symbol.upper())
        if market is None:
            raise ValueError(
                f"symbol: {symbol!r} is not a market of this sandbox "
                f"({sorted(self._exchange.markets)})"
            )
        return market

    def step(self, n: int = 1) -> None:
        """Advance the market *n* ticks now, on the caller's thread (deterministic with
        ``message_rate=0``). Each tick may trade, move the book and publish events.

        :param n: number of ticks.
        """
        for _ in range(_count("n", n)):
            self._exchange.tick()

    def set_message_rate(self, rate: float) -> None:
        """Change the market's tick rate.

        :param rate: ticks per second; 0 pauses the market.
        """
        self._rate = _positive("rate", rate, allow_zero=True)
        self._wake.set()

    @property
    def message_rate(self) -> float:
        """Current ticks per second (0 = paused).

        :returns: the rate.
        """
        return self._rate

    def price(self, symbol: str) -> Decimal:
        """The current mid price of *symbol*.

        :param symbol: e.g. ``"BTCUSDT"``.
        :returns: (best bid + best ask) / 2.
        :raises ValueError: unknown symbol.
        """
        return self._exchange.mid_price(self._market(symbol).symbol)

    def set_price(self, symbol: str, price: str | Decimal | int) -> None:
        """Move *symbol*'s market to *price* now; resting orders the price moves through
        fill (at their own price), as a fast market would fill them.

        :param symbol: e.g. ``"BTCUSDT"``.
        :param price: the new price (str, Decimal or int).
        :raises ValueError: unknown symbol or non-positive price.
        """
        value = Decimal(price)
        if not value.is_finite() or value <= 0:
            raise ValueError(f"price: must be > 0, got {price!r}")
        self._exchange.set_price(self._market(symbol).symbol, value)

    def _run_market(self) -> None:
        next_at = time.monotonic()
        while not self._core.stopping.is_set():
            rate = self._rate
            if rate <= 0:
                self._wake.wait(1.0)
                self._wake.clear()
                next_at = time.monotonic()
                continue
            next_at += 1.0 / rate
            delay = next_at - time.monotonic()
            if delay > 0:
                if self._wake.wait(delay):
                    self._wake.clear()
                    next_at = time.monotonic()
                    continue
            elif delay < -1.0:
                next_at = time.monotonic()  # fell far behind: do not burst to catch up
            if self._core.stopping.is_set():
                break
            try:
                self._exchange.tick()
            except Exception:
                logger.exception("market tick failed")

    # -- flood -------------------------------------------------------------------------------

    def _flood_payload(self, stream: str, count: int) -> tuple[Any, int]:
        """A payload of *stream* with placeholder times and ids; reserves *count* ids."""
        markets = self._exchange.markets
        if stream == "!miniTicker@arr":
            with self._exchange.lock:
                return [m.mini_ticker_event(_FLOOD_TIME) for m in markets.values()], 0
        parts = parse_stream(stream)
        market = None if parts is None else markets.get(parts["symbol"].upper())
        if parts is None or market is None or parts["symbol"] != parts["symbol"].lower():
            raise ValueError(f"stream: {stream!r} is not a stream of this sandbox")
        kind = parts["kind"]
        now = self._clock.now_ms()
        with self._exchange.lock:
            if kind == "trade":
                first = market.next_trade_id
                market.next_trade_id += count
                trade = Trade(
                    _FLOOD_ID, _FLOOD_TIME, market.last_price, market.last_units or 1, False
                )
                return market.trade_event(trade, _FLOOD_TIME), first
            if kind == "aggTrade":
                first = market.next_agg_id
                market.next_agg_id += count
                last = market.next_trade_id - 1
                agg = AggTrade(
                    _FLOOD_ID,
                    last,
                    last,
                    _FLOOD_TIME,
                    market.last_price,
                    market.last_units or 1,
                    False,
                )
                return market.agg_event(agg, _FLOOD_TIME), first
            payload: Any
            if kind == "bookTicker":
                payload = market.book_ticker_event()
            elif kind.startswith("depth") and "levels" in parts:
                payload = market.partial_depth(int(parts["levels"]))
            elif kind.startswith("depth"):
                raise ValueError(
                    f"stream: flood does not support diff-depth streams ({stream!r}): their "
                    "update ids must stay consistent with the book"
                )
            elif kind == "ticker":
                payload = market.ticker_event(now)
            elif kind == "miniTicker":
                payload = market.mini_ticker_event(now)
            elif kind == "avgPrice":
                payload = market.avg_price_event(now)
            else:
                from cryptoex.testing._klines import open_time

                tz = 8 * 3_600_000 if parts.get("tz") else 0
                payload = market.kline_event(
                    parts["interval"], open_time(parts["interval"], now, tz), now, tz
                )
            if "E" in payload:
                payload["E"] = _FLOOD_TIME
            return payload, 0

    def flood(self, stream: str, count: int) -> None:
        """Push *count* messages of *stream* to every connection subscribed to it, as fast
        as the sockets take them (benchmark mode), and return when all were sent.

        Messages are valid payloads of that stream built from the current market, with
        the current event time (and fresh trade ids for ``@trade`` / ``@aggTrade``); they do
        not change the market. Diff-depth streams are refused (their ids must stay
        consistent with the book). Payloads are serialised once and templated, so one
        connection receives well over 50,000 ticker messages per second.

        :param stream: e.g. ``"btcusdt@ticker"``, ``"btcusdt@trade"``, ``"btcusdt@depth20"``.
        :param count: how many messages.
        :raises ValueError: unknown or unsupported stream.
        :raises RuntimeError: before :meth:`start`.
        """
        _, hub = self._running("flood()")
        payload, first_id = self._flood_payload(stream, max(0, count))

        def template(body: Any, time_value: int) -> bytes:
            raw = orjson.dumps(body).replace(b"%", b"%%")
            raw = raw.replace(str(time_value).encode(), b"%(e)d")
            return raw.replace(str(_FLOOD_ID).encode(), b"%(i)d")

        plain = template(payload, _FLOOD_TIME)
        micros = template(to_micros(payload), _FLOOD_TIME * 1000)
        hub.flood(stream, plain, micros, count, first_id)

    # -- inspection ----------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every REST request seen, oldest first (a copy; the most recent 100,000 at most).

        :returns: the recorded requests.
        """
        return self._core.requests()

    def clear_requests(self) -> None:
        """Forget the recorded REST requests."""
        self._core.clear_requests()

    def _hub_select(self, kind: str | None, ids: Iterable[int] | None) -> list[WsConn]:
        if self._hub is None:
            return []
        if kind not in (None, "stream", "ws-api"):
            raise ValueError(f"kind: must be 'stream', 'ws-api' or None, got {kind!r}")
        return self._hub.select(kind, ids)

    def connections(self) -> list[ConnectionInfo]:
        """Websocket connections open now (market streams and WebSocket API), by id.

        :returns: snapshots.
        """
        return [c.info() for c in self._hub_select(None, None)]

    @property
    def connection_attempts(self) -> int:
        """Websocket handshakes received so far (refused ones included).

        :returns: the count.
        """
        return self._hub.connection_attempts if self._hub is not None else 0

    def control_messages(self, connection_id: int | None = None) -> list[RecordedControl]:
        """Every message received on websockets: stream control messages (SUBSCRIBE...)
        and WebSocket API requests, oldest first (the most recent 100,000 at most).

        :param connection_id: only this connection's messages (all when ``None``).
        :returns: the recorded messages.
        """
        return self._core.controls(connection_id)

    def orders(self, api_key: str | None = None) -> list[dict[str, Any]]:
        """An account's orders (open and closed) as Binance order objects, by order id.

        :param api_key: the account (default account when ``None``).
        :returns: payloads shaped like ``GET /api/v3/order``.
        :raises KeyError: unknown key.
        """
        account = self._core.account(api_key, self.api_key)
        with self._exchange.lock:
            return [account.orders[k].query_payload() for k in sorted(account.orders)]

    def balances(self, api_key: str | None = None) -> dict[str, tuple[Decimal, Decimal]]:
        """An account's balances.

        :param api_key: the account (default account when ``None``).
        :returns: ``{asset: (free, locked)}``.
        :raises KeyError: unknown key.
        """
        account = self._core.account(api_key, self.api_key)
        with self._exchange.lock:
            return {asset: (free, locked) for asset, (free, locked) in account.balances.items()}
