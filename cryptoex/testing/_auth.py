"""Authentication of SIGNED requests: API key, timestamp and recvWindow (timing security,
rest.md §3.2), then the signature. Shared by REST and the WebSocket API."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from cryptoex.testing._errors import ApiError, illegal, mandatory
from cryptoex.testing._params import LONG_RANGE, Params
from cryptoex.testing._signing import rest_payload, verify

if TYPE_CHECKING:
    from cryptoex.testing._accounts import Account
    from cryptoex.testing._state import Core

_KEY: Final = re.compile(r"[A-Za-z0-9]{64}")
_RECV_WINDOW: Final = re.compile(r"[0-9]{1,20}(\.[0-9]{1,3})?")
MAX_RECV_WINDOW: Final = Decimal(60000)


def bad_key() -> ApiError:
    """-2014 for a missing or malformed key.

    :returns: the error.
    """
    return ApiError(-2014, "API-key format invalid.", status=401)


def rejected_key() -> ApiError:
    """-2015 for an unknown key.

    :returns: the error.
    """
    return ApiError(-2015, "Invalid API-key, IP, or permissions for action.", status=401)


def find_account(core: Core, api_key: str | None) -> Account:
    """The account of *api_key*.

    :param core: sandbox state.
    :param api_key: the key sent.
    :returns: the account.
    :raises ApiError: -2014 malformed, -2015 unknown.
    """
    if not api_key or not _KEY.fullmatch(api_key):
        raise bad_key()
    account = core.exchange.accounts.get(api_key)
    if account is None:
        raise rejected_key()
    return account


def check_timing(core: Core, timestamp: str | None, recv_window: str | None) -> None:
    """Binance's timing check (rest.md §3.2): ``timestamp < server + 1000`` and
    ``server - timestamp <= recvWindow``.

    :param core: sandbox state.
    :param timestamp: the ``timestamp`` sent (ms, or µs judged by magnitude).
    :param recv_window: the ``recvWindow`` sent (ms, up to 3 decimals; default 5000).
    :raises ApiError: -1102, -1100 or -1021.
    """
    if timestamp is None or timestamp == "":
        raise mandatory("timestamp")
    if not re.fullmatch(r"[0-9]{1,20}", timestamp):
        raise illegal("timestamp", LONG_RANGE)
    stamp = Decimal(timestamp)
    if stamp >= 10**14:  # microseconds (rest.md §3.2 test-server note)
        stamp /= 1000
    window = Decimal(5000)
    if recv_window:
        if not _RECV_WINDOW.fullmatch(recv_window):
            raise illegal("recvWindow", "^[0-9]{1,20}(\\.[0-9]{1,3})?$")
        window = Decimal(recv_window)
        if window > MAX_RECV_WINDOW:
            raise ApiError(
                -1102, "'recvWindow' contains unexpected value. Cannot be greater than 60000."
            )
    server = core.clock.now_ms()
    if stamp >= server + 1000:
        raise ApiError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    if server - stamp > window:
        raise ApiError(-1021, "Timestamp for this request is outside of the recvWindow.")


def authenticate(
    core: Core, headers: Mapping[str, str], params: Params, raw_query: str, raw_body: str
) -> Account:
    """Authenticate a SIGNED REST request.

    :param core: sandbox state.
    :param headers: request headers.
    :param params: merged parameters.
    :param raw_query: query string as received.
    :param raw_body: body as received.
    :returns: the caller's account.
    :raises ApiError: -2014 / -2015 (401), -1102, -1100, -1021, -1022.
    """
    key = next((v for k, v in headers.items() if k.lower() == "x-mbx-apikey"), None)
    account = find_account(core, key)
    check_timing(core, params.raw("timestamp"), params.raw("recvWindow"))
    signature = params.raw("signature")
    if signature is None:
        raise mandatory("signature")
    if not verify(account.secret, rest_payload(raw_query, raw_body), signature):
        raise ApiError(-1022, "Signature for this request is not valid.")
    return account
