"""``python -m cryptoex``: the command line (see :mod:`cryptoex.cli`).

The ``cryptoex`` console script points here too (``cryptoex.__main__:main``).
"""

from __future__ import annotations

from cryptoex.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    raise SystemExit(main())
