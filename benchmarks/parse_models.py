"""Benchmark: building stream models from wire payloads.

Run: ``python -m benchmarks.parse_models [--messages 2000] [--repeat 5]
[--alternatives]``

For every stream model it prints the µs per message of

(a) ``orjson.loads`` + the fast constructor from
    ``cryptoex.exchanges.binance.parse.STREAM_PARSERS`` (what the streaming
    layer does per message), and
(b) ``json.loads`` + dataclasses-json ``Model.from_dict`` on the equivalent
    document (the model's own ``to_json()`` form, snake_case keys),

and the ratio (b)/(a). Each kind runs over ``--messages`` distinct payloads
(prices, quantities, ids and times all vary, so nothing benefits from
repetition); the best of ``--repeat`` rounds is reported. ``--alternatives``
also times the construction variants the parse module's docstring compares.
Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import decimal
import gc
import json
import platform
import random
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import fields
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from cryptoex._time import from_ms
from cryptoex.exchanges.binance import parse
from cryptoex.models import Model, Ticker

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
SYMBOL = "BNBBTC"


def load(name: str) -> Any:
    return orjson.loads((FIXTURES / name).read_bytes())


def price(rng: random.Random, scale: int = 5) -> str:
    """A decimal string with 8 places, as Binance writes prices."""
    return f"{rng.randrange(1, 10**scale)}.{rng.randrange(10**8):08d}"


def vary(template: Any, rng: random.Random, index: int) -> Any:
    """*template* with every decimal string, id and time replaced."""
    if isinstance(template, dict):
        return {key: vary(value, rng, index) for key, value in template.items()}
    if isinstance(template, list):
        return [vary(value, rng, index) for value in template]
    if isinstance(template, bool) or not isinstance(template, (int, str)):
        return template
    if isinstance(template, int):
        return 1_700_000_000_000 + index * 100 + rng.randrange(100)
    try:
        Decimal(template)
    except decimal.InvalidOperation:
        return template  # symbol, event type, interval
    return price(rng)


def levels(rng: random.Random, count: int, start: int, step: int) -> list[list[str]]:
    return [
        [f"{start + i * step}.{rng.randrange(100):02d}000000", price(rng, 3)] for i in range(count)
    ]


def payloads(kind: str, count: int, rng: random.Random) -> list[bytes]:
    """*count* distinct wire payloads of stream *kind*."""
    out = []
    for index in range(count):
        if kind == "depth":
            # A depth20 message: 20 levels a side, as most users subscribe.
            data: Any = {
                "lastUpdateId": 160 + index,
                "bids": levels(rng, 20, 60000, -1),
                "asks": levels(rng, 20, 60001, 1),
            }
        elif kind == "depth_update":
            # A diff with 10 changed levels a side (a busy 100 ms update).
            data = vary(load("ws/depthUpdate.json"), rng, index)
            data["b"] = levels(rng, 10, 60000, -1)
            data["a"] = levels(rng, 10, 60001, 1)
        else:
            data = vary(load(FIXTURE[kind]), rng, index)
            if kind in ("trade", "agg_trade"):
                data["m"] = bool(index % 2)
            if kind == "kline":
                data["k"]["i"] = "1m"
                data["k"]["x"] = False
        out.append(orjson.dumps(data))
    return out


#: What each row measures, where the payload is not the fixture's shape.
LABELS = {"depth": "depth 20+20", "depth_update": "diff 10+10"}
RESULT_MODELS = {
    "ticker": "Ticker",
    "mini_ticker": "MiniTicker",
    "book_ticker": "BookTicker",
    "trade": "Trade",
    "agg_trade": "AggTrade",
    "kline": "Kline",
    "depth": "PartialDepth",
    "depth_update": "DepthUpdate",
}
FIXTURE = {
    "ticker": "ws/ticker.json",
    "mini_ticker": "ws/miniTicker.json",
    "book_ticker": "ws/bookTicker.json",
    "trade": "ws/trade.json",
    "agg_trade": "ws/aggTrade.json",
    "kline": "ws/kline.json",
}


def best_of(repeat: int, run: Callable[[], object], count: int) -> float:
    """Best µs per message over *repeat* rounds of *run* (count messages).

    The garbage collector is off while a round runs, as :mod:`timeit` does,
    so a collection triggered by earlier garbage does not land in one column.
    """
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter_ns()
            run()
            elapsed = time.perf_counter_ns() - start
        finally:
            gc.enable()
        best = min(best, elapsed / count / 1000)
    return best


def bench_kind(kind: str, count: int, repeat: int) -> tuple[float, float, float, float]:
    rng = random.Random(kind)
    wire = payloads(kind, count, rng)
    parser = parse.STREAM_PARSERS[kind]
    loads = orjson.loads
    models = [parser(loads(raw), SYMBOL) for raw in wire]
    cls = type(models[0])
    assert cls.__name__ == RESULT_MODELS[kind]
    documents = [m.to_json() for m in models]  # the dataclasses-json input
    dicts = [loads(raw) for raw in wire]
    assert [cls.from_json(doc) for doc in documents[:50]] == models[:50]

    def fast() -> None:
        for raw in wire:
            parser(loads(raw), SYMBOL)

    def constructor_only() -> None:
        for d in dicts:
            parser(d, SYMBOL)

    def slow() -> None:
        json_loads = json.loads
        from_dict = cls.from_dict
        for doc in documents:
            from_dict(json_loads(doc))

    slow_count = max(count // 10, 50)
    documents = documents[:slow_count]

    def orjson_only() -> None:
        for raw in wire:
            loads(raw)

    return (
        best_of(repeat, fast, count),
        best_of(repeat, constructor_only, count),
        best_of(repeat, slow, slow_count),
        best_of(repeat, orjson_only, count),
    )


def report(count: int, repeat: int) -> None:
    print(
        f"cryptoex stream models: {count} distinct messages per kind, best of {repeat} "
        f"(Python {platform.python_version()}, {platform.machine()})"
    )
    header = (
        f"{'kind':<13} {'model':<13} {'orjson+fast':>11} {'(orjson)':>9} {'(ctor)':>8} "
        f"{'json+dcj':>10} {'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    for kind in parse.STREAM_PARSERS:
        fast, ctor, slow, orjson_only = bench_kind(kind, count, repeat)
        model = RESULT_MODELS[kind]
        label = LABELS.get(kind, kind)
        print(
            f"{label:<13} {model:<13} {fast:>9.2f}µs {orjson_only:>7.2f}µs {ctor:>6.2f}µs "
            f"{slow:>8.1f}µs {slow / fast:>6.1f}x"
        )
    print(
        "orjson+fast: orjson.loads + STREAM_PARSERS[kind]; (orjson), (ctor): its two parts; "
        "json+dcj: json.loads + Model.from_dict; ratio: json+dcj / orjson+fast"
    )


# --------------------------------------------------------------------------
# --alternatives: the variants the parse module's docstring compares
# --------------------------------------------------------------------------


def _keyword_constructor(cls: type[Model]) -> Callable[..., Any]:
    names = [f.name for f in fields(cls)]
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    lines = [f"def new(*, {', '.join(names)}):", "    self = _new(_cls)"]
    for name in names:
        namespace[f"_set_{name}"] = cls.__dict__[name].__set__
        lines.append(f"    _set_{name}(self, {name})")
    lines.append("    return self")
    exec("\n".join(lines), namespace)  # noqa: S102 - field names only
    return namespace["new"]  # type: ignore[no-any-return]


class _DecimalCache(dict[str, Decimal]):
    """The bounded cache that was measured and not kept."""

    def __missing__(self, text: str) -> Decimal:
        if type(text) is not str or "n" in text or "N" in text:
            raise ValueError(text)
        value = parse._to_decimal(text)
        if len(self) >= 4096:
            self.clear()
        self[text] = value
        return value


def alternatives(repeat: int) -> None:
    n = 20_000
    raw = load("ws/ticker.json")
    values = {f.name: getattr(parse.parse_ticker(raw), f.name) for f in fields(Ticker)}
    ordered = [values[f.name] for f in fields(Ticker)]
    positional = parse._new_ticker
    keyword = _keyword_constructor(Ticker)

    def loop(fn: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            for _ in range(n):
                fn()

        return run

    print(f"\nalternatives (best of {repeat}, µs per call):")
    rows: list[tuple[str, Callable[[], object]]] = [
        ("Ticker(**fields): dataclass __init__", lambda: Ticker(**values)),
        ("keyword constructor via slot setters", lambda: keyword(**values)),
        ("positional constructor via slot setters (kept)", lambda: positional(*ordered)),
        ("parse_ticker(payload) end to end", lambda: parse.parse_ticker(raw)),
    ]
    text = "25776.86000000"
    cache = _DecimalCache()
    cache[text]
    fresh = iter([price(random.Random(1)) + str(i) for i in range(n * repeat * 2)])
    rows += [
        ("Decimal(text)", lambda: Decimal(text)),
        ("Context.create_decimal(text) (kept)", lambda: parse._to_decimal(text)),
        ("bounded cache, hit", lambda: cache[text]),
        ("bounded cache, miss", lambda: cache[next(fresh)]),
        ("next() on the miss input alone", lambda: next(fresh)),
    ]
    ms = 1_693_907_033_000
    rows += [
        ("from_ms(ms) (kept)", lambda: from_ms(ms)),
        (
            "datetime.fromtimestamp(ms / 1000, utc)",
            lambda: datetime.fromtimestamp(ms / 1000, timezone.utc),
        ),
    ]
    for label, fn in rows:
        print(f"  {label:<50} {best_of(repeat, loop(fn), n):6.3f}")


def main(argv: Iterable[str] | None = None) -> None:
    """Print the figures (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=2000, help="distinct messages per kind")
    parser.add_argument("--repeat", type=int, default=5, help="rounds; the best is reported")
    parser.add_argument("--alternatives", action="store_true", help="also time the variants")
    args = parser.parse_args(None if argv is None else list(argv))
    report(args.messages, args.repeat)
    if args.alternatives:
        alternatives(args.repeat)


if __name__ == "__main__":
    main(sys.argv[1:])
