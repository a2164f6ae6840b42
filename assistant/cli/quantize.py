"""`coach quantize IN.mid -o OUT.mid`: pull note onsets toward a grid, with strength and swing."""

from __future__ import annotations

import argparse

from assistant.cli._midi_edit import add_input_output, add_tracks_and_json, print_summary

GRID_CHOICES = "1/4, 1/8, 1/16, 1/32, 1/8t, 1/16t"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "quantize",
        help="quantize a MIDI take (grid, strength, swing)",
        description="Move note onsets toward a grid. The input file is never changed; the "
        "output is written whole or not at all. Tempo map, controllers and other tracks are kept.",
    )
    add_input_output(parser, "the MIDI take (type 0 or 1)")
    parser.add_argument("--grid", default="1/16", help=f"one of {GRID_CHOICES} (default 1/16)")
    parser.add_argument(
        "--strength",
        type=float,
        default=1.0,
        help="0..1: how far each note moves toward the grid (default 1)",
    )
    parser.add_argument(
        "--swing",
        type=float,
        default=0.5,
        help="0.5..0.75: where the off-beat step sits in its pair (0.5 straight, "
        "0.66 triplet feel)",
    )
    parser.add_argument(
        "--lengths",
        choices=("keep", "quantize"),
        default="keep",
        help="keep note lengths, or snap note ends to the grid too",
    )
    add_tracks_and_json(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.edit.quantize import format_quantize_summary, quantize_file

    summary = quantize_file(
        args.input,
        args.output,
        grid=args.grid,
        strength=args.strength,
        swing=args.swing,
        lengths=args.lengths,
        tracks=args.tracks,
    )
    return print_summary(args, summary, format_quantize_summary)
