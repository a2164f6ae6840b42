"""`coach analyze FILE`: a take check or a mix analysis for audio, a take analysis for MIDI.

MIDI (by its "MThd" header or a .mid/.midi name) goes to assistant.analysis.midi_take;
anything else is measured as audio by assistant.analysis.audio_report.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

TARGETS = "spotify, apple-music, youtube, tidal, amazon, deezer, soundcloud, ..."


def register(sub: argparse._SubParsersAction) -> None:
    from assistant.analysis.audio_report import STAGE_HELP

    parser = sub.add_parser(
        "analyze",
        help="measure a take or a mix (audio) or analyse a MIDI take",
        description="Audio (WAV, FLAC, AIFF; any bit depth; 44.1/48/96 kHz): loudness "
        "(BS.1770-4 / EBU R 128: integrated, short-term and momentary maxima, loudness "
        "range), true peak, sample peak, PLR, crest, RMS, noise floor, headroom, DC offset, "
        "clipping and where it happens, silence at the ends, stereo correlation, width, "
        "mono loss and balance, and the octave-band balance against a genre curve, with "
        "advice from the knowledge base. MIDI (.mid): key, tempo, meter, range and timing.",
    )
    parser.add_argument("file", metavar="FILE", help="an audio file or a MIDI file")
    parser.add_argument("--target", metavar="T",
                        help=f"release target for a mix ({TARGETS}); default spotify "
                        "when the advice is for mixing")
    parser.add_argument("--genre", metavar="G",
                        help="compare the spectral balance with this genre's curve (pop, rock...)")
    parser.add_argument("--stage", choices=("auto", "recording", "mixing"), default="auto",
                        help=STAGE_HELP)
    parser.add_argument("--plot", metavar="PNG_OR_SVG",
                        help="also draw the loudness and spectrum as a picture (.png or .svg)")
    parser.add_argument("--reference", action="store_true",
                        help="a favourite song: also hear its tempo, key, chord loop and "
                        "sections (A/B/C by repetition, the likely verse and chorus)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def is_midi(path: Path) -> bool:
    if path.suffix.lower() in (".mid", ".midi", ".smf"):
        return True
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"MThd"
    except OSError:
        return False


def run(args: argparse.Namespace) -> int:
    from assistant.errors import BadInput, FileProblem

    path = Path(args.file).expanduser()
    if not path.exists():
        raise FileProblem(f"{path}: no such file")
    if path.is_dir():
        raise FileProblem(f"{path} is a folder, not a file to analyse")
    if is_midi(path):
        if args.plot or args.target or args.genre or args.stage != "auto" or args.reference:
            raise BadInput("--plot, --target, --genre, --stage and --reference apply to audio "
                           "files only")
        return _run_midi(path, args.json)
    if args.plot:
        from assistant.fileio import check_writable

        if Path(args.plot).suffix.lower() not in (".png", ".svg", ".pdf"):
            raise BadInput(f"--plot {args.plot}: give a .png or .svg file name")
        check_writable(Path(args.plot))
    # Small matrix products only: BLAS threads would spin and fight over two cores.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from assistant.analysis.audio_report import analyze_audio, format_audio_report

    result = analyze_audio(path, target=args.target, genre=args.genre, stage=args.stage)
    if getattr(args, "reference", False):
        from assistant.analysis.audio_report import add_reference

        add_reference(result, path)
    if args.plot:
        from assistant.analysis.plot import plot_report

        plot_report(result, Path(args.plot))
        result["plot"] = str(args.plot)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(format_audio_report(result))
        if args.plot:
            print(f"\nPicture written to {args.plot}")
    return 0


def _run_midi(path: Path, as_json: bool) -> int:
    from assistant.errors import FileProblem

    try:
        from assistant.analysis import midi_take
    except ModuleNotFoundError as error:
        if error.name != "assistant.analysis.midi_take":
            raise
        raise FileProblem("MIDI take analysis is not available in this build") from None
    result = midi_take.analyze_midi(path)
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(midi_take.format_midi_report(result))
    sys.stdout.flush()
    return 0
