"""Faults in knowledge folders (issue 16, items 6 and 12): deep nesting, broken and looping
links, FIFOs and devices named *.toml, and a knowledge cache that is not ours."""

from __future__ import annotations

import os
import pickle
import subprocess
from pathlib import Path

import pytest

from assistant.kb import loader


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


def _folder(tmp_path: Path, case: str) -> Path:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    bad = folder / "mine.toml"
    if case == "nested":
        bad.write_text("deep = " + "[" * 500 + "]" * 500 + "\n")
    elif case == "dangling":
        bad.symlink_to(tmp_path / "gone.toml")
    elif case == "looping":
        other = folder / "other.toml"
        bad.symlink_to(other)
        other.symlink_to(bad)
    elif case == "fifo":
        os.mkfifo(bad)
    elif case == "zero":
        bad.symlink_to("/dev/zero")
    elif case == "huge":
        with bad.open("wb") as handle:  # sparse: 5 MB of nothing
            handle.truncate(5 << 20)
    return folder


CASES = ["nested", "dangling", "looping", "fifo", "zero", "huge"]


@pytest.mark.parametrize("case", CASES)
def test_kb_check_on_a_bad_file_is_one_line_naming_it(coach_cli, tmp_path: Path,
                                                      case: str) -> None:
    folder = _folder(tmp_path, case)
    done = coach_cli("kb", "check", str(folder), timeout=30)  # a FIFO used to hang here
    line = one_line_error(done)
    assert "mine.toml" in line or (case == "looping" and "other.toml" in line), line


@pytest.mark.parametrize("case", ["dangling", "looping", "nested"])
def test_a_bad_user_file_is_one_line_for_every_command(coach_cli, tmp_path: Path,
                                                       case: str) -> None:
    folder = _folder(tmp_path, case)
    env = {"COACH_KNOWLEDGE": str(folder)}
    line = one_line_error(coach_cli("suggest", "--mood", "sad", env=env, timeout=60))
    assert ".toml" in line
    plain = coach_cli(input="quit\n", env=env, timeout=60)  # the plain chat
    assert ".toml" in one_line_error(plain)


class _Planted:
    """Unpickling this touches a file: proof that the cache was unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.marker,))


def test_the_knowledge_cache_is_not_unpickled_before_its_stamp_is_checked(
        tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    cache = loader.cache_path()
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(("a stamp from elsewhere", _Planted(marker))))
    loader._cached.cache_clear()
    kb = loader.knowledge()
    assert kb.moods, "the knowledge base is parsed from the files instead"
    assert not marker.exists(), "the cache was unpickled before its stamp was compared"
    assert cache.read_bytes().startswith(b"coach-knowledge "), "a fresh cache replaced it"
    loader._cached.cache_clear()
    again = loader.knowledge()  # and the fresh cache is used
    assert [m.id for m in again.moods] == [m.id for m in kb.moods]
