"""Check the built distributions: the wheel must carry ``py.typed`` (PEP 561)
and must not carry tests or fixtures."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path


def main(dist_dir: str) -> int:
    wheels = sorted(Path(dist_dir).glob("*.whl"))
    if not wheels:
        print(f"no wheel in {dist_dir}", file=sys.stderr)
        return 1
    for wheel in wheels:
        names = zipfile.ZipFile(wheel).namelist()
        if "cryptoex/py.typed" not in names:
            print(f"{wheel.name}: cryptoex/py.typed is missing", file=sys.stderr)
            return 1
        stray = [n for n in names if n.startswith(("tests/", "benchmarks/", "examples/"))]
        if stray:
            print(f"{wheel.name}: unexpected files {stray[:5]}", file=sys.stderr)
            return 1
        print(f"{wheel.name}: ok ({len(names)} files, py.typed present)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
