"""`coach humanize IN.mid -o OUT.mid`: small random timing and velocity changes, per seed."""

from __future__ import annotations

import argparse

from assistant.cli._midi_edit import add_input_output, add_tracks_and_json, print_summary


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "humanize",
        help="loosen a MIDI file's timing and velocities (deterministic per seed)",
        description="Move each note's onset by a small random amount (lengths kept) and vary "
        "its velocity. The same seed gives the same result. The input file is never changed.",
    )
    add_input_output(parser)
    parser.add_argument(
        "--timing-ms",
        type=float,
        default=10.0,
        help="the most any onset moves, 0..100 ms (default 10)",
    )
    parser.add_argument(
        "--velocity", type=int, default=8, help="the most any velocity changes, 0..64 (default 8)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    add_tracks_and_json(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.edit.humanize import format_humanize_summary, humanize_file

    summary = humanize_file(
        args.input,
        args.output,
        timing_ms=args.timing_ms,
        velocity=args.velocity,
        seed=args.seed,
        tracks=args.tracks,
    )
    return print_summary(args, summary, format_humanize_summary)
