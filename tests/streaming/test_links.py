"""What a socket's link does with frames that are not events, and how much
goes into one URL. Real Link objects, fed frames directly."""

from __future__ import annotations

import logging
from typing import Any

import orjson
import pytest

from cryptoex.streaming import StreamManager
from cryptoex.streaming.pacing import pacer_for_limit
from cryptoex.streaming.slots import LINGER, MAX_URL_LENGTH, Link, Slot
from tests.streaming.conftest import StubExchange


def make_link(streams: set[str] | None = None) -> Link:
    sm = StreamManager(ws_url="ws://127.0.0.1:9", exchange=StubExchange())
    return Link(Slot(sm, 0), streams or {"btcusdt@trade"})


def test_url_carries_what_fits_and_the_rest_is_subscribed_later() -> None:
    names = {f"sym{i:04d}usdt@kline_1m" for i in range(400)}
    link = make_link(names)
    url = link.url(link.conn)
    assert len(url) <= MAX_URL_LENGTH
    assert url.startswith("ws://127.0.0.1:9/stream?streams=")
    assert 0 < len(link.active) < len(names)
    assert link.active <= names
    # Everything the URL left out goes by SUBSCRIBE once the socket is open.
    assert sorted(names - link.active)


def test_control_replies_are_matched_to_their_request(caplog: pytest.LogCaptureFixture) -> None:
    link = make_link()
    link._requests[7] = ("SUBSCRIBE", ("btcusdt@trade",))
    with caplog.at_level(logging.DEBUG, logger="cryptoex.streaming.slots"):
        link._slow_frame(link.conn, orjson.dumps({"result": None, "id": 7}), 0.0)
        link._requests[8] = ("UNSUBSCRIBE", ("ethusdt@trade",))
        link._slow_frame(
            link.conn,
            orjson.dumps({"code": 2, "msg": "Invalid request: too many parameters", "id": 8}),
            0.0,
        )
        link._slow_frame(link.conn, orjson.dumps({"code": 3, "msg": "Invalid JSON"}), 0.0)
    refused = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("UNSUBSCRIBE ethusdt@trade refused" in m and "code 2" in m for m in refused)
    assert any("control request refused" in m for m in refused)
    assert link._requests == {}


def test_garbage_is_counted_and_logged_never_fatal(caplog: pytest.LogCaptureFixture) -> None:
    link = make_link()
    with caplog.at_level(logging.WARNING, logger="cryptoex.streaming.slots"):
        link._slow_frame(link.conn, b"\xff not json", 0.0)
        link._slow_frame(link.conn, b'{"hello": "world"}', 0.0)
        link._slow_frame(link.conn, b"[1, 2, 3]", 0.0)
        link._slow_frame(link.conn, b'{"stream": "xrpusdt@trade", "data": {}}', 0.0)
    assert link.parse_errors == 1
    assert link.unknown_messages == 2
    assert link.unrouted == 1, "a late event of an unsubscribed stream is not an error"
    messages = [r.getMessage() for r in caplog.records]
    assert any("not JSON" in m for m in messages)
    assert sum("unexpected frame" in m for m in messages) == 2


def test_server_shutdown_from_a_stale_socket_is_ignored() -> None:
    link = make_link()
    # Not the slot's current socket (and the manager is not running): no switch.
    link._slow_frame(
        link.conn, orjson.dumps({"stream": "!serverShutdown", "data": {"e": "serverShutdown"}}), 0.0
    )
    assert link.slot.next is None


class OpenConn:
    """Stands in for the link's open socket: records what is sent."""

    def __init__(self, pacer: Any) -> None:
        self.pacer = pacer
        self.name = "cryptoex-ws-test"
        self.sent: list[Any] = []

    def send(self, text: str) -> None:
        self.sent.append(orjson.loads(text))


def test_changes_linger_then_go_in_one_batch_unsubscribes_first() -> None:
    link = make_link({"btcusdt@trade", "ethusdt@trade"})
    link.url(link.conn)  # both in the URL: the server has them
    conn = OpenConn(pacer_for_limit(5))
    for name in ("a@trade", "b@trade", "c@trade"):
        link.add(name)
    link.discard("ethusdt@trade")
    t0 = 100.0
    due = link.on_tick(conn, t0)  # type: ignore[arg-type]
    assert due == pytest.approx(t0 + LINGER), "waits a moment for more changes"
    assert conn.sent == []
    link.add("d@trade")  # still inside the linger: joins the same batch
    link.on_tick(conn, t0 + LINGER)  # type: ignore[arg-type]
    link.on_tick(conn, t0 + LINGER)  # type: ignore[arg-type]
    assert [(m["method"], m["params"]) for m in conn.sent] == [
        ("UNSUBSCRIBE", ["ethusdt@trade"]),
        ("SUBSCRIBE", ["a@trade", "b@trade", "c@trade", "d@trade"]),
    ]
    assert link.on_tick(conn, t0 + 1) is None, "nothing left to send"  # type: ignore[arg-type]
    assert link.control_messages == 2


def test_paced_batches_respect_the_budget() -> None:
    link = make_link(set())
    link.url(link.conn)
    conn = OpenConn(pacer_for_limit(5))  # 3 per window
    now = 10.0
    for i in range(3):
        link.add(f"s{i}@trade")
        link.on_tick(conn, now)  # type: ignore[arg-type]
        now += LINGER
        link.on_tick(conn, now)  # type: ignore[arg-type]
    link.add("late@trade")
    link.on_tick(conn, now)  # type: ignore[arg-type]
    now += LINGER
    due = link.on_tick(conn, now)  # type: ignore[arg-type]
    assert len(conn.sent) == 3, "the budget is spent"
    assert due is not None
    assert due > now
    link.on_tick(conn, due)  # type: ignore[arg-type]
    assert conn.sent[-1]["params"] == ["late@trade"]
