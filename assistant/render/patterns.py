"""Fallback grooves and the General MIDI drum map.

The knowledge base gives each genre one bar of drums, bass and comping on a step grid.
When a song has no genre, or its meter is not the one the genre's patterns were written
for, these meter-based defaults take over, so every meter renders something sensible.
"""

from __future__ import annotations

from functools import cache

from assistant.kb.schema import BassHit, BassPattern, CompHit, CompPattern, DrumGroove
from assistant.song import meter_parts

# General MIDI percussion keys (channel 10).
DRUM_KEYS: dict[str, int] = {
    "kick": 36,
    "snare": 38,
    "clap": 39,
    "rim": 37,
    "hat": 42,
    "open_hat": 46,
    "ride": 51,
    "shaker": 70,  # maracas: GM1 has no "shaker" key
}
CRASH = 49
TOMS = (50, 48, 47, 45, 43, 41)  # high to low
BASE_VELOCITY: dict[str, int] = {
    "kick": 104,
    "snare": 98,
    "clap": 92,
    "rim": 84,
    "hat": 72,
    "open_hat": 76,
    "ride": 74,
    "shaker": 60,
}


def meter_groups(meter: str) -> tuple[int, ...]:
    """How a bar's pulses group: 4/4 -> (1, 1, 1, 1), 6/8 -> (3, 3), 7/8 -> (2, 2, 3).

    A pulse is one denominator note (a quarter in 4/4, an eighth in 6/8). Eighth-note
    meters group in threes when they can (compound time), else in twos with a final three.
    """
    num, den = meter_parts(meter)
    if den < 8 or num < 4:
        return (1,) * num
    if num % 3 == 0:
        return (3,) * (num // 3)
    twos = (num - 3) // 2
    return (2,) * twos + (3,) if num % 2 else (2,) * (num // 2)


def group_starts(meter: str) -> tuple[int, ...]:
    """Pulse index where each group starts: 6/8 -> (0, 3)."""
    starts, at = [], 0
    for size in meter_groups(meter):
        starts.append(at)
        at += size
    return tuple(starts)


@cache
def default_patterns(meter: str) -> tuple[DrumGroove, BassPattern, CompPattern]:
    """A plain groove for any meter; hand-tuned for 4/4, built from the groups otherwise."""
    if meter == "4/4":
        return (
            DrumGroove(steps=16, kick=(0, 8, 10), snare=(4, 12), hat=tuple(range(0, 16, 2))),
            BassPattern(
                steps=16,
                hits=(
                    BassHit(step=0, tone="root", length=6),
                    BassHit(step=6, tone="root", length=2),
                    BassHit(step=8, tone="fifth", length=4),
                    BassHit(step=12, tone="root", length=2),
                    BassHit(step=14, tone="approach", length=2),
                ),
            ),
            CompPattern(
                steps=16,
                hits=(CompHit(step=0, length=6), CompHit(step=6, length=4), CompHit(step=10, length=6)),
            ),
        )
    num, den = meter_parts(meter)
    sub = 2 if den <= 4 else 1  # steps per pulse: eighths in x/4, the eighths themselves in x/8
    steps = max(3, num * sub)
    starts = [p * sub for p in group_starts(meter)]
    # Backbeats on the off groups (2 and 4 of four), or on every later group of a short bar.
    backbeats = tuple(starts[1::2] if len(starts) >= 4 else starts[1:]) or (steps // 2,)
    drums = DrumGroove(steps=steps, kick=(0,), snare=backbeats, hat=tuple(range(steps)))
    ends = [*starts[1:], steps]
    bass_hits = [BassHit(step=0, tone="root", length=ends[0])]
    for i, start in enumerate(starts[1:], start=1):
        bass_hits.append(BassHit(step=start, tone="fifth" if i % 2 else "root", length=ends[i] - start))
    comp_hits = tuple(CompHit(step=s, length=e - s) for s, e in zip(starts, ends, strict=True))
    return drums, BassPattern(steps=steps, hits=tuple(bass_hits)), CompPattern(steps=steps, hits=comp_hits)


def step_time(step: int, steps: int, bar_beats: float, swing: float = 0.5) -> float:
    """Beat offset of a grid step inside the bar; odd steps move later when swung."""
    length = bar_beats / steps
    if swing != 0.5 and step % 2 == 1 and length <= 0.5 + 1e-9:
        return (step - 1) * length + 2 * length * swing
    return step * length
