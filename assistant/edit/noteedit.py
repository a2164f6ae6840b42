"""The shared machinery of note edits: move note-ons/offs (and velocities) in chosen tracks,
keep every other message where it was, and count what moved.

An edit is a function given one track's notes as arrays (ticks, pitches, velocities...) that
returns their new onsets, offsets and velocities. This module pairs note-ons with note-offs,
applies the result, resolves same-pitch overlaps the move created (the earlier note is cut
where the later one starts; a note left with no length is merged into the other) and
rebuilds the track in delta time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.edit.midifile import (
    TempoMap,
    absolute_events,
    pair_notes,
    rebuild_track,
    track_names,
)

if TYPE_CHECKING:
    import mido


@dataclass(frozen=True)
class TrackNotes:
    """One track's notes, in file order of their note-ons."""

    index: int
    on: np.ndarray  # ticks
    off: np.ndarray  # ticks; for a note never switched off, the track's end
    has_off: np.ndarray
    channel: np.ndarray
    pitch: np.ndarray
    velocity: np.ndarray


@dataclass
class EditStats:
    notes: int = 0
    moved: int = 0
    merged: int = 0
    shifts_ms: list[float] = field(default_factory=list)
    velocity_changes: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        shifts = np.abs(np.array(self.shifts_ms)) if self.shifts_ms else np.zeros(0)
        moved = shifts[shifts > 0]
        out: dict[str, Any] = {
            "notes": self.notes,
            "moved": self.moved,
            "mean_shift_ms": round(float(moved.mean()), 1) if moved.size else 0.0,
            "max_shift_ms": round(float(moved.max()), 1) if moved.size else 0.0,
            "merged": self.merged,
        }
        if self.velocity_changes:
            changes = np.abs(np.array(self.velocity_changes))
            out["velocity_changed"] = int((changes > 0).sum())
            out["mean_velocity_change"] = round(float(changes.mean()), 1)
        return out


# (track notes) -> (new on ticks, new off ticks, new velocities or None)
NoteEdit = Callable[[TrackNotes], tuple[np.ndarray, np.ndarray, np.ndarray | None]]


def edit_notes(
    midi: mido.MidiFile, tracks: set[int], edit: NoteEdit
) -> tuple[mido.MidiFile, EditStats]:
    """A new MidiFile with `edit` applied to the notes of `tracks`; `midi` is not changed."""
    import mido

    tempo_map = TempoMap.from_midi(midi)
    stats = EditStats()
    out = mido.MidiFile(type=midi.type, ticks_per_beat=midi.ticks_per_beat, charset=midi.charset)
    for t, track in enumerate(midi.tracks):
        if t not in tracks:
            out.tracks.append(mido.MidiTrack(list(track)))
            continue
        events = absolute_events(track)
        pairs = pair_notes(events)
        if not pairs:
            out.tracks.append(mido.MidiTrack(list(track)))
            continue
        last = events[-1][0]
        on_idx = np.array([on for on, _ in pairs], dtype=np.int64)
        off_idx = np.array([-1 if off is None else off for _, off in pairs], dtype=np.int64)
        has_off = off_idx >= 0
        notes = TrackNotes(
            index=t,
            on=np.array([events[i][0] for i in on_idx], dtype=np.int64),
            off=np.array([events[i][0] if i >= 0 else last for i in off_idx], dtype=np.int64),
            has_off=has_off,
            channel=np.array([events[i][1].channel for i in on_idx], dtype=np.int64),
            pitch=np.array([events[i][1].note for i in on_idx], dtype=np.int64),
            velocity=np.array([events[i][1].velocity for i in on_idx], dtype=np.int64),
        )
        new_on, new_off, new_vel = edit(notes)
        new_on = np.maximum(np.round(new_on).astype(np.int64), 0)
        # At least one tick long: a note-off sharing its note-on's tick could sort before it.
        new_off = np.maximum(np.round(new_off).astype(np.int64), new_on + has_off)
        keep = _resolve_overlaps(notes.channel, notes.pitch, new_on, new_off, has_off)

        shifted = tempo_map.to_seconds(new_on) - tempo_map.to_seconds(notes.on)
        stats.notes += len(pairs)
        stats.moved += int(((new_on != notes.on) & keep).sum())
        stats.merged += int((~keep).sum())
        stats.shifts_ms.extend((shifted[keep] * 1000.0).tolist())
        if new_vel is not None:
            stats.velocity_changes.extend((new_vel - notes.velocity)[keep].tolist())

        placed = list(events)
        drop: set[int] = set()
        for j in range(len(pairs)):
            on_msg = events[on_idx[j]][1]
            if not keep[j]:
                drop.add(int(on_idx[j]))
                if has_off[j]:
                    drop.add(int(off_idx[j]))
                continue
            if new_vel is not None:
                on_msg = on_msg.copy(velocity=int(new_vel[j]))
            placed[on_idx[j]] = (int(new_on[j]), on_msg)
            if has_off[j]:
                placed[off_idx[j]] = (int(new_off[j]), events[off_idx[j]][1])
        out.tracks.append(rebuild_track([e for i, e in enumerate(placed) if i not in drop]))
    return out, stats


def _resolve_overlaps(
    channel: np.ndarray, pitch: np.ndarray, on: np.ndarray, off: np.ndarray, has_off: np.ndarray
) -> np.ndarray:
    """Cut a note where the next note of the same pitch and channel starts (in place on `off`);
    returns which notes survive (a note cut to nothing is merged away)."""
    keep = np.ones(on.size, dtype=bool)
    order = np.lexsort((on, pitch, channel))
    for a, b in zip(order[:-1], order[1:], strict=True):
        if channel[a] != channel[b] or pitch[a] != pitch[b]:
            continue
        if has_off[a] and off[a] > on[b]:
            off[a] = on[b]
            if off[a] <= on[a]:  # both now start together: one note, not two
                keep[a] = False
    return keep


def selected_names(midi: mido.MidiFile, tracks: set[int]) -> list[str]:
    names = track_names(midi)
    return [names[i] for i in sorted(tracks)]
