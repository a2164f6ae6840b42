"""The lyrics inside song.mid: a `lyrics` meta event per syllable on the sung melody's notes,
the way karaoke files and DAWs carry them (a syllable inside a word ends with "-", the last
syllable of a line with a carriage return, as RP-026 and .kar files mark line ends).

Each lyric section is sung wherever a section of the arrangement has its name ("chorus" in
every chorus; "verse" in every verse that has no words of its own, "verse 2" only there);
a render whose sections match no lyric (the 8-bar preview before there is a structure) gets
the chorus on its first section.
Syllables go one a note in order; spare notes are sung on the last syllable (no event),
spare syllables join the section's last note so no word is dropped.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.render.events import Arrangement, Track
    from assistant.song import Song


def syllable_texts(lines: list[str]) -> list[str]:
    """Every syllable of the lines as a lyric event's text ("be-", "gin ", "a-", "gain\\r")."""
    from assistant.lyrics.dictionary import load
    from assistant.lyrics.line import analyse_line

    d = load()
    out: list[str] = []
    for text in lines:
        line = analyse_line(text, d)
        if not line.syllables:
            continue
        for k, syl in enumerate(line.syllables):
            end = "\r" if k == len(line.syllables) - 1 else (" " if syl.last else "-")
            out.append(syl.text + end)
    return out


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower())


def lyrics_for(section: str, song: Song) -> list[str] | None:
    """The lines sung in an arrangement section named `section`, or None."""
    name = _norm(section)
    by_name = {_norm(s.name): s.lines for s in song.lyrics if s.lines}
    if name in by_name:
        return by_name[name]
    base = re.sub(r"\s*\d+$", "", name)
    return by_name.get(base)


def attach(song: Song, arrangement: Arrangement) -> int:
    """Put the song's lyrics on the melody track; returns how many syllables were placed."""
    if not song.lyrics:
        return 0
    track = _singer(arrangement)
    if track is None:
        return 0
    placed = 0
    cache: dict[str, list[str]] = {}
    matched = [lyrics_for(span.name, song) for span in arrangement.sections]
    if arrangement.sections and not any(matched):
        # no section of the render has a lyric's name (a preview before the structure
        # exists): the chorus, else the first words written, go on the first section
        chorus = next((s.lines for s in song.lyrics if "chorus" in s.name.lower() and s.lines), None)
        matched[0] = chorus or next((s.lines for s in song.lyrics if s.lines), None)
    for span, lines in zip(arrangement.sections, matched, strict=True):
        if not lines:
            continue
        key = "\n".join(lines)
        syllables = cache.setdefault(key, syllable_texts(lines))
        end = span.start + span.bars * arrangement.bar_beats
        notes = [n for n in track.notes if span.start <= n.start < end]
        if not notes or not syllables:
            continue
        for note, text in zip(notes, syllables, strict=False):
            track.lyrics.append((note.start, text))
        if len(syllables) > len(notes):  # no word dropped: the rest on the last note
            beat, text = track.lyrics[-1]
            track.lyrics[-1] = (beat, text.rstrip("\r") + " " + "".join(syllables[len(notes):]))
        placed += min(len(notes), len(syllables))
    return placed


def _singer(arrangement: Arrangement) -> Track | None:
    melodic = [t for t in arrangement.tracks if t.role == "melody" and t.notes]
    melodic = melodic or [t for t in arrangement.tracks if t.role == "lead" and t.notes]
    return melodic[0] if melodic else None
