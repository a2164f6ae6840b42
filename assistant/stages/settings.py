"""Explicit values a turn gives — key, tempo, meter, length — as one patch with its
decisions, the same way wherever they are said (an answer, a change, a vibe with a key in it,
a pick with a change on top). A key said without its mode keeps the sheet's mode, else takes
the one the feel suggests, else major."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.stages.base import decision

if TYPE_CHECKING:
    from assistant.dialogue import Slots
    from assistant.stages.base import Ctx


def key_mode(ctx: Ctx, mode: str) -> str:
    """The mode for a key said as "in G": the sheet's, else the feel's, else major."""
    if mode:
        return mode
    if ctx.song.key is not None:
        return ctx.song.key.mode
    found = ctx.suggest()
    return found.keys[0].mode if found and found.keys else "major"


def mmss(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def explicit_values(ctx: Ctx, slots: Slots, *, skip: set[str] | frozenset[str] = frozenset(),
                    why: str = "You chose it.") -> tuple[dict[str, Any], list[dict[str, Any]],
                                                          list[str]]:
    """(patch, decisions, what was said) for the key, tempo, meter and length in `slots`,
    leaving out the fields in `skip` (already set by the answer itself)."""
    patch: dict[str, Any] = {}
    decisions: list[dict[str, Any]] = []
    said: list[str] = []
    if slots.key and "key" not in skip:
        tonic, mode = slots.key
        mode = key_mode(ctx, mode or slots.mode or "")
        patch["key"] = {"tonic": tonic, "mode": mode}
        decisions.append(decision("key", f"{tonic} {mode}", why))
        said.append(f"key {tonic} {mode}")
    elif slots.mode and "key" not in skip and ctx.song.key is not None:
        patch["key"] = {"tonic": ctx.song.key.tonic, "mode": slots.mode}
        decisions.append(decision("key", f"{ctx.song.key.tonic} {slots.mode}", why))
        said.append(f"key {ctx.song.key.tonic} {slots.mode}")
    if slots.tempo and "tempo" not in skip:
        patch["tempo"] = slots.tempo
        decisions.append(decision("tempo", f"{slots.tempo:g} bpm", why))
        said.append(f"tempo {slots.tempo:g} bpm")
    if slots.meter and "meter" not in skip:
        patch["meter"] = slots.meter
        decisions.append(decision("meter", slots.meter, why))
        said.append(f"meter {slots.meter}")
    if slots.length_s and "length_s" not in skip:
        patch["length_s"] = slots.length_s
        decisions.append(decision("length", mmss(slots.length_s), why))
        said.append(f"length about {mmss(slots.length_s)}")
    return patch, decisions, said
