"""Analysis of a MIDI take: key, tempo, meter, range, note count and timing against the grid.

Plain functions over numpy and a small byte reader (midi_smf.py): no music21, and no mido
unless the caller hands in a mido file (the edits do), so `coach analyze song.mid` answers in
a few hundred ms. Used by `coach analyze TAKE.mid` (assistant/cli/analyze.py dispatches here)
and by the Editing stage.

    analyze_midi(path) -> dict            # the JSON contract of `coach analyze x.mid --json`
    analyze_midi_file(midi) -> dict       # the same for a mido.MidiFile in memory
    format_midi_report(result) -> str     # the same, readable
    suggest_quantize(genre_swing, strength, result) -> dict
    compare_timing(before, after, grid=None) -> dict ; format_timing_comparison(cmp) -> str
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.analysis.midi_key import NAMES_FLAT, NAMES_SHARP, find_key
from assistant.analysis.midi_smf import Take, read_take, take_from_mido
from assistant.analysis.midi_tempo import (
    GRIDS,
    GridFit,
    check_swing,
    detect_grid,
    estimate_meter,
    estimate_tempo,
    fit_grid,
    parse_grid,
)
from assistant.edit.midifile import DRUM_CHANNEL, Notes, TempoMap, extract_notes, load_midi

if TYPE_CHECKING:
    import mido

# Prefer the file's grid unless an estimated beat grid explains the onsets clearly better.
FILE_GRID_OK = 0.75
ESTIMATE_MARGIN = 0.15
TIGHT_MS = 8.0  # a take this close to its grid needs no quantizing


def note_name(pitch: int, flats: bool = False) -> str:
    names = NAMES_FLAT if flats else NAMES_SHARP
    return f"{names[pitch % 12]}{pitch // 12 - 1}"


def _beats_and_ms(notes: Notes, tempo_map: TempoMap) -> tuple[np.ndarray, np.ndarray]:
    beats = notes.start / tempo_map.ticks_per_beat
    ms_per_beat = 60_000.0 / tempo_map.bpm_at(notes.start)
    return beats.astype(np.float64), ms_per_beat


def analyze_midi(path: Path) -> dict[str, Any]:
    """Everything `coach analyze TAKE.mid --json` prints (raises FileProblem on a bad file)."""
    path = Path(path)
    result = analyze_take(read_take(path))
    result["file"] = str(path)
    return result


def analyze_midi_file(midi: mido.MidiFile) -> dict[str, Any]:
    """The same analysis of a mido file already in memory."""
    return analyze_take(take_from_mido(midi))


def analyze_take(take: Take) -> dict[str, Any]:
    notes, tempo_map = take.notes, take.tempo_map
    last_tick = max(take.end_tick, int(notes.end.max()) if len(notes) else 0)
    start_s = tempo_map.to_seconds(notes.start)
    end_s = tempo_map.to_seconds(notes.end)
    pitched = notes.channel != DRUM_CHANNEL

    # Key from pitched notes only: drum "pitches" are instruments.
    key: dict[str, Any] | None = None
    flats = False
    guess = find_key(
        notes.pitch[pitched],
        start_s[pitched],
        end_s[pitched],
        notes.velocity[pitched].astype(np.float64),
    )
    if guess is not None:
        best, runner_up = guess
        key = best.as_dict() | {"runner_up": runner_up.as_dict()}
        flats = best.flats

    # Tempo: the file's map, unless it is missing or clearly off and the onsets say better.
    estimate = estimate_tempo(start_s, notes.velocity.astype(np.float64)) if len(notes) else None
    tempo_bpm = tempo_map.main_bpm(last_tick)
    tempo_source = "file" if tempo_map.explicit else "default"
    timing_fit: GridFit | None = None
    beats = np.zeros(0)
    reference = "file grid"
    if len(notes):
        beats, ms_per_beat = _beats_and_ms(notes, tempo_map)
        timing_fit = detect_grid(beats, ms_per_beat)
        if estimate is not None and timing_fit.fit_share < FILE_GRID_OK:
            period = 60.0 / estimate.bpm
            est_beats = (start_s - estimate.phase_s) / period
            est_fit = detect_grid(est_beats, np.full(est_beats.size, period * 1000.0))
            if est_fit.fit_share >= timing_fit.fit_share + ESTIMATE_MARGIN:
                timing_fit, beats = est_fit, est_beats
                tempo_bpm, tempo_source, reference = (
                    estimate.bpm,
                    "estimated",
                    "estimated beat grid",
                )
        if tempo_source == "default" and estimate is not None and timing_fit.fit_share < FILE_GRID_OK:
            tempo_bpm, tempo_source = estimate.bpm, "estimated"

    signatures = [(t, n, d) for t, n, d in take.time_signatures if n >= 2]
    if signatures:
        meter, meter_source = f"{signatures[0][1]}/{signatures[0][2]}", "file"
    else:
        meter = estimate_meter(beats, notes.velocity.astype(np.float64), notes.pitch)
        meter_source = "estimated"

    tracks = []
    for i, name in enumerate(take.track_names):
        mask = notes.track == i
        channels = sorted({int(c) for c in notes.channel[mask]})
        tracks.append(
            {
                "name": name,
                "notes": int(mask.sum()),
                "channels": [c + 1 for c in channels],
                "drums": bool(channels) and all(c == DRUM_CHANNEL for c in channels),
            }
        )

    low_high = [int(notes.pitch[pitched].min()), int(notes.pitch[pitched].max())] if pitched.any() else None
    timing = None
    if timing_fit is not None:
        timing = timing_fit.as_dict() | {"reference": reference}
    return {
        "kind": "midi",
        "key": key,
        "tempo_bpm": round(float(tempo_bpm), 2),
        "tempo_source": tempo_source,
        "tempo_estimated_bpm": estimate.bpm if estimate else None,
        "tempo_changes": [list(c) for c in tempo_map.changes_bpm()] if len(tempo_map.ticks) > 1 else [],
        "meter": meter,
        "meter_source": meter_source,
        "notes": len(notes),
        "pitched_notes": int(pitched.sum()),
        "range": low_high,
        "range_names": [note_name(p, flats) for p in low_high] if low_high else None,
        "velocity": (
            {
                "mean": round(float(notes.velocity.mean()), 1),
                "min": int(notes.velocity.min()),
                "max": int(notes.velocity.max()),
            }
            if len(notes)
            else None
        ),
        "timing": timing,
        "duration_s": round(float(tempo_map.to_seconds(last_tick)), 2),
        "midi_type": take.midi_type,
        "ticks_per_beat": take.ticks_per_beat,
        "tracks": tracks,
    }


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"


def _same_tempo(a: float, b: float) -> bool:
    """Within 4%, allowing half and double time."""
    return any(abs(a * k / b - 1.0) <= 0.04 for k in (0.5, 1.0, 2.0))


def format_midi_report(result: dict[str, Any]) -> str:
    """A few readable lines for the terminal and the conversation."""
    name = Path(result.get("file", "take")).name
    tracks = result.get("tracks", [])
    lines = [
        f"{name}: MIDI type {result.get('midi_type', '?')}, {len(tracks)} track"
        f"{'s' if len(tracks) != 1 else ''}, {_clock(result.get('duration_s', 0))}, "
        f"{result['notes']} notes"
    ]
    key = result.get("key")
    if key:
        ru = key["runner_up"]
        lines.append(
            f"Key     {key['tonic']} {key['mode']} (confidence {key['confidence']:.2f}; "
            f"runner-up {ru['tonic']} {ru['mode']} {ru['confidence']:.2f})"
        )
    else:
        lines.append("Key     none (no pitched notes)")
    source = {
        "file": "from the file's tempo map",
        "estimated": "estimated from the note onsets",
        "default": "MIDI's default: the file has no tempo",
    }[result["tempo_source"]]
    est = result.get("tempo_estimated_bpm")
    if est and result["tempo_source"] == "file" and _same_tempo(est, result["tempo_bpm"]):
        source += ", and the onsets agree"
    tempo = f"Tempo   {round(result['tempo_bpm'], 1):g} bpm ({source})"
    changes = result.get("tempo_changes") or []
    if changes:
        bpms = [bpm for _, bpm in changes]
        tempo += f"; {len(changes) - 1} tempo changes ({min(bpms):g}-{max(bpms):g} bpm)"
    lines.append(tempo)
    meter_src = "from the file" if result["meter_source"] == "file" else "estimated"
    lines.append(f"Meter   {result['meter']} ({meter_src})")
    if result.get("range"):
        low, high = result["range"]
        low_name, high_name = result["range_names"]
        lines.append(f"Range   {low_name}-{high_name} (MIDI {low}-{high}), {result['pitched_notes']} pitched notes")
    timing = result.get("timing")
    if timing:
        swing = "straight" if timing["swing"] == 0.5 else f"swing {timing['swing']:.2f}"
        lines.append(
            f"Timing  grid {timing['grid']}, {swing}: mean deviation "
            f"{timing['mean_abs_deviation_ms']:.1f} ms, {timing['on_grid_ratio']:.0%} of onsets "
            f"within 10 ms of the grid (against the {timing['reference']})"
        )
        offset = timing.get("offset_ms", 0.0)
        if abs(offset) >= 10:
            lines.append(
                f"        the take runs a steady {abs(offset):.0f} ms "
                f"{'behind' if offset > 0 else 'ahead of'} the grid (recording latency, or a "
                f"grid that does not start on the beat);"
            )
            lines.append(f"        around that, notes are {timing['spread_ms']:.1f} ms off on average")
    else:
        lines.append("Timing  no notes")
    return "\n".join(lines)


# --- for the Editing stage ------------------------------------------------------------------


def suggest_quantize(genre_swing: float, strength: float, result: dict[str, Any]) -> dict[str, Any]:
    """Grid, strength and swing for this take, given the genre's swing and quantize strength.

    The grid is the take's own (the coarsest that fits what was played); the swing is the
    genre's when it swings, else the player's own swing when there is one; the strength is
    the genre's. A take already within a few ms of its grid is left alone.
    """
    genre_swing = float(np.clip(genre_swing, 0.5, 0.75))
    strength = float(np.clip(strength, 0.0, 1.0))
    timing = result.get("timing")
    if not timing:
        return {
            "grid": "1/16",
            "strength": strength,
            "swing": 0.5,
            "lengths": "keep",
            "apply": False,
            "why": "the take has no notes to quantize",
        }
    grid = timing["grid"]
    triplet = GRIDS[grid][1]
    played = float(timing.get("swing", 0.5))
    why: list[str] = [f"you played on a {grid} grid"]
    if triplet:
        swing = 0.5
    elif genre_swing > 0.5:
        swing = genre_swing
        why.append(f"the genre swings ({genre_swing:.2f})")
    elif played >= 0.55:
        swing = played
        why.append(f"keeps the swing you played ({played:.2f})")
    else:
        swing = 0.5
    mad = float(timing["mean_abs_deviation_ms"])
    apply = mad > TIGHT_MS
    if timing.get("reference") == "estimated beat grid":
        # Quantizing snaps to the file's own grid, which is not the one the take follows.
        return {
            "grid": grid,
            "strength": round(strength, 2),
            "swing": 0.5,
            "lengths": "keep",
            "apply": False,
            "expected_mean_abs_deviation_ms": None,
            "why": f"the file's tempo map does not match the playing (about "
            f"{result.get('tempo_bpm', 0):.0f} bpm): set that tempo in your DAW and re-export "
            f"the take, or quantizing would pull every note toward the wrong grid",
        }
    offset = float(timing.get("offset_ms", 0.0))
    if abs(offset) >= 10:
        why.append(
            f"the take runs a steady {abs(offset):.0f} ms {'late' if offset > 0 else 'early'}"
            f": nudge it {-offset:+.0f} ms first, or quantize at strength 1"
        )
    if apply:
        why.append(
            f"strength {strength:.2f} pulls each note {strength:.0%} of the way to the "
            f"grid and keeps some feel (now {mad:.0f} ms off on average)"
        )
    else:
        why.append(f"the timing is already tight ({mad:.1f} ms off on average): no need")
    return {
        "grid": grid,
        "strength": round(strength, 2),
        "swing": round(swing, 2),
        "lengths": "keep",
        "apply": apply,
        "expected_mean_abs_deviation_ms": round(mad * (1.0 - strength), 1) if swing == played else None,
        "why": "; ".join(why),
    }


def take_timing(
    midi: mido.MidiFile,
    grid: str | None = None,
    swing: float | None = None,
    tracks: set[int] | None = None,
) -> dict[str, Any]:
    """Timing of a take against the file's grid: a given grid (swing estimated unless given)
    or the detected one. `tracks` limits it to some track indices."""
    notes = extract_notes(midi)
    if tracks is not None:
        notes = notes.subset(np.isin(notes.track, list(tracks)))
    if not len(notes):
        return {
            "grid": grid,
            "notes": 0,
            "mean_abs_deviation_ms": 0.0,
            "on_grid_ratio": 1.0,
            "swing": swing if swing is not None else 0.5,
        }
    beats, ms_per_beat = _beats_and_ms(notes, TempoMap.from_midi(midi))
    if grid is None:
        fit = detect_grid(beats, ms_per_beat)
    else:
        grid = parse_grid(grid)
        fit = fit_grid(beats, ms_per_beat, grid, None if swing is None else check_swing(swing, grid))
    return fit.as_dict() | {"notes": len(notes)}


def compare_timing(
    before: mido.MidiFile | Path, after: mido.MidiFile | Path, grid: str | None = None
) -> dict[str, Any]:
    """Before/after timing on the same grid (the before take's detected grid by default);
    each side's swing is measured on its own, so a swing edit shows as a change."""
    import mido

    first = before if isinstance(before, mido.MidiFile) else load_midi(Path(before))
    second = after if isinstance(after, mido.MidiFile) else load_midi(Path(after))
    was = take_timing(first, grid)
    now = take_timing(second, was["grid"] or "1/16")
    return {"grid": was["grid"], "before": was, "after": now}


def format_timing_comparison(comparison: dict[str, Any]) -> str:
    was, now = comparison["before"], comparison["after"]
    return (
        f"Timing on the {comparison['grid']} grid: mean deviation "
        f"{was['mean_abs_deviation_ms']:.1f} -> {now['mean_abs_deviation_ms']:.1f} ms; on grid "
        f"(within 10 ms) {was['on_grid_ratio']:.0%} -> {now['on_grid_ratio']:.0%}; swing "
        f"{was['swing']:.2f} -> {now['swing']:.2f}"
    )
