"""Guessing a key from notes or chords: Krumhansl-Kessler profiles, correlated.

Used when `coach harmonize` or `coach next-chord` is not given `--key`. Only major and minor
are guessed; a modal key has to be given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from assistant import theory
from assistant.keys import Key, Mode

# Krumhansl & Kessler (1982) probe-tone ratings, tonic first.
_MAJOR = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
_MINOR = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
_NAMES_MAJOR = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_NAMES_MINOR = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")


def _correlation(a: Sequence[float], b: Sequence[float]) -> float:
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    num = sum((x - ma) * (y - mb) for x, y in zip(a, b, strict=True))
    den = math.sqrt(sum((x - ma) ** 2 for x in a) * sum((y - mb) ** 2 for y in b))
    return num / den if den else 0.0


def rank_keys(histogram: Sequence[float]) -> list[tuple[float, Key]]:
    """All 24 major/minor keys by correlation with a pitch-class histogram, best first."""
    out = []
    options: tuple[tuple[Mode, tuple[float, ...], tuple[str, ...]], ...] = (
        ("major", _MAJOR, _NAMES_MAJOR), ("minor", _MINOR, _NAMES_MINOR))
    for tonic in range(12):
        for mode, profile, names in options:
            rotated = [profile[(pc - tonic) % 12] for pc in range(12)]
            out.append((_correlation(histogram, rotated), Key(tonic=names[tonic], mode=mode)))
    out.sort(key=lambda item: -item[0])
    return out


def in_scale_share(histogram: Sequence[float], key: Key) -> float:
    """Share of the histogram's weight on notes of the key's scale."""
    scale = set(theory.scale_pitch_classes(key))
    total = sum(histogram)
    return sum(histogram[pc] for pc in scale) / total if total else 0.0


def key_from_notes(pitches: Sequence[int], durations: Sequence[float] | None = None,
                   last: int | None = None) -> tuple[Key, float]:
    """(best key, share of the melody's duration inside its scale). The last note (usually
    the tonic or a tonic-chord tone) gets extra weight; among near-equal keys, the one whose
    tonic triad holds the first and last notes wins."""
    histogram = [0.0] * 12
    for i, pitch in enumerate(pitches):
        histogram[pitch % 12] += durations[i] if durations else 1.0
    if last is not None:
        histogram[last % 12] += 0.5 * max(histogram)
    ranked = rank_keys(histogram)
    # Among near-equal fits prefer the key whose tonic triad holds the last note.
    best_score = ranked[0][0]
    close = [key for score, key in ranked if score >= best_score - 0.05]
    ends = [p for p in (pitches[0] if pitches else None, last) if p is not None]
    for wanted in (ends, ends[-1:]):
        for key in close:
            tonic = theory.parse_pitch_class(key.tonic)
            triad = (0, 3 if key.mode == "minor" else 4, 7)
            if wanted and all((p - tonic) % 12 in triad for p in wanted):
                return key, in_scale_share(histogram, key)
    key = ranked[0][1]
    return key, in_scale_share(histogram, key)


def key_from_chords(chords: Sequence[tuple[int, ...]]) -> Key:
    """Best key for chords given as pitch-class tuples (root first). The first and last
    chords' roots count extra: progressions usually start or end at home."""
    histogram = [0.0] * 12
    for chord in chords:
        for pc in chord:
            histogram[pc % 12] += 1.0
    for chord in (chords[0], chords[-1]) if chords else ():
        histogram[chord[0] % 12] += 1.0
    ranked = rank_keys(histogram)
    # Prefer a key whose tonic chord is one of the chords played (by root and quality).
    played = {(c[0] % 12, (c[1] - c[0]) % 12 if len(c) > 1 else 4) for c in chords}
    best = ranked[0][0]
    for score, key in ranked:
        if score < best - 0.05:
            break
        tonic = theory.parse_pitch_class(key.tonic)
        if (tonic, 3 if key.mode == "minor" else 4) in played:
            return key
    return ranked[0][1]
