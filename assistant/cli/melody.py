"""`coach melody`: a motif developed into a melody over a progression, by rule."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "melody",
        help="sketch a motif and a melody over a progression",
        description="Develop a one-bar motif into a melody over a progression: chord tones "
        "on strong beats, steps and passing tones between them, the motif repeated in "
        "sequence, inverted or displaced, phrases of 2 or 4 bars with breaths, one climax in "
        "the last third, a cadence at the end, all inside a singable range; 6/8 and 12/8 "
        "phrase in dotted quarters. "
        "The same seed gives the same melody.",
    )
    parser.add_argument("--key", metavar="K", default="C major",
                        help='e.g. "A minor", F#, "D dorian" (default C major)')
    parser.add_argument("--progression", nargs="+", metavar="CHORD",
                        help="one chord per bar, repeated to fill (numerals or symbols); "
                        "default: an eight-bar progression in the key ending at home")
    parser.add_argument("--bars", type=int, default=8, metavar="N", help="default 8")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="default 0")
    parser.add_argument("--range", default="C4-C5", metavar="LOW-HIGH",
                        help="the singer's range, e.g. A3-A4 (default C4-C5)")
    parser.add_argument("--meter", default="4/4", metavar="M", help="default 4/4")
    parser.add_argument("--tempo", type=float, default=100.0, metavar="BPM",
                        help="tempo written to the MIDI file (default 100)")
    parser.add_argument("-o", "--output", metavar="FILE.mid", help="write the melody as MIDI")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from assistant import theory
    from assistant.composition.melody import DEVICE_WHY, compose, key_signature_name, parse_range
    from assistant.composition.notes import write_midi
    from assistant.errors import BadInput
    from assistant.fileio import check_writable

    key = theory.parse_key(args.key)
    low, high = parse_range(args.range)
    if not 20 <= args.tempo <= 400:
        raise BadInput(f"--tempo {args.tempo:g} is out of range: use 20-400 bpm")
    if args.output:
        check_writable(Path(args.output))
    idea = compose(key, args.progression, args.bars, args.seed, low, high, args.meter)
    if args.output:
        write_midi(Path(args.output), idea.melody, tempo=args.tempo, meter=idea.meter,
                   key_name=key_signature_name(key))

    def notes(melody):  # type: ignore[no-untyped-def]
        return [{"pitch": n.pitch, "name": theory.note_name(n.pitch, key), "start": n.start,
                 "duration": n.duration} for n in melody.notes]

    if args.json:
        print(json.dumps({
            "key": key.name, "meter": idea.meter, "bars": args.bars, "seed": args.seed,
            "range": [theory.note_name(low, key), theory.note_name(high, key)],
            "progression": idea.progression, "plan": idea.plan,
            "why": {device: DEVICE_WHY[device] for device in dict.fromkeys(idea.plan)},
            "motif": notes(idea.motif), "notes": notes(idea.melody),
            "phrases": idea.phrases, "devices": idea.devices, "rule_ids": idea.rule_ids,
            "file": str(args.output) if args.output else None,
        }, ensure_ascii=False, indent=2))
        return 0
    print(f"Melody in {key.name}, {idea.meter}, seed {args.seed}, range "
          f"{theory.note_name(low, key)}-{theory.note_name(high, key)}")
    bar_len = _bar_length(idea.meter)
    for bar, (numeral, plan) in enumerate(zip(idea.progression, idea.plan, strict=True)):
        inside = [n for n in idea.melody.notes
                  if bar * bar_len - 1e-9 <= n.start < (bar + 1) * bar_len - 1e-9]
        shown = " ".join(f"{theory.note_name(n.pitch, key)}/{n.duration:g}" for n in inside)
        symbol = theory.numeral_to_symbol(numeral, key)
        print(f"  bar {bar + 1:>2}  {symbol:<6} {plan:<12} {shown}")
    for device in dict.fromkeys(idea.plan):
        print(f"  {device}: {DEVICE_WHY[device]}")
    for device in idea.devices:
        print(f"  - {device}")
    if args.output:
        print(f"wrote {args.output}")
    return 0


def _bar_length(meter: str) -> float:
    num, den = meter.split("/")
    return int(num) * 4 / int(den)
