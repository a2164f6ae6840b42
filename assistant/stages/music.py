"""Small music helpers for the stages, over `assistant.theory` (imported lazily)."""

from __future__ import annotations

import re

from assistant.song import Key, Song

DEFAULT_PROGRESSIONS = {
    "major": ["I", "V", "vi", "IV"],
    "minor": ["i", "bVI", "bIII", "bVII"],
}


def symbols(numerals: list[str] | tuple[str, ...], key: Key | None) -> list[str]:
    """Chord symbols for numerals in `key`; the numerals themselves if theory cannot say."""
    if key is None:
        return list(numerals)
    try:
        from assistant import theory

        return [theory.numeral_to_symbol(n, key) for n in numerals]
    except Exception:  # a numeral theory cannot read is shown as written
        return list(numerals)


def chord_line(numerals: list[str] | tuple[str, ...], key: Key | None) -> str:
    syms = symbols(numerals, key)
    if syms == list(numerals):
        return "–".join(numerals)
    return f"{'–'.join(syms)} ({' '.join(numerals)})"


_CHORDISH = re.compile(r"^([A-G][#b]?[^\s,|]*|[b#]?(?:[iI][vV]|[vV]?[iI]{1,3}|[vV])[^\s,|]*)$")


def read_chords(text: str, key: Key | None) -> list[str] | None:
    """Typed chords ("Am F C G", "i bVI bIII bVII", "Am | F | C | G") -> numerals, or None."""
    if key is None:
        return None
    tokens = [t for t in re.split(r"[\s,|\-–]+", text.strip()) if t]
    if len(tokens) < 2 or len(tokens) > 32 or not all(_CHORDISH.match(t) for t in tokens):
        return None
    try:
        from assistant import theory
    except Exception:
        return None
    numerals: list[str] = []
    for token in tokens:
        try:
            if token[0] in "ABCDEFG":
                numerals.append(theory.symbol_to_numeral(token, key))
            else:
                theory.parse_numeral(token)
                numerals.append(token)
        except Exception:
            return None
    return numerals


def read_notes(text: str) -> list[int] | None:
    """A typed melody ("A4 C5 E5 D5") -> MIDI pitches, or None."""
    tokens = [t for t in re.split(r"[\s,]+", text.strip()) if t]
    if len(tokens) < 2 or not all(re.fullmatch(r"[A-Ga-g][#b]?-?\d", t) for t in tokens):
        return None
    try:
        from assistant import theory

        return [theory.parse_note(t[0].upper() + t[1:]) for t in tokens]
    except Exception:
        return None


def renderable(song: Song) -> Song:
    """A copy that a renderer can play: a key, a tempo and a progression, whatever is missing."""
    update: dict[str, object] = {}
    key = song.key or Key(tonic="C", mode="major")
    if song.key is None:
        update["key"] = key
    if not song.tempo:
        update["tempo"] = 96.0
    if not song.progression:
        update["progression"] = DEFAULT_PROGRESSIONS["minor" if key.mode in (
            "minor", "dorian", "phrygian", "locrian") else "major"]
    return song.model_copy(update=update, deep=True) if update else song.model_copy(deep=True)
