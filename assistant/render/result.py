"""What a render returns: paths, timings and levels (no numpy here, cheap to import)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class RenderResult:
    wav: Path | None
    midi: Path | None
    duration_s: float
    """Length of the WAV, release tail included (0 when no audio was written)."""
    render_s: float
    """Wall time of the whole render: arranging, MIDI, synth, levels, writing."""
    soundfont: Path | None
    sections: list[dict[str, Any]]
    """name, start_s, bars, energy of each rendered section."""
    song_s: float = 0.0
    """Length of the arranged music without the tail."""
    bars: int = 0
    tempo: float = 0.0
    meter: str = "4/4"
    key: str = ""
    sample_rate: int = 0
    lufs: float | None = None
    peak_dbfs: float | None = None
    true_peak_dbtp: float | None = None
    """Highest inter-sample peak found (None when no block came near the ceiling)."""
    synth_s: float = 0.0
    tracks: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        def num(value: float | None, digits: int = 3) -> float | None:
            return None if value is None or value != value or abs(value) == float("inf") else round(value, digits)

        return {
            "wav": str(self.wav) if self.wav else None,
            "midi": str(self.midi) if self.midi else None,
            "duration_s": num(self.duration_s),
            "render_s": num(self.render_s),
            "soundfont": str(self.soundfont) if self.soundfont else None,
            "sections": self.sections,
            "song_s": num(self.song_s),
            "bars": self.bars,
            "tempo": self.tempo,
            "meter": self.meter,
            "key": self.key,
            "sample_rate": self.sample_rate,
            "lufs": num(self.lufs, 2),
            "peak_dbfs": num(self.peak_dbfs, 2),
            "true_peak_dbtp": num(self.true_peak_dbtp, 2),
            "synth_s": num(self.synth_s),
            "tracks": self.tracks,
            "warnings": self.warnings,
        }
