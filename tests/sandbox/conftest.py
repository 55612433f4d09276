"""Helpers for the sandbox's own tests: raw ``requests`` and ``websocket-client`` only
(the client library is never used to test the sandbox), signing re-done by hand."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
import websocket

from cryptoex.testing import FakeBinance
from tests.helpers import LONG_TIMEOUT


def hmac_hex(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def now_ms() -> int:
    return int(time.time() * 1000)


class Rest:
    """A tiny raw REST client for one account of a FakeBinance."""

    def __init__(
        self, fb: FakeBinance, api_key: str | None = None, secret: str | None = None
    ) -> None:
        self.fb = fb
        self.api_key = api_key or fb.api_key
        self.secret = secret or fb.api_secret
        self.session = requests.Session()

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(self.fb.rest_url + path, params=params, timeout=LONG_TIMEOUT)

    def signed(self, method: str, path: str, **params: Any) -> requests.Response:
        """Percent-encode, then sign, then send: query string for GET, form body otherwise."""
        params.setdefault("timestamp", now_ms())
        payload = urlencode(params)
        signed = payload + "&signature=" + hmac_hex(self.secret, payload)
        headers = {"X-MBX-APIKEY": self.api_key}
        url = self.fb.rest_url + path
        if method == "GET":
            return self.session.get(url + "?" + signed, headers=headers, timeout=LONG_TIMEOUT)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return self.session.request(method, url, data=signed, headers=headers, timeout=LONG_TIMEOUT)

    def order(self, **params: Any) -> requests.Response:
        return self.signed("POST", "/api/v3/order", **params)

    def close(self) -> None:
        self.session.close()


class WS:
    """websocket-client with JSON helpers; every wait has an overall deadline (the
    socket timeout alone never fires while the server keeps pinging)."""

    def __init__(self, url: str) -> None:
        self.ws = websocket.create_connection(url, timeout=LONG_TIMEOUT)

    def send(self, payload: Any) -> None:
        self.ws.send(payload if isinstance(payload, str) else json.dumps(payload))

    def frame(self, timeout: float = LONG_TIMEOUT) -> tuple[int, bytes]:
        """Next data or close frame (pings are answered and skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no websocket message in time")
            self.ws.settimeout(remaining)
            opcode, frame = self.ws.recv_data_frame(True)
            if opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
                return opcode, frame.data
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return opcode, frame.data

    def recv(self, timeout: float = LONG_TIMEOUT) -> Any:
        opcode, data = self.frame(timeout)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            raise websocket.WebSocketConnectionClosedException(f"closed: {close_code(data)}")
        assert opcode == websocket.ABNF.OPCODE_TEXT, "Binance sends text frames"
        return json.loads(data)

    def close_code(self, timeout: float = LONG_TIMEOUT) -> int | None:
        """Read until the server's close frame; its code (None: dropped without one)."""
        try:
            while True:
                opcode, data = self.frame(timeout)
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    return close_code(data)
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            return None

    def until(self, predicate: Callable[[Any], bool], limit: int = 10_000) -> Any:
        for _ in range(limit):
            message = self.recv()
            if predicate(message):
                return message
        raise AssertionError("no matching message")

    def close(self) -> None:
        with contextlib.suppress(websocket.WebSocketException, OSError):
            self.ws.close(timeout=1)
        self.ws.shutdown()  # type: ignore[no-untyped-call]  # close() leaves the socket open when the server closed first


@pytest.fixture
def rest(fake_binance: FakeBinance) -> Iterator[Rest]:
    client = Rest(fake_binance)
    yield client
    client.close()


@pytest.fixture
def open_ws() -> Iterator[Callable[[str], WS]]:
    opened: list[WS] = []

    def connect(url: str) -> WS:
        conn = WS(url)
        opened.append(conn)
        return conn

    yield connect
    for conn in opened:
        conn.close()


def close_code(data: bytes) -> int | None:
    return int.from_bytes(data[:2], "big") if len(data) >= 2 else None


def ws_api_signed(api_key: str, secret: str, **params: Any) -> dict[str, Any]:
    """WebSocket API signing: all params but signature, sorted, raw (no percent-encoding)."""
    params = {"apiKey": api_key, "timestamp": now_ms(), **params}
    payload = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    params["signature"] = hmac_hex(secret, payload)
    return params


DECIMAL_8 = r"-?[0-9]+\.[0-9]{8}"


def same_shape(actual: Any, expected: Any, optional: frozenset[str] = frozenset()) -> None:
    """Assert *actual* has the fixture's keys (in any order) and JSON types, recursively."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), actual
        missing = set(expected) - set(actual) - optional
        extra = set(actual) - set(expected) - optional
        assert not missing, f"missing {missing}"
        assert not extra, f"extra {extra}"
        for key, value in expected.items():
            if key in actual and value is not None:
                same_shape(actual[key], value, optional)
    elif isinstance(expected, list):
        assert isinstance(actual, list), actual
        if not expected:
            return
        if len({type(e) for e in expected}) == 1:
            for item in actual:
                same_shape(item, expected[0], optional)
        else:  # a positional row, like a kline
            assert len(actual) == len(expected), actual
            for item, value in zip(actual, expected, strict=True):
                same_shape(item, value, optional)
    elif isinstance(expected, bool):
        assert isinstance(actual, bool), actual
    elif isinstance(expected, int):
        assert isinstance(actual, int), actual
        assert not isinstance(actual, bool), actual
    elif isinstance(expected, str):
        assert isinstance(actual, str), actual
