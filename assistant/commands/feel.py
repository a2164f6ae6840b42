"""Feedback on the feel: "these are way too gloomy", "NO, brighter", "even slower".

Feedback moves away from what was offered: moods named as too much leave the sheet, the
direction asked for comes in (and moods pulling the other way go), a tempo moves by about
10 % ("a bit" 6 %, "much" 20 %), and the open question is asked again with options re-ranked
for the new feel. When a key was already chosen, a revised set of keys is offered too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.stages.base import Choice, decision
from assistant.stages.conception import mood_names

if TYPE_CHECKING:
    from assistant.coach import Coach
    from assistant.dialogue import Command, Reply


def _valence(coach: Coach, name: str) -> float:
    mood = coach.kb.find_mood(name)
    return float(mood.valence) if mood is not None else 0.0


def _within_theme(coach: Coach, toward: list[str], away: set[str]) -> list[str]:
    """A story keeps its bounds: "too gloomy" for a memorial moves to hopeful and calm, not
    to happy and danceable. The theme's own leanings that point the wanted way come first."""
    theme = next((t for t in coach.kb.entries.get("theme", {}).values()
                  if getattr(t, "name", None) == coach.song.theme), None)
    if theme is None or not toward:
        return toward
    ctx = coach._ctx()
    avoid = set(mood_names(ctx, tuple(getattr(theme, "avoid_moods", ()))))
    want = sum(_valence(coach, m) for m in toward) / len(toward)
    base = [_valence(coach, m) for m in away] or [0.0]
    own = [m for m in mood_names(ctx, tuple(getattr(theme, "moods", ())))
           if m not in away and (_valence(coach, m) - sum(base) / len(base)) * want > 0
           and _valence(coach, m) * want > 0]  # brighter is above zero, not only above sad
    kept = [m for m in toward if m not in avoid]
    return list(dict.fromkeys([*own[:2], *kept]))[:2] or toward


def feedback(coach: Coach, command: Command) -> Reply:
    slots = command.slots
    song = coach.song
    ctx = coach._ctx()
    patch: dict[str, Any] = {}
    decisions: list[dict[str, Any]] = []
    said: list[str] = []
    named = _comparatives(coach, command)
    # "more energy" also means less of what its comparative moves away from (calm)
    away = set(mood_names(ctx, (*slots.not_moods, *(m for c in named for m in c.away))))
    toward = _within_theme(coach, mood_names(ctx, slots.moods), away)
    if toward or away:
        kept = [m for m in song.moods if m not in away]
        if toward:
            want = sum(_valence(coach, m) for m in toward) / len(toward)
            if abs(want) >= 0.2:  # a direction: moods pulling the other way go
                kept = [m for m in kept if _valence(coach, m) * want >= 0]
        moods = list(dict.fromkeys([*kept, *toward]))
        dropped = [m for m in song.moods if m not in moods]
        if moods != list(song.moods):
            patch["moods"] = moods
            decisions.append(decision("moods", ", ".join(moods) or "open",
                                      f"Your feedback: “{command.text}”.",
                                      [*slots.moods, *slots.not_moods]))
        if dropped:
            said.append("less " + " and ".join(dropped))
        if toward:
            said.append("toward " + " and ".join(toward))
    if slots.genre:
        patch["genre"] = mood_names(ctx, (slots.genre,))[0]
    tempo_said = _tempo(coach, command, patch, decisions)
    if tempo_said:
        said.append(tempo_said)
    if not patch and _wants_other(coach, command):
        return coach._more()  # "these are all so generic": other options, less obvious ones
    if not patch:
        return coach._reply("Which way should it move — brighter or darker, faster or slower, "
                            "calmer or bigger? Or say `more` for other options.")
    coach._apply(patch, decisions, stage=coach.stage)
    text = "Got it — " + "; ".join(said) + "." if said else "Got it."
    extra = coach._extra_changes(command, patch)
    if extra:
        text += f" {extra}"
    if "moods" in patch and song.key is not None and coach.stage != "conception":
        return revised_keys(coach, text)
    return coach._after_change(text)


def _tempo(coach: Coach, command: Command, patch: dict[str, Any],
           decisions: list[dict[str, Any]]) -> str:
    """Move the tempo by the feedback's percentage, or lean the vibe when there is none yet."""
    delta = command.slots.tempo_delta
    if not delta and command.slots.energy_delta:
        delta = 5.0 * command.slots.energy_delta
    if not delta:
        return ""
    song = coach.song
    way = "faster" if delta > 0 else "slower"
    if song.tempo is None:
        lean = "fast" if delta > 0 else "slow"
        patch["mood_text"] = f"{song.mood_text}; {lean}" if song.mood_text else lean
        return f"leaning {lean}er"
    bpm = float(round(max(40.0, min(240.0, song.tempo * (1 + delta / 100.0)))))
    if bpm == song.tempo:
        return ""
    patch["tempo"] = bpm
    decisions.append(decision("tempo", f"{bpm:g} bpm", f"You asked for it {way}."))
    return f"tempo {song.tempo:g} → {bpm:g} bpm"


def revised_keys(coach: Coach, text: str) -> Reply:
    """The feel changed after a key was chosen: offer keys that fit the new feel."""
    found = coach._ctx().suggest()
    key = coach.song.key
    choices = []
    for option in found.keys[:3] if found else ():
        choices.append(Choice(
            label=f"{option.tonic} {option.mode}", why=option.why, rule_ids=option.rule_ids,
            patch={"key": {"tonic": option.tonic, "mode": option.mode}},
            decisions=[decision("key", f"{option.tonic} {option.mode}", option.why,
                                option.rule_ids)],
            say="The progression keeps its numerals, so it moves with the key.",
            action="coach-stay:",  # picking it keeps the question that was open
        ))
    if not choices or key is None:
        return coach._after_change(text)
    coach._set_choices(choices)
    return coach._reply(f"{text} You chose {key.name}; for the new feel these keys fit — pick "
                        "one to switch, or carry on in " + key.name + ".")



def _comparatives(coach: Coach, command: Command) -> list[Any]:
    """The comparative modifiers the reader found ("brighter", "more energy", "generic")."""
    found = []
    for mod_id in command.slots.comparatives:
        try:
            found.append(coach.kb.get(mod_id))
        except KeyError:
            continue
    return found


def _wants_other(coach: Coach, command: Command) -> bool:
    """"These are all so generic": a comparative with no direction, so other options."""
    return any(not (m.toward or m.tempo or m.energy) for m in _comparatives(coach, command))
