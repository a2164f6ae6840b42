"""`coach master MIX -o MASTER --target T [--genre G]`: a loudness-matched master preview."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "master",
        help="make a loudness-matched master preview of a bounced mix",
        description="Gentle EQ toward the genre's reference curve (at most +-3 dB per octave), "
        "gain to the target's loudness and a true-peak limiter at its ceiling, repeated until "
        "the result measures the target within 0.5 LU and under the ceiling; then the same "
        "analysis before and after, side by side. The input file is never modified.",
    )
    parser.add_argument("file", metavar="MIX", help="the bounced mix (WAV, FLAC, AIFF)")
    parser.add_argument("-o", "--output", metavar="MASTER", required=True,
                        help="where to write the master (.wav, .flac or .aiff)")
    parser.add_argument("--target", metavar="T", default="spotify",
                        help="release target: spotify, apple-music, youtube, tidal, amazon, "
                        "deezer, soundcloud... (default spotify)")
    parser.add_argument("--genre", metavar="G", help="nudge the tonal balance toward this "
                        "genre's reference curve (pop, rock, hip-hop...)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from assistant.analysis.master import format_master_report, master_file

    result = master_file(Path(args.file), Path(args.output), target=args.target,
                         genre=args.genre)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(format_master_report(result))
    return 0
