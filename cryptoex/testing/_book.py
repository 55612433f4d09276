"""One symbol's order book: price levels holding synthetic liquidity and resting user
orders, the book update id, and the pending changes each diff-depth cadence will publish.

Prices are integer ticks and quantities integer lot steps, so the book never does
decimal arithmetic; conversion to Binance's strings happens when payloads are built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from cryptoex.testing._accounts import Order

#: The two diff-depth cadences Binance offers (``@depth`` and ``@depth@100ms``).
CADENCES: Final = ("1000ms", "100ms")


class Level:
    """One price level: synthetic (market-maker) quantity first, then user orders FIFO."""

    __slots__ = ("orders", "synthetic")

    def __init__(self, synthetic: int = 0) -> None:
        self.synthetic = synthetic
        self.orders: list[Order] = []

    def total(self) -> int:
        """Total quantity at the level, in lot steps.

        :returns: synthetic plus every resting order's remaining quantity.
        """
        return self.synthetic + sum(o.remaining_units for o in self.orders)


class DiffCadence:
    """What one diff-depth stream has not published yet.

    ``next_u`` is the ``U`` of the next event (the previous event's ``u`` + 1), so
    consecutive events are contiguous; ``pending`` holds the levels changed since.
    """

    __slots__ = ("next_u", "pending")

    def __init__(self, next_u: int) -> None:
        self.next_u = next_u
        self.pending: dict[tuple[bool, int], None] = {}


class Book:
    """Bids and asks keyed by price (ticks), with Binance's monotonically increasing
    update id (one increment per level change)."""

    def __init__(self, first_update_id: int) -> None:
        self.bids: dict[int, Level] = {}
        self.asks: dict[int, Level] = {}
        self.update_id = first_update_id
        self.cadences = {name: DiffCadence(first_update_id + 1) for name in CADENCES}

    def side(self, bids: bool) -> dict[int, Level]:
        """The bid or ask side.

        :param bids: ``True`` for bids.
        :returns: the side's levels.
        """
        return self.bids if bids else self.asks

    def touch(self, bids: bool, price: int) -> None:
        """Record a change of the level at *price*; drop the level if it is empty.

        :param bids: which side.
        :param price: price in ticks.
        """
        side = self.side(bids)
        level = side.get(price)
        if level is not None and level.synthetic <= 0 and not level.orders:
            del side[price]
        self.update_id += 1
        key = (bids, price)
        for cadence in self.cadences.values():
            cadence.pending[key] = None

    def level(self, bids: bool, price: int) -> Level:
        """The level at *price*, created when absent.

        :param bids: which side.
        :param price: price in ticks.
        :returns: the level.
        """
        side = self.side(bids)
        level = side.get(price)
        if level is None:
            level = side[price] = Level()
        return level

    def quantity(self, bids: bool, price: int) -> int:
        """Total quantity at *price* (0 when there is no level).

        :param bids: which side.
        :param price: price in ticks.
        :returns: lot steps.
        """
        level = self.side(bids).get(price)
        return level.total() if level is not None else 0

    def best(self, bids: bool) -> int | None:
        """Best price of a side.

        :param bids: which side.
        :returns: highest bid / lowest ask in ticks, or ``None`` when the side is empty.
        """
        side = self.side(bids)
        if not side:
            return None
        return max(side) if bids else min(side)

    def prices(self, bids: bool) -> list[int]:
        """Prices of a side, best first.

        :param bids: which side.
        :returns: a new sorted list.
        """
        return sorted(self.side(bids), reverse=bids)

    def top(self, bids: bool, limit: int) -> list[tuple[int, int]]:
        """The best *limit* levels of a side with their total quantities.

        :param bids: which side.
        :param limit: maximum number of levels.
        :returns: ``(price ticks, quantity steps)`` pairs, best first.
        """
        side = self.side(bids)
        return [(p, side[p].total()) for p in self.prices(bids)[:limit]]

    def gap(self, skip: int) -> None:
        """Make the next diff event of every cadence skip update ids (a fault).

        The ids advance by *skip* as if updates happened unseen, and the changes not yet
        published are dropped from the diff streams, so a client that ignores the gap
        really does miss them; the REST snapshot stays exact.

        :param skip: how many ids to skip (>= 1).
        """
        self.update_id += skip
        for cadence in self.cadences.values():
            cadence.pending.clear()
            cadence.next_u = self.update_id + 1

    def take_diff(
        self, cadence_name: str
    ) -> tuple[int, int, list[tuple[int, int]], list[tuple[int, int]]] | None:
        """Collect one diff event for a cadence and mark it published.

        :param cadence_name: ``"1000ms"`` or ``"100ms"``.
        :returns: ``(U, u, bid changes, ask changes)`` with absolute quantities (0 =
            removed), or ``None`` when nothing changed.
        """
        cadence = self.cadences[cadence_name]
        if not cadence.pending:
            return None
        bids: list[tuple[int, int]] = []
        asks: list[tuple[int, int]] = []
        for is_bid, price in sorted(
            cadence.pending, key=lambda k: (not k[0], -k[1] if k[0] else k[1])
        ):
            (bids if is_bid else asks).append((price, self.quantity(is_bid, price)))
        first, last = cadence.next_u, self.update_id
        cadence.pending.clear()
        cadence.next_u = last + 1
        return first, last, bids, asks
