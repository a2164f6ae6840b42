"""`coach sessions list|show|export` after a real plain-chat session."""

from __future__ import annotations

import json
from pathlib import Path

import mido
import pytest
import soundfile

from assistant.kb.loader import knowledge
from assistant.song import Song
from tests.conftest import run_coach
from tests.test_plain_chat import SCRIPT


@pytest.fixture(scope="module")
def finished_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One scripted session through all six stages, shared by the tests below."""
    home = tmp_path_factory.mktemp("sessions_home")
    result = run_coach("chat", "--plain", input=SCRIPT,
                       env={"COACH_HOME": str(home), "COACH_NO_PLAY": "1"})
    assert result.returncode == 0, result.stderr
    return home


def cli(home: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_coach(*args, env={"COACH_HOME": str(home)})


def test_list_json_has_key_and_tempo(finished_home: Path) -> None:
    result = cli(finished_home, "sessions", "list", "--json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    session = data["sessions"][0]
    assert {"id", "title", "stage", "key", "tempo", "updated"} <= set(session)
    assert session["id"] == 1 and session["done"] is True
    assert session["key"].split()[1] in ("minor", "dorian", "phrygian")
    assert 40 <= session["tempo"] <= 100
    text = cli(finished_home, "sessions", "list")
    assert session["key"] in text.stdout and session["title"] in text.stdout


def test_list_when_empty() -> None:
    result = run_coach("sessions", "list", "--json")
    assert result.returncode == 0 and json.loads(result.stdout) == {"sessions": []}


def test_show(finished_home: Path) -> None:
    shown = cli(finished_home, "sessions", "show", "1")
    assert shown.returncode == 0 and "Key:" in shown.stdout and "Mixing & Mastering" in shown.stdout
    data = json.loads(cli(finished_home, "sessions", "show", "1", "--json").stdout)
    song = Song.model_validate(data["song"])
    assert song.key and song.sections and song.mix.platform


def test_export_writes_four_valid_files(finished_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    result = cli(finished_home, "sessions", "export", "1", "--to", str(out), "--json")
    assert result.returncode == 0, result.stderr
    files = json.loads(result.stdout)["files"]
    assert sorted(Path(p).name for p in files.values()) == sorted(
        ["song.json", "song.md", "song.mid", "preview.wav"])
    song = Song.from_json((out / "song.json").read_text())
    markdown = (out / "song.md").read_text()
    for decision in song.decisions:
        assert decision.value in markdown and decision.why in markdown
    for item in knowledge().stage("mixing").checklist:
        assert item in markdown
    assert "## Structure" in markdown
    for section in song.sections:
        assert f"| {section.name} | {section.bars} |" in markdown
    midi = mido.MidiFile(out / "song.mid")
    notes = [m for t in midi.tracks for m in t if m.type == "note_on" and m.velocity > 0]
    assert midi.type == 1 and len(notes) > 100
    audio, rate = soundfile.read(out / "preview.wav")
    assert rate > 0 and len(audio) / rate > 0.8 * song.duration_s()
    assert abs(audio).max() > 0.01


def test_bad_input_is_one_line_exit_2(finished_home: Path, tmp_path: Path) -> None:
    afile = tmp_path / "a-file"
    afile.write_text("x")
    for args in (("sessions", "show", "99"), ("sessions", "show", "abc"),
                 ("sessions", "export", "99", "--to", str(tmp_path)),
                 ("sessions", "export", "1", "--to", str(afile)), ("sessions",),
                 ("sessions", "export", "1")):
        result = cli(finished_home, *args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)


def test_export_of_an_empty_session_uses_placeholders(tmp_path: Path) -> None:
    from assistant.export import export_song

    result = export_song(Song(), tmp_path / "empty")
    assert set(result["placeholders"]) == {"key", "tempo", "progression"}
    assert "placeholders" in (tmp_path / "empty" / "song.md").read_text()
    assert mido.MidiFile(tmp_path / "empty" / "song.mid").length > 1
    audio, rate = soundfile.read(tmp_path / "empty" / "preview.wav")
    assert len(audio) > rate  # a real, audible demo
