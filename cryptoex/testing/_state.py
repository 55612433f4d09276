"""State shared by the sandbox's servers: the exchange, limits, settings, records and
pending REST faults."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptoex.testing._context import Settings
from cryptoex.testing._engine import Exchange
from cryptoex.testing._format import Clock
from cryptoex.testing._limits import Limits
from cryptoex.testing._records import RecordedControl, RecordedRequest

if TYPE_CHECKING:
    from cryptoex.testing._accounts import Account


@dataclass
class FailRule:
    """A pending :meth:`Faults.fail_next <cryptoex.testing.Faults.fail_next>` injection."""

    path: str
    method: str | None
    count: int
    status: int
    when: str
    mode: str
    hang_seconds: float


#: Records kept for inspection (the oldest are dropped beyond this, so a sandbox left
#: running for days does not grow without bound; tests never come near it).
MAX_RECORDS = 100_000


class Core:
    """Everything the REST and websocket servers share."""

    def __init__(self, settings: Settings, exchange: Exchange, clock: Clock) -> None:
        self.settings = settings
        self.exchange = exchange
        self.clock = clock
        self.limits = Limits(
            clock, settings.request_weight_limit, settings.ban_after_429s, settings.ban_seconds
        )
        #: Set by stop(): wakes every wait (hanging requests, market and housekeeping loops).
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._controls: list[RecordedControl] = []
        self._fail_rules: list[FailRule] = []
        self._refusals: list[tuple[int, int, int | None]] = []  # [count, status, retry_after]

    # -- records ----------------------------------------------------------------

    def record_request(self, request: RecordedRequest) -> None:
        """Remember a REST request.

        :param request: the request.
        """
        with self._lock:
            self._requests.append(request)
            if len(self._requests) > MAX_RECORDS:
                del self._requests[: MAX_RECORDS // 10]

    def requests(self) -> list[RecordedRequest]:
        """REST requests seen so far.

        :returns: a copy, oldest first.
        """
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        """Forget recorded REST requests."""
        with self._lock:
            self._requests.clear()

    def record_control(self, control: RecordedControl) -> None:
        """Remember a websocket control message / WebSocket API request.

        :param control: the message.
        """
        with self._lock:
            self._controls.append(control)
            if len(self._controls) > MAX_RECORDS:
                del self._controls[: MAX_RECORDS // 10]

    def controls(self, connection_id: int | None) -> list[RecordedControl]:
        """Recorded control messages.

        :param connection_id: only this connection's (all when ``None``).
        :returns: a copy, oldest first.
        """
        with self._lock:
            return [
                c
                for c in self._controls
                if connection_id is None or c.connection_id == connection_id
            ]

    # -- REST faults ------------------------------------------------------------------

    def add_fail_rule(self, rule: FailRule) -> None:
        """Queue a fail_next injection.

        :param rule: the rule.
        """
        with self._lock:
            self._fail_rules.append(rule)

    def take_fail_rule(self, method: str, path: str, when: str) -> FailRule | None:
        """Consume one matching injection, if any.

        :param method: request method.
        :param path: request path.
        :param when: ``"before"`` or ``"after"`` processing.
        :returns: the rule to apply, or ``None``.
        """
        with self._lock:
            for rule in self._fail_rules:
                if rule.path == path and rule.when == when and rule.method in (None, method):
                    rule.count -= 1
                    if rule.count <= 0:
                        self._fail_rules.remove(rule)
                    return rule
            return None

    def clear_fail_rules(self) -> None:
        """Drop every pending fail_next injection."""
        with self._lock:
            self._fail_rules.clear()

    # -- websocket handshake refusals -----------------------------------------------

    def add_refusal(self, count: int, status: int, retry_after: int | None) -> None:
        """Refuse the next *count* websocket handshakes.

        :param count: how many.
        :param status: HTTP status of the refusal.
        :param retry_after: ``Retry-After`` header value, if any.
        """
        with self._lock:
            if count > 0:
                self._refusals.append((count, status, retry_after))

    def take_refusal(self) -> tuple[int, int | None] | None:
        """Consume one pending handshake refusal.

        :returns: ``(status, retry_after)`` or ``None``.
        """
        with self._lock:
            if not self._refusals:
                return None
            count, status, retry_after = self._refusals[0]
            if count <= 1:
                self._refusals.pop(0)
            else:
                self._refusals[0] = (count - 1, status, retry_after)
            return status, retry_after

    def clear_refusals(self) -> None:
        """Drop pending handshake refusals."""
        with self._lock:
            self._refusals.clear()

    def account(self, api_key: str | None, default: str) -> Account:
        """An account by key.

        :param api_key: the key (``None`` = the default account).
        :param default: the default account's key.
        :returns: the account.
        :raises KeyError: unknown key.
        """
        key = default if api_key is None else api_key
        try:
            return self.exchange.accounts[key]
        except KeyError:
            raise KeyError(f"api_key: no account with key {key[:6]}...") from None
