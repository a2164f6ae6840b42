"""The conversation: turn handling over the six stages. Pure Python, no UI (never textual).

`Coach.handle(text)` reads one message (`language.parse`), lets the current stage's tools and
question handler read it (`stages/*`), applies what it decided to the Song sheet, and answers
with a `Reply`: Markdown text, numbered options, the stage, and maybe a preview to render
(`render_request` does it for the faces) or a mix analysis to draw.
It never raises: an internal error becomes an apology and the current question again.

Everything the coach remembers is in `snapshot()` (JSON-able), so a session survives a
killed process: the store saves it after every turn and `Coach.restore` picks it up.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from assistant.dialogue import (  # noqa: F401  (re-exported: the faces import them from here)
    Command,
    ExportRequest,
    Option,
    PreviewRequest,
    Reply,
    render_request,
)
from assistant.song import STAGE_TITLES, STAGES, Key, Song, StageName

if TYPE_CHECKING:
    from assistant.dialogue import Parsed
    from assistant.kb.loader import Knowledge
    from assistant.kb.schema import Question
    from assistant.stages.base import Choice, Ctx, StageFlow, Step
    from assistant.understanding.lexicon import Lexicon

log = logging.getLogger(__name__)

STATE_VERSION = 1
PAGE = 3  # options shown at once; "more" shows the next three
UNDO_DEPTH = 12


RESTART = "coach-restart"
"""The action of the "start over" offer's choices (not a stage tool)."""

HELP = """**What you can say** — in your own words; typos are fine

- describe the song: *“dark but danceable”*, *“a song for my grandma's funeral”*,
  *“like Taylor Swift but sadder”*, *“in A minor”*, *“90 bpm”*, *“6/8”*, *“about 3 minutes”*
- react to what I offer: *“too gloomy”*, *“brighter”*, *“even slower”*, *“less cheesy”*
- pick an option: `2`, *“the second one”* · `more` · `why 2` · `play 2`
  (or `play` for the song so far)
- move around: `back`, `skip`, `next` (next stage), *“let's do mixing”*, `undo`, `status`
- change things: *“change the key to D”*, *“make it faster”*, *“transpose up 2”*,
  *“call it Night Drive”*, *“not in minor”*, chords by name: *“G D Em C”*
- instruments, any time: *“no drums”*, *“add a rhodes”*, *“swap the piano for strings”*
- arrange: *“add a pre-chorus”*, *“make the verse 16 bars”*, *“drop the bridge”*,
  *“duplicate the chorus”*, *“no drums in the intro”*, *“bring the bass down to 60% in the
  verse”*
- name a file to work on it: a take (*“takes/vocal.wav”*, *“piano.mid”*) or your bounced mix;
  a hummed tune (*“i hummed the melody: hum.wav”*) becomes notes with chords offered under
  them, a strummed idea (*“my guitar chords: idea.wav”*) a chord chart, a favourite song
  (*“my favourite song: fav.wav”*) a shape to copy; in Recording *“record a take”* and
  *“rank my takes”*
- words: *“lyrics for the chorus:”* then the lines (syllables, stresses, rhyme scheme and the
  fit to the melody), *“rhymes for home”*, *“help me write lyrics about leaving home”*
- ask: *“what is sidechain?”*, *“difference between mixing and mastering”*, *“how do I
  record vocals?”*, *“what comes after Am F?”* — I answer, then we carry on
- `export` (or *“export to ~/songs”*): the sheet, the MIDI and a demo in a folder
- *“start over”*: a new song (this one stays saved) or this one from the top
- `checklist` for the stage's checklist, `tick 2` when an item is done
- `quit` to leave (everything is saved)"""


def _kb_default() -> Knowledge:
    from assistant.kb.loader import knowledge

    return knowledge()


def _lexicon_for(kb: Knowledge) -> Lexicon:
    from assistant.understanding.lexicon import lexicon_for

    return lexicon_for(kb)


class Coach:
    """The conversation over one Song sheet. See the module docstring."""

    def __init__(
        self,
        song: Song | None = None,
        *,
        knowledge: Knowledge | None = None,
        seed: int = 0,
        state: dict[str, Any] | None = None,
    ) -> None:
        self.song: Song = song or Song()
        self._kb = knowledge
        self.seed = seed
        self.stage: StageName = "conception"
        self.qindex = -1
        """Index of the current question in the stage's questions (-1: not asked yet)."""
        self.choices: list[Choice] = []
        self.page = 0
        self.done = False
        self.turns = 0
        self.started = False
        self.resumed = False
        self._undo: list[dict[str, Any]] = []
        self._cache: dict[Any, Any] = {}
        self.memo: dict[str, Any] = {}
        """What the stage tools remember between turns (saved with the session)."""
        self.last_error: Exception | None = None
        """The last internal error the safety net in `handle` swallowed (for debugging)."""
        if state:
            self._load(state)

    # --- public API ----------------------------------------------------------------------
    @property
    def kb(self) -> Knowledge:
        if self._kb is None:
            self._kb = _kb_default()
        return self._kb

    def start(self) -> Reply:
        """The greeting and the first question, or "welcome back" and where we were."""
        try:
            return self._start()
        except Exception as error:  # the face must always get something to show
            self.last_error = error
            log.debug("start failed", exc_info=True)
            return Reply(f"Hello! (Something went wrong loading: {error}.) Type `help`.",
                         (), self.stage)

    def handle(self, text: str) -> Reply:
        """One turn of typed text. Never raises, whatever the text."""
        text = text if isinstance(text, str) else str(text)
        return self._safely(lambda: self._turn(text), text)

    def do(self, command: Command) -> Reply:
        """One turn from a face that knows what it wants (a click on option 2 is
        `Command("pick", number=2)`, a stage in the stepper `Command("goto", stage=...)`):
        the same handling as typed text, without reading English. Never raises."""
        return self._safely(lambda: self._dispatch(command), command.text or command.intent)

    def _safely(self, turn: Callable[[], Reply], text: str) -> Reply:
        before = self._state(undo=False)
        try:
            reply = turn()
        except Exception as error:
            # logged at debug level only: a traceback on stderr would draw over the TUI
            self.last_error = error
            log.debug("turn failed for %r", text, exc_info=True)
            self._load(before, keep_undo=True)
            reply = self._reply(
                f"Sorry — that tripped me up ({type(error).__name__}). "
                f"Let's carry on.\n\n{self._question_text()}",
                keep=True,
            )
        self.turns += 1
        after = self._state(undo=False)
        if _changed(before, after) and not getattr(self, "_undoing", False):
            self._undo.append(before)
            del self._undo[:-UNDO_DEPTH]
        self._undoing = False
        return reply

    def snapshot(self) -> dict[str, Any]:
        """JSON-able: the song and the conversation state, for the store."""
        return self._state(undo=True)

    @classmethod
    def restore(cls, data: dict[str, Any], **kw: Any) -> Coach:
        coach = cls(**kw)
        coach._load(data)
        coach.resumed = True
        return coach

    @property
    def options(self) -> tuple[Option, ...]:
        """The options on screen now."""
        return self._options()

    # --- state -----------------------------------------------------------------------------
    def _state(self, *, undo: bool) -> dict[str, Any]:
        state: dict[str, Any] = {
            "version": STATE_VERSION,
            "song": self.song.model_dump(mode="json"),
            "stage": self.stage,
            "qindex": self.qindex,
            "choices": [c.to_json() for c in self.choices],
            "page": self.page,
            "done": self.done,
            "turns": self.turns,
            "seed": self.seed,
            "started": self.started,
            "tools": copy.deepcopy(self.memo),
        }
        if undo:
            state["undo"] = copy.deepcopy(self._undo)
        return state

    def _load(self, state: dict[str, Any], keep_undo: bool = False) -> None:
        from assistant.errors import FileProblem
        from assistant.stages.base import Choice

        version = int(state.get("version", STATE_VERSION))
        if version > STATE_VERSION:
            raise FileProblem(
                f"this session was saved by a newer coach (state version {version}); "
                "update the coach to open it"
            )
        if "song" in state:
            self.song = Song.model_validate(state["song"])
        stage = state.get("stage", "conception")
        self.stage = stage if stage in STAGES else "conception"
        self.qindex = int(state.get("qindex", -1))
        self.choices = [Choice.from_json(c) for c in state.get("choices", [])]
        self.page = int(state.get("page", 0))
        self.done = bool(state.get("done", False))
        self.turns = int(state.get("turns", 0))
        self.seed = int(state.get("seed", self.seed))
        self.started = bool(state.get("started", self.turns > 0))
        tools = state.get("tools", {})
        self.memo = copy.deepcopy(tools) if isinstance(tools, dict) else {}
        if not keep_undo:
            self._undo = list(state.get("undo", []))

    # --- helpers ---------------------------------------------------------------------------
    def _flow(self, stage: StageName | None = None) -> StageFlow:
        from assistant.stages import FLOWS

        return FLOWS[stage or self.stage]

    def _ctx(self) -> Ctx:
        from assistant.stages.base import Ctx

        question = None if self.done else self._question()
        slot = self._flow().slot_key(question) if question is not None else ""
        return Ctx(self.song, self.kb, _lexicon_for(self.kb), self.seed, self._cache,
                   self.memo, slot)

    def _questions(self, stage: StageName | None = None) -> tuple[Question, ...]:
        return self._flow(stage).questions(self.kb)

    def _question(self) -> Question | None:
        questions = self._questions()
        if 0 <= self.qindex < len(questions):
            return questions[self.qindex]
        return None

    def _options(self) -> tuple[Option, ...]:
        start = self.page * PAGE
        shown = self.choices[start:start + PAGE]
        return tuple(
            Option(start + i + 1, c.label, c.why, tuple(c.rule_ids)) for i, c in enumerate(shown)
        )

    def _reply(self, text: str, *, keep: bool = True, preview: PreviewRequest | None = None,
               quit: bool = False) -> Reply:
        options = self._options() if keep else ()
        return Reply(text.strip(), options, self.stage, preview=preview, done=self.done,
                     quit=quit)

    def _remember(self, changes: dict[str, Any]) -> None:
        """Apply a step's memo changes (None removes a key)."""
        for name, value in changes.items():
            if value is None:
                self.memo.pop(name, None)
            else:
                self.memo[name] = copy.deepcopy(value)

    def _question_text(self) -> str:
        if self.done:
            return ("All six stages are through. Say `status` for the sheet, or go back to "
                    "any stage.")
        question = self._question()
        return f"**{question.text}**" if question else ""

    def _set_choices(self, choices: list[Choice]) -> None:
        self.choices = list(choices)
        self.page = 0

    def _apply(self, patch: dict[str, Any], decisions: list[dict[str, Any]] | None = None,
               stage: StageName | None = None) -> None:
        """Write a patch and its decisions onto the sheet (validated: a bad value raises)."""
        if not patch and not decisions:
            return
        stage = stage or self.stage
        data = self.song.model_dump(mode="json")
        for name, value in patch.items():
            if name == "+notes":
                notes = data["stages"][stage]["notes"]
                if value not in notes:
                    notes.append(value)
                continue
            target = data
            *parents, last = name.split(".")
            for part in parents:
                target = target[part]
            target[last] = value
        for item in decisions or []:
            fld = item.get("field", "")
            data["decisions"] = [d for d in data["decisions"] if d["field"] != fld]
            data["decisions"].append({"stage": stage, **item})
        if data.get("title") in ("Untitled", "") and data.get("moods"):
            data["title"] = " & ".join(m.title() for m in data["moods"][:2]) + " sketch"
        self.song = Song.model_validate(data)

    def _set_status(self, stage: StageName, status: str) -> None:
        data = self.song.model_dump(mode="json")
        data["stages"][stage]["status"] = status
        self.song = Song.model_validate(data)

    # --- the stage walk --------------------------------------------------------------------
    def _start(self) -> Reply:
        if self.started:
            where = STAGE_TITLES[self.stage]
            name = self.song.title if self.song.title != "Untitled" else "your song"
            if self.done:
                return self._reply(f"Welcome back to **{name}** — all six stages are through. "
                                   "Say `status` for the sheet, or pick a stage to revisit.")
            question = self._question_text()
            return self._reply(f"Welcome back to **{name}**. We were at **{where}**.\n\n"
                               f"{question}")
        self.started = True
        reply = self._enter(self.stage, greeting=True)
        return reply

    def _enter(self, stage: StageName, *, prefix: str = "", greeting: bool = False,
               revisit: bool = False) -> Reply:
        """Make `stage` current and ask its first open question.

        `revisit` (the user asked for this stage by name): when every question is already
        settled, ask the first one again so it can be changed, instead of summarising.
        """
        self.stage = stage
        self.qindex = -1
        self._set_choices([])
        self.done = False
        for name in [k for k in self.memo if k.startswith("~")]:
            del self.memo[name]  # offers waiting for a yes/no lapse with the stage
        if self.song.stages[stage].status != "done":
            self._set_status(stage, "active")
        flow = self._flow()
        head = f"## {STAGE_TITLES[stage]}\n\n"
        if greeting:
            head = ("Hi! I'm your coach: we'll go from a feeling to a finished, mixed song in "
                    "six stages — Conception, Composition, Arrangement, Recording, Editing, "
                    "Mixing & Mastering. Type `help` any time.\n\n" + head)
        intro = flow.intro(self.kb)
        text = prefix + head + (intro + "\n\n" if intro else "") + self._stage_tip(stage)
        questions = self._questions()
        if revisit and questions and all(
            flow.handler(q).filled(self.song) for q in questions
        ):
            self._set_status(stage, "active")
            step = flow.handler(questions[0]).ask(self._ctx(), questions[0])
            self.qindex = 0
            self._set_choices(step.choices)
            return self._reply(text + "Everything here is settled; answer again to change it, "
                               "or say `next`.\n\n" + _bold_first_sentence(step.text))
        return self._advance(text)

    def _stage_tip(self, stage: StageName) -> str:
        """One of the stage's tips on the way in (the seed picks which, so it varies)."""
        tips = [t for t in self.kb.tips if t.stage == stage]
        if not tips:
            return ""
        tip = tips[self.seed % len(tips)]
        return f"> **Tip — {tip.title}.** {tip.text}\n\n"

    def _advance(self, prefix: str = "") -> Reply:
        """Ask the next open question of this stage, or finish the stage."""
        questions = self._questions()
        ctx = self._ctx()
        index = self.qindex + 1
        resume = self.memo.pop("~resume", None)
        if isinstance(resume, int) and resume < index:
            index = resume  # a question asked out of turn: back to the ones before it
        while index < len(questions):
            handler = self._flow().handler(questions[index])
            if not handler.filled(self.song):
                break
            index += 1
        if index >= len(questions):
            return self._finish(prefix)
        self.qindex = index
        step = self._flow().handler(questions[index]).ask(ctx, questions[index])
        self._set_choices(step.choices)
        text = step.text
        if not text.startswith("**") and not text.startswith("Here"):
            text = _bold_first_sentence(text)
        return self._reply(prefix + text)

    def _finish(self, prefix: str = "", *, skipped: bool = False) -> Reply:
        """Summarise the stage, give its checklist, and enter the next one."""
        from assistant.stages.summary import stage_summary

        stage = self.stage
        self._set_status(stage, "skipped" if skipped else "done")
        flow = self._flow()
        summary = stage_summary(self.song, stage, flow.checklist(self.kb), flow.ticked_by(self.kb))
        text = prefix + summary
        after = STAGES.index(stage) + 1
        nxt = next((s for s in STAGES[after:] if self.song.stages[s].status != "done"), None)
        if nxt is None:
            self.done = True
            self.qindex = len(self._questions())
            self._set_choices([])
            from assistant.stages.summary import final_summary

            left = [STAGE_TITLES[s] for s in STAGES if self.song.stages[s].status != "done"]
            if left:
                text += ("\n\nLeft open: " + ", ".join(left) + " — name a stage to go back "
                         "to it any time.")
            return self._reply(text + "\n\n" + final_summary(self.song), keep=False)
        return self._enter(nxt, prefix=text + "\n\n")

    # --- one turn --------------------------------------------------------------------------
    def _turn(self, text: str) -> Reply:
        from assistant.understanding import Context, read

        if not self.started:
            self._start()
        question = None if self.done else self._question()
        context = Context(self.stage, question.id if question is not None else "",
                          len(self._options()))
        return self._dispatch(read(text, context, _lexicon_for(self.kb)))

    def _dispatch(self, parsed: Command) -> Reply:
        if not self.started:
            self._start()
        intent = parsed.intent
        if intent == "empty":
            return self._reply(f"I'm listening. {self._question_text()}\n\n"
                               "_Type `help` to see what you can say._")
        if intent == "help":
            return self._reply(HELP + self._tool_help() + f"\n\n{self._question_text()}")
        if intent == "status":
            from assistant.stages.summary import sheet_markdown

            return self._reply(sheet_markdown(self.song) + f"\n\n{self._question_text()}")
        if intent == "quit":
            return self._reply("Saved — see you next time. `coach` picks up right here.",
                               keep=False, quit=True)
        if intent == "undo":
            return self._do_undo()
        step = self._run_tools(parsed)
        if step is not None:
            return self._take_step(step)
        from assistant.commands import handler

        command_handler = handler(intent)
        if command_handler is not None:
            return command_handler(self, parsed)
        if intent == "tool":  # no tool took it: an answer or a question after all
            intent = "question" if parsed.text.rstrip().endswith("?") else "answer"
            parsed = replace(parsed, intent=intent)
        if intent == "checklist":
            return self._checklist()
        if intent in ("tick", "untick"):
            return self._tick(parsed.numbers, done=intent == "tick")
        if intent == "more":
            return self._more()
        if intent == "why":
            return self._why(parsed.number)
        if intent == "play":
            return self._play(parsed.number, parsed.stage)
        if intent == "back":
            return self._back()
        if intent == "skip":
            return self._skip()
        if intent == "next":
            if self.done:
                return self._reply("We're at the end — all six stages are through. "
                                   "Name a stage to revisit it, or `status` for the sheet.")
            return self._finish("", skipped=not self._stage_has_decisions())
        if intent == "goto" and parsed.stage in STAGES:
            reply = self._goto(parsed.stage)  # type: ignore[arg-type]
            return self._focus(parsed) or reply
        if intent == "restart":
            return self._offer_restart()
        if intent == "suggest":
            return self._suggest()
        if intent == "arrange":
            return self._arrange(parsed)
        if intent == "question":
            return self._tips(parsed)
        if intent == "pick" and parsed.number is not None:
            picked = self._pick(parsed.number, parsed)
            if picked is not None:
                # "love option 2 but can it be in 6/8": the option, then the change on top
                extra = self._extra_changes(parsed, {})
                if not extra:
                    return picked
                question = None if self.done else self._question()
                if question is not None:  # the options on screen follow the change
                    step = self._flow().handler(question).ask(self._ctx(), question)
                    self._set_choices(step.choices)
                return replace(picked, text=f"{picked.text}\n\n{extra}", options=self._options())
        if intent == "change":
            return self._change(parsed)
        return self._answer(parsed)

    def _run_tools(self, parsed: Parsed) -> Step | None:
        """The current stage's tools read the turn first; the first that takes it wins."""
        hooks = [h for h in self._flow().tools() if h.wants(parsed.intent)]
        if not hooks:
            return None
        ctx = self._ctx()
        for hook in hooks:
            step = hook.run(ctx, parsed)
            if step is not None:
                return step
        return None

    def _stage_has_decisions(self) -> bool:
        return any(d.stage == self.stage for d in self.song.decisions)

    def _tool_help(self) -> str:
        lines = [f"- {hook.help}" for hook in self._flow().own_tools() if hook.help]
        return ("\n\n**Tools in this stage**\n\n" + "\n".join(lines)) if lines else ""

    def _pick(self, number: int, parsed: Parsed | None = None) -> Reply | None:
        if self.done and not self.choices:
            return None
        if number == -1:
            number = self.page * PAGE + len(self._options())
        if 1 <= number <= len(self.choices):
            return self._choose(self.choices[number - 1])
        return None  # not an option: maybe an answer ("90" for a tempo); the caller decides

    def _checklist(self, prefix: str = "") -> Reply:
        """The stage's checklist, numbered, with what is done."""
        from assistant.stages.summary import checklist_lines

        flow = self._flow()
        items = flow.checklist(self.kb)
        title = STAGE_TITLES[self.stage]
        question = self._question_text()
        after = f"\n\n{question}" if question else ""
        if not items:
            return self._reply(f"{prefix}{title} has no checklist.{after}")
        lines = checklist_lines(self.song, self.stage, items, flow.ticked_by(self.kb),
                                numbered=True)
        return self._reply(f"{prefix}**{title} checklist** — `tick 2` when an item is done, "
                           "`untick 2` to take it back (what the sheet already settles is "
                           "ticked for you):\n\n" + "\n".join(lines) + after)

    def _tick(self, numbers: tuple[int, ...], *, done: bool) -> Reply:
        from assistant.stages.summary import checklist_marks

        flow = self._flow()
        items = flow.checklist(self.kb)
        wrong = [n for n in numbers if not 1 <= n <= len(items)]
        if not items or wrong:
            return self._checklist(f"There is no item {wrong[0] if wrong else numbers[0]} "
                                   f"on this checklist.\n\n")
        ticked = list(self.song.stages[self.stage].checklist_done)
        for n in numbers:
            item = items[n - 1]
            if done and item not in ticked:
                ticked.append(item)
            elif not done and item in ticked:
                ticked.remove(item)
        self._apply({f"stages.{self.stage}.checklist_done": ticked})
        marks = checklist_marks(self.song, self.stage, items, flow.ticked_by(self.kb))
        kept = [n for n in numbers if marks[n - 1]] if not done else []
        said = "Ticked." if done else "Unticked." if len(kept) < len(numbers) else ""
        if kept:
            said += (f" Item {kept[0]} stays ticked: the sheet settles it (change the decision "
                     "to open it again).")
        if done and all(marks):
            said += " That's the whole checklist — say `next` when you're ready to move on."
        return self._checklist(said.strip() + "\n\n")

    def _offer_restart(self) -> Reply:
        """"start over": a new song (this one stays saved), or this song from the top."""
        from assistant.stages.base import Choice

        title = f"“{self.song.title}”" if self.song.title not in ("", "Untitled") else "This song"
        self._set_choices([
            Choice(label="Start a new song",
                   why=f"{title} stays saved as it is: `coach sessions list` shows it and "
                       "`coach chat --session ID` opens it again.",
                   action=f"{RESTART}:new", preview_bars=None),
            Choice(label="Go back to Conception with this song",
                   why="Everything on the sheet stays; change what you like from the top.",
                   action=f"{RESTART}:top", preview_bars=None),
        ])
        return self._reply("Start over how?")

    def _restart(self, how: str) -> Reply:
        self._set_choices([])
        if how == "new":
            return replace(self._reply("Starting a new song — this one is saved as it is.",
                                       keep=False), new_song=True)
        if self.stage == "conception" and not self.done:
            return self._enter("conception", revisit=True)
        return self._goto("conception")

    def _choose(self, choice: Choice) -> Reply:
        if choice.action.startswith(f"{RESTART}:"):
            return self._restart(choice.action.partition(":")[2])
        if choice.action == "coach-stay:":  # a side choice: apply it, ask the same again
            self._apply(choice.patch, choice.decisions)
            return self._after_change(f"**{choice.label}** — noted. {choice.say}".strip())
        if choice.action.startswith("coach-clarify:"):
            from assistant.commands.clarify import resolve

            return resolve(self, choice.action.partition(":")[2])
        if choice.action:
            from assistant.stages.base import find_tool

            name, _, argument = choice.action.partition(":")
            hook = find_tool(name)
            if hook is not None and hook.act is not None:
                step = hook.act(self._ctx(), argument)
                step.patch = {**choice.patch, **step.patch}
                step.decisions = [*choice.decisions, *step.decisions]
                return self._take_step(step)
        self._apply(choice.patch, choice.decisions)
        said = f"**{choice.label}** — noted." + (f" {choice.say}" if choice.say else "")
        if choice.completes_stage:
            return self._finish(said + "\n\n")
        return self._advance(said + "\n\n")

    def _answer(self, parsed: Parsed) -> Reply:
        ctx = self._ctx()
        question = self._question()
        step = None
        if question is not None and not self.done:
            step = self._flow().handler(question).answer(ctx, question, parsed)
            if step is None:
                other = self._answer_elsewhere(ctx, question, parsed)
                if other is not None:
                    return other
        if step is not None:
            extra = self._extra_changes(parsed, step.patch)
            if extra:
                step.text = f"{step.text} {extra}"
            return self._take_step(step)
        if parsed.intent == "yes" and question is not None and question.slot == "melody" \
                and not self.choices:
            from assistant.dialogue import Command

            step = self._run_tools(Command("tool", "sketch a melody"))  # "you choose": ideas
            if step is not None:
                return self._take_step(step)
        if parsed.intent == "yes":
            if not self.choices:
                self._suggest()  # "surprise me": make some, then take the first
            if self.choices:
                return self._choose(self.choices[self.page * PAGE])
            return self._clarify()
        if parsed.intent == "no" and question is not None:
            return self._reply("OK — tell me what you'd like instead, say `more` for other "
                               "ideas, or `skip`.")
        said = [self._extra_changes(parsed, {})]
        vibe = bool(parsed.slots.moods or parsed.slots.not_moods or parsed.slots.genre
                    or parsed.slots.references or parsed.slots.theme)
        if vibe:
            said.append(self._vibe_change(parsed))
        if vibe and self.song.key is not None and self.stage != "conception" \
                and not parsed.slots.key:
            from assistant.commands.feel import revised_keys

            return revised_keys(self, " ".join(x for x in said if x))  # a new feeling: new keys
        if any(said):
            return self._after_change(" ".join(x for x in said if x))
        number = parsed.number
        if parsed.intent == "pick" and number is not None:
            if 40 <= number <= 240:  # not an option: a tempo ("120")
                return self._change(replace(parsed, slots=replace(parsed.slots,
                                                                  tempo=float(number))))
            count = len(self.choices)
            if count == 1:
                return self._reply("There's only option 1 — or say what you'd like instead.")
            if count:
                return self._reply(f"There's no option {number} — pick 1 to {count}, "
                                   "or say `more`.")
            return self._reply(f"There are no numbered options right now. {self._question_text()}")
        return self._clarify()

    def _answer_elsewhere(self, ctx: Ctx, current: Question, parsed: Parsed) -> Reply | None:
        """An answer to another open question of this stage ("keep the feel" while asked for
        a take): apply it, then ask the current question again."""
        if parsed.intent != "answer":
            return None
        for question in self._questions():
            if question.id == current.id:
                continue
            handler = self._flow().handler(question)
            if getattr(handler, "takes_any_words", False) or handler.filled(self.song):
                continue  # a handler that takes any words would swallow everything
            step = handler.answer(ctx, question, parsed)
            if step is None or not step.answered or step.choices or step.complete_stage:
                continue
            self._apply(step.patch, step.decisions)
            self._remember(step.memo)
            again = self._flow().handler(current).ask(self._ctx(), current)
            if again.choices:
                self._set_choices(again.choices)
            reply = self._reply(f"{step.text}\n\n{_bold_first_sentence(again.text)}")
            return reply if step.analysis is None else replace(reply, analysis=step.analysis)
        return None

    def _take_step(self, step: Step) -> Reply:
        self._apply(step.patch, step.decisions)
        self._remember(step.memo)
        reply = self._step_reply(step)
        if step.preview is not None:
            reply = replace(reply, preview=step.preview)
        if step.analysis is not None:
            reply = replace(reply, analysis=step.analysis)
        return reply

    def _step_reply(self, step: Step) -> Reply:
        # once all six stages are through, a tool's answer settles nothing more
        if step.complete_stage and not self.done:
            return self._finish(step.text + "\n\n")
        if step.answered and not self.done:
            if step.choices:
                # the answer brought its own follow-up options (e.g. a backing track)
                self._set_choices(step.choices)
                nxt = self._advance_text()
                return self._reply(f"{step.text}\n\n{nxt}")
            return self._advance(step.text + "\n\n")
        if not step.keep_choices:
            self._set_choices(step.choices)
        text = step.text
        if step.then_ask:
            question = self._question_text()
            if question:
                text = f"{text}\n\n{question}"
        return self._reply(text)

    def _advance_text(self) -> str:
        """Move to the next question but keep the options just offered on screen, unless
        the next question brings its own or the stage is over."""
        keep_choices, keep_page, stage = self.choices, self.page, self.stage
        reply = self._advance()
        if not reply.options and self.stage == stage and not self.done:
            self.choices, self.page = keep_choices, keep_page
        return reply.text

    def _clarify(self) -> Reply:
        question = self._question()
        examples = ""
        if question is not None and question.examples:
            examples = " · ".join(f"“{e}”" for e in question.examples[:3])
        elif self.stage == "conception":
            examples = "“sad and slow”, “dark but danceable”, “like a lo-fi study beat”"
        hint = f" You could say {examples}." if examples else ""
        pick = " Or pick a number." if self.choices else ""
        return self._reply(
            f"I didn't catch that.{hint}{pick} (`help` lists everything.)\n\n"
            f"{self._question_text()}"
        )

    # --- commands --------------------------------------------------------------------------
    def _more(self) -> Reply:
        if not self.choices:
            return self._reply(f"No options to page through right now. {self._question_text()}")
        if (self.page + 1) * PAGE < len(self.choices):
            self.page += 1
            return self._reply("More options:")
        # out of ranked options: ask the rule engine again with another seed
        self.seed += 1
        question = self._question()
        if question is not None:
            step = self._flow().handler(question).ask(self._ctx(), question)
            fresh = [c for c in step.choices if c.label not in {x.label for x in self.choices}]
            if fresh:
                self.choices = self.choices + fresh
                self.page = (len(self.choices) - len(fresh)) // PAGE
                self.page = min(self.page, (len(self.choices) - 1) // PAGE)
                return self._reply("A few more:")
        self.page = 0
        return self._reply("That's all I have — back to the first ones. You can also type "
                           "your own answer.")

    def _suggest(self) -> Reply:
        """"What do you suggest?": the options on screen, or fresh ones for this question."""
        if self.choices:
            return self._reply("My suggestions — pick a number, “why N”, “play N” or “more”:")
        question = self._question()
        choices: list[Choice] = []
        if question is not None:
            choices = self._flow().handler(question).ask(self._ctx(), question).choices
        if not choices and self.stage == "conception":
            from assistant.stages.conception import starting_points

            choices = starting_points(self._ctx())  # no vibe yet: neutral starting points
        if not choices:
            return self._reply(f"I have no ready-made options for this one. "
                               f"{self._question_text()}")
        self._set_choices(choices)
        return self._reply("Here are some to start from — pick a number, “why N”, “play N” "
                           "or “more”:")

    def _why(self, number: int | None) -> Reply:
        if not self.choices:
            return self._reply(f"There's nothing numbered to explain right now. "
                               f"{self._question_text()}")
        if number is None or number == -1:
            number = self.page * PAGE + 1 if number is None else len(self.choices)
        if not 1 <= number <= len(self.choices):
            return self._reply(f"There's no option {number} — pick 1 to {len(self.choices)}.")
        choice = self.choices[number - 1]
        lines = [f"**{number}. {choice.label}**", "", choice.why]
        if choice.detail:
            lines += ["", choice.detail]
        for rule_id in choice.rule_ids[:4]:
            try:
                entry = self.kb.get(rule_id)
            except KeyError:
                continue
            name = getattr(entry, "name", rule_id)
            if entry.why not in choice.why:
                lines.append(f"- *{name}* (`{rule_id}`): {entry.why}")
            else:
                lines.append(f"- rule `{rule_id}`")
        return self._reply("\n".join(lines))

    def _play(self, number: int | None, section: str | None) -> Reply:
        from assistant.stages.music import chord_line, renderable

        if number is not None:
            if number == -1:
                number = len(self.choices)
            if not 1 <= number <= len(self.choices):
                return self._reply(f"There's no option {number} to play"
                                   + (f" — pick 1 to {len(self.choices)}." if self.choices
                                      else "."))
            choice = self.choices[number - 1]
            if choice.action and not choice.patch:  # a patch shows what it would sound like
                if choice.plays:
                    return self._choose(choice)  # it renders something to hear
                return self._reply(f"Option {number} is something I do, not something to "
                                   f"hear: type {number} to do it.")
            song = self._patched(choice.patch)
            bars = choice.preview_bars
            label = f"option {number}: {choice.label}"
            sec = choice.preview_section
        else:
            song = self.song
            if song.key is None and not song.progression:
                return self._reply("There's nothing to play yet — pick a key first "
                                   "(or `play 1` to hear an option).")
            bars = None if song.sections else 8
            sec = section if section and any(
                s.name.lower() == section for s in song.sections) else None
            if sec:
                bars = None
            label = f"the {sec}" if sec else ("the whole demo" if song.sections else
                                              "the song so far")
        song = renderable(song)
        key = song.key
        what = chord_line(song.progression[:8], key)
        length = f"{bars} bars of " if bars else ""
        text = (f"▶ {length}{what} in {key.name if key else '?'} at {song.tempo:g} bpm "
                f"— {label}.")
        return self._reply(text, preview=PreviewRequest(song, sec, bars, label))

    def _patched(self, patch: dict[str, Any]) -> Song:
        """A copy of the sheet with a choice applied, for previews."""
        saved = self.song
        try:
            self._apply(patch, [])
            song = self.song
        finally:
            self.song = saved
        if not song.progression and song.key is not None:
            ctx = self._ctx()
            from assistant.stages.base import Ctx

            probe = Ctx(song, ctx.kb, ctx.vocab, self.seed, self._cache)
            found = probe.suggest(key=True)
            if found and found.progressions:
                song = song.model_copy(update={"progression": list(found.progressions[0].numerals)})
        return song

    def _back(self) -> Reply:
        if self.done:
            self.done = False
            self.qindex = len(self._questions())
        if self.qindex > 0:
            self.qindex -= 2
            return self._advance_forced()
        index = STAGES.index(self.stage)
        if index == 0:
            return self._enter("conception", prefix="We're at the very start.\n\n")
        prev = STAGES[index - 1]
        self.stage = prev
        self._set_status(prev, "active")
        self.qindex = len(self._questions()) - 2
        return self._advance_forced(f"## {STAGE_TITLES[prev]}\n\n")

    def _advance_forced(self, prefix: str = "") -> Reply:
        """Ask the question after qindex even if the sheet already fills it (for `back`)."""
        questions = self._questions()
        index = max(0, self.qindex + 1)
        if not questions:
            return self._finish(prefix)
        index = min(index, len(questions) - 1)
        self.qindex = index
        question = questions[index]
        step = self._flow().handler(question).ask(self._ctx(), question)
        self._set_choices(step.choices)
        return self._reply(prefix + "Back to: " + _bold_first_sentence(step.text))

    def _skip(self) -> Reply:
        if self.done:
            return self._reply("Nothing left to skip — all six stages are through.")
        return self._advance("Skipped.\n\n")

    def _goto(self, stage: StageName) -> Reply:
        if stage == self.stage and not self.done:
            return self._reply(f"We're in {STAGE_TITLES[stage]} already. {self._question_text()}")
        if self.song.stages[self.stage].status == "active":
            self._set_status(self.stage, "done" if self._stage_has_decisions() else "todo")
        if self.song.stages[stage].status == "done":
            self._set_status(stage, "active")
        return self._enter(stage, revisit=True)

    def _focus(self, command: Command) -> Reply | None:
        """"Go back, I want to change the instruments": ask that question of the stage."""
        words = set(command.slots.words)
        for slot, names in _FOCUS_WORDS.items():
            if words & names:
                for index, question in enumerate(self._questions()):
                    if question.slot == slot:
                        earlier = [i for i, q in enumerate(self._questions()[:index])
                                   if not self._flow().handler(q).filled(self.song)]
                        if earlier:
                            self._remember({"~resume": earlier[0]})
                        self.qindex = index
                        step = self._flow().handler(question).ask(self._ctx(), question)
                        self._set_choices(step.choices)
                        title = STAGE_TITLES[self.stage]
                        return self._reply(f"Back in {title}. {_bold_first_sentence(step.text)}")
        return None

    def _do_undo(self) -> Reply:
        if not self._undo:
            return self._reply(f"Nothing to undo. {self._question_text()}")
        state = self._undo.pop()
        self._load(state, keep_undo=True)
        self._undoing = True
        return self._reply(f"Undone. {self._question_text()}")

    # --- changes ---------------------------------------------------------------------------
    def _extra_changes(self, parsed: Parsed, done: dict[str, Any]) -> str:
        """Apply explicit key/tempo/meter/length a message holds besides its answer."""
        from assistant.stages.settings import explicit_values

        patch, decisions, said = explicit_values(self._ctx(), parsed.slots, skip=set(done))
        if patch:
            self._apply(patch, decisions)
        if parsed.intent != "instruments" and (parsed.slots.add or parsed.slots.remove) \
                and "instrumentation" not in done:
            from assistant.commands.lineup import change_line_up

            changed = change_line_up(self, parsed)  # "...maybe with piano": the line-up too
            if changed is not None:
                said.append(f"line-up {changed[0]}")
        return "Also set: " + ", ".join(said) + "." if said else ""

    def _vibe_change(self, parsed: Parsed) -> str:
        """Mood or genre words after Conception ("make it darker"): they re-rank what comes."""
        from assistant.stages.conception import read_vibe

        patch, decisions, said = read_vibe(self._ctx(), parsed)
        self._apply(patch, decisions, stage="conception")
        moods = ", ".join(self.song.moods) or "open"
        genre = f"; genre {self.song.genre}" if self.song.genre else ""
        refs = f"; like {', '.join(self.song.references)}" if self.song.references else ""
        head = f"Noted: {said}." if said else "Noted."
        return f"{head} The feel is now {moods}{genre}{refs} — the suggestions follow it."

    def _change(self, parsed: Parsed) -> Reply:
        from assistant.stages.base import decision

        question = None if self.done else self._question()
        if question is not None:  # "make it 3 minutes" at the length question answers it
            step = self._flow().handler(question).answer(self._ctx(), question, parsed)
            if step is not None and step.answered:
                extra = self._extra_changes(parsed, step.patch)
                if extra:
                    step.text = f"{step.text} {extra}"
                return self._take_step(step)
        slots = parsed.slots
        if slots.key:  # "ok switch to G major" with that switch on offer: take the offer
            wanted = f"Switch to {slots.key[0]} {slots.key[1]}".rstrip()
            offer = next((c for c in self.choices if c.label == wanted or (
                not slots.key[1] and c.label.startswith(wanted + " "))), None)
            if offer is not None:
                return self._choose(offer)
        song = self.song
        patch: dict[str, Any] = {}
        decisions = []
        said: list[str] = []
        check = ""
        if slots.title:
            patch["title"] = slots.title
            said.append(f"the title is now “{slots.title}”")
        if slots.transpose:
            if song.key is None:
                return self._reply("There's no key to transpose yet — pick one first.")
            key = _transpose(song.key, slots.transpose)
            patch["key"] = {"tonic": key.tonic, "mode": key.mode}
            decisions.append(decision("key", key.name, f"Transposed {slots.transpose:+d} "
                                      "semitones from " + song.key.name + "."))
            said.append(f"transposed {slots.transpose:+d} semitones: now {key.name}")
        elif slots.not_mode and song.key is not None and song.key.mode == slots.not_mode:
            mode = "minor" if slots.not_mode == "major" else "major"  # "not in minor"
            patch["key"] = {"tonic": song.key.tonic, "mode": mode}
            decisions.append(decision("key", f"{song.key.tonic} {mode}",
                                      f"Not {slots.not_mode}, you said."))
            said.append(f"key {song.key.tonic} {mode}")
        elif slots.not_mode and self.choices:
            kept = [c for c in self.choices
                    if c.patch.get("key", {}).get("mode") != slots.not_mode]
            if kept and len(kept) < len(self.choices):
                self._set_choices(kept)
                return self._reply(f"Leaving out the {slots.not_mode} keys.")
        elif slots.key or slots.mode:
            from assistant.stages.settings import explicit_values

            given, chosen, named = explicit_values(self._ctx(), replace(
                slots, tempo=None, meter=None, length_s=None), why="You changed it.")
            patch.update(given)
            decisions += chosen
            said += named
        if slots.tempo:
            from assistant.stages.base import tempo_check

            patch["tempo"] = slots.tempo
            decisions.append(decision("tempo", f"{slots.tempo:g} bpm", "You changed it."))
            said.append(f"tempo {slots.tempo:g} bpm")
            check = tempo_check(self._ctx(), slots.tempo).strip()
        elif slots.tempo_delta and song.tempo is None and self.stage == "conception":
            # no tempo yet: "slower" is part of the vibe, and the starting points lean that way
            lean = "slow" if slots.tempo_delta < 0 else "fast"
            text = f"{song.mood_text}; {lean}" if song.mood_text else lean
            patch["mood_text"] = text
            said.append(f"leaning {lean}er")
        elif slots.tempo_delta:
            if song.tempo is None:
                base = 96.0
                found = self._ctx().suggest()
                if found:
                    base = float(found.tempo.bpm)
            else:
                base = song.tempo
            bpm = max(40.0, min(240.0, base + slots.tempo_delta))
            patch["tempo"] = bpm
            way = "faster" if slots.tempo_delta > 0 else "slower"
            decisions.append(decision("tempo", f"{bpm:g} bpm", f"You asked for it {way}."))
            said.append(f"tempo {base:g} → {bpm:g} bpm")
        if slots.meter:
            patch["meter"] = slots.meter
            decisions.append(decision("meter", slots.meter, "You changed it."))
            said.append(f"meter {slots.meter}")
        if slots.length_s or slots.length_delta:
            from assistant.stages.settings import mmss

            base = song.length_s or (round(song.duration_s()) if song.sections else 180)
            seconds = slots.length_s or max(30, base + (slots.length_delta or 0))
            patch["length_s"] = seconds
            decisions.append(decision("length", mmss(seconds), "You changed it."))
            said.append(f"length about {mmss(seconds)}")
            if song.sections:
                said.append("(the structure keeps its bars: pick a structure again or "
                            "add/drop sections to follow)")
        if not patch:
            return self._answer(parsed)
        try:
            self._apply(patch, decisions)
        except ValueError as error:
            return self._reply(f"That doesn't fit the sheet: {_first_error(error)}")
        text = "Changed: " + "; ".join(said) + "."
        if slots.tempo and check:
            text += " " + check
        if "key" in patch and self.song.progression:
            from assistant.stages.music import chord_line

            text += f" The progression follows: {chord_line(self.song.progression, self.song.key)}."
        return self._after_change(text)

    def _after_change(self, text: str) -> Reply:
        """After a change, ask the current question again with fresh options."""
        if self.done:
            return self._reply(text, keep=False)
        question = self._question()
        if question is None:
            return self._reply(text)
        step = self._flow().handler(question).ask(self._ctx(), question)
        if step.choices:
            self._set_choices(step.choices)
        return self._reply(f"{text}\n\n{_bold_first_sentence(step.text)}")

    def _advise_vibe(self, parsed: Parsed) -> Reply:
        """"Which key is best for sad songs?": what the rules say, without changing the sheet."""
        from assistant.stages.conception import genre_name, mood_names

        moods = mood_names(self._ctx(), parsed.slots.moods)
        genre = genre_name(self._ctx(), parsed.slots.genre)
        try:
            from assistant.rules import suggest

            found = suggest(mood_text=" ".join(moods) or None, genre=genre, kb=self.kb,
                            seed=self.seed)
        except Exception as error:  # the rules refusing the words is not worth a crash
            log.debug("advice failed: %s", error)
            return self._clarify()
        about = " and ".join([*moods, *([genre] if genre else [])])
        lines = [f"For {about}:"]
        lines += [f"- **{k.name}** — {k.why}" for k in found.keys[:3]]
        lines.append(f"- **tempo** — {found.tempo.why}")
        if found.progressions:
            prog = found.progressions[0]
            lines.append(f"- **chords** — {'–'.join(prog.symbols)}: {prog.why}")
        question = self._question_text()
        back = f"\n\nBack to where we were: {question}" if question else ""
        return self._reply("\n".join(lines) + back)

    def _arrange(self, parsed: Parsed) -> Reply:
        from assistant.stages.arrangement import apply_edit, section_map
        from assistant.stages.base import decision

        if not self.song.sections:
            if self.stage == "arrangement" and self.choices:
                return self._reply("Pick a structure first (a number), then I'll change it "
                                   "the way you like.")
            return self._reply("There's no structure yet — we set one up in Arrangement. "
                               "Say “let's do arrangement” to get there.")
        said = []
        for edit in parsed.edits:
            sections, message = apply_edit(self.song, edit)
            if sections is None:
                return self._reply(message)
            name = " ".join(x for x in (edit.action, edit.instrument, edit.section) if x)
            self._apply({"sections": sections},
                        [decision(f"edit: {name}", message, "Your arrangement edit.")],
                        stage="arrangement")
            said.append(message)
        total = self.song.total_bars
        from assistant.stages.arrangement import fmt_time

        text = (" ".join(said) + f"\n\nNow: {section_map(self.song.sections)} — {total} bars, "
                f"{fmt_time(self.song.duration_s())}.")
        return self._reply(text + (f"\n\n{self._question_text()}" if self._question() else ""))

    def _tips(self, parsed: Parsed) -> Reply:
        about_music = set(parsed.slots.words) & _VIBE_ADVICE_WORDS
        if (parsed.slots.moods or parsed.slots.genre) and about_music:
            return self._advise_vibe(parsed)  # "which key is best for sad songs?"
        tips = []
        query = _tip_query(parsed.text)
        try:
            from assistant.kb.index import search_tips

            tips = search_tips(query, limit=2, kb=self.kb, prefer=self.stage) if query else []
        except Exception as error:  # a broken index must not end the chat
            log.debug("tip search failed: %s", error)
        if not tips:
            if parsed.slots.any():
                return self._answer(parsed)
            text = ("I don't have a tip on that. Try asking about song sections (verse, "
                    "chorus, bridge), hooks, lyrics, arranging, recording vocals, editing "
                    "takes, levels, EQ, compression, reverb or loudness.")
        else:
            parts = []
            for tip in tips:
                stage = STAGE_TITLES.get(tip.stage, tip.stage)
                parts.append(f"**{tip.title}** ({stage})\n\n{tip.text}\n\n_Why: {tip.why}_")
            text = "\n\n".join(parts)
        question = self._question_text()
        back = f"\n\nBack to where we were: {question}" if question else ""
        return self._reply(text + back)


# Words that carry no topic in a question ("which is the best way to..."); single letters
# too, so "what's" does not search for "s".
_QUESTION_FILLER = frozenset(
    """best good better way ways should need use using song songs music sound sounds make
    making thing things really actually please tell know want like think get getting""".split()
)


# A question about a feel that asks for keys, tempos or chords gets the rules' answer.
_VIBE_ADVICE_WORDS = frozenset({"key", "keys", "tempo", "bpm", "chord", "chords", "progression",
                                "progressions", "scale", "mode", "fast", "slow", "speed"})
# Words that name one question of a stage ("change the instruments" -> instrumentation).
_FOCUS_WORDS: dict[str, set[str]] = {
    "instrumentation": {"instruments", "instrument", "lineup", "line", "instrumentation"},
    "length_s": {"length", "long", "longer", "shorter"},
    "structure": {"structure", "sections", "form"},
    "key": {"key"}, "tempo": {"tempo", "bpm", "speed"}, "meter": {"meter", "time"},
    "progression": {"chords", "progression"}, "melody": {"melody", "motif", "tune"},
    "title": {"title", "name"}, "genre": {"genre", "style"},
    "references": {"references", "reference"},
}


def _tip_query(text: str) -> str:
    import re

    words = re.findall(r"[a-z0-9]+", text.lower())
    return " ".join(w for w in words if len(w) > 2 and w not in _QUESTION_FILLER)


def _bold_first_sentence(text: str) -> str:
    if text.startswith("**"):
        return text
    head, sep, rest = text.partition("?")
    if sep and "\n" not in head and len(head) < 160:
        return f"**{head}?**{rest}"
    return text


def _changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    keys = ("song", "stage", "qindex", "done")
    return json.dumps([before[k] for k in keys], sort_keys=True) != json.dumps(
        [after[k] for k in keys], sort_keys=True
    )


def _first_error(error: Exception) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
        except Exception:
            pass
    return str(error).splitlines()[0]


_SHARPS = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_FLATS = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")


def _transpose(key: Key, semitones: int) -> Key:
    try:
        from assistant import theory

        return theory.transpose_key(key, semitones)
    except Exception:  # theory not available: plain pitch-class arithmetic
        tonic = key.tonic
        pc = (_SHARPS.index(tonic) if tonic in _SHARPS else _FLATS.index(tonic)) + semitones
        names = _FLATS if "b" in tonic or key.mode in ("major",) and pc % 12 in (1, 3, 8, 10) \
            else _SHARPS
        return Key(tonic=names[pc % 12], mode=key.mode)
