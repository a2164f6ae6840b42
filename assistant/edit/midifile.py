"""Loading, reading and saving MIDI files with mido: the shared ground of analysis and edits.

Everything here is tick-based and lossless: edits move note messages between absolute ticks
and leave every other message (tempo map, meta events, controllers, program changes, sysex)
where it was. Seconds come from the tempo map (`TempoMap`), merged over all tracks the way
DAWs read type 1 files.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.errors import BadInput, FileProblem

if TYPE_CHECKING:
    import mido

DEFAULT_TEMPO = 500_000  # µs per quarter note: 120 bpm, the MIDI default
DRUM_CHANNEL = 9  # "channel 10" counted from zero
MIDI_SUFFIXES = (".mid", ".midi", ".smf", ".kar")

# What other files start with, so a wrong file gets a helpful line rather than "not MIDI".
_MAGIC = (
    (b"RIFF", "a RIFF/WAV file"),
    (b"fLaC", "a FLAC file"),
    (b"FORM", "an AIFF file"),
    (b"ID3", "an MP3 file"),
    (b"OggS", "an Ogg file"),
    (b"PK\x03\x04", "a zip archive (a MusicXML .mxl?)"),
    (b"<?xml", "an XML file (MusicXML?)"),
)


def check_midi_file(path: Path) -> Path:
    """The checks before parsing: the file exists, is a file, is not empty, starts as MIDI."""
    path = Path(path).expanduser()
    if not path.exists():
        raise FileProblem(f"{path}: no such file")
    if path.is_dir():
        raise FileProblem(f"{path} is a directory, not a MIDI file")
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError as error:
        raise FileProblem(f"cannot read {path}: {error.strerror or error}") from error
    if size == 0:
        raise FileProblem(f"{path} is empty, not a MIDI file")
    if not head.startswith(b"MThd"):
        what = next((name for magic, name in _MAGIC if head.startswith(magic)), None)
        detail = f"it looks like {what}" if what else "it does not start with 'MThd'"
        raise FileProblem(f"{path} is not a MIDI file: {detail}")
    return path


def load_midi(path: Path) -> mido.MidiFile:
    """Read a MIDI file, or raise a one-line FileProblem: missing, folder, empty, not MIDI,
    cut off or corrupt."""
    import mido
    from mido.midifiles.meta import KeySignatureError

    path = check_midi_file(path)
    try:
        midi = mido.MidiFile(path)
    except EOFError as error:
        raise FileProblem(f"{path} is a truncated MIDI file (it ends in the middle)") from error
    except (OSError, ValueError, KeyError, IndexError, TypeError, KeySignatureError) as error:
        raise FileProblem(f"{path} is a corrupt MIDI file: {error}") from error
    if not midi.tracks:
        raise FileProblem(f"{path} is a MIDI file without any track")
    if midi.type not in (0, 1, 2):
        raise FileProblem(f"{path} is a corrupt MIDI file: unknown format {midi.type}")
    if midi.type == 0 and len(midi.tracks) > 1:
        midi.type = 1  # a mislabelled multi-track file: read (and write) it as type 1
    if not 0 < midi.ticks_per_beat < 0x8000:  # the top bit set means SMPTE frames
        raise FileProblem(f"{path} uses SMPTE time division, which the coach does not read")
    return midi


def check_output(input_path: Path, output_path: Path) -> Path:
    """Refuse to write over the input (edits never modify it in place) or into a folder."""
    from assistant.fileio import check_writable

    output_path = Path(output_path).expanduser()
    same = output_path.resolve() == Path(input_path).expanduser().resolve()
    if not same and output_path.exists():
        try:
            same = os.path.samefile(output_path, input_path)
        except OSError:
            same = False
    if same:
        raise BadInput(f"output {output_path} is the input file: choose another -o path")
    return check_writable(output_path)


def save_midi(midi: mido.MidiFile, path: Path) -> Path:
    """Write atomically: the file at `path` is either the whole new MIDI or untouched."""
    from assistant.fileio import write_bytes

    buffer = io.BytesIO()
    try:
        midi.save(file=buffer)
    except (ValueError, TypeError, OSError) as error:  # a message mido cannot encode
        raise FileProblem(f"cannot write {path}: {error}") from error
    return write_bytes(Path(path), buffer.getvalue())


# --- tempo map -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TempoMap:
    """Piecewise-constant tempo: `ticks[i]` starts `tempos[i]` µs per beat, at `seconds[i]`."""

    ticks_per_beat: int
    ticks: np.ndarray
    tempos: np.ndarray
    seconds: np.ndarray
    explicit: bool
    """False when the file holds no set_tempo event (120 bpm is then only MIDI's default)."""

    @classmethod
    def from_midi(cls, midi: mido.MidiFile) -> TempoMap:
        changes: dict[int, int] = {}
        for track in midi.tracks:
            tick = 0
            for msg in track:
                tick += msg.time
                if msg.type == "set_tempo":
                    changes[tick] = msg.tempo  # a later track wins on a tie, as in mido.merge
        return cls.from_changes(midi.ticks_per_beat, changes)

    @classmethod
    def from_changes(cls, ticks_per_beat: int, changes: dict[int, int]) -> TempoMap:
        """From {tick: µs per beat}; empty means no tempo event at all."""
        changes = {t: tempo for t, tempo in changes.items() if tempo > 0}
        explicit = bool(changes)
        changes.setdefault(0, DEFAULT_TEMPO)  # MIDI plays 120 bpm until the first set_tempo
        ticks = np.array(sorted(changes), dtype=np.int64)
        tempos = np.array([changes[t] for t in ticks], dtype=np.float64)
        seconds = np.zeros(len(ticks))
        if len(ticks) > 1:
            spans = np.diff(ticks) * tempos[:-1] / 1e6 / ticks_per_beat
            seconds[1:] = np.cumsum(spans)
        return cls(ticks_per_beat, ticks, tempos, seconds, explicit)

    def to_seconds(self, ticks: np.ndarray | float) -> np.ndarray:
        t = np.asarray(ticks, dtype=np.float64)
        i = np.clip(np.searchsorted(self.ticks, t, side="right") - 1, 0, None)
        return np.asarray(self.seconds[i] + (t - self.ticks[i]) * self.tempos[i] / 1e6 / self.ticks_per_beat)

    def to_ticks(self, seconds: np.ndarray | float) -> np.ndarray:
        s = np.asarray(seconds, dtype=np.float64)
        i = np.clip(np.searchsorted(self.seconds, s, side="right") - 1, 0, None)
        return np.asarray(self.ticks[i] + (s - self.seconds[i]) * 1e6 * self.ticks_per_beat / self.tempos[i])

    def bpm_at(self, ticks: np.ndarray | float) -> np.ndarray:
        t = np.asarray(ticks, dtype=np.float64)
        i = np.clip(np.searchsorted(self.ticks, t, side="right") - 1, 0, None)
        return np.asarray(60e6 / self.tempos[i])

    def main_bpm(self, end_tick: int) -> float:
        """The tempo held longest before `end_tick` (the first one when all are brief)."""
        ends = np.append(self.ticks[1:], max(end_tick, int(self.ticks[-1]) + 1))
        held = np.clip(ends, None, max(end_tick, 1)) - self.ticks
        durations: dict[float, float] = {}
        for tempo, span in zip(self.tempos, held, strict=True):
            durations[tempo] = durations.get(tempo, 0.0) + max(float(span), 0.0)
        tempo = max(durations, key=lambda k: durations[k]) if any(durations.values()) else (float(self.tempos[0]))
        return round(60e6 / tempo, 3)

    def changes_bpm(self) -> list[tuple[float, float]]:
        """[(seconds, bpm), ...] for reports."""
        return [(round(float(s), 3), round(60e6 / float(t), 3)) for s, t in zip(self.seconds, self.tempos, strict=True)]


# --- notes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notes:
    """All notes of a file as parallel arrays, sorted by onset (ticks)."""

    track: np.ndarray
    channel: np.ndarray
    pitch: np.ndarray
    velocity: np.ndarray
    start: np.ndarray  # ticks
    end: np.ndarray  # ticks

    def __len__(self) -> int:
        return int(self.pitch.size)

    def subset(self, mask: np.ndarray) -> Notes:
        return Notes(
            self.track[mask],
            self.channel[mask],
            self.pitch[mask],
            self.velocity[mask],
            self.start[mask],
            self.end[mask],
        )


def is_note_on(msg: mido.Message) -> bool:
    return msg.type == "note_on" and msg.velocity > 0


def is_note_off(msg: mido.Message) -> bool:
    return msg.type == "note_off" or (msg.type == "note_on" and msg.velocity == 0)


def absolute_events(track: mido.MidiTrack) -> list[tuple[int, mido.Message]]:
    """[(absolute tick, message), ...] in file order."""
    tick = 0
    out = []
    for msg in track:
        tick += msg.time
        out.append((tick, msg))
    return out


def pair_notes(events: list[tuple[int, mido.Message]]) -> list[tuple[int, int | None]]:
    """(index of note-on, index of its note-off or None) for every note, first-in first-out."""
    open_notes: dict[tuple[int, int], list[int]] = {}
    pairs: dict[int, int | None] = {}
    for i, (_, msg) in enumerate(events):
        if is_note_on(msg):
            open_notes.setdefault((msg.channel, msg.note), []).append(i)
            pairs[i] = None
        elif is_note_off(msg):
            waiting = open_notes.get((msg.channel, msg.note))
            if waiting:
                pairs[waiting.pop(0)] = i
    return sorted(pairs.items())


def extract_notes(midi: mido.MidiFile) -> Notes:
    rows: list[tuple[int, int, int, int, int, int]] = []
    for t, track in enumerate(midi.tracks):
        events = absolute_events(track)
        last = events[-1][0] if events else 0
        for on, off in pair_notes(events):
            tick, msg = events[on]
            end = events[off][0] if off is not None else last
            rows.append((t, msg.channel, msg.note, msg.velocity, tick, max(end, tick)))
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return Notes(empty, empty, empty, empty, empty, empty)
    arr = np.array(rows, dtype=np.int64)
    arr = arr[np.lexsort((arr[:, 2], arr[:, 4]))]
    return Notes(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4], arr[:, 5])


def end_tick(midi: mido.MidiFile) -> int:
    return max((sum(msg.time for msg in track) for track in midi.tracks), default=0)


def time_signatures(midi: mido.MidiFile) -> list[tuple[int, int, int]]:
    """[(tick, numerator, denominator), ...] from every track, sorted."""
    found = set()
    for track in midi.tracks:
        for tick, msg in absolute_events(track):
            if msg.type == "time_signature":
                found.add((tick, msg.numerator, msg.denominator))
    return sorted(found)


def track_names(midi: mido.MidiFile) -> list[str]:
    names = []
    for i, track in enumerate(midi.tracks):
        name = next((m.name for m in track if m.type == "track_name"), "")
        names.append(name.strip() or f"track {i + 1}")
    return names


def select_tracks(midi: mido.MidiFile, spec: str | None) -> set[int]:
    """Track indices named by a comma list of names (case-insensitive) or 1-based numbers."""
    if not spec:
        return set(range(len(midi.tracks)))
    names = track_names(midi)
    chosen: set[int] = set()
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        hits = {i for i, name in enumerate(names) if name.lower() == part.lower()}
        if not hits and part.isdigit() and 1 <= int(part) <= len(names):
            hits = {int(part) - 1}
        if not hits:
            listing = ", ".join(repr(n) for n in names)
            raise BadInput(f"no track named {part!r}; the tracks are {listing}")
        chosen |= hits
    return chosen


# --- writing edited tracks back ----------------------------------------------------------------


def _order(msg: mido.Message) -> int:
    # At one tick: note-offs first (so a repeated note is not cut), then controllers and meta,
    # then note-ons, with end_of_track last.
    if msg.type == "end_of_track":
        return 3
    if is_note_off(msg):
        return 0
    if is_note_on(msg):
        return 2
    return 1


def rebuild_track(events: list[tuple[int, mido.Message]]) -> mido.MidiTrack:
    """A track from (absolute tick, message) pairs, sorted stably and back to delta times."""
    import mido

    if events:
        last = max(tick for tick, _ in events)
        events = [(last if msg.type == "end_of_track" else tick, msg) for tick, msg in events]
    ordered = sorted(events, key=lambda e: (e[0], _order(e[1])))
    track = mido.MidiTrack()
    previous = 0
    for tick, msg in ordered:
        track.append(msg.copy(time=int(tick - previous)))
        previous = tick
    return track
