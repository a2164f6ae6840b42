"""Conception: the vibe in the user's words, genre, references -> key, tempo and meter to start.

Picking one of the numbered starting points settles the stage: the key, tempo and meter go
on the sheet with the rules that chose them, and the coach moves on to Composition.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from assistant.song import Song
from assistant.stages.base import (
    Choice,
    Ctx,
    SlotHandler,
    StageFlow,
    Step,
    decision,
    examples_line,
    looks_like_words,
    tempo_lean,
)

if TYPE_CHECKING:
    from assistant.dialogue import Parsed
    from assistant.kb.schema import Question


def mood_names(ctx: Ctx, ids: tuple[str, ...]) -> list[str]:
    names = []
    for mood_id in ids:
        try:
            names.append(str(getattr(ctx.kb.get(mood_id), "name", mood_id)))
        except KeyError:
            names.append(mood_id.split(".", 1)[-1])
    return names


def _theme(ctx: Ctx, theme_id: str | None) -> object | None:
    if not theme_id:
        return None
    try:
        return ctx.kb.get(theme_id)
    except KeyError:
        return None


def theme_tip(ctx: Ctx, theme_id: str | None) -> str:
    """The songwriting tip of a story's theme, for the reply."""
    theme = _theme(ctx, theme_id)
    tip = getattr(theme, "tip", "")
    return f"\n\n_Songwriting tip for {getattr(theme, 'name', 'this')}: {tip}_" if tip else ""


def genre_name(ctx: Ctx, genre_id: str | None) -> str | None:
    if not genre_id:
        return None
    try:
        return str(getattr(ctx.kb.get(genre_id), "name", genre_id))
    except KeyError:
        return None


def read_vibe(ctx: Ctx, parsed: Parsed) -> tuple[dict[str, object], list[dict[str, object]], str]:
    """Patch, decisions and a short echo for whatever vibe words a message holds."""
    song = ctx.song
    slots = parsed.slots
    patch: dict[str, object] = {}
    decisions = []
    said: list[str] = []
    found = mood_names(ctx, slots.moods)
    dropped = set(mood_names(ctx, slots.not_moods))
    theme = _theme(ctx, slots.theme)
    if theme is not None:
        # a story brings its leanings: a memorial leans reflective and sad, never danceable
        leanings = mood_names(ctx, tuple(theme.moods))  # type: ignore[attr-defined]
        found = list(dict.fromkeys([*found, *leanings[:max(0, 2 - len(found))]]))
        dropped |= set(mood_names(ctx, tuple(theme.avoid_moods))) - set(  # type: ignore[attr-defined]
            mood_names(ctx, slots.moods))
        patch["theme"] = theme.name  # type: ignore[attr-defined]
        decisions.append(decision("theme", theme.name, theme.why, [theme.id]))  # type: ignore[attr-defined]
        said.append(f"a song about {theme.name}")  # type: ignore[attr-defined]
    if found or dropped:
        moods = [m for m in dict.fromkeys([*song.moods, *found]) if m not in dropped]
        if found and parsed.intent == "answer" and not song.moods:
            moods = [m for m in found if m not in dropped]
        patch["moods"] = moods
        if found:
            decisions.append(decision("moods", ", ".join(moods), "From your own words.",
                                      [*slots.moods]))
            said.append(" and ".join(found))
        if dropped:
            said.append("not " + " or ".join(sorted(dropped)))
    lean = slots.tempo_word or ("slow" if (slots.tempo_delta or 0) < 0 else
                                "fast" if (slots.tempo_delta or 0) > 0 else None)
    if parsed.text and (found or lean or slots.references or theme is not None):
        text = parsed.text.strip()
        if lean and tempo_lean(text) != lean:
            text += f" ({lean})"  # the reading, for the rule engine ("i hate slow songs")
        elif theme is not None and theme.tempo[1] <= 90:  # type: ignore[attr-defined]
            text += " (slow)"  # the theme's tempo leaning
        patch["mood_text"] = text if not song.mood_text else f"{song.mood_text}; {text}"
    known = [r for r in (ctx.kb.find_reference(n) for n in slots.references) if r is not None]
    if known and not slots.genre and not song.genre:
        slots = replace(slots, genre=known[0].genre)  # "like Taylor Swift": her genre
    if known and not found and not song.moods:
        found = mood_names(ctx, tuple(known[0].moods[:2]))  # and her usual feel
        patch["moods"] = [m for m in found if m not in dropped]
        decisions.append(decision("moods", ", ".join(found), f"What {known[0].name} usually "
                                  f"sounds like: {known[0].why}", [known[0].id]))
    genre = genre_name(ctx, slots.genre)
    if genre:
        patch["genre"] = genre
        decisions.append(decision("genre", genre, "You named it.", [slots.genre or ""]))
        said.append(genre)
    refs = [r for r in slots.references
            if not genre or r.lower().replace("-", " ") != genre.lower().replace("-", " ")]
    if refs:
        patch["references"] = list(dict.fromkeys([*song.references, *refs]))
        said.append("like " + ", ".join(refs))
    if lean:
        said.append(lean)
    if slots.title:  # "call it Leaving Home, it's about my hometown"
        patch["title"] = slots.title
        decisions.append(decision("title", slots.title, "You named it."))
        said.append(f"titled “{slots.title}”")
    return patch, decisions, ", ".join(said)


def tempo_for(words: str | None, low: int, high: int, bpm: int) -> int:
    """Honour "very slow"/"fast" inside the suggested range."""
    if words in ("very slow",):
        return low
    if words in ("very fast",):
        return high
    return bpm


def starting_points(ctx: Ctx, seed: int | None = None) -> list[Choice]:
    """Key · tempo · meter choices from the rule engine for the vibe on the sheet."""
    found = ctx.suggest(seed=seed)
    if found is None and (ctx.song.mood_text or ctx.song.references):
        # a tempo or a reference but no mood yet ("i hate slow songs"): neutral starting
        # points that lean the way the words said
        found = ctx.suggest(seed=seed, neutral=True)
    if found is None:
        return []
    song = ctx.song
    if song.key is not None:  # a key the user named: the starting points are in it
        found = ctx.suggest(key=True, seed=seed) or found
    choices = []
    tempo = int(song.tempo) if song.tempo else found.tempo.bpm
    tempo_why = found.tempo.why if not song.tempo else f"{tempo} bpm: the tempo you chose."
    meter = found.meter
    meter_why = found.meter_why
    if any(d.field == "meter" for d in song.decisions) or song.meter != "4/4":
        meter, meter_why = song.meter, f"{song.meter}: the meter you chose."
    for key in found.keys:
        prog = next((p for p in found.progressions), None)
        label = f"{key.tonic} {key.mode} · {tempo} bpm · {meter}"
        why = key.why
        if prog and key is found.keys[0]:
            why += f" Try it over {'–'.join(prog.symbols)}."
        choices.append(
            Choice(
                label=label, why=why,
                rule_ids=tuple(dict.fromkeys([*key.rule_ids, *found.tempo.rule_ids])),
                patch={"key": {"tonic": key.tonic, "mode": key.mode}, "tempo": tempo,
                       "meter": meter},
                decisions=[
                    decision("key", f"{key.tonic} {key.mode}", key.why, key.rule_ids),
                    decision("tempo", f"{tempo} bpm", tempo_why, found.tempo.rule_ids),
                    decision("meter", meter, meter_why),
                ],
                completes_stage=True,
            )
        )
    theme = next((t for t in ctx.kb.themes if t.name == song.theme), None) if song.theme else None
    if theme is not None and theme.modes:
        # a story's modes first: a wedding in a major key before a minor one
        choices.sort(key=lambda c: c.patch["key"]["mode"] not in theme.modes)
    return choices


def explicit(ctx: Ctx, parsed: Parsed) -> dict[str, object]:
    """Key, tempo, meter or length said along with the vibe ("upbeat pop in G, 6/8")."""
    from assistant.stages.settings import explicit_values

    return explicit_values(ctx, parsed.slots)[0]


def _shown(name: str, value: object) -> str:
    if isinstance(value, dict):
        return f"{value['tonic']} {value['mode']}"
    if name == "tempo":
        return f"{value:g} bpm"  # type: ignore[str-format]
    return str(value)


class VibeHandler:
    """"How should the song feel?": moods, genre, references, tempo words, all at once."""

    def filled(self, song: Song) -> bool:
        return False  # the stage ends when a starting point is picked

    def ask(self, ctx: Ctx, question: Question) -> Step:
        if ctx.song.moods or ctx.song.genre:
            choices = starting_points(ctx)
            if choices:
                return Step(
                    "Here is where we were — pick a starting point, or tell me more about "
                    "the feel, a genre or a reference.", choices=choices,
                )
        return Step(f"{question.text}{examples_line(question)}")

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        slots = parsed.slots
        if not (slots.moods or slots.not_moods or slots.genre or slots.references
                or slots.tempo_word or slots.mode or slots.theme or slots.tempo_delta):
            if parsed.intent == "answer" and looks_like_words(parsed.text) and (
                ctx.song.moods or ctx.song.genre
            ):
                return None
            return None
        patch, decisions, said = read_vibe(ctx, parsed)
        # work on a copy so the suggestions see the new words before the coach applies them
        probe = ctx.song.model_copy(update={k: v for k, v in patch.items()})
        sub = Ctx(probe, ctx.kb, ctx.vocab, ctx.seed, ctx._cache)
        given = explicit(sub, parsed)
        if given:
            patch.update(given)
            probe = Song.model_validate({**probe.model_dump(), **given})
            sub = Ctx(probe, ctx.kb, ctx.vocab, ctx.seed, ctx._cache)
            decisions += [decision(k if k != "length_s" else "length", _shown(k, v),
                                   "You chose it.") for k, v in given.items()]
        choices = starting_points(sub)
        if slots.mode:
            choices = sorted(choices, key=lambda c: c.patch["key"]["mode"] != slots.mode)
        if not choices:
            return Step(
                "I couldn't turn that into keys yet. Tell me a feeling — "
                "“sad”, “dreamy”, “energetic” — or a genre like “lo-fi” or “rock”.",
                patch=patch, decisions=decisions,
            )
        head = said[:1].upper() + said[1:] if said else "Got it"
        hint = ""
        if not probe.genre:
            hint = " Or name a genre or a reference (a song, an artist) to narrow it down."
        text = (
            f"{head}. Here are starting points — each is a key, a tempo and a meter."
            f" Pick a number, “play 2”, “why 1”, or “more”.{hint}{theme_tip(ctx, slots.theme)}"
        )
        return Step(text, choices=choices, patch=patch, decisions=decisions)


class GenreHandler(VibeHandler):
    def filled(self, song: Song) -> bool:
        return song.genre is not None

    def ask(self, ctx: Ctx, question: Question) -> Step:
        if ctx.song.moods:
            return super().ask(ctx, question)
        # "Say 'not sure' and I will suggest some": the genres, each with its why
        choices = [
            Choice(label=f"{g.name} · {g.tempo[0]}-{g.tempo[1]} bpm", why=g.why, rule_ids=(g.id,),
                   patch={"genre": g.name},
                   decisions=[decision("genre", g.name, g.why, [g.id])])
            for g in ctx.kb.genres
        ]
        return Step(f"{question.text}{examples_line(question)}", choices=choices)


class ReferencesHandler(VibeHandler):
    takes_any_words = True

    def filled(self, song: Song) -> bool:
        return bool(song.references)

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        step = super().answer(ctx, question, parsed)
        if step is not None or parsed.intent != "answer" or not looks_like_words(parsed.text):
            return step
        # asked for references, any words are one ("Someone Like You by Adele")
        ref = parsed.text.strip()[:80]
        refs = list(dict.fromkeys([*ctx.song.references, ref]))
        return Step(f"Reference noted: {ref}.", patch={"references": refs}, answered=True,
                    decisions=[decision("references", ", ".join(refs), "Your reference.")])


class TitleHandler:
    takes_any_words = True

    def filled(self, song: Song) -> bool:
        return any(d.field == "title" for d in song.decisions)

    def ask(self, ctx: Ctx, question: Question) -> Step:
        return Step(f"{question.text}{examples_line(question)}")

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        title = parsed.slots.title or parsed.text.strip().strip("\"'“”")
        if parsed.intent not in ("answer", "change") or not title or len(title) > 60:
            return None
        return Step(f"Working title: “{title}”.", patch={"title": title}, answered=True,
                    decisions=[decision("title", title, "Your working title.")])


class Conception(StageFlow):
    name = "conception"
    handlers: dict[str, SlotHandler] = {
        "moods": VibeHandler(), "genre": GenreHandler(), "references": ReferencesHandler(),
        "title": TitleHandler(),
    }
    aliases = {
        "mood": "moods", "mood_text": "moods", "vibe": "moods", "feel": "moods",
        "reference": "references", "refs": "references", "genres": "genre", "name": "title",
    }
