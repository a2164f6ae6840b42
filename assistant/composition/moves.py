"""Hand-written theory rules for chord moves: the `[[move]]` collection of the knowledge base.

A *move* (`assistant.kb.schema.ChordMove`, shipped in `knowledge/chord_moves.toml`) says that
after some chords (`after`, oldest first) the chord `to` is a good next step, with a weight
for the rule prior and a `why` the user sees ("V → vi: deceptive cadence..."). A move with an
empty `after` explains the colour of a chord on its own ("bVII: borrowed from the parallel
minor") and carries no weight. The moves load with the rest of the knowledge base
(`assistant.kb.loader.knowledge()`, validated), so the user's own knowledge files can override
a move by id or add new ones. Validating the whole knowledge base costs a start-up ~0.1 s
(pydantic and ~2,000 entries), so the validated moves are also kept as plain data in the cache
folder, stamped like the knowledge pickle: any knowledge file added, removed or edited (or the
code that checks them changed) and they are taken from a fresh validated load again.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from assistant.composition.chords import (
    ALL_CLASSES,
    MINOR_FAMILY,
    ChordClass,
    from_numeral,
)

if TYPE_CHECKING:
    from pathlib import Path

    from assistant.kb.loader import Knowledge

MAJOR_FAMILY = frozenset({"major", "lydian", "mixolydian"})


def norm_genre(text: str) -> str:
    """Genre words compare like the knowledge base compares them: case, '-' and '_' ignored."""
    return " ".join(text.lower().replace("_", " ").replace("-", " ").split())


@dataclass(frozen=True)
class MoveRule:
    """A `[[move]]` entry as the knowledge loader validated it (`kb.schema.ChordMove`), as
    plain data: the fields the model and the explanations read."""

    id: str
    why: str
    after: tuple[str, ...]
    to: str
    modes: tuple[str, ...]
    weight: float
    genres: tuple[str, ...] = ()


@dataclass(frozen=True)
class Move:
    """A validated rule with its numerals resolved to chord classes."""

    rule: MoveRule
    after: tuple[ChordClass, ...]
    to: ChordClass
    genres: frozenset[str] = frozenset()
    """The rule's genre names, normalised (empty: every genre)."""

    def applies(self, mode: str, genre: str | None) -> bool:
        """`genre`: a genre name as the knowledge base spells it (or None)."""
        if self.genres and (genre is None or norm_genre(genre) not in self.genres):
            return False
        for allowed in self.rule.modes:
            if allowed == mode:
                return True
            if allowed == "major" and mode in MAJOR_FAMILY:
                return True
            if allowed == "minor" and mode in MINOR_FAMILY:
                return True
        return False

    def specificity(self, mode: str, genre: str | None) -> tuple[int, int, int, float]:
        """Longer context, exact mode and genre first: the most specific rule explains."""
        return (len(self.after), int(mode in self.rule.modes), int(bool(self.rule.genres)),
                self.rule.weight)


def move_of(rule: MoveRule) -> Move:
    """Resolve a rule's numerals (the knowledge loader has checked they parse)."""
    return Move(rule, tuple(from_numeral(n) for n in rule.after), from_numeral(rule.to),
                frozenset(norm_genre(g) for g in rule.genres))


def rules_of(kb: Knowledge) -> list[MoveRule]:
    """The `[[move]]` entries of a loaded knowledge base, in load order."""
    from assistant.kb.schema import ChordMove

    return [MoveRule(e.id, e.why, tuple(e.after), e.to, tuple(e.modes), float(e.weight),
                     tuple(e.genres))
            for e in kb.entries.get("move", {}).values() if isinstance(e, ChordMove)]


_BY_KB: WeakKeyDictionary[Knowledge, tuple[Move, ...]] = WeakKeyDictionary()
_BY_STAMP: dict[str, tuple[Move, ...]] = {}


def load_moves(kb: Knowledge | None = None) -> tuple[Move, ...]:
    """The moves of the knowledge base (default: the shipped files plus the user's own, later
    ids winning, as `knowledge()` loads them), resolved once per loaded knowledge base."""
    if kb is None:
        return _default_moves()
    cached = _BY_KB.get(kb)
    if cached is None:
        cached = tuple(move_of(rule) for rule in rules_of(kb))
        _BY_KB[kb] = cached
    return cached


SLICE_FORMAT = 1


def _default_moves() -> tuple[Move, ...]:
    """The default knowledge base's moves: from the cached slice while it matches every
    knowledge file and the code that validates them, else from `knowledge()` (validated)."""
    import marshal

    from assistant.kb.files import (
        default_dirs,
        knowledge_files,
        knowledge_stamp,
        read_cache,
        write_cache,
    )

    stamp = f"coach-moves {SLICE_FORMAT} {knowledge_stamp(knowledge_files(default_dirs()))}"
    if stamp not in _BY_STAMP:
        rules = read_cache(_slice_path(), stamp,
                           lambda blob: [MoveRule(*row) for row in marshal.loads(blob)])
        if rules is None:
            from assistant.kb.loader import knowledge

            rules = rules_of(knowledge())
            write_cache(_slice_path(), stamp, marshal.dumps([astuple(r) for r in rules]))
        _BY_STAMP.clear()  # one knowledge base at a time: a changed file replaces it
        _BY_STAMP[stamp] = tuple(move_of(rule) for rule in rules)
    return _BY_STAMP[stamp]


def _slice_path() -> Path:
    from assistant import paths

    return paths.cache_dir() / "chord_moves.marshal"


def _diatonic_classes(mode: str) -> frozenset[ChordClass]:
    from assistant import theory

    return frozenset(from_numeral(n) for n in theory.diatonic_numerals(f"C {mode}"))


_DIATONIC: dict[str, frozenset[ChordClass]] = {}

OUTSIDE_KEY = 0.25
"""Prior mass of a chord outside the mode's scale, relative to 1 for a diatonic chord."""
RULE_SCALE = 2.0
"""How much one unit of rule weight adds to a chord's prior."""


def diatonic(mode: str) -> frozenset[ChordClass]:
    if mode not in _DIATONIC:
        _DIATONIC[mode] = _diatonic_classes(mode)
    return _DIATONIC[mode]


def matching_moves(
    history: list[ChordClass], mode: str, genre: str | None, moves: tuple[Move, ...]
) -> dict[ChordClass, list[Move]]:
    """Move rules (weight > 0) whose `after` matches the end of the history, by target."""
    out: dict[ChordClass, list[Move]] = {}
    for move in moves:
        if not move.after or move.rule.weight <= 0:
            continue
        n = len(move.after)
        if len(history) < n or tuple(history[-n:]) != move.after:
            continue
        if move.applies(mode, genre):
            out.setdefault(move.to, []).append(move)
    return out


def rule_prior(
    history: list[ChordClass], mode: str, genre: str | None, moves: tuple[Move, ...]
) -> list[float]:
    """A probability per class (ALL_CLASSES order): the scale membership of each chord plus
    the weights of the move rules that fire after this history."""
    inside = diatonic(mode)
    scores = [1.0 if c in inside else OUTSIDE_KEY for c in ALL_CLASSES]
    for target, fired in matching_moves(history, mode, genre, moves).items():
        scores[ALL_CLASSES.index(target)] += RULE_SCALE * sum(m.rule.weight for m in fired)
    total = sum(scores)
    return [s / total for s in scores]


def explain(
    previous: list[ChordClass], target: ChordClass, mode: str, genre: str | None,
    moves: tuple[Move, ...],
) -> tuple[Move | None, Move | None]:
    """(the most specific move rule for previous -> target, the colour note on target)."""
    fired = matching_moves(previous, mode, genre, moves).get(target, [])
    move = max(fired, key=lambda m: m.specificity(mode, genre)) if fired else None
    colours = [m for m in moves if not m.after and m.to == target and m.applies(mode, genre)]
    colour = max(colours, key=lambda m: m.specificity(mode, genre)) if colours else None
    return move, colour
