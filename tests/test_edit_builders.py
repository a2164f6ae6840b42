"""MIDI files built in memory with mido for the MIDI analysis and edit tests (and their checks).

Other test modules import the builders from here: `from test_edit_builders import ...`.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import mido
import numpy as np

TPB = 480


@dataclass(frozen=True)
class N:
    """A note for the builders: start and length in ticks."""

    pitch: int
    start: int
    length: int
    velocity: int = 90
    channel: int = 0


def track_from(
    notes: Iterable[N], name: str | None = None, extra: Sequence[tuple[int, mido.Message]] = ()
) -> mido.MidiTrack:
    """A track holding `notes` plus any (tick, message) extras such as controllers."""
    events: list[tuple[int, int, mido.Message]] = []
    for n in notes:
        events.append(
            (
                n.start,
                2,
                mido.Message("note_on", note=n.pitch, velocity=n.velocity, channel=n.channel),
            )
        )
        events.append(
            (n.start + n.length, 0, mido.Message("note_off", note=n.pitch, channel=n.channel))
        )
    for tick, msg in extra:
        events.append((tick, 1, msg))
    events.sort(key=lambda e: (e[0], e[1]))
    track = mido.MidiTrack()
    if name:
        track.append(mido.MetaMessage("track_name", name=name, time=0))
    previous = 0
    for tick, _, msg in events:
        track.append(msg.copy(time=tick - previous))
        previous = tick
    return track


def conductor(
    tempos: Sequence[tuple[int, float]] = ((0, 120.0),), meter: tuple[int, int] | None = (4, 4)
) -> mido.MidiTrack:
    """Tempo map (tick, bpm) and time signature, as a type 1 file's first track."""
    track = mido.MidiTrack()
    if meter:
        track.append(mido.MetaMessage("time_signature", numerator=meter[0], denominator=meter[1]))
    previous = 0
    for tick, bpm in tempos:
        track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=tick - previous))
        previous = tick
    return track


def midi_file(*tracks: mido.MidiTrack, kind: int = 1, tpb: int = TPB) -> mido.MidiFile:
    midi = mido.MidiFile(type=kind, ticks_per_beat=tpb)
    if kind == 0:
        merged = mido.merge_tracks(tracks)
        midi.tracks.append(merged)
    else:
        midi.tracks.extend(tracks)
    return midi


def to_bytes(midi: mido.MidiFile) -> bytes:
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def reload(midi: mido.MidiFile) -> mido.MidiFile:
    return mido.MidiFile(file=io.BytesIO(to_bytes(midi)))


def note_ons(midi: mido.MidiFile, track: int | None = None) -> list[tuple[int, int, int, int]]:
    """(absolute tick, channel, pitch, velocity) of every note-on, sorted."""
    found = []
    for t, trk in enumerate(midi.tracks):
        if track is not None and t != track:
            continue
        tick = 0
        for msg in trk:
            tick += msg.time
            if msg.type == "note_on" and msg.velocity > 0:
                found.append((tick, msg.channel, msg.note, msg.velocity))
    return sorted(found)


def non_note_events(midi: mido.MidiFile) -> list[tuple[int, int, str]]:
    """(track, absolute tick, message) of everything but notes and end_of_track."""
    found = []
    for t, trk in enumerate(midi.tracks):
        tick = 0
        for msg in trk:
            tick += msg.time
            if msg.type not in ("note_on", "note_off", "end_of_track"):
                found.append((t, tick, str(msg.copy(time=0))))
    return sorted(found)


def ms_to_ticks(ms: float, bpm: float = 120.0, tpb: int = TPB) -> float:
    return ms / 1000.0 * bpm / 60.0 * tpb


def jittered_sixteenths(
    count: int = 64,
    max_ms: float = 30.0,
    bpm: float = 120.0,
    seed: int = 7,
    pitches: Sequence[int] = (60, 62, 64, 65, 67, 69, 71, 72),
) -> tuple[list[N], np.ndarray]:
    """Sixteenth notes with onsets jittered by up to ±max_ms; also returns the grid ticks."""
    rng = np.random.default_rng(seed)
    step = TPB // 4
    grid = np.arange(count) * step + 4 * TPB  # start after a bar, so early notes stay >= 0
    jitter = np.round(ms_to_ticks(rng.uniform(-max_ms, max_ms, count), bpm)).astype(int)
    notes = [
        N(pitches[i % len(pitches)], int(grid[i] + jitter[i]), step - 20) for i in range(count)
    ]
    return notes, grid


# --- checks of the builders themselves ---------------------------------------------------------


def test_builders_round_trip_notes_and_events() -> None:
    notes = [N(60, 0, 240), N(64, 240, 240, velocity=70, channel=2)]
    cc = (120, mido.Message("control_change", control=64, value=127))
    midi = reload(midi_file(conductor(), track_from(notes, "Keys", extra=[cc])))
    assert note_ons(midi) == [(0, 0, 60, 90), (240, 2, 64, 70)]
    events = non_note_events(midi)
    assert (1, 120, "control_change channel=0 control=64 value=127 time=0") in events
    assert any("set_tempo" in e[2] for e in events)


def test_jitter_stays_within_bound() -> None:
    notes, grid = jittered_sixteenths(max_ms=30.0)
    offsets = np.array([n.start for n in notes]) - grid
    assert np.abs(offsets).max() <= ms_to_ticks(30.0) + 0.5
    assert np.abs(offsets).max() > ms_to_ticks(20.0)  # the jitter is really there
