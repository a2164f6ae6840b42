"""`coach transpose IN.mid -o OUT.mid --semitones N`: move every pitched note; drums stay."""

from __future__ import annotations

import argparse

from assistant.cli._midi_edit import add_input_output, add_tracks_and_json, print_summary


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "transpose",
        help="transpose a MIDI file (drums on channel 10 untouched)",
        description="Shift every pitched note by N semitones; drums (channel 10) are left as "
        "they are and key signatures follow. A note pushed outside MIDI's 0..127 is an error "
        "unless --fold moves it back by octaves. The input file is never changed.",
    )
    add_input_output(parser)
    parser.add_argument("--semitones", type=int, required=True, help="e.g. 2, -3, 12")
    parser.add_argument(
        "--fold",
        action="store_true",
        help="fold notes that leave 0..127 back by whole octaves instead of failing",
    )
    add_tracks_and_json(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.edit.transpose import format_transpose_summary, transpose_file

    summary = transpose_file(
        args.input,
        args.output,
        args.semitones,
        tracks=args.tracks,
        out_of_range="fold" if args.fold else "error",
    )
    return print_summary(args, summary, format_transpose_summary)
