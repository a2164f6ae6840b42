"""Key finding for MIDI notes: a pitch-class profile matched against corpus key profiles.

The profile weighs each note by its duration (capped at 2 s, so a pedalled drone does not
outvote the tune) and its velocity. It is correlated with the 24 rotations of a blend of two
corpus-derived profiles — Albrecht & Shanahan (2013) and Aarden's Essen profile (2003) —
z-scored and averaged. Then a small cadence cue: the lowest note of the first and of the
last sonority votes for its pitch class as tonic (+0.08 each, in correlation units).
Measured in benchmarks/eval_key.py; the blend and the cue were chosen because the scores sat on
a plateau around them (0.05-0.12 give the same results), not on a knife edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAMES_SHARP = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
NAMES_FLAT = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")
# Tonic spellings with the fewest accidentals in their key signature.
MAJOR_TONICS = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MINOR_TONICS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B")

# Albrecht & Shanahan (2013), "The use of large corpora to train a new type of key-finding
# algorithm", Music Perception 31(1).
_AS_MAJOR = (0.238, 0.006, 0.111, 0.006, 0.137, 0.094, 0.016, 0.214, 0.009, 0.080, 0.008, 0.081)
_AS_MINOR = (0.220, 0.006, 0.104, 0.123, 0.019, 0.103, 0.012, 0.214, 0.062, 0.022, 0.061, 0.052)
# Aarden (2003), Essen folksong collection profiles, as used by music21's AardenEssen weighting.
_AE_MAJOR = (
    17.7661,
    0.145624,
    14.9265,
    0.160186,
    19.8049,
    11.3587,
    0.291248,
    22.062,
    0.145624,
    8.15494,
    0.232998,
    4.95122,
)
_AE_MINOR = (
    18.2648,
    0.737619,
    14.0499,
    16.8599,
    0.702494,
    14.4362,
    0.702494,
    18.6161,
    4.56621,
    1.93186,
    7.37619,
    1.75623,
)

CUE_WEIGHT = 0.08
DURATION_CAP_S = 2.0
SOFTMAX_TEMPERATURE = 0.1  # correlation units: mean confidence ~ accuracy on the benchmarks


def _zscore_rows(matrix: np.ndarray) -> np.ndarray:
    return (matrix - matrix.mean(axis=1, keepdims=True)) / matrix.std(axis=1, keepdims=True)


def _rotations(major: tuple[float, ...], minor: tuple[float, ...]) -> np.ndarray:
    """24 x 12: rows 0-11 are C..B major, rows 12-23 C..B minor."""
    rows = [np.roll(np.array(major), k) for k in range(12)]
    rows += [np.roll(np.array(minor), k) for k in range(12)]
    return np.array(rows, dtype=np.float64)


KEY_PROFILES = (
    _zscore_rows(_rotations(_AS_MAJOR, _AS_MINOR)) + _zscore_rows(_rotations(_AE_MAJOR, _AE_MINOR))
) / 2


@dataclass(frozen=True)
class KeyGuess:
    tonic_pc: int
    mode: str  # "major" | "minor"
    confidence: float

    @property
    def tonic(self) -> str:
        return (MAJOR_TONICS if self.mode == "major" else MINOR_TONICS)[self.tonic_pc]

    @property
    def flats(self) -> bool:
        """Whether the key signature has flats (for spelling note names)."""
        return self.tonic_pc in ((5, 10, 3, 8, 1) if self.mode == "major" else (2, 7, 0, 5, 10, 3))

    @property
    def name(self) -> str:
        return f"{self.tonic} {self.mode}"

    def as_dict(self) -> dict[str, object]:
        return {"tonic": self.tonic, "mode": self.mode, "confidence": round(self.confidence, 3)}


def pitch_class_profile(
    pitch: np.ndarray, duration_s: np.ndarray, velocity: np.ndarray
) -> np.ndarray:
    weights = np.minimum(np.maximum(duration_s, 0.0), DURATION_CAP_S) * velocity / 100.0
    return np.bincount(pitch % 12, weights=weights, minlength=12).astype(np.float64)


def _edge_bass(pitch: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[int, int]:
    """Pitch classes of the lowest note of the first and of the last sonority."""
    first = start <= start.min() + 0.05
    last = end >= end.max() - 0.05
    return int(pitch[first].min() % 12), int(pitch[last].min() % 12)


def key_scores(
    pitch: np.ndarray, start_s: np.ndarray, end_s: np.ndarray, velocity: np.ndarray
) -> np.ndarray:
    """A score for each of the 24 keys (0-11 major, 12-23 minor); higher is likelier."""
    profile = pitch_class_profile(pitch, end_s - start_s, velocity)
    if profile.std() == 0:
        return np.zeros(24)
    z = (profile - profile.mean()) / profile.std()
    scores = KEY_PROFILES @ z / 12.0
    first_bass, last_bass = _edge_bass(pitch, start_s, end_s)
    for pc in (first_bass, last_bass):
        scores[pc] += CUE_WEIGHT
        scores[pc + 12] += CUE_WEIGHT
    return np.asarray(scores)


def find_key(
    pitch: np.ndarray, start_s: np.ndarray, end_s: np.ndarray, velocity: np.ndarray
) -> tuple[KeyGuess, KeyGuess] | None:
    """(best, runner-up), or None when there are no pitched notes.

    Confidence is a softmax over the 24 scores: the share of belief the key gets, so the
    best and the runner-up (often the relative key) split it when the music is ambiguous.
    """
    if pitch.size == 0:
        return None
    scores = key_scores(pitch, start_s, end_s, velocity)
    exp = np.exp((scores - scores.max()) / SOFTMAX_TEMPERATURE)
    probs = exp / exp.sum()
    order = np.argsort(-scores, kind="stable")
    guesses = [
        KeyGuess(int(k % 12), "major" if k < 12 else "minor", float(probs[k])) for k in order[:2]
    ]
    return guesses[0], guesses[1]
