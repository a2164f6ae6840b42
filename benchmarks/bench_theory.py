"""Theory benchmarks: import cost, numeral <-> symbol conversions, voicing, data-file agreement.

Run: `.venv/bin/python benchmarks/bench_theory.py [path/to/shared/data]`
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from _timing import REPO, machine, median, pct, time_calls, time_command

sys.path.insert(0, str(REPO))

from assistant import theory  # noqa: E402
from assistant.errors import BadInput  # noqa: E402

PROGRESSIONS = [["I", "V", "vi", "IV"], ["i", "bVI", "bIII", "bVII"], ["ii7", "V7", "Imaj7"],
                ["I", "bVII", "IV", "I"], ["vi", "IV", "I", "V"], ["i", "iv", "v", "i"],
                ["I", "vi", "ii", "V7"], ["i", "bVII", "bVI", "V7"], ["I", "V/V", "V", "I"],
                ["IV", "iv", "I", "I"]]
KEYS = ["C major", "A minor", "F# major", "Bb minor", "D dorian", "E phrygian", "F lydian",
        "G mixolydian", "B locrian", "Eb major", "C# minor", "Ab major"]


def data_agreement(data: Path) -> list[tuple[str, int, int, int]]:
    """(file, chords checked, numerals whose root and case match the file's roman_sequence,
    unparseable labels)."""
    rows = []
    for name, table, tonic_of in (
        ("billboard_100_tonic_chords.json", "songs",
         lambda s: s["tonic"] if len(s["tonic_changes"]) == 1 else None),
        ("pop909_100_key_chords.json", "songs",
         lambda s: None if s["modulates"] else s["key"].split(":")[0]),
        ("nottingham_key_chords.json", "tunes", lambda s: s["tonic"]),
    ):
        path = data / name
        if not path.exists():
            continue
        checked = agree = junk = 0
        for song in json.loads(path.read_text())[table]:
            tonic = tonic_of(song)
            for chord, numeral in zip(song["chord_sequence"], song["roman_sequence"],
                                      strict=False):
                try:
                    parsed = theory.parse_symbol(chord)
                except BadInput:
                    junk += 1
                    continue
                if tonic is None:
                    continue
                mine = theory.symbol_to_numeral(parsed, tonic)
                checked += 1
                heads = [re.match(r"^[b#]?[IViv]+", n) for n in (numeral, mine)]
                agree += bool(heads[0] and heads[1] and heads[0][0] == heads[1][0])
        rows.append((name, checked, agree, junk))
    return rows


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "data"
    code = ("import assistant.theory as t; "
            "print(t.numeral_to_symbol('bVII', t.parse_key('A minor')))")
    imports = time_command([sys.executable, "-c", code], runs=9)
    tens = time_command([sys.executable, "-c", code.split(";")[0] + "; k = t.parse_key('A minor');"
                         f" [[t.numeral_to_symbol(n, k) for n in p] for p in {PROGRESSIONS!r}]"],
                        runs=9)

    keys = [theory.parse_key(k) for k in KEYS]
    counter = iter(range(10**9))

    def ten_progressions() -> None:
        key = keys[next(counter) % len(keys)]
        [[theory.numeral_to_symbol(n, key) for n in p] for p in PROGRESSIONS]

    convert = time_calls(ten_progressions, runs=2000)

    def cold_ten() -> None:  # every cache emptied: the first-ever call in a process
        theory.parse_numeral.cache_clear()
        theory._numeral_symbol.cache_clear()
        theory._parse_key_cached.cache_clear()
        key = theory.parse_key(KEYS[next(counter) % len(KEYS)])
        [[theory.numeral_to_symbol(n, key) for n in p] for p in PROGRESSIONS]

    cold = time_calls(cold_ten, runs=300)
    symbols = ["Am", "F#m7", "Bb", "Cmaj7", "G/B", "Bdim", "Bm7b5", "Caug", "Dsus4", "E7",
               "A7sus4", "C6", "Cadd9", "Ebm", "Amaj7", "D9", "A:min", "F#:maj7/5"]

    def cold_symbols() -> None:
        theory.parse_symbol.cache_clear()
        theory._symbol_numeral.cache_clear()
        key = keys[next(counter) % len(keys)]
        for s in symbols:
            theory.symbol_to_numeral(s, key)

    to_numeral = time_calls(cold_symbols, runs=300)

    def voice(chords: list[str], low: int, high: int, voices: int):  # noqa: ANN202
        def run() -> None:
            theory._voice_specs.cache_clear()
            theory.voice_progression(chords, "C major", low=low, high=high, voices=voices)
        return run

    voicings = [
        ("4 triads, 52-72, 4 voices", time_calls(voice(["I", "vi", "IV", "V"], 52, 72, 4))),
        ("8 chords, 52-72, 4 voices",
         time_calls(voice(["I", "vi", "IV", "V", "iii", "vi", "ii7", "V7"], 52, 72, 4))),
        ("4 triads, 36-84, 4 voices", time_calls(voice(["I", "vi", "IV", "V"], 36, 84, 4),
                                                  runs=30, warmup=2)),
    ]

    ms = 1000.0
    print(f"Machine: {machine()}\n")
    print("| measure | median | p95 | target |")
    print("|---|---|---|---|")
    print(f"| `import assistant.theory` + one numeral_to_symbol (whole process) "
          f"| {median(imports)*ms:.0f} ms | {pct(imports, 95)*ms:.0f} ms | well under 1000 ms |")
    print(f"| same + 10 progressions to symbols (whole process) | {median(tens)*ms:.0f} ms "
          f"| {pct(tens, 95)*ms:.0f} ms | well under 1000 ms |")
    print(f"| 10 progressions -> symbols in process, warm caches | {median(convert)*ms:.3f} ms "
          f"| {pct(convert, 95)*ms:.3f} ms | p95 ≤ 5 ms |")
    print(f"| same with every cache emptied first | {median(cold)*ms:.3f} ms "
          f"| {pct(cold, 95)*ms:.3f} ms | p95 ≤ 5 ms |")
    print(f"| 18 symbols -> numerals, caches emptied | {median(to_numeral)*ms:.3f} ms "
          f"| {pct(to_numeral, 95)*ms:.3f} ms | |")
    for label, times in voicings:
        print(f"| voice_progression: {label}, uncached | {median(times)*ms:.2f} ms "
              f"| {pct(times, 95)*ms:.2f} ms | |")
    print(f"| music21 imported by all of the above | {'music21' in sys.modules} | | False |")
    rows = data_agreement(data)
    if rows:
        print("\n| data file | chords checked | numeral root + case agree with file | "
              "unparseable labels |")
        print("|---|---|---|---|")
        for name, checked, agree, junk in rows:
            print(f"| {name} | {checked} | {agree} ({agree / max(checked, 1):.1%}) | {junk} |")


if __name__ == "__main__":
    main()
