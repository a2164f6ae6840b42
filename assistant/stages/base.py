"""What every stage shares: choices, steps, slot handlers, and the place where tools plug in.

A stage is a `StageFlow`: the knowledge base gives its questions (each with a `slot`) and its
checklist; the flow maps each slot to a `SlotHandler` that knows how to ask it (text plus
numbered `Choice`s), whether the Song sheet already fills it, and how to read an answer.

Tools (next chord, harmonize, motifs, take checks, MIDI take analysis and quantize, mix
analysis, mastering) plug in as `ToolHook`s: `register_tool(stage, hook)` adds one; the coach
offers the text of a turn to the current stage's hooks before the slot handler reads it. A hook
returns `None` when the text is not for it, so adding one never breaks the conversation.

A tool remembers things between turns (the mix it analysed, how much advice it has shown) in
`Ctx.memo`, a JSON-able dict the coach saves with the session; a `Step` changes it through
`Step.memo`. A numbered `Choice` can carry an `action` ("hook-name:argument"): picking it runs
that hook's `act`, so options can do things (write a click track, quantize a take, master).
Keys of the memo that start with "~" are offers waiting for an answer: they are dropped when
the conversation enters another stage.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from assistant.song import Song, StageName

if TYPE_CHECKING:
    from assistant.dialogue import Parsed
    from assistant.kb.loader import Knowledge
    from assistant.kb.schema import Question
    from assistant.rules import Suggestions
    from assistant.understanding.lexicon import Lexicon


@dataclass
class Choice:
    """A numbered option plus what picking it does. JSON-able (it is saved with the session)."""

    label: str
    why: str
    rule_ids: tuple[str, ...] = ()
    patch: dict[str, Any] = field(default_factory=dict)
    """Song fields to set; dotted keys reach inside ("mix.lufs")."""
    decisions: list[dict[str, Any]] = field(default_factory=list)
    """`Decision` fields (field, value, why, rule_ids); the stage is filled in on apply."""
    completes_stage: bool = False
    """Picking it settles the whole stage (Conception's key/tempo/meter starting points)."""
    preview_bars: int | None = 8
    """How much "play N" renders: 8 bars, or None for the whole arranged song."""
    preview_section: str | None = None
    say: str = ""
    """What the coach says after it is picked (besides moving on)."""
    action: str = ""
    """"hook-name:argument": picking it runs that tool hook's `act` (see the module)."""
    plays: bool = False
    """With an action: "play N" runs the action too (it renders something to hear)."""
    detail: str = ""
    """More of the why, shown by "why N" only (Markdown)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label, "why": self.why, "rule_ids": list(self.rule_ids),
            "patch": self.patch, "decisions": self.decisions,
            "completes_stage": self.completes_stage, "preview_bars": self.preview_bars,
            "preview_section": self.preview_section, "say": self.say,
            "action": self.action, "plays": self.plays, "detail": self.detail,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Choice:
        return cls(
            label=str(data.get("label", "")), why=str(data.get("why", "")),
            rule_ids=tuple(data.get("rule_ids", ())), patch=dict(data.get("patch", {})),
            decisions=list(data.get("decisions", [])),
            completes_stage=bool(data.get("completes_stage", False)),
            preview_bars=data.get("preview_bars", 8),
            preview_section=data.get("preview_section"), say=str(data.get("say", "")),
            action=str(data.get("action", "")), plays=bool(data.get("plays", False)),
            detail=str(data.get("detail", "")),
        )


@dataclass
class Step:
    """What a handler says for one turn."""

    text: str
    choices: list[Choice] = field(default_factory=list)
    """Shown now (the first three of the ranked list); the rest wait for "more"."""
    patch: dict[str, Any] = field(default_factory=dict)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    answered: bool = False
    """The current question is settled: the coach moves on to the next one."""
    complete_stage: bool = False
    keep_choices: bool = False
    """Leave the options already on screen (a side remark, not a new question)."""
    then_ask: bool = False
    """After the text, ask the current question again (a tool's side trip)."""
    memo: dict[str, Any] = field(default_factory=dict)
    """Changes to the tools' memory (`Ctx.memo`): a value of None removes the key."""
    preview: Any = None
    """A `coach.PreviewRequest` for the face to render (a click, a backing track)."""
    analysis: dict[str, Any] | None = None
    """A mix analysis (`analyze_audio`'s dict) for the face to draw."""


class Ctx:
    """What a handler sees: the live song, the knowledge, the seed, and cached suggestions."""

    def __init__(self, song: Song, kb: Knowledge, vocab: Lexicon, seed: int,
                 cache: dict[Any, Any], memo: dict[str, Any] | None = None,
                 slot: str = "") -> None:
        self.song = song
        self.kb = kb
        self.vocab = vocab
        self.seed = seed
        self._cache = cache
        self.memo: dict[str, Any] = memo if memo is not None else {}
        """The tools' memory (read it; change it through `Step.memo`)."""
        self.slot = slot
        """The slot of the question being asked now ("" when none): a tool answering it
        marks its step `answered`."""

    def suggest(self, *, key: bool = False, seed: int | None = None,
                neutral: bool = False) -> Suggestions | None:
        """`rules.suggest` for the sheet so far (cached: the same question costs once).
        `neutral`: no mood on the sheet, only a tempo leaning ("calm" or "energetic" stands in)."""
        from assistant.errors import CoachError
        from assistant.rules import suggest

        song = self.song
        mood_text = mood_words(song)
        if neutral and not song.moods:
            lean = tempo_lean(song.mood_text)
            mood_text = {"slow": "calm", "fast": "energetic"}.get(lean, "")
        args = (
            mood_text, song.genre,
            song.key.name if (key and song.key) else None,
            seed if seed is not None else self.seed,
        )
        if args in self._cache:
            return self._cache[args]  # type: ignore[no-any-return]
        try:
            result = suggest(
                mood_text=mood_text or None, genre=song.genre,
                key=song.key if key else None, seed=args[3], kb=self.kb,
            )
        except CoachError:
            result = None
        if len(self._cache) > 64:
            self._cache.clear()
        self._cache[args] = result
        return result


def mood_words(song: Song) -> str:
    """The words the rule engine reads: mood names plus a tempo leaning from the user's text."""
    words = list(song.moods)
    lean = tempo_lean(song.mood_text)
    if lean:
        words.append(lean)
    return " ".join(words)


def tempo_lean(text: str) -> str:
    """"slow" or "fast" from the user's words, the last one said winning (the reader adds
    its reading in brackets: "i hate slow songs (fast)")."""
    found = re.findall(r"\b(slow|slower|laid.back|downtempo|fast|faster|upbeat|uptempo|quick|"
                       r"driving)\b", text.lower())
    if not found:
        return ""
    return "slow" if found[-1] in ("slow", "slower", "laid back", "laid-back", "downtempo") \
        else "fast"


class SlotHandler(Protocol):
    def filled(self, song: Song) -> bool: ...

    def ask(self, ctx: Ctx, question: Question) -> Step: ...

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None: ...


TOOL_INTENTS = frozenset({"answer", "question", "change", "yes", "no", "tool", "chords",
                          "suggest"})
"""The intents every hook is offered; commands ("next", "more"...) only when it asks."""


@dataclass(frozen=True)
class ToolHook:
    """A tool. `run` returns None when the turn is not for it (cheaply: it runs on every
    turn of its stage)."""

    name: str
    run: Callable[[Ctx, Parsed], Step | None]
    help: str = ""
    """One line for `help`: what to type to use it."""
    act: Callable[[Ctx, str], Step] | None = None
    """Runs a picked `Choice` whose action is "name:argument" (gets the argument)."""
    intents: frozenset[str] = frozenset()
    """Commands it may take before the coach does ("next" to walk through advice); it
    still returns None when it has nothing pending."""
    everywhere: bool = False
    """Also offered in the other stages, after their own tools: a question like "what comes
    after Am F?" deserves an answer wherever it is asked."""

    def wants(self, intent: str) -> bool:
        return intent in TOOL_INTENTS or intent in self.intents


TOOLS: dict[str, list[ToolHook]] = {}


def register_tool(stage: StageName, hook: ToolHook) -> None:
    hooks = TOOLS.setdefault(stage, [])
    if all(h.name != hook.name for h in hooks):
        hooks.append(hook)


def find_tool(name: str) -> ToolHook | None:
    """A registered hook by name, whatever its stage (a picked action names its hook)."""
    for hooks in TOOLS.values():
        for hook in hooks:
            if hook.name == name:
                return hook
    return None


def decision(
    fld: str, value: Any, why: str, rule_ids: tuple[str, ...] | list[str] = ()
) -> dict[str, Any]:
    return {"field": fld, "value": str(value), "why": why, "rule_ids": list(rule_ids)}


def examples_line(question: Question) -> str:
    if not question.examples:
        return ""
    shown = " · ".join(f"“{e}”" for e in question.examples[:3])
    return f"\n\n_For example: {shown}_"


def looks_like_words(text: str) -> bool:
    """False for keyboard mashing ("asdfgh", "xkcd qqq"): no vowels or long consonant runs."""
    words = re.findall(r"[a-z]+", text.lower())
    if not words:
        return False
    good = 0
    for word in words:
        if len(word) > 18 or re.search(r"[bcdfghjklmnpqrstvwxz]{5,}", word):
            continue
        if re.search(r"[aeiouy]", word) or len(word) <= 2:
            good += 1
    return good >= max(1, (len(words) + 1) // 2)


class StageFlow:
    """One stage: its slot handlers, in the order the knowledge base asks the questions."""

    name: StageName = "conception"
    handlers: dict[str, SlotHandler] = {}
    aliases: dict[str, str] = {}
    """Slot names in the knowledge files -> a handler key here ("mix.platform" -> "platform")."""

    def questions(self, kb: Knowledge) -> tuple[Question, ...]:
        try:
            return kb.stage(self.name).questions
        except KeyError:
            return ()

    def slot_key(self, question: Question) -> str:
        """The question's slot as this flow names its handler ("mix.file" -> "mix")."""
        slot = question.slot.strip().lower()
        slot = self.aliases.get(slot, slot)
        if slot in self.handlers:
            return slot
        last = slot.rsplit(".", 1)[-1]
        return self.aliases.get(last, last)

    def handler(self, question: Question) -> SlotHandler:
        return self.handlers.get(self.slot_key(question), NOTE_HANDLER)

    def intro(self, kb: Knowledge) -> str:
        try:
            return kb.stage(self.name).intro
        except KeyError:
            return ""

    def checklist(self, kb: Knowledge) -> tuple[str, ...]:
        try:
            return kb.stage(self.name).checklist
        except KeyError:
            return ()

    def ticked_by(self, kb: Knowledge) -> dict[int, tuple[str, ...]]:
        """Which decisions tick which checklist items (`Stage.ticked_by`)."""
        try:
            return kb.stage(self.name).ticked_by
        except KeyError:
            return {}

    def tools(self) -> list[ToolHook]:
        """The stage's own tools, then the other stages' tools that work everywhere."""
        own = TOOLS.get(self.name, [])
        names = {hook.name for hook in own}
        shared = [hook for stage, hooks in TOOLS.items() if stage != self.name
                  for hook in hooks if hook.everywhere and hook.name not in names]
        return own + shared

    def own_tools(self) -> list[ToolHook]:
        """The tools `help` lists in this stage."""
        return TOOLS.get(self.name, [])


class NoteHandler:
    """A question whose answer the coach keeps as a note (no tool reads it yet)."""

    takes_any_words = True
    """It accepts any words, so it is never offered an answer meant for another question."""

    def filled(self, song: Song) -> bool:
        return False

    def ask(self, ctx: Ctx, question: Question) -> Step:
        return Step(f"{question.text}{examples_line(question)}")

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        text = parsed.text.strip()
        if parsed.intent not in ("answer", "no") or not looks_like_words(text):
            return None
        if parsed.intent == "no":
            return Step("Noted — nothing there for now.", answered=True)
        note = f"{question.text} — {text}"
        return Step(
            f"Noted: “{text}”.", answered=True,
            patch={"+notes": note},
            decisions=[decision(question.slot, text, "Your answer, kept on the sheet.")],
        )


NOTE_HANDLER = NoteHandler()


class PathHandler:
    """A question answered with a file (a take, a mix): a path, "no", or `skip`.

    Other words are not taken as the answer (they may answer another question), so the
    coach asks again instead of guessing. Subclasses say what to do with the path.
    """

    prompt = "Give the file's path, or say “skip”."

    def filled(self, song: Song) -> bool:
        return False

    def ask(self, ctx: Ctx, question: Question) -> Step:
        return Step(f"{question.text} {self.prompt}{examples_line(question)}")

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        if parsed.slots.path:
            return self.on_path(ctx, parsed.slots.path)
        if parsed.intent == "no":
            return Step("Nothing yet — fine; come back when you have one.", answered=True)
        return None

    def on_path(self, ctx: Ctx, path: str) -> Step:
        return Step(f"Noted {path}.", answered=True, patch={"+notes": f"File: {path}"})


def tempo_check(ctx: Ctx, bpm: float) -> str:
    """A tempo far outside what the feel, the genre and the story usually take gets a
    question ("40 bpm is very slow for a workout song — did you mean 140?")."""
    found = ctx.suggest()
    if found is None:
        return ""
    low, high = found.tempo.range
    theme = next((t for t in ctx.kb.entries.get("theme", {}).values()
                  if getattr(t, "name", None) == ctx.song.theme), None)
    if theme is not None:
        low, high = getattr(theme, "tempo", (low, high))
    feel = " and ".join(ctx.song.moods[:2])
    what = " ".join(x for x in (feel, ctx.song.genre or "", "song") if x)
    if theme is not None:
        what = f"{getattr(theme, 'name', 'this')} song"
    guesses = [g for g in (bpm + 100, bpm * 2, bpm / 2, bpm - 100) if low <= g <= high]
    if bpm < low * 0.7:
        head = f"{bpm:g} bpm is very slow for a {what} (usually {low}–{high})."
    elif bpm > high * 1.4:
        head = f"{bpm:g} bpm is very fast for a {what} (usually {low}–{high})."
    else:
        return ""
    if guesses:
        return f" {head} Did you mean {guesses[0]:g}? Say “{guesses[0]:g} bpm” to change it."
    return f" {head} Keep it if that's the idea — half or double time can work."
