"""Section-to-section progressions: what a chorus (bridge, pre-chorus...) plays after the verse,
learned from how the McGill Billboard songs move between their labelled sections.

`knowledge/section_progressions.json` (built by `tools/build_next_chord.py`) holds, per mode
family: how often each section kind follows another, the first chord of a section given the
last chord of the one before, and the most common openings (first four chord changes) of
each section kind. `suggest_section` ranks those openings as the progression of a new
section after the user's verse: how common the opening is for that kind of section, how
often real songs move from the verse's last chord to its first chord, and never the
verse's own progression (a chorus that only repeats the verse gives the ear nothing new).

Pure Python, no numpy: the Composition and Arrangement stages call it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant import paths
from assistant.composition.chords import MINOR_FAMILY, ChordClass, class_numeral, from_numeral
from assistant.errors import BadInput, KnowledgeError
from assistant.kb.files import read_json

MODEL_FILE = "section_progressions.json"
FORMAT = 1
OPENING = 4
"""Chord changes that make a section's opening (one per bar in the demo)."""
TOP_OPENINGS = 40
KINDS_SUGGESTED = ("chorus", "bridge", "pre-chorus", "verse", "intro", "outro", "solo")
RULE_FIRST = "section.first-chord"
RULE_OPENING = "section.opening"
RULE_CONTRAST = "section.contrast"
RULES = (
    {"id": RULE_FIRST,
     "why": "Real songs move from the last chord of one section to the first chord of the "
            "next in a few favourite ways (counted per pair of section kinds).",
     "source": "McGill Billboard annotations (section labels), counted by "
               "tools/build_next_chord.py"},
    {"id": RULE_OPENING,
     "why": "The chord changes that open choruses, bridges and verses most often in real "
            "songs.",
     "source": "McGill Billboard annotations (section labels), counted by "
               "tools/build_next_chord.py"},
    {"id": RULE_CONTRAST,
     "why": "A new section that only repeats the verse's chords gives the ear nothing new: "
            "most choruses and nearly all bridges change the progression.",
     "source": "McGill Billboard annotations: share of songs whose chorus/bridge opening "
               "equals their verse opening"},
)


# ---------------------------------------------------------------------- counting (build time)


def _family(minor: bool) -> str:
    return "minor" if minor else "major"


def count_sections(songs: Iterable[Any]) -> dict[str, Any]:
    """Tables from songs with `parts` (corpus.SongChords from the Billboard folder)."""
    follows: dict[str, dict[str, dict[str, int]]] = {}
    first: dict[str, dict[str, dict[str, dict[str, int]]]] = {}
    openings: dict[str, dict[str, dict[str, int]]] = {}
    same: dict[str, list[int]] = {}  # kind -> [songs where it equals the verse, songs]
    shared: dict[str, list[int]] = {}  # kind -> [opening chords also in the verse, chords]
    for song in songs:
        parts = [(k, c) for k, c in getattr(song, "parts", []) if k and c]
        if not parts:
            continue
        fam = _family(bool(song.minor and song.minor[0]))
        verse_opening = next((tuple(c[:OPENING]) for k, c in parts if k == "verse"), None)
        seen: set[str] = set()
        for i, (kind, chords) in enumerate(parts):
            text = " ".join(class_numeral(c) for c in chords[:OPENING])
            row = openings.setdefault(fam, {}).setdefault(kind, {})
            row[text] = row.get(text, 0) + 1
            if kind not in seen and kind != "verse" and verse_opening is not None:
                pair = same.setdefault(kind, [0, 0])
                pair[0] += tuple(chords[:OPENING]) == verse_opening
                pair[1] += 1
                vocab = shared.setdefault(kind, [0, 0])
                distinct = set(chords[:OPENING])
                vocab[0] += len(distinct & set(verse_opening))
                vocab[1] += len(distinct)
            seen.add(kind)
            if i == 0:
                continue
            before, prev = parts[i - 1]
            if before == kind:
                continue  # verse 1 -> verse 2 is one section going on, not a move
            f = follows.setdefault(fam, {}).setdefault(before, {})
            f[kind] = f.get(kind, 0) + 1
            pair_key = f"{before}>{kind}"
            for context in (class_numeral(prev[-1]), "*"):
                cell = first.setdefault(fam, {}).setdefault(pair_key, {}).setdefault(context, {})
                target = class_numeral(chords[0])
                cell[target] = cell.get(target, 0) + 1
    kept = {
        fam: {kind: dict(sorted(((p, n) for p, n in row.items() if n >= 2),
                                key=lambda item: (-item[1], item[0]))[:TOP_OPENINGS])
              for kind, row in by_kind.items()}
        for fam, by_kind in openings.items()
    }
    return {"follows": follows, "first_chord": first, "openings": kept,
            "same_as_verse": {k: {"same": v[0], "songs": v[1]} for k, v in same.items()},
            "verse_chords": {k: {"shared": v[0], "chords": v[1]} for k, v in shared.items()}}


def section_document(tables: dict[str, Any], songs: int, command: str,
                     meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "about": ("Section-to-section statistics for suggesting a chorus or bridge after the "
                  "verse: which section kinds follow which, the first chord of a section "
                  "given the last chord of the one before (numerals relative to the tonic, "
                  "'*' = any), and the most common openings (first four chord changes) per "
                  "section kind. Derived counts only; the songs are not included."),
        "built_by": command,
        "sources": [{"corpus": "billboard", "songs": songs,
                     "source": meta.get("source", "McGill Billboard annotations"),
                     "licence": meta.get("licence", "CC0")}],
        "kinds": ("Billboard function labels folded into: intro, verse, pre-chorus, chorus, "
                  "bridge, solo (solo, instrumental, interlude), outro (outro, coda, fadeout), "
                  "other (transitions)"),
        "rules": list(RULES),
        **tables,
    }


# ---------------------------------------------------------------------- the runtime model


@dataclass(frozen=True)
class SectionSuggestion:
    kind: str
    numerals: tuple[str, ...]
    score: float
    why: str
    rule_ids: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"section": self.kind, "progression": list(self.numerals),
                "why": self.why, "rule_ids": list(self.rule_ids)}


class SectionModel:
    def __init__(self, data: dict[str, Any]) -> None:
        if data.get("format") != FORMAT:
            raise KnowledgeError(MODEL_FILE, None, "format",
                                 f"expected format {FORMAT}, found {data.get('format')!r}: "
                                 "rebuild it with tools/build_next_chord.py")
        self.follows: dict[str, dict[str, dict[str, int]]] = data.get("follows", {})
        self.first: dict[str, dict[str, dict[str, dict[str, int]]]] = data.get("first_chord", {})
        self.openings: dict[str, dict[str, dict[str, int]]] = data.get("openings", {})
        self.same: dict[str, dict[str, int]] = data.get("same_as_verse", {})
        self.shared: dict[str, dict[str, int]] = data.get("verse_chords", {})

    def first_chord_probs(self, fam: str, before: str, kind: str,
                          last: ChordClass | None) -> dict[str, float]:
        """P(first numeral of `kind` | last chord of `before`), backed off to any last chord
        (add-half smoothing over the numerals seen)."""
        table = self.first.get(fam, {}).get(f"{before}>{kind}", {})
        general = table.get("*", {})
        specific = table.get(class_numeral(last), {}) if last is not None else {}
        total_g = sum(general.values()) or 1
        total_s = sum(specific.values())
        out = {}
        for numeral in set(general) | set(specific):
            prior = (general.get(numeral, 0) + 0.5) / (total_g + 0.5 * len(general))
            out[numeral] = (specific.get(numeral, 0) + 2.0 * prior) / (total_s + 2.0)
        return out

    def first_chord_count(self, fam: str, before: str, kind: str,
                          last: ChordClass, first: str) -> tuple[int, int]:
        cell = self.first.get(fam, {}).get(f"{before}>{kind}", {}).get(class_numeral(last), {})
        return cell.get(first, 0), sum(cell.values())

    def suggest(self, verse: Sequence[ChordClass], kind: str, minor: bool,
                before: str = "verse", top: int = 3) -> list[SectionSuggestion]:
        """Openings for a `kind` section after a `before` section playing `verse`."""
        fam = _family(minor)
        row = self.openings.get(fam, {}).get(kind) or self.openings.get("major", {}).get(kind, {})
        if not row:
            raise BadInput(f"no section statistics for {kind!r}: use one of "
                           f"{', '.join(KINDS_SUGGESTED)}")
        last = verse[-1] if verse else None
        firsts = self.first_chord_probs(fam, before, kind, last)
        total = sum(row.values())
        own = tuple(class_numeral(c) for c in verse[:OPENING])
        own_set = set(_rotations(_cycle(own)))
        vocab = self.shared.get(kind, {})
        p_shared = min(max((vocab.get("shared", 0) + 1) / (vocab.get("chords", 0) + 2), 0.05),
                       0.95)
        scored = []
        for text, count in row.items():
            numerals = tuple(text.split())
            if _cycle(numerals) in own_set or len(numerals) < 2:
                continue  # the verse again, or a section on one chord
            if last is not None and numerals[0] == class_numeral(last):
                p_first = firsts.get(numerals[0], 0.0) * 0.5
            else:
                p_first = firsts.get(numerals[0], 0.0)
            score = math.log(count / total) + math.log(max(p_first, 1e-4))
            # real choruses mostly reuse the verse's chords: each new one costs
            inside = sum(1 for n in set(numerals) if n in set(own))
            score += inside * math.log(p_shared) + (len(set(numerals)) - inside) * math.log(
                1 - p_shared)
            scored.append((score, count, numerals))
        scored.sort(key=lambda item: (-item[0], item[2]))
        out = []
        for score, count, numerals in scored[:top]:
            why, ids = self._why(fam, before, kind, last, numerals, count)
            out.append(SectionSuggestion(kind, numerals, round(score, 3), why, ids))
        return out

    def _why(self, fam: str, before: str, kind: str, last: ChordClass | None,
             numerals: tuple[str, ...], count: int) -> tuple[str, tuple[str, ...]]:
        shown = "–".join(numerals)
        reasons = [f"{shown} opens {count} {_plural(kind)} in the Billboard songs"]
        ids = [RULE_OPENING]
        if last is not None:
            hits, total = self.first_chord_count(fam, before, kind, last, numerals[0])
            if total and hits:
                reasons.append(f"after a {before} ending on {class_numeral(last)}, "
                               f"{hits / total:.0%} of {_plural(kind)} start on {numerals[0]}")
                ids.append(RULE_FIRST)
        stats = self.same.get(kind)
        if stats and stats.get("songs"):
            differ = 1 - stats["same"] / stats["songs"]
            reasons.append(f"it changes the verse's chords, as {differ:.0%} of "
                           f"{_plural(kind)} do")
            ids.append(RULE_CONTRAST)
        return "; ".join(reasons), tuple(ids)


def _plural(kind: str) -> str:
    return kind + ("es" if kind.endswith("s") else "s")


def _cycle(numerals: tuple[str, ...]) -> tuple[str, ...]:
    """The shortest loop the chords repeat: i–IV–i–IV is the loop i–IV (so a verse on IV–i
    and a chorus on i–IV–i–IV are the same chords, turned)."""
    for size in range(1, len(numerals)):
        if len(numerals) % size == 0 and numerals == numerals[:size] * (len(numerals) // size):
            return numerals[:size]
    return numerals


def _rotations(numerals: tuple[str, ...]) -> list[tuple[str, ...]]:
    return [numerals[i:] + numerals[:i] for i in range(len(numerals))] or [()]


def default_path() -> Path:
    return paths.shipped_knowledge_dir() / MODEL_FILE


@lru_cache(maxsize=2)
def _load(path_text: str) -> SectionModel:
    path = Path(path_text)
    data = read_json(path)
    if not isinstance(data, dict):
        raise KnowledgeError(path.name, None, None, "not a section model")
    return SectionModel(data)


def load_sections(path: Path | None = None) -> SectionModel:
    return _load(str(path or default_path()))


def section_kind_of(name: str) -> str | None:
    """A section name on the Song sheet ("Chorus 2", "pre-chorus", "B") -> a kind with
    statistics, or None."""
    text = name.strip().lower().rstrip("0123456789 ").strip()
    aliases = {"hook": "chorus", "refrain": "chorus", "prechorus": "pre-chorus",
               "pre chorus": "pre-chorus", "build": "pre-chorus", "middle 8": "bridge",
               "middle eight": "bridge", "breakdown": "bridge", "interlude": "solo",
               "instrumental": "solo", "a": "verse", "b": "chorus", "coda": "outro"}
    text = aliases.get(text, text)
    return text if text in KINDS_SUGGESTED else None


def suggest_section(verse: Sequence[str], kind: str, mode: str, before: str = "verse",
                    top: int = 3, model: SectionModel | None = None) -> list[SectionSuggestion]:
    """Ranked openings for a `kind` section after `verse` (numerals, as on the Song sheet)."""
    classes = []
    for numeral in verse:
        try:
            classes.append(from_numeral(numeral))
        except BadInput:
            continue
    collapsed = [c for i, c in enumerate(classes) if i == 0 or c != classes[i - 1]]
    return (model or load_sections()).suggest(collapsed, kind, mode in MINOR_FAMILY,
                                              before=before, top=top)


PLANNED = ("pre-chorus", "chorus", "bridge")
"""Section kinds that get their own progression when a structure is chosen."""


def plan_sections(sections: list[dict[str, Any]], verse: Sequence[str], mode: str,
                  chosen: dict[str, list[str]] | None = None,
                  model: SectionModel | None = None) -> list[tuple[str, SectionSuggestion]]:
    """Give every pre-chorus, chorus and bridge of an arrangement patch (dicts with "name")
    a progression of its own that follows the section before it; verses keep the song's
    progression. `chosen` holds progressions the user already picked per kind. Returns
    (kind, suggestion) for each kind filled, in order, for the why."""
    if not verse:
        return []
    own: dict[str, list[str]] = {"verse": list(verse), **(chosen or {})}
    made: list[tuple[str, SectionSuggestion]] = []
    previous = "verse"
    for section in sections:
        kind = section_kind_of(str(section.get("name", "")))
        if kind in PLANNED and kind not in own:
            before = previous if previous in own else "verse"
            found = suggest_section(own[before], kind, mode, before=before, top=1, model=model)
            if found:
                own[kind] = list(found[0].numerals)
                made.append((kind, found[0]))
        if kind in own and kind != "verse" and not section.get("progression"):
            section["progression"] = list(own[kind])
        if kind:
            previous = kind
    return made
