"""`coach record`: record a take from the default input while the click or backing plays."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "record",
        help="record a take from the microphone",
        description="Record a take from the default audio input while a click (or the song's "
        "backing track, with its click) plays: a count-in, then BARS bars. The count-in is "
        "cut, so the take starts on bar 1; the WAV (48 kHz, 24-bit) is written whole or not "
        "at all, then checked (peaks, clipping, noise floor) like any take.",
    )
    parser.add_argument("-o", "--output", metavar="TAKE.wav", required=True)
    parser.add_argument("--bars", type=int, default=8, metavar="N", help="default 8")
    parser.add_argument("--count-in", type=int, default=2, metavar="N",
                        help="bars of clicks before the take (default 2)")
    parser.add_argument("--click", action="store_true", help="play the click while recording")
    parser.add_argument("--backing", action="store_true",
                        help="play the song's backing track (needs --session)")
    parser.add_argument("--session", metavar="ID", help="the saved session whose song plays")
    parser.add_argument("--tempo", type=float, metavar="BPM",
                        help="default: the session's, else 100")
    parser.add_argument("--meter", metavar="M", help="default: the session's, else 4/4")
    parser.add_argument("--device", metavar="NAME", help="input device (default: the system's)")
    parser.add_argument("--json", action="store_true", help="print the take check as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from assistant.errors import BadInput, FileProblem
    from assistant.fileio import check_writable

    if not 1 <= args.bars <= 256:
        raise BadInput(f"--bars {args.bars} is out of range: use 1-256")
    if not 0 <= args.count_in <= 8:
        raise BadInput(f"--count-in {args.count_in} is out of range: use 0-8")
    out = check_writable(Path(args.output))
    if out.suffix.lower() not in (".wav", ".wave"):
        raise BadInput(f"{out.name}: a take is written as WAV (give a .wav name)")
    from assistant.song import Key, Song, meter_parts

    song = None
    if args.session:
        from assistant.store import open_store

        song = Song.model_validate(open_store().state(args.session).get("song", {}))
    if args.backing and song is None:
        raise BadInput("--backing plays a song: give --session ID (see `coach sessions list`)")
    song = song or Song()
    tempo = args.tempo or song.tempo or 100.0
    if not 20 <= tempo <= 400:
        raise BadInput(f"--tempo {tempo:g} is out of range: use 20-400 bpm")
    meter = args.meter or song.meter
    try:
        meter_parts(meter)
    except ValueError:
        raise BadInput(f"--meter {meter!r} is not like 4/4, 3/4 or 6/8") from None
    song = song.model_copy(update={"tempo": tempo, "meter": meter,
                                   "key": song.key or Key(tonic="C")})
    from assistant.audio_in.record import Plan, input_problem, record_take

    problem = input_problem(args.device)
    if problem:
        raise FileProblem(problem)
    plan = Plan(tempo=tempo, meter=meter, bars=args.bars, count_in=args.count_in)
    if not args.json:
        print(f"Recording {args.bars} bars at {tempo:g} bpm in {meter} after a "
              f"{args.count_in}-bar count-in ({plan.seconds:.0f} s)…", flush=True)
    path = record_take(out, song, plan, click=args.click, backing=args.backing,
                       device=args.device)
    from assistant.analysis.audio_report import analyze_audio

    result = analyze_audio(path, stage="recording")
    if args.json:
        print(json.dumps({"file": str(path), "tempo_bpm": tempo, "meter": meter,
                          "bars": args.bars, "count_in": args.count_in,
                          "take_check": result}, ensure_ascii=False, indent=2, default=str))
        return 0
    from assistant.stages.recording import take_report

    print(f"Wrote {path}\n")
    print(take_report(result))
    return 0
