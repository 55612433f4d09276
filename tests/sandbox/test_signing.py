"""Signature verification: Binance's published vectors verify (unit and over HTTP), and
every authentication failure gets Binance's code, message and status."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
import requests

from cryptoex.testing import FakeBinance
from cryptoex.testing._signing import rest_payload, verify, ws_payload
from tests.helpers import load_fixture
from tests.sandbox.conftest import Rest, hmac_hex, now_ms

VECTORS = load_fixture("signing/vectors.json")
EXAMPLE = VECTORS["hmac_example_key"]
REST_VECTORS = [v for v in VECTORS["hmac_vectors"] if v["api"] == "REST"]
WS_VECTORS = [v for v in VECTORS["hmac_vectors"] if v["api"] == "WebSocket API"]


@pytest.mark.parametrize("vector", REST_VECTORS, ids=lambda v: v["id"])
def test_rest_vectors_verify(vector: dict[str, Any]) -> None:
    if "query_string" in vector:
        payload = rest_payload(vector["query_string"], vector["body"])
    else:
        payload = rest_payload(vector["request"].split("?", 1)[1], "")
    assert payload == vector["payload"]
    assert verify(EXAMPLE["secretKey"], payload, vector["signature"])
    assert verify(EXAMPLE["secretKey"], payload, vector["signature"].upper())  # hex: any case
    assert not verify(EXAMPLE["secretKey"], payload + "0", vector["signature"])


@pytest.mark.parametrize("vector", WS_VECTORS, ids=lambda v: v["id"])
def test_ws_api_vectors_verify(vector: dict[str, Any]) -> None:
    params = dict(pair.split("=", 1) for pair in vector["payload"].split("&"))
    shuffled = dict(reversed(list(params.items())))
    assert ws_payload({**shuffled, "signature": "ignored"}) == vector["payload"]
    assert verify(EXAMPLE["secretKey"], vector["payload"], vector["signature"])


def test_ws_api_order_fixture_verifies() -> None:
    request = load_fixture("wsapi/hmac_signed_order_place_unicode.json")
    assert verify(
        EXAMPLE["secretKey"], ws_payload(request["params"]), request["params"]["signature"]
    )


@pytest.fixture
def example_account(fake_binance: FakeBinance) -> str:
    """The docs' example key pair, with the server clock set to the vectors' timestamp."""
    fake_binance.add_account(api_key=EXAMPLE["apiKey"], api_secret=EXAMPLE["secretKey"])
    fake_binance.faults.set_clock_offset(1499827319559 + 200 - now_ms())
    return str(EXAMPLE["apiKey"])


@pytest.mark.parametrize("vector", REST_VECTORS, ids=lambda v: v["id"])
def test_rest_vectors_over_http(
    fake_binance: FakeBinance, example_account: str, vector: dict[str, Any]
) -> None:
    headers = {"X-MBX-APIKEY": example_account}
    url = fake_binance.rest_url + "/api/v3/order"
    if "query_string" in vector:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = requests.post(
            url + "?" + vector["query_string"], data=vector["body"], headers=headers, timeout=10
        )
    else:
        response = requests.post(
            url + "?" + vector["request"].split("?", 1)[1], headers=headers, timeout=10
        )
    # The signature was accepted: the answer is about the (unknown) symbol, not -1022.
    assert response.json() == {"code": -1121, "msg": "Invalid symbol."}
    query = (
        vector["query_string"] if "query_string" in vector else vector["request"].split("?", 1)[1]
    )
    tampered = query.replace("BUY", "SELL")
    response = requests.post(
        url + "?" + tampered, data=vector.get("body"), headers=headers, timeout=10
    )
    assert response.json() == load_fixture("errors/constructed/error_-1022_invalid_signature.json")


def test_signing_the_unencoded_string_is_rejected(
    fake_binance: FakeBinance, example_account: str
) -> None:
    raw = (
        "symbol=１２３４５６&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
        "&recvWindow=5000&timestamp=1499827319559"
    )
    wrong = hmac_hex(EXAMPLE["secretKey"], raw)  # signed before percent-encoding
    sent = quote(raw, safe="=&")
    response = requests.post(
        f"{fake_binance.rest_url}/api/v3/order?{sent}&signature={wrong}",
        headers={"X-MBX-APIKEY": example_account},
        timeout=10,
    )
    assert response.json()["code"] == -1022


@pytest.mark.parametrize(
    ("headers", "params", "status", "body"),
    [
        ({}, {}, 401, load_fixture("errors/constructed/error_-2014_bad_api_key_fmt.json")),
        (
            {"X-MBX-APIKEY": "short"},
            {},
            401,
            load_fixture("errors/constructed/error_-2014_bad_api_key_fmt.json"),
        ),
        (
            {"X-MBX-APIKEY": "A" * 64},
            {},
            401,
            load_fixture("errors/constructed/error_-2015_rejected_key.json"),
        ),
        (
            None,
            {"timestamp": None},
            400,
            load_fixture("errors/constructed/error_-1102_mandatory_param.json"),
        ),
        (
            None,
            {"timestamp": "soon"},
            400,
            {
                "code": -1100,
                "msg": "Illegal characters found in parameter 'timestamp'; "
                "legal range is '^[0-9]{1,20}$'.",
            },
        ),
        (
            None,
            {"timestamp": 5000},
            400,
            load_fixture("errors/constructed/error_-1021_ahead_of_server.json"),
        ),
        (
            None,
            {"timestamp": -10_000},
            400,
            load_fixture("errors/constructed/error_-1021_outside_recvwindow.json"),
        ),
        (
            None,
            {"recvWindow": "60001"},
            400,
            {
                "code": -1102,
                "msg": "'recvWindow' contains unexpected value. Cannot be greater than 60000.",
            },
        ),
        (None, {"recvWindow": "1e3"}, 400, None),
        (
            None,
            {"signature": None},
            400,
            {
                "code": -1102,
                "msg": "Mandatory parameter 'signature' was not sent, "
                "was empty/null, or malformed.",
            },
        ),
        (
            None,
            {"signature": "0" * 64},
            400,
            load_fixture("errors/constructed/error_-1022_invalid_signature.json"),
        ),
        (
            None,
            {"extra": "1"},
            400,
            {
                "code": -1104,
                "msg": "Not all sent parameters were read; read '2' parameter(s) but was sent '3'.",
            },
        ),
    ],
)
def test_authentication_failures(
    fake_binance: FakeBinance,
    headers: dict[str, str] | None,
    params: dict[str, Any],
    status: int,
    body: dict[str, Any] | None,
) -> None:
    query: dict[str, Any] = {"timestamp": now_ms()}
    query.update({k: v for k, v in params.items() if k != "signature"})
    if isinstance(query["timestamp"], int) and abs(query["timestamp"]) < 100_000:
        query["timestamp"] += now_ms()  # an offset from now, evaluated when the test runs
    query = {k: v for k, v in query.items() if v is not None}
    payload = "&".join(f"{k}={v}" for k, v in query.items())
    signature = params.get("signature", hmac_hex(fake_binance.api_secret, payload))
    url = f"{fake_binance.rest_url}/api/v3/account?{payload}"
    if signature is not None:
        url += f"&signature={signature}"
    response = requests.get(
        url,
        headers={"X-MBX-APIKEY": fake_binance.api_key} if headers is None else headers,
        timeout=10,
    )
    assert response.status_code == status
    if body is None:
        assert response.json()["code"] == -1100
    else:
        assert response.json() == body


def test_timing_accepts_microseconds_decimals_and_uppercase(
    fake_binance: FakeBinance, rest: Rest
) -> None:
    assert rest.signed("GET", "/api/v3/account", timestamp=now_ms() * 1000).status_code == 200
    assert rest.signed("GET", "/api/v3/account", recvWindow="5000.125").status_code == 200
    assert (
        rest.signed(
            "GET", "/api/v3/account", timestamp=now_ms() - 20_000, recvWindow=30_000
        ).status_code
        == 200
    )
    payload = f"timestamp={now_ms()}"
    upper = hmac_hex(fake_binance.api_secret, payload).upper()
    response = requests.get(
        f"{fake_binance.rest_url}/api/v3/account?{payload}&signature={upper}",
        headers={"X-MBX-APIKEY": fake_binance.api_key},
        timeout=10,
    )
    assert response.status_code == 200


def test_clock_offset_moves_server_time_and_checks(fake_binance: FakeBinance, rest: Rest) -> None:
    fake_binance.faults.set_clock_offset(-60_000)
    server = rest.get("/api/v3/time").json()["serverTime"]
    assert now_ms() - server >= 59_000
    assert rest.signed("GET", "/api/v3/account").json()["code"] == -1021  # we look 1 min ahead
    assert rest.signed("GET", "/api/v3/account", timestamp=server).status_code == 200
