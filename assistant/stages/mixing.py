"""Mixing & Mastering: the release target (platform loudness and peak ceiling) and the mix.

Mix analysis (LUFS, true peak, LRA, spectrum against the genre's curve) and the master preview
of a later issue plug in with `register_tool("mixing", ToolHook(...))`; until then the coach
sets the numeric targets and gives the checklist.
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
)

if TYPE_CHECKING:
    from assistant.kb.schema import Question
    from assistant.language import Parsed


def target_choices(ctx: Ctx) -> list[Choice]:
    genre = ctx.kb.find_genre(ctx.song.genre) if ctx.song.genre else None
    choices = []
    for target in ctx.kb.targets:
        why = target.why
        if genre:
            why += (f" {genre.name} masters often sit near {genre.loudness_lufs:g} LUFS; "
                    f"louder than the platform just gets turned down.")
        choices.append(Choice(
            label=f"{target.name}: {target.lufs:g} LUFS · {target.true_peak_dbtp:g} dBTP",
            why=why, rule_ids=(target.id,),
            patch={"mix.platform": target.name, "mix.lufs": target.lufs,
                   "mix.true_peak_dbtp": target.true_peak_dbtp},
            decisions=[decision("target", f"{target.name} {target.lufs:g} LUFS, "
                                f"{target.true_peak_dbtp:g} dBTP", target.why, [target.id])],
        ))
    return choices


class PlatformHandler:
    def filled(self, song: Song) -> bool:
        return song.mix.platform is not None

    def ask(self, ctx: Ctx, question: Question) -> Step:
        return Step(f"{question.text}{examples_line(question)}", choices=target_choices(ctx))

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        for choice in target_choices(ctx):
            name = str(choice.patch["mix.platform"])
            if name.lower() in parsed.text.lower() or (
                ctx.kb.find_target(parsed.text) and ctx.kb.find_target(parsed.text).name == name  # type: ignore[union-attr]
            ):
                return Step(f"{choice.label}.", patch=choice.patch, decisions=choice.decisions,
                            answered=True)
        return None


class MixHandler(PathHandler):
    """The bounced mix. The loudness/spectrum analysis plugs in as a mixing ToolHook."""

    prompt = "Give the path of your bounced mix (WAV), or say “skip”."

    def on_path(self, ctx: Ctx, path: str) -> Step:
        target = ctx.song.mix
        aim = f" against {target.lufs:g} LUFS" if target.lufs is not None else ""
        return Step(f"Noted your mix {path}. Measure it with `coach analyze {path}`{aim}; "
                    "`coach master` makes a loudness-matched master preview.", answered=True,
                    patch={"+notes": f"Mix: {path}"})


class CurveGenreHandler:
    """The genre whose reference spectral curve the mix is compared with."""

    def filled(self, song: Song) -> bool:
        return song.genre is not None

    def ask(self, ctx: Ctx, question: Question) -> Step:
        return Step(f"{question.text}{examples_line(question)}")

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        genre_id = parsed.slots.genre
        genre = ctx.kb.find_genre(genre_id.split(".", 1)[-1]) if genre_id else None
        if genre is None:
            genre = ctx.kb.find_genre(parsed.text)
        if genre is None:
            return None
        why = (f"The mix is compared with {genre.name}'s average tonal balance; its masters "
               f"sit near {genre.loudness_lufs:g} LUFS.")
        return Step(f"{genre.name} it is. {why}", patch={"genre": genre.name}, answered=True,
                    decisions=[decision("genre", genre.name, why, [genre.id])])


class Mixing(StageFlow):
    name = "mixing"
    handlers: dict[str, SlotHandler] = {
        "platform": PlatformHandler(), "mix": MixHandler(), "genre": CurveGenreHandler(),
    }
    aliases = {"mix.platform": "platform", "target": "platform", "targets": "platform",
               "loudness": "platform", "mix.file": "mix", "bounce": "mix", "mixdown": "mix"}
