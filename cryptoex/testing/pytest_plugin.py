"""pytest plugin (``pytest11`` entry point ``cryptoex``): the ``fake_binance`` fixture.

Importing this module is cheap and has no side effects: the sandbox is imported when a
test first asks for the fixture. Options for one test come from a marker::

    @pytest.mark.fake_binance(message_rate=0, symbols=["BTCUSDT"])
    def test_something(fake_binance): ...
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

import pytest

if TYPE_CHECKING:
    from cryptoex.testing import FakeBinance

#: The fixture's defaults: short keepalive timings so tests about pings and dead
#: connections run in well under a second (Binance itself: 20 s / 60 s).
FIXTURE_DEFAULTS: Final[dict[str, Any]] = {
    "ping_interval": 0.5,
    "pong_timeout": 2.0,
    "message_rate": 20.0,
}


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``fake_binance`` marker.

    :param config: pytest's configuration.
    """
    config.addinivalue_line(
        "markers",
        "fake_binance(**options): FakeBinance keyword arguments for the fake_binance fixture",
    )


@pytest.fixture
def fake_binance(request: pytest.FixtureRequest) -> Iterator[FakeBinance]:
    """A started :class:`~cryptoex.testing.FakeBinance`, stopped (threads joined) after
    the test. Defaults: :data:`FIXTURE_DEFAULTS`; override them with
    ``@pytest.mark.fake_binance(**options)``.

    :param request: pytest's fixture request.
    :returns: the running sandbox (yielded).
    """
    from cryptoex.testing import FakeBinance

    marker = request.node.get_closest_marker("fake_binance")
    options = {**FIXTURE_DEFAULTS, **(marker.kwargs if marker is not None else {})}
    with FakeBinance(**options) as fake:
        yield fake
