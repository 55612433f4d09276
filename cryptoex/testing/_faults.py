"""Fault injection: the failures a client must survive, on demand (``fb.faults``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from cryptoex.testing._state import FailRule

if TYPE_CHECKING:
    from cryptoex.testing._fake import FakeBinance

logger = logging.getLogger(__name__)

Kind = Literal["stream", "ws-api"]


class Faults:
    """Inject failures into a running :class:`~cryptoex.testing.FakeBinance`.

    Every method takes effect at once and returns without waiting for the client to
    notice. Websocket faults select connections by *kind* (``"stream"`` or ``"ws-api"``)
    and/or *ids* (see :meth:`FakeBinance.connections`); ``None`` means all.
    """

    def __init__(self, fake: FakeBinance) -> None:
        self._fake = fake

    def drop_connections(
        self, kind: Kind | None = None, ids: Iterable[int] | None = None, abrupt: bool = True
    ) -> int:
        """Close matching websocket connections.

        :param kind: ``"stream"``, ``"ws-api"`` or ``None`` for both.
        :param ids: connection ids, or ``None`` for all.
        :param abrupt: drop the TCP connection without a close frame (a reset); ``False``
            sends a close frame (code 1001) first.
        :returns: how many connections were closed.
        """
        conns = self._fake._hub_select(kind, ids)
        for conn in conns:
            if abrupt:
                conn.abort()
            else:
                conn.request_close(1001, "connection dropped")
        logger.info("fault: dropped %d connection(s) (abrupt=%s)", len(conns), abrupt)
        return len(conns)

    def refuse_connections(
        self, count: int, status: int = 429, retry_after: int | None = None
    ) -> None:
        """Refuse the next *count* websocket handshakes with an HTTP *status*.

        :param count: how many handshakes to refuse.
        :param status: the HTTP status (e.g. 429, 503).
        :param retry_after: a ``Retry-After`` header value in seconds, if wanted.
        """
        self._fake._core.add_refusal(count, status, retry_after)

    def silence(self, ids: Iterable[int] | None = None, kind: Kind | None = None) -> int:
        """Make matching connections go quiet while staying open: no data, no pings, no
        pongs (a half-dead connection a client must detect itself).

        :param ids: connection ids, or ``None`` for all.
        :param kind: ``"stream"``, ``"ws-api"`` or ``None`` for both.
        :returns: how many connections were silenced.
        """
        conns = self._fake._hub_select(kind, ids)
        for conn in conns:
            conn.silenced = True
        return len(conns)

    def server_shutdown(
        self,
        ids: Iterable[int] | None = None,
        kind: Kind | None = None,
        close_after: float | None = 1.0,
    ) -> int:
        """Send Binance's ``serverShutdown`` event, then close after *close_after* seconds.

        The event takes each connection's framing: raw ``{"e": "serverShutdown", ...}``,
        combined ``{"stream": "!serverShutdown", "data": ...}``, or WebSocket API
        ``{"event": ...}``.

        :param ids: connection ids, or ``None`` for all.
        :param kind: ``"stream"``, ``"ws-api"`` or ``None`` for both.
        :param close_after: seconds until the close frame; ``None`` keeps them open.
        :returns: how many connections were notified.
        """
        conns = self._fake._hub_select(kind, ids)
        for conn in conns:
            conn.send(conn.hub.shutdown_event(conn))
            if close_after is not None:
                conn.close_at = time.monotonic() + close_after
        return len(conns)

    def depth_gap(self, symbol: str, skip: int = 5) -> None:
        """Make the next diff-depth event of *symbol* skip update ids (on both ``@depth``
        and ``@depth@100ms``); the changes not yet published are lost with them, so only a
        client that resynchronises stays correct.

        :param symbol: the market, e.g. ``"BTCUSDT"``.
        :param skip: how many update ids to skip (>= 1).
        :raises ValueError: unknown symbol or ``skip < 1``.
        """
        if skip < 1:
            raise ValueError("skip: must be at least 1")
        market = self._fake._market(symbol)
        with self._fake._exchange.lock:
            market.book.gap(skip)

    def set_clock_offset(self, ms: int) -> None:
        """Run the server clock *ms* milliseconds ahead of real time (negative: behind),
        for ``/api/v3/time``, every timestamp and the recvWindow checks.

        :param ms: the offset in milliseconds.
        """
        self._fake._clock.offset_ms = int(ms)

    def fail_next(
        self,
        path: str,
        method: str | None = None,
        count: int = 1,
        status: int = 500,
        when: Literal["before", "after"] = "before",
        mode: Literal["error", "hang", "html", "reset"] = "error",
        hang_seconds: float = 30.0,
    ) -> None:
        """Make the next *count* REST requests to *path* fail.

        :param path: exact path, e.g. ``"/api/v3/order"``.
        :param method: ``"GET"``, ``"POST"``... or ``None`` for any.
        :param count: how many requests.
        :param status: HTTP status of the failure (``error`` and ``html`` modes).
        :param when: ``"before"``: fail without processing; ``"after"``: process fully
            (an order is placed and recorded) and then fail the answer, so
            reconciliation can be tested.
        :param mode: ``"error"``: a Binance JSON error (5XX codes -1000/-1006/-1008/-1007);
            ``"hang"``: hold the answer for *hang_seconds* (or until stop) so the client
            times out; ``"html"``: an HTML error page; ``"reset"``: close the socket
            without answering.
        :param hang_seconds: how long ``"hang"`` holds the answer.
        :raises ValueError: for an unknown *when* or *mode*.
        """
        if when not in ("before", "after"):
            raise ValueError("when: must be 'before' or 'after'")
        if mode not in ("error", "hang", "html", "reset"):
            raise ValueError("mode: must be 'error', 'hang', 'html' or 'reset'")
        if count > 0:
            self._fake._core.add_fail_rule(
                FailRule(
                    path,
                    method.upper() if method else None,
                    count,
                    status,
                    when,
                    mode,
                    hang_seconds,
                )
            )

    def force_rate_limit(self, count: int = 1, status: int = 429, retry_after: int = 1) -> None:
        """Answer the next *count* REST requests (and WebSocket API requests) with a rate
        limit: 429 and ``-1003`` with ``Retry-After``, or 418 (a ban of *retry_after*
        seconds). Forced answers do not count towards the automatic ban.

        :param count: how many requests.
        :param status: 429 or 418.
        :param retry_after: the ``Retry-After`` value in seconds.
        """
        self._fake._core.limits.force(count, status, retry_after)

    def ban(self, seconds: float) -> None:
        """Ban the client's IP now: every request gets 418 with ``Retry-After`` until the
        ban ends.

        :param seconds: the ban's length.
        """
        self._fake._core.limits.ban(seconds)

    def slow_market(self, rate: float) -> None:
        """Change the market's tick rate (alias of :meth:`FakeBinance.set_message_rate`).

        :param rate: ticks per second; 0 pauses the market.
        """
        self._fake.set_message_rate(rate)

    def clear(self) -> None:
        """Remove every pending fault: REST failures, handshake refusals, forced rate
        limits and bans, the clock offset; un-silence connections and cancel scheduled
        closes."""
        core = self._fake._core
        core.clear_fail_rules()
        core.clear_refusals()
        core.limits.clear_faults()
        self._fake._clock.offset_ms = 0
        for conn in self._fake._hub_select(None, None):
            conn.silenced = False
            conn.close_at = None
