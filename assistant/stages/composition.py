"""Composition: key, tempo and meter (when Conception left them open), the progression,
melody ideas and the singer's range.

The tools (next chords, harmonizing a typed melody, motif sketches, the range check) are
`composing.py`'s hooks; here a typed melody ("E4 D4 C4/2") goes on the sheet with its
durations, and typed chords become the progression.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.song import MODES, Song
from assistant.stages.base import (
    Choice,
    Ctx,
    SlotHandler,
    StageFlow,
    Step,
    decision,
    examples_line,
    tempo_check,
)
from assistant.stages.composing import range_report, range_step, read_melody, read_range
from assistant.stages.music import chord_line, read_chords

if TYPE_CHECKING:
    from assistant.dialogue import Parsed
    from assistant.kb.schema import Question

TEMPO_WORDS = {"very slow": 62, "slow": 74, "medium": 98, "fast": 124, "very fast": 148}


def key_patch(tonic: str, mode: str) -> dict[str, object]:
    return {"key": {"tonic": tonic, "mode": mode}}


class KeyHandler:
    def filled(self, song: Song) -> bool:
        return song.key is not None

    def ask(self, ctx: Ctx, question: Question) -> Step:
        found = ctx.suggest()
        choices = []
        for key in found.keys if found else ():
            choices.append(Choice(
                label=f"{key.tonic} {key.mode}", why=key.why, rule_ids=key.rule_ids,
                patch=key_patch(key.tonic, key.mode),
                decisions=[decision("key", f"{key.tonic} {key.mode}", key.why, key.rule_ids)],
            ))
        return Step(f"{question.text}{examples_line(question)}", choices=choices)

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        slots = parsed.slots
        if slots.key:
            from assistant.stages.settings import key_mode

            tonic, mode = slots.key
            mode = key_mode(ctx, mode or slots.mode or "")
            return Step(f"{tonic} {mode} it is.", patch=key_patch(tonic, mode), answered=True,
                        decisions=[decision("key", f"{tonic} {mode}", "You chose it.")])
        if slots.mode in MODES:
            tonic = "A" if slots.mode == "minor" else "C"
            return Step(f"{tonic} {slots.mode} — an easy {slots.mode} key to start in.",
                        patch=key_patch(tonic, slots.mode), answered=True,
                        decisions=[decision("key", f"{tonic} {slots.mode}",
                                            f"You asked for {slots.mode}.")])
        return None


class TempoHandler:
    def filled(self, song: Song) -> bool:
        return song.tempo is not None

    def ask(self, ctx: Ctx, question: Question) -> Step:
        found = ctx.suggest()
        choices = []
        if found:
            low, high = found.tempo.range
            for bpm in dict.fromkeys((found.tempo.bpm, low, high)):
                choices.append(Choice(
                    label=f"{bpm} bpm", why=f"In the {low}-{high} bpm range for this mood.",
                    rule_ids=found.tempo.rule_ids, patch={"tempo": bpm},
                    decisions=[decision("tempo", f"{bpm} bpm", found.tempo.why,
                                        found.tempo.rule_ids)],
                ))
        return Step(f"{question.text}{examples_line(question)}", choices=choices)

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        slots = parsed.slots
        bpm = slots.tempo
        if bpm is None and parsed.number and 40 <= parsed.number <= 240:
            bpm = float(parsed.number)
        if bpm is None and slots.number and 40 <= slots.number <= 240:
            bpm = float(slots.number)
        why = "You chose it."
        if bpm is None and slots.tempo_word:
            bpm = float(TEMPO_WORDS.get(slots.tempo_word, 98))
            why = f"A {slots.tempo_word} tempo, as you asked."
        if bpm is None:
            return None
        return Step(f"{bpm:g} bpm.{tempo_check(ctx, bpm)}", patch={"tempo": bpm}, answered=True,
                    decisions=[decision("tempo", f"{bpm:g} bpm", why)])


class MeterHandler:
    def filled(self, song: Song) -> bool:
        return any(d.field == "meter" for d in song.decisions)

    def ask(self, ctx: Ctx, question: Question) -> Step:
        found = ctx.suggest()
        options = [(found.meter, found.meter_why)] if found else []
        for meter, why in (("4/4", "The most common pulse; easiest to play and program."),
                           ("3/4", "A waltz lilt: one strong beat in three."),
                           ("6/8", "Two swaying beats, each split in three.")):
            if all(meter != m for m, _ in options):
                options.append((meter, why))
        choices = [Choice(label=m, why=w, patch={"meter": m},
                          decisions=[decision("meter", m, w)]) for m, w in options]
        return Step(f"{question.text}{examples_line(question)}", choices=choices)

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        meter = parsed.slots.meter
        if not meter:
            return None
        return Step(f"{meter} it is.", patch={"meter": meter}, answered=True,
                    decisions=[decision("meter", meter, "You chose it.")])


class ProgressionHandler:
    def filled(self, song: Song) -> bool:
        return bool(song.progression)

    def choices(self, ctx: Ctx) -> list[Choice]:
        found = ctx.suggest(key=True)
        choices = []
        for prog in found.progressions if found else ():
            why = prog.why + (f" Heard in: {prog.examples[0]}." if prog.examples else "")
            chords, numerals = list(prog.symbols), list(prog.numerals)
            if len(chords) > 8:  # a 12-bar blues: the first 8 say enough on one line
                chords, numerals = chords[:8] + ["…"], numerals[:8] + ["…"]
            choices.append(Choice(
                label=f"{'–'.join(chords)} · {' '.join(numerals)} ({prog.name})",
                why=why, rule_ids=prog.rule_ids, patch={"progression": list(prog.numerals)},
                decisions=[decision("progression", " ".join(prog.numerals), prog.why,
                                    prog.rule_ids)],
            ))
        return choices

    def ask(self, ctx: Ctx, question: Question) -> Step:
        key = ctx.song.key.name if ctx.song.key else "your key"
        text = (f"{question.text} Progressions that fit {key}, one chord per bar — or type "
                f"your own chords (“Am F C G”).{examples_line(question)}")
        return Step(text, choices=self.choices(ctx))

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        numerals = read_chords(parsed.text, ctx.song.key)
        if not numerals:
            return None
        line = chord_line(numerals, ctx.song.key)
        return Step(f"Your progression: {line}.", patch={"progression": numerals},
                    answered=True,
                    decisions=[decision("progression", " ".join(numerals), "You wrote it.")])


class MelodyHandler:
    """Melody ideas. The melody/harmonize tools plug in as composition ToolHooks."""

    takes_any_words = True  # a melody idea can be described in any words

    def filled(self, song: Song) -> bool:
        return song.melody is not None and bool(song.melody.notes)

    def ask(self, ctx: Ctx, question: Question) -> Step:
        # the lyrics hook: words often come first, and the theme already suggests images
        about = f" about {ctx.song.theme}" if ctx.song.theme else ""
        return Step(f"{question.text} Type notes like “A4 C5 E5 D5/2” (a beat each; /2 = two "
                    "beats), say “sketch a melody” for motif ideas, “harmonize …” for chords "
                    f"under yours, or “skip”. Words first? “help me write lyrics{about}” brings "
                    "images for your theme; “lyrics for the chorus: … / …” checks them against "
                    f"the melody.{examples_line(question)}")

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        melody = read_melody(parsed.text)
        if melody is None and parsed.slots.path:
            return melody_file_step(ctx, parsed.slots.path)
        if melody is not None:
            beats = max(n.start + n.duration for n in melody.notes)
            text = f"Kept your melody: {len(melody.notes)} notes over {beats:g} beats."
            if ctx.song.singer_range:
                text += " " + range_report(melody, *ctx.song.singer_range, ctx.song.meter)[0]
            text += " Say “harmonize it” for chords under it."
            return Step(
                text, patch={"melody": melody.model_dump(mode="json")}, answered=True,
                decisions=[decision("melody", parsed.text.strip(), "You typed it.")],
            )
        if parsed.intent == "no":
            return Step("No melody yet — fine; it can come later.", answered=True)
        if parsed.intent in ("answer", "tool") and len(parsed.text.split()) >= 2:
            return Step(
                f"Noted: “{parsed.text.strip()}”.", answered=True,
                patch={"+notes": f"Melody idea: {parsed.text.strip()}"},
                decisions=[decision("melody idea", parsed.text.strip(), "Your words.")],
            )
        return None


def melody_file_step(ctx: Ctx, text: str) -> Step:
    """"melody.mid": the file's top line becomes the melody (drums skipped)."""
    from assistant.composition.notes import read_midi, to_melody
    from assistant.errors import CoachError
    from assistant.stages.files import find_file, kind_of

    path, exists = find_file(text)
    if kind_of(path) != "midi":
        return Step(f"`{path.name}` is not a MIDI file: give a .mid melody or type the notes.")
    if not exists:
        return Step(f"I can't find `{path}`. Give the path of a MIDI melody, or type the notes.")
    try:
        line, _ = read_midi(path)
    except CoachError as error:
        return Step(f"I couldn't read that melody: {error}.")
    melody = to_melody(line, path.name)
    text = f"Kept the melody of {path.name}: {len(melody.notes)} notes."
    if ctx.song.singer_range:
        text += " " + range_report(melody, *ctx.song.singer_range, ctx.song.meter)[0]
    return Step(text + " Say “harmonize it” for chords under it.", answered=True,
                patch={"melody": melody.model_dump(mode="json")},
                decisions=[decision("melody", path.name, "From your MIDI file.")])


class SingerRangeHandler:
    """"A2 to E4": the singer's comfortable range, used later to place melodies."""

    def filled(self, song: Song) -> bool:
        return song.singer_range is not None

    def ask(self, ctx: Ctx, question: Question) -> Step:
        return Step(f"{question.text} Or say “skip”.{examples_line(question)}")

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        found = read_range(parsed.text)
        if found is None:
            return None
        low, high = found
        if high - low < 5:
            return Step("That's under half an octave — give the lowest and highest comfortable "
                        "notes, like “A2 to E4”.")
        return range_step(ctx, low, high, answered=True)


class Composition(StageFlow):
    name = "composition"
    handlers: dict[str, SlotHandler] = {
        "key": KeyHandler(), "tempo": TempoHandler(), "meter": MeterHandler(),
        "progression": ProgressionHandler(), "melody": MelodyHandler(),
        "singer_range": SingerRangeHandler(),
    }
    aliases = {
        "chords": "progression", "harmony": "progression", "motif": "melody",
        "melody_idea": "melody", "time_signature": "meter", "bpm": "tempo",
        "singer-range": "singer_range", "range": "singer_range",
    }
