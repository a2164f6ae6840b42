"""Previews: Song sheet -> arranged tracks -> MIDI (mido) -> audio (FluidSynth) -> WAV.

Modules: `arrange` (Song -> `events.Arrangement`), `midi` (type-1 export), `synth`
(offline FluidSynth, a long song split between synths on parallel threads), `level` (DC
removal, loudness, limiter, true peak, the WAV writer), `soundfont` (discovery), `click`,
`play` (external players), `pipeline` (the whole chain). Importing this package is cheap;
the heavy parts load when `preview()` runs.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.render.result import RenderResult

if TYPE_CHECKING:
    from assistant.song import Song

__all__ = ["RenderResult", "default_preview_path", "preview"]


def default_preview_path(title: str = "preview", suffix: str = ".wav") -> Path:
    """`<data>/previews/<title>-<timestamp>.wav`; the folder is created."""
    from assistant.paths import previews_dir

    folder = previews_dir()
    folder.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "preview"
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = folder / f"{slug[:40]}-{stamp}{suffix}"
    n = 2
    while path.exists():
        path = folder / f"{slug[:40]}-{stamp}-{n}{suffix}"
        n += 1
    return path


def preview(
    song: Song,
    wav_path: str | Path | None = None,
    midi_path: str | Path | None = None,
    section: str | None = None,
    bars: int | None = None,
    soundfont: str | Path | None = None,
    *,
    demo: bool = False,
    backing: bool = False,
    click: bool = False,
    count_in: int = 0,
    rate: int = 44100,
) -> RenderResult:
    """Render `song` to a WAV (default: a new file in the previews folder) and maybe a MIDI.

    Without `section`/`demo` it renders the first chorus (else 8 bars of the progression);
    `section` renders that section, `bars` limits or sets the length, `demo` renders all
    sections. Raises a `CoachError` subclass on bad input, a missing soundfont (after
    writing the MIDI), or an unwritable path. Thread-safe: one synth per call.
    """
    from assistant.render.pipeline import render_song

    wav = Path(wav_path) if wav_path is not None else default_preview_path(song.title)
    return render_song(
        song,
        wav,
        Path(midi_path) if midi_path is not None else None,
        section=section,
        bars=bars,
        demo=demo,
        backing=backing,
        click=click,
        count_in=count_in,
        soundfont=soundfont,
        rate=rate,
    )
