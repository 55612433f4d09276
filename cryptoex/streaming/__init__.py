"""Market-data streaming: :class:`StreamManager` and its parts.

* :mod:`.manager` — the manager: lifecycle, subscriptions, decorators,
  ``latest()``, ``stats()``
* :mod:`.connection` — one websocket with its own reconnect loop, and the
  keepalive service (pings, silence, pacing)
* :mod:`.slots` — which streams each socket carries; switch-over to a
  replacement socket
* :mod:`.dispatch` — payload -> model -> callbacks, in isolation; dedupe
  during a switch-over
* :mod:`.subscriptions` — the :class:`Subscription` handle; placement of
  streams on connections
* :mod:`.pacing` — the outgoing-message rate gate
* :mod:`.stats` — counters and the ``stats()`` snapshot
"""

from __future__ import annotations

from cryptoex.streaming.manager import StreamManager
from cryptoex.streaming.stats import ConnectionStats, Stats, StreamStats
from cryptoex.streaming.subscriptions import Subscription

__all__ = ["ConnectionStats", "Stats", "StreamManager", "StreamStats", "Subscription"]
