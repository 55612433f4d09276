"""Run a notebook's code cells in order, in one namespace, without Jupyter,
showing each cell's last expression the way Jupyter would (its
``_repr_html_`` when it has one). Exits non-zero on the first failing cell.

    python tests/ux/run_notebook.py examples/explore_markets.ipynb
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path
from typing import Any

import nbformat


def run(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    # Jupyter starts the kernel in the notebook's directory.
    os.chdir(path.parent)
    sys.path.insert(0, str(path.parent))
    namespace: dict[str, Any] = {"__name__": "__main__"}
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    for number, cell in enumerate(code_cells, 1):
        tree = ast.parse(cell.source, filename=f"<cell {number}>")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, f"<cell {number}>", "exec"), namespace)  # noqa: S102
        if last is not None:  # Jupyter shows the value of a last expression
            expression = ast.Expression(last.value)
            value = eval(compile(expression, f"<cell {number}>", "eval"), namespace)  # noqa: S307
            if value is None:
                continue
            html = getattr(value, "_repr_html_", None)
            shown = html() if callable(html) else repr(value)
            print(f"--- cell {number}: {type(value).__name__}")
            print(shown[:2000])


if __name__ == "__main__":
    run(Path(sys.argv[1]).resolve())
