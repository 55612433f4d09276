"""Binance's published HMAC vectors, and signing against an independent
reference computation."""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal
from urllib.parse import quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cryptoex._secrets import Secret
from cryptoex.enums import Side
from cryptoex.exchanges.binance.signing import (
    encode_params,
    format_param,
    sign,
    sign_ws_params,
    signed_payload,
)
from tests.helpers import load_fixture

VECTORS = load_fixture("signing/vectors.json")
SECRET = Secret(VECTORS["hmac_example_key"]["secretKey"])
API_KEY = VECTORS["hmac_example_key"]["apiKey"]
BY_ID = {v["id"]: v for v in VECTORS["hmac_vectors"]}


def test_rest_ascii_vector() -> None:
    params = {
        "symbol": "LTCBTC",
        "side": Side.BUY,
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": Decimal("1"),
        "price": Decimal("0.1"),
        "recvWindow": 5000,
        "timestamp": 1499827319559,
    }
    vector = BY_ID["rest_hmac_ascii"]
    assert encode_params(params) == vector["payload"]
    assert signed_payload(SECRET, params) == f"{vector['payload']}&signature={vector['signature']}"


def test_rest_unicode_vector_is_encoded_before_signing() -> None:
    params = {
        "symbol": "１２３４５６",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "1",
        "price": "0.1",
        "recvWindow": "5000",
        "timestamp": "1499827319559",
    }
    vector = BY_ID["rest_hmac_unicode"]
    assert encode_params(params) == vector["payload"]
    assert sign(SECRET, encode_params(params)) == vector["signature"]


def test_rest_mixed_query_and_body_vector() -> None:
    vector = BY_ID["rest_hmac_mixed_query_and_body"]
    assert sign(SECRET, vector["payload"]) == vector["signature"]


@pytest.mark.parametrize("vector_id", ["wsapi_hmac_ascii", "wsapi_session_logon_example"])
def test_ws_api_vectors(vector_id: str) -> None:
    vector = BY_ID[vector_id]
    params = dict(pair.split("=", 1) for pair in vector["payload"].split("&"))
    params["signature"] = "ignored"
    assert sign_ws_params(SECRET, params) == vector["signature"]


def test_ws_api_unicode_vector_is_not_percent_encoded() -> None:
    vector = BY_ID["wsapi_hmac_unicode"]
    params = dict(pair.split("=", 1) for pair in vector["payload"].split("&"))
    assert params["symbol"] == "１２３４５６"
    assert sign_ws_params(SECRET, params) == vector["signature"]


def test_format_param() -> None:
    assert format_param(Decimal("1E-7")) == "0.0000001"
    assert format_param(True) == "true"
    assert format_param(False) == "false"
    assert format_param(Side.SELL) == "SELL"
    assert format_param(["BTCUSDT", "ETHUSDT"]) == '["BTCUSDT","ETHUSDT"]'
    assert format_param(7) == "7"
    assert encode_params({"a": None, "b": 1}) == "b=1"
    assert encode_params([("b", 2), ("a", 1)]) == "b=2&a=1"


def _reference(secret: str, params: dict[str, str]) -> str:
    payload = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in params.items())
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


_keys = st.text(st.characters(min_codepoint=48, max_codepoint=122), min_size=1, max_size=12)


@given(
    secret=st.text(min_size=1, max_size=64),
    params=st.dictionaries(_keys, st.text(max_size=30), min_size=1, max_size=8),
)
def test_signing_matches_independent_reference(secret: str, params: dict[str, str]) -> None:
    payload = encode_params(params)
    assert sign(Secret(secret), payload) == _reference(secret, params)


@given(
    params=st.dictionaries(_keys, st.text(min_size=1, max_size=20), min_size=1, max_size=6),
    extra=st.text(min_size=1, max_size=10),
)
def test_signature_changes_when_payload_changes(params: dict[str, str], extra: str) -> None:
    first = signed_payload(SECRET, params)
    changed = dict(params)
    key = next(iter(changed))
    changed[key] = changed[key] + extra
    assert signed_payload(SECRET, changed) != first
    assert signed_payload(SECRET, params) == first  # deterministic


def test_secret_not_in_signed_output() -> None:
    out = signed_payload(SECRET, {"a": "1"})
    assert SECRET.reveal() not in out
