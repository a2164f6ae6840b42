"""A loudness-matched master preview: gentle EQ toward the genre curve, gain, true-peak limiting.

    master_file(src, dst, *, target, genre=None, kb=None) -> dict
    format_master_report(result) -> str

The chain: (0) DC offset removed; (1) a zero-phase (linear-phase FIR) EQ that moves each
octave band half way toward the genre's reference curve, never more than +-3 dB; (2) gain to
the target's loudness; (3) a look-ahead limiter driven by the true-peak (oversampled)
envelope, so inter-sample peaks stay under the target's ceiling. Limiting lowers the
loudness a little, so gain and ceiling are corrected and the chain run again until the
result measures within 0.2 LU of the target and under the ceiling (at most ITERATIONS
times). The input file is only read; the output is written whole or not at all (a
temporary file renamed into place).

Everything streams, like `coach analyze`: each pass (DC, envelope, every limiter pass, the
write) reads the file in blocks of CHUNK frames, and the per-16-sample envelope and
limiter curves live in temporary files read back in windows. Memory stays flat whatever
the length (holding the file whole took 3.8 GB for 20 minutes, and a MemoryError for two
hours); the price is reading the file once per pass, which the page cache makes cheap.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from assistant.errors import BadInput, FileProblem

if TYPE_CHECKING:
    from assistant.analysis.audio import AudioInfo, Measurement
    from assistant.kb.loader import Knowledge

EQ_LIMIT_DB = 3.0
EQ_STRENGTH = 0.5  # move half way toward the curve: a nudge, not a match
ITERATIONS = 8
LOUDNESS_TOLERANCE = 0.2  # LU, inside the promised 0.5
CEILING_MARGIN_DB = 0.15  # aim this far under the ceiling: other meters read a little higher
MAX_GAIN_DB = 30.0
BLOCK = 16  # samples per gain-envelope step
ATTACK_S = 0.002  # look-ahead: the gain starts falling this long before a peak
RELEASE_S = 0.08  # time constant of the recovery after a peak
CHUNK = 1 << 17  # frames per streamed block: a multiple of BLOCK and of the true-peak block
FORMATS = {".wav": "WAV", ".wave": "WAV", ".flac": "FLAC", ".aif": "AIFF", ".aiff": "AIFF"}


# --- EQ ----------------------------------------------------------------------------------

def eq_gains(bands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per band: half the way toward the curve, capped at +-EQ_LIMIT_DB."""
    out = []
    for band in bands:
        deviation = band.get("deviation_db")
        if deviation is None:
            continue
        gain = max(-EQ_LIMIT_DB, min(EQ_LIMIT_DB, -EQ_STRENGTH * deviation))
        out.append({"band": band["band"], "low_hz": band["low_hz"], "high_hz": band["high_hz"],
                    "gain_db": round(gain, 2)})
    return out


def eq_kernel(sr: int, gains: list[dict[str, Any]]) -> np.ndarray | None:
    """A linear-phase FIR (odd length, ~1.5 s, centred) for the smooth gain curve through
    the band centres (log frequency); None when no band moves."""
    if not gains or all(abs(g["gain_db"]) < 0.05 for g in gains):
        return None
    size = 1 << math.ceil(math.log2(sr * 1.5))
    centres = np.array([math.sqrt(g["low_hz"] * g["high_hz"]) for g in gains])
    values = np.array([g["gain_db"] for g in gains])
    freqs = np.fft.rfftfreq(size, 1 / sr)
    logf = np.log(np.maximum(freqs, 1.0))
    curve_db = np.interp(logf, np.log(centres), values)  # flat beyond the outer bands
    curve_db[freqs < 10.0] *= freqs[freqs < 10.0] / 10.0  # leave DC and infrasound alone
    kernel = np.fft.irfft(10 ** (curve_db / 20), n=size)  # zero phase: centred on sample 0
    half = size // 2
    return np.concatenate((kernel[half + 1:], kernel[: half]))  # 2*half - 1 taps, centre half-1


class _Fir:
    """Overlap-add convolution with a centred kernel of odd length, fed in order; the output
    is aligned with the input (zero phase) and, with `finish`, as long as it."""

    def __init__(self, kernel: np.ndarray, channels: int, block: int) -> None:
        from scipy import fft

        self.fft = fft
        self.taps = kernel.size
        self.size = fft.next_fast_len(block + self.taps - 1, real=True)
        self.spectrum = fft.rfft(kernel, n=self.size)[:, None]
        self.acc = np.zeros((self.size, channels))
        self.skip = self.taps // 2  # outputs before the first aligned one

    def feed(self, x: np.ndarray) -> np.ndarray:
        spec = self.fft.rfft(x, n=self.size, axis=0)
        spec *= self.spectrum
        self.acc += self.fft.irfft(spec, n=self.size, axis=0)
        return self._take(x.shape[0])

    def finish(self) -> np.ndarray:
        return self._take(self.taps - 1)

    def _take(self, n: int) -> np.ndarray:
        done = self.acc[:n].copy()
        self.acc[: self.size - n] = self.acc[n:]
        self.acc[self.size - n:] = 0.0
        cut = min(self.skip, done.shape[0])
        self.skip -= cut
        return done[cut:]


def _frames(info: AudioInfo, chunk: int) -> Iterator[np.ndarray]:
    """The file in float64 (frames, channels) blocks, in one reused buffer."""
    import soundfile as sf

    buffer = np.empty((chunk, info.channels))
    try:
        with sf.SoundFile(info.path) as handle:
            while True:
                block = handle.read(chunk, dtype="float64", always_2d=True, out=buffer)
                if len(block) == 0:
                    break
                yield block
    except (RuntimeError, sf.LibsndfileError) as error:
        raise FileProblem(f"cannot read {info.path}: {error}") from None


def _conditioned(info: AudioInfo, frames: int, dc: np.ndarray, kernel: np.ndarray | None,
                 chunk: int) -> Iterator[np.ndarray]:
    """The DC-free, equalised signal in consecutive blocks of `chunk` frames (the last one
    shorter), `frames` in all."""
    fir = _Fir(kernel, info.channels, chunk) if kernel is not None else None
    given = 0
    parts: list[np.ndarray] = []
    ready = emitted = 0
    for block in _frames(info, chunk):
        x = block[: max(0, frames - given)] - dc
        given += x.shape[0]
        if fir is None:
            if x.shape[0]:
                yield x
            continue
        parts.append(fir.feed(x))
        ready += parts[-1].shape[0]
        if ready >= chunk:
            joined = np.concatenate(parts)
            whole = joined.shape[0] // chunk * chunk
            for start in range(0, whole, chunk):
                yield joined[start:start + chunk]
            emitted += whole
            parts, ready = [joined[whole:]], ready - whole
    if fir is not None:
        parts.append(fir.finish())
        rest = np.concatenate(parts)[: frames - emitted]
        for start in range(0, rest.shape[0], chunk):
            yield rest[start:start + chunk]


# --- true-peak envelope ------------------------------------------------------------------

class _Envelope:
    """Per BLOCK of samples, the largest |value| of the oversampled signal (all channels),
    fed the signal in order and written as float32 to `sink`; the limiter widens it to the
    neighbouring blocks when it reads it back (`_read_wide`)."""

    def __init__(self, channels: int, sr: int, frames: int, sink: IO[bytes]) -> None:
        from assistant.analysis.truepeak import BLOCK as TP_BLOCK
        from assistant.analysis.truepeak import interpolator, oversampling_factor

        interp = interpolator(oversampling_factor(sr))
        self.phases, self.taps = interp.h.shape
        self.tp_block = TP_BLOCK
        # columns phase-major (p * TP_BLOCK + j): the max over phases is then a few
        # maxima of contiguous slices, not numpy's slow max over rows of 8
        rows = interp.weights.shape[0]
        self.weights = np.ascontiguousarray(
            interp.weights.reshape(rows, TP_BLOCK, self.phases).transpose(0, 2, 1)
            .reshape(rows, self.phases * TP_BLOCK))
        self.delay = self.taps // 2  # an output of the filter describes the signal this earlier
        self.back = self.taps - 1 - self.delay
        self.buf = np.zeros((channels, self.back), dtype=np.float32)  # from p0 - back on
        self.p0 = self.fed = 0
        self.total = -(-frames // BLOCK) * BLOCK
        self.blocks = self.total // BLOCK
        self.sink = sink

    def feed(self, y: np.ndarray) -> None:
        self.buf = np.concatenate((self.buf, y.T.astype(np.float32)), axis=1)
        self.fed += y.shape[0]
        ready = (self.fed - self.delay - self.p0) // self.tp_block * self.tp_block
        if ready > 0:
            self._emit(ready, ready)

    def finish(self) -> None:
        rest = self.total - self.p0
        span = -(-rest // self.tp_block) * self.tp_block
        missing = self.back + span + self.delay - self.buf.shape[1]
        if missing > 0:  # silence after the end: the filter rings into it
            self.buf = np.concatenate((self.buf, np.zeros((self.buf.shape[0], missing),
                                                          dtype=np.float32)), axis=1)
        if span:
            self._emit(span, rest)
        self.sink.flush()

    def _emit(self, count: int, keep: int) -> None:
        seg = self.buf
        per_sample = np.abs(seg[:, self.back:self.back + count]).max(axis=0)
        cols = np.arange(self.tp_block + self.taps - 1)
        blocks = count // self.tp_block
        tpb = self.tp_block
        for row in seg:
            for start in range(0, blocks, 2048):
                index = np.arange(start, min(blocks, start + 2048))
                rows = row[index[:, None] * tpb + cols]
                y = np.abs(rows @ self.weights)  # (blocks, phases * tpb)
                top = y[:, :tpb]
                for p in range(1, self.phases):
                    np.maximum(top, y[:, p * tpb:(p + 1) * tpb], out=top)
                lo = start * tpb
                here = per_sample[lo:lo + top.size].reshape(-1, tpb)
                np.maximum(here, top, out=here)
        _row_max(per_sample[:keep].reshape(-1, BLOCK)).astype(np.float32).tofile(self.sink)
        self.buf = seg[:, count:]
        self.p0 += count


def _row_max(rows: np.ndarray) -> np.ndarray:
    """Max of each row (width a power of two) by halving: numpy's max over short rows is
    several times slower."""
    width = rows.shape[1]
    while width > 1:
        width //= 2
        rows = np.maximum(rows[:, :width], rows[:, width:2 * width])
    return rows[:, 0]


def _read(handle: IO[bytes], lo: int, hi: int, dtype: type) -> np.ndarray:
    size = np.dtype(dtype).itemsize
    handle.seek(lo * size)
    return np.fromfile(handle, dtype=dtype, count=hi - lo)


def _read_wide(handle: IO[bytes], lo: int, hi: int, blocks: int) -> np.ndarray:
    """Envelope blocks lo..hi, each the max of itself and its neighbours: the
    interpolation's exact alignment within a block does not matter."""
    a, c = max(0, lo - 1), min(blocks, hi + 1)
    raw = _read(handle, a, c, np.float32)
    wide = raw.copy()
    wide[1:] = np.maximum(wide[1:], raw[:-1])
    wide[:-1] = np.maximum(wide[:-1], raw[1:])
    return wide[lo - a: lo - a + hi - lo]


# --- true-peak limiter -------------------------------------------------------------------

def _release(reduction: np.ndarray, log_decay: float, carry: float = 0.0) -> np.ndarray:
    """r_b = max over j <= b of reduction_j * decay**(b - j): instant attack, exponential
    release, vectorised with a running maximum in log space (in segments: no overflow).
    `carry` is the last value of the blocks before these (streaming)."""
    out = np.empty_like(reduction)
    segment = release_segment(log_decay)
    for start in range(0, reduction.size, segment):
        part = reduction[start:start + segment]
        j = np.arange(part.size)
        with np.errstate(divide="ignore"):
            w = np.log(part) - j * log_decay
            if carry > 0:
                w[0] = max(w[0], math.log(carry) + log_decay)
        out[start:start + part.size] = np.exp(np.maximum.accumulate(w) + j * log_decay)
        carry = float(out[start + part.size - 1])
    return out


def release_segment(log_decay: float) -> int:
    return max(1, int(300 / max(1e-9, -log_decay)))


def _running_min(values: np.ndarray, half: int) -> np.ndarray:
    """Minimum over +-half neighbours, by shifts that double the covered radius."""
    out = values.copy()
    radius = 0
    while radius < half:
        shift = min(radius + 1, half - radius)
        left = np.minimum(out[shift:], out[:-shift])
        right = np.minimum(out[:-shift], out[shift:])
        out[shift:] = left
        out[:-shift] = np.minimum(out[:-shift], right)
        radius += shift
    return out


def _smooth(held: np.ndarray, half: int) -> np.ndarray:
    """Gain per block: the lowest within +-half, averaged over +-half, never above `held`
    (every block within +-half of b is <= its need there). Exact `2 * half` blocks away
    from a cut that is not the signal's own end."""
    lowest = _running_min(held, half)
    csum = np.concatenate(([0.0], np.cumsum(np.pad(lowest, half, mode="edge"))))
    smooth = (csum[2 * half + 1:] - csum[: -(2 * half + 1)]) / (2 * half + 1)
    return np.minimum(smooth, held)


def _knots(smooth: np.ndarray) -> np.ndarray:
    """Knots at block edges take the smaller neighbour, so no sample exceeds its block's gain."""
    return np.minimum(np.concatenate(([smooth[0]], smooth)),
                      np.concatenate((smooth, [smooth[-1]])))


def limiter_gain(env: np.ndarray, ceiling: float, n: int, sr: int) -> np.ndarray:
    """Per-sample gain <= ceiling / envelope everywhere, smooth, with look-ahead (the whole
    signal at once; `_LimiterCurve` computes the same curve in windows)."""
    need = np.minimum(1.0, ceiling / np.maximum(env.astype(np.float64), 1e-12))
    log_decay = -BLOCK / (sr * RELEASE_S)
    held = 1.0 - _release(1.0 - need, log_decay)
    half = max(1, round(ATTACK_S * sr / BLOCK))
    knots = _knots(_smooth(held, half))
    return np.interp(np.arange(n), np.arange(knots.size) * BLOCK - 0.5, knots)


class _LimiterCurve:
    """`limiter_gain` for one gain and ceiling, streamed: the release (a running state) is
    computed once for every block into a temporary file; `gains(lo, hi)` reads the window
    of it that samples lo..hi depend on."""

    def __init__(self, envelope: IO[bytes], blocks: int, gain: float, ceiling: float,
                 sr: int) -> None:
        self.half = max(1, round(ATTACK_S * sr / BLOCK))
        self.reach = 2 * self.half + 2
        self.blocks = blocks
        log_decay = -BLOCK / (sr * RELEASE_S)
        segment = release_segment(log_decay)
        step = segment * max(1, (1 << 20) // segment)  # whole segments: as `limiter_gain`
        self.held: IO[bytes] = tempfile.TemporaryFile()
        carry = 0.0
        for lo in range(0, blocks, step):
            env = _read_wide(envelope, lo, min(blocks, lo + step), blocks) * np.float32(gain)
            need = np.minimum(1.0, ceiling / np.maximum(env.astype(np.float64), 1e-12))
            reduction = _release(1.0 - need, log_decay, carry)
            carry = float(reduction[-1])
            (1.0 - reduction).tofile(self.held)
        self.held.flush()

    def gains(self, lo: int, hi: int) -> np.ndarray:
        """Per-sample gain for samples lo..hi (lo a multiple of BLOCK)."""
        b0, b1 = lo // BLOCK, -(-hi // BLOCK)
        a, c = max(0, b0 - self.reach), min(self.blocks, b1 + self.reach)
        smooth = _smooth(_read(self.held, a, c, np.float64), self.half)
        last = self.blocks - 1
        prev = np.clip(np.arange(b0 - 1, b1), 0, last) - a
        cur = np.clip(np.arange(b0, b1 + 1), 0, last) - a
        knots = np.minimum(smooth[prev], smooth[cur])
        return np.interp(np.arange(lo, hi), np.arange(b0, b1 + 1) * BLOCK - 0.5, knots)

    def close(self) -> None:
        self.held.close()


# --- the chain ---------------------------------------------------------------------------

def _output_format(src_subtype: str, dst: Path) -> tuple[str, str]:
    import soundfile as sf

    fmt = FORMATS.get(dst.suffix.lower())
    if fmt is None:
        raise BadInput(f"{dst}: write the master as .wav, .flac or .aiff")
    subtype = src_subtype if sf.check_format(fmt, src_subtype) else "PCM_24"
    if fmt == "FLAC" and subtype not in ("PCM_16", "PCM_24"):
        subtype = "PCM_24"
    return fmt, subtype


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and a.samefile(b))
    except OSError:
        return False


def _figures(result: dict[str, Any]) -> dict[str, Any]:
    keys = ("integrated_lufs", "true_peak_dbtp", "sample_peak_dbfs", "short_term_max_lufs",
            "loudness_range_lu", "plr_db", "crest_db", "clipped_samples")
    out = {k: result.get(k) for k in keys}
    worst = result.get("worst_band")
    out["worst_band"] = None if worst is None else {
        "band": worst["band"], "deviation_db": worst.get("deviation_db")}
    return out

def _dc(info: AudioInfo, chunk: int) -> tuple[np.ndarray, int]:
    """Mean of each channel, and the frames that can really be read (a cut file has fewer
    than its header says)."""
    total = np.zeros(info.channels)
    frames = 0
    for block in _frames(info, chunk):
        total += block.sum(axis=0)
        frames += block.shape[0]
    if frames == 0:
        raise FileProblem(f"{info.path} holds no audio samples")
    return total / frames, frames


def _feed(meter: Any, block: np.ndarray) -> None:
    """Feed the meter pieces it takes (its chunk; `block` is a multiple of its sub-blocks)."""
    for start in range(0, block.shape[0], meter.chunk):
        meter.feed(block[start:start + meter.chunk].astype(np.float32))


class _Chain:
    """The file, DC-free and equalised, streamed through gain and limiter as often as the
    passes need; each pass reads the file again."""

    def __init__(self, info: AudioInfo, frames: int, dc: np.ndarray,
                 kernel: np.ndarray | None, chunk: int) -> None:
        self.info, self.frames, self.dc, self.kernel, self.chunk = info, frames, dc, kernel, chunk

    def signal(self) -> Iterator[np.ndarray]:
        return _conditioned(self.info, self.frames, self.dc, self.kernel, self.chunk)

    def run(self, gain: float, curve: _LimiterCurve, measure: bool = True,
            sink: Callable[[np.ndarray], None] | None = None, scale: float = 1.0,
            dither: bool = False) -> tuple[Measurement | None, float]:
        """One pass: (the meter's figures of the output, the lowest limiter gain)."""
        from assistant.analysis.audio import Meter

        meter = Meter(self.info.sr, self.info.channels, self.frames) if measure else None
        lowest = 1.0
        if dither:  # TPDF: the difference of two uniform streams, as two whole-file draws
            first, second = np.random.default_rng(0), np.random.default_rng(0)
            second.bit_generator.advance(self.frames * self.info.channels)  # type: ignore[attr-defined]
        lo = 0
        for y in self.signal():
            limit = curve.gains(lo, lo + y.shape[0])
            lo += y.shape[0]
            lowest = min(lowest, float(limit.min()))
            out = y * (gain * limit)[:, None]
            if meter is not None:
                _feed(meter, out)
            if sink is not None:
                if scale != 1.0:
                    out *= scale
                if dither:
                    out += (first.random(out.shape) - second.random(out.shape)) / 32768
                sink(out)
        return (meter.finish() if meter is not None else None), lowest


def master_file(src: str | Path, dst: str | Path, *, target: str, genre: str | None = None,
                kb: Knowledge | None = None, chunk: int = CHUNK) -> dict[str, Any]:
    """Master `src` into `dst` for `target` (a knowledge-base target name); see the module.
    `chunk` (frames per streamed block) changes nothing but memory and speed."""
    import soundfile as sf

    from assistant.analysis import spectrum
    from assistant.analysis.audio import Meter, audio_info, one_blas_thread
    from assistant.analysis.audio_report import (
        analyze_audio,
        resolve_curve,
        resolve_target,
    )
    from assistant.fileio import atomic_path, check_writable

    src, dst = Path(src).expanduser(), Path(dst).expanduser()
    info = audio_info(src)
    if _same_file(src, dst):
        raise BadInput(f"{dst} is the input file: give the master another name "
                       "(the input is never overwritten)")
    fmt, subtype = _output_format(info.subtype, dst)
    check_writable(dst)
    if kb is None:
        from assistant.kb.loader import knowledge

        kb = knowledge()
    tgt = resolve_target(kb, target)
    assert tgt is not None
    genre_name, curve = resolve_curve(kb, genre)
    before = analyze_audio(src, target=target, genre=genre, stage="mixing", kb=kb)
    if before["integrated_lufs"] is None:
        why = "it is silent" if any("silent" in n for n in before["notes"]) else (
            "it is too short to measure its loudness (needs 0.4 s)")
        raise BadInput(f"cannot master {src.name}: {why}")
    unit = math.lcm(max(1, round(info.sr * 0.01)), 64)  # the meter's sub-blocks and blocks
    chunk = max(1, round(chunk / unit)) * unit
    sr = info.sr

    notes: list[str] = []
    gains = eq_gains(before["spectral_balance"]) if curve is not None else []
    dc, frames = _dc(info, chunk)
    if np.abs(dc).max() > 1e-4:  # DC only eats headroom: take it out before limiting
        notes.append(f"removed a DC offset of {np.abs(dc).max():.4f}")
    else:
        dc = np.zeros_like(dc)
    chain = _Chain(info, frames, dc, eq_kernel(sr, gains), chunk)
    with one_blas_thread(), tempfile.TemporaryFile() as envelope_file:
        meter = Meter(sr, info.channels, frames)
        envelope = _Envelope(info.channels, sr, frames, envelope_file)
        for y in chain.signal():
            envelope.feed(y)
            _feed(meter, y)
        envelope.finish()
        loud = meter.finish().loudness.integrated
        del meter
        gain_db = float(np.clip(tgt.lufs - (loud or tgt.lufs), -MAX_GAIN_DB, MAX_GAIN_DB))
        ceiling_db = tgt.true_peak_dbtp - CEILING_MARGIN_DB
        reduction_db = 0.0
        passes = 0
        applied_db = gain_db
        applied_ceiling = ceiling_db
        over = 0.0
        while passes < ITERATIONS:
            passes += 1
            applied_db, applied_ceiling = gain_db, ceiling_db
            limiter = _LimiterCurve(envelope_file, envelope.blocks, 10 ** (gain_db / 20),
                                    10 ** (ceiling_db / 20), sr)
            try:
                m, lowest = chain.run(10 ** (gain_db / 20), limiter)
            finally:
                limiter.close()
            assert m is not None
            tp_db = 20 * math.log10(max(m.true_peak, 1e-12))
            err = tgt.lufs - (m.loudness.integrated or tgt.lufs)
            over = tp_db - (tgt.true_peak_dbtp - CEILING_MARGIN_DB / 2)
            reduction_db = float(-20 * math.log10(max(lowest, 1e-12)))
            if over > 0:
                ceiling_db -= over + 0.02
            if abs(err) <= LOUDNESS_TOLERANCE and over <= 0:
                break
            gain_db = float(np.clip(gain_db + err, -MAX_GAIN_DB, MAX_GAIN_DB))
        else:
            notes.append(f"stopped after {ITERATIONS} passes; the figures below are the last")
        scale = 1.0
        if over > 0:  # never hand over a master above the ceiling: trade a little loudness
            scale = 10 ** (-(over + 0.02) / 20)
            notes.append(f"turned down {over + 0.02:.2f} dB at the end to stay under the ceiling")

        def write(tmp: Path) -> None:
            limiter = _LimiterCurve(envelope_file, envelope.blocks, 10 ** (applied_db / 20),
                                    10 ** (applied_ceiling / 20), sr)
            try:
                with sf.SoundFile(str(tmp), "w", sr, info.channels, subtype=subtype,
                                  format=fmt) as handle:
                    # TPDF dither for 16 bits: the rounding error becomes benign noise
                    chain.run(10 ** (applied_db / 20), limiter, measure=False,
                              sink=handle.write, scale=scale, dither=subtype == "PCM_16")
            finally:
                limiter.close()

        # measured before it moves into place: the output may be a stream (a FIFO, /dev/null)
        with atomic_path(dst) as tmp:
            write(tmp)
            after = analyze_audio(tmp, target=target, genre=genre, stage="mixing", kb=kb)
    return {
        "kind": "master",
        "input": str(src),
        "output": str(dst),
        "format": fmt,
        "subtype": subtype,
        "target": before["target"],
        "genre": None if genre_name is None else {"name": genre_name,
                                                  "curve": curve.id if curve else None},
        "eq": gains,
        "gain_db": round(applied_db, 2),
        "limiter": {"ceiling_dbtp": round(ceiling_db, 2),
                    "max_reduction_db": round(reduction_db, 2), "passes": passes},
        "before": _figures(before),
        "after": _figures(after),
        "advice_after": after["advice"],
        "notes": notes,
        "spectral_balance": {"before": before["spectral_balance"],
                             "after": after["spectral_balance"]},
        "band_labels": [spectrum.band_label(b["low_hz"], b["high_hz"])
                        for b in after["spectral_balance"]],
    }



def format_master_report(result: dict[str, Any]) -> str:
    """Before and after, side by side, plus what was done."""
    tgt = result["target"]
    lines = [f"Master preview for {tgt['name']} ({tgt['lufs']:g} LUFS, "
             f"\u2264 {tgt['true_peak_dbtp']:g} dBTP): {result['output']}", ""]
    rows = [
        ("Integrated loudness", "integrated_lufs", "LUFS"),
        ("True peak", "true_peak_dbtp", "dBTP"),
        ("Sample peak", "sample_peak_dbfs", "dBFS"),
        ("Short-term max", "short_term_max_lufs", "LUFS"),
        ("Loudness range", "loudness_range_lu", "LU"),
        ("PLR", "plr_db", "dB"),
        ("Crest factor", "crest_db", "dB"),
        ("Clipped samples", "clipped_samples", ""),
    ]
    lines.append(f"{'':22}{'before':>14}{'after':>14}")
    for label, key, unit in rows:
        b, a = result["before"].get(key), result["after"].get(key)

        def cell(v: Any, unit: str = unit) -> str:
            if v is None:
                return "n/a"
            return f"{v}" if isinstance(v, int) else f"{v:.1f} {unit}".strip()

        lines.append(f"{label:22}{cell(b):>14}{cell(a):>14}")
    wb, wa = result["before"].get("worst_band"), result["after"].get("worst_band")
    if wb and wa:
        cells = [f"{w['band']} {w['deviation_db']:+.1f}" for w in (wb, wa)]
        lines.append(f"{'Furthest band (dB)':22}{cells[0]:>14}{cells[1]:>14}")
    lines.append("")
    if result["eq"]:
        eq = ", ".join(f"{g['band']} {g['gain_db']:+.1f}" for g in result["eq"]
                       if abs(g["gain_db"]) >= 0.1)
        lines.append(f"EQ toward the {result['genre']['name']} curve (dB): {eq or 'none needed'}")
    else:
        lines.append("EQ: none (give --genre to nudge the tonal balance toward a genre curve)")
    lim = result["limiter"]
    lines.append(f"Gain {result['gain_db']:+.1f} dB, true-peak limiter at "
                 f"{lim['ceiling_dbtp']:.2f} dBTP (up to {lim['max_reduction_db']:.1f} dB of "
                 f"gain reduction), {lim['passes']} pass{'es' if lim['passes'] != 1 else ''}")
    for note in result["notes"]:
        lines.append(f"Note: {note}")
    left = [a for a in result["advice_after"] if a["severity"] >= 2]
    if left:
        lines.append("")
        lines.append("Still worth a look in the mix:")
        lines += [f"  - {a['message']}" for a in left]
    return "\n".join(lines)
