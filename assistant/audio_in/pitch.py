"""The pitch of a monophonic voice, frame by frame: probabilistic YIN (pYIN), vectorised.

pYIN (Mauch & Dixon, ICASSP 2014) reads every trough of the YIN difference function as a
pitch candidate, weighs it over a Beta(2, 18) prior on the threshold, and lets a hidden
Markov model pick the smoothest voiced/unvoiced path through the candidates. librosa's
`pyin` is the reference implementation, but on this 2-core machine it needs ~60 s for a
3-minute take at its default 0.1-semitone grid (a Python loop over frames calling
scipy.stats, then a dense Viterbi over 900+ states): far over the 10 s budget. This module
computes the same observation model with array operations, decodes a quarter-semitone
grid with a *banded* Viterbi (a voice moves at most ~36 octaves/s, so each state has only
its neighbours as predecessors), and then takes each voiced frame's exact frequency from
its own best candidate near the decoded path (parabolic interpolation), so the grid costs
no pitch precision.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FMIN, FMAX = 65.0, 1600.0  # C2..G6: humming and singing, bass to soprano, and whistling
SR = 16000  # plenty for a voice's fundamental up to C6, and half the work of 32 kHz
FRAME = 768  # 48 ms: two periods of the lowest note fit (one compared with the next)
HOP = 160  # 10 ms
RESOLUTION = 0.25  # semitones per state of the HMM
N_THRESHOLDS = 100
BETA = (2.0, 18.0)  # pYIN's threshold prior: mean 0.1
BOLTZMANN = 2.0
NO_TROUGH = 0.01
SWITCH = 0.01  # voiced <-> unvoiced per frame
MAX_RATE = 35.92  # octaves per second, pYIN's limit
MAX_TROUGHS = 16


@dataclass
class PitchTrack:
    """Per frame: time (s), f0 in Hz (nan when unvoiced), voicing probability, RMS level."""

    times: np.ndarray
    f0: np.ndarray
    voiced_prob: np.ndarray
    rms: np.ndarray
    hop_s: float

    @property
    def voiced(self) -> np.ndarray:
        return np.isfinite(self.f0)

    @property
    def midi(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return 69.0 + 12.0 * np.log2(self.f0 / 440.0)


def _fast_len(n: int) -> int:
    """The smallest 2^a·3^b·5^c ≥ n: FFT sizes pocketfft does fastest."""
    best = 1 << int(np.ceil(np.log2(n)))
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            size = p35
            while size < n:
                size *= 2
            best = min(best, size)
            p35 *= 3
        p5 *= 5
    return best


def _cmnd(frames: np.ndarray, max_period: int) -> np.ndarray:
    """YIN's cumulative mean normalised difference, (periods 0..max_period) × frames."""
    from scipy import fft

    n = frames.shape[0]
    window = n - max_period  # the part of the frame every lag compares
    size = _fast_len(n + window)
    frames = frames.astype(np.float32)
    head = fft.rfft(frames[:window], size, axis=0, workers=2)
    whole = fft.rfft(frames, size, axis=0, workers=2)
    acf = fft.irfft(np.conj(head) * whole, size, axis=0, workers=2)[: max_period + 1]
    energy = np.cumsum(frames.astype(np.float64) ** 2, axis=0)
    total = energy[window - 1]
    lagged = energy[np.arange(window - 1, window + max_period)] - np.concatenate(
        [np.zeros((1, frames.shape[1])), energy[: max_period]], axis=0)
    diff = total[None, :] + lagged - 2.0 * acf
    diff[0] = 0.0
    diff = np.maximum(diff, 0.0)
    running = np.cumsum(diff[1:], axis=0) / np.arange(1, max_period + 1)[:, None]
    out = np.ones_like(diff)
    out[1:] = diff[1:] / np.maximum(running, 1e-12)
    return out


def _beta_probs() -> np.ndarray:
    """Weights of the thresholds 0.01..1 under Beta(2, 18): differences of its CDF, which for
    whole-number parameters is a binomial tail (no scipy.stats: it costs a second to import)."""
    from math import comb

    a, b = int(BETA[0]), int(BETA[1])
    x = np.linspace(0, 1, N_THRESHOLDS + 1)
    n = a + b - 1
    cdf = sum(comb(n, j) * x**j * (1 - x) ** (n - j) for j in range(a, n + 1))
    return np.diff(cdf)


def _observations(cmnd: np.ndarray, sr: int, min_period: int, n_bins: int, per_semitone: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """pYIN's candidates: (bin probabilities (bins × frames), voiced prob, best candidate f0
    per bin as an (frames, K) pair of arrays flattened into f0 and bin)."""
    y = cmnd[min_period:]  # periods min_period.. ; rows = lag
    lags, frames = y.shape
    # troughs: local minima (the first lag counts when it is below the next)
    trough = np.zeros_like(y, dtype=bool)
    trough[1:-1] = (y[1:-1] < y[:-2]) & (y[1:-1] <= y[2:])
    trough[0] = y[0] < y[1]
    heights = np.where(trough, y, np.inf)
    # keep the MAX_TROUGHS lowest troughs, ordered by period (pYIN's prior favours short ones)
    k = min(MAX_TROUGHS, lags)
    lowest = np.argpartition(heights, k - 1, axis=0)[:k]
    lowest.sort(axis=0)
    h = np.take_along_axis(heights, lowest, axis=0)  # k × frames
    valid = np.isfinite(h)
    thresholds = np.linspace(0, 1, N_THRESHOLDS + 1)[1:]
    beta = _beta_probs()
    below = (h[:, :, None] < thresholds[None, None, :]) & valid[:, :, None]  # k × T × thr
    position = np.cumsum(below, axis=0, dtype=np.int16) - 1
    count = below.sum(axis=0, dtype=np.int16)  # T × thr
    lam = BOLTZMANN
    with np.errstate(divide="ignore", invalid="ignore"):
        prior = (1 - np.exp(-lam)) * np.exp(-lam * position) / (1 - np.exp(-lam * count))[None]
    prior = np.where(below, prior, 0.0)
    probs = prior @ beta  # k × T
    # no trough below a threshold: that threshold's weight goes to the global minimum
    gmin = np.argmin(np.where(valid, h, np.inf), axis=0)
    gh = h[gmin, np.arange(frames)]
    none_below = (gh[:, None] >= thresholds[None, :]).astype(float) @ beta
    probs[gmin, np.arange(frames)] += NO_TROUGH * none_below * np.isfinite(gh)
    # parabolic interpolation of each trough's period
    lag = lowest
    left = np.take_along_axis(y, np.clip(lag - 1, 0, lags - 1), axis=0)
    mid = np.take_along_axis(y, lag, axis=0)
    right = np.take_along_axis(y, np.clip(lag + 1, 0, lags - 1), axis=0)
    denom = left - 2 * mid + right
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(np.abs(denom) > 1e-12, 0.5 * (left - right) / denom, 0.0)
    shift = np.clip(np.nan_to_num(shift), -1, 1)
    shift[(lag == 0) | (lag == lags - 1)] = 0.0
    f0 = sr / (min_period + lag + shift)
    bins = np.round(12 * per_semitone * np.log2(np.maximum(f0, 1e-6) / FMIN)).astype(int)
    ok = valid & (probs > 0) & (bins >= 0) & (bins < n_bins)
    obs = np.zeros((n_bins, frames))
    np.add.at(obs, (bins[ok], np.nonzero(ok)[1]), probs[ok])
    voiced_prob = np.clip(obs.sum(axis=0), 0, 1)
    cand_f0 = np.where(ok, f0, np.nan)
    cand_p = np.where(ok, probs, 0.0)
    return obs, voiced_prob, np.stack([cand_f0, cand_p, np.where(ok, bins, -1)])


def _viterbi(obs: np.ndarray, voiced_prob: np.ndarray, half_width: int) -> np.ndarray:
    """Most likely state per frame; states 0..S-1 voiced pitch bins, S..2S-1 unvoiced.

    The transition within a voicing is a triangle over ±half_width bins (normalised per
    source row, as librosa's `transition_local`), times 1-SWITCH to stay voiced/unvoiced or
    SWITCH to change."""
    n_bins, _ = obs.shape
    offsets = np.arange(-half_width, half_width + 1)
    tri = (half_width + 1 - np.abs(offsets)).astype(float)
    src = np.arange(n_bins)
    norm = np.zeros(n_bins)
    for d, w in zip(offsets, tri, strict=True):
        norm += np.where((src + d >= 0) & (src + d < n_bins), w, 0.0)
    with np.errstate(divide="ignore"):
        log_obs_v = np.log(obs + 1e-300)
        log_obs_u = np.log((1 - voiced_prob) / n_bins + 1e-300)
    return _decode(np.ascontiguousarray(log_obs_v), log_obs_u, np.log(tri), np.log(norm),
                   float(np.log(1 - SWITCH)), float(np.log(SWITCH)))


def _decode_py(log_obs_v: np.ndarray, log_obs_u: np.ndarray, log_tri: np.ndarray,
               log_norm: np.ndarray, stay: float, switch: float) -> np.ndarray:
    """The banded Viterbi (compiled by numba below): O(frames × bins × band)."""
    n_bins, frames = log_obs_v.shape
    half = (len(log_tri) - 1) // 2
    start = np.log(2.0 * n_bins)
    dv = log_obs_v[:, 0] - start
    du = np.full(n_bins, log_obs_u[0] - start)
    nv = np.empty(n_bins)
    nu = np.empty(n_bins)
    back = np.empty((frames, 2, n_bins), np.int32)  # source bin; -1-bin when unvoiced
    for t in range(1, frames):
        for j in range(n_bins):
            best_v = -np.inf
            best_u = -np.inf
            src_v = 0
            src_u = -1
            for k in range(2 * half + 1):
                i = j - (k - half)
                if i < 0 or i >= n_bins:
                    continue
                w = log_tri[k] - log_norm[i]
                a = dv[i] + stay + w
                if a > best_v:
                    best_v, src_v = a, i
                a = du[i] + switch + w
                if a > best_v:
                    best_v, src_v = a, -1 - i
                a = du[i] + stay + w
                if a > best_u:
                    best_u, src_u = a, -1 - i
                a = dv[i] + switch + w
                if a > best_u:
                    best_u, src_u = a, i
            nv[j] = best_v + log_obs_v[j, t]
            nu[j] = best_u + log_obs_u[t]
            back[t, 0, j] = src_v
            back[t, 1, j] = src_u
        dv[:] = nv
        du[:] = nu
    states = np.empty(frames, np.int64)
    if dv.max() >= du.max():
        row, b = 0, int(np.argmax(dv))
    else:
        row, b = 1, int(np.argmax(du))
    for t in range(frames - 1, -1, -1):
        states[t] = b if row == 0 else n_bins + b
        if t == 0:
            break
        code = back[t, row, b]
        if code >= 0:
            row, b = 0, code
        else:
            row, b = 1, -1 - code
    return states


def _compiled():  # type: ignore[no-untyped-def]
    try:
        from numba import njit
    except ImportError:  # numba comes with librosa; without it the loop runs in Python
        return _decode_py
    return njit(cache=True, nogil=True)(_decode_py)


_decode = _compiled()


def track(samples: np.ndarray, sr: int = SR, *, fmin: float = FMIN, fmax: float = FMAX,
          hop: int = HOP, frame: int = FRAME) -> PitchTrack:
    """pYIN over a mono signal already at `sr` (`load_mono(path, SR)`)."""
    y = np.asarray(samples, dtype=np.float64)
    y = np.pad(y, (frame // 2, frame // 2))
    count = 1 + max(0, (len(y) - frame) // hop)
    frames = np.lib.stride_tricks.sliding_window_view(y, frame)[::hop][:count].T
    rms = np.sqrt(np.mean(frames**2, axis=0))
    min_period = int(np.floor(sr / fmax))
    max_period = min(int(np.ceil(sr / fmin)), frame - 1)
    per_semitone = int(round(1 / RESOLUTION))
    n_bins = int(np.floor(12 * per_semitone * np.log2(fmax / fmin))) + 1
    times = np.arange(count) * hop / sr
    if count < 2 or not np.any(rms > 1e-6):
        return PitchTrack(times, np.full(count, np.nan), np.zeros(count), rms, hop / sr)
    obs_all = np.zeros((n_bins, count))
    vp_all = np.zeros(count)
    cands = np.zeros((3, MAX_TROUGHS, count))
    cands[2] = -1
    chunk = 2048  # frames per block: bounds memory of the candidate arrays
    for start in range(0, count, chunk):
        block = frames[:, start:start + chunk]
        cmnd = _cmnd(block - block.mean(axis=0), max_period)
        obs, vp, cand = _observations(cmnd, sr, min_period, n_bins, per_semitone)
        obs_all[:, start:start + chunk] = obs
        vp_all[start:start + chunk] = vp
        cands[:, : cand.shape[1], start:start + chunk] = cand
    quiet = rms < max(1e-4, 10 ** (-60 / 20) * float(rms.max()))
    obs_all[:, quiet] = 0.0
    vp_all[quiet] = 0.0
    max_semitones = round(MAX_RATE * 12 * hop / sr)
    states = _viterbi(obs_all, vp_all, max(1, max_semitones * per_semitone))
    voiced = states < n_bins
    bins = states % n_bins
    f0 = FMIN * 2 ** (bins / (12 * per_semitone))
    # exact frequency: the strongest candidate within a bin of the decoded one
    near = np.abs(cands[2] - bins[None, :]) <= 1
    weight = np.where(near, cands[1], 0.0)
    best = np.argmax(weight, axis=0)
    has = weight[best, np.arange(count)] > 0
    exact = cands[0][best, np.arange(count)]
    f0 = np.where(has, exact, f0)
    f0 = np.where(voiced, f0, np.nan)
    return PitchTrack(times, f0, vp_all, rms, hop / sr)
