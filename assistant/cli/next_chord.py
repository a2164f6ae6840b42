"""`coach next-chord`: the most likely next chords after a progression, with the why."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "next-chord",
        help="suggest the next chord after a progression",
        description="Rank the chords most likely to come next after CHORDs (the progression "
        "so far, oldest first; all of it counts, since songs repeat themselves). Learned from "
        "real songs (Billboard, POP909), blended with theory rules, each with a why.",
    )
    parser.add_argument("chords", nargs="*", metavar="CHORD",
                        help="symbols (Am F#m7 Bb Cmaj7 G/B Bdim) or numerals (vi IV bVII V/V)")
    parser.add_argument("--key", metavar="K",
                        help='e.g. "A minor", Am, F#, "D dorian" (guessed from the chords if '
                        "not given)")
    parser.add_argument("--genre", metavar="G",
                        help="a genre of the knowledge base (rock, r&b, ballad, jazz...) or a "
                        "reference-song style (c-pop, mandopop)")
    parser.add_argument("--top", type=int, default=5, metavar="N",
                        help="how many suggestions (default 5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.composition.nextchord import load_model, next_chords, parse_progression
    from assistant.errors import BadInput

    if not args.chords or not " ".join(args.chords).strip():
        raise BadInput("no chords given: type the progression so far, like "
                       "`coach next-chord Am F --key \"A minor\"`")
    if not 1 <= args.top <= 47:
        raise BadInput(f"--top {args.top} is out of range: use 1-47")
    key, guessed = _key(args.chords, args.key)
    parse_progression(args.chords, key)  # bad tokens fail here, naming themselves
    if args.genre is not None:  # an unknown genre is an error here, not a silent fallback
        load_model().resolve_genre(args.genre, strict=True)
    found = next_chords(args.chords, key, genre=args.genre, top=args.top)
    if args.json:
        print(json.dumps({"key": key.name, "suggestions": [s.as_dict() for s in found]},
                         ensure_ascii=False, indent=2))
        return 0
    note = " (guessed: give --key to set it)" if guessed else ""
    print(f"After {' '.join(args.chords)} in {key.name}{note}:")
    width = max(len(s.symbol) for s in found)
    nwidth = max(len(s.numeral) for s in found)
    for i, s in enumerate(found, 1):
        print(f"  {i}  {s.symbol:<{width}}  {s.numeral:<{nwidth}}  {s.probability:>4.0%}  "
              f"{s.why}")
    return 0


def _key(chords: list[str], text: str | None):  # type: ignore[no-untyped-def]
    """(key, guessed?) from --key, or guessed from chord symbols (numerals alone: C major)."""
    from assistant import theory
    from assistant.composition.chords import looks_like_numeral
    from assistant.composition.keyfind import key_from_chords

    if text:
        return theory.parse_key(text), False
    tokens = " ".join(chords).replace(",", " ").split()
    symbols = [t for t in tokens if not looks_like_numeral(t)]
    if not symbols:
        return theory.parse_key("C major"), True
    pcs = [theory.chord_pitch_classes(_checked(t)) for t in symbols]
    return key_from_chords(pcs), True


def _checked(token: str) -> str:
    from assistant import theory
    from assistant.errors import BadInput

    try:
        theory.parse_symbol(token)
    except BadInput as error:
        detail = str(error).split(": ", 1)[-1]
        raise BadInput(f"unknown chord {token!r}: {detail}") from None
    return token
