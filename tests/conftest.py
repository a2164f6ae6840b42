"""Test isolation: every test gets its own COACH_HOME, so a developer's sessions, knowledge
overrides and soundfonts never leak into results."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"

# On CI the property tests replay a fixed set of examples, so a run is reproducible;
# on a developer's machine they explore new inputs every time.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def coach_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("coach_home")
    monkeypatch.setenv("COACH_HOME", str(home))
    for var in ("COACH_KNOWLEDGE", "COACH_SOUNDFONT"):
        monkeypatch.delenv(var, raising=False)
    return home


def run_coach(*args: str, input: str | None = None, env: dict[str, str] | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a subprocess (`python -m assistant ...`)."""
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        input=input, capture_output=True, text=True, env=full_env, timeout=timeout, cwd=REPO,
    )


@pytest.fixture
def coach_cli():
    """`coach_cli("suggest", "--json")` -> CompletedProcess; inherits the test's COACH_HOME."""
    return run_coach
