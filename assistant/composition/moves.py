"""Hand-written theory rules for chord moves (`knowledge/chord_moves.json`), validated here.

A *move* rule says that after some chords (`after`, oldest first) the chord `to` is a good
next step, with a weight for the rule prior and a `why` the user sees ("V → vi: deceptive
cadence..."). A rule with an empty `after` explains the colour of a chord on its own
("bVII: borrowed from the parallel minor") and carries no weight. The file is JSON, not TOML,
because `knowledge/*.toml` tables must be collections of the knowledge schema.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant import paths
from assistant.composition.chords import (
    ALL_CLASSES,
    MINOR_FAMILY,
    ChordClass,
    from_numeral,
)
from assistant.errors import BadInput, KnowledgeError
from assistant.song import MODES, Key

FILE_NAME = "chord_moves.json"
_ID = re.compile(r"^move\.[a-z0-9][a-z0-9_-]*$")
MAJOR_FAMILY = frozenset({"major", "lydian", "mixolydian"})


class MoveRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    after: tuple[str, ...] = Field(default=(), max_length=3)
    """Numerals of the chords before, oldest first; empty = a colour note about `to`."""
    to: str
    modes: tuple[str, ...] = Field(min_length=1)
    """"major" = major/lydian/mixolydian, "minor" = minor/dorian/phrygian/locrian, else one mode."""
    weight: float = Field(ge=0, le=5)
    why: str = Field(min_length=3)
    genres: tuple[str, ...] = ()
    source: str = ""

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(f"id {value!r} is not like 'move.deceptive-cadence'")
        return value

    @field_validator("after")
    @classmethod
    def _after(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for numeral in value:
            _numeral_ok(numeral)
        return value

    @field_validator("to")
    @classmethod
    def _to(cls, value: str) -> str:
        _numeral_ok(value)
        return value

    @field_validator("modes")
    @classmethod
    def _modes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for mode in value:
            if mode not in MODES:
                raise ValueError(f"mode {mode!r} is not one of {', '.join(MODES)}")
        return value

    @field_validator("genres")
    @classmethod
    def _genres(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(g.strip().lower() for g in value)


class MovesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    about: str = ""
    source: str = ""
    moves: tuple[MoveRule, ...] = Field(min_length=1)


def _numeral_ok(numeral: str) -> None:
    try:
        from_numeral(numeral)
    except BadInput as error:
        raise ValueError(str(error)) from None


@dataclass(frozen=True)
class Move:
    """A validated rule with its numerals resolved to chord classes."""

    rule: MoveRule
    after: tuple[ChordClass, ...]
    to: ChordClass

    def applies(self, mode: str, genre: str | None) -> bool:
        if self.rule.genres and (genre is None or genre not in self.rule.genres):
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


def default_path() -> Path:
    return paths.shipped_knowledge_dir() / FILE_NAME


def load_moves(path: Path | None = None) -> tuple[Move, ...]:
    """Read and validate the rules file; a bad entry is a KnowledgeError naming it."""
    return _load(str(path or default_path()))


@lru_cache(maxsize=4)
def _load(path_text: str) -> tuple[Move, ...]:
    path = Path(path_text)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise KnowledgeError(path.name, None, None, f"cannot read: {error.strerror or error}"
                             ) from error
    except ValueError as error:
        raise KnowledgeError(path.name, None, None, f"not valid JSON: {error}") from error
    try:
        parsed = MovesFile.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        loc = [str(p) for p in first["loc"]]
        entry = None
        if len(loc) >= 2 and loc[0] == "moves" and loc[1].isdigit():
            moves = raw.get("moves", []) if isinstance(raw, dict) else []
            index = int(loc[1])
            entry = str(moves[index].get("id", f"#{index}")) if index < len(moves) and isinstance(
                moves[index], dict) else f"#{index}"
            loc = loc[2:]
        raise KnowledgeError(path.name, entry, ".".join(loc) or None, first["msg"]) from None
    ids: set[str] = set()
    out = []
    for rule in parsed.moves:
        if rule.id in ids:
            raise KnowledgeError(path.name, rule.id, "id", "duplicate id")
        ids.add(rule.id)
        out.append(Move(rule, tuple(from_numeral(n) for n in rule.after), from_numeral(rule.to)))
    return tuple(out)


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
