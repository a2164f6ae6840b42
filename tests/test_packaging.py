"""`pip install .` must find the knowledge base: the wheel ships knowledge/ inside the package."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_wheel_ships_the_knowledge_base_and_the_coach_script(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(REPO)],
        check=True, capture_output=True, timeout=300,
    )
    wheel = next(tmp_path.glob("coach-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {Path(n).name for n in names if n.startswith("assistant/knowledge/")}
    on_disk = {p.name for p in (REPO / "knowledge").iterdir() if p.is_file()}
    assert on_disk and on_disk <= shipped
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "coach = assistant.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
