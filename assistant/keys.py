"""Keys and modes: `Key(tonic, mode)`, apart from the Song sheet that re-exports it.

The theory helpers and `coach next-chord` need only this one model; importing it from here
spares them building every Song model (~40 pydantic classes) at start-up.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

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


class Key(BaseModel):
    """A tonic and a mode: `Key(tonic="A", mode="minor")`."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)  # as the Song models

    tonic: str
    mode: Mode = "major"

    @field_validator("tonic")
    @classmethod
    def _tonic(cls, value: str) -> str:
        value = value[:1].upper() + value[1:]
        if not _TONIC.match(value):
            raise ValueError(f"tonic {value!r} is not a note name like C, F# or Bb")
        return value

    @property
    def name(self) -> str:
        return f"{self.tonic} {self.mode}"
