"""Recording: what will be recorded and with what; level targets; click and backing tracks.

The take level check (peaks, clipping, noise floor) of a later issue plugs in with
`register_tool("recording", ToolHook(...))`; until then a take's path is noted and the
targets and checklist are given in numbers.
"""

from __future__ import annotations

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
    looks_like_words,
)

if TYPE_CHECKING:
    from assistant.kb.schema import Question
    from assistant.language import Parsed


def targets_text(ctx: Ctx, stage: str) -> str:
    """The stage's advice rules as one plain target per metric: the tightest safe range."""
    ranges: dict[str, list[float | None]] = {}
    whys: dict[str, str] = {}
    for rule in ctx.kb.rules:
        if rule.stage != stage:
            continue
        low, high = ranges.setdefault(rule.metric, [None, None])
        if rule.min is not None:
            low = rule.min if low is None else max(low, rule.min)
        if rule.max is not None:
            high = rule.max if high is None else min(high, rule.max)
        ranges[rule.metric] = [low, high]
        if rule.severity >= 2 or rule.metric not in whys:
            whys.setdefault(rule.metric, rule.why)
    lines = []
    for metric, (low, high) in ranges.items():
        if low is not None and high is not None:
            span = f"{low:g} to {high:g}"
        elif low is not None:
            span = f"at least {low:g}"
        else:
            span = f"at most {high:g}"
        first = whys[metric].split(". ")[0].rstrip(".")
        lines.append(f"- {metric.replace('_', ' ')}: {span} — {first}.")
    return "\n".join(lines[:6])


class SourcesHandler:
    def filled(self, song: Song) -> bool:
        return bool(song.recording.sources)

    def ask(self, ctx: Ctx, question: Question) -> Step:
        return Step(f"{question.text}{examples_line(question)}")

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        sources = list(parsed.slots.sources)
        if not sources:
            if parsed.intent != "answer" or not looks_like_words(parsed.text):
                return None
            sources = [s.strip() for s in parsed.text.replace(" and ", ",").split(",")
                       if s.strip()][:6]
        rec = ctx.song.recording
        targets = targets_text(ctx, "recording")
        text = (
            f"Recording {', '.join(sources)}. Aim for peaks between {rec.peak_min_dbfs:g} and "
            f"{rec.peak_max_dbfs:g} dBFS, a noise floor below {rec.noise_floor_max_dbfs:g} dBFS, "
            f"at {rec.sample_rate // 1000} kHz / {rec.bit_depth}-bit."
        )
        if targets:
            text += "\n\n" + targets
        tempo = f"{ctx.song.tempo:g} bpm" if ctx.song.tempo else "the song's tempo"
        choices = [Choice(
            label=f"Backing track with a click at {tempo} and a one-bar count-in",
            why="Record against the arrangement so timing and tuning sit right from take one.",
            preview_bars=None,
            decisions=[decision("backing track", f"click at {tempo}", "Timing reference.")],
            say="Say “play 1” to render the backing track; `coach click` makes a click alone.",
        )]
        return Step(text, choices=choices, answered=True,
                    patch={"recording.sources": sources},
                    decisions=[decision("sources", ", ".join(sources), "What you will record.")])


class TakeHandler(PathHandler):
    """A recorded test take. The level-check tool plugs in as a recording ToolHook."""

    prompt = "Give the path of a WAV take, or say “skip”."

    def on_path(self, ctx: Ctx, path: str) -> Step:
        return Step(f"Noted the take {path}. Check it with `coach analyze {path}` for peaks, "
                    "clipping and noise floor.", answered=True, patch={"+notes": f"Take: {path}"})


class Recording(StageFlow):
    name = "recording"
    handlers: dict[str, SlotHandler] = {"sources": SourcesHandler(), "take": TakeHandler()}
    aliases = {
        "recording.sources": "sources", "what": "sources", "record": "sources",
        "gear": "sources", "takes": "take", "recording.take": "take", "level": "take",
    }
