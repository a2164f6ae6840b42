"""A mix against a reference song: loudness, tonal balance and width, matched.

What reference-track tools producers use do (Metric AB, REFERENCE, Magic AB): hear both at
the same loudness, then compare the tonal balance band by band and the stereo width. Both
files are measured by the coach's own meter (assistant.analysis.audio: BS.1770 loudness,
the averaged spectrum, side/mid width). The octave-band levels are each relative to their
own mean, so the balance compares as if both played equally loud; the loudness difference
is reported apart, as the gain that would match them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BAND_TOLERANCE_DB = 3.0  # smaller tonal differences are hard to hear on a whole mix
LOUDNESS_TOLERANCE_LU = 1.0
WIDTH_TOLERANCE = 0.1  # side/mid ratio


@dataclass
class ReferenceComparison:
    mix: str
    reference: str
    mix_lufs: float | None
    reference_lufs: float | None
    loudness_diff_lu: float | None  # mix minus reference
    bands: list[dict[str, Any]]  # band, mix_db, reference_db, diff_db (balance, loudness matched)
    mix_width: float | None
    reference_width: float | None
    why: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "mix": self.mix, "reference": self.reference, "mix_lufs": self.mix_lufs,
            "reference_lufs": self.reference_lufs, "loudness_diff_lu": self.loudness_diff_lu,
            "bands": self.bands, "mix_width": self.mix_width,
            "reference_width": self.reference_width, "why": list(self.why),
        }


def _measure(path: str | Path) -> tuple[float | None, list[dict[str, Any]], float | None]:
    from assistant.analysis import spectrum
    from assistant.analysis.audio import measure_file

    _, m = measure_file(str(path))
    lufs = m.loudness.integrated
    lufs = None if lufs is None or not math.isfinite(lufs) else round(float(lufs), 1)
    bands = spectrum.spectral_balance(m.spectrum_freqs, m.spectrum_power, m.sr)
    width = None
    if m.stereo is not None and m.stereo.get("width") is not None:
        width = round(float(m.stereo["width"]), 3)  # type: ignore[arg-type]
    return lufs, bands, width


def compare_to_reference(mix_path: str | Path, reference_path: str | Path) -> ReferenceComparison:
    """How a mix differs from a reference song, with a plain-language line for each difference."""
    mix_lufs, mix_bands, mix_width = _measure(mix_path)
    ref_lufs, ref_bands, ref_width = _measure(reference_path)
    diff = None if mix_lufs is None or ref_lufs is None else round(mix_lufs - ref_lufs, 1)
    ref_by_band = {b["band"]: b["db"] for b in ref_bands}
    bands = []
    for b in mix_bands:
        r = ref_by_band.get(b["band"])
        if b["db"] is None or r is None:
            continue
        bands.append({"band": b["band"], "mix_db": b["db"], "reference_db": r,
                      "diff_db": round(b["db"] - r, 1)})
    why: list[str] = []
    name = Path(reference_path).name
    if diff is not None:
        if abs(diff) > LOUDNESS_TOLERANCE_LU:
            louder = "louder" if diff > 0 else "quieter"
            why.append(f"Your mix is {abs(diff):.1f} LU {louder} than {name} ({mix_lufs:.1f} vs "
                       f"{ref_lufs:.1f} LUFS); turn it {'down' if diff > 0 else 'up'} "
                       f"{abs(diff):.1f} dB when you compare, or the louder one will simply "
                       "sound better.")
        else:
            why.append(f"Loudness matches {name} within {LOUDNESS_TOLERANCE_LU:g} LU "
                       f"({mix_lufs:.1f} vs {ref_lufs:.1f} LUFS).")
    off = sorted((b for b in bands if abs(b["diff_db"]) >= BAND_TOLERANCE_DB),
                 key=lambda b: -abs(b["diff_db"]))
    for b in off[:3]:
        more = "more" if b["diff_db"] > 0 else "less"
        why.append(f"At the same loudness your mix has {abs(b['diff_db']):.1f} dB {more} "
                   f"{b['band']} than {name}: {_band_hint(b['band'], b['diff_db'] > 0)}")
    if bands and not off:
        why.append(f"Tonal balance is within {BAND_TOLERANCE_DB:g} dB of {name} in every "
                   "octave band.")
    if mix_width is not None and ref_width is not None:
        gap = mix_width - ref_width
        if abs(gap) > WIDTH_TOLERANCE:
            why.append(f"Your mix is {'wider' if gap > 0 else 'narrower'} than {name} (side/mid "
                       f"{mix_width:.2f} vs {ref_width:.2f}): "
                       + ("check it in mono; pan fewer parts hard." if gap > 0 else
                          "pan supporting parts (doubles, pads, backing vocals) further out."))
        else:
            why.append(f"Stereo width matches {name} (side/mid {mix_width:.2f} vs {ref_width:.2f}).")
    elif (mix_width is None) != (ref_width is None):
        which = "your mix" if mix_width is None else name
        why.append(f"Width not compared: {which} is mono.")
    return ReferenceComparison(str(mix_path), str(reference_path), mix_lufs, ref_lufs, diff,
                               bands, mix_width, ref_width, why)


def _band_hint(band: str, more: bool) -> str:
    hz = float(band.split()[0]) * (1000 if "kHz" in band else 1)
    if hz < 100:
        part = "the sub and kick"
    elif hz < 400:
        part = "the low mids (body, boxiness)"
    elif hz < 2500:
        part = "the mids (vocals, guitars, piano)"
    elif hz < 6000:
        part = "the presence range (attack, harshness)"
    else:
        part = "the air (cymbals, breath, sibilance)"
    return f"{part} — try {'cutting' if more else 'boosting'} it a few dB with a wide EQ bell."
