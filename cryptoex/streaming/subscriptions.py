"""Subscriptions: the :class:`Subscription` handle users get back, and the
placement of streams on connections (:class:`SlotTable`), split at the
per-connection stream limit.

Subscriptions are counted: two subscribers of one stream share it, and the
stream is unsubscribed from the exchange when the last one lets go. The
counting lives in the manager (under its lock); this module holds the pure
parts, so the split rule can be tested on its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptoex.streaming.manager import StreamManager

__all__ = ["SlotTable", "Subscription"]


class SlotTable:
    """Which connection slot carries which stream.

    A stream goes to the lowest-numbered slot with room (fewer than
    ``max_per_slot`` streams); when every slot is full a new slot number is
    handed out. Not thread-safe: the manager calls it under its lock.

    :param max_per_slot: streams one connection may carry (>= 1).
    """

    def __init__(self, max_per_slot: int) -> None:
        if max_per_slot < 1:
            raise ValueError(f"max_per_slot must be >= 1, got {max_per_slot!r}")
        self.max_per_slot = max_per_slot
        self._slots: dict[int, set[str]] = {}
        self._where: dict[str, int] = {}

    def place(self, stream: str, prefer: int | None = None) -> tuple[int, bool]:
        """Put *stream* on a slot; returns ``(slot, slot_is_new)``.

        :param prefer: a slot to use if it has room (where the stream lived
            until a moment ago, so its pending unsubscribe is simply undone).
        :raises ValueError: if *stream* is already placed.
        """
        if stream in self._where:
            raise ValueError(f"{stream!r} is already placed")
        candidates = sorted(self._slots)
        if prefer is not None and prefer in self._slots:
            candidates.insert(0, prefer)
        for index in candidates:
            members = self._slots[index]
            if len(members) < self.max_per_slot:
                members.add(stream)
                self._where[stream] = index
                return index, False
        index = 0
        while index in self._slots:
            index += 1
        self._slots[index] = {stream}
        self._where[stream] = index
        return index, True

    def remove(self, stream: str) -> tuple[int, bool]:
        """Take *stream* off its slot; returns ``(slot, slot_now_empty)``.
        An empty slot is forgotten.

        :raises KeyError: if *stream* is not placed.
        """
        index = self._where.pop(stream)
        members = self._slots[index]
        members.discard(stream)
        if not members:
            del self._slots[index]
            return index, True
        return index, False

    def slot_of(self, stream: str) -> int | None:
        """The slot carrying *stream*, or ``None``."""
        return self._where.get(stream)

    def streams(self, index: int) -> frozenset[str]:
        """The streams on slot *index* (empty if there is no such slot)."""
        return frozenset(self._slots.get(index, ()))

    def slots(self) -> list[int]:
        """Slot numbers in use, ascending."""
        return sorted(self._slots)


class Subscription:
    """One subscriber's hold on a stream, returned by
    :meth:`StreamManager.subscribe`.

    The stream stays subscribed while any :class:`Subscription` on it is
    active. :meth:`unsubscribe` is idempotent and thread-safe (a callback may
    call it); it is also called on leaving a ``with`` block.

    Example::

        with sm.subscribe("trade", "BTCUSDT") as sub:
            ...                      # trades flow to signals.trade
        # unsubscribed here (at the exchange too, if it was the last one)
    """

    def __init__(
        self,
        manager: StreamManager,
        stream: str,
        kind: str,
        symbol: str,
        on_release: Callable[[], None] | None = None,
    ) -> None:
        #: The manager this subscription belongs to.
        self.manager = manager
        #: Exchange stream name (``"btcusdt@kline_1m"``).
        self.stream = stream
        #: Stream kind (``"kline"``).
        self.kind = kind
        #: Uppercase symbol.
        self.symbol = symbol
        self._on_release = on_release
        self._active = True
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        """Whether :meth:`unsubscribe` has not been called yet."""
        return self._active

    def unsubscribe(self) -> None:
        """Let go of the stream; the last subscriber's release unsubscribes
        it at the exchange (live ``UNSUBSCRIBE``, no reconnect)."""
        with self._lock:
            if not self._active:
                return
            self._active = False
        if self._on_release is not None:
            self._on_release()
        self.manager._release(self.stream)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.unsubscribe()

    def __repr__(self) -> str:
        state = "active" if self._active else "released"
        return f"<Subscription {self.stream} {state}>"
