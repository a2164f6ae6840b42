"""Motifs and melodies: range, chord tones on strong beats, development, cadence, MIDI out."""

from __future__ import annotations

import json

import mido
import pytest

from assistant import theory
from assistant.composition.harmonize import strong_beats
from assistant.composition.melody import check_range, compose, make_melody, parse_range
from assistant.errors import BadInput
from assistant.song import Melody, Note, Song
from tests.conftest import run_coach


def _midi_notes(path) -> list[tuple[float, int]]:
    """(start in beats, pitch) of every note in a MIDI file."""
    midi = mido.MidiFile(str(path))
    out = []
    for track in midi.tracks:
        tick = 0
        for message in track:
            tick += message.time
            if message.type == "note_on" and message.velocity > 0:
                out.append((tick / midi.ticks_per_beat, message.note))
    return sorted(out)


def test_done_when_melody_midi_stays_in_range_and_ends_on_a_chord_tone(tmp_path) -> None:
    out = tmp_path / "m.mid"
    args = ["melody", "--key", "A minor", "--bars", "8", "--seed", "1", "--range", "A3-A4"]
    result = run_coach(*args, "-o", str(out))
    assert result.returncode == 0, result.stderr
    notes = _midi_notes(out)
    assert len(notes) >= 8
    low, high = theory.parse_note("A3"), theory.parse_note("A4")
    assert all(low <= pitch <= high for _, pitch in notes)
    assert notes[-1][0] >= 7 * 4  # the melody fills the eight bars
    data = json.loads(run_coach(*args, "--json").stdout)
    last_chord = data["progression"][-1]
    tones = theory.numeral_to_pitch_classes(last_chord, "A minor")
    assert notes[-1][1] % 12 in tones
    assert [n["pitch"] for n in data["notes"]] == [p for _, p in notes]  # same seed, same notes
    assert set(data["why"]) == set(data["plan"])  # every development device is explained
    assert all(len(why) > 20 for why in data["why"].values())
    text = run_coach(*args).stdout
    assert all(f"{device}: {why}" in text for device, why in data["why"].items())
    assert out.stat().st_size > 0 and not list(tmp_path.glob(".m.mid*"))  # no temp left


KEYS = ("C major", "A minor", "D dorian", "F# major", "Eb minor", "G mixolydian")


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_rules_hold_for_many_seeds(key: str, seed: int) -> None:
    low, high = parse_range("C4-C5") if seed != 7 else parse_range("G3-D4")
    idea = compose(key, None, 8, seed, low, high)
    notes = idea.melody.notes
    assert notes and all(low <= n.pitch <= high for n in notes)
    # strong beats carry chord tones of that bar's chord
    for n in notes:
        bar = int(n.start // 4)
        tones = theory.numeral_to_pitch_classes(idea.progression[bar], idea.key)
        for beat in strong_beats("4/4"):
            t = bar * 4 + beat
            if n.start <= t < n.start + n.duration:
                assert n.pitch % 12 in tones, (bar, beat, n)
    # mostly steps: a singable line
    moves = [abs(b.pitch - a.pitch) for a, b in zip(notes, notes[1:], strict=False)]
    assert sum(m <= 4 for m in moves) >= 0.7 * len(moves)
    assert max(moves) <= 9
    # ends on a chord tone of the last chord, held
    last_tones = theory.numeral_to_pitch_classes(idea.progression[-1], idea.key)
    assert notes[-1].pitch % 12 in last_tones and notes[-1].duration >= 1.5
    # no overlaps, in order, inside the bars
    for a, b in zip(notes, notes[1:], strict=False):
        assert a.start + a.duration <= b.start + 1e-9
    assert notes[-1].start + notes[-1].duration <= 8 * 4 + 1e-9


def test_deterministic_per_seed_and_seeds_differ() -> None:
    one = make_melody("E minor", ["Em", "C", "G", "D"], 8, 3, 55, 72)
    again = make_melody("E minor", ["Em", "C", "G", "D"], 8, 3, 55, 72)
    other = make_melody("E minor", ["Em", "C", "G", "D"], 8, 4, 55, 72)
    assert one == again
    assert [n.pitch for n in one.notes] != [n.pitch for n in other.notes] or \
        [n.duration for n in one.notes] != [n.duration for n in other.notes]


def test_motif_is_the_first_bar_and_comes_back_developed() -> None:
    idea = compose("C", ["C", "Am", "F", "G"], 8, 2, 60, 76)
    assert idea.motif.notes and all(n.start < 4 for n in idea.motif.notes)
    assert idea.motif.notes == [n for n in idea.melody.notes if n.start < 4]
    assert idea.plan[0] == "motif" and idea.plan[-1] == "cadence"
    assert "sequence" in idea.plan and {"inversion", "displacement"} & set(idea.plan)
    # bar 5 restates the motif's rhythm
    rhythm = [n.duration for n in idea.motif.notes]
    assert [n.duration for n in idea.melody.notes if 16 <= n.start < 20] == rhythm
    # the Song sheet keeps it
    song = Song(motif=idea.motif, melody=idea.melody)
    assert Song.from_json(song.to_json()).motif == idea.motif
    assert idea.progression == ["I", "vi", "IV", "V"] * 2


def test_user_progression_ends_on_its_own_last_chord() -> None:
    idea = compose("C", ["C", "Am", "F", "G"], 4, 0, 60, 72)
    assert idea.progression[-1] == "V"
    assert idea.melody.notes[-1].pitch % 12 in (7, 11, 2)


def test_other_meters() -> None:
    for meter, bar in (("3/4", 3.0), ("6/8", 3.0), ("5/4", 5.0)):
        idea = compose("G", None, 4, 1, 55, 74, meter)
        ends = [n.start + n.duration for n in idea.melody.notes]
        assert max(ends) <= 4 * bar + 1e-9 and max(ends) > 3 * bar


def test_check_range_reports_notes_outside() -> None:
    melody = Melody(notes=[Note(pitch=60, start=0, duration=1), Note(pitch=76, start=5, duration=1),
                           Note(pitch=50, start=9, duration=1)])
    problems = check_range(melody, 55, 72)
    assert len(problems) == 2
    assert "E5" in problems[0] and "bar 2, beat 2" in problems[0] and "above" in problems[0]
    assert "D3" in problems[1] and "below" in problems[1]
    assert check_range(melody, 48, 80) == []


def test_parse_range() -> None:
    assert parse_range("C4-C5") == (60, 72)
    assert parse_range("A3..A4") == (57, 69)
    assert parse_range("Bb3 to F5") == (58, 77)
    assert parse_range("48-72") == (48, 72)
    for bad in ("C5-C4", "C4-D4", "H4-C5", "C4", "C4-C5-C6"):
        with pytest.raises(BadInput):
            parse_range(bad)


@pytest.mark.parametrize("args, token", [
    (["--range", "H4-C5"], "H4"),
    (["--range", "C5-C4"], "C5-C4"),
    (["--progression", "C", "H7"], "H7"),
    (["--key", "Q minor"], "Q minor"),
    (["--bars", "0"], "--bars"),
    (["--meter", "4/0"], "4/0"),
    (["-o", "/no/such/folder/m.mid"], "/no/such/folder"),
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], token: str) -> None:
    result = run_coach("melody", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and token in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_text_output_lists_bars() -> None:
    result = run_coach("melody", "--key", "D", "--bars", "4", "--seed", "2")
    assert result.returncode == 0, result.stderr
    assert "bar  4" in result.stdout and "D major" in result.stdout


@pytest.mark.parametrize("meter, bar", [("6/8", 3.0), ("12/8", 6.0)])
def test_compound_meter_melodies_phrase_in_dotted_quarters(meter: str, bar: float) -> None:
    for seed in range(6):
        idea = compose("A minor", None, 8, seed, 57, 74, meter)
        notes = idea.melody.notes
        assert any("dotted quarters" in d for d in idea.devices)
        for n in notes:
            if idea.plan[int(n.start // bar)] == "displacement":
                continue  # shifted by an eighth on purpose
            inside = n.start % 1.5
            # a 3/4 quarter on beat 2 would run across the second dotted quarter
            if inside > 1e-9:
                assert inside + n.duration <= 1.5 + 1e-9, (seed, n)
        assert sum(1 for n in notes if abs(n.start % 1.5) < 1e-9) >= len(notes) / 4


@pytest.mark.parametrize("meter, bar", [("4/4", 4.0), ("3/4", 3.0), ("6/8", 3.0)])
def test_melodies_breathe_climb_once_and_vary(meter: str, bar: float) -> None:
    for seed in range(8):
        idea = compose(KEYS[seed % len(KEYS)], None, 8, seed, 60, 74, meter)
        notes = idea.melody.notes
        pitches = [n.pitch for n in notes]
        top = max(pitches)
        assert pitches.count(top) == 1 and notes[pitches.index(top)].start >= 8 * bar * 2 / 3
        # a rest closes the first phrase (bar 4), so the line breathes every 4 bars
        first = [n for n in notes if n.start < 4 * bar]
        assert first[-1].start + first[-1].duration <= 4 * bar - 0.5 + 1e-9
        rhythms = {tuple((round(n.start - b * bar, 3), n.duration) for n in notes
                         if b * bar <= n.start < (b + 1) * bar) for b in range(8)}
        assert len(rhythms) >= 4  # not one or two bars of rhythm looped
        assert "contrast" in idea.plan and idea.phrases == [4, 4]
        moves = [b - a for a, b in zip(pitches, pitches[1:], strict=False) if b != a]
        assert sum(1 for m in moves if abs(m) <= 2) >= 0.6 * len(moves)


def test_json_lists_the_topline_devices_and_rules() -> None:
    data = json.loads(run_coach("melody", "--meter", "6/8", "--seed", "4", "--json").stdout)
    assert data["meter"] == "6/8" and data["phrases"] == [4, 4]
    assert data["devices"] and "melody.stepwise" in data["rule_ids"]
    assert set(data["why"]) == set(data["plan"])
