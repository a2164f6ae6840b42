"""A fast, read-only Standard MIDI File reader for analysis: notes, tempo map, meters, names.

`coach analyze song.mid` is meant to answer at once. mido builds a Python object per
message (~60 ms for a 3-minute song here) and its import reads package metadata (~40 ms);
this reader walks the bytes once and keeps only what analysis needs, so the analysis path
costs Python + numpy and little else. Edits, which must write every message back, use mido
(assistant/edit/midifile.py); `take_from_mido` turns a mido file into the same `Take`, and
a test checks that both readers agree on real songs.

Semantics follow mido's reader: running status (kept across meta events, reset by sysex),
note-on with velocity 0 is a note-off, notes pair first-in first-out per channel and pitch,
a note never switched off ends with its track, a track's events run to its chunk's end.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.edit.midifile import (
    Notes,
    TempoMap,
    check_midi_file,
    end_tick,
    extract_notes,
    time_signatures,
    track_names,
)
from assistant.errors import FileProblem

if TYPE_CHECKING:
    import mido

# Bytes after the status byte of each channel message kind (high nibble).
_DATA_BYTES = {0x80: 2, 0x90: 2, 0xA0: 2, 0xB0: 2, 0xC0: 1, 0xD0: 1, 0xE0: 2}
# System common / real-time statuses mido knows, with their data byte counts.
_SYSTEM_BYTES = {0xF1: 1, 0xF2: 2, 0xF3: 1, 0xF6: 0, 0xF8: 0, 0xFA: 0, 0xFB: 0, 0xFC: 0, 0xFE: 0}


@dataclass(frozen=True)
class Take:
    """What the analysis reads from a MIDI file."""

    midi_type: int
    ticks_per_beat: int
    track_names: list[str]
    notes: Notes
    tempo_map: TempoMap
    time_signatures: list[tuple[int, int, int]]
    end_tick: int


class _Truncated(Exception):
    pass


def _vlq(buf: bytes, i: int) -> tuple[int, int]:
    value = 0
    while True:  # no length limit, as in mido
        if i >= len(buf):
            raise _Truncated
        byte = buf[i]
        i += 1
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, i


def read_take(path: Path) -> Take:
    """Read `path` (raising a one-line FileProblem for anything that is not a whole MIDI file)."""
    path = Path(path).expanduser()
    check_midi_file(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FileProblem(f"cannot read {path}: {error.strerror or error}") from error
    try:
        return parse_take(data)
    except _Truncated:
        raise FileProblem(f"{path} is a truncated MIDI file (it ends in the middle)") from None
    except ValueError as error:
        raise FileProblem(f"{path} is a corrupt MIDI file: {error}") from None


def parse_take(data: bytes) -> Take:
    if len(data) < 14:
        raise _Truncated
    header_size = int.from_bytes(data[4:8], "big")
    kind, count, division = (int.from_bytes(data[i : i + 2], "big") for i in (8, 10, 12))
    if header_size < 6:
        raise ValueError("its header is too short")
    if kind not in (0, 1, 2):
        raise ValueError(f"unknown format {kind}")
    if not 0 < division < 0x8000:
        raise ValueError("it uses SMPTE time division, which the coach does not read")
    pos = 8 + header_size
    chunks: list[bytes] = []
    while len(chunks) < count:
        if pos + 8 > len(data):
            raise _Truncated
        chunk_id, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "big")
        pos += 8
        if chunk_id != b"MTrk":
            raise ValueError("no MTrk header at start of track")
        if pos + size > len(data):
            raise _Truncated
        chunks.append(data[pos : pos + size])
        pos += size
    if not chunks:
        raise ValueError("it has no track")

    rows: list[tuple[int, int, int, int, int, int]] = []
    tempos: dict[int, int] = {}
    meters: set[tuple[int, int, int]] = set()
    names: list[str] = []
    last_tick = 0
    for index, chunk in enumerate(chunks):
        track_name, track_end = _read_track(index, chunk, rows, tempos, meters)
        names.append(track_name or f"track {index + 1}")
        last_tick = max(last_tick, track_end)

    if rows:
        arr = np.array(rows, dtype=np.int64)
        arr = arr[np.lexsort((arr[:, 2], arr[:, 4]))]
        notes = Notes(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4], arr[:, 5])
    else:
        empty = np.zeros(0, dtype=np.int64)
        notes = Notes(empty, empty, empty, empty, empty, empty)
    kind = 1 if kind == 0 and len(chunks) > 1 else kind
    return Take(kind, division, names, notes, TempoMap.from_changes(division, tempos), sorted(meters), last_tick)


def _read_track(
    index: int,
    buf: bytes,
    rows: list[tuple[int, int, int, int, int, int]],
    tempos: dict[int, int],
    meters: set[tuple[int, int, int]],
) -> tuple[str, int]:
    i, tick, status = 0, 0, -1
    name = ""
    # (channel, pitch) -> [(start tick, velocity), ...] still sounding, oldest first
    sounding: dict[tuple[int, int], list[tuple[int, int]]] = {}
    size = len(buf)
    while i < size:
        delta, i = _vlq(buf, i)
        tick += delta
        if i >= size:
            raise _Truncated
        byte = buf[i]
        i += 1
        if byte < 0x80:  # running status: the byte was data (which mido drops for sysex)
            if status < 0:
                raise ValueError("running status without a status byte")
            if status not in (0xF0, 0xF7):
                i -= 1
        elif byte == 0xFF:  # meta events do not touch running status
            if i >= size:
                raise _Truncated
            meta = buf[i]
            length, i = _vlq(buf, i + 1)
            if i + length > size:
                raise _Truncated
            payload = buf[i : i + length]
            i += length
            if meta == 0x51 and length == 3:
                tempos[tick] = int.from_bytes(payload, "big")
            elif meta == 0x58 and length >= 2:
                meters.add((tick, payload[0], 2 ** payload[1]))
            elif meta == 0x03 and not name:
                name = payload.decode("latin-1").strip()
            continue
        else:
            status = byte
        if status in (0xF0, 0xF7):
            length, i = _vlq(buf, i)
            if i + length > size:
                raise _Truncated
            i += length
            continue
        if status >= 0xF0:
            if status not in _SYSTEM_BYTES:
                raise ValueError(f"undefined status byte 0x{status:02x}")
            count = _SYSTEM_BYTES[status]
        else:
            count = _DATA_BYTES[status & 0xF0]
        if i + count > size:
            raise _Truncated
        values = buf[i : i + count]
        if any(v > 127 for v in values):
            raise ValueError("data byte must be in range 0..127")
        i += count
        kind = status & 0xF0
        if kind == 0x90 and values[1] > 0:
            sounding.setdefault((status & 0x0F, values[0]), []).append((tick, values[1]))
        elif kind == 0x80 or kind == 0x90:
            waiting = sounding.get((status & 0x0F, values[0]))
            if waiting:
                start, velocity = waiting.pop(0)
                rows.append((index, status & 0x0F, values[0], velocity, start, tick))
    for (channel, pitch), left in sounding.items():
        rows.extend((index, channel, pitch, velocity, start, tick) for start, velocity in left)
    return name, tick


def take_from_mido(midi: mido.MidiFile) -> Take:
    """The same `Take` from a mido file already in memory (the edits' before/after)."""
    return Take(
        midi.type,
        midi.ticks_per_beat,
        track_names(midi),
        extract_notes(midi),
        TempoMap.from_midi(midi),
        time_signatures(midi),
        end_tick(midi),
    )
