"""Arrangement: song length, the structure (a section map with bars and energy), the line-up,
and edits to the map ("add a pre-chorus", "make the verse 16 bars", "drop the bridge",
"duplicate the chorus", "no drums in the intro", "bring the bass down to 60% in the verse").
"play" here renders the full demo; the render writes levels as CC11 automation.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, NamedTuple

from assistant.song import Song
from assistant.stages.base import (
    Choice,
    Ctx,
    SlotHandler,
    StageFlow,
    Step,
    decision,
    examples_line,
)

if TYPE_CHECKING:
    from assistant.dialogue import Parsed, SectionEdit
    from assistant.kb.schema import Question, Structure

# Bars and energy for a section the user adds by name.
NEW_SECTION: dict[str, tuple[int, int]] = {
    "intro": (4, 2), "verse": (8, 3), "pre-chorus": (4, 3), "chorus": (8, 4),
    "post-chorus": (4, 4), "hook": (8, 4), "bridge": (8, 3), "solo": (8, 4),
    "breakdown": (8, 2), "build": (8, 3), "drop": (16, 5), "interlude": (4, 2), "outro": (4, 2),
    "a": (8, 3), "b": (8, 3),
}
LENGTH_CHOICES = ((150, "about 2½ minutes", "Short and to the point: common for lo-fi, punk "
                   "and streaming-era pop."),
                  (180, "about 3 minutes", "Radio length: room for two verses, three choruses "
                   "and a bridge."),
                  (240, "about 4 minutes", "Room to stretch: a longer intro, a solo or an "
                   "extended outro."))


def fmt_time(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def scaled_sections(structure: Structure, song: Song) -> list[dict[str, Any]]:
    """The template's sections fitted toward the asked length, keeping musical bar counts.

    Too long: merge back-to-back repeats, then shorten sections longer than 8 bars in 4-bar
    steps. Too short: repeat the last chorus, then lengthen verses up to 16 bars.
    """
    sections: list[dict[str, Any]] = [
        {"name": s.name, "bars": s.bars, "energy": s.energy} for s in structure.sections
    ]
    if not song.length_s:
        return sections
    bar_s = song.beats_per_bar * 60.0 / (song.tempo or 100.0)
    target = song.length_s / bar_s

    def total() -> int:
        return sum(int(s["bars"]) for s in sections)

    for _ in range(64):
        if total() <= target * 1.2:
            break
        repeat = next((i for i in range(1, len(sections))
                       if sections[i]["name"] == sections[i - 1]["name"]), None)
        if repeat is not None:
            del sections[repeat]
            continue
        long = [i for i, s in enumerate(sections) if int(s["bars"]) > 8]
        if not long:
            break  # 8-bar sections are the musical floor; a little long beats lopsided
        sections[long[-1]]["bars"] = int(sections[long[-1]]["bars"]) - 4
    grew = False
    for _ in range(64):
        if total() >= target * 0.85:
            break
        chorus = [i for i, s in enumerate(sections) if s["name"] in ("chorus", "hook", "drop")]
        if chorus and not grew:
            last = chorus[-1]
            sections.insert(last + 1, dict(sections[last]))
            grew = True
            continue
        verses = [s for s in sections if s["name"] in ("verse", "a") and int(s["bars"]) < 16]
        if not verses:
            break  # only verses stretch: a longer intro or chorus just drags
        verses[0]["bars"] = int(verses[0]["bars"]) + 4
    return sections


def section_map(sections: list[dict[str, Any]] | list[Any]) -> str:
    parts = []
    for s in sections:
        name, bars = (s["name"], s["bars"]) if isinstance(s, dict) else (s.name, s.bars)
        parts.append(f"{name.title()} {bars}")
    return " · ".join(parts)


def structure_choices(ctx: Ctx) -> list[Choice]:
    from assistant.kb.schema import Structure

    song = ctx.song
    genre = ctx.kb.find_genre(song.genre) if song.genre else None
    ordered: list[Structure] = []
    if genre:
        for sid in genre.structures:
            try:
                entry = ctx.kb.get(sid)
            except KeyError:
                continue
            if isinstance(entry, Structure):
                ordered.append(entry)
    # without a genre: forms whose energy matches the moods', verse-chorus forms first
    moods = [m for m in (ctx.kb.find_mood(n) for n in song.moods) if m is not None]
    energy = sum(m.energy for m in moods) / len(moods) if moods else 3.0

    bar_s = song.beats_per_bar * 60.0 / (song.tempo or 100.0)

    def rank(s: Structure) -> tuple[bool, float, str]:
        mean = sum(x.energy for x in s.sections) / len(s.sections)
        fit = 0.0  # how far the fitted form lands from the asked length, as a fraction
        if song.length_s:
            seconds = sum(int(x["bars"]) for x in scaled_sections(s, song)) * bar_s
            fit = abs(seconds - song.length_s) / song.length_s
        return (not ({"verse", "chorus"} <= {x.name for x in s.sections}),
                round(fit + 0.15 * abs(mean - energy), 2), s.id)

    rest = sorted(ctx.kb.structures, key=rank)
    ordered += [s for s in rest if s not in ordered]
    line_up = _line_up(ctx)
    tempo = song.tempo or 100.0
    choices = []
    for structure in ordered:
        sections = scaled_sections(structure, song)
        bars = sum(int(s["bars"]) for s in sections)
        seconds = bars * song.beats_per_bar * 60.0 / tempo
        why = structure.why
        ids = [structure.id]
        if genre and structure.id in genre.structures:
            why = f"The typical form in {genre.name}. {why}"
            ids.append(genre.id)
        plans = section_progressions(song, sections)
        patch: dict[str, Any] = {"structure": structure.id, "sections": sections}
        if line_up and not song.instrumentation:
            patch["instrumentation"] = line_up
        if plans:
            why += (" " + "; ".join(f"{p.kind.title()} {p.line}" for p in plans)
                    + ": a progression of its own after the verse, as real songs move between "
                    "sections.")
            ids += [i for p in plans for i in p.rule_ids if i not in ids]
        choices.append(Choice(
            label=f"{structure.name}: {section_map(sections)} · {bars} bars · {fmt_time(seconds)}",
            why=why, rule_ids=tuple(ids), patch=patch, preview_bars=None,
            detail="\n".join(f"- **{p.kind.title()}** {p.line}: {p.why} (rules "
                              f"{', '.join(f'`{i}`' for i in p.rule_ids)})." for p in plans),
            decisions=[decision("structure", structure.name, why, ids)] + [
                decision(f"{p.kind} progression", " ".join(p.numerals), p.why, p.rule_ids)
                for p in plans if not p.picked],
        ))
    return choices


class SectionPlan(NamedTuple):
    kind: str
    numerals: tuple[str, ...]
    line: str
    """The chords as shown: symbols and numerals."""
    why: str
    rule_ids: tuple[str, ...]
    picked: bool = False
    """Chosen before (Composition's "chords for the chorus", or an earlier structure)."""


def section_progressions(song: Song, sections: list[dict[str, Any]]) -> list[SectionPlan]:
    """Fills each pre-chorus, chorus and bridge of `sections` with a progression that follows
    the verse (the song's progression), learned from the Billboard section labels; kinds the
    user already picked a progression for keep it."""
    if not song.progression or song.key is None:
        return []
    from assistant.composition.sections import plan_sections, section_kind_of
    from assistant.errors import CoachError
    from assistant.stages.music import chord_line

    picks = {d.field.removesuffix(" progression"): d for d in song.decisions
             if d.field.endswith(" progression") and d.field != "progression"}
    chosen = {kind: d.value.split() for kind, d in picks.items()}
    try:
        made = plan_sections(sections, song.progression, song.key.mode, chosen)
    except CoachError:
        return []  # no section statistics: every section plays the song's progression
    present = {section_kind_of(str(s.get("name", ""))) for s in sections}
    kept = [SectionPlan(kind, tuple(d.value.split()), chord_line(d.value.split(), song.key),
                        f"kept from before; {d.why}", tuple(d.rule_ids), picked=True)
            for kind, d in picks.items() if kind in present]
    return kept + [SectionPlan(kind, found.numerals, chord_line(list(found.numerals), song.key),
                               found.why, found.rule_ids) for kind, found in made]


def _line_up(ctx: Ctx) -> list[dict[str, Any]]:
    try:
        from assistant.rules import instruments_for

        genre = ctx.kb.find_genre(ctx.song.genre) if ctx.song.genre else None
        moods = tuple(m for m in (ctx.kb.find_mood(n) for n in ctx.song.moods) if m)
        line_up = instruments_for(genre, moods, ctx.kb)
    except Exception:  # no line-up is better than no structure
        return []
    # several moods each bring their favourites: a band plays one part per role
    kept: dict[str, dict[str, Any]] = {}
    for inst in line_up:
        kept.setdefault(inst.role, inst.model_dump())
    order = ("chords", "bass", "drums", "pad", "melody", "lead", "fx")
    return sorted(kept.values(), key=lambda i: order.index(i["role"]))[:5]


class LengthHandler:
    def filled(self, song: Song) -> bool:
        return song.length_s is not None

    def ask(self, ctx: Ctx, question: Question) -> Step:
        choices = [Choice(label=label, why=why, patch={"length_s": secs},
                          decisions=[decision("length", fmt_time(secs), why)])
                   for secs, label, why in LENGTH_CHOICES]
        return Step(f"{question.text}{examples_line(question)}", choices=choices)

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        seconds = parsed.slots.length_s
        if seconds is None:
            return None
        return Step(f"About {fmt_time(seconds)}.", patch={"length_s": seconds}, answered=True,
                    decisions=[decision("length", fmt_time(seconds), "You asked for it.")])


class StructureHandler:
    def filled(self, song: Song) -> bool:
        return bool(song.sections)

    def ask(self, ctx: Ctx, question: Question) -> Step:
        text = (f"{question.text} Section maps with bars per section (energy rises toward "
                f"the choruses) — “play 1” renders the whole demo.{examples_line(question)}")
        return Step(text, choices=structure_choices(ctx))

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        from assistant.understanding.text import normalise

        words = set(normalise(parsed.text).split()) - {"with", "and", "the", "a"}
        if not words:
            return None
        for choice in structure_choices(ctx):
            name = set(normalise(choice.label.split(":", 1)[0]).split())
            if words <= name:
                return Step(f"{choice.label}.", patch=choice.patch, answered=True,
                            decisions=choice.decisions)
        return None


class InstrumentationHandler:
    def filled(self, song: Song) -> bool:
        return bool(song.instrumentation) and any(
            d.field == "instrumentation" for d in song.decisions)

    def ask(self, ctx: Ctx, question: Question) -> Step:
        line_up = ctx.song.instrumentation or []
        current = ", ".join(f"{i.name} ({i.role})" for i in line_up) or "none yet"
        choices = []
        suggested = _line_up(ctx)
        if suggested:
            names = ", ".join(i["name"] for i in suggested)
            choices.append(Choice(label=f"Line-up: {names}", why="The genre's usual line-up, "
                                  "with chords, bass and drums always covered.",
                                  patch={"instrumentation": suggested},
                                  decisions=[decision("instrumentation", names,
                                                      "The genre's usual line-up.")]))
        return Step(f"{question.text} Now: {current}. Name instruments to use "
                    f"(“piano, bass, drums, strings”).{examples_line(question)}", choices=choices)

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        found: list[dict[str, Any]] = []
        words = list(parsed.slots.words)
        # two-word names first ("electric piano"), then single words
        for size in (2, 1):
            for i in range(len(words) - size + 1):
                inst = ctx.kb.instrument(" ".join(words[i:i + size]))
                if inst and all(f["name"] != inst.name for f in found):
                    found.append({"name": inst.name, "role": inst.role,
                                  "program": inst.program})
        if not found:
            return None
        adding = bool(words) and words[0] in ("add", "plus", "also", "and", "with")
        if adding:
            current = [i.model_dump() for i in ctx.song.instrumentation]
            found = current + [f for f in found if all(c["name"] != f["name"] for c in current)]
        names = ", ".join(f["name"] for f in found)
        return Step(f"Line-up: {names}.", patch={"instrumentation": found}, answered=True,
                    decisions=[decision("instrumentation", names, "You chose them.")])


# --- edits -----------------------------------------------------------------------------------
def apply_edit(song: Song, edit: SectionEdit) -> tuple[list[dict[str, Any]] | None, str]:
    """New sections for an edit (None when it cannot apply) and what to tell the user."""
    sections = [s.model_dump() for s in song.sections]
    named = [i for i, s in enumerate(sections) if _same(s["name"], edit.section)]
    label = edit.section.title() if len(edit.section) > 1 else edit.section.upper()
    if edit.action == "add":
        bars, energy = NEW_SECTION.get(edit.section, (8, 3))
        bars = edit.bars or bars
        new = {"name": edit.section, "bars": bars, "energy": energy}
        if edit.where:
            side, ref = edit.where
            spots = [i for i, s in enumerate(sections) if _same(s["name"], ref)]
            if not spots:
                return None, f"There is no {ref} to put it {side}: {section_map(sections)}."
            sections.insert(spots[-1] + 1 if side == "after" else spots[-1], new)
            return sections, f"Added a {bars}-bar {edit.section} {side} the last {ref}."
        if edit.section == "pre-chorus":
            choruses = [i for i, s in enumerate(sections) if _same(s["name"], "chorus")]
            for offset, i in enumerate(choruses):
                sections.insert(i + offset, dict(new))
            if choruses:
                return sections, f"Added a {bars}-bar pre-chorus before each chorus."
        if edit.section == "intro":
            sections.insert(0, new)
        elif edit.section == "outro" or not sections:
            sections.append(new)
        else:
            bridge_at = next(
                (i for i, s in enumerate(sections) if _same(s["name"], "bridge")), None)
            at = None
            if bridge_at is not None and edit.section != "bridge":
                at = bridge_at + 1
            if at is None:
                # before the last chorus, where a new section usually goes
                choruses = [i for i, s in enumerate(sections) if _same(s["name"], "chorus")]
                at = choruses[-1] if choruses else len(sections)
            sections.insert(at, new)
        return sections, f"Added a {bars}-bar {edit.section}."
    if not named:
        have = section_map(sections) or "no sections yet"
        return None, f"There is no {edit.section} in the song ({have})."
    if edit.action == "remove":
        if len(sections) - len(named) < 1:
            return None, "That would leave no sections at all."
        sections = [s for i, s in enumerate(sections) if i not in named]
        return sections, f"Dropped the {edit.section} ({len(named)}×)."
    if edit.action == "bars":
        for i in named:
            now = int(sections[i]["bars"])
            if edit.bars is not None:
                bars = edit.bars
            elif edit.delta < 0:  # shorter: 4 bars less, or half of a short section
                bars = now - 4 if now > 4 else max(1, now // 2)
            else:
                bars = now + 4 if now >= 4 else now * 2
            sections[i]["bars"] = max(1, min(256, bars))
        sizes = sorted({int(sections[i]["bars"]) for i in named})
        unit = "bar" if sizes == [1] else "bars"
        return sections, f"Every {edit.section} is now {'/'.join(map(str, sizes))} {unit}."
    if edit.action == "energy":
        for i in named:
            sections[i]["energy"] = max(1, min(5, int(sections[i]["energy"]) + edit.delta))
        word = "more" if edit.delta > 0 else "less"
        return sections, f"{label}: {word} energy (now {sections[named[0]]['energy']}/5)."
    if edit.action == "duplicate":
        last = named[-1]
        sections.insert(last + 1, copy.deepcopy(sections[last]))
        count = len(named) + 1
        return sections, (f"Duplicated the {edit.section}: the copy follows the last one "
                          f"({count}× now).")
    line_up = song.instrumentation
    role = edit.instrument or ""
    players = [i.name for i in line_up if i.role == role or role in i.name.lower()]
    if role == "chords" and not players:
        players = [i.name for i in line_up if i.role == "pad"]
    if not players:
        names = ", ".join(i.name for i in line_up) or "no instruments yet"
        return None, f"No {role} in the line-up ({names})."
    who = "" if players == [role] else f" ({', '.join(players)})"
    if edit.action == "level":
        return _set_level(sections, named, players, edit, f"{role}{who}")
    everyone = [i.name for i in line_up]
    for i in named:
        current = sections[i]["instruments"]
        playing = list(current) if current is not None else list(everyone)
        if edit.action == "mute":
            playing = [p for p in playing if p not in players]
        else:
            playing += [p for p in players if p not in playing]
        sections[i]["instruments"] = playing
    verb = "No" if edit.action == "mute" else "Added"
    where = "in" if edit.action == "mute" else "to"
    return sections, f"{verb} {role}{who} {where} the {edit.section}."


LEVEL_STEP = 0.25  # "turn the drums down in the verse": a quarter of full level


def _set_level(sections: list[dict[str, Any]], named: list[int], players: list[str],
               edit: SectionEdit, who: str) -> tuple[list[dict[str, Any]], str]:
    """A level (0..1) per instrument in the named sections; written as CC11 automation with a
    short ramp at the section's start when the render makes the MIDI."""
    values = set()
    for i in named:
        levels = dict(sections[i].get("levels") or {})
        for name in players:
            now = float(levels.get(name, 1.0))
            value = edit.level if edit.level is not None else now + LEVEL_STEP * edit.delta
            levels[name] = round(max(0.0, min(1.0, value)), 2)
            values.add(levels[name])
        sections[i]["levels"] = levels
    shown = "/".join(f"{round(v * 100)}%" for v in sorted(values))
    times = f" ({len(named)}×)" if len(named) > 1 else ""
    return sections, (f"{who[:1].upper()}{who[1:]} at {shown} of full level in the "
                      f"{edit.section}{times}; it ramps there over a beat.")


def _same(name: str, wanted: str) -> bool:
    a = name.lower().replace(" ", "-")
    b = wanted.lower().replace(" ", "-")
    return a == b or a.rstrip("0123456789 ") == b


class Arrangement(StageFlow):
    name = "arrangement"
    handlers: dict[str, SlotHandler] = {
        "length_s": LengthHandler(), "structure": StructureHandler(),
        "instrumentation": InstrumentationHandler(),
    }
    aliases = {
        "length": "length_s", "duration": "length_s", "sections": "structure",
        "form": "structure", "instruments": "instrumentation", "line_up": "instrumentation",
        "lineup": "instrumentation",
    }
