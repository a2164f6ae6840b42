"""Typed melodies and MIDI files in and out: "E4 D4 C4/2 R", note lists, Standard MIDI Files.

A typed note is a name with an octave (`C4` = middle C; `E` alone means octave 4) and an
optional duration in quarter-note beats after a slash or colon: `E4/2` is a half note,
`F#4/0.5` an eighth, `G4/1.5` a dotted quarter; `R` (or `-`) is a rest. Notes follow each
other; the first starts at beat 0. mido is imported only where MIDI is read or written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant import theory
from assistant.errors import BadInput, FileProblem
from assistant.song import Melody, Note, meter_parts

MIDI_SUFFIXES = (".mid", ".midi")
_DURATION = re.compile(r"^(?P<note>[^/:]+)(?:[/:](?P<dur>[0-9]*\.?[0-9]+))?$")
_REST = {"r", "rest", "-", "_"}


@dataclass(frozen=True)
class TypedNote:
    pitch: int | None
    """MIDI pitch, None for a rest."""
    start: float
    duration: float
    text: str

    @property
    def end(self) -> float:
        return self.start + self.duration


def parse_notes(text: str) -> list[TypedNote]:
    """"E4 D4 C4 D4 E4 E4 E4/2" -> notes one after another. BadInput names a bad token."""
    tokens = text.replace(",", " ").split()
    if not tokens:
        raise BadInput('no notes given: type a melody like "E4 D4 C4 D4 E4 E4 E4/2"')
    out: list[TypedNote] = []
    beat = 0.0
    for token in tokens:
        match = _DURATION.match(token)
        if not match:
            raise BadInput(f"unknown note {token!r}: write a note like C4, F#3 or Bb4, "
                           "optionally with a duration in beats like E4/2 or G4/0.5")
        name, dur_text = match.group("note"), match.group("dur")
        duration = float(dur_text) if dur_text is not None else 1.0
        if not 0 < duration <= 64:
            raise BadInput(f"note {token!r} has duration {dur_text}: give beats greater "
                           "than 0 (E4/2 = a half note, E4/0.5 = an eighth)")
        if name.lower() in _REST:
            pitch: int | None = None
        else:
            try:
                pitch = theory.parse_note(name, default_octave=4)
            except BadInput:
                raise BadInput(f"unknown note {token!r}: write a note like C4, F#3 or Bb4 "
                               "(C4 = middle C), optionally with a duration like E4/2"
                               ) from None
        out.append(TypedNote(pitch, beat, duration, token))
        beat += duration
    if all(n.pitch is None for n in out):
        raise BadInput("the melody has only rests: give some notes like C4 E4 G4")
    return out


def from_melody(melody: Melody) -> list[TypedNote]:
    """A Song sheet melody as typed notes (overlaps trimmed: the top line is kept)."""
    import bisect

    notes = sorted(melody.notes, key=lambda n: (n.start, -n.pitch))
    starts = [n.start for n in notes]
    out: list[TypedNote] = []
    for note in notes:
        if out and abs(out[-1].start - note.start) < 1e-9:
            continue  # a chord: keep its top note
        end = note.start + note.duration
        following = bisect.bisect_right(starts, note.start + 1e-9)  # sorted: no scan (was n^2)
        if following < len(starts):
            end = min(end, starts[following])
        out.append(TypedNote(note.pitch, note.start, end - note.start,
                             theory.note_name(note.pitch)))
    return out


def to_melody(notes: Sequence[TypedNote], source: str) -> Melody:
    return Melody(notes=[Note(pitch=n.pitch, start=n.start, duration=n.duration)
                         for n in notes if n.pitch is not None], source=source)


def is_midi_path(text: str) -> bool:
    return text.strip().lower().endswith(MIDI_SUFFIXES)


def open_midi(path: str | Path):  # type: ignore[no-untyped-def]  # mido is untyped
    """The MIDI file parsed by mido; a missing or broken file is one line (exit 2)."""
    import mido

    path = Path(path).expanduser()
    if not path.is_file():
        raise FileProblem(f"cannot read {path}: no such file")
    try:
        return mido.MidiFile(str(path))
    except (OSError, EOFError, ValueError, KeyError, IndexError) as error:
        raise FileProblem(f"cannot read {path}: not a valid MIDI file ({error})") from error


def read_midi(path: Path) -> tuple[list[TypedNote], str | None]:
    """The top line of a MIDI file's notes (drums skipped) in beats, and its meter if the
    file has a time signature."""
    midi = open_midi(path)
    tpb = midi.ticks_per_beat or 480
    meter: str | None = None
    notes: list[Note] = []
    for track in midi.tracks:
        tick = 0
        sounding: dict[tuple[int, int], tuple[int, int]] = {}
        for message in track:
            tick += message.time
            if message.type == "time_signature" and meter is None:
                meter = f"{message.numerator}/{message.denominator}"
            if message.type not in ("note_on", "note_off") or message.channel == 9:
                continue
            key = (message.channel, message.note)
            if message.type == "note_on" and message.velocity > 0:
                sounding[key] = (tick, message.velocity)
            elif key in sounding:
                start, velocity = sounding.pop(key)
                if tick > start:
                    notes.append(Note(pitch=message.note, start=start / tpb,
                                      duration=(tick - start) / tpb, velocity=velocity))
    if not notes:
        raise BadInput(f"{path.name} has no notes to harmonize")
    line = from_melody(Melody(notes=notes))
    if meter is not None:
        try:
            meter_parts(meter)
        except ValueError:
            meter = None
    return line, meter


def write_midi(path: Path, melody: Melody, tempo: float = 100.0, meter: str = "4/4",
               program: int = 0, key_name: str | None = None) -> Path:
    """A one-track Standard MIDI File of the melody, written atomically."""
    import mido

    from assistant.fileio import write_with

    tpb = 480
    track = mido.MidiTrack()
    num, den = meter_parts(meter)
    track.append(mido.MetaMessage("track_name", name="melody", time=0))
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo), time=0))
    track.append(mido.MetaMessage("time_signature", numerator=num, denominator=den, time=0))
    if key_name:
        try:
            track.append(mido.MetaMessage("key_signature", key=key_name, time=0))
        except (ValueError, KeyError):
            pass  # a mode mido cannot name: the signature is optional
    track.append(mido.Message("program_change", program=program, channel=0, time=0))
    events: list[tuple[int, int, mido.Message]] = []
    for note in melody.notes:
        on = round(note.start * tpb)
        off = max(on + 1, round((note.start + note.duration) * tpb))
        events.append((on, 1, mido.Message("note_on", note=note.pitch,
                                           velocity=note.velocity, channel=0)))
        events.append((off, 0, mido.Message("note_off", note=note.pitch, velocity=0,
                                            channel=0)))
    events.sort(key=lambda e: (e[0], e[1]))
    now = 0
    for tick, _order, message in events:
        track.append(message.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=tpb))
    midi = mido.MidiFile(type=0, ticks_per_beat=tpb)
    midi.tracks.append(track)
    return write_with(Path(path), lambda tmp: midi.save(str(tmp)))
