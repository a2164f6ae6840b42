"""Write knowledge/rhyme_exclusions.txt: the common words (knowledge/words_en.txt) that rhyme
lists should not offer — names, places, brands and abbreviations ("jerome", "spain", "bart",
"gov", "tv").

A word is left out when SCOWL's American English word list (Debian's `wamerican`,
/usr/share/dict/american-english) has it only capitalised (a proper noun: "Rome", but not
"Bill"/"bill"), or not at all (an abbreviation, a brand, a fragment or a foreign word:
"gov", "von", "braun", "http"; a dropped g stays: "lovin"); never a word with an apostrophe
("I'm" rhymes). Months, weekdays and holidays stay: songs
rhyme on them. Run it again when words_en.txt changes:

    sudo apt-get install wamerican && python tools/build_rhyme_exclusions.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DICT = Path("/usr/share/dict/american-english")
KEEP = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "christmas", "easter", "halloween", "valentine", "i", "a", "ya",
    "oh", "ooh", "ah", "uh", "hey", "yo", "ok", "okay", "tv",
}


def main() -> int:
    if not DICT.is_file():
        print(f"{DICT} is missing: sudo apt-get install wamerican", file=sys.stderr)
        return 2
    listed = DICT.read_text(encoding="utf-8").split("\n")
    lower = {w for w in listed if w and w[0].islower()}
    capital = {w.lower() for w in listed if w and w[0].isupper()} - lower
    common = [line.strip() for line in (ROOT / "knowledge" / "words_en.txt").read_text(
        encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    out = [w for w in common if w not in KEEP and "'" not in w and (  # "i'm" rhymes
        w in capital or (w not in lower and w + "g" not in lower))]  # "lovin" stays
    header = (
        "# Common words (words_en.txt) that rhyme lists leave out: names, places, brands,\n"
        "# abbreviations, foreign words. Derived by tools/build_rhyme_exclusions.py from SCOWL's American\n"
        "# English list (Debian wamerican 2020.12.07; SCOWL copyright Kevin Atkinson, free use\n"
        "# with notice: http://wordlist.aspell.net/) — a word it has only capitalised, or one it\n"
        "# lacks. Most frequent first.\n")
    (ROOT / "knowledge" / "rhyme_exclusions.txt").write_text(header + "\n".join(out) + "\n",
                                                             encoding="utf-8")
    print(f"{len(out)} of {len(common)} common words left out of rhyme lists")
    return 0


if __name__ == "__main__":
    sys.exit(main())
