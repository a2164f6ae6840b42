"""Tempo, meter and grid from note onsets (numpy only).

Tempo: an onset-strength envelope at 100 Hz (each onset weighted by its velocity, so chords
and accents count more), autocorrelated; each lag scores its own peak plus half of its
double and half of its half, and a broad log-normal prior around 100 bpm breaks ties
between metrical levels.
Octave (half/double) confusions remain the usual failure — see benchmarks/RESULTS-midi.md.

Grid: onsets in beats (quarter notes) are tried against 1/4, 1/8, 1/8t, 1/16, 1/16t and 1/32;
straight grids may swing (the off-beat step moves later within its pair). The coarsest grid
on which at least 90% of onsets lie within a quarter step wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.errors import BadInput

FRAME_RATE = 100.0  # envelope frames per second
MIN_BPM, MAX_BPM = 30.0, 300.0
PRIOR_BPM, PRIOR_OCTAVES = 100.0, 1.0

# name -> (steps per quarter note, triplet?)
GRIDS: dict[str, tuple[int, bool]] = {
    "1/4": (1, False),
    "1/8": (2, False),
    "1/8t": (3, True),
    "1/16": (4, False),
    "1/16t": (6, True),
    "1/32": (8, False),
}
GRID_ORDER = ("1/4", "1/8", "1/8t", "1/16", "1/16t", "1/32")
SWING_MIN, SWING_MAX = 0.5, 0.75
TRIPLET_SWING = 2.0 / 3.0
FIT_TOLERANCE = 0.25  # of a grid step
FIT_SHARE = 0.9
ON_GRID_MS = 10.0


def median(values: np.ndarray) -> float:
    """np.median without its import of numpy.ma (~20 ms of a one-shot command)."""
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    mid = ordered.size // 2
    return float(ordered[mid] if ordered.size % 2 else (ordered[mid - 1] + ordered[mid]) / 2)


def parse_grid(text: str) -> str:
    name = text.strip().lower().replace(" ", "")
    if name not in GRIDS:
        raise BadInput(f"grid {text!r} is not one of {', '.join(GRID_ORDER)}")
    return name


def check_swing(swing: float, grid: str | None = None) -> float:
    if not SWING_MIN <= swing <= SWING_MAX:
        raise BadInput(
            f"swing {swing:g} is outside 0.5..0.75 (0.5 = straight, 0.66 = triplet feel)"
        )
    if grid is not None and GRIDS[grid][1] and swing != 0.5:
        raise BadInput(
            f"swing applies to straight grids (1/8, 1/16...), not to the triplet grid {grid}"
        )
    return swing


def grid_points(beats: np.ndarray, grid: str, swing: float = 0.5) -> np.ndarray:
    """The nearest grid point (in beats) to each position; swung off-beat steps sit at
    `swing` of their pair (0.66 with 1/16 -> two thirds of the way through each eighth:
    0.66 and 0.67 are read as exactly 2/3)."""
    steps, _ = GRIDS[grid]
    beats = np.asarray(beats, dtype=np.float64)
    if swing == 0.5:
        return np.round(beats * steps) / steps
    if abs(swing - TRIPLET_SWING) < 0.01:
        swing = TRIPLET_SWING  # "66%"/"67%" mean the triplet feel, as on drum machines
    pair = 2.0 / steps
    start = np.floor(beats / pair) * pair
    candidates = np.stack([start, start + swing * pair, start + pair])
    best = np.argmin(np.abs(candidates - beats), axis=0)
    return np.asarray(np.take_along_axis(candidates, best[None, :], axis=0)[0])


def estimate_swing(beats: np.ndarray, grid: str) -> float:
    """Median position of the off-beat steps within their pair (0.5 = straight)."""
    steps, triplet = GRIDS[grid]
    if triplet or beats.size == 0:
        return 0.5
    pair = 2.0 / steps
    phase = (beats / pair) % 1.0
    # Off-beat onsets are those nearer the off-beat point s than the pair's ends; s is the
    # mean of them, iterated from straight. The window stays centred on s, so loose timing
    # around a straight off-beat averages out instead of reading as swing.
    swing = 0.5
    off = phase[:0]
    for _ in range(8):
        off = phase[(phase > swing / 2) & (phase < (1 + swing) / 2)]
        if off.size < max(3, int(0.05 * beats.size)):
            return 0.5
        new = float(np.clip(off.mean(), SWING_MIN, SWING_MAX))
        if abs(new - swing) < 1e-4:
            break
        swing = new
    spread = float(off.std()) / np.sqrt(off.size) + 1e-9
    if swing - 0.5 < 0.03 or (swing - 0.5) / spread < 3.0:
        return 0.5
    return round(swing, 2)


@dataclass(frozen=True)
class GridFit:
    grid: str
    swing: float
    deviation_ms: np.ndarray  # signed, onset minus grid point
    fit_share: float
    offset_ms: float = 0.0
    """The take's steady lead (<0) or lag (>0) behind the grid, e.g. recording latency."""

    @property
    def mean_abs_deviation_ms(self) -> float:
        return float(np.mean(np.abs(self.deviation_ms))) if self.deviation_ms.size else 0.0

    @property
    def on_grid_ratio(self) -> float:
        if not self.deviation_ms.size:
            return 1.0
        return float(np.mean(np.abs(self.deviation_ms) <= ON_GRID_MS))

    @property
    def spread_ms(self) -> float:
        """Mean distance from the grid once the steady offset is taken away."""
        if not self.deviation_ms.size:
            return 0.0
        return float(np.mean(np.abs(self.deviation_ms - self.offset_ms)))

    def as_dict(self) -> dict[str, object]:
        return {
            "grid": self.grid,
            "mean_abs_deviation_ms": round(self.mean_abs_deviation_ms, 1),
            "on_grid_ratio": round(self.on_grid_ratio, 3),
            "swing": self.swing,
            "offset_ms": round(self.offset_ms, 1),
            "spread_ms": round(self.spread_ms, 1),
            "grid_fit": round(self.fit_share, 3),
        }


def fit_grid(
    beats: np.ndarray,
    ms_per_beat: np.ndarray,
    grid: str,
    swing: float | None = None,
    offset_beats: float = 0.0,
) -> GridFit:
    """Deviation of each onset (in beats) from `grid`, swing estimated unless given.

    `offset_beats` is a steady lag to allow for when choosing each onset's grid point and
    judging the fit; the deviations reported are from the grid itself.
    """
    steps, _ = GRIDS[grid]
    beats = np.asarray(beats, dtype=np.float64)
    shifted = beats - offset_beats
    if swing is None:
        swing = estimate_swing(shifted, grid)
    dev_shifted = shifted - grid_points(shifted, grid, swing)
    share = float(np.mean(np.abs(dev_shifted) <= FIT_TOLERANCE / steps)) if beats.size else 1.0
    deviation = (dev_shifted + offset_beats) * ms_per_beat
    offset_ms = median(deviation) if offset_beats and beats.size else 0.0
    return GridFit(grid, swing, deviation, share, offset_ms)


def steady_offset(beats: np.ndarray, ms_per_beat: float) -> float:
    """The median lag (in beats) of onsets near a beat, when it is steady enough to matter:
    over 8 ms, with most of those onsets within 15 ms of it (not a spread of triplets)."""
    dev = beats - np.round(beats)
    near = dev[np.abs(dev) < 0.2]
    if near.size < 8:
        return 0.0
    offset = median(near)
    tight = float(np.mean(np.abs(near - offset) * ms_per_beat <= 15.0))
    return offset if abs(offset) * ms_per_beat > 8.0 and tight >= 0.5 else 0.0


def detect_grid(beats: np.ndarray, ms_per_beat: np.ndarray) -> GridFit:
    """The coarsest grid that explains the onsets (see module docstring), allowing for a
    steady offset such as recording latency."""
    beats = np.asarray(beats, dtype=np.float64)
    offset = steady_offset(beats, median(ms_per_beat)) if beats.size else 0.0
    fits = [fit_grid(beats, ms_per_beat, name, offset_beats=offset) for name in GRID_ORDER]
    for fit in fits:
        if fit.fit_share >= FIT_SHARE:
            return fit
    return max(fits, key=lambda f: f.fit_share)  # max keeps the first (coarsest) on a tie


# --- tempo from onsets ---------------------------------------------------------------------


def onset_envelope(onsets_s: np.ndarray, weights: np.ndarray) -> np.ndarray:
    frames = np.round(np.asarray(onsets_s) * FRAME_RATE).astype(np.int64)
    env = np.bincount(frames - frames.min(), weights=weights).astype(np.float64)
    kernel = np.exp(-0.5 * (np.arange(-6, 7) / 2.0) ** 2)  # sigma 20 ms: timing slop
    return np.convolve(env, kernel, mode="same")


def _autocorrelation(env: np.ndarray, max_lag: int) -> np.ndarray:
    env = env - env.mean()
    size = 1 << int(np.ceil(np.log2(2 * env.size)))
    spectrum = np.fft.rfft(env, size)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), size)[: max_lag + 1]
    return np.asarray(acf / acf[0]) if acf[0] > 0 else np.asarray(acf)


@dataclass(frozen=True)
class TempoEstimate:
    bpm: float
    phase_s: float  # time of a beat
    strength: float  # autocorrelation at the beat period, 0..1


def estimate_tempo(onsets_s: np.ndarray, weights: np.ndarray) -> TempoEstimate | None:
    """Beat period and phase from onsets; None when there are too few onsets to tell."""
    onsets_s = np.asarray(onsets_s, dtype=np.float64)
    frames = np.sort(np.round(onsets_s, 2))  # (np.unique would import numpy.ma: ~20 ms)
    if frames.size == 0 or 1 + np.count_nonzero(np.diff(frames)) < 8:
        return None
    env = onset_envelope(onsets_s, weights)
    min_lag = int(np.floor(60.0 / MAX_BPM * FRAME_RATE))
    max_lag = int(np.ceil(60.0 / MIN_BPM * FRAME_RATE))
    if env.size < 2 * min_lag:
        return None
    acf = _autocorrelation(env, 2 * max_lag + 2)
    lags = np.arange(min_lag, max_lag + 1)
    # A beat period is periodic at its double (bars) and its half (eighths); a dotted
    # period (3/2 beat, the pop syncopation trap) is not periodic at its half.
    score = acf[lags] + 0.5 * acf[2 * lags] + 0.5 * acf[np.round(lags / 2).astype(np.int64)]
    bpm = 60.0 * FRAME_RATE / lags
    prior = np.exp(-0.5 * (np.log2(bpm / PRIOR_BPM) / PRIOR_OCTAVES) ** 2)
    weighted = np.clip(score, 0, None) * prior
    i = int(np.argmax(weighted))
    lag = float(lags[i])
    if 0 < i < lags.size - 1:  # parabolic interpolation for a sub-frame period
        a, b, c = acf[lags[i] - 1], acf[lags[i]], acf[lags[i] + 1]
        denominator = a - 2 * b + c
        if denominator < 0:
            lag += float(np.clip(0.5 * (a - c) / denominator, -0.5, 0.5))
    period = lag / FRAME_RATE
    phase = _beat_phase(onsets_s, weights, period)
    return TempoEstimate(round(60.0 / period, 2), phase, float(max(acf[lags[i]], 0.0)))


def _beat_phase(onsets_s: np.ndarray, weights: np.ndarray, period: float) -> float:
    """The offset whose beat comb catches the most onset weight (onsets near a beat count)."""
    phases = np.arange(0.0, period, 0.01)
    rel = (onsets_s[None, :] - phases[:, None]) / period
    dist = np.abs(rel - np.round(rel))
    score = (weights[None, :] * np.exp(-0.5 * (dist * period / 0.03) ** 2)).sum(axis=1)
    return float(phases[int(np.argmax(score))])


def estimate_meter(beats: np.ndarray, weights: np.ndarray, pitch: np.ndarray) -> str:
    """3/4 or 4/4 from how accents (loud, low, chordal onsets) recur every 2, 3 or 4 beats."""
    if beats.size == 0:
        return "4/4"
    index = np.round(beats).astype(np.int64)
    near = np.abs(beats - index) < 0.15
    if near.sum() < 12:
        return "4/4"
    index = index[near] - index[near].min()
    low = 1.0 + np.clip((72 - pitch[near]) / 24.0, 0, 2)  # bass notes mark downbeats
    accent = np.bincount(index, weights=weights[near] * low)
    if accent.size < 12:
        return "4/4"
    accent = accent - accent.mean()

    def corr(lag: int) -> float:
        return float(np.dot(accent[:-lag], accent[lag:]) / max(accent.size - lag, 1))

    return "3/4" if corr(3) > max(corr(2), corr(4)) and corr(3) > 0 else "4/4"
