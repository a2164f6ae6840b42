"""Instruments added, removed and swapped, in any stage: "no drums", "add a rhodes",
"swap the piano for a rhodes", "synths and claps", "drop the synth in the verse".

With a section named, the change is made in that section only (muted there, or brought
back); otherwise the song's line-up changes. A line-up with no instruments yet starts from
the genre's usual one, so "no drums" leaves a band without drums, not an empty stage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.stages.base import decision

if TYPE_CHECKING:
    from assistant.coach import Coach
    from assistant.dialogue import Command, Reply


def _entry(coach: Coach, inst_id: str) -> dict[str, Any] | None:
    try:
        inst = coach.kb.get(inst_id)
    except KeyError:
        return None
    return {"name": inst.name, "role": inst.role, "program": inst.program}  # type: ignore[attr-defined]


def current_line_up(coach: Coach) -> list[dict[str, Any]]:
    """The sheet's line-up, or the genre's usual one when there is none yet."""
    if coach.song.instrumentation:
        return [i.model_dump() for i in coach.song.instrumentation]
    from assistant.stages.arrangement import _line_up

    return _line_up(coach._ctx())


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["name"].lower() == b["name"].lower()


def instruments(coach: Coach, command: Command) -> Reply:
    slots = command.slots
    add = [e for e in (_entry(coach, i) for i in slots.add) if e is not None]
    remove = [e for e in (_entry(coach, i) for i in slots.remove) if e is not None]
    if command.edits and command.edits[0].action == "level":
        return coach._arrange(command)  # "bring the bass down to 60% in the verse"
    if slots.section and coach.song.sections and (add or remove):
        done = _in_section(coach, command, add, remove)
        if done is not None:
            return done
    if command.edits and slots.section:
        return coach._arrange(command)
    if not add and not remove:
        return coach._reply("Which instrument? Name it (“piano”, “rhodes”, “strings”, “808”).")
    changed = change_line_up(coach, command, whole=_is_whole_answer(coach, command, add, remove))
    if changed is None:
        names = ", ".join(i.name for i in coach.song.instrumentation)
        return coach._reply(f"The line-up already is: {names}.")
    names, said = changed
    text = f"Line-up: {names} ({said})."
    extra = coach._extra_changes(command, {})  # "3 mins and no drums": the length too
    if extra:
        text += f" {extra}"
    question = coach._question()
    if question is not None and question.slot == "instrumentation" and coach.stage == "arrangement":
        return coach._advance(text + "\n\n")
    return coach._reply(text + (f"\n\n{coach._question_text()}" if question else ""))


def change_line_up(coach: Coach, command: Command, *, whole: bool = False
                   ) -> tuple[str, str] | None:
    """Add and take out the instruments a turn names; (the line-up, what changed), or None
    when nothing did. `whole`: the names are the whole line-up ("just guitar and voice")."""
    slots = command.slots
    add = [e for e in (_entry(coach, i) for i in slots.add) if e is not None]
    remove = [e for e in (_entry(coach, i) for i in slots.remove) if e is not None]
    line_up = current_line_up(coach)
    before = [i["name"] for i in line_up]
    out: list[str] = []
    for gone in remove:
        # "no drums" also takes out a kit named otherwise; "no piano" the chord role's piano
        match = [i for i in line_up if _same(i, gone) or (
            gone["role"] == "drums" and i["role"] == "drums")]
        if not match:
            match = [i for i in line_up if i["role"] == gone["role"] and gone["role"] in (
                "bass", "drums")]
        for item in match:
            line_up.remove(item)
            out.append(item["name"])
    added = []
    for new in add:
        if not any(_same(i, new) for i in line_up):
            line_up.append(new)
            added.append(new["name"])
    if whole:
        line_up = add
        out = [n for n in before if n not in [a["name"] for a in add]]
        added = [a["name"] for a in add if a["name"] not in before]
    names = ", ".join(i["name"] for i in line_up) or "nothing"
    said = []
    if added:
        said.append("added " + ", ".join(added))
    if out:
        said.append("took out " + ", ".join(out))
    if not said and coach.song.instrumentation:
        return None
    if not said:  # the genre's usual line-up has it: that line-up goes on the sheet now
        said.append("it is in the usual line-up already")
    coach._apply({"instrumentation": line_up},
                 [decision("instrumentation", names, f"You said: “{command.text}”.",
                           [*slots.add, *slots.remove])], stage="arrangement")
    return names, "; ".join(said)


def _is_whole_answer(coach: Coach, command: Command, add: list[dict[str, Any]],
                     remove: list[dict[str, Any]]) -> bool:
    """The instruments named are the whole line-up, not additions: "just piano and guitar"
    (with or without "no drums" before it), or a list answering "which instruments?"."""
    question = coach._question()
    words = set(command.slots.words)
    if not add or words & {"add", "plus", "also", "more", "another", "some"}:
        return False
    if words & {"just", "only"}:
        return True
    return not remove and question is not None and question.slot == "instrumentation"


def _family(coach: Coach, name: str) -> str:
    inst = coach.kb.instrument(name)
    return str(getattr(inst, "family", "") or getattr(inst, "role", "")) if inst else ""


def _in_section(coach: Coach, command: Command, add: list[dict[str, Any]],
                remove: list[dict[str, Any]]) -> Reply | None:
    """"Drop the synth in the verse": the instruments of the line-up that are the one named
    (or of its family: a "synth" is the polysynth or the saw lead) stop playing there."""
    from assistant.stages.arrangement import _same as same_section
    from assistant.stages.arrangement import fmt_time, section_map

    line_up = [i.name for i in coach.song.instrumentation] or [
        i["name"] for i in current_line_up(coach)]
    def players(wanted: dict[str, Any]) -> list[str]:
        exact = [n for n in line_up if n.lower() == wanted["name"].lower()]
        family = _family(coach, wanted["name"])
        return exact or [n for n in line_up if family and _family(coach, n) == family]
    out = [n for w in remove for n in players(w)]
    back = [n for w in add for n in players(w)]
    if not out and not back:
        return None
    section = command.slots.section or ""
    sections = [sec.model_dump() for sec in coach.song.sections]
    named = [sec for sec in sections if same_section(sec["name"], section)]
    if not named:
        return coach._reply(f"There's no {section} in this song: {section_map(coach.song.sections)}.")
    for sec in named:
        playing = list(sec["instruments"]) if sec["instruments"] is not None else list(line_up)
        playing = [n for n in playing if n not in out] + [n for n in back if n not in playing]
        sec["instruments"] = playing
    said = [f"no {', '.join(out)} in the {section}"] if out else []
    said += [f"{', '.join(back)} back in the {section}"] if back else []
    coach._apply({"sections": sections},
                 [decision(f"edit: instruments {section}", "; ".join(said),
                           f"You said: “{command.text}”.")], stage="arrangement")
    song = coach.song
    text = (f"{'; '.join(said).capitalize()}.\n\nNow: {section_map(song.sections)} — "
            f"{song.total_bars} bars, {fmt_time(song.duration_s())}.")
    return coach._reply(text + (f"\n\n{coach._question_text()}" if coach._question() else ""))
