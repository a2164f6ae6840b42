"""The lyrics as they appear on the exported song sheet (song.md)."""

from __future__ import annotations

from assistant.song import Song


def lyrics_markdown(song: Song) -> list[str]:
    """A "## Lyrics" block: each section's name, then its lines."""
    lines = ["## Lyrics"]
    for section in song.lyrics:
        lines += ["", f"**{section.name}**", ""]
        lines += [f"{line}  " for line in section.lines] or ["(no words yet)"]
    return lines
