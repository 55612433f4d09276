"""The REST server: a threaded stdlib HTTP/1.1 server on 127.0.0.1 that records every
request, applies injected faults, charges request weight, authenticates signed
endpoints and answers with Binance's payloads, statuses and headers."""

from __future__ import annotations

import contextlib
import http.server
import itertools
import logging
import re
import selectors
import socket
import socketserver
import struct
import threading
import time
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

import orjson

from cryptoex.testing._auth import authenticate
from cryptoex.testing._context import Context, Endpoint
from cryptoex.testing._errors import ApiError
from cryptoex.testing._params import Params
from cryptoex.testing._public import PUBLIC_ROUTES
from cryptoex.testing._records import RecordedRequest
from cryptoex.testing._state import Core, FailRule
from cryptoex.testing._trading import SIGNED_ROUTES

logger = logging.getLogger(__name__)
_QUERY = re.compile(r"\?[^\s\"]*")

ROUTES: Final[dict[tuple[str, str], Endpoint]] = {**PUBLIC_ROUTES, **SIGNED_ROUTES}
_PATHS: Final = frozenset(path for _, path in ROUTES)
#: Response fields that carry times (scaled for ``X-MBX-TIME-UNIT: MICROSECOND``).
_TIME_KEYS: Final = frozenset(
    {
        "serverTime",
        "time",
        "T",
        "openTime",
        "closeTime",
        "transactTime",
        "updateTime",
        "workingTime",
    }
)
_SERVER_ERRORS: Final = {
    500: (-1000, "An unknown error occurred while processing the request."),
    502: (
        -1006,
        "An unexpected response was received from the message bus. Execution status unknown.",
    ),
    503: (
        -1008,
        "Server is currently overloaded with other requests. Please try again in a few minutes.",
    ),
    504: (
        -1007,
        "Timeout waiting for response from backend server. Send status unknown; "
        "execution status unknown.",
    ),
}
_HTML: Final = (
    "<html>\r\n<head><title>{status} Error</title></head>\r\n<body>\r\n"
    "<center><h1>{status} Error</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def _scale_times(value: Any, factor: int) -> Any:
    if isinstance(value, dict):
        return {
            k: (
                v * factor
                if k in _TIME_KEYS and isinstance(v, int) and v > 0
                else _scale_times(v, factor)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scale_times(v, factor) for v in value]
    return value


def _parse_pairs(raw: str) -> tuple[dict[str, str], bool]:
    """Decode ``a=1&b=2``; report whether a name repeats."""
    pairs = parse_qsl(raw, keep_blank_values=True)
    values = dict(pairs)
    return values, len(values) != len(pairs)


class _HTTPServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """HTTP server with named, tracked handler threads (joined by :meth:`RestServer.stop`)."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, core: Core) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.core = core
        self.lock = threading.Lock()
        self.threads: set[threading.Thread] = set()
        self.sockets: set[socket.socket] = set()
        self._numbers = itertools.count(1)
        # stdlib serve_forever() polls for shutdown every poll_interval; a wake-up socket
        # lets stop() end the accept loop at once instead.
        self._wake_recv, self._wake_send = socket.socketpair()

    def serve(self) -> None:
        """Accept connections until :meth:`wake` is called."""
        with selectors.DefaultSelector() as selector:
            selector.register(self, selectors.EVENT_READ)
            selector.register(self._wake_recv, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    if key.fileobj is self._wake_recv:
                        return
                    self.handle_request()  # ready: returns after one accept

    def wake(self) -> None:
        """End :meth:`serve`."""
        with contextlib.suppress(OSError):
            self._wake_send.send(b"x")

    def server_close(self) -> None:
        super().server_close()
        self._wake_recv.close()
        self._wake_send.close()

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._run_request,
            args=(request, client_address),
            name=f"fakebinance-rest-{next(self._numbers)}",
            daemon=True,
        )
        with self.lock:
            self.threads.add(thread)
        thread.start()

    def _run_request(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self.lock:
                self.threads.discard(threading.current_thread())

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that goes away mid-request is normal for a test server.
        logger.debug("REST connection from %s ended with an error", client_address, exc_info=True)


class RestServer:
    """Owns the HTTP server and its threads."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._server = _HTTPServer(core)
        self._thread = threading.Thread(
            target=self._server.serve,
            name="fakebinance-rest",
            daemon=True,
        )

    @property
    def url(self) -> str:
        """The base URL.

        :returns: ``http://127.0.0.1:PORT``.
        """
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        """Start accepting requests."""
        self._thread.start()

    def stop(self, deadline: float) -> None:
        """Stop accepting, end keep-alive connections, join every thread.

        :param deadline: ``time.monotonic()`` by which to give up joining.
        """
        self._server.wake()
        if self._thread.ident is not None:
            self._thread.join(max(0.0, deadline - time.monotonic()))
        self._server.server_close()
        with self._server.lock:
            sockets = list(self._server.sockets)
            threads = list(self._server.threads)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            if thread.ident is not None:
                thread.join(max(0.0, deadline - time.monotonic()))
                if thread.is_alive():
                    logger.warning("thread %s did not stop in time", thread.name)


class _Handler(http.server.BaseHTTPRequestHandler):
    """One HTTP connection (keep-alive: several requests)."""

    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    server_version = "fakebinance"

    def setup(self) -> None:
        super().setup()
        # Headers and body are two writes; without NODELAY, Nagle holds the body until
        # the client's delayed ACK (about 40 ms per request on Linux).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.lock:
            self.server.sockets.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            with self.server.lock:
                self.server.sockets.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        # The request line carries the query string, and a signed GET's query
        # carries its signature: log the path only.
        logger.debug("REST %s", _QUERY.sub("", format % args))

    def do_GET(self) -> None:
        """Handle GET."""
        self._dispatch()

    def do_POST(self) -> None:
        """Handle POST."""
        self._dispatch()

    def do_DELETE(self) -> None:
        """Handle DELETE."""
        self._dispatch()

    def do_PUT(self) -> None:
        """Handle PUT."""
        self._dispatch()

    # -- request handling -------------------------------------------------------------

    def _dispatch(self) -> None:
        core = self.server.core
        method = self.command
        split = urlsplit(self.path)
        path = split.path
        raw_query = split.query
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length > 0 else b""
        body_text = raw_body.decode("utf-8", "replace")
        query, query_dupes = _parse_pairs(raw_query)
        body, body_dupes = _parse_pairs(body_text) if body_text else ({}, False)
        headers = dict(self.headers.items())
        core.record_request(
            RecordedRequest(
                method, path, query, body, headers, time.monotonic(), raw_query, raw_body
            )
        )
        logger.debug("REST %s %s", method, path)
        rule = core.take_fail_rule(method, path, "before")
        if rule is not None:
            self._fail(rule)
            return
        merged = dict(body)
        merged.update(query)  # the query string wins (rest.md §1.3)
        status, payload, extra = self._answer(
            method, path, Params(merged), headers, raw_query, body_text, query_dupes or body_dupes
        )
        rule = core.take_fail_rule(method, path, "after")
        if rule is not None:
            self._fail(rule)
            return
        self._send_json(status, payload, extra)

    def _answer(
        self,
        method: str,
        path: str,
        params: Params,
        headers: dict[str, str],
        raw_query: str,
        body_text: str,
        duplicates: bool,
    ) -> tuple[int, Any, dict[str, str]]:
        core = self.server.core
        endpoint = ROUTES.get((method, path))
        try:
            core.limits.check_ban()
            core.limits.check_forced()
            if endpoint is None:
                return self._no_route(method, path)
            weight = endpoint.weight(params)
            core.limits.charge(weight)
            factor = _time_factor(headers)
            if duplicates:
                raise ApiError(-1101, "Duplicate values for a parameter detected.")
            ctx = Context(
                exchange=core.exchange,
                limits=core.limits,
                settings=core.settings,
                method=method,
                path=path,
                params=params,
                headers=headers,
                now=core.clock.now_ms(),
            )
            if endpoint.signed:
                ctx.account = authenticate(core, headers, params, raw_query, body_text)
                ctx.now = core.clock.now_ms()
            params.check_all_read(endpoint.allowed)
            result = endpoint.handler(ctx)
            if endpoint.free_on_success:
                core.limits.refund(weight)
            if factor != 1:
                result = (
                    [[row[0] * factor, *row[1:6], row[6] * factor, *row[7:]] for row in result]
                    if endpoint.kline_rows
                    else _scale_times(result, factor)
                )
            return 200, result, ctx.response_headers
        except ApiError as error:
            return error.status, error.body(), error.headers

    def _no_route(self, method: str, path: str) -> tuple[int, Any, dict[str, str]]:
        if path == "/api/v3/userDataStream" or path.startswith("/api/v1/"):
            # listenKey streams (2026-02-20) and /api/v1 (2026-03-25) are retired.
            return 410, {"code": -1016, "msg": "This service is no longer available."}, {}
        if path in _PATHS:
            return 405, {"code": -1020, "msg": "This operation is not supported."}, {}
        return 404, None, {}

    # -- responses --------------------------------------------------------------------------

    def _weight_header(self) -> dict[str, str]:
        return {"X-MBX-USED-WEIGHT-1M": str(self.server.core.limits.used_weight)}

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in {**self._weight_header(), **extra}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, payload: Any, extra: dict[str, str]) -> None:
        if status == 404 and payload is None:
            self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html", {})
            return
        self._send(status, orjson.dumps(payload), "application/json;charset=UTF-8", extra)

    def _fail(self, rule: FailRule) -> None:
        core = self.server.core
        logger.debug("REST fault %s on %s %s", rule.mode, self.command, rule.path)
        if rule.mode == "hang":
            # Hold the answer (the client should time out); stop() cuts the wait short.
            core.stopping.wait(rule.hang_seconds)
            if core.stopping.is_set():
                self.close_connection = True
                return
        if rule.mode == "reset":
            self.close_connection = True
            try:
                # Linger 0: close() sends a TCP RST instead of an orderly FIN.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if rule.mode == "html":
            body = _HTML.format(status=rule.status).encode()
            self._send(rule.status, body, "text/html", {})
            return
        code, msg = _SERVER_ERRORS.get(rule.status, (-1000, _SERVER_ERRORS[500][1]))
        self._send_json(rule.status, {"code": code, "msg": msg}, {})


def _time_factor(headers: dict[str, str]) -> int:
    unit = next((v for k, v in headers.items() if k.lower() == "x-mbx-time-unit"), None)
    if unit is None or unit in ("MILLISECOND", "millisecond"):
        return 1
    if unit in ("MICROSECOND", "microsecond"):
        return 1000
    raise ApiError(
        -1194, "Invalid value for time unit; expected either MICROSECOND or MILLISECOND."
    )
