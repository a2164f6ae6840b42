"""Two close readings: ask which one was meant ("Pick option 1, or set 120 bpm?")."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.coach import Coach
    from assistant.dialogue import Command, Reply

CLARIFY = "coach-clarify"
"""The action of a clarifying choice: the reading is re-dispatched as a command."""


def describe(command: Command, options: int) -> str:
    slots = command.slots
    if command.intent == "pick":
        return f"Pick option {command.number}"
    if slots.tempo:
        return f"Set the tempo to {slots.tempo:g} bpm"
    if slots.length_s:
        return f"Make it {slots.length_s // 60}:{slots.length_s % 60:02d} long"
    if slots.meter:
        return f"Set the meter to {slots.meter}"
    return f"Take “{command.text}” as your answer"


def clarify(coach: Coach, command: Command) -> Reply:
    from assistant.stages.base import Choice

    options = len(coach.options)
    choices = []
    for reading in command.alternatives[:2]:
        payload = json.dumps({"intent": reading.intent, "number": reading.number,
                              "tempo": reading.slots.tempo, "length_s": reading.slots.length_s,
                              "meter": reading.slots.meter, "text": reading.text})
        choices.append(Choice(label=describe(reading, options), why=reading.why or "",
                              action=f"{CLARIFY}:{payload}", preview_bars=None))
    first, second = (c.label for c in choices)
    # the options on screen come back once the user has said which reading they meant
    coach._remember({"~clarify": {"choices": [c.to_json() for c in coach.choices],
                                  "page": coach.page}})
    coach._set_choices(choices)
    return coach._reply(f"{first[0].upper()}{first[1:]}, or {second[0].lower()}{second[1:]}? "
                        "(1 or 2)")


def command_of(payload: str) -> Command:
    from assistant.dialogue import Command, Slots

    data = json.loads(payload)
    slots = Slots(tempo=data.get("tempo"), length_s=data.get("length_s"), meter=data.get("meter"),
                  number=data.get("number"))
    return Command(data["intent"], data.get("text", ""), slots=slots, number=data.get("number"))


def resolve(coach: Coach, payload: str) -> Reply:
    """A clarifying choice was picked: put the earlier options back, then do what was meant."""
    from assistant.stages.base import Choice

    saved = coach.memo.get("~clarify") or {}
    coach._set_choices([Choice.from_json(c) for c in saved.get("choices", [])])
    coach.page = int(saved.get("page", 0))
    coach._remember({"~clarify": None})
    return coach._dispatch(command_of(payload))
