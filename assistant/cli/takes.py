"""`coach takes`: rank takes of one part, best first, and say why."""

from __future__ import annotations

import argparse
import json

from assistant.audio_in.formats import HEARD


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "takes",
        help="rank takes of the same part",
        description="Rank takes of one part, best first: pitch (cents off the melody per "
        "note — the session's melody or --melody FILE.mid — else off the nearest semitone), "
        "timing (ms off the melody, else off the sixteenth grid), missing notes, and the "
        "take check's level, clipping and noise.",
    )
    parser.add_argument("takes", nargs="+", metavar="TAKE", help=f"{HEARD} files")
    parser.add_argument("--melody", metavar="FILE.mid", help="the melody the takes sing")
    parser.add_argument("--session", metavar="ID", help="use this session's melody and tempo")
    parser.add_argument("--tempo", type=float, metavar="BPM",
                        help="the grid when there is no melody (default: the session's, else "
                        "the tempo the takes share)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from assistant.errors import BadInput

    if len(args.takes) > 24:
        raise BadInput(f"{len(args.takes)} takes is more than the 24 compared at once")
    from assistant.audio_in.takes import melody_reference, rank_files

    song = None
    if args.session:
        from assistant.song import Song
        from assistant.store import open_store

        song = Song.model_validate(open_store().state(args.session).get("song", {}))
    tempo = args.tempo or (song.tempo if song else None)
    if tempo is not None and not 20 <= tempo <= 400:
        raise BadInput(f"--tempo {tempo:g} is out of range: use 20-400 bpm")
    reference = melody_reference(song)
    if args.melody:
        from assistant.composition.notes import read_midi

        line, _ = read_midi(Path(args.melody))
        beat = 60.0 / (tempo or 100.0)
        reference = [(n.start * beat, n.duration * beat, float(n.pitch)) for n in line
                     if n.pitch is not None]
    ranking = rank_files(args.takes, reference=reference, tempo=tempo)
    if args.json:
        print(json.dumps({"ranking": [r.as_dict() for r in ranking],
                          "against": "melody" if reference else "grid"},
                         ensure_ascii=False, indent=2))
        return 0
    against = "the melody" if reference else "the nearest semitone and a sixteenth grid"
    print(f"{len(ranking)} takes, best first (against {against}):")
    for i, take in enumerate(ranking, 1):
        print(f"  {i}. {Path(take.file).name}  score {take.score:.0f}  — {take.why}")
    return 0
