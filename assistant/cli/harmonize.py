"""`coach harmonize`: a chord per bar for a typed melody or a MIDI file."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "harmonize",
        help="suggest chords for a melody",
        description="Suggest a chord per bar (or half bar) whose tones hold the melody's "
        "strong-beat notes, with ranked alternatives and the why. NOTES are note names with "
        'octaves and optional durations in beats, e.g. "E4 D4 C4 D4 E4 E4 E4/2" (R = rest), '
        "or a MIDI file.",
    )
    parser.add_argument("notes", metavar="NOTES", help='typed notes or a .mid file')
    parser.add_argument("--key", metavar="K", help="the key (detected from the notes if not "
                        'given), e.g. "A minor", F#, "D dorian"')
    parser.add_argument("--meter", metavar="M", default=None,
                        help="e.g. 4/4 (default, or the MIDI file's), 3/4, 6/8")
    parser.add_argument("--alternatives", type=int, default=3, metavar="N",
                        help="chords offered per bar, the suggestion first (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant import theory
    from assistant.composition.harmonize import harmonize
    from assistant.composition.notes import is_midi_path, parse_notes, read_midi
    from assistant.errors import BadInput

    if not 1 <= args.alternatives <= 10:
        raise BadInput(f"--alternatives {args.alternatives} is out of range: use 1-10")
    meter = args.meter
    if is_midi_path(args.notes):
        _check_midi_size(Path(args.notes).expanduser())
        line, file_meter = read_midi(Path(args.notes))
        meter = meter or file_meter
    else:
        line = parse_notes(args.notes)
    key = theory.parse_key(args.key) if args.key else None
    result = harmonize(line, key, meter or "4/4", alternatives=args.alternatives)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return 0
    guessed = " (detected: give --key to set it)" if result.key_guessed else ""
    print(f"Key {result.key.name}{guessed}, {result.meter}")
    for seg in result.segments:
        half = "" if seg.length >= _bar_length(result.meter) - 1e-9 else " (half)"
        first, *others = seg.chords
        print(f"  bar {seg.bar}{half}: {seg.melody}")
        print(f"      {first.symbol} ({first.numeral}): {first.why}")
        if others:
            print("      or " + ", ".join(f"{c.symbol} ({c.numeral})" for c in others))
    return 0


MAX_MIDI_BYTES = 1 << 20  # ~100,000 notes; reading it alone would take ~20 s


def _check_midi_size(path: Path) -> None:
    """Refuse a MIDI file far beyond what harmonize takes (8,192 notes) before parsing it."""
    from assistant.errors import BadInput

    try:
        size = path.stat().st_size
    except OSError:
        return  # read_midi says what is wrong with it
    if size > MAX_MIDI_BYTES:
        raise BadInput(f"{path.name} is {size / 2**20:.1f} MB of MIDI, far more than harmonize "
                       "takes (512 bars, 8,192 notes): export the melody, or a section of "
                       "it, as its own file")


def _bar_length(meter: str) -> float:
    num, den = meter.split("/")
    return int(num) * 4 / int(den)
