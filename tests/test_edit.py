"""Quantize, transpose and humanize on MIDI built in memory: the "done when" lines of the
editing issue, and everything else in the file staying where it was."""

from __future__ import annotations

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
    non_note_events,
    note_ons,
    reload,
    to_bytes,
    track_from,
)

from assistant.edit.humanize import humanize_midi
from assistant.edit.midifile import extract_notes, load_midi
from assistant.edit.quantize import format_quantize_summary, quantize_file, quantize_midi
from assistant.edit.transpose import format_transpose_summary, transpose_key_name, transpose_midi
from assistant.errors import BadInput, FileProblem

SIXTEENTH = TPB // 4
EIGHTH = TPB // 2


def take(max_ms: float = 30.0, seed: int = 7) -> tuple[mido.MidiFile, np.ndarray]:
    notes, grid = jittered_sixteenths(max_ms=max_ms, seed=seed)
    cc = [
        (0, mido.Message("program_change", program=4)),
        (3 * TPB + 7, mido.Message("control_change", control=64, value=127)),
        (9 * TPB + 3, mido.Message("control_change", control=64, value=0)),
        (5 * TPB, mido.Message("pitchwheel", pitch=512)),
    ]
    bass = [N(36, i * TPB, TPB - 17, 80, channel=1) for i in range(4, 20)]
    midi = midi_file(
        conductor(((0, 120.0),)), track_from(notes, "Keys", extra=cc), track_from(bass, "Bass")
    )
    return reload(midi), grid


def onsets(midi: mido.MidiFile, track: int = 1) -> np.ndarray:
    return np.array([tick for tick, *_ in note_ons(midi, track)])


# --- quantize: the done-when lines ------------------------------------------------------------


def test_strength_1_puts_every_onset_on_the_grid() -> None:
    midi, grid = take()
    before = onsets(midi)
    assert np.abs(before - grid).max() > ms_to_ticks(25)  # really jittered, up to ±30 ms
    out, summary = quantize_midi(midi, "1/16", strength=1.0)
    after = onsets(reload(out))
    assert np.all(after % SIXTEENTH == 0)
    assert np.array_equal(np.sort(after), np.sort(grid))
    assert summary["moved"] == int(np.count_nonzero(before != grid))  # the bass was on the grid
    assert summary["timing_after"]["mean_abs_deviation_ms"] == 0.0
    assert summary["timing_after"]["on_grid_ratio"] == 1.0


def test_strength_half_halves_every_distance_to_the_grid() -> None:
    midi, grid = take()
    before = onsets(midi)
    out, _ = quantize_midi(midi, "1/16", strength=0.5)
    after = onsets(reload(out))
    order_before, order_after = np.argsort(before, kind="stable"), np.argsort(after, kind="stable")
    distance_before = (before - grid)[order_before]
    distance_after = after[order_after] - grid[order_before]
    # Half as far, to the tick (rounding a half tick either way).
    assert np.all(np.abs(distance_after - distance_before / 2) <= 0.5)
    assert np.all(np.sign(distance_after) * np.sign(distance_before) >= 0)  # same side


def test_swing_066_delays_every_offbeat_sixteenth_to_two_thirds_of_the_eighth() -> None:
    midi, _ = take()
    out, summary = quantize_midi(midi, "1/16", strength=1.0, swing=0.66)
    after = onsets(reload(out))
    phase = after % EIGHTH
    on_beat, off_beat = after[phase == 0], after[phase != 0]
    assert on_beat.size == off_beat.size == 32
    assert set((off_beat % EIGHTH).tolist()) == {EIGHTH * 2 // 3}  # two thirds of the eighth
    assert set((on_beat % EIGHTH).tolist()) == {0}
    assert summary["timing_after"]["on_grid_ratio"] == 1.0


@pytest.mark.parametrize(
    ("grid", "step"),
    [("1/4", TPB), ("1/8", TPB // 2), ("1/32", TPB // 8), ("1/8t", TPB // 3), ("1/16t", TPB // 6)],
)
def test_every_grid(grid: str, step: int) -> None:
    midi, _ = take()
    out, _ = quantize_midi(midi, grid)
    assert np.all(onsets(reload(out)) % step == 0)


# --- quantize: the rest of the file is kept ---------------------------------------------------


def test_quantize_keeps_tempo_map_meta_controllers_and_other_tracks() -> None:
    midi, _ = take()
    out, summary = quantize_midi(midi, "1/16", tracks="Keys")
    out = reload(out)
    assert non_note_events(out) == non_note_events(midi)
    assert note_ons(out, 2) == note_ons(midi, 2)  # the bass track, not selected
    assert summary["tracks"] == ["Keys"]
    assert [len(t) for t in out.tracks] == [len(t) for t in midi.tracks]
    # Same notes and velocities, only moved.
    assert sorted(p for _, _, p, _ in note_ons(out, 1)) == sorted(
        p for _, _, p, _ in note_ons(midi, 1)
    )


def test_lengths_keep_or_quantize() -> None:
    midi = midi_file(conductor(), track_from([N(60, 130, 200), N(62, 500, 97), N(64, 725, 20)]))
    kept, _ = quantize_midi(midi, "1/16", lengths="keep")
    notes = extract_notes(reload(kept))
    assert notes.start.tolist() == [120, 480, 720]
    assert (notes.end - notes.start).tolist() == [200, 97, 20]
    snapped, _ = quantize_midi(midi, "1/16", lengths="quantize")
    notes = extract_notes(reload(snapped))
    assert notes.start.tolist() == [120, 480, 720]
    assert notes.end.tolist() == [360, 600, 840]  # the last one kept a whole step


def test_type0_file_with_tempo_changes() -> None:
    notes, grid = jittered_sixteenths(max_ms=20.0)
    midi = reload(
        midi_file(
            conductor(((0, 120.0), (8 * TPB, 90.0), (12 * TPB, 140.0))),
            track_from(notes, "Keys"),
            kind=0,
        )
    )
    assert midi.type == 0 and len(midi.tracks) == 1
    out, summary = quantize_midi(midi, "1/16")
    out = reload(out)
    assert out.type == 0
    assert np.array_equal(onsets(out, 0), grid)
    assert non_note_events(out) == non_note_events(midi)
    assert 0 < summary["mean_shift_ms"] <= 20.5


def test_repeated_notes_that_meet_on_the_grid_merge_cleanly() -> None:
    # Two C4s 10 ticks apart both snap to tick 480: one note, not a stuck one.
    midi = midi_file(conductor(), track_from([N(60, 475, 5), N(60, 485, 200), N(64, 960, 100)]))
    out, summary = quantize_midi(midi, "1/8")
    assert summary["merged"] == 1
    out = reload(out)
    assert [(t, p) for t, _, p, _ in note_ons(out)] == [(480, 60), (960, 64)]
    balance = 0
    for msg in out.tracks[1]:
        if msg.type == "note_on" and msg.velocity:
            balance += 1
        elif msg.type == "note_off" or msg.type == "note_on":
            balance -= 1
    assert balance == 0


def test_quantize_rejects_bad_settings() -> None:
    midi, _ = take()
    for kwargs in (
        {"grid": "1/12"},
        {"strength": 1.5},
        {"strength": -0.1},
        {"swing": 0.8},
        {"swing": 0.4},
        {"grid": "1/8t", "swing": 0.6},
        {"lengths": "stretch"},
        {"tracks": "Drums"},
    ):
        with pytest.raises(BadInput):
            quantize_midi(midi, **kwargs)  # type: ignore[arg-type]


def test_quantize_file_never_touches_the_input_and_writes_whole(tmp_path: Path) -> None:
    midi, _ = take()
    source = tmp_path / "take.mid"
    source.write_bytes(to_bytes(midi))
    original = source.read_bytes()
    summary = quantize_file(source, tmp_path / "out.mid", "1/16", 1.0, 0.66)
    assert source.read_bytes() == original
    assert np.all(onsets(load_midi(tmp_path / "out.mid")) % 1 == 0)
    assert "Quantized 80 notes" in format_quantize_summary(summary)  # keys 64 + bass 16
    with pytest.raises(BadInput):
        quantize_file(source, source)
    assert source.read_bytes() == original


def test_failed_write_leaves_no_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    midi, _ = take()
    source = tmp_path / "take.mid"
    source.write_bytes(to_bytes(midi))
    target = tmp_path / "out.mid"
    target.write_bytes(b"previous result")

    def broken_write(path: Path, data: bytes) -> Path:
        from assistant.fileio import atomic_path

        with atomic_path(path) as tmp:
            tmp.write_bytes(data[: len(data) // 2])
            raise OSError(28, "No space left on device")
        return path

    monkeypatch.setattr("assistant.fileio.write_bytes", broken_write)
    with pytest.raises(FileProblem):
        quantize_file(source, target)
    assert target.read_bytes() == b"previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mid", "take.mid"]


# --- transpose -------------------------------------------------------------------------------


def test_transpose_moves_pitched_notes_and_leaves_drums() -> None:
    keys = [N(60 + i, i * TPB, TPB) for i in range(8)]
    drums = [N(36, i * TPB, 60, channel=9) for i in range(8)]
    key_sig = [(0, mido.MetaMessage("key_signature", key="Bb"))]
    midi = reload(
        midi_file(conductor(), track_from(keys, "Keys", extra=key_sig), track_from(drums, "Drums"))
    )
    out, summary = transpose_midi(midi, 3)
    out = reload(out)
    assert [p for _, _, p, _ in note_ons(out, 1)] == [63 + i for i in range(8)]
    assert note_ons(out, 2) == note_ons(midi, 2)
    assert (summary["notes"], summary["drum_notes_untouched"]) == (8, 8)
    assert any(m.type == "key_signature" and m.key == "Db" for m in out.tracks[1])
    # Note-offs moved with their note-ons: same notes, same lengths.
    before, after = extract_notes(midi), extract_notes(out)
    assert np.array_equal(before.end - before.start, after.end - after.start)
    assert "+3 semitones" in format_transpose_summary(summary)


def test_transpose_out_of_range_is_an_error_unless_folded() -> None:
    midi = reload(midi_file(conductor(), track_from([N(60, 0, 100), N(120, 100, 100)])))
    with pytest.raises(BadInput, match="1 notes above G9"):
        transpose_midi(midi, 12)
    out, summary = transpose_midi(midi, 12, out_of_range="fold")
    assert [p for _, _, p, _ in note_ons(reload(out))] == [72, 120]
    assert summary["folded"] == 1
    with pytest.raises(BadInput):
        transpose_midi(midi, -61)


def test_transpose_key_names() -> None:
    assert transpose_key_name("Bb", 2) == "C"
    assert transpose_key_name("F#m", -1) == "Fm"
    assert transpose_key_name("Am", 3) == "Cm"
    assert transpose_key_name("C", 6) == "F#"


# --- humanize --------------------------------------------------------------------------------


def test_humanize_is_deterministic_per_seed_and_bounded() -> None:
    grid_notes = [N(60 + i % 12, 4 * TPB + i * SIXTEENTH, 100, 80) for i in range(200)]
    midi = reload(midi_file(conductor(), track_from(grid_notes, "Keys")))
    first, summary = humanize_midi(midi, timing_ms=12, velocity=10, seed=5)
    again, _ = humanize_midi(midi, timing_ms=12, velocity=10, seed=5)
    other, _ = humanize_midi(midi, timing_ms=12, velocity=10, seed=6)
    assert to_bytes(first) == to_bytes(again)
    assert to_bytes(first) != to_bytes(other)
    before, after = extract_notes(midi), extract_notes(reload(first))
    # Match notes by pitch and order: each moved at most 12 ms (+ a rounding tick).
    shifts = []
    for pitch in np.unique(before.pitch):
        b = np.sort(before.start[before.pitch == pitch])
        a = np.sort(after.start[after.pitch == pitch])
        shifts.extend((a - b).tolist())
    shifts_arr = np.abs(np.array(shifts))
    assert shifts_arr.max() <= ms_to_ticks(12) + 0.5
    assert shifts_arr.mean() > ms_to_ticks(2)
    assert np.array_equal(np.sort(after.end - after.start), np.sort(before.end - before.start))
    assert 70 <= after.velocity.min() and after.velocity.max() <= 90
    assert len(np.unique(after.velocity)) > 5
    assert summary["moved"] > 150 and 0 < summary["mean_shift_ms"] <= 12


def test_humanize_rejects_bad_settings() -> None:
    midi, _ = take()
    for kwargs in ({"timing_ms": -1}, {"timing_ms": 500}, {"velocity": 100}, {"seed": -2}):
        with pytest.raises(BadInput):
            humanize_midi(midi, **kwargs)  # type: ignore[arg-type]
