"""Placement of streams on connections: split at the limit, slots reused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cryptoex.streaming.subscriptions import SlotTable


@given(
    limit=st.integers(min_value=1, max_value=5),
    ops=st.lists(st.tuples(st.booleans(), st.integers(min_value=0, max_value=15)), max_size=80),
)
def test_no_slot_exceeds_the_limit_and_each_stream_has_one_slot(
    limit: int, ops: list[tuple[bool, int]]
) -> None:
    table = SlotTable(limit)
    placed: set[str] = set()
    for add, n in ops:
        stream = f"s{n}@trade"
        if add and stream not in placed:
            table.place(stream)
            placed.add(stream)
        elif not add and stream in placed:
            table.remove(stream)
            placed.discard(stream)
        seen: list[str] = []
        for index in table.slots():
            members = table.streams(index)
            assert 0 < len(members) <= limit
            seen.extend(members)
        assert sorted(seen) == sorted(placed)
        assert all(table.slot_of(s) is not None for s in placed)
        # No more slots than needed plus fragmentation from removals.
        assert len(table.slots()) <= max(1, len(placed))


def test_split_fills_lowest_slot_first_and_reuses_freed_room() -> None:
    table = SlotTable(2)
    assert table.place("a") == (0, True)
    assert table.place("b") == (0, False)
    assert table.place("c") == (1, True)
    assert table.remove("a") == (0, False)
    assert table.place("d") == (0, False)
    assert table.remove("c") == (1, True)
    assert table.slots() == [0]
    assert table.streams(7) == frozenset()
    assert table.place("e", prefer=5) == (1, True)
    assert table.place("f", prefer=1) == (1, False)


def test_misuse_is_reported() -> None:
    table = SlotTable(1)
    table.place("a")
    with pytest.raises(ValueError, match="already placed"):
        table.place("a")
    with pytest.raises(KeyError):
        table.remove("zzz")
    with pytest.raises(ValueError, match="max_per_slot"):
        SlotTable(0)
