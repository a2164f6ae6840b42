"""Quantize: pull note onsets toward a grid, with strength and swing.

Each onset moves `strength` of the way to its nearest grid point (1 = onto it, 0.5 = half as
far from it as before). With swing s on a straight grid the off-beat step of each pair sits at
s of the pair: `--grid 1/16 --swing 0.66` puts every off-beat sixteenth two thirds of the way
through its eighth. `lengths="keep"` moves note-offs with their note-ons; "quantize" snaps
them to the grid too (a note never shrinks below one step). The grid counts from tick 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.analysis.midi_tempo import GRIDS, check_swing, fit_grid, grid_points, parse_grid
from assistant.edit.midifile import (
    TempoMap,
    check_output,
    extract_notes,
    load_midi,
    save_midi,
    select_tracks,
)
from assistant.edit.noteedit import TrackNotes, edit_notes, selected_names
from assistant.errors import BadInput

if TYPE_CHECKING:
    import mido

LENGTHS = ("keep", "quantize")


def check_strength(strength: float) -> float:
    if not 0.0 <= strength <= 1.0:
        raise BadInput(f"strength {strength:g} is outside 0..1 (1 = fully onto the grid)")
    return float(strength)


def quantize_midi(
    midi: mido.MidiFile,
    grid: str = "1/16",
    strength: float = 1.0,
    swing: float = 0.5,
    lengths: str = "keep",
    tracks: str | None = None,
) -> tuple[mido.MidiFile, dict[str, Any]]:
    """A quantized copy of `midi` and a summary of what moved; `midi` itself is untouched."""
    grid = parse_grid(grid)
    strength = check_strength(strength)
    swing = check_swing(float(swing), grid)
    if lengths not in LENGTHS:
        raise BadInput(f"lengths {lengths!r} is not one of {', '.join(LENGTHS)}")
    chosen = select_tracks(midi, tracks)
    tpb = midi.ticks_per_beat
    step = tpb / GRIDS[grid][0]

    def edit(notes: TrackNotes) -> tuple[np.ndarray, np.ndarray, None]:
        on = notes.on.astype(np.float64)
        target = grid_points(on / tpb, grid, swing) * tpb
        new_on = np.round(on + strength * (target - on))
        if lengths == "keep":
            new_off = notes.off + (new_on - notes.on)
        else:
            off = notes.off.astype(np.float64)
            end_target = grid_points(off / tpb, grid, swing) * tpb
            new_off = np.round(off + strength * (end_target - off))
            too_short = new_off <= new_on
            new_off[too_short] = new_on[too_short] + round(step)
        new_off = np.where(notes.has_off, new_off, notes.off)
        return new_on, new_off, None

    out, stats = edit_notes(midi, chosen, edit)
    summary: dict[str, Any] = {
        "edit": "quantize",
        "grid": grid,
        "strength": strength,
        "swing": swing,
        "lengths": lengths,
        "tracks": selected_names(midi, chosen),
    } | stats.as_dict()
    summary["timing_before"] = _timing(midi, chosen, grid, swing)
    summary["timing_after"] = _timing(out, chosen, grid, swing)
    return out, summary


def _timing(midi: mido.MidiFile, tracks: set[int], grid: str, swing: float) -> dict[str, float]:
    """Deviation from the very grid (and swing) of the edit, over the edited tracks."""
    notes = extract_notes(midi)
    notes = notes.subset(np.isin(notes.track, list(tracks)))
    if not len(notes):
        return {"mean_abs_deviation_ms": 0.0, "on_grid_ratio": 1.0}
    tempo_map = TempoMap.from_midi(midi)
    fit = fit_grid(
        notes.start / midi.ticks_per_beat, 60_000.0 / tempo_map.bpm_at(notes.start), grid, swing
    )
    return {
        "mean_abs_deviation_ms": round(fit.mean_abs_deviation_ms, 1),
        "on_grid_ratio": round(fit.on_grid_ratio, 3),
    }


def quantize_file(
    source: Path,
    output: Path,
    grid: str = "1/16",
    strength: float = 1.0,
    swing: float = 0.5,
    lengths: str = "keep",
    tracks: str | None = None,
) -> dict[str, Any]:
    """Read `source`, write the quantized file atomically to `output` (never over `source`)."""
    midi = load_midi(Path(source))
    check_output(Path(source), Path(output))
    out, summary = quantize_midi(midi, grid, strength, swing, lengths, tracks)
    save_midi(out, Path(output))
    return summary | {"input": str(source), "output": str(output)}


def format_quantize_summary(summary: dict[str, Any]) -> str:
    swing = "straight" if summary["swing"] == 0.5 else f"swing {summary['swing']:.2f}"
    before, after = summary["timing_before"], summary["timing_after"]
    merged = f"; {summary['merged']} doubled notes merged" if summary["merged"] else ""
    return (
        f"Quantized {summary['notes']} notes to {summary['grid']} ({swing}, strength "
        f"{summary['strength']:.2f}, lengths {summary['lengths']}): {summary['moved']} moved, "
        f"mean shift {summary['mean_shift_ms']:.1f} ms (max {summary['max_shift_ms']:.1f} ms)"
        f"{merged}.\nOff the grid on average: {before['mean_abs_deviation_ms']:.1f} ms -> "
        f"{after['mean_abs_deviation_ms']:.1f} ms; within 10 ms: {before['on_grid_ratio']:.0%} -> "
        f"{after['on_grid_ratio']:.0%}."
        + (f"\nWrote {summary['output']}" if "output" in summary else "")
    )
