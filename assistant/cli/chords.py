"""`coach chords TAKE.wav`: the chords of a strummed or played take, per bar, with key and tempo."""

from __future__ import annotations

import argparse
import json
import os

from assistant.audio_in.formats import HEARD


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "chords",
        help="hear the chords, key, tempo and downbeats of a recording",
        description="Listen to a recording of chords (strummed guitar, piano, a band) and "
        "give the chords per bar as symbols and Roman numerals with a confidence, the key, "
        "the tempo and the downbeats. Major and minor triads (a 7th chord is named by its "
        f"triad). {HEARD}, any rate from 8 kHz, any channels.",
    )
    parser.add_argument("file", metavar="TAKE", help=f"the recording ({HEARD})")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small products; two cores are shared
    from assistant.audio_in.chords import chord_chart

    chart = chord_chart(args.file)
    if args.json:
        print(json.dumps(chart.to_json(), ensure_ascii=False))
    else:
        print(format_chart(chart))
    return 0


def format_chart(chart) -> str:  # type: ignore[no-untyped-def]
    """Four bars a line: "bar 1  Am | F | C | G"."""
    from pathlib import Path

    bars = chart.bar_symbols()
    numerals = chart.bar_numerals()
    lines = [f"{Path(chart.path).name}: {chart.key} (confidence {chart.key_confidence:.0%}) "
             f"\u00b7 about {chart.tempo_bpm:.0f} bpm \u00b7 {len(bars)} bars of 4 beats"]
    for i in range(0, len(bars), 4):
        symbols = " | ".join(f"{s:<4}" for s in bars[i:i + 4])
        roman = " ".join(numerals[i:i + 4])
        lines.append(f"bar {i + 1:>3}  {symbols}   ({roman})")
    loop = chart.loop_symbols()
    if loop:
        lines.append(f"The loop: {' '.join(loop)}  =  {' '.join(chart.progression())} in {chart.key}")
    sure = [c for c in chart.chords if c.symbol != "N"]
    if sure:
        unsure = sum(1 for c in sure if c.confidence < 0.5)
        if unsure:
            lines.append(f"{unsure} of {len(sure)} chord changes are unsure (confidence under 50%).")
    for note in chart.notes:
        lines.append(f"Note: {note}")
    return "\n".join(lines)
