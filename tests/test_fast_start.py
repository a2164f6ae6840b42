"""A pure core and a fast start: the core never imports textual; `--help` imports nothing heavy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("textual", "music21", "sqlite_utils", "scipy", "matplotlib", "numpy", "pydantic",
         "mido", "soxr", "numba", "av", "pronouncing", "sounddevice", "librosa")


def _modules_after(code: str) -> set[str]:
    probe = code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_core_never_imports_textual() -> None:
    loaded = _modules_after(
        "import assistant.song, assistant.theory, assistant.rules, assistant.kb.loader\n"
        "from assistant.rules import suggest\nsuggest('sad')"
    )
    assert "textual" not in loaded
    assert "music21" not in loaded, "suggestions must not pay music21's import"


@pytest.mark.parametrize("module", ["assistant.song", "assistant.kb.loader"])
def test_other_core_modules_never_import_textual(module: str) -> None:
    if not (REPO / (module.replace(".", "/") + ".py")).exists() and not (
        REPO / module.replace(".", "/") / "__init__.py"
    ).exists():
        pytest.fail(f"{module} is missing")
    assert "textual" not in _modules_after(f"import {module}")


def test_help_imports_nothing_heavy() -> None:
    loaded = _modules_after(
        "import sys\nfrom assistant.cli import build_parser\nbuild_parser()"
    )
    assert not [m for m in HEAVY if m in loaded]
