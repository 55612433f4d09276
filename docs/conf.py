"""Sphinx configuration for cryptoex."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptoex import __version__

project = "cryptoex"
author = "cryptoex developers"
copyright = "2026, cryptoex developers"
release = __version__
version = ".".join(__version__.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
]

# No intersphinx: the docs build offline (CI has no internet). References to
# other projects' objects are listed below instead of being resolved.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(decimal|datetime|enum|typing|collections\.abc|threading|logging)\..*"),
    (r"py:.*", r"(requests|urllib3|blinker|websocket|websockets|pandas|pytest|_pytest)(\..*)?"),
    (r"py:class", r"(Decimal|datetime|timedelta|Path|NamedSignal|Signal|F|T|_E|_F|_T|P)"),
    (r"py:class", r"cryptoex\..*\._.*"),
    (r"py:class", r"_\w+"),  # private names, unqualified in annotations
    (r"py:class", r"cryptoex\.enums\.LenientStrEnum"),
    (r"py:obj", r"cryptoex\..*\._.*"),
    (r"py:class", r"(Any|Callable|Iterator|Iterable|Sequence|Mapping|Literal|Self|NoReturn)"),
    (r"py:class", r"(dataclasses_json|marshmallow)\..*"),
    (r"py:class", r"(Exception|ValueError|ConnectionError|TimeoutError|BaseException)"),
]

autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
autoclass_content = "both"

html_theme = "alabaster"
html_static_path: list[str] = []
exclude_patterns = ["_build"]
