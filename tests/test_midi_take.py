"""MIDI take analysis: key, tempo, meter, range, notes and timing, on MIDI built in memory
(and two real POP909 songs from ../shared/data)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import mido
import numpy as np
import pytest
from test_edit_builders import (
    TPB,
    N,
    conductor,
    jittered_sixteenths,
    midi_file,
    ms_to_ticks,
    to_bytes,
    track_from,
)

from assistant.analysis.midi_key import MAJOR_TONICS, MINOR_TONICS, find_key
from assistant.analysis.midi_smf import Take, parse_take, read_take, take_from_mido
from assistant.analysis.midi_take import (
    analyze_midi,
    analyze_midi_file,
    compare_timing,
    format_midi_report,
    format_timing_comparison,
    suggest_quantize,
)
from assistant.analysis.midi_tempo import estimate_tempo, grid_points
from assistant.edit.midifile import TempoMap, load_midi
from assistant.edit.quantize import quantize_midi
from assistant.errors import FileProblem

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"

# I-vi-IV-V-I in C with a melody: the key is unambiguous to a musician.
CHORDS_MAJOR = [
    (48, 64, 67, 72),
    (45, 64, 69, 72),
    (41, 65, 69, 72),
    (43, 62, 67, 71),
    (48, 64, 67, 72),
]
MELODY_MAJOR = [72, 71, 69, 67, 65, 64, 62, 64, 67, 72]
# i-iv-V-i in A minor (harmonic minor's G#) with a melody.
CHORDS_MINOR = [(45, 60, 64, 69), (50, 62, 65, 69), (40, 59, 64, 68), (45, 60, 64, 69)]
MELODY_MINOR = [69, 71, 72, 74, 76, 74, 72, 71, 68, 69]


def progression(chords: list[tuple[int, ...]], melody: list[int], shift: int = 0) -> list[N]:
    notes = [N(p + shift, i * 4 * TPB, 4 * TPB - 10, 70) for i, chord in enumerate(chords) for p in chord]
    step = len(chords) * 4 * TPB // len(melody)
    notes += [N(p + shift, i * step, step - 10, 100) for i, p in enumerate(melody)]
    return notes


def write(tmp_path: Path, midi: mido.MidiFile, name: str = "take.mid") -> Path:
    path = tmp_path / name
    path.write_bytes(to_bytes(midi))
    return path


# --- key ------------------------------------------------------------------------------------


@pytest.mark.parametrize("shift", range(12))
def test_key_of_a_cadence_in_every_major_and_minor_key(shift: int) -> None:
    for chords, melody, mode, tonic_pc, names in (
        (CHORDS_MAJOR, MELODY_MAJOR, "major", 0, MAJOR_TONICS),
        (CHORDS_MINOR, MELODY_MINOR, "minor", 9, MINOR_TONICS),
    ):
        result = analyze_midi_file(midi_file(conductor(), track_from(progression(chords, melody, shift))))
        assert result["key"]["mode"] == mode
        assert result["key"]["tonic"] == names[(tonic_pc + shift) % 12]
        assert 0 < result["key"]["runner_up"]["confidence"] < result["key"]["confidence"] <= 1


def test_drums_do_not_vote_for_the_key_or_the_range() -> None:
    notes = progression(CHORDS_MINOR, MELODY_MINOR)
    # A loud kick/snare pattern on channel 10 with "pitches" 36/38/42 (C, D, F#).
    drums = [N(36 + 2 * (i % 2), i * TPB, 60, 127, channel=9) for i in range(16)]
    drums += [N(42, i * TPB // 2, 30, 110, channel=9) for i in range(32)]
    result = analyze_midi_file(midi_file(conductor(), track_from(notes), track_from(drums)))
    assert (result["key"]["tonic"], result["key"]["mode"]) == ("A", "minor")
    assert result["range"] == [40, 76]
    assert result["notes"] == len(notes) + len(drums)
    assert result["pitched_notes"] == len(notes)
    assert [t["drums"] for t in result["tracks"]] == [False, False, True]


def test_no_notes_gives_no_key_and_no_timing(tmp_path: Path) -> None:
    result = analyze_midi(write(tmp_path, midi_file(conductor(), track_from([], "empty"))))
    assert result["key"] is None and result["range"] is None and result["timing"] is None
    assert result["notes"] == 0
    assert "no pitched notes" in format_midi_report(result)


def test_find_key_none_without_notes() -> None:
    empty = np.zeros(0)
    assert find_key(empty.astype(int), empty, empty, empty) is None


# --- json contract, types, tempo maps --------------------------------------------------------


def test_json_contract_of_a_type0_and_type1_file_alike(tmp_path: Path) -> None:
    notes = progression(CHORDS_MAJOR, MELODY_MAJOR)
    one = analyze_midi(write(tmp_path, midi_file(conductor(((0, 96.0),)), track_from(notes)), "one.mid"))
    zero = analyze_midi(write(tmp_path, midi_file(conductor(((0, 96.0),)), track_from(notes), kind=0), "zero.mid"))
    for result in (one, zero):
        assert result["kind"] == "midi"
        assert set(result["key"]) >= {"tonic", "mode", "confidence", "runner_up"}
        assert set(result["timing"]) >= {"grid", "mean_abs_deviation_ms", "on_grid_ratio", "swing"}
        assert result["tempo_bpm"] == 96.0 and result["tempo_source"] == "file"
        assert result["meter"] == "4/4" and result["meter_source"] == "file"
        assert result["notes"] == len(notes)
        assert result["range"] == [41, 72]
        json.dumps(result)  # plain JSON types only
    assert (one["midi_type"], zero["midi_type"]) == (1, 0)
    assert {k: one[k] for k in ("key", "timing", "range", "notes")} == {
        k: zero[k] for k in ("key", "timing", "range", "notes")
    }


def test_tempo_changes_are_read_and_timed() -> None:
    # 4 bars at 120 then 4 bars at 60: a quarter lasts 0.5 s, then 1 s.
    midi = midi_file(
        conductor(((0, 120.0), (16 * TPB, 60.0))),
        track_from([N(60, i * TPB, TPB // 2) for i in range(32)]),
    )
    result = analyze_midi_file(midi)
    assert result["tempo_changes"] == [[0.0, 120.0], [8.0, 60.0]]
    assert result["duration_s"] == pytest.approx(8.0 + 16.0 - 0.5, abs=0.01)
    tempo_map = TempoMap.from_midi(midi)
    assert tempo_map.to_seconds(20 * TPB) == pytest.approx(12.0)
    assert tempo_map.to_ticks(12.0) == pytest.approx(20 * TPB)
    # Timing on the grid stays exact across the change.
    assert result["timing"]["mean_abs_deviation_ms"] == 0.0
    assert result["timing"]["on_grid_ratio"] == 1.0


def test_tempo_estimated_when_the_file_has_none_and_its_grid_is_off() -> None:
    # Played freely at 93 bpm, recorded with no tempo event (so MIDI's default 120 bpm grid).
    rng = np.random.default_rng(3)
    bpm, notes = 93.0, []
    for beat in range(64):
        seconds = beat * 60.0 / bpm + rng.uniform(-0.008, 0.008)
        tick = int(round(seconds * 2 * TPB))  # 120 bpm: 2 beats per second
        accent = 120 if beat % 4 == 0 else 80
        notes.append(N(48 if beat % 2 == 0 else 55, tick, 200, accent))
        notes.append(N(64 + beat % 5, tick + int(round(30 / bpm * 2 * TPB)), 150, 70))
    result = analyze_midi_file(midi_file(conductor(meter=None, tempos=()), track_from(notes)))
    assert result["tempo_source"] == "estimated"
    assert result["tempo_bpm"] == pytest.approx(bpm, rel=0.02)
    assert result["timing"]["reference"] == "estimated beat grid"
    assert result["timing"]["mean_abs_deviation_ms"] < 10
    assert "estimated from the note onsets" in format_midi_report(result)
    # Quantizing would snap to the file's (wrong) grid: the coach says so instead.
    advice = suggest_quantize(0.5, 0.8, result)
    assert advice["apply"] is False and "tempo map does not match" in advice["why"]


def test_estimate_tempo_from_onsets_alone() -> None:
    # Quarter notes at 132 bpm with softer eighths between them, starting at 0.25 s.
    beats = np.arange(96) * 30.0 / 132.0 + 0.25
    weights = np.where(np.arange(96) % 2 == 0, 100.0, 50.0)
    estimate = estimate_tempo(beats, weights)
    assert estimate is not None
    assert estimate.bpm == pytest.approx(132.0, rel=0.02)
    assert abs((estimate.phase_s - 0.25 + 0.1) % (60 / 132) - 0.1) < 0.02  # on a beat
    assert estimate_tempo(beats[:4], weights[:4]) is None


def test_meter_estimated_without_a_time_signature() -> None:
    def take(beats_per_bar: int) -> list[N]:
        notes = []
        for beat in range(48):
            down = beat % beats_per_bar == 0
            notes.append(N(36 if down else 60, beat * TPB, TPB - 10, 120 if down else 60))
        return notes

    for beats, meter in ((3, "3/4"), (4, "4/4")):
        result = analyze_midi_file(midi_file(conductor(meter=None), track_from(take(beats))))
        assert (result["meter"], result["meter_source"]) == (meter, "estimated")


# --- timing ---------------------------------------------------------------------------------


def test_timing_of_a_jittered_take_matches_the_jitter() -> None:
    notes, grid = jittered_sixteenths(max_ms=30.0)
    result = analyze_midi_file(midi_file(conductor(), track_from(notes)))
    timing = result["timing"]
    offsets_ms = (np.array([n.start for n in notes]) - grid) / ms_to_ticks(1.0)
    assert timing["grid"] == "1/16" and timing["swing"] == 0.5
    assert timing["mean_abs_deviation_ms"] == pytest.approx(np.abs(offsets_ms).mean(), abs=0.1)
    assert timing["on_grid_ratio"] == pytest.approx(np.mean(np.abs(offsets_ms) <= 10), abs=1e-3)


@pytest.mark.parametrize(("swing", "expected_grid"), [(0.5, "1/16"), (0.66, "1/16"), (0.6, "1/16")])
def test_swing_is_detected(swing: float, expected_grid: str) -> None:
    eighth = TPB // 2
    notes = []
    for i in range(64):
        pair, off = divmod(i, 2)
        notes.append(N(60 + i % 7, 4 * TPB + pair * eighth + round(off * swing * eighth), 50))
    timing = analyze_midi_file(midi_file(conductor(), track_from(notes)))["timing"]
    assert timing["grid"] == expected_grid
    assert timing["swing"] == pytest.approx(swing, abs=0.011)
    assert timing["on_grid_ratio"] == 1.0


def test_triplets_are_a_triplet_grid_and_steady_latency_is_reported() -> None:
    triplets = [N(60, 4 * TPB + i * TPB // 3, 100) for i in range(48)]
    assert analyze_midi_file(midi_file(conductor(), track_from(triplets)))["timing"]["grid"] == "1/8t"
    late = [N(60, 4 * TPB + i * TPB // 2 + round(ms_to_ticks(40)), 100) for i in range(48)]
    timing = analyze_midi_file(midi_file(conductor(), track_from(late)))["timing"]
    assert timing["grid"] == "1/8"
    assert timing["offset_ms"] == pytest.approx(40, abs=1.1)
    assert timing["spread_ms"] < 1.1


def test_grid_points_swing_two_thirds_of_the_eighth() -> None:
    beats = np.array([0.0, 0.26, 0.5, 0.74, 1.3])
    assert grid_points(beats, "1/16") == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.25])
    assert grid_points(beats, "1/16", 2 / 3) == pytest.approx([0.0, 1 / 3, 0.5, 5 / 6, 4 / 3])


# --- the Editing stage's helpers ------------------------------------------------------------


def test_suggest_quantize_follows_take_and_genre() -> None:
    notes, _ = jittered_sixteenths(max_ms=25.0)
    result = analyze_midi_file(midi_file(conductor(), track_from(notes)))
    straight = suggest_quantize(0.5, 0.7, result)
    assert (straight["grid"], straight["swing"], straight["strength"]) == ("1/16", 0.5, 0.7)
    assert straight["apply"] is True
    mad = result["timing"]["mean_abs_deviation_ms"]
    assert straight["expected_mean_abs_deviation_ms"] == pytest.approx(mad * 0.3, abs=0.1)
    swung = suggest_quantize(0.62, 0.7, result)
    assert swung["swing"] == 0.62 and "genre swings" in swung["why"]
    tight = analyze_midi_file(midi_file(conductor(), track_from([N(60, i * 120, 100) for i in range(32)])))
    assert suggest_quantize(0.5, 0.8, tight)["apply"] is False
    assert suggest_quantize(0.5, 0.8, {"timing": None})["apply"] is False


def test_compare_timing_before_and_after_quantize(tmp_path: Path) -> None:
    notes, _ = jittered_sixteenths(max_ms=30.0)
    before = midi_file(conductor(), track_from(notes))
    after, _ = quantize_midi(before, "1/16", 1.0, 0.66)
    comparison = compare_timing(before, after)
    assert comparison["grid"] == "1/16"
    assert comparison["before"]["mean_abs_deviation_ms"] > 10
    assert comparison["after"]["mean_abs_deviation_ms"] < 1.1
    assert comparison["before"]["swing"] == 0.5
    assert comparison["after"]["swing"] == pytest.approx(2 / 3, abs=0.004)
    text = format_timing_comparison(comparison)
    assert "1/16" in text and "->" in text
    path = write(tmp_path, before)
    assert compare_timing(path, after)["before"] == comparison["before"]


def test_report_is_readable() -> None:
    notes = progression(CHORDS_MINOR, MELODY_MINOR)
    text = format_midi_report(analyze_midi_file(midi_file(conductor(), track_from(notes))))
    assert "A minor" in text and "120 bpm" in text and "4/4" in text and "grid" in text
    assert len(text.splitlines()) >= 6


# --- real songs and the command line ---------------------------------------------------------


def _ground_truth() -> dict[str, dict[str, str]]:
    path = SHARED_DATA / "pop909_midi" / "ground_truth.csv"
    assert path.exists(), f"evaluation data missing: {path} (../shared beside the repo)"
    with path.open() as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def _pc(name: str) -> int:
    base = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}[name[0]]
    return (base + name.count("#") - name.count("b")) % 12


@pytest.mark.parametrize("song", ["001", "027"])
def test_real_pop909_songs(song: str) -> None:
    truth = _ground_truth()[song]
    result = analyze_midi(SHARED_DATA / "pop909_midi" / song / f"{song}.mid")
    tonic, mode = truth["key_first"].split(":")  # e.g. "Gb:maj", "D:min"
    assert result["key"]["mode"] == ("major" if mode == "maj" else "minor")
    assert _pc(result["key"]["tonic"]) == _pc(tonic)
    assert result["tempo_bpm"] == pytest.approx(float(truth["midi_tempo_bpm_first"]), rel=0.01)
    assert result["notes"] > 500


def _coach(*args: str | Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COACH_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *map(str, args)], capture_output=True, text=True, env=env, timeout=60
    )


def test_analyze_cli_json_and_text(tmp_path: Path) -> None:
    notes = progression(CHORDS_MAJOR, MELODY_MAJOR)
    path = write(tmp_path, midi_file(conductor(((0, 84.0),)), track_from(notes)))
    done = _coach("analyze", path, "--json", home=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["kind"] == "midi" and result["tempo_bpm"] == 84.0
    assert (result["key"]["tonic"], result["key"]["mode"]) == ("C", "major")
    assert result == json.loads(json.dumps(analyze_midi(path)))
    text = _coach("analyze", path, home=tmp_path)
    assert text.returncode == 0 and "C major" in text.stdout and "84 bpm" in text.stdout


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"MThd\x00\x00",
        b"not a midi file at all",
        b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\x01\x00\x00\x90\x3c",
    ],
)
def test_analyze_cli_bad_midi_is_one_line_exit_2(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "take.mid"
    path.write_bytes(content)
    done = _coach("analyze", path, "--json", home=tmp_path)
    assert done.returncode == 2, done.stdout
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert done.stdout == "" and path.read_bytes() == content


def test_fast_reader_agrees_with_mido(tmp_path: Path) -> None:
    notes, _ = jittered_sixteenths()
    drums = [N(36, i * TPB, 30, channel=9) for i in range(8)]
    built = midi_file(
        conductor(((0, 100.0), (4 * TPB, 75.0)), meter=(3, 4)),
        track_from(notes, "Keys"),
        track_from(drums, "Drums"),
        kind=0,
    )
    paths = [write(tmp_path, built)] + [SHARED_DATA / "pop909_midi" / s / f"{s}.mid" for s in ("002", "012", "031")]
    for path in paths:
        fast, slow = read_take(path), take_from_mido(load_midi(path))
        for field in ("midi_type", "ticks_per_beat", "track_names", "time_signatures", "end_tick"):
            assert getattr(fast, field) == getattr(slow, field), (path, field)
        assert np.array_equal(fast.tempo_map.tempos, slow.tempo_map.tempos)
        assert np.array_equal(fast.tempo_map.ticks, slow.tempo_map.ticks)

        def rows(take: Take) -> list[tuple[int, ...]]:
            n = take.notes
            return sorted(
                zip(
                    n.track.tolist(),
                    n.channel.tolist(),
                    n.pitch.tolist(),
                    n.velocity.tolist(),
                    n.start.tolist(),
                    n.end.tolist(),
                    strict=True,
                )
            )

        assert rows(fast) == rows(slow) and len(fast.notes) > 20


def test_fast_reader_running_status_and_zero_velocity_offs() -> None:
    # One track: tempo meta, then note-ons in running status; offs as note-on velocity 0; a
    # meta event in between does not break the running status; a last note is never released.
    events = b"".join(
        bytes(chunk)
        for chunk in (
            [0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20],  # tempo: 120 bpm
            [0x00, 0x90, 60, 100],  # C4 on
            [0x00, 64, 90],  # E4 on, in running status
            [0x83, 0x60, 60, 0],  # 480 ticks later: C4 off (a note-on with velocity 0)
            [0x00, 0xFF, 0x01, 0x02, 0x68, 0x69],  # a text meta event
            [0x00, 64, 0],  # E4 off, still in running status
            [0x00, 67, 80],  # G4 on, never switched off
            [0x81, 0x70, 0xB0, 64, 127],  # 240 ticks later: sustain pedal down
            [0x00, 0xFF, 0x2F, 0x00],  # end of track
        )
    )
    data = (
        b"MThd"
        + (6).to_bytes(4, "big")
        + bytes([0, 0, 0, 1, 0x01, 0xE0])
        + b"MTrk"
        + len(events).to_bytes(4, "big")
        + events
    )
    take = parse_take(data)
    assert take.tempo_map.explicit and take.tempo_map.bpm_at(0) == pytest.approx(120.0)
    got = sorted(
        zip(
            take.notes.pitch.tolist(),
            take.notes.velocity.tolist(),
            take.notes.start.tolist(),
            take.notes.end.tolist(),
            strict=True,
        )
    )
    assert got == [(60, 100, 0, 480), (64, 90, 0, 480), (67, 80, 480, 720)]
    assert take.end_tick == 720
    with pytest.raises(FileProblem, match="truncated"):
        read_take_bytes(data[:-6])


def read_take_bytes(data: bytes) -> Take:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.mid"
        path.write_bytes(data)
        return read_take(path)


def test_midi_analysis_path_imports_neither_music21_nor_mido(tmp_path: Path) -> None:
    path = write(tmp_path, midi_file(conductor(), track_from(progression(CHORDS_MAJOR, MELODY_MAJOR))))
    code = (
        "import sys; from assistant.analysis.midi_take import analyze_midi, "
        "format_midi_report; format_midi_report(analyze_midi(sys.argv[1])); "
        "print(sorted(m for m in ('music21', 'mido', 'numpy.ma') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr
