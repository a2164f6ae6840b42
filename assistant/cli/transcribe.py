"""`coach transcribe`: a hummed or sung take -> notes, key and tempo (and a MIDI melody)."""

from __future__ import annotations

import argparse
import json

from assistant.audio_in.formats import HEARD


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "transcribe",
        help="hear the notes of a hummed or sung take",
        description="Turn a monophonic take (humming, singing, a whistle, one instrument) into "
        "notes: onset, duration, pitch and confidence, with the key and tempo they imply and "
        "the notes on a sixteenth grid (the open song's tempo and meter with --session, else "
        "the tempo heard). Pitch by pYIN (probabilistic YIN).",
    )
    parser.add_argument("take", metavar="TAKE", help=f"a {HEARD} file")
    parser.add_argument("-o", "--output", metavar="FILE.mid", help="write the melody as MIDI")
    parser.add_argument("--session", metavar="ID",
                        help="quantize to this saved session's song (tempo, meter, key)")
    parser.add_argument("--tempo", type=float, metavar="BPM",
                        help="the grid's tempo (default: the session's, else the one heard)")
    parser.add_argument("--meter", metavar="M", help="the grid's meter (default 4/4)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from assistant import theory
    from assistant.errors import BadInput
    from assistant.fileio import check_writable

    song = None
    if args.session:
        from assistant.song import Song
        from assistant.store import open_store

        state = open_store().state(args.session)
        song = Song.model_validate(state.get("song", {}))
    tempo = args.tempo if args.tempo is not None else (song.tempo if song else None)
    if tempo is not None and not 20 <= tempo <= 400:
        raise BadInput(f"--tempo {tempo:g} is out of range: use 20-400 bpm")
    meter = args.meter or (song.meter if song else "4/4")
    from assistant.song import meter_parts

    try:
        meter_parts(meter)
    except ValueError:
        raise BadInput(f"--meter {meter!r} is not like 4/4, 3/4 or 6/8") from None
    if args.output:
        check_writable(Path(args.output))
    from assistant.audio_in.transcribe import transcribe

    result = transcribe(args.take, tempo=tempo, meter=meter,
                        key=song.key if song and song.key else None)
    if args.output:
        from assistant.composition.melody import key_signature_name
        from assistant.composition.notes import write_midi

        melody = result.melody(Path(args.take).name)
        write_midi(Path(args.output), melody, tempo=result.grid_tempo or result.tempo_bpm,
                   meter=result.meter, key_name=key_signature_name(result.key))
    if args.json:
        data = result.as_dict()
        data["output"] = str(args.output) if args.output else None
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    grid = f"{result.grid_tempo:g} bpm grid" if result.grid_tempo else "no grid"
    print(f"Heard {result.summary()} ({result.meter}, {grid}); tuning "
          f"{result.tuning_cents:+.0f} cents")
    from assistant.song import meter_parts

    num, den = meter_parts(result.meter)
    bar_beats = num * 4 / den
    for note in result.notes:
        beats = ""
        if note.start_beats is not None:  # counted as musicians count: bar 1 beat 1
            bar, beat = divmod(note.start_beats, bar_beats)
            beats = f"bar {int(bar) + 1} beat {beat + 1:g} for {note.duration_beats:g}"
        print(f"  {note.onset_s:7.2f} s  {theory.note_name(note.pitch, result.key):<4} "
              f"{note.duration_s:5.2f} s  {beats:<24} confidence {note.confidence:.2f}")
    for warning in result.notes_said:
        print(f"note: {warning}")
    if args.output:
        print(f"Wrote {args.output}")
    return 0
