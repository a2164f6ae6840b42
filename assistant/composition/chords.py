"""Chord classes for the composition tools: a root relative to the tonic plus a triad quality.

The next-chord model, its evaluation and the harmonizer reason about *chord classes*: the
root's offset in semitones from the tonic (0..11) and one of four triad qualities. Their text
is the Roman numeral of the project's convention (numbered against the major scale whatever
the mode, so `i bIII bVI bVII` in minor): upper case major, lower case minor, `°` diminished,
`+` augmented. Sevenths, sus and power chords reduce to their triad (sus and power chords
count as major), so `V7`, `Vsus4` and `V5` are all `V`. Working in numerals makes every
result independent of the key: transposing a song changes no class.

Pure Python over `assistant.theory` (itself pure); `coach next-chord` loads it at start-up.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from assistant import theory
from assistant.errors import BadInput
from assistant.keys import Key

QUALITIES = ("maj", "min", "dim", "aug")
_DEGREE = ("I", "bII", "II", "bIII", "III", "IV", "#IV", "V", "bVI", "VI", "bVII", "VII")
_INTERVALS = {"maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6), "aug": (0, 4, 8)}
MINOR_FAMILY = frozenset({"minor", "dorian", "phrygian", "locrian"})
"""Modes whose tonic triad is minor (or diminished): they share the minor statistics."""


class ChordClass(NamedTuple):
    root: int
    """Semitones above the tonic, 0..11."""
    quality: str
    """One of QUALITIES."""

    @property
    def numeral(self) -> str:
        return class_numeral(self)

    def offsets(self) -> tuple[int, ...]:
        """Triad tones as semitones above the tonic, root first."""
        return tuple((self.root + i) % 12 for i in _INTERVALS[self.quality])

    def pitch_classes(self, tonic_pc: int) -> tuple[int, ...]:
        return tuple((tonic_pc + o) % 12 for o in self.offsets())


ALL_CLASSES: tuple[ChordClass, ...] = tuple(
    ChordClass(root, quality) for quality in QUALITIES for root in range(12)
)
INDEX: dict[ChordClass, int] = {c: i for i, c in enumerate(ALL_CLASSES)}


def is_minor_family(key: Key) -> bool:
    return key.mode in MINOR_FAMILY


def class_numeral(chord: ChordClass) -> str:
    """`ChordClass(10, "maj")` -> `"bVII"`; `ChordClass(11, "dim")` -> `"vii°"`."""
    text = _DEGREE[chord.root]
    roman = text.lstrip("b#")
    prefix = text[: len(text) - len(roman)]
    if chord.quality in ("min", "dim"):
        roman = roman.lower()
    return prefix + roman + {"dim": "°", "aug": "+"}.get(chord.quality, "")


def _reduce(root: int, quality: str) -> ChordClass:
    triad = theory.triad_quality(quality)
    return ChordClass(root % 12, triad if triad in _INTERVALS else "maj")


def from_numeral(text: str) -> ChordClass:
    """A numeral (`bVII`, `V7/vi`, `ii°`, the data files' `bVI(maj(9))/3`) -> its class."""
    numeral = theory.parse_numeral(text)
    return _reduce(numeral.root_offset, numeral.quality)


_NUMERAL_START = re.compile(r"^[b#♭♯]?[IViv]")


def looks_like_numeral(text: str) -> bool:
    return bool(_NUMERAL_START.match(text.strip()))


def parse_chord(text: str, key: Key) -> ChordClass:
    """A chord typed by the user, symbol (`F#m7`, `G/B`, `A:min`) or numeral (`bVII`, `V/V`),
    as a class relative to `key`. Raises BadInput naming the token."""
    token = text.strip()
    if not token:
        raise BadInput("empty chord: give chords like Am F C G or numerals like vi IV I V")
    try:
        if looks_like_numeral(token):
            return from_numeral(token)
        symbol = theory.parse_symbol(token)
    except BadInput as error:
        raise BadInput(f"unknown chord {token!r}: {_help(error)}") from None
    tonic = theory.parse_pitch_class(key.tonic)
    return _reduce(symbol.root - tonic, symbol.quality)


def _help(error: BadInput) -> str:
    text = str(error)
    return text.split(": ", 1)[1] if ": " in text else text


def collapse(chords: list[ChordClass]) -> list[ChordClass]:
    """Drop consecutive repeats: `I I IV IV` -> `I IV` (the model predicts chord changes)."""
    out: list[ChordClass] = []
    for chord in chords:
        if not out or out[-1] != chord:
            out.append(chord)
    return out


# A major triad on these degrees usually works as an applied dominant: show its function.
_APPLIED = {2: "V/V", 4: "V/vi", 9: "V/ii", 11: "V/iii"}


def display_numeral(chord: ChordClass, minor_family: bool = False) -> str:
    """The numeral shown to the user: secondary dominants get their applied name (`V/V`);
    in minor only `V/V` (II), since III and VI there are rarely heard as dominants."""
    if chord.quality == "maj" and chord.root in _APPLIED and (
        not minor_family or chord.root == 2
    ):
        return _APPLIED[chord.root]
    return class_numeral(chord)


def symbol_of(chord: ChordClass, key: Key, minor_family: bool | None = None) -> str:
    """The chord symbol spelled for the key: bVII in A minor -> "G"."""
    if minor_family is None:
        minor_family = is_minor_family(key)
    return theory.numeral_to_symbol(display_numeral(chord, minor_family), key)
