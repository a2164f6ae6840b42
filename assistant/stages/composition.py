"""Composition: key, tempo and meter (when Conception left them open), the progression, and
melody ideas.

Tools of a later issue plug in here with `register_tool("composition", ToolHook(...))`:
next-chord suggestions, harmonizing a typed melody, motif/melody sketches. Until then a typed
melody is kept on the sheet as notes, and typed chords become the progression.
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
)
from assistant.stages.music import chord_line, read_chords, read_notes

if TYPE_CHECKING:
    from assistant.kb.schema import Question
    from assistant.language import Parsed

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
            tonic, mode = slots.key
            mode = mode or slots.mode or "major"
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
        return Step(f"{bpm:g} bpm.", patch={"tempo": bpm}, answered=True,
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
        return Step(f"{question.text} Type notes like “A4 C5 E5 D5”, describe it in words, "
                    f"or say “skip”.{examples_line(question)}")

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        pitches = read_notes(parsed.text)
        if pitches:
            beat = 1.0
            notes = [{"pitch": p, "start": i * beat, "duration": beat, "velocity": 90}
                     for i, p in enumerate(pitches)]
            return Step(
                f"Kept your melody: {len(notes)} notes, one per beat.",
                patch={"melody": {"notes": notes, "source": "typed"}}, answered=True,
                decisions=[decision("melody", parsed.text.strip(), "You typed it.")],
            )
        if parsed.intent == "no":
            return Step("No melody yet — fine; it can come later.", answered=True)
        if parsed.intent in ("answer", "yes") and len(parsed.text.split()) >= 2:
            return Step(
                f"Noted: “{parsed.text.strip()}”.", answered=True,
                patch={"+notes": f"Melody idea: {parsed.text.strip()}"},
                decisions=[decision("melody idea", parsed.text.strip(), "Your words.")],
            )
        return None


class SingerRangeHandler:
    """"A2 to E4": the singer's comfortable range, used later to place melodies."""

    def filled(self, song: Song) -> bool:
        return song.singer_range is not None

    def ask(self, ctx: Ctx, question: Question) -> Step:
        return Step(f"{question.text} Or say “skip”.{examples_line(question)}")

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        words = parsed.text.replace("-", " ").replace("–", " ").split()
        pitches = read_notes(" ".join(w for w in words if w.lower() not in ("to", "from",
                                                                           "and", "up")))
        if not pitches or len(pitches) != 2:
            return None
        low, high = sorted(pitches)
        if high - low < 5:
            return Step("That's under half an octave — give the lowest and highest comfortable "
                        "notes, like “A2 to E4”.")
        said = f"{words[0]}–{words[-1]}"
        return Step(f"Singer's range: {said} ({high - low} semitones).",
                    patch={"singer_range": [low, high]}, answered=True,
                    decisions=[decision("singer range", said, "Keeps melodies singable.")])


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
