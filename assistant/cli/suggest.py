"""`coach suggest`: keys, tempo, meter, progressions and a structure for a described mood."""

from __future__ import annotations

import argparse
import json


def add_song_options(parser: argparse.ArgumentParser) -> None:
    """The options that describe a song on the spot (shared with `coach render`)."""
    parser.add_argument("--mood", metavar="TEXT", help='free text, e.g. "melancholic but hopeful"')
    parser.add_argument("--genre", metavar="G", help="e.g. pop, lo-fi, rock, jazz")
    parser.add_argument("--key", metavar="K", help='e.g. "A minor", Am, F#, Bb, "D dorian"')
    parser.add_argument("--tempo", metavar="BPM", help="beats per minute (20-400)")
    parser.add_argument("--meter", metavar="M", help="e.g. 4/4, 3/4, 6/8")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="vary the suggestions")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "suggest",
        help="suggest keys, tempo, progressions and a structure for a mood",
        description="Suggest keys, tempo, meter, chord progressions and a song structure, "
        "each with the rules and the why behind it.",
    )
    add_song_options(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.rules import suggest

    found = suggest(args.mood, args.genre, args.key, args.tempo, args.meter, args.seed)
    if args.json:
        print(json.dumps(found.to_json(), ensure_ascii=False, indent=2))
        return 0
    print(format_suggestions(found))
    return 0


def format_suggestions(found) -> str:  # type: ignore[no-untyped-def]
    lines: list[str] = []
    heard = ", ".join(found.moods) or "no particular mood"
    if found.genre:
        heard += f" · {found.genre}"
    lines.append(f"Heard: {heard}")
    lines += [f"  note: {note}" for note in found.notes]
    lines.append("\nKeys")
    for i, key in enumerate(found.keys, 1):
        lines.append(f"  {i}  {key.name}")
        lines.append(f"     why: {key.why}")
    tempo = found.tempo
    lines.append(f"\nTempo  {tempo.bpm} bpm (range {tempo.range[0]}-{tempo.range[1]})")
    lines.append(f"     why: {tempo.why}")
    lines.append(f"\nMeter  {found.meter}")
    lines.append(f"     why: {found.meter_why}")
    lines.append(f"\nProgressions in {found.keys[0].name}")
    for i, prog in enumerate(found.progressions, 1):
        lines.append(f"  {i}  {' - '.join(prog.symbols)}   ({' '.join(prog.numerals)}, {prog.name})")
        lines.append(f"     why: {prog.why}")
        if prog.examples:
            lines.append(f"     heard in: {'; '.join(prog.examples[:2])}")
    structure = found.structure
    plan = " | ".join(f"{s['name']} {s['bars']}" for s in structure.sections)
    lines.append(f"\nStructure  {structure.name}: {plan}")
    lines.append(f"     why: {structure.why}")
    return "\n".join(lines)
