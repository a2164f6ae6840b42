"""Reading the public chord data (Billboard, POP909) into chord-class sequences.

Used by `tools/build_next_chord.py` and `benchmarks/eval_next_chord.py`, never at run time.
Both files carry a derived `roman_sequence` (root distance from the *local* tonic, numbered
against the major scale, lower case for minor/diminished), which is exactly our numeral
convention, so a song that changes key keeps meaningful numerals across the change.
"""

from __future__ import annotations

import json
import re
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
    sections: list[str] = field(default_factory=list)
    """Per chord: the section it belongs to (`verse`, `chorus`, ... see SECTION_KINDS;
    "" when the data has none)."""
    starts: list[bool] = field(default_factory=list)
    """Per chord: does it open a new section?"""
    parts: list[tuple[str, list[ChordClass]]] = field(default_factory=list)
    """The sections in order: (kind, its chords with repeats collapsed inside it)."""

    def group(self) -> str:
        """Billboard songs appear in several files: split by title + artist, never by file."""
        return song_group(self.title, self.artist)


def song_group(title: str, artist: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", f"{title} | {artist}".lower()).strip()


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


# ---------------------------------------------------------------------- the full folders

BILLBOARD_DIR = "billboard_890"
POP909_DIR = "pop909_all"
SECTION_KINDS = ("intro", "verse", "pre-chorus", "chorus", "bridge", "solo", "outro", "other")
_SECTION_WORDS = {
    "intro": "intro", "pre-intro": "intro", "fade in": "intro", "fadein": "intro",
    "verse": "verse", "strophe": "verse", "pre-verse": "verse", "refrain": "chorus",
    "chorus": "chorus", "main theme": "chorus", "pre-chorus": "pre-chorus",
    "prechorus": "pre-chorus", "pre chorus": "pre-chorus", "bridge": "bridge",
    "secondary theme": "bridge", "solo": "solo", "instrumental": "solo",
    "instrumental break": "solo", "interlude": "solo", "outro": "outro", "coda": "outro",
    "fadeout": "outro", "fade out": "outro", "ending": "outro",
    "trans": "other", "transition": "other",
}


def section_kind(word: str) -> str | None:
    """A Billboard function label ("pre-chorus two", "chorus a", "spoken verse") -> one of
    SECTION_KINDS, or None when the word is not a section name."""
    text = word.strip().lower()
    if text in _SECTION_WORDS:
        return _SECTION_WORDS[text]
    for words, kind in sorted(_SECTION_WORDS.items(), key=lambda item: -len(item[0])):
        if re.search(rf"\b{re.escape(words)}\b", text):
            return kind
    return None


_TIME_SIGNATURE = re.compile(r"^\(\d+/\d+\)$")


def _harte_class(label: str, tonic: int) -> ChordClass | None:
    from assistant import theory

    try:
        symbol = theory.parse_symbol(label)
    except BadInput:
        return None
    triad = theory.triad_quality(symbol.quality)
    return ChordClass((symbol.root - tonic) % 12,
                      triad if triad in ("maj", "min", "dim", "aug") else "maj")


def parse_salami(text: str, song_id: str) -> SongChords:
    """One McGill Billboard `salami_chords.txt`: header (title, artist, tonic), then timed
    lines of section labels and bars. `.` repeats the previous chord, `xN` repeats the
    line's bars, a `# tonic:` line mid-song changes the tonic; N and &pause are skipped."""
    from assistant import theory

    title = artist = ""
    tonic: int | None = None
    labels: list[tuple[ChordClass, str, bool]] = []  # (class, section kind, opens a section)
    parts: list[tuple[str, list[ChordClass]]] = []
    kind, fresh = "", False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            name, _, value = line[1:].partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "title":
                title = value
            elif name == "artist":
                artist = value
            elif name == "tonic":
                try:
                    tonic = theory.parse_pitch_class(value)
                except BadInput:
                    tonic = None
            continue
        _time, _, rest = line.partition("\t")
        first, last = rest.find("|"), rest.rfind("|")
        bars_text = rest[first:last + 1] if first >= 0 else ""
        outside = rest[:first] + "," + rest[last + 1:] if first >= 0 else rest
        repeat = 1
        for part in (p.strip() for p in outside.split(",")):
            if re.fullmatch(r"x\d+", part):
                repeat = int(part[1:])
            elif part and not part.startswith("(") and not part.endswith(")"):
                found = section_kind(part)
                if found is not None:
                    kind, fresh = found, True
        if not bars_text or tonic is None:
            continue
        tokens = [t for bar in bars_text.split("|") for t in bar.split()]
        line_chords: list[ChordClass] = []
        for token in tokens:
            if token == "." and line_chords:
                line_chords.append(line_chords[-1])
                continue
            if token in (".", "N", "X", "&pause", "*", "->") or _TIME_SIGNATURE.match(token):
                continue
            chord = _harte_class(token, tonic)
            if chord is not None:
                line_chords.append(chord)
        if fresh and line_chords:
            parts.append((kind, []))
        for chord in line_chords * repeat:
            labels.append((chord, kind, fresh))
            fresh = False
            if parts and (not parts[-1][1] or parts[-1][1][-1] != chord):
                parts[-1][1].append(chord)
    chords: list[ChordClass] = []
    sections: list[str] = []
    starts: list[bool] = []
    for chord, section, opens in labels:
        if chords and chords[-1] == chord:
            if opens and not starts[-1]:
                pass  # the same chord carries over a section line: the change is elsewhere
            continue
        chords.append(chord)
        sections.append(section)
        starts.append(opens or (len(sections) > 1 and sections[-2] != section))
    minor = _minor_by_tonic_chord(chords)
    return SongChords(id=f"billboard:{song_id}", corpus="billboard", chords=chords,
                      minor=[minor] * len(chords), title=title, artist=artist,
                      sections=sections, starts=starts, parts=parts)


def load_billboard_folder(folder: Path) -> list[SongChords]:
    """Every `<id>.txt` of billboard_890/, in id order."""
    songs = []
    for path in sorted(Path(folder).glob("*.txt")):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise FileProblem(f"cannot read {path}: {error.strerror or error}") from error
        song = parse_salami(text, path.stem)
        if len(song.chords) >= 2:
            songs.append(song)
    return songs


def _timed(path: Path) -> list[tuple[float, str]]:
    out = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise FileProblem(f"cannot read {path}: {error.strerror or error}") from error
    for line in lines:
        parts = line.split()
        if len(parts) >= 3:
            out.append((float(parts[0]), parts[2]))
    return out


def load_pop909_song(folder: Path) -> SongChords:
    """One POP909 song folder: chord_midi.txt (start, end, Harte) and key_audio.txt (start,
    end, key such as `Gb:maj`); numerals against the local key, repeats collapsed."""
    from assistant import theory

    keys = []
    for start, label in _timed(folder / "key_audio.txt"):
        root, _, mode = label.partition(":")
        keys.append((start, theory.parse_pitch_class(root), mode.startswith("min")))
    if not keys:
        raise FileProblem(f"{folder / 'key_audio.txt'} holds no key")
    chords: list[ChordClass] = []
    minor: list[bool] = []
    for start, label in _timed(folder / "chord_midi.txt"):
        if label in ("N", "X"):
            continue
        tonic, is_minor = keys[0][1], keys[0][2]
        for key_start, key_tonic, key_minor in keys:
            if start + 0.05 >= key_start:
                tonic, is_minor = key_tonic, key_minor
        # the numerals are numbered from the major tonic in both modes (A minor: F is bVI)
        chord = _harte_class(label, tonic)
        if chord is None or (chords and chords[-1] == chord):
            continue
        chords.append(chord)
        minor.append(is_minor)
    return SongChords(id=f"pop909:{folder.name}", corpus="pop909", chords=chords, minor=minor)


def load_pop909_folder(folder: Path) -> list[SongChords]:
    songs = []
    for sub in sorted(p for p in Path(folder).iterdir() if p.is_dir()):
        song = load_pop909_song(sub)
        if len(song.chords) >= 2:
            songs.append(song)
    return songs


@dataclass
class Split:
    """Training songs and the held-out test sets of the evaluation."""

    train: list[SongChords]
    tests: dict[str, list[SongChords]]


LAST_30_BILLBOARD = "Billboard last 30 (expert)"
LEFT_OUT_BILLBOARD = "Billboard 100 songs left out (expert)"
LAST_30_POP909 = "POP909 last 30 (silver)"
LEFT_OUT = 100


def evaluation_split(folder: Path) -> Split:
    """The test sets of `benchmarks/eval_next_chord.py`, and every other song for training.

    - the last 30 songs of billboard_100_tonic_chords.json (read from billboard_890/, same
      ids, so their section labels come along; every file with their title + artist is
      left out of training);
    - 100 more distinct Billboard songs (title + artist), none of the 100 JSON songs: the
      first 100 by a hash of title + artist (stable, no choice by hand); one file each is
      scored, every file of the song is left out;
    - the last 30 songs of pop909_100_key_chords.json (as read from the JSON, so the figures
      stay comparable; their folders are left out).
    Training: all other files of billboard_890/ and pop909_all/.
    """
    import hashlib

    folder = Path(folder)
    old_billboard, old_pop909, _meta = load_data_dir(folder)
    billboard = load_billboard_folder(folder / BILLBOARD_DIR)
    pop909 = load_pop909_folder(folder / POP909_DIR)
    by_id = {song.id: song for song in billboard}
    last30 = [by_id.get(song.id, song) for song in old_billboard[70:]]
    json_groups = {song.group() for song in old_billboard}
    groups: dict[str, list[SongChords]] = {}
    for song in billboard:
        groups.setdefault(song.group(), []).append(song)
    candidates = sorted((g for g in groups if g not in json_groups),
                        key=lambda g: hashlib.sha1(g.encode("utf-8")).hexdigest())
    chosen = set(candidates[:LEFT_OUT])
    left_out = sorted((groups[g][0] for g in chosen), key=lambda s: s.id)
    held_groups = chosen | {song.group() for song in last30}
    pop_test = old_pop909[70:]
    pop_ids = {song.id for song in pop_test}
    train = [s for s in billboard if s.group() not in held_groups]
    train += [s for s in pop909 if s.id not in pop_ids]
    return Split(train, {LAST_30_BILLBOARD: last30, LEFT_OUT_BILLBOARD: left_out,
                         LAST_30_POP909: pop_test})


def load_full_data(folder: Path) -> tuple[list[SongChords], list[SongChords]]:
    """(every Billboard file, every POP909 song) of the full folders, for the shipped model."""
    folder = Path(folder)
    for name in (BILLBOARD_DIR, POP909_DIR):
        if not (folder / name).is_dir():
            raise FileProblem(f"{folder / name} not found: give the data folder as an argument")
    return load_billboard_folder(folder / BILLBOARD_DIR), load_pop909_folder(folder / POP909_DIR)
