"""A favourite song -> what it teaches: tempo, key, chord loop and sections.

`coach analyze SONG.wav --reference` adds this to the mix analysis; the Arrangement stage
offers the same shape (`shape_text`, `sections_for_song`), the Mixing stage compares a mix
against the song (assistant.analysis.reference_compare).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.audio_in.chords import ChordChart, analyse_features
from assistant.audio_in.features import compute, load_clip
from assistant.audio_in.sections import Span, find_sections
from assistant.song import ReferenceSection, ReferenceSong, Section

ENERGY_BY_NAME = {"intro": 2, "verse": 3, "pre-chorus": 4, "chorus": 5, "bridge": 3, "outro": 2}


@dataclass
class ReferenceAnalysis:
    song: ReferenceSong
    chart: ChordChart
    spans: list[Span]


def analyse(path: str | Path, lufs: float | None = None) -> ReferenceAnalysis:
    clip = load_clip(path)
    f = compute(clip)
    chart = analyse_features(f, clip.path)
    import numpy as np

    spans = find_sections(f, np.asarray(chart.downbeats_s))
    ref = ReferenceSong(
        path=str(path), tempo_bpm=round(chart.tempo_bpm, 1), key=chart.key,
        loop=chart.loop_symbols(),
        sections=[ReferenceSection(start_s=round(s.start_s, 2), end_s=round(s.end_s, 2),
                                   label=s.label, name=s.name) for s in spans],
        lufs=lufs)
    return ReferenceAnalysis(ref, chart, spans)


def analyze_reference(path: str | Path) -> ReferenceSong:
    """The tempo, key, loop and sections of a song file."""
    return analyse(path).song


def reference_json(ref: ReferenceSong) -> dict[str, Any]:
    """The `"reference"` object of `coach analyze --reference --json` (a contract)."""
    return {
        "tempo_bpm": ref.tempo_bpm,
        "key": ref.key,
        "loop": list(ref.loop),
        "sections": [{"start_s": s.start_s, "end_s": s.end_s, "label": s.label, "name": s.name}
                     for s in ref.sections],
        "shape": shape_text(ref),
    }


def section_bars(ref: ReferenceSong) -> list[int]:
    """Each section's length in bars of 4 beats at the song's tempo (at least 1)."""
    bar_s = 240.0 / ref.tempo_bpm if ref.tempo_bpm else 2.0
    return [max(1, round((s.end_s - s.start_s) / bar_s)) for s in ref.sections]


def phrase_bars(bars: int) -> int:
    """A heard length as the phrase a musician would write: 2 bars, else a multiple of 4 (a
    boundary heard a bar early or late makes 9 or 7 of what is played as 8)."""
    return 2 if bars <= 2 else max(4, 4 * round(bars / 4))


def shape(ref: ReferenceSong) -> list[tuple[str, int]]:
    """The song's form to arrange against: (name, bars) per section, neighbours of the same
    name joined (one verse heard in two parts is one verse), lengths in whole phrases."""
    out: list[tuple[str, int]] = []
    for s, bars in zip(ref.sections, section_bars(ref), strict=True):
        name = s.name or f"part {s.label}"
        if out and out[-1][0] == name:
            out[-1] = (name, out[-1][1] + bars)
        else:
            out.append((name, bars))
    return [(name, phrase_bars(bars)) for name, bars in out]


def shape_text(ref: ReferenceSong) -> str:
    """ "intro 8 · verse 16 · chorus 8 … at 92 bpm": the song's form in bars."""
    parts = [f"{name} {bars}" for name, bars in shape(ref)]
    tempo = f" at {ref.tempo_bpm:.0f} bpm" if ref.tempo_bpm else ""
    return " \u00b7 ".join(parts) + tempo


def sections_for_song(ref: ReferenceSong) -> list[Section]:
    """The reference's shape as Song sections (names numbered when they repeat: "verse 2")."""
    seen: dict[str, int] = {}
    out = []
    for base, bars in shape(ref):
        seen[base] = seen.get(base, 0) + 1
        name = base if seen[base] == 1 else f"{base} {seen[base]}"
        out.append(Section(name=name, bars=min(bars, 256), energy=ENERGY_BY_NAME.get(base, 3)))
    return out
