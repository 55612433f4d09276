"""``python -m benchmarks [name ...]``: run every benchmark module (or the named
ones) in turn, each with its default options.

A benchmark module is any ``benchmarks/*.py`` not starting with ``_``; it
has a ``main()`` that prints its figures.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Run the benchmarks named in *argv*, or all of them."""
    available = sorted(
        path.stem for path in Path(__file__).parent.glob("*.py") if not path.stem.startswith("_")
    )
    names = argv or available
    unknown = [name for name in names if name not in available]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available)}")
        return 2
    for name in names:
        print(f"== benchmarks.{name}", flush=True)
        module = importlib.import_module(f"benchmarks.{name}")
        # Each module parses its own options from sys.argv: give it none.
        sys.argv = [f"benchmarks/{name}.py"]
        module.main()
        print(flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
