"""The TUI's pure parts: the Song-sheet layout, the stage stepper, option text, file names."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.song import STAGE_TITLES, STAGES, Instrument, Key, Section, Song
from assistant.tui import stepper
from assistant.tui.play import short_path
from assistant.tui.sheet import SectionRow, chord_chart, section_map, sheet_content, sheet_data


def _song() -> Song:
    return Song(
        mood_text="something sad and slow",
        moods=["sad"],
        key=Key(tonic="A", mode="minor"),
        tempo=72,
        progression=["i", "bVI", "bIII", "bVII"],
        sections=[
            Section(name="Intro", bars=4, energy=1),
            Section(name="Verse 1", bars=8, energy=2),
            Section(name="Chorus", bars=8, energy=5),
        ],
        instrumentation=[Instrument(name="piano", role="chords")],
    )


def test_sheet_spells_the_progression_as_chord_symbols_in_the_key() -> None:
    data = sheet_data(_song())
    assert data.key == "A minor"
    assert data.tempo == "72 bpm"
    assert data.meter == "4/4"
    assert data.symbols == ("Am", "F", "C", "G")
    plain = sheet_content(data, 32).plain
    for text in ("A minor", "72 bpm", "│Am", "│i ", "bVII", "Chorus", "20 bars · 1:07", "piano"):
        assert text in plain, text


def test_sheet_follows_a_key_change() -> None:
    song = _song()
    song.key = Key(tonic="D", mode="minor")
    assert sheet_data(song).symbols == ("Dm", "Bb", "F", "C")


def test_empty_sheet_says_nothing_is_decided() -> None:
    plain = sheet_content(sheet_data(Song()), 30).plain
    assert "Nothing decided yet" in plain
    assert "Meter" not in plain  # the default 4/4 is not a decision


@pytest.mark.parametrize("width", [14, 20, 26, 32, 40])
def test_chord_chart_fits_the_panel_and_keeps_every_bar(width: int) -> None:
    symbols = ["Am", "F", "C", "G", "Dm7", "E7sus4", "Am", "G/B"]
    numerals = ["i", "bVI", "bIII", "bVII", "iv7", "V7sus4", "i", "bVII/3"]
    lines = chord_chart(symbols, numerals, width)
    assert all(line.cell_length <= width for line in lines)
    top_rows = [line.plain for line in lines[::2]]
    cells = [cell for row in top_rows for cell in row.strip("│").split("│")]
    assert len(cells) == len(symbols)
    per_row = len(top_rows[0].strip("│").split("│"))
    assert 1 <= per_row <= 4
    if width >= 40:
        assert per_row == 4


def test_section_map_shows_bars_and_energy() -> None:
    lines = [line.plain for line in section_map([SectionRow("Verse", 8, 2)], 30)]
    assert lines[0].startswith("Verse")
    assert lines[0].endswith("8 ■■···")
    assert len(lines[0]) <= 30


def test_stepper_knows_the_same_stages_as_the_song() -> None:
    assert stepper.STAGES == STAGES
    assert stepper.TITLES == STAGE_TITLES


@pytest.mark.parametrize("width", [50, 60, 80, 100, 140])
def test_stepper_fits_and_marks_the_current_stage(width: int) -> None:
    content = stepper.stepper_content(
        "composition", {"conception": "done", "composition": "active"}, width
    )
    assert content.cell_length <= width
    plain = content.plain
    assert "✓" in plain and "●" in plain
    assert plain.index("✓") < plain.index("●")
    assert plain.count("○") == 4
    if width >= 100:
        assert "Mixing & Mastering" in plain


def test_status_paths_are_short_under_home() -> None:
    home = Path.home()
    assert short_path(home / "music" / "a.wav") == "~/music/a.wav"
    assert short_path("/elsewhere/a.wav") == "/elsewhere/a.wav"


@pytest.mark.parametrize("width", [50, 80, 100])
def test_a_click_on_the_stepper_finds_its_stage(width: int) -> None:
    content = stepper.stepper_content("composition", {"conception": "done"}, width)
    plain = content.plain
    parts = plain.split(stepper.SEPARATOR)
    assert len(parts) == len(STAGES)
    column = 0
    for stage, part in zip(STAGES, parts, strict=True):
        assert stepper.stage_at(content, column) == stage
        assert stepper.stage_at(content, column + len(part) - 1) == stage
        assert stepper.stage_at(content, column + len(part)) is None  # on the separator
        column += len(part) + len(stepper.SEPARATOR)


def test_checklists_become_ballot_boxes() -> None:
    from assistant.tui.chat import task_boxes

    text = "**Checklist**\n- [ ] Pick a key\n- [x] Name the mood\n  * [ ] nested\nnot - [ ] this"
    assert task_boxes(text) == (
        "**Checklist**\n- ☐ Pick a key\n- ☑ Name the mood\n  * ☐ nested\nnot - [ ] this"
    )


def test_section_names_start_with_a_capital() -> None:
    song = _song()
    song.sections[0].name = "intro"
    assert sheet_data(song).sections[0].name == "Intro"


def test_the_tui_paints_before_anything_heavy_is_imported() -> None:
    """Importing the app (all a first paint needs) loads no core, no Markdown parser."""
    import json
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parent.parent
    code = (
        "import sys, json\nimport assistant.tui.app\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(repo)},
    ).stdout
    loaded = set(json.loads(out.strip().splitlines()[-1]))
    heavy = ("pydantic", "music21", "sqlite_utils", "numpy", "mido", "fluidsynth",
             "markdown_it", "assistant.coach", "assistant.song", "assistant.kb.loader")
    assert not [name for name in heavy if name in loaded]


def test_sheet_shows_what_was_made_and_brought() -> None:
    """Section chords, the melody, lyrics, takes and a favourite song reach the panel and
    `status`, a long name on a line of its own so the columns stay put."""
    from assistant.song import LyricSection, Melody, Note, ReferenceSong, Take
    from assistant.stages.summary import sheet_markdown

    song = _song().model_copy(update={
        "sections": [Section(name="Verse 1", bars=8, energy=2),
                     Section(name="Chorus", bars=8, energy=5, progression=["bVI", "bVII", "i"])],
        "melody": Melody(notes=[Note(pitch=64, start=0, duration=1)] * 3, source="hummed: hum.wav"),
        "lyrics": [LyricSection(name="chorus", lines=["one line", "two lines"])],
        "takes": [Take(path="/t/a.wav", score=60.0), Take(path="/t/b.wav", score=81.0)],
        "reference": ReferenceSong(path="/m/fav.wav", tempo_bpm=92, key="E minor"),
    })
    plain = sheet_content(sheet_data(song), 32).plain
    for text in ("Chorus chords", "F–G–Am", "3 notes (hummed", "chorus (2 lines)",
                 "2; best b.wav (81)", "fav.wav: E minor, 92"):
        assert text in plain, (text, plain)
    assert all(len(row) <= 32 for row in plain.splitlines()), plain
    status = sheet_markdown(song)
    assert "- Chorus chords: F–G–Am (bVI bVII i)" in status and "- Takes: 2; best b.wav (81)" in status
