"""Keys and modes: `Key(tonic, mode)`, a small immutable value the Song sheet re-exports.

Key is a frozen dataclass, not a pydantic model: importing pydantic and building a first model
costs a process ~0.15 s, more than all the work of `coach next-chord`, and the theory helpers and
next-chord need nothing else from pydantic. The Song sheet still validates and stores it like
its other fields (pydantic validates dataclass fields): from a Key or a `{"tonic", "mode"}`
dict, unknown keys refused, errors raised as ValidationError, written back as that dict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Mode = Literal["major", "minor", "dorian", "phrygian", "lydian", "mixolydian", "locrian"]
MODES: tuple[Mode, ...] = (
    "major",
    "minor",
    "dorian",
    "phrygian",
    "lydian",
    "mixolydian",
    "locrian",
)

_TONIC = re.compile(r"^[A-G](#|b)?$")


@dataclass(frozen=True, kw_only=True)
class Key:
    """A tonic and a mode: `Key(tonic="A", mode="minor")`; a bad one raises ValueError."""

    tonic: str
    mode: Mode = "major"

    def __post_init__(self) -> None:
        tonic = self.tonic[:1].upper() + self.tonic[1:] if isinstance(self.tonic, str) else self.tonic
        if not isinstance(tonic, str) or not _TONIC.match(tonic):
            raise ValueError(f"tonic {tonic!r} is not a note name like C, F# or Bb")
        if self.mode not in MODES:
            raise ValueError(f"mode {self.mode!r} is not one of {', '.join(MODES)}")
        object.__setattr__(self, "tonic", tonic)  # "a" is stored as "A"

    @property
    def name(self) -> str:
        return f"{self.tonic} {self.mode}"
