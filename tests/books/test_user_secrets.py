"""Secrets never leak from a user-data session: with DEBUG on for every
logger (ours and the libraries below: requests, urllib3, websocket-client),
a signed order, a user stream with a gap refill and a refused subscription
leave the API secret in no log record, exception or repr, the full API key
in none of the client's records, and no signature in any ``cryptoex.*``
record of the client.

The sandbox's own loggers (``cryptoex.testing.*``, including the server
side of the ``websockets`` library it runs on) are not the client's: at
DEBUG they print the frames the server receives, truncated, which may show
part of a signed request. They are checked for the secret only, and what
they show is reported, not asserted."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from cryptoex import AuthenticationError, OrderUpdate, UserClient, signals
from cryptoex.streaming import StreamManager
from tests.books.conftest import FAST_BACKOFF
from tests.helpers import Recorder

LOGGERS = ["", "cryptoex", "urllib3", "requests", "websocket", "websockets"]


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def record_text(record: logging.LogRecord) -> str:
    parts = [record.getMessage(), repr(record.args)]
    if record.exc_info:
        parts.append("".join(traceback.format_exception(*record.exc_info)))
    return "\n".join(parts)


def exception_texts(exc: BaseException) -> list[str]:
    texts = []
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        texts.extend([str(item), repr(item), repr(item.args), repr(vars(item))])
        todo.extend([item.__cause__, item.__context__])
    texts.append(
        "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())
    )
    return texts


@pytest.fixture
def captured() -> Iterator[Capture]:
    handler = Capture()
    root = logging.getLogger()
    root.addHandler(handler)
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_nothing_secret_leaks_from_a_user_data_session(fakes: Any, captured: Capture) -> None:
    fake = fakes(message_rate=0)
    client = UserClient(
        fake.api_key, fake.api_secret, rest_url=fake.rest_url, ws_api_url=fake.ws_api_url
    )
    wrong = UserClient(
        fake.api_key, "wrong-" + fake.api_secret, rest_url=fake.rest_url, ws_api_url=fake.ws_api_url
    )
    sm = StreamManager(
        ws_url=fake.ws_url, rest_url=fake.rest_url, ws_api_url=fake.ws_api_url, backoff=FAST_BACKOFF
    )
    texts: list[str] = []
    try:
        sm.start()
        user = sm.subscribe_user(client)
        orders = Recorder()
        user.on_order_update()(orders)
        order = client.place_order("BTCUSDT", side="BUY", type="MARKET", quantity="0.001")
        assert orders.wait(2)
        # A gap: the refill signs REST requests while the stream is down.
        lost = Recorder()
        signals.disconnected.connect(lost, sender=sm)
        try:
            fake.faults.refuse_connections(10_000)
            fake.faults.drop_connections(kind="ws-api")
            assert lost.wait(1)
        finally:
            signals.disconnected.disconnect(lost, sender=sm)
        missed = client.place_order("BTCUSDT", side="SELL", type="MARKET", quantity="0.001")
        fake.faults.clear()
        assert orders.wait(
            predicate=lambda evs: any(
                isinstance(e, OrderUpdate) and e.order_id == missed.order_id and e.synthetic
                for e in evs
            )
        )
        fake.deposit("USDT", Decimal("1"))
        with pytest.raises(AuthenticationError) as refused:
            sm.subscribe_user(wrong)
        texts.extend(exception_texts(refused.value))
        texts.extend(
            [
                repr(user),
                repr(vars(user)),
                repr(user._user.__dict__),
                repr(sm),
                repr(client),
                repr(order),
                repr(orders.events),
            ]
        )
        user.unsubscribe()
    finally:
        sm.stop()
        client.close()
        wrong.close()

    signatures = [
        str(m.params["signature"])
        for m in fake.control_messages()
        if isinstance(m.params, dict) and "signature" in m.params
    ]
    signatures += [
        str(params["signature"])
        for r in fake.requests
        for params in (r.query, r.body)
        if isinstance(params, dict) and "signature" in params
    ]
    assert len(signatures) >= 6  # subscribes (3) and signed REST calls
    records = captured.records
    assert any(r.name.startswith("urllib3") for r in records), "DEBUG was on"
    assert any(r.name.startswith("cryptoex.streaming.user_stream") for r in records)
    assert any(r.name == "websocket" for r in records)
    clients = [r for r in records if not r.name.startswith("cryptoex.testing")]
    ours = [r for r in clients if r.name.startswith("cryptoex")]
    client_blob = "\n".join([*map(record_text, clients), *texts])
    everything = "\n".join([client_blob, *map(record_text, records)])
    # The secret: nowhere at all, sandbox records included.
    assert fake.api_secret not in everything
    # The full API key: in none of the client's records, exceptions or reprs.
    assert fake.api_key not in client_blob
    # No signature in the client's own records (nor in urllib3's: masked).
    ours_blob = "\n".join(map(record_text, ours))
    urllib3_blob = "\n".join(record_text(r) for r in clients if r.name.startswith("urllib3"))
    for signature in signatures:
        assert signature not in ours_blob
        assert signature not in urllib3_blob
        assert signature not in "\n".join(texts)
    # The sandbox's server-side view, for the record (not asserted).
    sandbox = "\n".join(record_text(r) for r in records if r.name.startswith("cryptoex.testing"))
    shown = sum(signature[-16:] in sandbox for signature in signatures)
    where = sorted({r.name for r in records if fake.api_key in record_text(r)})
    logging.getLogger(__name__).info("records with the full key: %s", where)
    logging.getLogger(__name__).info(
        "sandbox records: full key shown %s; signature tails shown %d of %d",
        fake.api_key in sandbox,
        shown,
        len(signatures),
    )
