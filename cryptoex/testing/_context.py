"""What a REST endpoint handler receives, and the sandbox settings handlers read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from cryptoex.testing._params import Params

if TYPE_CHECKING:
    from cryptoex.testing._accounts import Account
    from cryptoex.testing._engine import Exchange
    from cryptoex.testing._limits import Limits


@dataclass(frozen=True)
class Settings:
    """The sandbox's tunables (validated by :class:`~cryptoex.testing.FakeBinance`)."""

    seed: int
    message_rate: float
    ping_interval: float
    pong_timeout: float
    max_connection_age: float
    max_streams_per_connection: int
    max_incoming_per_second: float
    max_connection_attempts: int
    connection_attempt_window: float
    request_weight_limit: int
    order_limit_10s: int
    order_limit_1d: int
    ban_after_429s: int
    ban_seconds: float
    commission_rate: Decimal
    close_timeout: float = 0.25


@dataclass
class Context:
    """One REST request being handled."""

    exchange: Exchange
    limits: Limits
    settings: Settings
    method: str
    path: str
    params: Params
    headers: Mapping[str, str]
    now: int
    account: Account | None = None
    response_headers: dict[str, str] = field(default_factory=dict)

    def user(self) -> Account:
        """The authenticated account (signed endpoints only).

        :returns: the account.
        """
        if self.account is None:
            raise RuntimeError("Context.user() on an unsigned endpoint")
        return self.account


#: An endpoint: handler, weight function, whether it is SIGNED, whether a success is
#: free (the 2026-04-02 rule for order placement and cancels), and its parameters.
@dataclass(frozen=True)
class Endpoint:
    """One REST route."""

    handler: Callable[[Context], Any]
    weight: Callable[[Params], int]
    signed: bool
    allowed: frozenset[str]
    free_on_success: bool = False
    kline_rows: bool = False


def fixed(weight: int) -> Callable[[Params], int]:
    """A weight function returning a constant.

    :param weight: the weight.
    :returns: the function.
    """
    return lambda _params: weight
