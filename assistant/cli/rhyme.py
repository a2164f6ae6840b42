"""`coach rhyme WORD [--json]`: perfect, near and multi-syllable rhymes, common words first."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "rhyme",
        help="rhymes for a word: perfect, near and multi-syllable",
        description="Rhymes for WORD from the CMU Pronouncing Dictionary, most common words "
        "first: perfect (home/dome), near (same vowel, a kindred consonant or another one: "
        "home/bone/hope, or the same consonants after another vowel) and multi-syllable "
        "(ocean/devotion). A word the dictionary lacks gets rhymes for its estimated sound.",
    )
    parser.add_argument("word", nargs="+", metavar="WORD", help="the word (the last one counts)")
    parser.add_argument("--top", type=int, default=20, metavar="N", help="rhymes per kind (default 20)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.errors import BadInput
    from assistant.lyrics.dictionary import load
    from assistant.lyrics.phonetics import words_of
    from assistant.lyrics.rhyme import rhymes_for

    text = " ".join(args.word)
    words = words_of(text)
    if not words:
        raise BadInput(f"no word to rhyme in {text[:40]!r}: give an English word, like `coach rhyme home`")
    if not 1 <= args.top <= 200:
        raise BadInput(f"--top {args.top} is out of range: use 1-200")
    found = rhymes_for(words[-1], load(), limit=args.top)
    if args.json:
        print(json.dumps({"word": found.word, "perfect": found.perfect, "near": found.near,
                          "multi": found.multi, "known": found.known}, ensure_ascii=False, indent=2))
        return 0
    note = "" if found.known else " (not in the dictionary: rhymes for its estimated sound)"
    print(f"Rhymes for “{found.word}”{note}:")
    for label, items in (("perfect", found.perfect), ("near", found.near), ("multi", found.multi)):
        print(f"  {label:<8} {', '.join(items) if items else '—'}")
    return 0
