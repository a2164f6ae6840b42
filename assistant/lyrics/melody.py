"""Where a lyric's notes come from: the Song sheet's melody, or the melody track of a MIDI
file (the coach's own song.mid or a DAW's), cut into sections at its markers."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.errors import BadInput
from assistant.lyrics.prosody import NoteSpan
from assistant.song import Song

_MELODIC = re.compile(r"melod|vocal|voice|sing|lead|topline|lyric", re.I)


def from_song(song: Song) -> dict[str, list[NoteSpan]]:
    """The sheet's melody (it is sung in every vocal section), under the key ""."""
    melody = song.melody if song.melody is not None and song.melody.notes else None
    if melody is None:
        return {}
    return {"": [NoteSpan(n.start, n.duration) for n in melody.notes]}


def meter_of(meter: str) -> tuple[float, bool]:
    """(quarter beats a bar, compound?) of "4/4", "6/8"..."""
    num, den = (int(x) for x in meter.split("/"))
    return num * 4 / den, den == 8 and num % 3 == 0 and num > 3


def from_midi(path: str | Path) -> tuple[dict[str, list[NoteSpan]], float, bool]:
    """Section name (lower case) -> the melody's notes there, timed from the section start;
    "" -> the notes of the first section with notes (or of the whole file without markers).
    Also the bar length in beats and whether the meter is compound."""
    from assistant.composition.notes import open_midi

    midi = open_midi(path)
    tpb = midi.ticks_per_beat or 480
    meter = "4/4"
    markers: list[tuple[float, str]] = []
    tracks: list[tuple[str, list[tuple[float, float, int]], bool]] = []
    for track in midi.tracks:
        now, name, lyrics = 0, "", False
        on: dict[tuple[int, int], float] = {}
        notes: list[tuple[float, float, int]] = []
        for msg in track:
            now += msg.time
            beat = now / tpb
            if msg.type == "track_name":
                name = msg.name
            elif msg.type == "time_signature" and now == 0:
                meter = f"{msg.numerator}/{msg.denominator}"
            elif msg.type == "marker":
                markers.append((beat, msg.text.strip().lower()))
            elif msg.type == "lyrics":
                lyrics = True
            elif msg.type == "note_on" and msg.velocity > 0 and msg.channel != 9:
                on[(msg.channel, msg.note)] = beat
            elif msg.type in ("note_off", "note_on") and msg.channel != 9:
                start = on.pop((msg.channel, msg.note), None)
                if start is not None and beat > start:
                    notes.append((start, beat - start, msg.note))
        if notes:
            tracks.append((name, sorted(notes), lyrics))
    if not tracks:
        raise BadInput(f"{Path(path).name} has no melody notes (no pitched notes outside the drums)")
    bar_beats, compound = meter_of(meter) if re.match(r"^\d+/\d+$", meter) else (4.0, False)
    melody = _melody_track(tracks)
    out: dict[str, list[NoteSpan]] = {}
    spans = [(b, n) for b, n in sorted(markers) if n != "count-in"]
    if not spans:
        out[""] = [NoteSpan(s, d) for s, d, _ in melody]
        return out, bar_beats, compound
    ends = [b for b, _ in spans[1:]] + [float("inf")]
    for (start, name), end in zip(spans, ends, strict=True):
        here = [NoteSpan(s - start, d) for s, d, _ in melody if start <= s < end]
        if here and name not in out:
            out[name] = here
            out.setdefault(re.sub(r"\s*\d+$", "", name), here)
            out.setdefault("", here)
    return out, bar_beats, compound


def _melody_track(tracks: list[tuple[str, list[tuple[float, float, int]], bool]]) -> list[tuple[float, float, int]]:
    """The sung line: a track carrying lyrics, else one named like a melody, else the
    highest-sounding track."""
    for _name, notes, lyrics in tracks:
        if lyrics:
            return notes
    for name, notes, _ in tracks:
        if _MELODIC.search(name):
            return notes
    return max(tracks, key=lambda t: sum(p for _, _, p in t[1]) / len(t[1]))[1]
