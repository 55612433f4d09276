"""``python -m cryptoex``: the command-line entry point."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run the command line (work in progress)."""
    args = sys.argv[1:] if argv is None else argv
    print(f"cryptoex: nothing to run yet for {args!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
