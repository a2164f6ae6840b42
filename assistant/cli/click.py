"""`coach click`: an accented click track (WAV, and MIDI on request) for recording."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from assistant.cli.render import add_output_options

    parser = sub.add_parser(
        "click",
        help="write an accented click track (with an optional count-in)",
        description="An accented click: the downbeat loudest, compound meters (6/8, 12/8) "
        "grouped in threes. --count-in adds bars of click before the --bars.",
    )
    parser.add_argument("--tempo", type=float, required=True, metavar="BPM", help="beats per minute (20-400)")
    parser.add_argument("--meter", default="4/4", metavar="M", help="e.g. 4/4, 3/4, 6/8, 7/8 (default 4/4)")
    parser.add_argument("--bars", type=int, default=4, metavar="N", help="bars of click after the count-in (default 4)")
    parser.add_argument(
        "--count-in", type=int, default=0, metavar="BARS", help="bars of count-in before them (default 0)"
    )
    add_output_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.cli.render import quiet_blas, report, start_loader

    quiet_blas()
    loader = start_loader(args)
    try:
        from assistant.render import default_preview_path
        from assistant.render.click import click_arrangement
        from assistant.render.pipeline import render_arrangement

        arrangement = click_arrangement(args.tempo, args.meter, args.bars, args.count_in)
        wav = Path(args.output).expanduser() if args.output else default_preview_path("click")
        result = render_arrangement(
            arrangement,
            wav,
            Path(args.midi).expanduser() if args.midi else None,
            args.soundfont,
            args.rate,
            loudness=False,
            loader=loader,
        )
    finally:
        if loader is not None:
            loader.close()
    clicks = sum(len(t.notes) for t in arrangement.tracks)
    headline = (
        f"Rendered {args.count_in + args.bars} bars of click ({clicks} clicks) at "
        f"{result.tempo:g} bpm in {result.meter} in {result.render_s:.2f} s"
    )
    report(result, args, headline, extra={"clicks": clicks})
    return 0
