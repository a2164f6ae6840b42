"""A progression typed by name ("G D Em C") or numerals ("i bVI bIII bVII").

Chord names keep their pitches: they are written as numerals of the song's key (G D Em C in
C major is V II iii I and still sounds G D Em C). When the chords sit more naturally in
another key, the coach says so and offers the switch, which keeps the same chords.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from assistant.song import Key
from assistant.stages.base import Choice, decision

if TYPE_CHECKING:
    from assistant.coach import Coach
    from assistant.dialogue import Command, Reply

_NUMERAL = re.compile(r"^[b#♭♯]?(?:vii|iii|vi|iv|ii|v|i)", re.IGNORECASE)


def symbol(token: str) -> str:
    """"am" -> "Am", "f#m7" -> "F#m7", "bb" -> "Bb" (typed in lower case)."""
    return token[0].upper() + token[1:]


def is_numerals(tokens: tuple[str, ...]) -> bool:
    return all(_NUMERAL.match(t) and not re.match(r"^[A-G]", t) for t in tokens) and not all(
        re.fullmatch(r"[a-g][#b]?m?", t) for t in tokens)


def chords(coach: Coach, command: Command) -> Reply:
    from assistant import theory
    from assistant.composition.keyfind import key_from_chords
    from assistant.errors import CoachError

    tokens = command.slots.chords
    song = coach.song
    try:
        if is_numerals(tokens):
            key = song.key or Key(tonic="A" if tokens[0][0].islower() else "C",
                                  mode="minor" if tokens[0][0].islower() else "major")
            for token in tokens:
                theory.parse_numeral(token)  # raises on a broken one
            return _use(coach, command, key, list(tokens), "")
        symbols = [symbol(t) for t in tokens]
        parsed = [theory.parse_symbol(s) for s in symbols]
    except (CoachError, ValueError) as error:
        return coach._reply(f"I couldn't read those chords: {error}")
    pcs = [tuple(theory.chord_pitch_classes(p)) for p in parsed]
    best = key_from_chords(pcs)
    key = song.key or best
    numerals = [str(theory.symbol_to_numeral(s, key)) for s in symbols]
    note = ""
    if song.key is not None and best.name != song.key.name and _outside(pcs, song.key, best):
        switched = [str(theory.symbol_to_numeral(s, best)) for s in symbols]
        note = (f" These chords sit most naturally in **{best.name}** — want to switch the key? "
                "They sound the same either way; the switch changes what the melody and the "
                "suggestions build on.")
        coach_choices = [
            Choice(label=f"Switch to {best.name}", why=f"{'–'.join(symbols)} centre on "
                   f"{best.name}: its tonic chord is among them and every chord fits its scale.",
                   patch={"key": {"tonic": best.tonic, "mode": best.mode},
                          "progression": switched},
                   decisions=[decision("key", best.name, "The chords you typed imply it.")],
                   preview_bars=8),
            Choice(label=f"Stay in {song.key.name}", why="The chords keep their sound; the "
                   "key stays what you chose.", patch={}, preview_bars=8),
        ]
        coach._set_choices(coach_choices)  # before the reply, which shows the options
        return _use(coach, command, key, numerals, note, advance=False)
    return _use(coach, command, key, numerals, note)


def _fit(pcs: list[tuple[int, ...]], key: Key) -> float:
    """Share of the chords' notes in the key's scale, plus a little for its tonic chord."""
    from assistant import theory

    scale = {p % 12 for p in theory.scale_pitch_classes(key)}
    notes = [pc % 12 for chord in pcs for pc in chord]
    share = sum(1 for pc in notes if pc in scale) / max(1, len(notes))
    tonic = theory.parse_pitch_class(key.tonic)
    return share + (0.05 if any(chord[0] % 12 == tonic for chord in pcs) else 0.0)


def _outside(pcs: list[tuple[int, ...]], key: Key, best: Key) -> bool:
    """Do the chords fit another key clearly better than the song's?"""
    return _fit(pcs, best) - _fit(pcs, key) >= 0.08


def _use(coach: Coach, command: Command, key: Key, numerals: list[str], note: str,
         *, advance: bool = True) -> Reply:
    from assistant.stages.music import chord_line

    patch: dict[str, Any] = {"progression": numerals}
    decisions = [decision("progression", " ".join(numerals), "You wrote it.")]
    if coach.song.key is None:
        patch["key"] = {"tonic": key.tonic, "mode": key.mode}
        decisions.append(decision("key", key.name, "The chords you typed imply it."))
    coach._apply(patch, decisions, stage="composition")
    text = f"Your progression: {chord_line(numerals, key)}.{note}"
    question = coach._question()
    if advance and question is not None and question.slot == "progression":
        return coach._advance(text + "\n\n")
    if not advance:
        return coach._reply(text)
    return coach._reply(text + (f"\n\n{coach._question_text()}" if question else ""))
