"""Options shared by the MIDI edit commands (quantize, transpose, humanize)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any


def add_input_output(parser: argparse.ArgumentParser, what: str = "the MIDI file (type 0 or 1)") -> None:
    parser.add_argument("input", type=Path, help=what)
    parser.add_argument("-o", "--output", type=Path, required=True, help="where to write the result")


def add_tracks_and_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tracks",
        metavar="NAMES",
        help="comma-separated track names or numbers (default: all tracks)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")


def print_summary(args: argparse.Namespace, summary: dict[str, Any], formatter: Callable[[dict[str, Any]], str]) -> int:
    import json

    print(json.dumps(summary) if args.json else formatter(summary))
    return 0
