"""The sandbox's own log records never carry a request signature."""

from __future__ import annotations

import logging

import pytest

from tests.sandbox.conftest import Rest


def test_signed_get_is_logged_without_its_query(
    rest: Rest, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="cryptoex.testing"):
        response = rest.signed("GET", "/api/v3/account")
    assert response.status_code == 200
    rest_lines = [r.getMessage() for r in caplog.records if r.name.startswith("cryptoex.testing")]
    assert any("/api/v3/account" in line for line in rest_lines)
    assert not any("signature" in line for line in rest_lines)
