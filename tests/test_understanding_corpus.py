"""The understanding corpus itself is valid: kinds, contexts, intents, slot values and ids.

The corpus (tests/understanding/*.toml, format in tests/understanding/README.md) is what the
reader is trained on and judged by, so a typo in a label would silently move the score.
Ids are checked against the knowledge files; a collection whose file does not exist yet
(themes, glossary) is skipped until it does.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import tomllib
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
KNOWLEDGE = REPO / "knowledge"


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
CASES = corpus.load_cases()

MODES = {"major", "minor", "dorian", "phrygian", "lydian", "mixolydian", "locrian", "aeolian", "ionian",
         "harmonic minor", "melodic minor"}
KEY_RE = re.compile(r"^[A-G][#b]?(?: (?:" + "|".join(sorted(MODES, key=len, reverse=True)) + r"))?$")
METER_RE = re.compile(r"^\d{1,2}/(?:1|2|4|8|16)$")
TEMPO_WORDS = {"slow", "medium", "fast"}


def _ids(path: Path) -> set[str] | None:
    """Every `id` in a knowledge file (any array of tables), or None when the file is missing."""
    if not path.exists():
        return None
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("id"), str):
                found.add(node["id"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return found


def _questions() -> dict[str, set[str]]:
    with (KNOWLEDGE / "stages.toml").open("rb") as fh:
        data = tomllib.load(fh)
    return {s["stage"]: {q["id"] for q in s["questions"]} for s in data["stage"]}


def _sections() -> set[str]:
    with (KNOWLEDGE / "structures.toml").open("rb") as fh:
        data = tomllib.load(fh)
    return {sec["name"] for s in data["structure"] for sec in s["sections"]}


# slot -> (knowledge file, id prefix)
ID_SLOTS = {
    "moods": ("moods.toml", "mood."), "not_moods": ("moods.toml", "mood."),
    "genre": ("genres.toml", "genre."), "not_genre": ("genres.toml", "genre."),
    "theme": ("themes.toml", "theme."), "terms": ("glossary.toml", "term."),
    "add": ("instruments.toml", "inst."), "remove": ("instruments.toml", "inst."),
}


def _where(case) -> str:
    return f"{case.file}: {case.text!r} ({case.stage}/{case.question or '-'}/{case.options})"


def test_enough_cases():
    assert len(CASES) >= 800


def test_every_kind_has_enough_cases():
    counts = Counter(c.kind for c in CASES)
    assert set(counts) == set(corpus.KINDS), set(corpus.KINDS) ^ set(counts)
    small = {k: n for k, n in counts.items() if n < 40}
    assert not small, small


def test_held_out_fifth_has_every_kind():
    held = Counter(c.kind for c in CASES if corpus.held_out(c))
    assert set(held) == set(corpus.KINDS), set(corpus.KINDS) - set(held)
    assert 0.1 < sum(held.values()) / len(CASES) < 0.3


def test_no_duplicates():
    dup = [k for k, n in Counter(c.key for c in CASES).items() if n > 1]
    assert not dup, dup


def test_kind_matches_its_file():
    wrong = [_where(c) for c in CASES if c.file != f"{c.kind}.toml"]
    assert not wrong, wrong


def test_contexts_are_valid():
    questions = _questions()
    bad = []
    for c in CASES:
        if c.kind not in corpus.KINDS or c.stage not in corpus.STAGES or c.intent not in corpus.INTENTS:
            bad.append(_where(c) + f" kind={c.kind} intent={c.intent}")
        elif c.question and c.question not in questions.get(c.stage, set()):
            bad.append(_where(c) + f" question {c.question!r} is not a {c.stage} question")
        elif not (0 <= c.options <= 9):
            bad.append(_where(c) + " options out of range")
    assert not bad, bad


def _slot_problems(case, sections: set[str]) -> list[str]:
    problems = []
    for name, value in case.slots.items():
        kind = corpus.SLOTS.get(name)
        if kind is None:
            problems.append(f"unknown slot {name}")
            continue
        if kind == "int" and not (isinstance(value, int) and not isinstance(value, bool)):
            problems.append(f"{name} must be an integer")
        elif kind == "str" and not (isinstance(value, str) and value.strip()):
            problems.append(f"{name} must be a non-empty string")
        elif kind == "sign" and value not in ("+", "-"):
            problems.append(f"{name} must be '+' or '-'")
        elif kind == "list[str]" and not (isinstance(value, list) and value
                                          and all(isinstance(v, str) and v.strip() for v in value)):
            problems.append(f"{name} must be a non-empty list of strings")
        elif kind == "list[int]" and not (isinstance(value, list) and value
                                          and all(isinstance(v, int) for v in value)):
            problems.append(f"{name} must be a non-empty list of integers")
    s = case.slots
    if "number" in s and isinstance(s["number"], int) and not (s["number"] >= 1 or s["number"] == -1):
        problems.append("number is 1-based (or -1 for the last)")
    if "number" in s and case.options and isinstance(s["number"], int) and s["number"] > case.options:
        problems.append("number is larger than the options on screen")
    if "stage" in s and s["stage"] not in corpus.STAGES:
        problems.append(f"stage {s['stage']!r}")
    if "section" in s and s["section"] not in sections:
        problems.append(f"section {s['section']!r} is not a section name in structures.toml")
    if "key" in s and isinstance(s["key"], str) and not KEY_RE.match(s["key"]):
        problems.append(f"key {s['key']!r} is not like 'A minor' or 'D'")
    for name in ("mode", "not_mode"):
        if name in s and s[name] not in MODES:
            problems.append(f"{name} {s[name]!r}")
    if "meter" in s and isinstance(s["meter"], str) and not METER_RE.match(s["meter"]):
        problems.append(f"meter {s['meter']!r}")
    if "tempo" in s and isinstance(s["tempo"], int) and not 20 <= s["tempo"] <= 300:
        problems.append("tempo out of 20-300 bpm")
    if "tempo_word" in s and s["tempo_word"] not in TEMPO_WORDS:
        problems.append(f"tempo_word {s['tempo_word']!r} (one of {sorted(TEMPO_WORDS)})")
    if "length_s" in s and isinstance(s["length_s"], int) and not 5 <= s["length_s"] <= 1800:
        problems.append("length_s out of 5-1800 s")
    if "transpose" in s and isinstance(s["transpose"], int) and not (-12 <= s["transpose"] <= 12
                                                                     and s["transpose"] != 0):
        problems.append("transpose is a non-zero number of semitones within an octave")
    return problems


def test_slot_values_are_valid():
    sections = _sections()
    bad = []
    for c in CASES:
        bad += [f"{_where(c)}: {p}" for p in _slot_problems(c, sections)]
    assert not bad, bad


@pytest.mark.parametrize("slot", sorted(ID_SLOTS))
def test_ids_exist_in_the_knowledge(slot):
    filename, prefix = ID_SLOTS[slot]
    known = _ids(KNOWLEDGE / filename)
    assert known, f"knowledge/{filename} is missing or empty"
    bad = []
    for c in CASES:
        if slot not in c.slots:
            continue
        values = c.slots[slot] if isinstance(c.slots[slot], list) else [c.slots[slot]]
        bad += [f"{_where(c)}: {v}" for v in values if not v.startswith(prefix) or v not in known]
    assert not bad, bad


# --- the comparison the evaluation uses (benchmarks/eval_understanding.py) -------------------

def _load_eval_module():
    name = "benchmarks_eval_understanding"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / "eval_understanding.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _case(intent: str, **slots):
    return corpus.Case(text="t", kind="mixed", stage="composition", question="", options=0,
                       intent=intent, slots=slots)


def _command(intent: str, **attrs):
    from types import SimpleNamespace
    return SimpleNamespace(intent=intent, **attrs)


@pytest.mark.parametrize(("case", "command", "passes"), [
    (_case("yes"), _command("yes"), True),
    (_case("yes"), _command("no"), False),
    (_case("pick", number=2), _command("pick", number=2), True),
    (_case("pick", number=2), _command("pick"), False),
    (_case("pick", number=-1), _command("pick", number=-1), True),
    # moods and references: the expected ones must be among those read
    (_case("answer", moods=["mood.sad"]), _command("answer", moods=("mood.sad", "mood.calm")), True),
    (_case("answer", moods=["mood.sad", "mood.calm"]), _command("answer", moods=["mood.sad"]), False),
    (_case("answer", references=["kendrick"]), _command("answer", references=["Kendrick Lamar"]), True),
    (_case("answer", references=["the weeknd"]), _command("answer", references=["The Weeknd"]), True),
    (_case("answer", references=["adele"]), _command("answer", references=["Coldplay"]), False),
    # other lists: the same set
    (_case("feedback", not_moods=["mood.sad"]), _command("feedback", not_moods=["mood.sad", "mood.dark"]), False),
    (_case("instruments", add=["inst.piano", "inst.drums"]),
     _command("instruments", add=("inst.drums", "inst.piano"), remove=()), True),
    (_case("instruments", remove=["inst.drums"]), _command("instruments", add=["inst.drums"], remove=[]), False),
    (_case("tick", numbers=[1, 3]), _command("tick", numbers=(3, 1)), True),
    # deltas by sign
    (_case("feedback", tempo_delta="-"), _command("feedback", tempo_delta=-8.5), True),
    (_case("feedback", tempo_delta="-"), _command("feedback", tempo_delta=10.0), False),
    (_case("feedback", energy_delta="+"), _command("feedback", energy_delta=1), True),
    (_case("feedback", energy_delta="+"), _command("feedback", energy_delta=0), False),
    # keys: tonic and mode, "" when no mode was said
    (_case("change", key="A minor"), _command("change", key=("A", "minor")), True),
    (_case("change", key="A minor"), _command("change", key=("A", "")), False),
    (_case("change", key="D"), _command("change", key=("D", "")), True),
    (_case("change", key="D"), _command("change", key=("D", "major")), False),
    (_case("change", key="Eb major"), _command("change", key=("E♭", "major")), True),
    (_case("change", key="F# minor"), _command("change", key=("f#", "aeolian")), True),
    # chords: in order; letter names ignore the case of the root, numerals keep theirs
    (_case("chords", chords=["Am", "F", "C", "G"]), _command("chords", chords=["am", "f", "c", "g"]), True),
    (_case("chords", chords=["Am", "F", "C", "G"]), _command("chords", chords=["F", "Am", "C", "G"]), False),
    (_case("chords", chords=["i", "bVI", "bIII", "bVII"]),
     _command("chords", chords=["i", "bVI", "bIII", "bVII"]), True),
    (_case("chords", chords=["i", "iv", "v"]), _command("chords", chords=["I", "IV", "V"]), False),
    # numbers
    (_case("change", tempo=90), _command("change", tempo=90.0), True),
    (_case("change", tempo=90), _command("change", tempo=9.0), False),
    (_case("change", length_s=180), _command("change", length_s=180.0), True),
    (_case("change", transpose=-2), _command("change", transpose=-2), True),
    # words, titles, paths
    (_case("answer", tempo_word="slow"), _command("answer", tempo_word="very slow"), True),
    (_case("answer", tempo_word="slow"), _command("answer", tempo_word="fast"), False),
    (_case("change", title="Night Drive"), _command("change", title="night drive"), True),
    (_case("export", path="~/songs"), _command("export", path="~/songs/"), True),
    (_case("export", path="~/songs"), _command("export", path=str(Path("~/songs").expanduser())), True),
    (_case("arrange", section="pre-chorus"), _command("arrange", section="pre chorus"), True),
    (_case("goto", stage="arrangement"), _command("goto", stage="arrangement"), True),
    (_case("change", meter="6/8"), _command("change", meter="3/4"), False),
])
def test_case_passes(case, command, passes):
    ok, why = _load_eval_module().case_passes(case, command)
    assert ok is passes, why
    assert bool(why) is not passes
