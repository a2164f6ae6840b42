"""Editing: the user's MIDI or audio takes: timing, quantize, transpose, comping and cleanup.

The MIDI take analysis and quantize/transpose tools of a later issue plug in with
`register_tool("editing", ToolHook(...))`; until then a take's path is noted with the command
that works on it, and the coach suggests quantize settings in numbers from the genre.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from assistant.song import Song
from assistant.stages.base import (
    Choice,
    Ctx,
    PathHandler,
    SlotHandler,
    StageFlow,
    Step,
    decision,
    examples_line,
)

if TYPE_CHECKING:
    from assistant.kb.schema import Question
    from assistant.language import Parsed


def quantize_choices(ctx: Ctx) -> list[Choice]:
    genre = ctx.kb.find_genre(ctx.song.genre) if ctx.song.genre else None
    strength = genre.quantize_strength if genre else 0.8
    swing = genre.swing if genre else 0.5
    ids = (genre.id,) if genre else ()
    name = genre.name if genre else "most pop"
    options = [
        (strength, swing, f"What {name} usually uses: tight enough to groove, loose enough "
         "to breathe."),
        (min(1.0, strength + 0.15), 0.5, "Tighter and straight: for programmed, electronic "
         "parts."),
        (max(0.3, strength - 0.25), max(swing, 0.56), "Looser with a little swing: keeps a "
         "human feel in live-played parts."),
    ]
    choices = []
    for s, sw, why in options:
        label = f"Quantize {round(s * 100)}% · swing {round(sw * 100)}%"
        choices.append(Choice(
            label=label, why=why, rule_ids=ids,
            decisions=[decision("quantize", label, why, ids)],
            say="Apply it to a MIDI take with `coach quantize TAKE.mid --strength "
                f"{round(s * 100)} --swing {round(sw * 100)}`.",
        ))
    return choices


class TakeHandler(PathHandler):
    """A take to analyse. The MIDI take analysis plugs in as an editing ToolHook."""

    def on_path(self, ctx: Ctx, path: str) -> Step:
        midi = path.lower().endswith((".mid", ".midi"))
        tool = ("`coach analyze` for key, tempo and timing, then `coach quantize` or "
                "`coach transpose`" if midi else "`coach analyze` for levels and noise")
        return Step(f"Noted the take {path}: run {tool} on it.", answered=True,
                    patch={"+notes": f"Take: {path}"})


class QuantizeHandler:
    def filled(self, song: Song) -> bool:
        return any(d.stage == "editing" and d.field == "quantize" for d in song.decisions)

    def ask(self, ctx: Ctx, question: Question) -> Step:
        return Step(f"{question.text}{examples_line(question)}", choices=quantize_choices(ctx))

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        text = parsed.text.lower()
        choices = quantize_choices(ctx)
        percent = re.search(r"\b(\d{1,3})\s*%", text)
        if percent and 0 <= int(percent.group(1)) <= 100:
            label = f"Quantize {int(percent.group(1))}%"
            return Step(f"{label}.", answered=True,
                        decisions=[decision("quantize", label, "Your setting.")])
        if re.search(r"\b(tight|tighter|grid|exact|robotic|strict|full|100)\b", text):
            pick = choices[1]
        elif re.search(r"\b(loose|looser|feel|human|natural|swing|groove|light)\b", text):
            pick = choices[2]
        elif re.search(r"\b(medium|normal|default|usual|genre|middle)\b", text):
            pick = choices[0]
        else:
            return None
        return Step(f"{pick.label}. {pick.say}", answered=True, decisions=pick.decisions)


class Editing(StageFlow):
    name = "editing"
    handlers: dict[str, SlotHandler] = {"take": TakeHandler(), "quantize": QuantizeHandler()}
    aliases = {"takes": "take", "midi": "take", "files": "take", "editing.take": "take",
               "timing": "quantize"}
