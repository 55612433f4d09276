"""Binance's rate-limit headers: ``X-MBX-USED-WEIGHT-<n><unit>`` (used weight
of the IP per window) and ``X-MBX-ORDER-COUNT-<n><unit>`` (orders of the
account per window), with the unit letters S, M, H, D."""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["interval_seconds", "order_counts", "used_weights"]

_UNIT_SECONDS = {"S": 1, "M": 60, "H": 3600, "D": 86400}
_HEADER = re.compile(r"^x-mbx-(used-weight|order-count)-(\d+)([smhd])$", re.IGNORECASE)


def interval_seconds(interval: str, interval_num: int = 1) -> int:
    """Seconds in ``interval_num`` units of ``interval`` (``"MINUTE"`` or ``"M"``)."""
    letter = interval[:1].upper()
    return interval_num * _UNIT_SECONDS[letter]


def _scan(headers: Mapping[str, str], kind: str) -> dict[int, int]:
    result: dict[int, int] = {}
    for name, value in headers.items():
        match = _HEADER.match(name)
        if match is None or match.group(1).lower() != kind:
            continue
        try:
            count = int(value)
        except ValueError:
            continue
        seconds = int(match.group(2)) * _UNIT_SECONDS[match.group(3).upper()]
        result[seconds] = count
    return result


def used_weights(headers: Mapping[str, str]) -> dict[int, int]:
    """Used IP weight by window length in seconds, e.g. ``{60: 1234}``."""
    return _scan(headers, "used-weight")


def order_counts(headers: Mapping[str, str]) -> dict[int, int]:
    """The account's order count by window length, e.g. ``{10: 3, 86400: 40}``."""
    return _scan(headers, "order-count")
