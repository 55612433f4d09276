"""The README's two set-up commands are the ones CI and the docs use."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.rst").read_text(encoding="utf-8")
    blocks = re.findall(r"\.\. code-block:: console\n\n((?:   .*\n)+)", text)
    return [b.strip() for b in blocks]


def test_readme_has_exactly_two_setup_commands() -> None:
    commands = _readme_commands()
    assert len(commands) == 2
    demo, tests = commands
    assert "cryptoex demo" in demo
    assert "tox -e check" in tests


def test_ci_runs_exactly_the_readme_test_command() -> None:
    test_command = _readme_commands()[1]
    ci_lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert ci_lines[-1] == test_command


def test_quickstart_repeats_the_readme_commands() -> None:
    quickstart = (ROOT / "docs" / "quickstart.rst").read_text(encoding="utf-8")
    for command in _readme_commands():
        assert command in quickstart
