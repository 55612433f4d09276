"""HTTP for the REST clients: one :class:`requests.Session` per thread,
per-request timeouts, rate-limit accounting, signing, error translation and
redacted logs.

This is the one boundary where ``requests``/``urllib3`` exceptions, HTTP
statuses and JSON decoding become :mod:`cryptoex.errors`. Nothing that leaves
here carries the API secret, the API key or a signature:

* the secret is a :class:`~cryptoex._secrets.Secret` and is unwrapped only by
  the adapter's signing code;
* the API key travels in a header taken from an attribute, never a local
  variable, so ``traceback.TracebackException(capture_locals=True)`` shows
  nothing of it; the signed payload is held by :class:`Wire`, whose repr is
  masked;
* signed parameters of POST and DELETE go in the form body, which urllib3
  does not log; GET has to carry them in the query, and the
  :func:`~cryptoex._secrets.install_redaction` filter masks the signature in
  urllib3's DEBUG records;
* a ``requests`` exception is translated *outside* its ``except`` block, so
  the library exception (whose frames hold the request headers) is neither
  the ``__cause__`` nor the ``__context__`` of ours.

Sessions are not thread-safe (psf/requests#2766), so each thread gets its own
from a :class:`threading.local`; :meth:`Transport.close` closes all of them.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import orjson
import requests
import requests.adapters
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from cryptoex._secrets import MASK, Secret, install_redaction, mask
from cryptoex._time import UTC
from cryptoex.errors import (
    ExchangeError,
    ExchangeUnavailableError,
    IPBannedError,
    NetworkError,
    RateLimitError,
)
from cryptoex.rest.ratelimit import Budget, HostLimiter, Ticket, ban_end

if TYPE_CHECKING:
    from cryptoex.exchanges.base import Exchange
    from cryptoex.exchanges.binance.rest_api import RestCall

__all__ = ["DEFAULT_POOL_SIZE", "RequestError", "Response", "Signer", "Transport", "Wire"]

logger = logging.getLogger(__name__)

#: Connections kept per thread's session to one host.
DEFAULT_POOL_SIZE: Final = 4
#: How many times a blocking call waits out a 429's ``Retry-After`` and sends again.
MAX_RATE_LIMIT_RETRIES: Final = 3
_FORM: Final = {"Content-Type": "application/x-www-form-urlencoded"}


class RequestError(NetworkError):
    """A :class:`~cryptoex.errors.NetworkError` that also says whether the
    request may have reached the exchange.

    :param maybe_sent: ``False`` only when the connection failed before any
        byte of the request was written (connect refused or timed out).
    """

    def __init__(self, message: str, *, maybe_sent: bool) -> None:
        super().__init__(message)
        #: Whether the exchange may have received (and acted on) the request.
        self.maybe_sent = maybe_sent

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_request_error, (self.args[0], self.maybe_sent))


def _rebuild_request_error(message: str, maybe_sent: bool) -> RequestError:
    return RequestError(message, maybe_sent=maybe_sent)


@dataclass(frozen=True)
class Response:
    """A successful answer.

    :param status: HTTP status (2XX).
    :param payload: the decoded JSON body.
    :param headers: response headers.
    :param elapsed: seconds from sending to the answer.
    """

    status: int
    payload: Any
    headers: Mapping[str, str]
    elapsed: float


class Wire:
    """The encoded (and possibly signed) parameters of one request, with a
    masked repr so that no traceback or debugger shows a signature."""

    __slots__ = ("signed", "text")

    def __init__(self, text: str, signed: bool) -> None:
        self.text = text
        self.signed = signed

    def __repr__(self) -> str:
        return f"Wire({MASK})" if self.signed else f"Wire({self.text!r})"


class Signer:
    """Signs requests for one API key.

    Holds the key and the secret, both as :class:`~cryptoex._secrets.Secret`
    (the key is shown only masked);
    asks *timestamp_ms* for the offset-corrected time of each request.

    :param api_key: the API key.
    :param secret: the API secret.
    :param exchange: the adapter (parameter names, signing).
    :param timestamp_ms: returns the server time in milliseconds.
    :param recv_window: Binance's ``recvWindow`` in milliseconds.
    :param prepare: called before the rate-limit budget is reserved (measures
        the clock offset when due, so that request is not made while holding
        a reservation).
    """

    def __init__(
        self,
        api_key: Secret,
        secret: Secret,
        exchange: Exchange,
        timestamp_ms: Callable[[], int],
        recv_window: int | float,
        prepare: Callable[[], None] | None = None,
    ) -> None:
        self._api_key = api_key
        self._prepare = prepare
        self._secret = secret
        self._exchange = exchange
        self._timestamp_ms = timestamp_ms
        self.recv_window = recv_window
        # Built once: the dict is reached through an attribute on every
        # request, so no frame's locals ever hold the key.
        self.headers: Mapping[str, str] = _MaskedHeaders(exchange.auth_headers(api_key.reveal()))

    def __repr__(self) -> str:
        return f"Signer(api_key={self.masked_key!r}, secret={self._secret!r})"

    @property
    def masked_key(self) -> str:
        """The API key, shortened for display."""
        return mask(self._api_key.reveal())

    def sign_ws(self, params: Mapping[str, object]) -> dict[str, object]:
        """WebSocket API request params with the key, a timestamp,
        ``recvWindow`` and the signature added."""
        return self._exchange.sign_ws_request(
            self._api_key.reveal(),
            self._secret,
            params,
            timestamp_ms=self._timestamp_ms(),
            recv_window=self.recv_window,
        )

    def prepare(self) -> None:
        """Get ready to sign (see the *prepare* parameter)."""
        if self._prepare is not None:
            self._prepare()

    def sign(self, params: Mapping[str, object]) -> Wire:
        """Percent-encode *params* with the timing parameters and sign them."""
        timing = self._exchange.timing_params(self._timestamp_ms(), self.recv_window)
        return Wire(self._exchange.signed_payload(self._secret, {**params, **timing}), True)


class _MaskedHeaders(dict[str, str]):
    """Request headers holding the API key: a plain dict for requests, a
    masked repr for everyone else."""

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{k!r}: {mask(v)!r}" for k in self for v in (self[k],)) + "}"


class Transport:
    """Sends REST calls to one base URL.

    :param base_url: ``scheme://host:port`` (no trailing slash).
    :param exchange: the adapter (error mapping, rate-limit headers).
    :param limiter: the process-wide budget of *base_url*.
    :param timeout: seconds per request.
    :param block: default for waiting on the budget (``False``: raise).
    :param pool_size: connections kept per thread.
    """

    def __init__(
        self,
        base_url: str,
        exchange: Exchange,
        limiter: HostLimiter,
        *,
        timeout: float,
        block: bool = True,
        pool_size: int = DEFAULT_POOL_SIZE,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.exchange = exchange
        self.limiter = limiter
        self.timeout = timeout
        self.block = block
        self._pool_size = pool_size
        self._local = threading.local()
        self._lock = threading.Lock()
        # Every session handed out, with the thread it belongs to, so close()
        # can close them all and sessions of finished threads get closed
        # instead of waiting for the garbage collector.
        self._sessions: list[tuple[weakref.ref[threading.Thread], requests.Session]] = []
        self._closed = False
        install_redaction()

    def __repr__(self) -> str:
        return f"<Transport {self.base_url}>"

    # --- sessions ----------------------------------------------------------------------

    def session(self) -> requests.Session:
        """This thread's session (created on first use)."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is not None and not self._closed:
            return session
        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=1, pool_maxsize=self._pool_size, max_retries=0
        )
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["User-Agent"] = "cryptoex"
        stale: list[requests.Session] = []
        with self._lock:
            if self._closed:
                session.close()
                raise RuntimeError("this client was closed; create a new one")
            alive = []
            for ref, other in self._sessions:
                thread = ref()
                if thread is None or not thread.is_alive():
                    stale.append(other)
                else:
                    alive.append((ref, other))
            alive.append((weakref.ref(threading.current_thread()), session))
            self._sessions = alive
        # Closing happens outside the lock (it touches sockets).
        for other in stale:
            other.close()
        self._local.session = session
        return session

    def close(self) -> None:
        """Close every thread's session; later calls raise ``RuntimeError``."""
        with self._lock:
            sessions = [s for _, s in self._sessions]
            self._sessions = []
            self._closed = True
        for session in sessions:
            session.close()

    # --- sending ------------------------------------------------------------------------

    def send(
        self,
        call: RestCall,
        *,
        signer: Signer | None = None,
        order_budget: Budget | None = None,
        block: bool | None = None,
        timeout: float | None = None,
        max_wait: float | None = None,
    ) -> Response:
        """Send *call* and return its decoded answer.

        Waits for (or, non-blocking, refuses on) the weight budget first, signs
        after waiting (so the timestamp is fresh), and honours a 429's
        ``Retry-After`` by waiting and sending again when blocking.

        :param max_wait: longest wait for the budget, in seconds (``None``: as
            long as it takes).

        :raises IPBannedError: the host banned this IP; nothing was sent.
        :raises RateLimitError: the budget is exhausted (non-blocking) or the
            exchange answered 429.
        :raises RequestError: the connection failed, dropped or timed out.
        :raises ExchangeError: the exchange answered with an error (mapped by
            the adapter; HTML or empty bodies become
            :class:`~cryptoex.errors.ExchangeUnavailableError`).
        """
        blocking = self.block if block is None else block
        endpoint = call.endpoint
        weight = endpoint.weight_for(call.params)
        if signer is not None and endpoint.signed:
            signer.prepare()
        attempt = 0
        while True:
            attempt += 1
            ticket = self.limiter.acquire(
                weight,
                order_budget=order_budget if endpoint.places_order else None,
                block=blocking,
                max_wait=max_wait,
            )
            try:
                return self._send_once(call, ticket, signer, timeout, order_budget)
            except RateLimitError as exc:
                if (
                    isinstance(exc, IPBannedError)
                    or not blocking
                    or exc.status != 429
                    or attempt > MAX_RATE_LIMIT_RETRIES
                ):
                    raise
                # A 429 means the request was refused before processing, so
                # sending it again is safe; acquire() waits out Retry-After.
                logger.warning(
                    "%s %s got HTTP 429; waiting %.1f s and sending again (attempt %d)",
                    endpoint.method,
                    endpoint.path,
                    exc.retry_after or 0.0,
                    attempt + 1,
                )

    def _send_once(
        self,
        call: RestCall,
        ticket: Ticket,
        signer: Signer | None,
        timeout: float | None,
        order_budget: Budget | None,
    ) -> Response:
        endpoint = call.endpoint
        settled = False
        try:
            wire = (
                signer.sign(call.params)
                if signer is not None and endpoint.signed
                else Wire(self.exchange.encode_params(call.params), False)
            )
            if endpoint.signed and signer is None:
                raise RuntimeError(f"{endpoint.path} needs an API key: use a UserClient")
            session = self.session()
            in_body = endpoint.method in ("POST", "PUT", "DELETE")
            failure: RequestError | None = None
            started = time.perf_counter()
            try:
                answer = session.request(
                    endpoint.method,
                    # Built inline: a signed query never sits in a local variable.
                    self.base_url
                    + endpoint.path
                    + ("?" + wire.text if wire.text and not in_body else ""),
                    data=wire.text.encode("ascii") if in_body and wire.text else None,
                    headers=_headers(signer, in_body and bool(wire.text)),
                    timeout=self.timeout if timeout is None else timeout,
                    allow_redirects=False,
                )
            except (requests.RequestException, OSError, ValueError) as exc:
                # OSError and ValueError cover what urllib3/http.client raise
                # unwrapped (a socket error, a header they refuse).
                failure = _translate(exc, endpoint.method, endpoint.path)
            # Raised here, outside the except block, so the requests exception
            # is not chained to ours (see the module docstring).
            if failure is not None:
                logger.debug(
                    "%s %s failed after %.1f ms: %s",
                    endpoint.method,
                    endpoint.path,
                    (time.perf_counter() - started) * 1000,
                    failure,
                )
                raise failure
            elapsed = time.perf_counter() - started
            status = answer.status_code
            headers = answer.headers
            body = answer.content
            used, orders = self.exchange.rate_limit_usage(headers)
            ok = status < 400
            self.limiter.settle(
                ticket,
                charged=not (ok and endpoint.free_on_success),
                used_weights=used,
                order_counts=orders,
            )
            settled = True
            logger.debug(
                "%s %s -> %d in %.1f ms (weight %d, used %s)",
                endpoint.method,
                endpoint.path,
                status,
                elapsed * 1000,
                ticket.ip.weight,
                used or "-",
            )
            if not ok:
                raise self._error(status, body, headers, order_budget)
            return Response(status, _decode(status, body), headers, elapsed)
        finally:
            if not settled:
                # Never answered (or never sent): charge the reservation, as
                # the exchange may have counted the request.
                self.limiter.settle(ticket, charged=True)

    def _error(
        self, status: int, body: bytes, headers: Mapping[str, str], order_budget: Budget | None
    ) -> ExchangeError:
        error = self.exchange.error_from_http(status, body, headers)
        if isinstance(error, IPBannedError):
            until = error.until or ban_end(error.retry_after, time.time())
            self.limiter.ban(until.astimezone(UTC), error.message)
        elif isinstance(error, RateLimitError) and error.status in (429, None):
            seconds = error.retry_after if error.retry_after is not None else 1.0
            if error.code == -1015 and order_budget is not None:
                # Too many orders: the account's order budget waits, not the IP.
                order_budget.back_off(seconds)
            else:
                self.limiter.budget.back_off(seconds)
        return error


def _headers(signer: Signer | None, form: bool) -> Mapping[str, str] | None:
    if signer is None:
        return _FORM if form else None
    if not form:
        return signer.headers
    return _MaskedHeaders({**signer.headers, **_FORM})


def _decode(status: int, body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        snippet = body[:60].decode("utf-8", "replace").strip().replace("\n", " ")
        raise ExchangeUnavailableError(
            status,
            None,
            f"unexpected answer from the exchange: HTTP {status} with a body that is not "
            f"JSON (starts {snippet!r})",
        ) from None


def _translate(exc: Exception, method: str, path: str) -> RequestError:
    """Our error for a ``requests`` exception; its text is redacted and the
    request target (which may carry a signed query) is left out."""
    reason = _root_cause(exc)
    if isinstance(exc, requests.ConnectTimeout) or isinstance(
        reason, (NewConnectionError, ConnectTimeoutError)
    ):
        what, maybe_sent = "could not connect", False
    elif isinstance(exc, requests.ReadTimeout):
        what, maybe_sent = "timed out waiting for the answer", True
    elif isinstance(exc, requests.ConnectionError):
        what, maybe_sent = "connection dropped", True
    else:
        what, maybe_sent = "request failed", True
    detail = type(reason).__name__ if reason is not None else type(exc).__name__
    return RequestError(f"{method} {path}: {what} ({detail})", maybe_sent=maybe_sent)


def _root_cause(exc: BaseException) -> BaseException | None:
    """The innermost urllib3/socket error behind a requests exception."""
    seen: set[int] = set()
    current: BaseException | None = exc
    last: BaseException | None = None
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        last = current
        nxt = getattr(current, "reason", None)
        if not isinstance(nxt, BaseException):
            nested = [a for a in current.args if isinstance(a, BaseException)]
            nxt = nested[-1] if nested else None
        current = nxt
    return last if last is not exc else None
