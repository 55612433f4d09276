"""Binance request signing: the only place an API secret is unwrapped.

REST (2026 rule, enforced since 2026-01-15): build ``name=value`` pairs joined
by ``&``, **percent-encode, then sign the encoded string**, and send exactly
those bytes. For a request with both a query string and a body, the signed
payload is the query string immediately followed by the body (no separator).

WebSocket API: sort every parameter except ``signature`` (``apiKey``
included) by name, join ``name=value`` with ``&`` *without* percent-encoding,
and sign the UTF-8 bytes.

Both use HMAC-SHA256 with lowercase hex output. Published test vectors are
pinned in ``tests/unit/test_signing.py``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import Enum
from urllib.parse import urlencode

from cryptoex._money import format_decimal
from cryptoex._secrets import Secret

__all__ = ["encode_params", "format_param", "sign", "sign_ws_params", "signed_payload"]


def format_param(value: object) -> str:
    """Render one parameter value the way Binance expects it.

    Decimals are fixed-point (never ``1E-7``), booleans ``true``/``false``,
    enums their value; lists are JSON arrays of strings (``symbols``).
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(f'"{format_param(v)}"' for v in value) + "]"
    return str(value)


def encode_params(params: Mapping[str, object] | Iterable[tuple[str, object]]) -> str:
    """Percent-encode parameters (UTF-8) in the order given; ``None`` values
    are left out."""
    items = params.items() if isinstance(params, Mapping) else params
    return urlencode([(k, format_param(v)) for k, v in items if v is not None])


def sign(secret: Secret, payload: str) -> str:
    """HMAC-SHA256 of *payload* (an already percent-encoded string) as hex."""
    return hmac.new(
        secret.reveal().encode("utf-8"), payload.encode("utf-8"), hashlib.sha256
    ).hexdigest()


def signed_payload(secret: Secret, params: Mapping[str, object]) -> str:
    """Percent-encode *params*, sign them and append ``&signature=...``.

    The result is exactly what goes on the wire (as the query string of a GET
    or the form body of a POST/DELETE).
    """
    payload = encode_params(params)
    return f"{payload}&signature={sign(secret, payload)}"


def sign_ws_params(secret: Secret, params: Mapping[str, object]) -> str:
    """Signature for a WebSocket API request's ``params`` (sorted by name,
    raw UTF-8, no percent-encoding, ``signature`` itself excluded)."""
    payload = "&".join(
        f"{name}={format_param(value)}"
        for name, value in sorted(params.items())
        if name != "signature" and value is not None
    )
    return hmac.new(
        secret.reveal().encode("utf-8"), payload.encode("utf-8"), hashlib.sha256
    ).hexdigest()
