"""The Song sheet: JSON round trips, validation, versioning; atomic file writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.errors import FileProblem
from assistant.fileio import write_text, write_with
from assistant.song import SCHEMA_VERSION, STAGES, Key, Melody, Note, Section, Song


def _song() -> Song:
    return Song(
        title="Night drive",
        mood_text="melancholic but hopeful",
        moods=["sad", "hopeful"],
        genre="pop",
        key=Key(tonic="a", mode="minor"),
        tempo=72,
        meter="4/4",
        progression=["i", "bVI", "bIII", "bVII"],
        sections=[Section(name="verse", bars=8, energy=2, instruments=["Piano"]),
                  Section(name="chorus", bars=8, energy=4, levels={"Piano": 0.8})],
        melody=Melody(notes=[Note(pitch=69, start=0, duration=1)], source="typed"),
    )


def test_json_round_trip_keeps_everything() -> None:
    song = _song()
    again = Song.from_json(song.to_json())
    assert again == song
    assert again.schema_version == SCHEMA_VERSION
    assert again.key is not None and again.key.tonic == "A" and again.key.name == "A minor"
    assert set(again.stages) == set(STAGES)


def test_derived_figures() -> None:
    song = _song()
    assert song.total_bars == 16
    assert song.duration_s() == pytest.approx(16 * 4 * 60 / 72)
    assert Song(meter="6/8").beats_per_bar == 3.0


@pytest.mark.parametrize(
    "change",
    [{"meter": "4/0"}, {"meter": "waltz"}, {"tempo": 0}, {"tempo": 900},
     {"key": {"tonic": "H", "mode": "minor"}}, {"colour": "red"},
     {"schema_version": SCHEMA_VERSION + 1}],
)
def test_invalid_sheets_are_rejected(change: dict) -> None:
    data = _song().model_dump()
    data.update(change)
    with pytest.raises(ValidationError):
        Song.model_validate(data)


def test_atomic_write_leaves_nothing_half_written(tmp_path: Path) -> None:
    target = tmp_path / "song.json"
    target.write_text("old")

    def broken(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("crash while writing")

    with pytest.raises(RuntimeError):
        write_with(target, broken)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["song.json"]
    write_text(target, "new")
    assert target.read_text() == "new"


def test_unwritable_paths_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="does not exist"):
        write_text(tmp_path / "missing" / "x.json", "x")
    with pytest.raises(FileProblem, match="directory"):
        write_text(tmp_path, "x")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.geteuid() != 0:  # root can write anywhere; the check above still ran
            with pytest.raises(FileProblem, match="not writable"):
                write_text(locked / "x.json", "x")
    finally:
        locked.chmod(0o700)
