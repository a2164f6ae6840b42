"""Humanize: small random timing and velocity variations, the same for the same seed.

Each note's onset moves by a Gaussian amount (standard deviation timing_ms / 2, clipped to
±timing_ms, converted to ticks at the local tempo) and keeps its length; each velocity moves
by a Gaussian amount (sd velocity / 2, clipped to ±velocity) within 1..127. The random numbers
are drawn per note in file order from numpy's PCG64 seeded with `seed`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.edit.midifile import TempoMap, check_output, load_midi, save_midi, select_tracks
from assistant.edit.noteedit import TrackNotes, edit_notes, selected_names
from assistant.errors import BadInput

if TYPE_CHECKING:
    import mido

MAX_TIMING_MS = 100.0
MAX_VELOCITY = 64


def humanize_midi(
    midi: mido.MidiFile,
    timing_ms: float = 10.0,
    velocity: int = 8,
    seed: int = 0,
    tracks: str | None = None,
) -> tuple[mido.MidiFile, dict[str, Any]]:
    if not 0 <= timing_ms <= MAX_TIMING_MS:
        raise BadInput(f"timing-ms {timing_ms:g} is outside 0..{MAX_TIMING_MS:g}")
    if not 0 <= velocity <= MAX_VELOCITY:
        raise BadInput(f"velocity {velocity} is outside 0..{MAX_VELOCITY}")
    if seed < 0:
        raise BadInput(f"seed {seed} must be 0 or more")
    chosen = select_tracks(midi, tracks)
    tempo_map = TempoMap.from_midi(midi)
    rng = np.random.default_rng(seed)

    def edit(notes: TrackNotes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = notes.on.size
        shift_ms = np.clip(rng.normal(0.0, timing_ms / 2.0, n), -timing_ms, timing_ms)
        ticks_per_ms = tempo_map.bpm_at(notes.on) / 60_000.0 * midi.ticks_per_beat
        new_on = np.maximum(np.round(notes.on + shift_ms * ticks_per_ms), 0)
        new_off = np.where(notes.has_off, notes.off + (new_on - notes.on), notes.off)
        change = np.clip(np.round(rng.normal(0.0, velocity / 2.0, n)), -velocity, velocity)
        new_vel = np.clip(notes.velocity + change, 1, 127).astype(np.int64)
        return new_on, new_off, new_vel

    out, stats = edit_notes(midi, chosen, edit)
    summary = {
        "edit": "humanize",
        "timing_ms": timing_ms,
        "velocity": velocity,
        "seed": seed,
        "tracks": selected_names(midi, chosen),
    } | stats.as_dict()
    return out, summary


def humanize_file(
    source: Path,
    output: Path,
    timing_ms: float = 10.0,
    velocity: int = 8,
    seed: int = 0,
    tracks: str | None = None,
) -> dict[str, Any]:
    midi = load_midi(Path(source))
    check_output(Path(source), Path(output))
    out, summary = humanize_midi(midi, timing_ms, velocity, seed, tracks)
    save_midi(out, Path(output))
    return summary | {"input": str(source), "output": str(output)}


def format_humanize_summary(summary: dict[str, Any]) -> str:
    text = (
        f"Humanized {summary['notes']} notes (timing up to ±{summary['timing_ms']:g} ms, velocity "
        f"up to ±{summary['velocity']}, seed {summary['seed']}): {summary['moved']} moved, mean "
        f"shift {summary['mean_shift_ms']:.1f} ms (max {summary['max_shift_ms']:.1f} ms)"
    )
    if "mean_velocity_change" in summary:
        text += f"; velocity changed on {summary['velocity_changed']} notes, "
        text += f"by {summary['mean_velocity_change']:.1f} on average"
    if summary["merged"]:
        text += f"; {summary['merged']} doubled notes merged"
    return text + "." + (f"\nWrote {summary['output']}" if "output" in summary else "")
