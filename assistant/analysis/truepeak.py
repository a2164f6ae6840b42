"""True peak (ITU-R BS.1770-4 Annex 2) on numpy alone, fast because it is pruned exactly.

The reading is the largest |value| of the signal oversampled with a polyphase FIR
interpolator (8x below 88.2 kHz, 4x below 176.4 kHz, else 2x), or the sample peak when
that is larger (as libebur128 reports it). The interpolator is a Kaiser-windowed sinc with
16 taps per phase: the 48-tap example filter printed in the Recommendation (kept here as
ITU_4X) reads EBU Tech 3341 case 17 (fs/6) 0.3 dB low, this one within 0.01 dB, and it
stays within 0.15 dB on cases 15-23.

Interpolating every sample costs ~50 multiply-adds per input sample. Most blocks of a
song cannot hold the maximum, and that can be proven cheaply, so only the others are
interpolated (the answer is identical to interpolating everything):

* each output of phase p is `sum(h_p[k] * x[n-k])`, so |y| <= L1(h_p) * max|x| near n;
* writing h_p = a_p * (linear interpolation between its two centre taps) + d2 * G_p,
  where d2 is the second difference, gives |y| <= a_p * max|x| + L1(G_p) * max|d2 x|,
  which is tight for the smooth (bass-heavy) stretches that make up most music.

Blocks whose bound is below the best value found so far are skipped; the rest are
interpolated in batches (a matrix product), loudest bound first.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# ITU-R BS.1770-4 Annex 2: order-48, 4-phase interpolating FIR (one row per phase).
ITU_4X = (
    (0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000,
     -0.0594482421875, 0.1373291015625, 0.9721679687500, -0.1022949218750,
     0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500),
    (-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250,
     -0.1665039062500, 0.4650878906250, 0.7797851562500, -0.2003173828125,
     0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375),
    (-0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625000000,
     -0.2003173828125, 0.7797851562500, 0.4650878906250, -0.1665039062500,
     0.0891113281250, -0.0517578125000, 0.0292968750000, -0.0291748046875),
    (-0.0083007812500, 0.0148925781250, -0.0266113281250, 0.0476074218750,
     -0.1022949218750, 0.9721679687500, 0.1373291015625, -0.0594482421875,
     0.0332031250000, -0.0196533203125, 0.0109863281250, 0.0017089843750),
)

BLOCK = 64  # input samples per pruning block (> the filter's reach of 11 samples)
BATCH = 1024  # blocks interpolated per matrix product


@dataclass(frozen=True)
class Interpolator:
    """A polyphase bank `h` (phases x taps) and the constants of its pruning bound."""

    h: np.ndarray
    l1: float  # max over phases of sum|h_p|
    alpha: float  # max over phases of sum(h_p)
    c2: float  # max over phases of L1(G_p), the second-difference part
    weights: np.ndarray  # (BLOCK + taps - 1, BLOCK * phases) float32, for the matrix product


def oversampling_factor(sr: int) -> int:
    """8x below 88.2 kHz, 4x below 176.4 kHz, else 2x.

    BS.1770-4 Annex 2 asks for at least 4x at 48 kHz; 4x can still read up to ~0.5 dB low
    on content near 20 kHz (the peak falls between the 4x points), which showed on limited
    masters. Only the few blocks that can hold the peak are interpolated, so 8x is cheap.
    """
    if sr < 88200:
        return 8
    if sr < 176400:
        return 4
    return 2


def sinc_bank(factor: int, taps: int = 16, beta: float = 8.0) -> np.ndarray:
    """A Kaiser-windowed sinc interpolator split into `factor` phases of `taps` taps."""
    n = np.arange(factor * taps) - (factor * taps - 1) / 2 - (factor - 1) / 2
    proto = np.sinc(n / factor) * np.kaiser(factor * taps, beta)
    bank = proto.reshape(taps, factor).T[::-1]
    return np.asarray(bank / bank.sum(axis=1, keepdims=True))


@lru_cache(maxsize=4)
def interpolator(factor: int, itu: bool = False) -> Interpolator:
    """The bank for `factor`x oversampling (ITU's printed 4x filter when `itu`)."""
    if factor == 1:
        h = np.zeros((1, 2))
        h[0, 0] = 1.0
    elif itu and factor == 4:
        h = np.array(ITU_4X, dtype=np.float64)
    else:
        h = sinc_bank(factor)
    phases, taps = h.shape
    alpha = h.sum(axis=1)
    l1 = np.abs(h).sum(axis=1)
    c2 = np.zeros(phases)
    k = np.arange(taps)
    for p in range(phases):
        # h_p = alpha * (linear interpolation at its centre of mass) + d2 * g2
        pos = float((h[p] * k).sum() / alpha[p])
        lo = min(max(int(np.floor(pos)), 0), taps - 2)
        t = pos - lo
        g = h[p].copy()
        g[lo] -= alpha[p] * (1 - t)
        g[lo + 1] -= alpha[p] * t
        g2 = np.cumsum(np.cumsum(g))  # g = d2 * g2 exactly when g2 ends in two zeros
        if not 0 <= t <= 1 or abs(g2[-1]) + abs(g2[-2]) > 1e-9:
            raise ValueError("interpolator phase is not a fractional delay")
        c2[p] = np.abs(g2).sum()
    weights = np.zeros((BLOCK + taps - 1, BLOCK * phases), dtype=np.float32)
    for j in range(BLOCK):
        for p in range(phases):
            weights[j + taps - 1 - np.arange(taps), j * phases + p] = h[p]
    return Interpolator(h, float(l1.max()), float(max(alpha.max(), 1.0)), float(c2.max()),
                        weights)


def true_peak(x: np.ndarray, sr: int) -> np.ndarray:
    """Per-channel true peak (linear, >= the sample peak) of `x` shaped (channels, samples)."""
    channels, n = x.shape
    peaks = np.zeros(channels)
    if n == 0:
        return peaks
    interp = interpolator(oversampling_factor(sr))
    taps = interp.h.shape[1]
    nb = -(-(n + taps) // BLOCK) + 1  # block 0 is silent history; tail covers the filter's reach
    padded = np.zeros((channels, nb * BLOCK), dtype=np.float32)
    padded[:, BLOCK:BLOCK + n] = x
    blocks = padded.reshape(channels, nb, BLOCK)
    bmax = np.maximum(blocks.max(axis=2), -blocks.min(axis=2))  # (channels, nb)
    peaks[:] = bmax.max(axis=1)
    if interp.h.shape[0] == 1:
        return peaks
    # outputs of block b read block b and the end of block b-1
    reach = bmax.copy()
    reach[:, 1:] = np.maximum(bmax[:, 1:], bmax[:, :-1])
    best = float(peaks.max())
    cols = np.arange(-(taps - 1), BLOCK)
    for c in range(channels):
        bound = reach[c] * interp.l1
        cand = np.flatnonzero(bound > best)
        if cand.size == 0:
            continue
        cand = cand[np.argsort(-bound[cand], kind="stable")]
        for start in range(0, cand.size, BATCH):
            batch = cand[start:start + BATCH]
            batch = batch[bound[batch] > best]
            if batch.size == 0:
                break
            rows = padded[c][batch[:, None] * BLOCK + cols]  # (k, BLOCK + taps - 1)
            d2 = rows[:, 2:] - 2 * rows[:, 1:-1] + rows[:, :-2]
            tight = (interp.alpha * np.abs(rows).max(axis=1)
                     + interp.c2 * np.abs(d2).max(axis=1))
            rows = rows[tight > best]
            if rows.shape[0] == 0:
                continue
            y = rows @ interp.weights
            top = float(max(y.max(), -y.min()))
            if top > peaks[c]:
                peaks[c] = top
            best = max(best, top)
    return peaks
