"""The sandbox's own log records never carry a request signature."""

from __future__ import annotations

import json
import logging
import time

import pytest
import websocket

from cryptoex.testing import FakeBinance
from tests.helpers import LONG_TIMEOUT, wait_until
from tests.sandbox.conftest import Rest, hmac_hex


def test_signed_get_is_logged_without_its_query(
    rest: Rest, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="cryptoex.testing"):
        response = rest.signed("GET", "/api/v3/account")
    assert response.status_code == 200
    rest_lines = [r.getMessage() for r in caplog.records if r.name.startswith("cryptoex.testing")]
    assert any("/api/v3/account" in line for line in rest_lines)
    assert not any("signature" in line for line in rest_lines)


def test_websocket_frames_are_logged_without_credentials(
    fake_binance: FakeBinance, caplog: pytest.LogCaptureFixture
) -> None:
    timestamp = int(time.time() * 1000)
    payload = f"apiKey={fake_binance.api_key}&timestamp={timestamp}"
    signature = hmac_hex(fake_binance.api_secret, payload)
    request = {
        "id": 1,
        "method": "userDataStream.subscribe.signature",
        "params": {"apiKey": fake_binance.api_key, "timestamp": timestamp, "signature": signature},
    }
    with caplog.at_level(logging.DEBUG, logger="cryptoex.testing"):
        ws = websocket.create_connection(fake_binance.ws_api_url, timeout=LONG_TIMEOUT)
        try:
            ws.send(json.dumps(request))
            assert json.loads(ws.recv())["status"] == 200
        finally:
            ws.close()
    assert wait_until(lambda: any("userDataStream" in r.getMessage() for r in caplog.records)), (
        "the frame dump was not logged"
    )
    # The formatted message is truncated by websockets; the arguments keep the
    # whole frame, and a handler may format them differently.
    text = "\n".join(
        r.getMessage() + " " + " ".join(str(getattr(a, "data", a)) for a in (r.args or ()))
        for r in caplog.records
    )
    assert "userDataStream.subscribe.signature" in text
    assert fake_binance.api_key not in text
    assert signature[-12:] not in text
    assert signature not in text
