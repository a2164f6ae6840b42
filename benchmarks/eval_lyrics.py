"""Evaluate the lyric tools: syllable counts, rhyme schemes, prosody flags and speed.

    python benchmarks/eval_lyrics.py [--json]

1. Syllables on held-out dictionary words: every 20th alphabetic CMU word (by CRC32) is
   taken out of the dictionary and its syllables estimated from the spelling by the fallback
   that serves words the dictionary lacks; exact when the estimate equals the count of any of
   its CMU pronunciations. Reported for the common ones (in the 25,000-word frequency list)
   and for a fixed 4,000 of all of them (names, abbreviations and loan words included).
2. Syllables on hand-counted lines (benchmarks/data/lyrics/stanzas.txt): public-domain
   stanzas and lines with words the dictionary lacks, each line's syllables counted by hand
   ("7/8" accepts either where a word has two common pronunciations); the full coach
   (dictionary + fallback) must give a count the annotation accepts.
3. Rhyme schemes of the annotated stanzas (by ear; X = a line rhyming with no other):
   exact string match per stanza.
4. Prosody flags on lines set to rhythms by hand (benchmarks/data/lyrics/prosody.toml):
   found = mis-set lines whose expected problem is flagged; false alarms = well-set lines
   given any flag.
5. Speed: a full report (a 4-section, 24-line lyric against a melody) in process, after
   the dictionary has loaded (median of 20 runs), and the dictionary's load time.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
import tomllib
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.lyrics import dictionary as D  # noqa: E402
from assistant.lyrics.line import analyse_line  # noqa: E402
from assistant.lyrics.phonetics import estimate, syllables_of  # noqa: E402
from assistant.lyrics.prosody import NoteSpan, fit_line  # noqa: E402
from assistant.lyrics.report import analyse, as_json, parse_sections  # noqa: E402
from assistant.lyrics.rhyme import last_word, scheme  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "lyrics"


def load_stanzas(path: Path = DATA / "stanzas.txt") -> list[dict[str, Any]]:
    stanzas: list[dict[str, Any]] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            source, _, letters = line[1:].rpartition("|")
            stanzas.append({"source": source.strip(), "scheme": letters.strip(), "lines": []})
            continue
        text, _, counts = line.rpartition("|")
        stanzas[-1]["lines"].append((text.strip(), {int(c) for c in counts.split("/")}))
    return stanzas


def held_out_words(d: D.Dictionary) -> tuple[D.Dictionary, list[str]]:
    held = [w for w in d.words if re.fullmatch(r"[a-z]+", w) and zlib.crc32(w.encode()) % 20 == 0]
    kept = {w: p for w, p in d.words.items() if w not in set(held)}
    return D.Dictionary(kept, d.rank), held


def eval_words(d: D.Dictionary) -> dict[str, Any]:
    reduced, held = held_out_words(d)
    out: dict[str, Any] = {}
    for name, words in (("common", [w for w in held if w in d.rank]), ("all", held[:4000])):
        right = 0
        misses = []
        for w in words:
            counts = {syllables_of(p) for p in d.words[w]}
            got = estimate(w, reduced).syllables
            if got in counts:
                right += 1
            elif len(misses) < 15:
                misses.append(f"{w}: {got} for {sorted(counts)}")
        out[name] = {"words": len(words), "exact": round(right / len(words), 4), "misses": misses}
    return out


def eval_lines(d: D.Dictionary, stanzas: list[dict[str, Any]]) -> dict[str, Any]:
    total = right = unknown_lines = unknown_right = 0
    misses = []
    for stanza in stanzas:
        for text, counts in stanza["lines"]:
            line = analyse_line(text, d)
            ok = line.count in counts
            total += 1
            right += ok
            if line.unknown:
                unknown_lines += 1
                unknown_right += ok
            if not ok:
                misses.append(f"{text!r}: {line.count} for {sorted(counts)}"
                              + (f" (estimated: {', '.join(w.text for w in line.unknown)})" if line.unknown else ""))
    return {"lines": total, "exact": round(right / total, 4), "lines_with_unknown_words": unknown_lines,
            "exact_with_unknown_words": round(unknown_right / max(1, unknown_lines), 4), "misses": misses}


def eval_schemes(d: D.Dictionary, stanzas: list[dict[str, Any]]) -> dict[str, Any]:
    scored = [s for s in stanzas if set(s["scheme"]) != {"X"}]
    right = 0
    misses = []
    for stanza in scored:
        got = scheme([last_word(t) for t, _ in stanza["lines"]], d)
        if got == stanza["scheme"]:
            right += 1
        else:
            misses.append(f"{stanza['source']}: {got} for {stanza['scheme']}")
    return {"stanzas": len(scored), "exact": round(right / len(scored), 4), "misses": misses}


def eval_prosody(d: D.Dictionary) -> dict[str, Any]:
    from assistant.lyrics.melody import meter_of

    cases = tomllib.loads((DATA / "prosody.toml").read_text(encoding="utf-8"))["case"]
    found = expected = alarms = well = 0
    misses = []
    for case in cases:
        bar_beats, compound = meter_of(case.get("meter", "4/4"))
        notes, at = [], float(case["start"])
        for dur in case["durations"]:
            notes.append(NoteSpan(at, float(dur)))
            at += float(dur)
        fits = fit_line(1, analyse_line(case["text"], d), notes, bar_beats, compound)
        kinds = {f.rule.split(".", 1)[1] for f in fits}
        if case["expect"]:
            for kind in case["expect"]:
                expected += 1
                found += kind in kinds
                if kind not in kinds:
                    misses.append(f"missed {kind}: {case['text']!r} start {case['start']}")
        else:
            well += 1
            if kinds:
                alarms += 1
                misses.append(f"false alarm {sorted(kinds)}: {case['text']!r} start {case['start']}: "
                              + "; ".join(f.problem for f in fits))
    return {"mis_set_problems": expected, "found": round(found / expected, 4), "well_set_lines": well,
            "false_alarms": round(alarms / well, 4), "misses": misses}


SPEED_TEXT = """[Verse 1]
I wake up early in the morning light
The coffee's cold, the kitchen's quiet now
Your jacket's hanging where you left it
I keep on talking to the empty room
The radio is playing our old song
I turn it off and then I turn it on

[Chorus]
We begin again tonight
Underneath the neon light
Hold me closer, don't let go
Driving down the road we know
Every window, every star
Tells me where you really are

[Verse 2]
The neighbours wave, I wave back like before
The garden's full of weeds you would have pulled
I found your glasses in the kitchen drawer
And all the letters that you never mailed
The city hums, the traffic lights turn green
I drive the long way round, the way you'd go

[Bridge]
And if the night won't end
I'll hold on till then
Skrrting round the bend
Calling out my friend
The morning comes again
And I begin again
"""


def eval_speed() -> dict[str, Any]:
    D.load.cache_clear()
    start = time.perf_counter()
    d = D.load()
    load_s = time.perf_counter() - start
    melody = {"": [NoteSpan(b * 0.5, 0.5) for b in range(48)]}
    sections = parse_sections(SPEED_TEXT)
    as_json(analyse(sections, melody, d=d))  # first run: builds the spelling index once
    times = []
    for _ in range(20):
        t = time.perf_counter()
        as_json(analyse(sections, melody, d=d))
        times.append(time.perf_counter() - t)
    return {"dictionary_load_s": round(load_s, 3), "report_ms_median": round(statistics.median(times) * 1000, 2),
            "report_ms_max": round(max(times) * 1000, 2), "lines": sum(len(s[1]) for s in sections)}


def main() -> int:
    d = D.load()
    stanzas = load_stanzas()
    result = {
        "held_out_words": eval_words(d),
        "hand_counted_lines": eval_lines(d, stanzas),
        "rhyme_schemes": eval_schemes(d, stanzas),
        "prosody": eval_prosody(d),
        "speed": eval_speed(),
    }
    if "--json" in sys.argv:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    w, lines, rs, pr, sp = (result[k] for k in ("held_out_words", "hand_counted_lines", "rhyme_schemes",
                                                "prosody", "speed"))
    print(f"held-out dictionary words: common {w['common']['exact']:.3f} of {w['common']['words']}, "
          f"all {w['all']['exact']:.3f} of {w['all']['words']}")
    print(f"hand-counted lines: {lines['exact']:.3f} of {lines['lines']} "
          f"({lines['exact_with_unknown_words']:.3f} of {lines['lines_with_unknown_words']} with unknown words)")
    for miss in lines["misses"]:
        print("   ", miss)
    print(f"rhyme schemes: {rs['exact']:.3f} of {rs['stanzas']} stanzas")
    for miss in rs["misses"]:
        print("   ", miss)
    print(f"prosody: found {pr['found']:.3f} of {pr['mis_set_problems']} problems, false alarms "
          f"{pr['false_alarms']:.3f} of {pr['well_set_lines']} well-set lines")
    for miss in pr["misses"]:
        print("   ", miss)
    print(f"speed: dictionary load {sp['dictionary_load_s']:.2f} s; full report of {sp['lines']} lines "
          f"{sp['report_ms_median']:.1f} ms median, {sp['report_ms_max']:.1f} ms max")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
