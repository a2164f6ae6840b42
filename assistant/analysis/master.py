"""A loudness-matched master preview: gentle EQ toward the genre curve, gain, true-peak limiting.

    master_file(src, dst, *, target, genre=None, kb=None) -> dict
    format_master_report(result) -> str

The chain: (0) DC offset removed; (1) a zero-phase EQ that moves each octave band half way toward the genre's
reference curve, never more than +-3 dB; (2) gain to the target's loudness; (3) a
look-ahead limiter driven by the true-peak (oversampled) envelope, so inter-sample peaks
stay under the target's ceiling. Limiting lowers the loudness a little, so gain and ceiling
are corrected and the chain run again until the result measures within 0.2 LU of the target
and under the ceiling (at most ITERATIONS times). The input file is only read; the output
is written whole or not at all (a temporary file renamed into place).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.errors import BadInput, FileProblem

if TYPE_CHECKING:
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


def apply_eq(x: np.ndarray, sr: int, gains: list[dict[str, Any]]) -> np.ndarray:
    """Zero-phase EQ: a smooth gain curve through the band centres (log frequency)."""
    if not gains or all(abs(g["gain_db"]) < 0.05 for g in gains):
        return x
    from scipy import fft

    centres = np.array([math.sqrt(g["low_hz"] * g["high_hz"]) for g in gains])
    values = np.array([g["gain_db"] for g in gains])
    pad = sr  # one second of zeros: the filter's tails never wrap around
    size = fft.next_fast_len(x.shape[0] + pad, real=True)
    freqs = np.fft.rfftfreq(size, 1 / sr)
    logf = np.log(np.maximum(freqs, 1.0))
    curve_db = np.interp(logf, np.log(centres), values)  # flat beyond the outer bands
    curve_db[freqs < 10.0] *= freqs[freqs < 10.0] / 10.0  # leave DC and infrasound alone
    response = 10 ** (curve_db / 20)
    out = np.empty_like(x)
    for c in range(x.shape[1]):
        spectrum = fft.rfft(x[:, c], n=size, workers=2)
        spectrum *= response
        out[:, c] = fft.irfft(spectrum, n=size, workers=2)[: x.shape[0]]
    return out


# --- true-peak limiter -------------------------------------------------------------------

def peak_envelope(x: np.ndarray, sr: int) -> np.ndarray:
    """Per BLOCK of samples, the largest |value| of the oversampled signal (all channels)."""
    from assistant.analysis.truepeak import BLOCK as TP_BLOCK
    from assistant.analysis.truepeak import interpolator, oversampling_factor

    interp = interpolator(oversampling_factor(sr))
    phases, taps = interp.h.shape
    n = x.shape[0]
    nb = -(-n // TP_BLOCK) + 1
    delay = taps // 2  # an output of the filter describes the signal about `delay` earlier
    per_sample = np.abs(x).max(axis=1).astype(np.float32)
    per_sample = np.concatenate((per_sample, np.zeros(-(-n // BLOCK) * BLOCK - n + BLOCK,
                                                      dtype=np.float32)))
    cols = np.arange(-(taps - 1), TP_BLOCK)
    for c in range(x.shape[1]):
        padded = np.zeros(nb * TP_BLOCK + TP_BLOCK, dtype=np.float32)
        padded[TP_BLOCK:TP_BLOCK + n] = x[:, c]
        for start in range(1, nb + 1, 2048):
            blocks = np.arange(start, min(nb + 1, start + 2048))
            rows = padded[blocks[:, None] * TP_BLOCK + cols]
            y = np.abs(rows @ interp.weights).reshape(-1, phases).max(axis=1)
            first = (start - 1) * TP_BLOCK - delay  # the sample y[0] sits next to
            lo, hi = max(0, first), min(per_sample.size, first + y.size)
            if hi > lo:
                np.maximum(per_sample[lo:hi], y[lo - first:hi - first], out=per_sample[lo:hi])
    env = per_sample[: -(-n // BLOCK) * BLOCK].reshape(-1, BLOCK).max(axis=1)
    # neighbours too: the interpolation's exact alignment within a block does not matter
    wide = env.copy()
    wide[1:] = np.maximum(wide[1:], env[:-1])
    wide[:-1] = np.maximum(wide[:-1], env[1:])
    return wide


def _release(reduction: np.ndarray, log_decay: float) -> np.ndarray:
    """r_b = max over j <= b of reduction_j * decay**(b - j): instant attack, exponential
    release, vectorised with a running maximum in log space (in segments: no overflow)."""
    out = np.empty_like(reduction)
    carry = 0.0
    segment = max(1, int(300 / max(1e-9, -log_decay)))
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


def limiter_gain(env: np.ndarray, ceiling: float, n: int, sr: int) -> np.ndarray:
    """Per-sample gain <= ceiling / envelope everywhere, smooth, with look-ahead."""
    need = np.minimum(1.0, ceiling / np.maximum(env.astype(np.float64), 1e-12))
    log_decay = -BLOCK / (sr * RELEASE_S)
    held = 1.0 - _release(1.0 - need, log_decay)
    half = max(1, round(ATTACK_S * sr / BLOCK))
    lowest = _running_min(held, half)  # every block within +-half of b is <= need there
    csum = np.concatenate(([0.0], np.cumsum(np.pad(lowest, half, mode="edge"))))
    smooth = (csum[2 * half + 1:] - csum[: -(2 * half + 1)]) / (2 * half + 1)
    smooth = np.minimum(smooth, held)
    # knots at block edges take the smaller neighbour, so no sample exceeds its block's gain
    knots = np.minimum(np.concatenate(([smooth[0]], smooth)), np.concatenate((smooth,
                                                                              [smooth[-1]])))
    return np.interp(np.arange(n), np.arange(knots.size) * BLOCK - 0.5, knots)


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


def master_file(src: str | Path, dst: str | Path, *, target: str, genre: str | None = None,
                kb: Knowledge | None = None) -> dict[str, Any]:
    """Master `src` into `dst` for `target` (a knowledge-base target name); see the module."""
    import soundfile as sf

    from assistant.analysis import spectrum
    from assistant.analysis.audio import audio_info, measure_array, one_blas_thread
    from assistant.analysis.audio_report import (
        analyze_audio,
        resolve_curve,
        resolve_target,
    )
    from assistant.fileio import check_writable, write_with

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
    try:
        x, sr = sf.read(str(src), dtype="float64", always_2d=True)
    except Exception as error:
        raise FileProblem(f"cannot read {src}: {error}") from None

    notes: list[str] = []
    gains = eq_gains(before["spectral_balance"]) if curve is not None else []
    dc = x.mean(axis=0)
    if np.abs(dc).max() > 1e-4:  # DC only eats headroom: take it out before limiting
        x = x - dc
        notes.append(f"removed a DC offset of {np.abs(dc).max():.4f}")
    with one_blas_thread():
        y = apply_eq(x, sr, gains)
        env = peak_envelope(y, sr)
        loud = measure_array(y, sr).loudness.integrated
        gain_db = float(np.clip(tgt.lufs - (loud or tgt.lufs), -MAX_GAIN_DB, MAX_GAIN_DB))
        ceiling_db = tgt.true_peak_dbtp - CEILING_MARGIN_DB
        out = y
        reduction_db = 0.0
        passes = 0
        applied_db = gain_db
        over = 0.0
        while passes < ITERATIONS:
            passes += 1
            applied_db = gain_db
            g = 10 ** (gain_db / 20)
            limit = limiter_gain(env * g, 10 ** (ceiling_db / 20), y.shape[0], sr)
            out = y * (g * limit)[:, None]
            m = measure_array(out, sr)
            tp_db = 20 * math.log10(max(m.true_peak, 1e-12))
            err = tgt.lufs - (m.loudness.integrated or tgt.lufs)
            over = tp_db - (tgt.true_peak_dbtp - CEILING_MARGIN_DB / 2)
            reduction_db = float(-20 * math.log10(max(limit.min(), 1e-12)))
            if over > 0:
                ceiling_db -= over + 0.02
            if abs(err) <= LOUDNESS_TOLERANCE and over <= 0:
                break
            gain_db = float(np.clip(gain_db + err, -MAX_GAIN_DB, MAX_GAIN_DB))
        else:
            notes.append(f"stopped after {ITERATIONS} passes; the figures below are the last")
        if over > 0:  # never hand over a master above the ceiling: trade a little loudness
            out = out * 10 ** (-(over + 0.02) / 20)
            notes.append(f"turned down {over + 0.02:.2f} dB at the end to stay under the ceiling")
    if subtype == "PCM_16":  # TPDF dither: the 16-bit rounding error becomes benign noise
        rng = np.random.default_rng(0)
        lsb = 1 / 32768
        out = out + (rng.random(out.shape) - rng.random(out.shape)) * lsb

    def write(tmp: Path) -> None:
        sf.write(str(tmp), out, sr, format=fmt, subtype=subtype)

    write_with(dst, write)
    after = analyze_audio(dst, target=target, genre=genre, stage="mixing", kb=kb)
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
