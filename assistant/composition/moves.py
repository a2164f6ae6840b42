"""Hand-written theory rules for chord moves: the `[[move]]` collection of the knowledge base.

A *move* (`assistant.kb.schema.ChordMove`, shipped in `knowledge/chord_moves.toml`) says that
after some chords (`after`, oldest first) the chord `to` is a good next step, with a weight
for the rule prior and a `why` the user sees ("V → vi: deceptive cadence..."). A move with an
empty `after` explains the colour of a chord on its own ("bVII: borrowed from the parallel
minor") and carries no weight. The moves load with the rest of the knowledge base
(`assistant.kb.loader.knowledge()`, validated, cached per process), so the user's own
knowledge files can override a move by id or add new ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from assistant.composition.chords import (
    ALL_CLASSES,
    MINOR_FAMILY,
    ChordClass,
    from_numeral,
)
from assistant.song import Key

if TYPE_CHECKING:
    from assistant.kb.loader import Knowledge
    from assistant.kb.schema import ChordMove

MAJOR_FAMILY = frozenset({"major", "lydian", "mixolydian"})


def norm_genre(text: str) -> str:
    """Genre words compare like the knowledge base compares them: case, '-' and '_' ignored."""
    return " ".join(text.lower().replace("_", " ").replace("-", " ").split())


@dataclass(frozen=True)
class Move:
    """A validated rule with its numerals resolved to chord classes."""

    rule: ChordMove
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


def move_of(rule: ChordMove) -> Move:
    """Resolve a rule's numerals (the knowledge loader has checked they parse)."""
    return Move(rule, tuple(from_numeral(n) for n in rule.after), from_numeral(rule.to),
                frozenset(norm_genre(g) for g in rule.genres))


_BY_KB: WeakKeyDictionary[Knowledge, tuple[Move, ...]] = WeakKeyDictionary()


def load_moves(kb: Knowledge | None = None) -> tuple[Move, ...]:
    """The moves of the knowledge base (default: `knowledge()`, the shipped files plus the
    user's own, later ids winning), resolved once per loaded knowledge base."""
    from assistant.kb.loader import knowledge
    from assistant.kb.schema import ChordMove

    kb = knowledge() if kb is None else kb
    cached = _BY_KB.get(kb)
    if cached is None:
        rules = [e for e in kb.entries.get("move", {}).values() if isinstance(e, ChordMove)]
        cached = tuple(move_of(rule) for rule in rules)
        _BY_KB[kb] = cached
    return cached


def _diatonic_classes(mode: str) -> frozenset[ChordClass]:
    from assistant import theory

    return frozenset(from_numeral(n) for n in theory.diatonic_numerals(Key(tonic="C", mode=mode)))  # type: ignore[arg-type]


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
