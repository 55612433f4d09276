"""The Binance-compatible sandbox: :class:`FakeBinance` runs a fake exchange on
127.0.0.1 (REST, market streams and the WebSocket API on real sockets) for tests,
demos and offline development; :class:`Faults` injects failures into it.

Importing this package is cheap: the websocket library is imported only when a
sandbox starts. See ``docs/sandbox.rst`` for the markets, faults and fixture.
"""

from __future__ import annotations

from cryptoex.testing._fake import FakeBinance
from cryptoex.testing._faults import Faults
from cryptoex.testing._markets import BUILTIN_MARKETS, SymbolSpec
from cryptoex.testing._records import ConnectionInfo, RecordedControl, RecordedRequest

__all__ = [
    "BUILTIN_MARKETS",
    "ConnectionInfo",
    "FakeBinance",
    "Faults",
    "RecordedControl",
    "RecordedRequest",
    "SymbolSpec",
]
