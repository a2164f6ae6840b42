"""Reading the public chord data (Billboard, POP909) into chord-class sequences.

Used by `tools/build_next_chord.py` and `benchmarks/eval_next_chord.py`, never at run time.
Both files carry a derived `roman_sequence` (root distance from the *local* tonic, numbered
against the major scale, lower case for minor/diminished), which is exactly our numeral
convention, so a song that changes key keeps meaningful numerals across the change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from assistant.composition.chords import ChordClass, collapse, from_numeral
from assistant.errors import BadInput, FileProblem

BILLBOARD = "billboard_100_tonic_chords.json"
POP909 = "pop909_100_key_chords.json"


@dataclass
class SongChords:
    id: str
    corpus: str
    """"billboard" or "pop909"."""
    chords: list[ChordClass]
    """Consecutive repeats collapsed."""
    minor: list[bool] = field(default_factory=list)
    """Per chord: is the local key minor-like? (Billboard: inferred per song, see below.)"""
    title: str = ""
    artist: str = ""


def _read(path: Path) -> dict:  # type: ignore[type-arg]
    try:
        return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    except OSError as error:
        raise FileProblem(f"cannot read {path}: {error.strerror or error}") from error
    except ValueError as error:
        raise FileProblem(f"{path} is not valid JSON: {error}") from error


def _class(numeral: str) -> ChordClass | None:
    try:
        return from_numeral(numeral)
    except BadInput:  # a label the theory module cannot read: skip it, as N/X are skipped
        return None


def _classes(numerals: list[str]) -> list[ChordClass]:
    return [c for c in map(_class, numerals) if c is not None]


def _minor_by_tonic_chord(chords: list[ChordClass]) -> bool:
    """Billboard gives the tonic, not the mode: call a song minor when its tonic chords are
    more often minor than major (power chords and sus count as major, so rock riffs on a
    bare tonic stay major)."""
    minor = sum(1 for c in chords if c.root == 0 and c.quality == "min")
    major = sum(1 for c in chords if c.root == 0 and c.quality == "maj")
    return minor > major


def load_billboard(path: Path) -> list[SongChords]:
    songs = []
    for song in _read(path)["songs"]:
        chords = collapse(_classes(song["roman_sequence"]))
        minor = _minor_by_tonic_chord(chords)
        songs.append(
            SongChords(
                id=f"billboard:{song['id']}", corpus="billboard", chords=chords,
                minor=[minor] * len(chords), title=song.get("title", ""),
                artist=song.get("artist", ""),
            )
        )
    return songs


def load_pop909(path: Path) -> list[SongChords]:
    songs = []
    for song in _read(path)["songs"]:
        segments = [
            (seg["start"], seg["key"].endswith(":min")) for seg in song.get("key_segments", [])
        ] or [(0.0, song["key"].endswith(":min"))]
        chords: list[ChordClass] = []
        minor: list[bool] = []
        for start, _end, label, numeral in song["chords_timed"]:
            if label == "N" or not numeral:
                continue
            chord = _class(numeral)
            if chord is None or (chords and chords[-1] == chord):
                continue
            local = segments[0][1]
            for seg_start, seg_minor in segments:
                if start + 1e-6 >= seg_start:
                    local = seg_minor
            chords.append(chord)
            minor.append(local)
        songs.append(
            SongChords(
                id=f"pop909:{song['id']}", corpus="pop909", chords=chords, minor=minor,
                title=song.get("title", ""), artist=song.get("artist", ""),
            )
        )
    return songs


def load_data_dir(folder: Path) -> tuple[list[SongChords], list[SongChords], dict[str, dict]]:  # type: ignore[type-arg]
    """(billboard songs, pop909 songs, {corpus: meta}) from `../shared/data`-like folder."""
    folder = Path(folder)
    for name in (BILLBOARD, POP909):
        if not (folder / name).is_file():
            raise FileProblem(f"{folder / name} not found: give the data folder as an argument")
    meta = {
        "billboard": _read(folder / BILLBOARD).get("meta", {}),
        "pop909": _read(folder / POP909).get("meta", {}),
    }
    return load_billboard(folder / BILLBOARD), load_pop909(folder / POP909), meta
