"""Preview levels: a quick BS.1770 loudness reading, gain to a target, and a peak limiter.

Numpy only (no scipy on the render path). The K-weighting is applied in the frequency
domain on each 100 ms sub-block (Parseval: the block's filtered power is its power
spectrum weighted by |H|^2), then the standard 400 ms / 75 % overlap blocks, the -70 LUFS
absolute gate and the -10 LU relative gate. That skips the filter's memory across block
edges, which moves the reading by a few hundredths of a LU on music - plenty for aiming a
preview at -15 LUFS. The analysis area owns the full-precision meter.

Audio here is channel-first, `(channels, frames)` (or one mono row): that is how the
synth writes it, and every pass then runs over contiguous memory.
"""

from __future__ import annotations

import math

import numpy as np

TARGET_LUFS = -15.0  # the middle of the -18..-12 window: loud enough, little limiting
CEILING_DBFS = -1.2  # 0.2 dB under the -1 dBFS promise, for 16-bit rounding
SILENCE_DBFS = -70.0


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


def _rows(audio: np.ndarray) -> np.ndarray:
    """(channels, frames) view of channel-first or mono audio."""
    return audio.reshape(1, -1) if audio.ndim == 1 else audio


def sub_block(rate: int) -> int:
    return max(1, round(rate * 0.1))


def block_powers(audio: np.ndarray, rate: int, which: np.ndarray | None = None) -> np.ndarray:
    """K-weighted mean square of each 100 ms sub-block, summed over channels (G = 1 for L/R).

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
    down = 3 if rate >= 32000 and sub % 3 == 0 else 1
    size = sub // down
    freqs = np.fft.rfftfreq(size, down / rate)  # bin spacing rate/sub, as for the full block
    k2 = k_weighting_power(rate, sub)[: len(freqs)]
    flat = float(k_weighting_power(rate, sub)[-1]) if down > 1 else 0.0
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
    weight2 = np.repeat(weight / (sub * sub), 2).astype(np.float32)
    step = 512  # sub-blocks per batch (~51 s): bounds the temporary arrays
    for row in x:
        for first in range(0, blocks, step):
            last = min(blocks, first + step)
            frames = np.ascontiguousarray(row[first * sub : last * sub], dtype=np.float32)
            frames = frames.reshape(last - first, sub)
            if flat:
                power[first:last] += flat * np.einsum("ij,ij->i", frames, frames) / sub
                frames = sum(frames[:, i::down] for i in range(down)) / np.float32(down)  # type: ignore[assignment]
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


def limit(audio: np.ndarray, rate: int, ceiling_dbfs: float = CEILING_DBFS) -> np.ndarray | None:
    """Keep every sample of float (channels, frames) audio under the ceiling, in place.

    Gain is computed per ~6 ms block as what that block's peak needs, joined at block
    edges by the smaller neighbour (so the gain, interpolated linearly inside a block,
    never exceeds that block's need), then allowed to fall at most 3 dB per block ahead
    of a peak (look-ahead attack) and to rise at most 1/3 dB per block after it
    (release). Both are running minima, and only blocks whose gain is under 1 are touched:
    no Python loop over samples or blocks. Each channel row must be contiguous.

    Returns the indices of the 100 ms sub-blocks whose gain changed (so a loudness
    reading can be corrected without measuring everything again), or None when no
    sample needed limiting.
    """
    ceiling = 10 ** (ceiling_dbfs / 20)
    block = max(16, rate // 170)
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
    nodes = np.ones(count + 1)
    nodes[:-1] = need
    nodes[1:] = np.minimum(nodes[1:], need)
    db = 20 * np.log10(nodes)
    idx = np.arange(count + 1, dtype=np.float64)
    release, attack = 1.0 / 3, 3.0  # dB per block
    db = np.minimum.accumulate(db - release * idx) + release * idx
    db = (np.minimum.accumulate(db[::-1] - attack * idx) + attack * idx)[::-1]
    gain = (10 ** (db / 20)).astype(np.float32)
    touched = np.nonzero((gain[:-1] < 1.0) | (gain[1:] < 1.0))[0]
    ramp = np.arange(block, dtype=np.float32) / block
    for first in range(0, len(touched), 4096):  # in batches: bounded temporary arrays
        part = touched[first : first + 4096]
        curves = gain[part, None] + (gain[part + 1] - gain[part])[:, None] * ramp[None, :]
        for b in blocks:
            b[part] *= curves
    if rest.shape[1]:
        rest *= gain[-1]
    sub = sub_block(rate)
    starts = touched * block // sub
    ends = ((touched + 1) * block - 1) // sub
    changed = np.unique(np.concatenate((starts, ends)))
    if rest.shape[1]:
        changed = np.unique(np.append(changed, np.arange(count * block // sub, frames // sub + 1)))
    return changed[changed < frames // sub]


def normalise(
    audio: np.ndarray, rate: int, target_lufs: float = TARGET_LUFS, ceiling_dbfs: float = CEILING_DBFS
) -> tuple[np.ndarray, float, float]:
    """Gain to `target_lufs`, limit peaks to the ceiling; returns (audio, lufs, peak_dbfs).

    The loudness after limiting reuses the first reading, measuring again only the
    100 ms sub-blocks the limiter touched. Silent audio is returned as it is (-inf LUFS).
    A mix whose peaks sit more than ~13 dB over its loudness ends up limited by that much.
    """
    power = block_powers(audio, rate)
    before = gated_loudness(power)
    if not math.isfinite(before):
        return audio, before, peak_dbfs(audio)
    after = before
    # Limiting a very peaky mix lowers its loudness; a few rounds of "make up the
    # difference, limit again" bring it back to the target (only the spikes get squeezed).
    for _ in range(4):
        gain = 10 ** ((target_lufs - after) / 20)
        audio *= np.float32(gain)
        power *= gain * gain
        changed = limit(audio, rate, ceiling_dbfs)
        if changed is None:
            return audio, target_lufs, peak_dbfs(audio)
        power[changed] = block_powers(audio, rate, changed)
        after = gated_loudness(power)
        if after >= target_lufs - 0.5:
            break
    return audio, after, peak_dbfs(audio)


def normalise_peak(audio: np.ndarray, rate: int, ceiling_dbfs: float = CEILING_DBFS) -> tuple[np.ndarray, float, float]:
    """Scale so the highest sample sits at the ceiling; returns (audio, lufs, peak_dbfs)."""
    peak = peak_dbfs(audio)
    if math.isfinite(peak):
        audio *= np.float32(10 ** ((ceiling_dbfs - peak) / 20))
    return audio, integrated_lufs(audio, rate), peak_dbfs(audio)
