"""Files the user names in the conversation (takes, mixes) and files the tools write.

The language reader's path slot may carry words before the path ("check takes/vocal 2.wav"):
`find_file` tries the text from each word on, so names with spaces still work. Outputs go
next to the input when that folder is writable, else into the data folder; they never
replace the input, and an existing output gets a numbered sibling instead of being
overwritten.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from assistant.audio_in.formats import PHONE_AUDIO

AUDIO_SUFFIXES = (".wav", ".wave", ".flac", ".aif", ".aiff")
MIDI_SUFFIXES = (".mid", ".midi")
OTHER_AUDIO = frozenset({".mp3", ".ogg"}) | PHONE_AUDIO
"""Compressed or phone formats: heard by audio_in (melodies, chords, favourite songs), not
measured by the level checks (loudness and clipping want the file as recorded)."""


def find_file(text: str) -> tuple[Path, bool]:
    """The path the text names and whether it exists (the shortest candidate when none do)."""
    text = text.strip().strip("'\"“”‘’`")
    words = text.split(" ")
    candidates = [" ".join(words[i:]).strip("'\"“”‘’`: ") for i in range(len(words))]
    candidates = [c for c in candidates if c]
    for candidate in candidates:
        path = Path(candidate).expanduser()
        if path.exists():
            return path, True
    # none exists: the last run of the text without spaces reads best in an error
    tail = candidates[-1] if candidates else text
    return Path(tail).expanduser(), False


def kind_of(path: Path) -> str:
    """"audio", "midi", "compressed" (MP3, M4A and friends) or "other"."""
    suffix = path.suffix.lower()
    if suffix in AUDIO_SUFFIXES:
        return "audio"
    if suffix in MIDI_SUFFIXES:
        return "midi"
    if suffix in OTHER_AUDIO:
        return "compressed"
    return "other"


def slug(text: str, default: str = "song") -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or default


def output_beside(source: Path, name: str, fallback: str) -> Path:
    """`name` in the source's folder (data folder / `fallback` when that is not writable),
    numbered when a file of that name exists already."""
    from assistant import paths

    folder = source.parent
    if not os.access(folder, os.W_OK):
        folder = paths.data_dir() / fallback
        folder.mkdir(parents=True, exist_ok=True)
    return unique(folder / name)


def unique(path: Path) -> Path:
    if not path.exists():
        return path
    for n in range(2, 1000):
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        if not candidate.exists():
            return candidate
    return path.with_name(f"{path.stem}-{os.getpid()}{path.suffix}")

