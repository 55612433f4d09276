"""The stats() snapshot: both halves, both access styles, lag percentiles."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from cryptoex.streaming.stats import (
    LAG_SAMPLES,
    ConnectionStats,
    LagRing,
    Stats,
    StreamStats,
    wall_time,
)


def stream_stats(**changes: object) -> StreamStats:
    values: dict[str, object] = {
        "stream": "btcusdt@trade",
        "kind": "trade",
        "symbol": "BTCUSDT",
        "connection": "cryptoex-ws-0",
        "subscribers": 1,
        "messages": 10,
        "last_message_at": None,
        "reconnects": 0,
        "parse_errors": 0,
        "callback_errors": 0,
        "duplicates": 0,
        "dropped": 0,
        "queued": 0,
        "lag_ms_p50": 1.0,
        "lag_ms_p99": 2.0,
        "lag_ms_max": 3.0,
    }
    values.update(changes)
    return StreamStats(**values)  # type: ignore[arg-type]


def conn_stats() -> ConnectionStats:
    return ConnectionStats(
        name="cryptoex-ws-0",
        state="open",
        streams=1,
        messages=10,
        last_message_at=None,
        reconnects=0,
        failed_attempts=0,
        control_messages=0,
        unknown_messages=0,
        unrouted=0,
        parse_errors=0,
        connected_at=None,
        lag_ms_p50=None,
        lag_ms_p99=None,
        lag_ms_max=None,
    )


def test_snapshot_reads_by_stream_and_by_connection_both_ways() -> None:
    taken = datetime(2026, 1, 1, tzinfo=timezone.utc)
    snapshot = Stats({"btcusdt@trade": stream_stats()}, {"cryptoex-ws-0": conn_stats()}, taken)
    assert set(snapshot) == {"btcusdt@trade", "cryptoex-ws-0"}
    assert len(snapshot) == 2
    assert snapshot["btcusdt@trade"]["messages"] == 10
    assert snapshot["btcusdt@trade"].messages == 10
    assert snapshot["streams"]["btcusdt@trade"].lag_ms_p99 == 2.0
    assert snapshot["connections"]["cryptoex-ws-0"]["state"] == "open"
    assert dict(snapshot["btcusdt@trade"])["kind"] == "trade"
    assert len(snapshot["cryptoex-ws-0"]) == len(snapshot["cryptoex-ws-0"].to_dict())
    with pytest.raises(KeyError):
        snapshot["nope"]
    with pytest.raises(KeyError):
        snapshot["btcusdt@trade"]["nope"]
    plain = snapshot.to_dict()
    assert plain["streams"]["btcusdt@trade"]["symbol"] == "BTCUSDT"
    assert plain["connections"]["cryptoex-ws-0"]["messages"] == 10
    assert "1 streams, 1 connections" in repr(snapshot)
    assert snapshot.taken_at == taken


def test_lag_ring_percentiles_recent_samples_and_merge() -> None:
    ring = LagRing()
    assert ring.percentiles() == (None, None, None)
    for i in range(1, 101):
        ring.add(float(i))
    assert ring.percentiles() == (50.0, 99.0, 100.0)
    for _ in range(LAG_SAMPLES + 10):
        ring.add(1.0)
    p50, p99, top = ring.percentiles()
    assert p50 == p99 == 1.0
    assert top == 100.0, "the largest ever stays"
    assert len(ring.recent(5)) == 5
    other = LagRing()
    other.add(500.0)
    merged = LagRing.merged([ring, other, LagRing()])
    assert merged.percentiles()[2] == 500.0
    assert merged.count == 256 + 1


def test_wall_time() -> None:
    assert wall_time(None) is None
    assert wall_time(0.5) == datetime(1970, 1, 1, 0, 0, 0, 500000, tzinfo=timezone.utc)
