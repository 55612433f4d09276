"""The reusable Connection (reconnect loop, keepalive, silence, pings) on its
own and with a handler that is not the stream manager's."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cryptoex import Backoff, NetworkError
from cryptoex.streaming import StreamManager
from cryptoex.streaming.connection import Connection, Keepalive, MessageCallback
from cryptoex.streaming.pacing import pacer_for_limit
from tests.helpers import Recorder, wait_until
from tests.streaming.conftest import Lifecycle, StubExchange

Make = Callable[..., StreamManager]
Fakes = Callable[..., Any]
Lifecycles = Callable[[StreamManager], Lifecycle]


@pytest.fixture
def mute_server() -> Iterator[str]:
    """A TCP server on loopback that accepts and never answers the handshake."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.05)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            accepted.append(conn)

    thread = threading.Thread(target=accept, name="test-mute-server")
    thread.start()
    yield f"ws://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(5)
    for conn in accepted:
        conn.close()
    server.close()


def test_a_handshake_that_never_completes_times_out_and_retries(
    managers: Make, mute_server: str, lifecycle: Lifecycles
) -> None:
    sm = managers(ws_url=mute_server, silence_timeout=0.2, exchange=StubExchange())
    events = lifecycle(sm)
    sm.subscribe("trade", "BTCUSDT")
    sm.start()
    assert events.reconnecting.wait(2)
    (conn,) = sm.stats().connections.values()
    assert conn.failed_attempts >= 2
    assert events.connected.events == []


def test_server_pings_are_answered_and_counted(
    managers: Make, fakes: Fakes, lifecycle: Lifecycles
) -> None:
    # The sandbox pings every 0.1 s and cuts a client that does not answer
    # within 0.5 s; no market data, so pings and pongs are all there is.
    fake = fakes(message_rate=0, ping_interval=0.1, pong_timeout=0.5)
    sm = managers(ws_url=fake.ws_url, silence_timeout=3.0)
    events = lifecycle(sm)
    sm.subscribe("trade", "BTCUSDT")
    sm.start()
    assert events.connected.wait(1)
    conn = sm._slots[0].connections()[0]
    assert wait_until(lambda: conn.control_frames >= 10)
    assert events.disconnected.events == [], "every ping got its pong in time"


class EchoHandler:
    """A handler that is not the stream manager's: what a WebSocket-API
    session built on Connection looks like."""

    def __init__(self, url: str) -> None:
        self._url = url
        self.opened = Recorder()
        self.closed = Recorder()
        self.frames = Recorder()
        self.ticks = 0
        self.fail = True

    def url(self, conn: Connection) -> str:
        return self._url

    def message_callback(self, conn: Connection) -> MessageCallback:
        def on_message(app: Any, raw: Any) -> None:
            conn.messages += 1
            self.frames(raw)

        return on_message

    def on_open(self, conn: Connection, reconnect: bool) -> None:
        self.opened(reconnect)
        if self.fail:
            self.fail = False
            raise RuntimeError("handler bug: logged, the connection carries on")

    def on_closed(self, conn: Connection, reason: str) -> None:
        self.closed(reason)

    def on_reconnecting(self, conn: Connection, attempt: int, delay: float) -> None:
        pass

    def on_tick(self, conn: Connection, now: float) -> float | None:
        self.ticks += 1
        return None

    def on_expired(self, conn: Connection) -> None:
        conn.reconnect("maximum age")


def test_connection_with_its_own_handler(fakes: Fakes, caplog: pytest.LogCaptureFixture) -> None:
    fake = fakes()
    handler = EchoHandler(f"{fake.ws_url}/stream?streams=btcusdt@trade")
    keepalive = Keepalive()
    conn = Connection(
        handler,
        keepalive,
        pacer_for_limit(5),
        backoff=Backoff(initial=0.01, cap=0.05),
        ping_interval=0.2,
        silence_timeout=2.0,
        max_age=0.4,
    )
    assert "new" in repr(conn)
    with pytest.raises(NetworkError, match="not connected"):
        conn.send("{}")
    try:
        conn.start()
        conn.start()  # once
        assert handler.frames.wait(3)
        assert "handler on_open raised" in caplog.text
        # max_age reached: the handler chose to reconnect.
        assert handler.opened.wait(2)
        assert handler.opened.events[:2] == [False, True]
        assert "maximum age" in handler.closed.events[0]
        assert conn.reconnects >= 1
        assert handler.ticks > 0
        conn.send('{"method": "LIST_SUBSCRIPTIONS", "id": 1}')
        assert handler.frames.wait(predicate=lambda f: any(b'"id":1' in x for x in f))
    finally:
        conn.stop()
        assert conn.join(5)
        keepalive.stop()
        if keepalive.thread is not None:
            keepalive.thread.join(5)
    assert conn.state == "closed"
    assert not conn.is_open


def test_reconnect_on_demand(managers: Make, fakes: Fakes, lifecycle: Lifecycles) -> None:
    fake = fakes()
    sm = managers(ws_url=fake.ws_url)
    events = lifecycle(sm)
    trades = Recorder()
    sm.on_trade("BTCUSDT")(trades)
    sm.start()
    assert trades.wait(1)
    conn = sm._slots[0].connections()[0]
    conn.reconnect("asked for in a test")
    assert events.connected.wait(2)
    assert events.disconnected.events[0]["reason"] == "asked for in a test"
    count = len(trades)
    assert trades.wait(count + 2)
