"""Preview levels: DC removal, a quick BS.1770 loudness reading, gain to a target, a peak
limiter with a true-peak check, and the 16-bit WAV writer.

The render path never makes a song-sized temporary and reads the audio only twice. While
the synth renders, `BlockStats.measure` reads each finished stretch (still in cache): per
~100 ms sub-block the K-weighted power, and per ~5.6 ms limiter block each channel's max,
min, sum and sum of squares. `plan_levels` then works on those small arrays alone: the DC
estimate, the gain to the loudness target, the limiter's gain curve, the loudness after
limiting and the tail to keep; only the few blocks that could hold an inter-sample peak
over the ceiling are read again and oversampled. `write_wav` is the one pass that changes
samples: subtract the DC, apply the gain curve, round to 16 bits, write, a chunk at a time.

Loudness: the K-weighting is applied in the frequency domain on each sub-block (Parseval:
the block's filtered power is its power spectrum weighted by |H|^2), then the standard
400 ms / 75 % overlap blocks, the -70 LUFS absolute gate and the -10 LU relative gate.
That skips the filter's memory across block edges, which moves the reading by a few
hundredths of a LU on music - plenty for aiming a preview at -15 LUFS. The analysis area
owns the full-precision meter.

DC: some soundfont samples carry a DC offset (FluidR3_GM's "Pad 2 (warm)" is mostly DC:
mean 0.0030 against an RMS of 0.0042 on its own), which wastes headroom and trips the mix
analyser's DC rule. The DC estimate is the mean of each limiter block smoothed by two
centred 100 ms moving averages; subtracting it is a zero-phase high-pass with its -3 dB
point near 4 Hz (-0.4 dB at 15 Hz, nothing measurable at 40 Hz) that costs no pass of
its own: it rides along with the gain in `write_wav`.

Audio here is channel-first, `(channels, frames)` (or one mono row): that is how the
synth writes it, and every pass then runs over contiguous memory.
"""

from __future__ import annotations

import math
import os
import struct
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

TARGET_LUFS = -15.0  # the middle of the -18..-12 window: loud enough, little limiting
CEILING_DBFS = -1.2  # sample peaks: 0.2 dB under the -1 dBFS promise, for 16-bit rounding
TRUE_PEAK_DBTP = -1.05  # inter-sample peaks: 0.05 dB under -1 dBTP
SILENCE_DBFS = -70.0
TAIL_FLOOR_DBFS = -66.0  # the release tail is cut where it falls under this...
FADE_S = 0.02  # ...with a fade-out this long
DC_WINDOW_S = 0.1  # each of the two moving averages of the DC estimate
SUBS_PER_LIMITER_BLOCK = 18
RELEASE_DB, ATTACK_DB = 1.0 / 3, 3.0  # limiter gain change per limiter block
PCM_SCALE = 32767.0


def limiter_block(rate: int) -> int:
    """Frames per limiter block (~5.6 ms): 245 at 44.1 kHz."""
    return max(8, round(rate / 180))


def sub_block(rate: int) -> int:
    """Frames per loudness sub-block: 18 limiter blocks, ~100 ms (exactly 4410 at 44.1 kHz)."""
    return SUBS_PER_LIMITER_BLOCK * limiter_block(rate)


def padded_length(frames: int, rate: int) -> int:
    """`frames` rounded up to whole sub-blocks: the length of a buffer `BlockStats` reads."""
    sub = sub_block(rate)
    return -(-frames // sub) * sub


# ---------------------------------------------------------------- loudness


def _biquad_response(b: tuple[float, float, float], a: tuple[float, float, float], w: np.ndarray) -> np.ndarray:
    z1 = np.exp(-1j * w)
    z2 = z1 * z1
    return np.abs((b[0] + b[1] * z1 + b[2] * z2) / (a[0] + a[1] * z1 + a[2] * z2)) ** 2


def k_weighting_power(rate: int, n: int) -> np.ndarray:
    """|H(f)|^2 of the BS.1770 K filter (shelf + high-pass) on the rfft bins of length `n`.

    Coefficients come from the analogue prototypes (as libebur128 does), so any sample
    rate works; at 48 kHz they match the standard's published ones.
    """
    w = 2 * np.pi * np.fft.rfftfreq(n, 1.0 / rate) / rate
    # stage 1: high shelf, +4 dB above ~1.7 kHz
    gain_db, q, fc = 3.99984385397, 0.7071752369554193, 1681.9744509555319
    k = math.tan(math.pi * fc / rate)
    vh, vb = 10 ** (gain_db / 20), (10 ** (gain_db / 20)) ** 0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf_b = ((vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0)
    shelf_a = (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0)
    # stage 2: high-pass at ~38 Hz
    q2, fc2 = 0.5003270373238773, 38.13547087602444
    k2 = math.tan(math.pi * fc2 / rate)
    a02 = 1 + k2 / q2 + k2 * k2
    hp_b = (1.0, -2.0, 1.0)
    hp_a = (1.0, 2 * (k2 * k2 - 1) / a02, (1 - k2 / q2 + k2 * k2) / a02)
    return _biquad_response(shelf_b, shelf_a, w) * _biquad_response(hp_b, hp_a, w)


@lru_cache(maxsize=8)
def _power_weights(rate: int, sub: int) -> tuple[int, float, np.ndarray]:
    """(decimation, flat gain, spectrum weights) for `block_powers`; see there."""
    down = 3 if rate >= 32000 and sub % 3 == 0 else 1
    size = sub // down
    freqs = np.fft.rfftfreq(size, down / rate)  # bin spacing rate/sub, as for the full block
    full = k_weighting_power(rate, sub)
    k2 = full[: len(freqs)]
    flat = float(full[-1]) if down > 1 else 0.0
    weight = k2 - flat
    if down > 1:  # undo the 3-sample average's droop: |H(f)| = |sin(3 pi f/fs) / (3 sin(pi f/fs))|
        w = np.pi * freqs / rate
        droop = np.ones_like(w)
        droop[1:] = (np.sin(down * w[1:]) / (down * np.sin(w[1:]))) ** 2
        weight = weight * down * down / np.maximum(droop, 1e-6)
    weight[1:] *= 2  # Parseval for a real FFT: interior bins count twice
    if size % 2 == 0:
        weight[-1] /= 2
    # real and imaginary parts side by side: |X|^2 . w == (v * v) . (w repeated twice)
    return down, flat, np.repeat(weight / (sub * sub), 2).astype(np.float32)


def _rows(audio: np.ndarray) -> np.ndarray:
    """(channels, frames) view of channel-first or mono audio."""
    return audio.reshape(1, -1) if audio.ndim == 1 else audio


def block_powers(audio: np.ndarray, rate: int, which: np.ndarray | None = None) -> np.ndarray:
    """K-weighted mean square of each ~100 ms sub-block, summed over channels (G = 1 for L/R).

    `which` limits the work to those sub-block indices (the result has one value each).
    The K filter's gain is flat (about +4 dB) above ~7 kHz, so the power is that gain times
    the plain mean square (cheap, exact) plus a correction that only lives below ~7 kHz,
    read from the spectrum of the block decimated by 3 (a 3-sample average; its droop is
    divided out, and what it folds down from above 7 kHz is tiny and nearly evenly
    weighted). A third of the FFT work of the direct method, within 0.05 LU of it.
    """
    x = _rows(audio)
    sub = sub_block(rate)
    blocks = x.shape[1] // sub
    if which is not None:
        x = x[:, : blocks * sub].reshape(len(x), blocks, sub)[:, which].reshape(len(x), -1)
        blocks = len(which)
    power = np.zeros(blocks)
    if blocks == 0:
        return power
    down, flat, weight2 = _power_weights(rate, sub)
    step = 128  # sub-blocks per batch (~13 s): bounds the temporary arrays
    for row in x:
        for first in range(0, blocks, step):
            last = min(blocks, first + step)
            frames = np.ascontiguousarray(row[first * sub : last * sub], dtype=np.float32)
            frames = frames.reshape(last - first, sub)
            if flat:
                power[first:last] += flat * np.einsum("ij,ij->i", frames, frames) / sub
                # strided adds: ~20x faster than summing a (.., 3) axis
                decimated = frames[:, 0::down] + frames[:, 1::down]
                for i in range(2, down):
                    decimated += frames[:, i::down]
                decimated *= np.float32(1 / down)
                frames = decimated
            spectrum = np.fft.rfft(frames, axis=1)
            pairs = spectrum.view(np.float32)
            pairs *= pairs
            power[first:last] += pairs @ weight2
    return power


def gated_loudness(power: np.ndarray) -> float:
    """BS.1770 integrated loudness from 100 ms sub-block powers (400 ms blocks, 75 % overlap)."""
    if len(power) < 4:
        return -math.inf
    window = np.convolve(power, np.ones(4) / 4, mode="valid")
    loud = -0.691 + 10 * np.log10(np.maximum(window, 1e-20))
    kept = window[loud > -70.0]
    if kept.size == 0:
        return -math.inf
    relative = -0.691 + 10 * math.log10(kept.mean()) - 10.0
    kept = window[(loud > -70.0) & (loud > relative)]
    return -0.691 + 10 * math.log10(kept.mean())


def integrated_lufs(audio: np.ndarray, rate: int) -> float:
    """Integrated loudness (LUFS) of float audio shaped (channels, frames) or (frames,)."""
    return gated_loudness(block_powers(audio, rate))


def peak_dbfs(audio: np.ndarray) -> float:
    peak = max(float(audio.max()), -float(audio.min())) if audio.size else 0.0
    return 20 * math.log10(peak) if peak > 0 else -math.inf


# ---------------------------------------------------------------- block statistics


class BlockStats:
    """Per-block figures of float audio shaped (channels, `length`), filled a stretch at a time.

    `length` is the frames rounded up to whole sub-blocks (`padded_length`); the buffer
    measured must be that long (zeros past the music). Different threads may measure
    different sub-blocks at once: each writes only its own slice.
    """

    def __init__(self, channels: int, frames: int, rate: int) -> None:
        self.rate = rate
        self.block = limiter_block(rate)
        self.sub = sub_block(rate)
        self.subs = -(-frames // self.sub)
        self.length = self.subs * self.sub
        blocks = self.subs * SUBS_PER_LIMITER_BLOCK
        self.power = np.zeros(self.subs)
        """K-weighted power of each sub-block, channels summed."""
        self.top = np.zeros((channels, blocks), dtype=np.float32)
        self.bottom = np.zeros((channels, blocks), dtype=np.float32)
        self.total = np.zeros((channels, blocks))
        """Sum of each limiter block's samples, per channel."""
        self.energy = np.zeros((channels, blocks))
        """Sum of squares of each limiter block, per channel."""
        self.bend = np.zeros((channels, blocks), dtype=np.float32)
        """Largest |second difference| in each limiter block (for the true-peak bound)."""
        self.done = np.zeros(self.subs, dtype=bool)

    def measure(self, audio: np.ndarray, first: int, last: int) -> None:
        """Read sub-blocks `first`..`last - 1` of `audio`."""
        if last <= first:
            return
        lo, hi = first * self.sub, last * self.sub
        self.power[first:last] = block_powers(audio[:, lo:hi], self.rate)
        b0, b1 = first * SUBS_PER_LIMITER_BLOCK, last * SUBS_PER_LIMITER_BLOCK
        for c, row in enumerate(audio):
            x = row[lo:hi].reshape(b1 - b0, self.block)
            # fmax/fmin: no NaN bookkeeping, twice as fast as max/min along short rows
            np.fmax.reduce(x, axis=1, out=self.top[c, b0:b1])
            np.fmin.reduce(x, axis=1, out=self.bottom[c, b0:b1])
            self.total[c, b0:b1] = x.sum(axis=1)
            self.energy[c, b0:b1] = np.einsum("ij,ij->i", x, x)
            # |x[n+1] - 2 x[n] + x[n-1]| inside the stretch; its two ends are done by `finish`
            d = np.diff(row[lo:hi])
            bend = np.empty(hi - lo, dtype=np.float32)
            bend[0] = bend[-1] = 0.0
            np.subtract(d[1:], d[:-1], out=bend[1:-1])
            np.abs(bend, out=bend)
            np.fmax.reduce(bend.reshape(b1 - b0, self.block), axis=1, out=self.bend[c, b0:b1])
        self.done[first:last] = True

    def measure_rest(self, audio: np.ndarray) -> None:
        """Measure every sub-block not measured yet (in contiguous runs), then `finish`."""
        missing = np.flatnonzero(~self.done)
        if missing.size:
            breaks = np.flatnonzero(np.diff(missing) > 1)
            starts = np.concatenate(([missing[0]], missing[breaks + 1]))
            ends = np.concatenate((missing[breaks], [missing[-1]])) + 1
            for first, last in zip(starts.tolist(), ends.tolist(), strict=True):
                self.measure(audio, first, last)
        self.finish(audio)

    def finish(self, audio: np.ndarray) -> None:
        """The second differences at the sub-block edges, which `measure` leaves out
        (their neighbours may not have been rendered yet); outside the buffer is silence."""
        edges = np.arange(0, self.length + 1, self.sub)
        at = np.sort(np.concatenate((edges, edges - 1)))  # no duplicates: edges are a sub-block apart
        at = at[(at >= 0) & (at < self.length)]
        for c, row in enumerate(audio):
            before = np.where(at > 0, row[np.maximum(at - 1, 0)], 0.0)
            after = np.where(at + 1 < self.length, row[np.minimum(at + 1, self.length - 1)], 0.0)
            bend = np.abs(after - 2 * row[at] + before).astype(np.float32)
            np.maximum.at(self.bend[c], at // self.block, bend)


def measure(audio: np.ndarray, rate: int) -> tuple[np.ndarray, BlockStats]:
    """Block statistics of a whole buffer; returns (the buffer zero-padded if needed, stats)."""
    x = _rows(audio)
    stats = BlockStats(x.shape[0], x.shape[1], rate)
    if stats.length != x.shape[1]:
        padded = np.zeros((x.shape[0], stats.length), dtype=np.float32)
        padded[:, : x.shape[1]] = x
        x = padded
    stats.measure(x, 0, stats.subs)
    stats.finish(x)
    return x, stats


# ---------------------------------------------------------------- the plan


@dataclass
class LevelPlan:
    """How to turn the synth's float audio into the file: y = (x - dc) * gain * nodes."""

    gain: float
    nodes: np.ndarray
    """Limiter gain (<= 1) at each limiter-block edge, linear inside a block."""
    dc: np.ndarray
    """DC estimate per channel at each limiter-block edge, linear inside a block."""
    block: int
    stop: int
    """Frames to keep."""
    fade: int
    """Frames of fade-out at the end."""
    lufs: float
    true_peak_dbtp: float


def _smooth(values: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average of `width` along the last axis (over what exists at the edges)."""
    n = values.shape[-1]
    sums = np.zeros(values.shape[:-1] + (n + 1,))
    np.cumsum(values, axis=-1, out=sums[..., 1:])
    idx = np.arange(n)
    lo = np.clip(idx - width // 2, 0, n)
    hi = np.clip(idx - width // 2 + width, 0, n)
    return (sums[..., hi] - sums[..., lo]) / (hi - lo)


def _edges(values: np.ndarray) -> np.ndarray:
    """Block values -> values at the block edges (neighbours averaged)."""
    out = np.empty(values.shape[:-1] + (values.shape[-1] + 1,))
    out[..., 0], out[..., -1] = values[..., 0], values[..., -1]
    out[..., 1:-1] = (values[..., 1:] + values[..., :-1]) / 2
    return out


def dc_edges(stats: BlockStats) -> np.ndarray:
    """The slowly varying DC of each channel at each limiter-block edge."""
    means = stats.total / stats.block
    width = max(1, round(DC_WINDOW_S * stats.rate / stats.block))
    return _edges(_smooth(_smooth(means, width), width))


def limiter_nodes(need: np.ndarray) -> np.ndarray:
    """Gain at each block edge such that the gain, linear inside a block, never exceeds
    that block's `need`; it falls at most ATTACK_DB per block ahead of a peak (look-ahead)
    and rises at most RELEASE_DB per block after it. Both are running minima: no Python
    loop over blocks."""
    count = len(need)
    nodes = np.ones(count + 1)
    nodes[:-1] = need
    nodes[1:] = np.minimum(nodes[1:], need)
    if nodes.min() >= 1.0:
        return nodes
    db = 20 * np.log10(np.maximum(nodes, 1e-12))
    idx = np.arange(count + 1, dtype=np.float64)
    db = np.minimum.accumulate(db - RELEASE_DB * idx) + RELEASE_DB * idx
    db = (np.minimum.accumulate(db[::-1] - ATTACK_DB * idx) + ATTACK_DB * idx)[::-1]
    return np.minimum(1.0, 10 ** (db / 20))


def _block_peaks(stats: BlockStats, dc: np.ndarray) -> np.ndarray:
    """Largest |x - dc| of each limiter block over all channels (dc linear inside a block)."""
    low = np.minimum(dc[:, :-1], dc[:, 1:])
    high = np.maximum(dc[:, :-1], dc[:, 1:])
    return np.max(np.maximum(stats.top - low, high - stats.bottom), axis=0)


def _centred_energy(stats: BlockStats, dc: np.ndarray) -> np.ndarray:
    """Sum of (x - dc)^2 of each limiter block over all channels."""
    mid = (dc[:, :-1] + dc[:, 1:]) / 2
    energy = stats.energy - 2 * mid * stats.total + stats.block * mid * mid
    return np.maximum(energy, 0.0).sum(axis=0)


def _loudness_with(power: np.ndarray, energy: np.ndarray, gain: float, nodes: np.ndarray) -> float:
    """Loudness after the gain and the limiter: each limited sub-block's power scaled by the
    energy-weighted mean of the squared gain over its limiter blocks."""
    g0, g1 = nodes[:-1], nodes[1:]
    mean_sq = (g0 * g0 + g0 * g1 + g1 * g1) / 3  # mean of g^2 for g linear from g0 to g1
    e = energy.reshape(-1, SUBS_PER_LIMITER_BLOCK)
    w = mean_sq.reshape(-1, SUBS_PER_LIMITER_BLOCK)
    total = e.sum(axis=1)
    factor = np.where(total > 0, (e * w).sum(axis=1) / np.maximum(total, 1e-30), w.mean(axis=1))
    return gated_loudness(power * factor * gain * gain)


TP_PIECE = 64  # frames interpolated per matrix product (as in the mix analyser's meter)


@lru_cache(maxsize=4)
def _tp_weights(piece: int, rate: int) -> tuple[np.ndarray, float, float]:
    """(matrix, alpha, c2): oversampling `piece` frames as one matrix product.

    Input rows are the piece plus the filter's taps - 1 frames before it; the output has
    the oversampling factor's interpolated points per frame. The bank and the bound's
    constants come from the mix analyser's true-peak meter (BS.1770-4 Annex 2).
    """
    from assistant.analysis.truepeak import interpolator, oversampling_factor

    interp = interpolator(oversampling_factor(rate))
    h = interp.h
    phases, taps = h.shape
    weights = np.zeros((piece + taps - 1, piece * phases), dtype=np.float32)
    k = np.arange(taps)
    for p in range(phases):
        for j in range(piece):
            weights[j + taps - 1 - k, j * phases + p] = h[p]
    return weights, interp.alpha, interp.c2


def _windows(audio: np.ndarray, plan: LevelPlan, blocks: np.ndarray, before: int) -> np.ndarray:
    """The written values (before rounding) of each of `blocks` plus the `before` frames
    ahead of it, shaped (channels, len(blocks), before + block); zeros outside 0..stop."""
    block = plan.block
    j = np.arange(-before, block)
    pos = blocks[:, None] * block + j[None, :]
    own = j >= 0  # the first `before` frames belong to the block before
    b0 = np.where(own[None, :], blocks[:, None], np.maximum(blocks[:, None] - 1, 0))
    frac = np.where(own, j, j + block).astype(np.float32) / block
    gain = (plan.nodes[b0] + (plan.nodes[b0 + 1] - plan.nodes[b0]) * frac).astype(np.float32)
    gain *= np.float32(plan.gain)
    if plan.fade:
        gain *= np.clip((plan.stop - pos) / plan.fade, 0.0, 1.0).astype(np.float32)
    gain[(pos < 0) | (pos >= plan.stop)] = 0.0
    safe = np.clip(pos, 0, audio.shape[1] - 1)
    out = np.empty((audio.shape[0],) + pos.shape, dtype=np.float32)
    for c in range(audio.shape[0]):
        dc = plan.dc[c, b0] + (plan.dc[c, b0 + 1] - plan.dc[c, b0]) * frac
        np.multiply(audio[c, safe] - dc.astype(np.float32), gain, out=out[c])
    return out


def block_true_peaks(
    audio: np.ndarray, plan: LevelPlan, blocks: np.ndarray, rate: int
) -> tuple[np.ndarray, np.ndarray]:
    """True peak of the written signal in each of `blocks` (limiter-block indices).

    Returns (peak of the interpolated points at the block's first taps/2 frames, which
    may lie in the block before, peak of the rest). Each block is read in pieces of
    TP_PIECE frames; a piece whose bound (alpha * max|y| + c2 * max|second difference|,
    see `assistant.analysis.truepeak`) is under the ceiling is not interpolated and
    reads as that bound.
    """
    piece = min(TP_PIECE, plan.block)
    weights, alpha, c2 = _tp_weights(piece, rate)
    taps = weights.shape[0] - piece + 1
    phases = weights.shape[1] // piece
    window = _windows(audio, plan, blocks, taps - 1)
    offsets = [*range(0, plan.block - piece, piece), plan.block - piece]  # the last may overlap
    rows = np.stack([window[:, :, o : o + piece + taps - 1] for o in offsets], axis=2)
    shape = rows.shape[:3]  # (channels, blocks, pieces)
    rows = rows.reshape(-1, rows.shape[-1])
    d2 = np.abs(rows[:, 2:] - 2 * rows[:, 1:-1] + rows[:, :-2]).max(axis=1)
    bound = alpha * np.abs(rows).max(axis=1) + c2 * d2  # >= every interpolated |value|
    head, rest = bound.copy(), bound.copy()
    check = np.flatnonzero(bound > 10 ** (TRUE_PEAK_DBTP / 20))
    if check.size:
        y = np.abs(rows[check] @ weights).reshape(check.size, piece, phases).max(axis=2)
        split = taps // 2
        head[check] = y[:, :split].max(axis=1)
        rest[check] = y[:, split:].max(axis=1)
    head, rest = head.reshape(shape), rest.reshape(shape)
    first = head[:, :, 0]  # only the first piece reaches into the block before
    later = rest.max(axis=2)
    if shape[2] > 1:
        later = np.maximum(later, head[:, :, 1:].max(axis=2))
    return first.max(axis=0), later.max(axis=0)


def plan_levels(
    audio: np.ndarray,
    stats: BlockStats,
    frames: int,
    end: int | None = None,
    target_lufs: float | None = TARGET_LUFS,
    ceiling_dbfs: float = CEILING_DBFS,
) -> LevelPlan:
    """Plan DC removal, gain, limiting and the tail from `stats` of `audio` (padded buffer).

    `target_lufs=None` scales the highest peak to the ceiling instead (no limiting: for a
    click, which is all transients). `end` is where the music stops: the release tail
    after it is cut where it falls under TAIL_FLOOR_DBFS, with a FADE_S fade-out
    (`end=None` keeps all `frames`, no fade). Every sample stays under `ceiling_dbfs` and
    every inter-sample peak under TRUE_PEAK_DBTP.
    """
    rate, block = stats.rate, stats.block
    dc = dc_edges(stats)
    peaks = _block_peaks(stats, dc)
    energy = _centred_energy(stats, dc)
    ceiling = 10 ** (ceiling_dbfs / 20)
    highest = float(peaks.max()) if peaks.size else 0.0
    nodes = np.ones(len(peaks) + 1)
    need = np.ones(len(peaks))
    plan = LevelPlan(1.0, nodes, dc, block, frames, 0, -math.inf, -math.inf)
    if highest <= 0.0:  # digital silence
        return plan
    lufs = gated_loudness(stats.power)
    limiting = target_lufs is not None and math.isfinite(lufs)
    if not limiting:
        plan.gain = ceiling / highest
    else:
        assert target_lufs is not None
        # Limiting a very peaky mix lowers its loudness; a few rounds of "make up the
        # difference, limit again" bring it back to the target (only the spikes get squeezed).
        after = lufs
        gain = 1.0
        for _ in range(4):
            gain *= 10 ** ((target_lufs - after) / 20)
            need = np.minimum(1.0, ceiling / np.maximum(gain * peaks, 1e-30))
            nodes = limiter_nodes(need)
            after = _loudness_with(stats.power, energy, gain, nodes)
            if after >= target_lufs - 0.5:
                break
        plan.gain, plan.nodes = gain, nodes
    if end is not None:
        _plan_tail(plan, peaks, end, rate)
    bends = np.max(stats.bend, axis=0).astype(np.float64)
    _limit_true_peak(audio, plan, peaks, bends, need if limiting else None, rate)
    plan.lufs = _loudness_with(stats.power, energy, plan.gain, plan.nodes) if math.isfinite(lufs) else lufs
    return plan


def _plan_tail(plan: LevelPlan, peaks: np.ndarray, end: int, rate: int) -> None:
    """Cut the release tail where it falls under TAIL_FLOOR_DBFS, with a fade-out."""
    floor = 10 ** (TAIL_FLOOR_DBFS / 20)
    first = min(len(peaks), end // plan.block)
    level = plan.gain * peaks[first:] * np.maximum(plan.nodes[first:-1], plan.nodes[first + 1 :])
    loud = np.flatnonzero(level > floor)
    last_loud = (first + int(loud[-1]) + 1) * plan.block if loud.size else end
    plan.fade = round(FADE_S * rate)
    plan.stop = min(plan.stop, max(end, last_loud) + plan.fade)
    plan.fade = min(plan.fade, plan.stop)


def _true_peak_candidates(
    plan: LevelPlan, peaks: np.ndarray, bends: np.ndarray, alpha: float, c2: float, threshold: float
) -> np.ndarray:
    """Blocks whose written signal may pass `threshold` between samples (a mask).

    An interpolated value is at most alpha * max|y| + c2 * max|second difference of y|
    over the filter's reach (see `assistant.analysis.truepeak`), which spans the block
    and the end of the one before. With y = (x - dc) * gain, the second difference of y
    is bounded by the gain times x's, plus terms from the gain's slope and from the DC
    curve's kinks at block edges (both tiny, bounded generously here).
    """
    g0, g1 = plan.nodes[:-1], plan.nodes[1:]
    gmax = np.maximum(g0, g1)
    slope = np.abs(g1 - g0) / plan.block
    steep = np.maximum(slope, np.concatenate(([0.0], slope[:-1])))
    dc_slope = np.abs(np.diff(plan.dc, axis=1)).max(axis=0) / plan.block
    level = peaks * gmax
    curve = bends * gmax + 6 * steep * peaks + 2 * dc_slope
    level[1:] = np.maximum(level[1:], level[:-1])
    curve[1:] = np.maximum(curve[1:], curve[:-1])
    return plan.gain * (alpha * level + c2 * curve) > threshold


def _limit_true_peak(
    audio: np.ndarray, plan: LevelPlan, peaks: np.ndarray, bends: np.ndarray, need: np.ndarray | None, rate: int
) -> None:
    """Lower the gain where the oversampled signal would pass TRUE_PEAK_DBTP.

    Candidates come from the block statistics alone (`_true_peak_candidates`); they are
    read again and interpolated where their actual values allow an over (a few hundred
    blocks of a three-minute song). With the limiter (`need` given), each offending
    block's need drops by its excess, the gain curve is planned again and the blocks
    whose gain changed are checked again; without it (a click) the whole gain drops.
    """
    threshold = 10 ** (TRUE_PEAK_DBTP / 20)
    _, alpha, c2 = _tp_weights(min(TP_PIECE, plan.block), rate)
    last_block = min(len(peaks), -(-plan.stop // plan.block))
    found = np.zeros(len(peaks))  # interpolated (or bounded) peak of each block checked
    check = np.flatnonzero(_true_peak_candidates(plan, peaks, bends, alpha, c2, threshold)[:last_block])
    for _ in range(8):
        if check.size == 0:
            break
        head, rest = block_true_peaks(audio, plan, check, rate)
        found[check] = np.maximum(head, rest)
        top = float(found.max())
        if top <= threshold:
            break
        before = np.maximum(plan.nodes[:-1], plan.nodes[1:])
        if need is None:
            plan.gain *= threshold / top * 0.999
            found *= threshold / top * 0.999
        else:
            # a peak among a block's first taps/2 interpolated points may sit in the block before
            for peak_of, shift in ((rest, 0), (head, 0), (head, -1)):
                over = np.flatnonzero(peak_of > threshold)
                idx = check[over] + shift
                keep = idx >= 0
                idx, ratio = idx[keep], threshold / peak_of[over][keep] * 0.999
                np.minimum.at(need, idx, before[idx] * ratio)
            plan.nodes = limiter_nodes(need)
        after = np.maximum(plan.nodes[:-1], plan.nodes[1:])
        changed = (after < before) | (found > threshold)
        mask = _true_peak_candidates(plan, peaks, bends, alpha, c2, threshold)
        changed[1:] |= changed[:-1]  # the filter reaches into the next block
        found[~mask] = 0.0  # now provably under
        check = np.flatnonzero(mask[:last_block] & changed[:last_block])
    top = float(found.max())
    if top > threshold:  # still over after eight rounds (not seen): a plain gain cut
        plan.gain *= threshold / top * 0.999
        top = threshold
    if top > 0:
        plan.true_peak_dbtp = 20 * math.log10(top)


# ---------------------------------------------------------------- applying it


def _chunk_curves(
    plan: LevelPlan, first_block: int, blocks: int, ramp: np.ndarray, gain_out: np.ndarray
) -> float | None:
    """Fill `gain_out[:blocks]` with the gain curve (PCM scale); returns a scalar when flat."""
    g = plan.nodes[first_block : first_block + blocks + 1]
    scale = plan.gain * PCM_SCALE
    if g.min() == g.max():
        return float(g[0] * scale)
    g = g * scale
    np.multiply((g[1:] - g[:-1])[:, None], ramp, out=gain_out[:blocks])
    gain_out[:blocks] += g[:-1, None]
    return None


def _apply_chunk(
    audio: np.ndarray,
    plan: LevelPlan,
    lo: int,
    n: int,
    ramp: np.ndarray,
    work: np.ndarray,
    dc_curve: np.ndarray,
    gain_curve: np.ndarray,
    out: np.ndarray,
) -> None:
    """Frames lo..lo+n (lo a block edge) as PCM-scaled float, rounded, into `out[:n]` per channel."""
    block = plan.block
    blocks = -(-n // block)
    b0 = lo // block
    flat = _chunk_curves(plan, b0, blocks, ramp, gain_curve)
    for c in range(audio.shape[0]):
        d = plan.dc[c, b0 : b0 + blocks + 1].astype(np.float32)
        np.multiply((d[1:] - d[:-1])[:, None], ramp, out=dc_curve[:blocks])
        dc_curve[:blocks] += d[:-1, None]
        t = work[:blocks]
        np.subtract(audio[c, lo : lo + blocks * block].reshape(blocks, block), dc_curve[:blocks], out=t)
        if flat is None:
            t *= gain_curve[:blocks]
        else:
            t *= np.float32(flat)
        flat_t = t.reshape(-1)[:n]
        fade_from = plan.stop - plan.fade
        if plan.fade and lo + n > fade_from:
            start = max(fade_from, lo)
            pos = np.arange(start, lo + n)
            flat_t[start - lo :] *= ((plan.stop - pos) / plan.fade).astype(np.float32)
        np.rint(flat_t, out=flat_t)
        out[c, :n] = flat_t


def apply_plan(audio: np.ndarray, plan: LevelPlan) -> np.ndarray:
    """The planned float audio (full scale 1.0), shaped (channels, plan.stop); a new array."""
    out = np.empty((audio.shape[0], plan.stop), dtype=np.float32)
    step = plan.block * 288
    ramp = np.arange(plan.block, dtype=np.float32) / plan.block
    work = np.empty((288, plan.block), dtype=np.float32)
    dc_curve, gain_curve = np.empty_like(work), np.empty_like(work)
    for lo in range(0, plan.stop, step):
        n = min(step, plan.stop - lo)
        _apply_chunk(audio, plan, lo, n, ramp, work, dc_curve, gain_curve, out[:, lo : lo + n])
    out *= np.float32(1 / PCM_SCALE)  # back to full scale 1.0 (the values are 16-bit steps)
    return out


def wav_header(frames: int, channels: int, rate: int) -> bytes:
    """The canonical 44-byte header of a 16-bit PCM WAV file."""
    data = frames * channels * 2
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF", 36 + data, b"WAVE", b"fmt ", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16,
        b"data", data,
    )  # fmt: skip


def write_wav(path: Path, audio: np.ndarray, plan: LevelPlan, rate: int, threads: int = 1) -> float:
    """Write the planned audio as a 16-bit PCM WAV file; returns its sample peak in dBFS
    (as a reader scaling by 1/32768 sees it).

    ~1.6 s chunks are converted into small reused buffers and written in place with
    pwrite, the file split between `threads` threads (numpy and the writes release the GIL).
    """
    channels = audio.shape[0]
    blocks_per_chunk = 288
    step = plan.block * blocks_per_chunk
    chunks = list(range(0, plan.stop, step))
    threads = max(1, min(threads, len(chunks)))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    peaks = [0] * threads
    errors: list[BaseException] = []

    def convert(part: int) -> None:
        try:
            ramp = np.arange(plan.block, dtype=np.float32) / plan.block
            work = np.empty((blocks_per_chunk, plan.block), dtype=np.float32)
            dc_curve, gain_curve = np.empty_like(work), np.empty_like(work)
            planes = np.empty((channels, step), dtype=np.float32)
            pcm = np.empty((step, channels), dtype=np.int16)
            peak = 0
            for lo in chunks[part * len(chunks) // threads : (part + 1) * len(chunks) // threads]:
                n = min(step, plan.stop - lo)
                _apply_chunk(audio, plan, lo, n, ramp, work, dc_curve, gain_curve, planes)
                for c in range(channels):
                    pcm[:n, c] = planes[c, :n]  # rounded and under the ceiling: the cast is exact
                peak = max(peak, int(pcm[:n].max()), -int(pcm[:n].min()))
                data = pcm[:n].data.cast("B")
                offset = 44 + lo * channels * 2
                while data:  # pwrite may write less than asked
                    done = os.pwrite(fd, data, offset)
                    data, offset = data[done:], offset + done
            peaks[part] = peak
        except BaseException as error:  # re-raised in the caller's thread
            errors.append(error)

    try:
        os.pwrite(fd, wav_header(plan.stop, channels, rate), 0)
        helpers = [threading.Thread(target=convert, args=(k,), daemon=True) for k in range(1, threads)]
        for thread in helpers:
            thread.start()
        convert(0)
        for thread in helpers:
            thread.join()
    finally:
        os.close(fd)
    if errors:
        raise errors[0]
    peak = max(peaks)
    return 20 * math.log10(peak / 32768) if peak else -math.inf


# ---------------------------------------------------------------- whole-buffer helpers


def limit(audio: np.ndarray, rate: int, ceiling_dbfs: float = CEILING_DBFS) -> np.ndarray | None:
    """Keep every sample of float (channels, frames) audio under the ceiling, in place.

    The same limiter as the render's (`limiter_nodes`), on sample peaks alone and without
    DC removal. Returns the indices of the limiter blocks whose gain changed, or None when
    no sample needed limiting. Each channel row must be contiguous.
    """
    ceiling = 10 ** (ceiling_dbfs / 20)
    block = limiter_block(rate)
    x = _rows(audio)
    frames = x.shape[1]
    count = frames // block
    if count == 0:
        peak = float(np.max(np.abs(x))) if x.size else 0.0
        if peak > ceiling:
            x *= np.float32(ceiling / peak)
        return None
    blocks = [row[: count * block].reshape(count, block) for row in x]  # views, per channel
    block_peak = np.max([np.maximum(b.max(axis=1), -b.min(axis=1)) for b in blocks], axis=0)
    rest = x[:, count * block :]
    if rest.shape[1]:  # the last partial block counts as part of the last full one
        block_peak[-1] = max(block_peak[-1], float(np.max(np.abs(rest))))
    need = np.minimum(1.0, ceiling / np.maximum(block_peak.astype(np.float64), 1e-12))
    if need.min() >= 1.0:
        return None
    gain = limiter_nodes(need).astype(np.float32)
    touched = np.flatnonzero((gain[:-1] < 1.0) | (gain[1:] < 1.0))
    ramp = np.arange(block, dtype=np.float32) / block
    for first in range(0, len(touched), 4096):  # in batches: bounded temporary arrays
        part = touched[first : first + 4096]
        curves = gain[part, None] + (gain[part + 1] - gain[part])[:, None] * ramp[None, :]
        for b in blocks:
            b[part] *= curves
    if rest.shape[1]:
        rest *= gain[-1]
    return touched


def normalise(
    audio: np.ndarray, rate: int, target_lufs: float = TARGET_LUFS, ceiling_dbfs: float = CEILING_DBFS
) -> tuple[np.ndarray, float, float]:
    """Remove DC, gain to `target_lufs`, limit sample peaks to the ceiling and true peaks to
    TRUE_PEAK_DBTP; returns (audio, lufs, peak_dbfs). `audio` (channels, frames) float32
    is changed in place (values land on 16-bit steps). Silent audio is returned as it is.
    """
    x = _rows(audio)
    padded, stats = measure(x, rate)
    plan = plan_levels(padded, stats, x.shape[1], None, target_lufs, ceiling_dbfs)
    if plan.gain != 1.0 or plan.nodes.min() < 1.0 or np.any(plan.dc):
        x[...] = apply_plan(padded, plan)
    return audio, plan.lufs, peak_dbfs(x)
