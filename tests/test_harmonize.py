"""Harmonizing a melody: strong-beat notes held by the chords, key detection, bad input."""

from __future__ import annotations

import json

import mido
import pytest

from assistant import theory
from assistant.composition.harmonize import harmonize, strong_beats
from assistant.composition.moves import load_moves
from assistant.composition.notes import parse_notes, read_midi
from assistant.errors import BadInput
from assistant.song import Melody, Note
from tests.conftest import run_coach


def _strong_pcs(notes: str, meter: str = "4/4") -> list[set[int]]:
    """Pitch classes sounding on each bar's strong beats, worked out independently."""
    line = parse_notes(notes)
    num, den = (int(x) for x in meter.split("/"))
    bar = num * 4 / den
    end = max(n.end for n in line)
    out = []
    b = 0
    while b * bar < end:
        pcs = set()
        for beat in strong_beats(meter):
            t = b * bar + beat
            for n in line:
                if n.pitch is not None and n.start <= t < n.end:
                    pcs.add(n.pitch % 12)
        out.append(pcs)
        b += 1
    return out


def test_done_when_chords_hold_each_bars_strong_beat_notes() -> None:
    melody = "C4 E4 G4 C5 B3 D4 G4 B4"
    result = run_coach("harmonize", melody, "--key", "C", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    moves = {m.rule.id: m.rule for m in load_moves()}
    assert set(data) == {"key", "bars"} and data["key"] == "C major"
    assert [b["melody"] for b in data["bars"]] == ["C4 E4 G4 C5", "B3 D4 G4 B4"]
    for bar, strong in zip(data["bars"], _strong_pcs(melody), strict=True):
        assert bar["chords"], bar
        for chord in bar["chords"]:  # the suggestion and every alternative
            assert set(chord) == {"symbol", "numeral", "why", "rule_ids"}
            for rule_id in chord["rule_ids"]:
                assert moves[rule_id].why in chord["why"]
            assert strong <= set(theory.chord_pitch_classes(chord["symbol"])), chord
            # numeral and symbol name the same chord in the key
            assert theory.chord_pitch_classes(chord["numeral"], "C") == \
                theory.chord_pitch_classes(chord["symbol"])
    assert data["bars"][0]["chords"][0]["symbol"] == "C"
    assert data["bars"][1]["chords"][0]["symbol"] == "G"


@pytest.mark.parametrize("melody, key, meter", [
    ("E4 D4 C4 D4 E4 E4 E4/2 D4 D4 E4 D4 C4/4", None, "4/4"),
    ("A4 C5 E5 D5 C5 B4 A4/2 G#4 B4 E5/2 A4/4", None, "4/4"),
    ("G4 G4 D5 D5 E5 E5 D5/2 C5 C5 B4 B4 A4 A4 G4/2", "G", "4/4"),
    ("D4/2 F#4 A4/2 G4 F#4/3 E4/2 D4", "D", "3/4"),
    ("C4/1.5 D4/1.5 E4/1.5 F4/1.5 G4/3", "C", "6/8"),
    ("F4 A4 C5 Bb4 A4/2 G4/2 F4/4", "F", "4/4"),
])
def test_every_chord_holds_the_strong_beat_notes(melody: str, key: str | None,
                                                 meter: str) -> None:
    result = harmonize(melody, key, meter)
    line = parse_notes(melody)
    for seg in result.segments:
        # strong beats inside this segment (a half bar when the bar was split)
        beats = [seg.start + b for b in strong_beats(meter) if b < seg.length] \
            if seg.length == _bar(meter) else [seg.start]
        strong = {n.pitch % 12 for n in line for t in beats
                  if n.pitch is not None and n.start <= t < n.end}
        for chord in seg.chords:
            assert strong <= set(theory.chord_pitch_classes(chord.symbol)), (seg.melody, chord)


def _bar(meter: str) -> float:
    num, den = (int(x) for x in meter.split("/"))
    return num * 4 / den


def test_key_is_detected_when_not_given() -> None:
    assert harmonize("E4 D4 C4 D4 E4 E4 E4/2 D4 D4 E4 D4 C4/4").key.name == "C major"
    minor = harmonize("A4 C5 E5 D5 C5 B4 A4/2 G#4 B4 E5/2 A4/4")
    assert minor.key.name == "A minor" and minor.key_guessed
    assert minor.segments[-1].chords[0].symbol == "Am"  # ends at home
    assert minor.segments[-2].chords[0].symbol == "E"   # over G#: the harmonic-minor V


def test_a_bar_whose_strong_beats_no_triad_holds_is_split() -> None:
    # C on beat 1 and D on beat 3: no triad holds a major second, so each half gets a chord
    result = harmonize("C4/2 D4/2 E4/4", "C")
    assert [s.bar for s in result.segments] == [1, 1, 2]
    assert [s.length for s in result.segments] == [2.0, 2.0, 4.0]
    first, second = (s.chords[0].symbol for s in result.segments[:2])
    assert 0 in theory.chord_pitch_classes(first) and 2 in theory.chord_pitch_classes(second)


def test_rests_and_song_sheet_melodies() -> None:
    typed = harmonize("R C4 E4 G4 R/2 G4 B3", "C")
    assert typed.segments[0].melody.startswith("R")
    sheet = Melody(notes=[Note(pitch=p, start=i, duration=1) for i, p in
                          enumerate([60, 64, 67, 72, 59, 62, 67, 71])])
    from_sheet = harmonize(sheet, "C")
    assert [s.chords[0].symbol for s in from_sheet.segments] == ["C", "G"]


def test_midi_file_input_matches_typed_notes(tmp_path) -> None:
    path = tmp_path / "tune.mid"
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("time_signature", numerator=3, denominator=4))
    for pitch in (62, 66, 69, 67, 66, 64, 62, 69, 62):
        track.append(mido.Message("note_on", note=pitch, velocity=80, time=0))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=480))
    midi.save(str(path))
    line, meter = read_midi(path)
    assert meter == "3/4" and [n.pitch for n in line][:3] == [62, 66, 69]
    result = run_coach("harmonize", str(path), "--key", "D", "--json")
    typed = run_coach("harmonize", "D4 F#4 A4 G4 F#4 E4 D4 A4 D4", "--key", "D",
                      "--meter", "3/4", "--json")
    assert result.returncode == 0 and typed.returncode == 0, result.stderr + typed.stderr
    as_midi, as_text = json.loads(result.stdout), json.loads(typed.stdout)
    assert [[c["symbol"] for c in b["chords"]] for b in as_midi["bars"]] == \
        [[c["symbol"] for c in b["chords"]] for b in as_text["bars"]]


def test_text_output() -> None:
    result = run_coach("harmonize", "E4 D4 C4 D4 E4 E4 E4/2 D4 D4 E4 D4 C4/4")
    assert result.returncode == 0, result.stderr
    assert "C major (detected" in result.stdout and "bar 3" in result.stdout


@pytest.mark.parametrize("args, token", [
    (["C##4/0 D4"], "C##4/0"),
    (["C4 H4 E4"], "H4"),
    (["C4 C#4 D4 D#4 E4 F4 F#4 G4 G#4 A4 A#4 B4"], "fits no key"),
    ([""], "no notes"),
    (["R R/2"], "only rests"),
    (["C4 E4 G4", "--meter", "4/3"], "4/3"),
    (["C4 E4 G4", "--key", "X"], "X"),
    (["missing.mid"], "missing.mid"),
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], token: str) -> None:
    result = run_coach("harmonize", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and token in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_outside_any_key_names_the_offending_notes() -> None:
    with pytest.raises(BadInput, match=r"no key: [A-G]#?4"):
        harmonize("C4 C#4 D4 D#4 E4 F4 F#4 G4 G#4 A4 A#4 B4")
    # with a key given, the same melody is harmonized anyway (chromatic chords allowed)
    assert harmonize("C4 C#4 D4 D#4 E4 F4 F#4 G4", "C").segments


def test_the_chat_keeps_the_chords_it_names_when_a_bar_is_split(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A bar that changes chord halfway: the option's label names the chords the sheet
    keeps (one a bar; the last bar's last chord, where the tune comes home), and says so."""
    monkeypatch.setenv("COACH_HOME", str(tmp_path))
    from assistant import theory
    from assistant.coach import Coach

    coach = Coach()
    for text in ("happy pop in C major", "1"):
        coach.handle(text)
    reply = coach.handle("harmonize C4/2 B4/2 A4/2 D4/2 G4/2 F4/2 C4/4")
    assert "change chord halfway" in reply.text
    label = reply.options[0].label
    coach.handle("1")
    kept = [theory.numeral_to_symbol(n, coach.song.key) for n in coach.song.progression]
    assert label.startswith(f"Use {'–'.join(kept)} as the progression")
    assert coach.song.progression[-1] == "I"
