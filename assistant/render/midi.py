"""MIDI export: a type-1 file with a conductor track and one named track per instrument.

The conductor carries tempo, time signature, key signature and a marker per section;
each instrument track carries its program, its mix controllers (CC7/CC10/CC11) and notes;
the sung melody also carries the lyrics, a `lyrics` meta event per syllable at its note.
Drums sit on channel 10. Modes other than major/minor get the key signature of their
notes (D dorian -> no sharps or flats), written as the minor or major name mido knows.

`to_midi` builds the file as mido objects; `encode_smf` writes the same bytes directly
(running status and all, as mido saves them; a test holds the two equal), about ten
times faster, since a demo has thousands of notes and mido checks every message.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.fileio import write_bytes
from assistant.render.events import Arrangement, Track

if TYPE_CHECKING:
    import mido

TICKS_PER_BEAT = 480
_LETTER_FIFTHS = {"F": -1, "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5}
_MODE_SHIFT = {"lydian": 1, "major": 0, "mixolydian": -1, "dorian": -2, "minor": -3, "phrygian": -4, "locrian": -5}
_MINORISH = ("minor", "dorian", "phrygian", "locrian")
_MAJOR_NAMES = ("Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C", "G", "D", "A", "E", "B", "F#", "C#")
_MINOR_NAMES = ("Abm", "Ebm", "Bbm", "Fm", "Cm", "Gm", "Dm", "Am", "Em", "Bm", "F#m", "C#m", "G#m", "D#m", "A#m")


def key_fifths(tonic: str, mode: str) -> int:
    """Sharps (+) or flats (-) of the key signature: ("A", "minor") -> 0, ("D", "dorian") -> 0."""
    fifths = _LETTER_FIFTHS[tonic[0].upper()]
    for accidental in tonic[1:]:
        fifths += 7 if accidental == "#" else -7 if accidental == "b" else 0
    fifths += _MODE_SHIFT.get(mode, 0)
    while fifths > 7:
        fifths -= 12
    while fifths < -7:
        fifths += 12
    return fifths


def key_signature_name(tonic: str, mode: str) -> str:
    names = _MINOR_NAMES if mode in _MINORISH else _MAJOR_NAMES
    return names[key_fifths(tonic, mode) + 7]


def _ticks(beats: float) -> int:
    return max(0, round(beats * TICKS_PER_BEAT))


Event = tuple[int, int, str, dict[str, Any]]
"""(tick, order at that tick, message type, fields): messages are built once, with their delta time."""


def _to_track(events: list[Event], name: str) -> mido.MidiTrack:
    import mido

    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=name, time=0))
    now = 0
    for tick, _, kind, fields in sorted(events, key=lambda e: (e[0], e[1])):
        if kind in ("set_tempo", "time_signature", "key_signature", "marker", "lyrics"):
            track.append(mido.MetaMessage(kind, time=tick - now, **fields))
        else:
            track.append(mido.Message(kind, time=tick - now, **fields))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def _instrument_track(track: Track) -> mido.MidiTrack:
    ch = track.channel
    events: list[Event] = [(0, 0, "program_change", {"channel": ch, "program": track.program})]
    for control in track.controls:
        value = max(0, min(127, control.value))
        events.append(
            (_ticks(control.time), 1, "control_change", {"channel": ch, "control": control.control, "value": value})
        )
    for note in track.notes:
        start = _ticks(note.start)
        end = max(start + 1, _ticks(note.start + note.duration))
        # order at one tick: controls, note-offs, then note-ons (a repeated note restarts cleanly)
        events.append((start, 3, "note_on", {"channel": ch, "note": note.pitch, "velocity": note.velocity}))
        events.append((end, 2, "note_off", {"channel": ch, "note": note.pitch, "velocity": 0}))
    for beat, text in track.lyrics:  # just before its note-on, as karaoke files have it
        events.append((_ticks(beat), 2, "lyrics", {"text": _text(text).decode("latin-1")}))
    return _to_track(events, track.name)


def to_midi(arrangement: Arrangement) -> mido.MidiFile:
    import mido

    num, den = (int(x) for x in arrangement.meter.split("/"))
    key = key_signature_name(arrangement.key_tonic, arrangement.key_mode)
    conductor: list[Event] = [
        (0, 0, "set_tempo", {"tempo": mido.bpm2tempo(arrangement.tempo)}),
        (0, 0, "time_signature", {"numerator": num, "denominator": den}),
        (0, 0, "key_signature", {"key": key}),
    ]
    if arrangement.count_in_bars:
        conductor.append((0, 1, "marker", {"text": "count-in"}))
    for span in arrangement.sections:
        conductor.append((_ticks(span.start), 1, "marker", {"text": span.name}))
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(_to_track(conductor, arrangement.title or "Song"))
    for track in arrangement.tracks:
        midi.tracks.append(_instrument_track(track))
    # every track ends together at the song's end, so DAWs show the full length
    end = _ticks(arrangement.total_beats)
    for track in midi.tracks:
        total = sum(m.time for m in track)
        if total < end:
            track[-1] = track[-1].copy(time=end - total)
    return midi


def _vlq(value: int) -> bytes:
    """A MIDI variable-length quantity."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def _text(text: str) -> bytes:
    return text.encode("latin-1", "replace")  # what mido writes; other characters become "?"


def _meta(kind: int, data: bytes) -> bytes:
    return bytes((0xFF, kind)) + _vlq(len(data)) + data


def _chunk(events: list[tuple[int, int, bytes]], name: str, end: int) -> bytes:
    """An MTrk chunk: the track name, `events` (tick, order, message bytes) in a stable
    sort by (tick, order), running status as mido writes it, and the end of track at
    `end` (or at the last event)."""
    out = bytearray(b"\x00" + _meta(0x03, _text(name)))
    now, running = 0, None
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        delta = tick - now
        out += bytes((delta,)) if delta < 0x80 else _vlq(delta)
        now = tick
        if msg[0] == 0xFF:
            out += msg
            running = None
        elif msg[0] == running:
            out += msg[1:]
        else:
            out += msg
            running = msg[0]
    out += _vlq(max(0, end - now)) + b"\xff\x2f\x00"
    return b"MTrk" + struct.pack(">I", len(out)) + bytes(out)


def _tempo(bpm: float) -> int:
    return int(round(60 * 1e6 / bpm))  # mido.bpm2tempo


def encode_smf(arrangement: Arrangement) -> bytes:
    """The type-1 Standard MIDI File of `to_midi(arrangement)`, byte for byte."""
    num, den = (int(x) for x in arrangement.meter.split("/"))
    fifths = key_fifths(arrangement.key_tonic, arrangement.key_mode)
    minor = 1 if arrangement.key_mode in _MINORISH else 0
    end = _ticks(arrangement.total_beats)
    conductor: list[tuple[int, int, bytes]] = [
        (0, 0, _meta(0x51, _tempo(arrangement.tempo).to_bytes(3, "big"))),
        (0, 0, _meta(0x58, bytes((num, den.bit_length() - 1, 24, 8)))),
        (0, 0, _meta(0x59, bytes((fifths & 0xFF, minor)))),
    ]
    if arrangement.count_in_bars:
        conductor.append((0, 1, _meta(0x06, _text("count-in"))))
    for span in arrangement.sections:
        conductor.append((_ticks(span.start), 1, _meta(0x06, _text(span.name))))
    chunks = [_chunk(conductor, arrangement.title or "Song", end)]
    for track in arrangement.tracks:
        ch = track.channel
        events: list[tuple[int, int, bytes]] = [(0, 0, bytes((0xC0 | ch, track.program)))]
        for control in track.controls:
            value = max(0, min(127, control.value))
            events.append((_ticks(control.time), 1, bytes((0xB0 | ch, control.control, value))))
        on, off = 0x90 | ch, 0x80 | ch
        for note in track.notes:
            start = _ticks(note.start)
            stop = max(start + 1, _ticks(note.start + note.duration))
            events.append((start, 3, bytes((on, note.pitch, note.velocity))))
            events.append((stop, 2, bytes((off, note.pitch, 0))))
        for beat, text in track.lyrics:
            events.append((_ticks(beat), 2, _meta(0x05, _text(text))))
        chunks.append(_chunk(events, track.name, end))
    header = b"MThd" + struct.pack(">IHHH", 6, 1, len(chunks), TICKS_PER_BEAT)
    return header + b"".join(chunks)


def write_midi(arrangement: Arrangement, path: Path) -> Path:
    """Write the arrangement to `path` atomically (whole file or nothing)."""
    return write_bytes(Path(path), encode_smf(arrangement))
