"""Secrets never leak: DEBUG records of every logger (urllib3 and requests
included), reprs, exception messages, args, chains and traceback locals."""

from __future__ import annotations

import logging
import pickle
import re
import traceback
from collections.abc import Iterator
from typing import Any

import pytest

from cryptoex import AuthenticationError, OrderStatusUnknownError, UserClient


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> list[str]:
        out = []
        for record in self.records:
            out.append(record.getMessage())
            out.append(repr(record.args))
            if record.exc_info:
                out.append("".join(traceback.format_exception(*record.exc_info)))
        return out


@pytest.fixture
def captured() -> Iterator[Capture]:
    """Every logger at DEBUG, the root handler seeing all records."""
    handler = Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    names = ["urllib3", "urllib3.connectionpool", "requests", "cryptoex", "websocket"]
    levels = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        todo.extend([current.__cause__, current.__context__])
    return seen


def exception_texts(exc: BaseException) -> list[str]:
    texts = []
    for item in chain(exc):
        texts.extend([str(item), repr(item), repr(item.args), repr(vars(item))])
    texts.append(
        "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())
    )
    return texts


def assert_clean(texts: list[str], fb: Any) -> None:
    blob = "\n".join(texts)
    assert fb.api_secret not in blob
    assert fb.api_key not in blob


def test_nothing_leaks_from_a_full_trading_session(fb: Any, captured: Capture) -> None:
    client = UserClient(
        fb.api_key, fb.api_secret, rest_url=fb.rest_url, timeout=0.5, reconcile_timeout=0.3
    )
    exceptions: list[BaseException] = []
    try:
        client.get_balances()  # signed GET: the signature is in the query
        order = client.place_order("BTCUSDT", "BUY", "MARKET", "0.001")
        client.get_order("BTCUSDT", order_id=order.order_id)
        fb.faults.fail_next("/api/v3/order", method="POST", status=500, when="before")
        fb.faults.fail_next("/api/v3/order", method="GET", status=500, count=100)
        with pytest.raises(OrderStatusUnknownError) as unknown:
            client.place_order("BTCUSDT", "BUY", "MARKET", "0.001")
        exceptions.append(unknown.value)
        fb.faults.clear()
        fb.faults.fail_next(
            "/api/v3/openOrders", method="GET", mode="hang", count=5, hang_seconds=2
        )
        with pytest.raises(Exception) as timeout:
            client.get_open_orders("BTCUSDT")
        exceptions.append(timeout.value)
        fb.faults.clear()
        texts = [
            repr(client),
            str(client),
            repr(vars(client)),
            repr(client._signer),
            repr(client._transport),
        ]
    finally:
        client.close()
    wrong = UserClient(fb.api_key, "wrong-" + fb.api_secret, rest_url=fb.rest_url)
    try:
        with pytest.raises(AuthenticationError) as auth:
            wrong.place_order("BTCUSDT", "BUY", "MARKET", "0.001")
        exceptions.append(auth.value)
        texts.append(repr(wrong))
    finally:
        wrong.close()
    for exc in exceptions:
        texts.extend(exception_texts(exc))
    texts.extend(captured.texts())
    assert captured.records  # DEBUG logging really was on
    assert any(r.name.startswith("urllib3") for r in captured.records)
    assert_clean(texts, fb)
    assert "wrong-" + fb.api_secret not in "\n".join(texts)
    # The client's own records carry no signature at all (the sandbox's
    # server-side logs, cryptoex.testing.*, are not the client's).
    ours = [
        r.getMessage()
        for r in captured.records
        if r.name.startswith("cryptoex") and not r.name.startswith("cryptoex.testing")
    ]
    assert ours
    assert not any(re.search(r"signature=[0-9a-f]{8}", text) for text in ours)
    # urllib3's records of signed GETs are masked.
    urllib3 = [r.getMessage() for r in captured.records if r.name.startswith("urllib3")]
    assert not any(re.search(r"signature=[0-9a-f]{8}", text) for text in urllib3)


def test_client_repr_and_pickling(fb: Any) -> None:
    client = UserClient(fb.api_key, fb.api_secret, rest_url=fb.rest_url)
    try:
        text = repr(client)
        assert "…" in text
        assert fb.api_key not in text
        assert fb.api_secret not in text
        with pytest.raises(TypeError):
            pickle.dumps(client)
    finally:
        client.close()
