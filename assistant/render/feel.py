"""Feel: humanized timing and velocity for arranged tracks, the same for the same seed.

The idea is `coach humanize`'s (assistant/edit/humanize.py): each onset moves by a random,
near-Gaussian amount and keeps its length, each velocity moves too, the same for the same
seed. Here it works on beats rather than MIDI ticks, with Python's own `random` (no numpy on
the arranging path; a sum of three uniforms, sd = the style's spread, bounded at three
times it), and adds what a player does on top: the style's push or lay-back on the
backbeat, lines that lag rather than rush (their breaths kept), and downbeats that never
come early (the band lands together on the one).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from assistant.render.events import Track

BACKBEAT_KEYS = frozenset({37, 38, 39, 40})


def humanize_tracks(
    tracks: Sequence[Track],
    *,
    tempo: float,
    bar_beats: float,
    seed: int,
    timing_ms: float = 8.0,
    velocity_sd: float = 5.0,
    push_ms: float = 0.0,
    backbeats: Sequence[float] = (1.0, 3.0),
) -> None:
    """Move onsets (sd `timing_ms`, at most three times that) and velocities in place, per track.

    `push_ms` moves snare/clap/rim hits on the `backbeats` (beats inside the bar) later
    (positive, laid back) or earlier (negative, pushed); the other parts follow it half way
    on those beats, as a band follows its drummer.
    """
    beat_ms = 60000.0 / tempo
    spread = max(0.0, timing_ms)
    for number, track in enumerate(tracks):
        rng = random.Random(seed * 7919 + number)
        draw = rng.random
        singing = track.role in ("melody", "lead")
        for note in track.notes:
            position = note.start % bar_beats
            on_one = position < 1e-6 or bar_beats - position < 1e-6
            # near-Gaussian and bounded (a sum of three uniforms, sd = `spread`), cheaper than gauss()
            shift = (draw() + draw() + draw() - 1.5) * 2 * spread
            if on_one:
                shift = abs(shift) * 0.6  # the one: together, never early
            if push_ms and any(abs(position - b) < 1e-6 for b in backbeats):
                on_drum_backbeat = track.is_drums and note.pitch in BACKBEAT_KEYS
                shift += push_ms if on_drum_backbeat else push_ms / 2
            if singing:  # a line lags a little and keeps its breaths: the note's end stays put
                shift = abs(shift)
                note.duration = max(0.05, note.duration - shift / beat_ms)
            note.start = max(0.0, note.start + shift / beat_ms)
            if velocity_sd:
                change = (draw() + draw() + draw() - 1.5) * 2 * velocity_sd
                note.velocity = max(1, min(127, round(note.velocity + change)))
