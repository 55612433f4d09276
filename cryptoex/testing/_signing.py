"""Signature checks, re-derived from Binance's documentation (rest.md §3, user-data.md §2.3)
and never shared with the client library, so a bug in one cannot hide a bug in the other.

REST: HMAC-SHA256 over the query string exactly as sent (still percent-encoded) followed,
without a separator, by the body exactly as sent, both minus the ``signature`` parameter.
WebSocket API: HMAC-SHA256 over the request parameters except ``signature``, sorted by
name, joined as ``name=value`` with ``&``, values in raw UTF-8 (no percent-encoding).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any


def _strip_signature(raw: str) -> str:
    return "&".join(part for part in raw.split("&") if part and not part.startswith("signature="))


def rest_payload(raw_query: str, raw_body: str) -> str:
    """The string a REST request's signature covers.

    :param raw_query: the query string as received.
    :param raw_body: the form body as received.
    :returns: query + body, ``signature`` parameters removed.
    """
    return _strip_signature(raw_query) + _strip_signature(raw_body)


def hmac_hex(secret: str, payload: str) -> str:
    """HMAC-SHA256 of *payload* (UTF-8) keyed with *secret*, lowercase hex.

    :param secret: the API secret.
    :param payload: the signed string.
    :returns: 64 hex characters.
    """
    return hmac.new(secret.encode("utf-8"), payload.encode("utf-8"), hashlib.sha256).hexdigest()


def verify(secret: str, payload: str, signature: str) -> bool:
    """Whether *signature* is the HMAC of *payload* (hex, any case).

    :param secret: the API secret.
    :param payload: the signed string.
    :param signature: the signature sent.
    :returns: whether it matches.
    """
    return hmac.compare_digest(hmac_hex(secret, payload), signature.lower())


class RawNumber(str):
    """A JSON number kept as the text it was sent as (WebSocket API signing signs the text)."""

    __slots__ = ()


def render(value: Any) -> str:
    """A JSON value as it appears in the WebSocket API signature payload.

    :param value: a parsed value (numbers kept as :class:`RawNumber`).
    :returns: the text.
    """
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    return str(value)


def ws_payload(params: Mapping[str, Any]) -> str:
    """The string a WebSocket API request's signature covers.

    :param params: the request's ``params`` (``apiKey`` included).
    :returns: sorted ``name=value`` pairs joined by ``&``, ``signature`` excluded.
    """
    return "&".join(f"{k}={render(v)}" for k, v in sorted(params.items()) if k != "signature")
