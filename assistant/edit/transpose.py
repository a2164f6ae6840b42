"""Transpose: shift every pitched note by N semitones; drums (channel 10) stay as they are.

Key-signature meta events follow the notes (the written key would be wrong otherwise);
everything else — timing, tempo map, controllers, other meta events — is kept. A note pushed
outside MIDI's 0..127 is an error by default (naming how many and which); with
`out_of_range="fold"` it moves back by whole octaves into range instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.analysis.midi_key import MAJOR_TONICS, MINOR_TONICS, NAMES_SHARP
from assistant.edit.midifile import DRUM_CHANNEL, check_output, load_midi, save_midi, select_tracks
from assistant.edit.noteedit import selected_names
from assistant.errors import BadInput

if TYPE_CHECKING:
    import mido

OUT_OF_RANGE = ("error", "fold")
MAX_SEMITONES = 48
_NOTE_TYPES = ("note_on", "note_off", "polytouch")
_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def _name(pitch: int) -> str:
    return f"{NAMES_SHARP[pitch % 12]}{pitch // 12 - 1}"


def _fold(note: int) -> int:
    """Into 0..127 by whole octaves (the same pitch class, so note-on and -off agree)."""
    while note < 0:
        note += 12
    while note > 127:
        note -= 12
    return note


def transpose_key_name(key: str, semitones: int) -> str:
    """A mido key-signature name moved by `semitones`: "Bb" +2 -> "C", "F#m" -1 -> "Fm"."""
    minor = key.endswith("m")
    tonic = key[:-1] if minor else key
    pc = _PC[tonic[0]] + sum({"#": 1, "b": -1}[c] for c in tonic[1:])
    pc = (pc + semitones) % 12
    return MINOR_TONICS[pc] + "m" if minor else MAJOR_TONICS[pc]


def transpose_midi(
    midi: mido.MidiFile, semitones: int, tracks: str | None = None, out_of_range: str = "error"
) -> tuple[mido.MidiFile, dict[str, Any]]:
    import mido

    if not isinstance(semitones, int) or abs(semitones) > MAX_SEMITONES:
        raise BadInput(f"semitones {semitones} is outside -{MAX_SEMITONES}..{MAX_SEMITONES}")
    if out_of_range not in OUT_OF_RANGE:
        raise BadInput(f"out_of_range {out_of_range!r} is not one of {', '.join(OUT_OF_RANGE)}")
    chosen = select_tracks(midi, tracks)

    def pitched(msg: mido.Message) -> bool:
        return msg.type in _NOTE_TYPES and msg.channel != DRUM_CHANNEL

    outside = [
        msg.note
        for t in chosen
        for msg in midi.tracks[t]
        if pitched(msg)
        and msg.type != "note_off"
        and not 0 <= msg.note + semitones <= 127
        and (msg.type != "note_on" or msg.velocity > 0)
    ]
    if outside and out_of_range == "error":
        worst = max(outside) if semitones > 0 else min(outside)
        direction = "above G9 (127)" if semitones > 0 else "below C-1 (0)"
        raise BadInput(
            f"transposing by {semitones:+d} would push {len(outside)} notes {direction}, "
            f"e.g. {_name(worst)} ({worst}); use --fold to move them back by octaves instead"
        )

    counts = {"notes": 0, "drum_notes_untouched": 0, "folded": 0, "key_signatures": 0}
    out = mido.MidiFile(type=midi.type, ticks_per_beat=midi.ticks_per_beat, charset=midi.charset)
    for t, track in enumerate(midi.tracks):
        if t not in chosen:
            out.tracks.append(mido.MidiTrack(list(track)))
            continue
        new = mido.MidiTrack()
        for msg in track:
            if msg.type == "key_signature" and semitones % 12:
                new.append(msg.copy(key=transpose_key_name(msg.key, semitones)))
                counts["key_signatures"] += 1
            elif msg.type in _NOTE_TYPES and msg.channel == DRUM_CHANNEL:
                new.append(msg)
                if msg.type == "note_on" and msg.velocity > 0:
                    counts["drum_notes_untouched"] += 1
            elif pitched(msg):
                note = _fold(msg.note + semitones)
                if note != msg.note + semitones and msg.type == "note_on" and msg.velocity > 0:
                    counts["folded"] += 1
                new.append(msg.copy(note=note))
                if msg.type == "note_on" and msg.velocity > 0:
                    counts["notes"] += 1
            else:
                new.append(msg)
        out.tracks.append(new)
    summary = {
        "edit": "transpose",
        "semitones": semitones,
        "out_of_range": out_of_range,
        "tracks": selected_names(midi, chosen),
    } | counts
    return out, summary


def transpose_file(
    source: Path,
    output: Path,
    semitones: int,
    tracks: str | None = None,
    out_of_range: str = "error",
) -> dict[str, Any]:
    midi = load_midi(Path(source))
    check_output(Path(source), Path(output))
    out, summary = transpose_midi(midi, semitones, tracks, out_of_range)
    save_midi(out, Path(output))
    return summary | {"input": str(source), "output": str(output)}


def format_transpose_summary(summary: dict[str, Any]) -> str:
    parts = [f"Transposed {summary['notes']} notes by {summary['semitones']:+d} semitones"]
    if summary["drum_notes_untouched"]:
        parts.append(f"{summary['drum_notes_untouched']} drum notes (channel 10) left as they were")
    if summary["folded"]:
        parts.append(f"{summary['folded']} notes folded back by octaves into 0..127")
    if summary["key_signatures"]:
        parts.append(f"{summary['key_signatures']} key signatures moved with them")
    text = "; ".join(parts) + "."
    return text + (f"\nWrote {summary['output']}" if "output" in summary else "")
