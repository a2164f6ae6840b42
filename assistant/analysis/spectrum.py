"""Spectral balance in octave bands, compared with a genre's reference curve.

Both the measured bands and the curve are expressed relative to their own mean over the
bands they share (the knowledge base's curves are "dB relative to the mean of the ten
bands"), so only the shape is compared, never the absolute level.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

OCTAVE_CENTRES = (31.5, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0)


def octave_bands(sr: float) -> list[tuple[float, float]]:
    """The ten ISO octave bands (31.5 Hz - 16 kHz centres) that lie below Nyquist."""
    bands = []
    for centre in OCTAVE_CENTRES:
        low, high = centre / math.sqrt(2), centre * math.sqrt(2)
        if low < sr / 2:
            bands.append((round(low, 1), round(min(high, sr / 2), 1)))
    return bands


def band_label(low: float, high: float) -> str:
    """'63 Hz', '1 kHz', '16 kHz': the band's centre frequency, as people name octaves."""
    centre = math.sqrt(low * high)
    nominal = min(OCTAVE_CENTRES, key=lambda c: abs(math.log(c / centre)))
    if abs(math.log(nominal / centre)) > 0.2:
        nominal = centre
    if nominal >= 1000:
        value = nominal / 1000
        return f"{value:g} kHz" if value >= 10 or value == int(value) else f"{value:.1f} kHz"
    return f"{nominal:g} Hz" if nominal < 100 else f"{nominal:.0f} Hz"


def band_levels(freqs: np.ndarray, power: np.ndarray,
                bands: Sequence[tuple[float, float]]) -> list[float | None]:
    """Power in each band, in dB (None where the band has no bins or no energy)."""
    out: list[float | None] = []
    for low, high in bands:
        mask = (freqs >= low) & (freqs < high)
        total = float(power[mask].sum()) if mask.any() else 0.0
        out.append(10 * math.log10(total) if total > 0 else None)
    return out


def _relative(values: Sequence[float | None], use: Sequence[bool]) -> list[float | None]:
    chosen = [v for v, u in zip(values, use, strict=True) if u and v is not None]
    if not chosen:
        return [None for _ in values]
    mean = sum(chosen) / len(chosen)
    return [v - mean if (v is not None and u) else None for v, u in zip(values, use, strict=True)]


def spectral_balance(freqs: np.ndarray, power: np.ndarray, sr: float,
                     curve: Sequence[Any] | None = None) -> list[dict[str, Any]]:
    """Bands with measured `db` and (with a curve) `target_db` and `deviation_db`.

    `curve` is a sequence of objects with low_hz, high_hz and db (a SpectralCurve's bands).
    Bands above Nyquist (or silent) get None and are left out of both means.
    """
    if curve:
        bands = [(float(b.low_hz), float(b.high_hz)) for b in curve]
        targets: list[float | None] = [float(b.db) for b in curve]
    else:
        bands = octave_bands(sr)
        targets = [None] * len(bands)
    measured = band_levels(freqs, power, [(lo, min(hi, sr / 2)) for lo, hi in bands])
    usable = [m is not None and lo < sr / 2 for m, (lo, _) in zip(measured, bands, strict=True)]
    rel = _relative(measured, usable)
    rel_target = _relative(targets, usable) if curve else targets
    items = []
    for (low, high), db, target in zip(bands, rel, rel_target, strict=True):
        item: dict[str, Any] = {
            "low_hz": low, "high_hz": high, "band": band_label(low, high),
            "db": None if db is None else round(db, 1),
            "target_db": None if target is None else round(target, 1),
        }
        if db is not None and target is not None:
            item["deviation_db"] = round(db - target, 1)
        items.append(item)
    return items


def worst_band(items: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The band furthest from the curve (None without a curve)."""
    scored = [i for i in items if i.get("deviation_db") is not None]
    return max(scored, key=lambda i: abs(i["deviation_db"])) if scored else None
