"""The switch-over from a connection to its replacement: every event exactly
once, in order, whatever the interleaving of the two sockets."""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from hypothesis import given
from hypothesis import strategies as st

from cryptoex.streaming.dispatch import Handover, Reporter, Route


class Conn:
    def __init__(self, name: str) -> None:
        self.name = name


def make_route(delivered: list[int]) -> Route:
    route = Route(
        "btcusdt@trade",
        "trade",
        "BTCUSDT",
        lambda p: p["id"],
        _NoSignal(),  # type: ignore[arg-type]
        Reporter("sm"),
        lambda p: p["id"],
        event_time_key=None,
    )
    route.callbacks = (delivered.append,)
    return route


class _NoSignal:
    """Stands in for a blinker signal nobody is connected to."""

    receivers: ClassVar[dict[Any, Any]] = {}


def frame(route: Route, conn: Any, payload: dict[str, int]) -> None:
    """What ``frame_handler`` does once the route is found."""
    if route.conn is conn and route.handover is None:
        route.deliver(payload, 0.0)
    else:
        route.offer(conn, payload, 0.0)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[int, int, int, int, bool, list[str]]:
    n = draw(st.integers(min_value=0, max_value=30))
    old_dies = draw(st.booleans())
    a_end = draw(st.integers(min_value=0, max_value=n)) if old_dies else n
    b_start = draw(st.integers(min_value=0, max_value=n))
    # Events old delivered on the fast path before the handover was
    # installed, which new may also carry (its socket was subscribed first).
    # When old dies before the two sockets overlap, nothing tells them apart
    # beyond the last one: keep that case to new starting after them.
    limit = min(a_end, b_start + 1) if old_dies else a_end
    before = draw(st.integers(min_value=0, max_value=limit))
    tokens = ["old"] * (a_end - before) + ["new"] * (n - b_start)
    order = draw(st.permutations(tokens))
    if old_dies:
        # The old socket closes after its last event, anywhere in new's flow.
        position = draw(st.integers(min_value=0, max_value=len(order)))
        last_old = max((i for i, t in enumerate(order) if t == "old"), default=-1)
        position = max(position, last_old + 1)
        order = [*order[:position], "close", *order[position:]]
    return n, a_end, b_start, before, old_dies, order


@given(scenario=scenarios())
def test_every_event_once_and_in_order(
    scenario: tuple[int, int, int, int, bool, list[str]],
) -> None:
    n, a_end, b_start, before, old_dies, order = scenario
    delivered: list[int] = []
    route = make_route(delivered)
    old, new = Conn("old"), Conn("new")
    switched: list[Route] = []
    route.conn = old  # type: ignore[assignment]
    old_events = iter(range(a_end))
    for _ in range(before):
        frame(route, old, {"id": next(old_events)})
    handover = Handover.start(route, old, new, switched.append)  # type: ignore[arg-type]
    assert route.handover is handover
    new_events = iter(range(b_start, n))
    for token in order:
        if token == "old":
            frame(route, old, {"id": next(old_events)})
        elif token == "new":
            frame(route, new, {"id": next(new_events)})
        elif route.handover is not None:
            route.handover.old_closed(route)
    # If new started after old died, that gap cannot be filled.
    expected = list(range(n)) if b_start <= a_end else [*range(a_end), *range(b_start, n)]
    # new only ever carried events old delivered before the handover (and not
    # the last of them): they stay held back until new shows more.
    only_early = not old_dies and all(i < before - 1 for i in range(b_start, n))
    held = n - b_start if only_early else 0
    assert delivered == expected
    assert route.messages == len(expected)
    frames = a_end + (n - b_start)
    assert route.messages + route.duplicates + held == frames, "nothing dropped silently"
    if route.handover is None:
        assert route.conn is new, "leaving the switch-over hands the stream to new"
    if old_dies and a_end < n and b_start < n:
        # new delivered something old never had: the switch-over is over.
        assert route.handover is None
        assert route.conn is new
    assert len(switched) <= 1


def test_concurrent_sockets_never_deliver_concurrently_or_out_of_order() -> None:
    n = 3000
    delivered: list[int] = []
    busy = threading.Lock()
    overlaps: list[int] = []

    def record(event: int) -> None:
        if not busy.acquire(blocking=False):
            overlaps.append(event)
            return
        try:
            delivered.append(event)
        finally:
            busy.release()

    route = make_route([])
    route.callbacks = (record,)
    old, new = Conn("old"), Conn("new")
    route.conn = old  # type: ignore[assignment]
    Handover.start(route, old, new, lambda r: None)  # type: ignore[arg-type]
    start = threading.Barrier(2)

    def run(conn: Conn, first: int) -> None:
        start.wait()
        for i in range(first, n):
            frame(route, conn, {"id": i})

    threads = [
        threading.Thread(target=run, args=(old, 0)),
        threading.Thread(target=run, args=(new, 100)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == []
    assert delivered == list(range(n))
    # Every frame was either delivered or counted as a duplicate.
    assert route.duplicates == (n + (n - 100)) - n
