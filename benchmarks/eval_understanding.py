"""How well the coach understands what beginners type: the labelled corpus, per kind.

The corpus is tests/understanding/*.toml (format and labels: tests/understanding/README.md):
sentences with the context they were typed in (stage, open question, options on screen) and
the command a sensible human coach would read. By default only the held-out fifth is scored
(`crc32(text|stage|question) % 5 == 0`, never used for training); `--all` scores every case.

A case passes when the reader's intent is the expected one and every slot the case gives
matches (`case_passes`): lists as sets, except `moods` and `references`, where the expected
ones must be among those read, and `chords`, compared in order; `tempo_delta` and
`energy_delta` by sign; `key` by tonic and mode ("" when the mode was not said); `tempo_word`
by its last word ("very slow" is slow); titles and references ignoring case and punctuation.

Run: `.venv/bin/python benchmarks/eval_understanding.py [--all] [--json] [--failures]
[--kind KIND] [--reader MODULE]` (the reader module must offer `read(text, Context)` and
`Context(stage, question, options)`; default `assistant.understanding`).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
import os
import re
import sys
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _load_corpus_module():
    name = "tests_understanding_corpus"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "understanding" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus_module()
Case = corpus.Case

# --- comparing what was read with what was expected -----------------------------------------

_MODE_ALIASES = {"maj": "major", "ionian": "major", "min": "minor", "m": "minor", "aeolian": "minor"}
_ACCIDENTALS = str.maketrans({"♯": "#", "♭": "b"})
_ROMAN = re.compile(r"^[b#]?(?:vii|iii|vi|iv|ii|v|i)(?:[^a-z].*)?$", re.IGNORECASE)


def _text(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value).translate(_ACCIDENTALS)).strip().strip("\"'“”‘’").strip()


def _mode(value: Any) -> str:
    mode = _text(value or "").lower()
    return _MODE_ALIASES.get(mode, mode)


def _tonic(value: Any) -> str:
    t = _text(value or "").replace(" sharp", "#").replace(" flat", "b").replace("-sharp", "#").replace("-flat", "b")
    return t[:1].upper() + t[1:].lower() if t else ""


def _key(value: Any) -> tuple[str, str] | None:
    """("A", "minor") from a (tonic, mode) pair, an object with .tonic/.mode, or "A minor"."""
    if value is None:
        return None
    if isinstance(value, (tuple, list)) and value:
        tonic, mode = value[0], (value[1] if len(value) > 1 else "")
        return _tonic(tonic), _mode(mode)
    if hasattr(value, "tonic"):
        return _tonic(value.tonic), _mode(getattr(value, "mode", ""))
    tonic, _, mode = _text(value).partition(" ")
    return _tonic(tonic), _mode(mode)


def _slug(value: Any) -> str:
    return re.sub(r"[\s_]+", "-", _text(value).lower())


def _name(value: Any) -> str:
    """A reference or title for comparison: case, punctuation and spacing ignored."""
    return " ".join(re.findall(r"[0-9a-z]+", _text(value).lower().replace("'", "").replace("’", "")))


def _chord(value: Any) -> str:
    symbol = _text(value).replace(" ", "")
    if _ROMAN.match(symbol) and not re.match(r"^[A-Ga-g]", symbol.lstrip("b#")):
        return symbol  # Roman numerals: the case is the chord quality
    if symbol[:1] in "abcdefg":
        symbol = symbol[:1].upper() + symbol[1:]
    return symbol


def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (str, int, float)):
        return [value]
    return list(value)


def _sign(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()[:1] if value.strip()[:1] in "+-" else ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    return "+" if number > 0 else "-" if number < 0 else "0"


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _slot_matches(name: str, expected: Any, got: Any) -> bool:
    if got is None or got == "" or (isinstance(got, (list, tuple, set, frozenset)) and not got and expected):
        return False
    if name in ("number", "transpose"):
        number = _number(got)
        return number is not None and number == expected
    if name == "tempo":
        number = _number(got)
        return number is not None and abs(number - expected) <= 0.5
    if name == "length_s":
        number = _number(got)
        return number is not None and abs(number - expected) <= 1
    if name in ("tempo_delta", "energy_delta"):
        return _sign(got) == expected
    if name == "key":
        return _key(got) == _key(expected)
    if name in ("mode", "not_mode"):
        return _mode(got) == _mode(expected)
    if name == "meter":
        return _text(got).replace(" ", "") == expected
    if name == "numbers":
        return {int(n) for n in _as_list(got) if _number(n) is not None} == set(expected)
    if name == "chords":
        return [_chord(c) for c in _as_list(got)] == [_chord(c) for c in expected]
    if name == "moods":
        return set(expected) <= {_text(m) for m in _as_list(got)}
    if name == "references":
        read = [_name(r) for r in _as_list(got)]
        # an expected name matches a reference read as it, or one that contains it as whole
        # words ("kendrick" matches "Kendrick Lamar", "adele" matches "Someone Like You by Adele")
        return all(any(e == r or f" {e} " in f" {r} " for r in read) for e in map(_name, expected))
    if name in ("not_moods", "add", "remove", "terms", "sources"):
        return {_text(v) for v in _as_list(got)} == {_text(v) for v in expected}
    if name in ("title",):
        return _name(got) == _name(expected)
    if name == "path":
        def norm(p: Any) -> str:
            return os.path.normpath(os.path.expanduser(_text(p))).rstrip("/")
        return norm(got) == norm(expected)
    if name == "tempo_word":
        # "very slow" is still slow: the expected word must be the word the reading ends on
        words = _text(got).lower().split()
        return bool(words) and words[-1] == expected
    if name == "section":
        return _slug(got) == _slug(expected)
    # stage, genre, not_genre, theme, tempo_word and anything else: one id or word
    return _text(got).lower() == _text(expected).lower()


def _show(value: Any) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        return "[" + ", ".join(map(str, value)) + "]"
    return repr(value)


def case_passes(case: Case, command: Any) -> tuple[bool, str]:
    """Whether the command read from `case.text` is the expected one, and why not."""
    problems = []
    intent = getattr(command, "intent", None)
    if intent != case.intent:
        problems.append(f"intent {case.intent} (read {intent})")
    for name, expected in case.slots.items():
        got = getattr(command, name, None)
        if not _slot_matches(name, expected, got):
            problems.append(f"{name} {_show(expected)} (read {_show(got)})")
    return (not problems, "; ".join(problems))


# --- running the reader over the corpus ------------------------------------------------------

def _reader(module_name: str):
    module = importlib.import_module(module_name)
    return module.read, module.Context


def _summary(command: Any) -> str:
    fields = {name: getattr(command, name, None) for name in corpus.SLOTS}
    shown = {k: v for k, v in fields.items() if v not in (None, "", [], (), set(), frozenset(), 0)}
    return f"{getattr(command, 'intent', None)} " + " ".join(f"{k}={_show(v)}" for k, v in shown.items())


def evaluate(cases: list[Case], read, Context) -> dict[str, Any]:
    per_kind: dict[str, Counter] = defaultdict(Counter)
    failures = []
    times = []
    for case in cases:
        start = time.perf_counter()
        try:
            command = read(case.text, Context(stage=case.stage, question=case.question, options=case.options))
            ok, why = case_passes(case, command)
            read_as = _summary(command)
        except Exception as exc:  # a crash is a failure of that case, not of the run
            ok, why, read_as = False, f"raised {type(exc).__name__}: {exc}", traceback.format_exc(limit=3)
        times.append(time.perf_counter() - start)
        per_kind[case.kind]["cases"] += 1
        per_kind[case.kind]["passed"] += ok
        if not ok:
            failures.append({"text": case.text, "kind": case.kind, "stage": case.stage,
                             "question": case.question, "options": case.options, "file": case.file,
                             "expected": {"intent": case.intent, **case.slots}, "problems": why,
                             "read": read_as})
    total = sum(c["cases"] for c in per_kind.values())
    passed = sum(c["passed"] for c in per_kind.values())
    times.sort()
    kinds = {kind: {"cases": per_kind[kind]["cases"], "passed": per_kind[kind]["passed"],
                    "accuracy": per_kind[kind]["passed"] / per_kind[kind]["cases"]}
             for kind in corpus.KINDS if per_kind[kind]["cases"]}
    return {
        "cases": total, "passed": passed, "accuracy": passed / total if total else 0.0,
        "kinds": kinds, "failures": failures,
        "read_ms": {"p50": 1000 * times[len(times) // 2] if times else 0.0,
                    "p95": 1000 * times[min(len(times) - 1, int(len(times) * 0.95))] if times else 0.0},
    }


def markdown(result: dict[str, Any], scope: str) -> str:
    lines = [f"Understanding corpus, {scope}: {result['passed']}/{result['cases']} cases understood.", "",
             "| kind | cases | passed | accuracy |", "|---|---:|---:|---:|"]
    for kind, row in result["kinds"].items():
        lines.append(f"| {kind} | {row['cases']} | {row['passed']} | {row['accuracy']:.2f} |")
    lines.append(f"| **overall** | **{result['cases']}** | **{result['passed']}** | **{result['accuracy']:.2f}** |")
    lines += ["", f"Reading time per sentence: p50 {result['read_ms']['p50']:.2f} ms, "
                  f"p95 {result['read_ms']['p95']:.2f} ms."]
    return "\n".join(lines)


def failures_text(failures: list[dict[str, Any]]) -> str:
    confusions = Counter((f["expected"]["intent"], f["read"].split(" ", 1)[0])
                         for f in failures if f["problems"].startswith("intent"))
    lines = ["\n## Intents confused (expected → read)"]
    lines += [f"- {want} → {got}: {n}" for (want, got), n in confusions.most_common()] or ["- none"]
    lines.append(f"\n## Failures ({len(failures)})")
    for f in failures:
        expected = " ".join(f"{k}={_show(v)}" for k, v in f["expected"].items())
        lines.append(f"- [{f['kind']}] {f['text']!r} at {f['stage']}/{f['question'] or '-'}/{f['options']}\n"
                     f"    expected: {expected}\n    read:     {f['read'].strip()}\n    wrong:    {f['problems']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--all", action="store_true", help="score every case, not only the held-out fifth")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--failures", action="store_true", help="list the cases not understood")
    parser.add_argument("--kind", action="append", choices=corpus.KINDS, help="only these kinds")
    parser.add_argument("--reader", default="assistant.understanding", help="module with read() and Context")
    args = parser.parse_args(argv)

    cases = corpus.load_cases()
    if not args.all:
        cases = [c for c in cases if corpus.held_out(c)]
    if args.kind:
        cases = [c for c in cases if c.kind in args.kind]
    read, Context = _reader(args.reader)
    result = evaluate(cases, read, Context)
    scope = "all cases" if args.all else "held-out fifth"
    if args.json:
        out = dict(result, scope=scope)
        if not args.failures:
            out.pop("failures")
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        print(markdown(result, scope))
        if args.failures:
            print(failures_text(result["failures"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
