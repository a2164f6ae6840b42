"""Editing: the user's MIDI or audio takes: timing, quantize, and comping and cleanup.

A MIDI take the user names is analysed (`analysis.midi_take.analyze_midi`: key, tempo, meter,
range, timing against the grid); the coach proposes quantize settings matched to the genre
(`suggest_quantize` with the genre's `quantize_strength` and `swing` from the knowledge base)
and applies them when the user agrees ("yes", a number, "60%", "tight"): `edit.quantize`
writes a new file next to the take — never over it — and the reply shows the timing before
and after. An audio take gets the level check of the Recording stage and the cleanup steps.
Arrangement edits on the sheet ("duplicate the chorus", "bring the bass down to 60% in the
verse") work here as in every stage once there is a structure (see `arrangement.apply_edit`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.song import Song
from assistant.stages.base import (
    Choice,
    Ctx,
    PathHandler,
    SlotHandler,
    StageFlow,
    Step,
    ToolHook,
    decision,
    examples_line,
    register_tool,
)
from assistant.stages.files import find_file, kind_of, output_beside

if TYPE_CHECKING:
    from assistant.dialogue import Parsed
    from assistant.kb.schema import Question

TAKE = "edit.take"
"""Memo: the take analysed last ({path, kind, and for MIDI the proposal})."""
OFFER = "~edit.offer"
"""Memo: a quantize proposal waiting for a yes."""


def genre_feel(ctx: Ctx) -> tuple[float, float, tuple[str, ...], str]:
    """(quantize strength, swing, rule ids, genre name) from the knowledge base."""
    genre = ctx.kb.find_genre(ctx.song.genre) if ctx.song.genre else None
    if genre is None:
        return 0.8, 0.5, (), "most pop"
    return genre.quantize_strength, genre.swing, (genre.id,), genre.name


def quantize_choices(ctx: Ctx) -> list[Choice]:
    """Settings in numbers when there is no MIDI take to apply them to."""
    strength, swing, ids, name = genre_feel(ctx)
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
            say="Apply it to a MIDI take with `coach quantize TAKE.mid -o OUT.mid --strength "
                f"{s:.2f} --swing {sw:.2f}`, or give me the take's path.",
        ))
    return choices


def _swing_text(swing: float) -> str:
    return "straight" if swing == 0.5 else f"swing {swing:.2f}"


def take_choices(ctx: Ctx, take: dict[str, Any]) -> list[Choice]:
    """Three quantize settings for the analysed take, the genre-matched proposal first."""
    from assistant.analysis.midi_tempo import GRIDS

    grid, strength, swing = take["grid"], float(take["strength"]), float(take["swing"])
    triplet = GRIDS.get(grid, (4, False))[1]
    _, _, ids, name = genre_feel(ctx)
    options = [
        (strength, swing, f"Suggested for {name}: {take['why']}."),
        (1.0, 0.5, "Fully on the grid and straight: for programmed or electronic parts."),
        (max(0.3, round(strength - 0.3, 2)), swing if triplet else max(swing, 0.56),
         "Looser, with a little swing: tightens the worst notes and keeps a played feel."),
    ]
    choices = []
    for s, sw, why in options:
        label = f"Quantize to {grid} at {round(s * 100)}%, {_swing_text(sw)}"
        choices.append(Choice(label=label, why=why, rule_ids=ids,
                              action=f"quantize:{grid}:{s:g}:{sw:g}"))
    return choices


# --- the take --------------------------------------------------------------------------------
def take_step(ctx: Ctx, text: str, *, answered: bool) -> Step:
    path, exists = find_file(text)
    kind = kind_of(path)
    if kind in ("other", "compressed") and exists:
        return Step(f"`{path.name}` is not a take I can read: give a MIDI file (.mid) or "
                    "audio (WAV, FLAC, AIFF).", keep_choices=True)
    if not exists:
        return Step(f"I can't find `{path}`. Give the path of a MIDI (.mid) or audio take, "
                    "relative to the folder you started the coach in, or say “skip”.",
                    keep_choices=True)
    if kind == "audio":
        return _audio_take(ctx, path, answered=answered)
    from assistant.analysis.midi_take import analyze_midi, format_midi_report, suggest_quantize
    from assistant.errors import CoachError

    try:
        result = analyze_midi(path)
    except CoachError as error:
        return Step(f"I couldn't read that take: {error}.", keep_choices=True)
    strength, swing, _, name = genre_feel(ctx)
    proposal = suggest_quantize(swing, strength, result)
    take = {"path": str(path), "kind": "midi", "grid": proposal["grid"],
            "strength": proposal["strength"], "swing": proposal["swing"],
            "why": proposal["why"], "apply": bool(proposal["apply"])}
    report = format_midi_report(result)
    lines = [f"**{path.name}**", "", *(f"    {line}" for line in report.splitlines()[1:]), ""]
    if result.get("timing") is None:
        lines.append("There are no notes to quantize in it.")
        return Step("\n".join(lines), answered=answered, keep_choices=True,
                    then_ask=not answered, memo={TAKE: take, OFFER: None})
    setting = (f"{proposal['grid']} at {proposal['strength']:.0%}, "
               f"{_swing_text(proposal['swing'])}")
    if proposal["apply"]:
        lines.append(f"**I suggest quantizing to {setting}** for {name}: {proposal['why']}. "
                     "Say “yes” (or pick a setting) and I'll write a quantized copy next to "
                     "the take; the take itself stays as it is.")
    else:
        lines.append(f"No need to quantize: {proposal['why']}. If you want it tighter anyway, "
                     "pick a setting.")
    timing = result["timing"]
    key = result.get("key") or {}
    found = (f"{key.get('tonic', '?')} {key.get('mode', '')}, " if key else "") + \
        f"{result['tempo_bpm']:g} bpm, {timing['mean_abs_deviation_ms']:.0f} ms off the " \
        f"{timing['grid']} grid on average"
    return Step("\n".join(lines), choices=take_choices(ctx, take), answered=answered,
                memo={TAKE: take, OFFER: True if proposal["apply"] else None},
                decisions=[decision("take", path.name, f"Analysed: {found}.")])


def _audio_take(ctx: Ctx, path: Path, *, answered: bool) -> Step:
    from assistant.analysis.audio_report import analyze_audio
    from assistant.errors import CoachError
    from assistant.stages.recording import take_report

    try:
        result = analyze_audio(path, stage="recording", kb=ctx.kb)
    except CoachError as error:
        return Step(f"I couldn't read that take: {error}.", keep_choices=True)
    text = (take_report(result) + "\n\nAudio takes are edited by hand in your DAW: comp the "
            "best phrases from several takes, crossfade every cut (5–10 ms), turn breaths "
            "down rather than cutting them, and fade each clip in and out. Quantizing needs "
            "the MIDI of a part — give me a .mid take for that.")
    return Step(text, answered=answered, keep_choices=True, then_ask=not answered,
                memo={TAKE: {"path": str(path), "kind": "audio"}, OFFER: None},
                decisions=[decision("take", path.name, "Level check of an audio take.")])


# --- quantize --------------------------------------------------------------------------------
def quantize_step(ctx: Ctx, grid: str, strength: float, swing: float, *,
                  answered: bool) -> Step:
    """Quantize the analysed MIDI take into a new file and show the timing before and after."""
    take = ctx.memo.get(TAKE) or {}
    if take.get("kind") != "midi":
        return Step("Give me a MIDI take first (its path), then I can quantize it.",
                    keep_choices=True)
    source = Path(take["path"])
    from assistant.analysis.midi_take import compare_timing
    from assistant.edit.quantize import quantize_file
    from assistant.errors import CoachError

    try:
        target = output_beside(source, f"{source.stem}-quantized.mid", "edits")
        summary = quantize_file(source, target, grid=grid, strength=strength, swing=swing)
        swing_cmp = compare_timing(source, target, grid)
    except CoachError as error:
        return Step(f"I couldn't quantize it: {error}.", keep_choices=True)
    before, after = summary["timing_before"], summary["timing_after"]
    label = f"{grid} at {strength:.0%}, {_swing_text(swing)}"
    text = "\n".join([
        f"Quantized {summary['notes']} notes to {label}: {summary['moved']} moved, by "
        f"{summary['mean_shift_ms']:.1f} ms on average (at most {summary['max_shift_ms']:.1f} "
        f"ms). Wrote `{target}` — the take itself is unchanged.",
        "",
        "| timing | before | after |",
        "|---|---|---|",
        f"| mean distance from the {grid} grid | {before['mean_abs_deviation_ms']:.1f} ms | "
        f"{after['mean_abs_deviation_ms']:.1f} ms |",
        f"| onsets within 10 ms of it | {before['on_grid_ratio']:.0%} | "
        f"{after['on_grid_ratio']:.0%} |",
        f"| swing | {swing_cmp['before']['swing']:.2f} | {swing_cmp['after']['swing']:.2f} |",
    ])
    return Step(
        text, answered=answered, then_ask=not answered,
        memo={TAKE: {**take, "output": str(target)}, OFFER: None},
        patch={"+notes": f"Quantized take: {target}"},
        decisions=[decision("quantize", f"{label} → {target.name}",
                            f"Mean deviation {before['mean_abs_deviation_ms']:.1f} → "
                            f"{after['mean_abs_deviation_ms']:.1f} ms.")],
    )


def act_quantize(ctx: Ctx, argument: str) -> Step:
    grid, strength, swing = argument.split(":")
    return quantize_step(ctx, grid, float(strength), float(swing),
                         answered=ctx.slot == "quantize")


_APPLY = re.compile(r"^(?:yes|yeah|yep|sure|ok|okay|do it|apply it|apply|go ahead|"
                    r"quantize it|quantise it|please do|sounds good)\b")
_QUANTIZE = re.compile(r"\bquanti[sz]e\b")
_GRID = re.compile(r"(?<![\d/])1/(4|8|16|32)(t?)\b")
_PERCENT = re.compile(r"(?<!swing )(?<!swing at )\b(\d{1,3})\s*%")
_SWING = re.compile(r"\bswing(?:\s+(?:at|of|to))?\s+(0?\.\d+|\d{2})\s*%?")


def settings_from_text(text: str, take: dict[str, Any]) -> tuple[str, float, float] | None:
    """Grid, strength and swing said in words ("quantize 1/16 at 70% swing 60"), the
    proposal filling in the rest; None when nothing in the text sets any of them."""
    grid, strength, swing = take["grid"], float(take["strength"]), float(take["swing"])
    said = False
    match = _GRID.search(text)
    if match:
        grid, said = f"1/{match.group(1)}{match.group(2)}", True
    match = _SWING.search(text)
    if match:
        value = float(match.group(1))
        swing, said = (value / 100 if value > 1 else value), True
    match = _PERCENT.search(text)
    if match and 0 <= int(match.group(1)) <= 100:
        strength, said = int(match.group(1)) / 100, True
    if re.search(r"\b(tight|tighter|exact|strict|fully|robotic)\b", text):
        strength, said = 1.0, True
    elif re.search(r"\b(loose|looser|feel|human|natural)\b", text):
        strength, said = max(0.3, round(strength - 0.3, 2)), True
    if re.search(r"\bstraight\b", text):
        swing, said = 0.5, True
    return (grid, strength, swing) if said else None


def run_take(ctx: Ctx, parsed: Parsed) -> Step | None:
    text = " ".join(parsed.text.lower().strip(" .!?").split())
    if parsed.slots.path and parsed.intent in ("answer", "question", "change", "tool"):
        return take_step(ctx, parsed.slots.path, answered=ctx.slot == "take")
    take = ctx.memo.get(TAKE) or {}
    if take.get("kind") != "midi":
        return None
    if ctx.memo.get(OFFER) and (parsed.intent == "yes" or _APPLY.match(text)):
        return quantize_step(ctx, take["grid"], float(take["strength"]), float(take["swing"]),
                             answered=ctx.slot == "quantize")
    if _QUANTIZE.search(text):
        settings = settings_from_text(text, take) or (
            take["grid"], float(take["strength"]), float(take["swing"]))
        return _checked_quantize(ctx, *settings)
    return None


def _checked_quantize(ctx: Ctx, grid: str, strength: float, swing: float) -> Step:
    from assistant.analysis.midi_tempo import check_swing, parse_grid
    from assistant.edit.quantize import check_strength
    from assistant.errors import CoachError

    try:
        grid = parse_grid(grid)
        check_strength(strength)
        check_swing(swing, grid)
    except CoachError as error:
        return Step(f"{error}.", keep_choices=True)
    return quantize_step(ctx, grid, strength, swing, answered=ctx.slot == "quantize")


class TakeHandler(PathHandler):
    """A take to analyse (the same as naming it at any turn of the stage)."""

    prompt = "Give the path of a MIDI (.mid) or audio take, or say “skip”."

    def on_path(self, ctx: Ctx, path: str) -> Step:
        return take_step(ctx, path, answered=True)


class QuantizeHandler:
    def filled(self, song: Song) -> bool:
        """Settled by a quantize decision made after the last take was analysed (a new
        take opens the question again)."""
        fields = [d.field for d in song.decisions if d.stage == "editing"]
        if "quantize" not in fields:
            return False
        return "take" not in fields or fields.index("quantize") > fields.index("take")

    def ask(self, ctx: Ctx, question: Question) -> Step:
        take = ctx.memo.get(TAKE) or {}
        if take.get("kind") == "midi" and take.get("grid"):
            return Step(f"{question.text} Pick a setting for {Path(take['path']).name}, or "
                        f"say it (“70%”, “tight”, “1/16 swing 0.6”).",
                        choices=take_choices(ctx, take))
        return Step(f"{question.text}{examples_line(question)}", choices=quantize_choices(ctx))

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        text = parsed.text.lower()
        take = ctx.memo.get(TAKE) or {}
        if take.get("kind") == "midi" and take.get("grid"):
            settings = settings_from_text(text, take)
            if settings is None and re.search(r"\b(medium|normal|default|usual|genre|"
                                              r"middle|suggested)\b", text):
                settings = (take["grid"], float(take["strength"]), float(take["swing"]))
            return None if settings is None else _checked_quantize(ctx, *settings)
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


register_tool("editing", ToolHook(
    "quantize", run_take, act=act_quantize, intents=frozenset({"yes"}),
    help="name a take (“takes/piano.mid”) — key, tempo, timing; then “yes” or a number to "
         "quantize a copy; “quantize 1/16 at 70%” to choose",
))
