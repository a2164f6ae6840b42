"""`coach lyrics` and `coach rhyme` from the command line: text, the JSON contract, a melody
from song.mid, and bad input as one line with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_coach

CHORUS = ("[Chorus]\nWe begin again tonight\nUnderneath the neon light\nHold me closer don't let go\n"
          "Doomscrolling the road we know\n")


def test_rhyme_json_has_the_contract_fields() -> None:
    result = run_coach("rhyme", "home", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["word"] == "home"
    assert {"perfect", "near", "multi"} <= set(data)
    assert "dome" in data["perfect"]


def test_lyrics_json_sections_lines_stress_and_scheme(tmp_path: Path) -> None:
    path = tmp_path / "song.txt"
    path.write_text(CHORUS + "\nTwinkle twinkle little star\nHow I wonder what you are\n", encoding="utf-8")
    result = run_coach("lyrics", str(path), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    chorus, second = data["sections"]
    assert chorus["name"] == "chorus" and chorus["scheme"] == "AABB"
    first = chorus["lines"][0]
    assert (first["text"], first["syllables"], first["stress"], first["rhyme"]) == (
        "We begin again tonight", 7, "0010101", "A")
    assert second["scheme"] == "AA"
    assert data["unknown_words"][0]["word"] == "Doomscrolling"


def test_lyrics_against_a_melody_in_a_midi_file(tmp_path: Path) -> None:
    import mido

    midi = mido.MidiFile(ticks_per_beat=480)
    conductor = mido.MidiTrack([mido.MetaMessage("marker", text="Chorus", time=0)])
    melody = mido.MidiTrack([mido.MetaMessage("track_name", name="Melody", time=0)])
    for _ in range(16):  # 16 quarter notes: 8 a line for two lines
        melody.append(mido.Message("note_on", note=64, velocity=90, time=0))
        melody.append(mido.Message("note_off", note=64, velocity=0, time=480))
    midi.tracks += [conductor, melody]
    midi_path = tmp_path / "song.mid"
    midi.save(str(midi_path))
    text = tmp_path / "lyrics.txt"
    text.write_text("[Chorus]\nTwinkle twinkle little star\nUnderneath the neon light tonight my love\n",
                    encoding="utf-8")
    result = run_coach("lyrics", str(text), "--melody", str(midi_path), "--json")
    assert result.returncode == 0, result.stderr
    lines = json.loads(result.stdout)["sections"][0]["lines"]
    assert [line["notes"] for line in lines] == [8, 8]
    problems = [f["problem"] for f in lines[0]["fit"]]
    assert "line 1 has 7 syllables for 8 notes" in problems
    assert any(f["problem"] == "line 2 has 11 syllables for 8 notes" and f["suggestion"].startswith("cut 3")
               for f in lines[1]["fit"])
    text_out = run_coach("lyrics", str(text), "--melody", str(midi_path))
    assert "rhyme scheme" in text_out.stdout and "prosody.count" in text_out.stdout


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = run_coach("lyrics", str(tmp_path / "nope.txt"))
    assert missing.returncode == 2 and missing.stderr.startswith("coach: ") and "Traceback" not in missing.stderr
    binary = tmp_path / "x.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    assert run_coach("lyrics", str(binary)).returncode == 2
    emoji = run_coach("rhyme", "🌟")
    assert emoji.returncode == 2 and len(emoji.stderr.strip().splitlines()) == 1
    not_midi = tmp_path / "song.mid"
    not_midi.write_text("hello", encoding="utf-8")
    lyrics = tmp_path / "l.txt"
    lyrics.write_text("la la la\n", encoding="utf-8")
    bad = run_coach("lyrics", str(lyrics), "--melody", str(not_midi))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_empty_emoji_foreign_and_huge_files_get_a_report(tmp_path: Path) -> None:
    cases = {"empty": "", "odd": "🌟🎸🌟\n🌙\n\nWie geht es dir mein Schatz\n",
             "huge": "the night is long\nand we belong\n" * 5000}
    for name, text in cases.items():
        path = tmp_path / f"{name}.txt"
        path.write_text(text, encoding="utf-8")
        result = run_coach("lyrics", str(path), "--json")
        assert result.returncode == 0, (name, result.stderr)
        data = json.loads(result.stdout)
        if name == "huge":
            assert sum(len(s["lines"]) for s in data["sections"]) == 10000
        if name == "odd":
            assert {w["word"] for w in data["unknown_words"]} >= {"Wie", "geht"}
