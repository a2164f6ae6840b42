"""The coach's Textual app: chat log, suggestions, Song sheet, stage stepper, previews.

Fast start: this module imports only Textual. The coach, the store and everything heavy
(pydantic, the knowledge base, music21, sqlite-utils) load after the first paint, on one
"core" thread that also runs every turn, so the UI never waits and the core's objects
(the coach, the store's SQLite connection) are only ever touched from that one thread.
Previews render in a Textual thread worker (`exclusive=True`: a new one replaces the old).

Typing is typing: every printable key and every paste goes into the input box, whatever has
focus (`CoachApp.on_event` routes them there before any widget sees them, so a fast burst
keeps its order). A decision is made only by Enter on a typed message, a click on an option,
or Enter on an option the user moved to (Tab, arrows) with nothing typed. Clicks and keys that
mean something precise reach the coach as a `Command` (`Coach.do`), never as English.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import Footer, Input
from textual.worker import get_current_worker

from assistant.tui.chat import ChatLog, HistoryInput, clean_text
from assistant.tui.options import OptionsBar
from assistant.tui.play import PlayStatus, short_path
from assistant.tui.sheet import SheetData, SongSheet
from assistant.tui.stepper import TITLES, StageStepper

if TYPE_CHECKING:
    from assistant.coach import Coach, Option, PreviewRequest, Reply
    from assistant.dialogue import Command
    from assistant.song import Song

HISTORY_TURNS = 3


@dataclass(frozen=True)
class TurnResult:
    """What the core thread hands the UI after a turn (plain values: attributes down)."""

    user_text: str | None
    reply: Reply
    sheet: SheetData
    stage: str
    statuses: dict[str, str]
    song: Song
    save_error: str = ""
    history: tuple[tuple[str, str], ...] = ()
    """On resume: the last few (user, reply) turns of the session, oldest first."""


def _resolve(source: Any, method: str) -> Any:
    """An object, or a factory for it (a class or a function): call factories once."""
    if source is None:
        return None
    if isinstance(source, type) or (callable(source) and not hasattr(source, method)):
        return source()
    return source


def short_why(why: str, limit: int = 72) -> str:
    """The first clause of a `why` (the whole one is the button's tooltip and `why N`)."""
    text = " ".join(why.split())
    for stop in (". ", "; "):
        head, found, _ = text.partition(stop)
        if found and len(head) >= 20:
            text = head
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def options_markdown(options: tuple[Option, ...]) -> str:
    """The options as they stay in the chat log (buttons come and go, the log stays)."""
    lines = []
    for option in options:
        why = f" — *{short_why(option.why)}*" if option.why else ""
        lines.append(f"- **{option.number}** · {option.label}{why}")
    return "\n".join(lines)


class CoachApp(App[int]):
    """Build it with `make_app(coach, store)`; `coach` may be a factory for a fast start."""

    CSS_PATH = "coach.tcss"
    TITLE = "coach"
    ENABLE_COMMAND_PALETTE = False
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (96, "-wide")]
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("ctrl+p", "play", "Play"),
        Binding("escape", "stop", "Stop"),
        Binding("ctrl+s", "export", "Export"),
        Binding("ctrl+t", "toggle_theme", "Theme"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("pageup", "scroll_chat(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll_chat(1)", "Scroll down", show=False),
    ]

    def __init__(
        self,
        coach: Coach | Callable[[], Coach],
        store: Any = None,
        *,
        session_id: Any = None,
    ) -> None:
        super().__init__()
        self._coach_source = coach
        self._store_source = store
        self.coach: Coach | None = None
        self.store: Any = None
        self.session_id = session_id
        self._core = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coach-core")
        self._queue: list[str | Command] = []
        self._turn_running = False
        self._working = False  # the status line says "working on it…" for a slow turn
        self._in_core = False  # a turn is on the core thread now
        self._song: Song | None = None
        self._player: Any = None
        self._player_lock = threading.Lock()
        self.last_wav: Path | None = None
        self.last_export: Path | None = None
        self.turns = 0
        self._done_noted = False

    # --- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StageStepper(id="stepper")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield ChatLog(id="chat")
                yield OptionsBar(id="options")
                yield PlayStatus(id="play-status")
                yield HistoryInput(
                    placeholder="Type here, Enter to send · F1 help",
                    id="input",
                )
            with VerticalScroll(id="sheet-box", can_focus=False):
                yield SongSheet(id="sheet")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#options", OptionsBar).display = False
        self.query_one("#input", Input).focus()
        self._set_status("busy", "starting the coach…")
        # Paint first; the core (coach, knowledge, store) loads after this refresh.
        self.call_after_refresh(self._submit, None)

    async def on_unmount(self) -> None:
        self._stop_player()
        self._core.shutdown(wait=False, cancel_futures=True)

    # --- turns ----------------------------------------------------------------------------
    def _submit(self, turn: str | Command | None) -> None:
        """Queue a turn for the core thread: typed text, a `Command` (a click, a key that
        means something precise), or None for the coach's greeting."""
        if self._turn_running:
            if turn is not None:
                self._queue.append(turn)
            return
        self._turn_running = True
        self._turns(turn)

    @work(exclusive=False, group="turn")
    async def _turns(self, turn: str | Command | None) -> None:
        loop = asyncio.get_running_loop()
        pending: list[str | Command | None] = [turn]
        try:
            while pending:
                current = pending.pop(0)
                # A slow turn (measuring or mastering a mix takes seconds) shows that it works.
                timer = self.set_timer(0.4, self._show_working)
                self._in_core = True
                try:
                    result = await loop.run_in_executor(self._core, self._core_turn, current)
                except Exception as error:  # the face must survive a broken core
                    await self._chat.add_note(f"Something went wrong: {error}")
                else:
                    await self._show(result)
                finally:
                    self._in_core = False
                    timer.stop()
                    self._end_working()
                pending.extend(self._queue)
                self._queue.clear()
        finally:
            self._turn_running = False

    def _show_working(self) -> None:
        if not self._in_core:
            return  # the timer fired as the turn ended: nothing to say
        status = self.query_one("#play-status", PlayStatus)
        if status.state in ("idle", "saved", "error"):
            self._working = True
            status.set("busy", "working on it…")

    def _end_working(self) -> None:
        if self._working:
            self._working = False
            status = self.query_one("#play-status", PlayStatus)
            if status.state == "busy":
                status.set("idle")

    def _core_turn(self, turn: str | Command | None) -> TurnResult:
        """Runs on the core thread: load on first use, take the turn, save it."""
        from assistant.tui.sheet import sheet_data

        history: tuple[tuple[str, str], ...] = ()
        if self.coach is None:
            self.coach = _resolve(self._coach_source, "handle")
            self.store = _resolve(self._store_source, "save_turn")
            history = self._history()
        coach = self.coach
        assert coach is not None
        text: str | None
        if turn is None:
            text, reply = None, coach.start()
        elif isinstance(turn, str):
            text, reply = turn, coach.handle(turn)
        else:
            # what the user did, in the session's history: the option's label, "play"...
            text = turn.text or turn.intent
            do = getattr(coach, "do", None)  # a scripted stand-in may only read text
            reply = do(turn) if do is not None else coach.handle(text)
        save_error = ""
        try:
            self._save_turn(coach, text, reply)
            if getattr(reply, "new_song", False):
                coach, reply = self._new_song(coach, reply)
        except Exception as error:  # a failed save is reported, the chat goes on
            save_error = str(error)
        song = coach.song.model_copy(deep=True)
        return TurnResult(
            user_text=text,
            reply=reply,
            sheet=sheet_data(song),
            stage=reply.stage,
            statuses={stage: state.status for stage, state in song.stages.items()},
            song=song,
            save_error=save_error,
            history=history,
        )

    def _history(self) -> tuple[tuple[str, str], ...]:
        """The end of a resumed session, so the chat does not start blank."""
        if self.store is None:
            return ()
        session_id = self.session_id or getattr(self.store, "session_id", None)
        if session_id is None:
            return ()
        try:
            turns = self.store.turns(session_id)[-HISTORY_TURNS:]
        except Exception:  # history is a courtesy: never block the start on it
            return ()
        return tuple((str(turn["user"]), str(turn["reply"])) for turn in turns)

    def _save_turn(self, coach: Coach, text: str | None, reply: Reply) -> None:
        """Every turn is saved before its reply is shown (the store: one transaction)."""
        store = self.store
        if store is None:
            return
        if self.session_id is None:
            self.session_id = getattr(store, "session_id", None)
        if text is None:
            if self.session_id is not None:
                store.save(self.session_id, coach)
            return
        self.session_id = store.save_turn(self.session_id, coach, text, reply)

    def _new_song(self, old: Coach, said: Reply) -> tuple[Coach, Reply]:
        """The old session is saved; a new one starts, and its greeting follows `said`.
        Without a store (nothing is saved anyway) the new song lives in memory only."""
        resume = getattr(self.store, "resume", None)
        if resume is not None:
            coach = resume(new=True, knowledge=old.kb)
            self.session_id = getattr(self.store, "session_id", None)
        else:
            coach = type(old)(knowledge=old.kb)
        self.coach = coach
        first = coach.start()
        self._save_turn(coach, None, first)
        return coach, replace(first, text=f"{said.text}\n\n{first.text}")

    async def _show(self, result: TurnResult) -> None:
        reply = result.reply
        status = self.query_one("#play-status", PlayStatus)
        if status.state == "busy" and self.turns == 0:
            status.set("idle")
        if result.history:
            await self._chat.add_note("Earlier in this session:")
            for user_text, reply_text in result.history:
                await self._chat.add_user(user_text)
                await self._chat.add_coach(reply_text)
        text = reply.text
        if reply.options:
            text = f"{text}\n\n{options_markdown(reply.options)}"
        await self._chat.add_coach(text)
        analysis = getattr(reply, "analysis", None)  # a mix analysis, when a reply has one
        if isinstance(analysis, dict) and "integrated_lufs" in analysis:
            await self._chat.add_mix(analysis)
        await self.query_one("#options", OptionsBar).set_options(reply.options)
        self.query_one("#sheet", SongSheet).show(result.sheet)
        stepper = self.query_one("#stepper", StageStepper)
        stepper.statuses = result.statuses
        stepper.stage = result.stage
        self._song = result.song
        export = getattr(reply, "export", None)  # "export to ~/songs" said in the chat
        if export is not None:
            self.action_export(getattr(export, "folder", None))
        if result.save_error:  # the store keeps the turn and saves it with the next one
            await self._chat.add_note(f"Not saved: {result.save_error}")
        said = result.user_text or ""
        from assistant.store import USER_LIMIT  # the core is loaded by the time a turn shows

        if len(said) > USER_LIMIT:
            await self._chat.add_note(f"Your message has {len(said):,} characters: the coach "
                                      f"read all of it; the session log keeps the first "
                                      f"{USER_LIMIT:,}.")
        if reply.preview is not None:
            self.play_preview(reply.preview)
        if not self.query_one("#input", HistoryInput).has_focus:
            # The box keeps the focus: options are new, nobody has moved to one yet.
            self._focus_input()
        if reply.done and not self._done_noted:
            self._done_noted = True
            await self._chat.add_note("All six stages are through. Ctrl+S exports the song.")
        self.turns += 1  # a reply is on screen (tests and benchmarks wait on this)
        if getattr(reply, "quit", False):
            self.set_timer(0.8, lambda: self.exit(0))  # long enough to read the goodbye

    def _focus_input(self) -> None:
        """Focus the input at once (`Widget.focus` waits for the queued keys to go first)."""
        input_ = self.query_one("#input", HistoryInput)
        if len(self.screen_stack) == 1:
            self.screen.set_focus(input_, scroll_visible=False)
        else:
            input_.focus()

    @property
    def _chat(self) -> ChatLog:
        return self.query_one("#chat", ChatLog)

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        await self._send(event.value)

    async def _send(self, value: str) -> None:
        """Send what was typed. The box was emptied when Enter was pressed (what is in it now
        was typed after, and stays)."""
        text = clean_text(value).strip()
        if not text:
            return  # Enter on an empty box: nothing is sent, nothing is picked
        input_ = self.query_one("#input", HistoryInput)
        input_.remember(text)
        await self._chat.add_user(text)
        self._submit(text)

    def _command(self, intent: str, text: str, **fields: Any) -> Command:
        # imported on use: the core (pydantic) is loaded by then, and not needed to paint
        from assistant.dialogue import Command

        return Command(intent, text=text, **fields)  # type: ignore[arg-type]

    async def pick(self, number: int) -> None:
        """Choose a numbered suggestion (a click, or Enter on it): `Command("pick")` with the
        option's label, which the chat shows as what the user said."""
        options = self.query_one("#options", OptionsBar)
        if number not in options.numbers:
            return
        label = options.labels.get(number) or str(number)
        self._focus_input()
        await options.set_options(())  # taken: no second pick of the same list
        await self._chat.add_user(label)
        self._submit(self._command("pick", label, number=number))

    async def on_options_bar_picked(self, message: OptionsBar.Picked) -> None:
        await self.pick(message.number)

    async def on_options_bar_entered(self, message: OptionsBar.Entered) -> None:
        """Enter on an option the user moved to: picks it when nothing is typed; with
        something in the box, Enter sends that (Enter never throws typing away)."""
        input_ = self.query_one("#input", HistoryInput)
        if input_.value.strip():
            value, input_.value = input_.value, ""
            await self._send(value)
        else:
            await self.pick(message.number)

    def on_options_bar_leave(self, message: OptionsBar.Leave) -> None:
        self._focus_input()

    async def on_stage_stepper_chosen(self, message: StageStepper.Chosen) -> None:
        """A click on a stage in the stepper: `Command("goto")` to that stage."""
        said = f"Go to {TITLES[message.stage]}"
        await self._chat.add_user(said)
        self._submit(self._command("goto", said, stage=message.stage))

    async def on_event(self, event: events.Event) -> None:
        """Every printable key and every paste goes to the input box, whatever has focus.
        Done here, before the focused widget sees the event, so the keys of a fast burst
        land in order and an option button never takes a digit as a pick."""
        if (
            isinstance(event, (events.Key, events.Paste))
            and not event.is_forwarded
            and len(self.screen_stack) == 1
            and self._type_into_input(event)
        ):
            return
        await super().on_event(event)

    def _type_into_input(self, event: events.Key | events.Paste) -> bool:
        """True when the event was typed into the input box (or opened the help)."""
        try:
            input_ = self.query_one("#input", HistoryInput)
        except NoMatches:  # before the first compose
            return False
        if self.focused is input_:
            return False  # the box types (and pastes, see HistoryInput) for itself
        if isinstance(event, events.Paste):
            self._focus_input()
            from assistant.lyrics.paste import join_pasted

            input_.type_text(join_pasted(event.text, input_.value))
            return True
        char = event.character
        if not (event.is_printable and char):
            return False
        if char == "?" and not input_.value:
            # `?` alone, away from the box: help. Typed in a sentence, it is a question mark.
            self.action_help()
            return True
        self._focus_input()  # now: the next keys of a burst go straight to the box
        input_.type_text(char)
        return True

    async def on_key(self, event: events.Key) -> None:
        """Esc away from the input box goes back to it (Esc stops a preview first: that
        binding wins while one plays)."""
        if len(self.screen_stack) > 1:
            return
        if event.key == "escape" and not self.query_one("#input", HistoryInput).has_focus:
            event.stop()
            self._focus_input()

    # --- actions --------------------------------------------------------------------------
    def action_help(self) -> None:
        from assistant.tui.help import HelpScreen  # Markdown: not needed for the first paint

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def action_scroll_chat(self, direction: int) -> None:
        chat = self._chat
        if direction < 0:
            chat.scroll_page_up()
        else:
            chat.scroll_page_down()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.query_one("#play-status", PlayStatus).state in ("rendering", "playing")
        return True

    # --- previews -------------------------------------------------------------------------
    async def action_play(self) -> None:
        """Ctrl+P: the song so far: `Command("play")`; the chat shows "play" and the coach
        decides what "so far" means (8 bars of the progression, or the arrangement)."""
        await self._chat.add_user("play")
        self._submit(self._command("play", "play"))

    def play_preview(self, request: PreviewRequest) -> None:
        self._stop_player()
        self._set_status("rendering", f"rendering {request.label}…")
        self._preview_worker(request)

    def action_stop(self) -> None:
        self.workers.cancel_group(self, "preview")
        self._stop_player()
        status = self.query_one("#play-status", PlayStatus)
        if status.state == "playing" and self.last_wav is not None:
            self._set_status("saved", f"stopped; saved {self.last_wav.name}")
        elif status.state == "rendering":
            self._set_status("idle")

    def _set_status(self, state: str, text: str = "") -> None:
        self.query_one("#play-status", PlayStatus).set(state, text)
        self.refresh_bindings()

    def _status_from_thread(self, state: str, text: str = "") -> None:
        self.call_from_thread(self._set_status, state, text)

    @work(thread=True, exclusive=True, group="preview")
    def _preview_worker(self, request: PreviewRequest) -> None:
        worker = get_current_worker()
        try:
            from assistant.coach import render_request

            # previews/<label>-<time>.wav unless the request names its file (a click track)
            result = render_request(request)
        except Exception as error:  # soundfont missing, bad song: a status line, not a crash
            if not worker.is_cancelled:
                self._status_from_thread("error", f"Could not render the {request.kind}: {error}")
            return
        wav = result.wav
        if wav is None:
            return
        self.last_wav = wav
        if worker.is_cancelled:
            return
        seconds = float(result.duration_s or 0.0)
        what = request.kind[:1].upper() + request.kind[1:]
        note = f"{what} saved: {wav} ({seconds:.1f} s; MIDI beside it)"
        self.call_from_thread(self.call_later, self._chat.add_note, note)
        self._play_file(wav, request.label, seconds, worker)

    def _play_file(self, wav: Path, label: str, duration: float, worker: Any) -> None:
        """Play with the system player if there is one; otherwise say where the WAV is."""
        import subprocess
        import time

        command = player_command()
        saved = f"saved {wav.name}"  # the whole path is in the chat note
        if not command:
            self._status_from_thread("saved", f"{saved} (no audio player found)")
            return
        with self._player_lock:
            if worker.is_cancelled:
                return
            try:
                self._player = player = subprocess.Popen(
                    [*command, str(wav)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,  # players print ALSA errors: the screen is ours
                    start_new_session=True,
                )
            except OSError as error:
                self._status_from_thread("saved", f"{saved} (cannot run {command[0]}: {error})")
                return
        self._status_from_thread("playing", f"playing {label} · Esc stops")
        started = time.monotonic()
        code = player.wait()
        if worker.is_cancelled:
            return
        # Players without a sound card often exit at once, some with status 0 (ffplay).
        if code != 0 or time.monotonic() - started < duration * 0.5:
            self._status_from_thread("saved", f"{saved} (no audio output here)")
        else:
            self._status_from_thread("saved", f"played {label}; {saved}")

    def _stop_player(self) -> None:
        with self._player_lock:
            player, self._player = self._player, None
        if player is not None and player.poll() is None:
            player.terminate()

    # --- export ---------------------------------------------------------------------------
    def action_export(self, folder: str | None = None) -> None:
        """Ctrl+S, or "export [to DIR]" said in the chat (the reply's `ExportRequest`)."""
        if self._song is None:
            self._set_status("error", "Nothing to export yet: the coach is still starting.")
            return
        self._set_status("busy", "exporting (rendering the demo)…")
        self._export_worker(self._song, self.session_id, folder)

    @work(thread=True, exclusive=True, group="export")
    def _export_worker(self, song: Song, session_id: Any, where: str | None = None) -> None:
        """Renders the demo too, so it runs beside the turns, on a copy of the sheet. A folder
        the user named keeps its own song files: the export goes into a new sub-folder."""
        from assistant.export import export_where_said

        try:
            result = export_where_said(song, where, session_id)
        except Exception as error:  # a bad path or soundfont: say so, keep going
            message = f"Export failed: {error}"
            self._status_from_thread("error", message)
            self.call_from_thread(self.call_later, self._chat.add_note, message)
            return
        folder = Path(result["folder"])
        self.last_export = folder
        self._status_from_thread("saved", f"exported to {short_path(folder)}")
        note = f"Exported song.json, song.md, song.mid and preview.wav to {folder}"
        if result.get("subfolder"):
            note += f" ({Path(where or folder).expanduser()} already had song files: kept)"
        self.call_from_thread(self.call_later, self._chat.add_note, note)


def player_command() -> list[str] | None:
    """The system's command-line audio player, if any (`COACH_NO_PLAY` turns playing off)."""
    import os
    import shutil

    if os.environ.get("COACH_NO_PLAY"):
        return None
    for command in (
        ["afplay"],
        ["paplay"],
        ["pw-play"],
        ["aplay", "-q"],
        ["ffplay", "-nodisp", "-autoexit", "-loglevel", "quiet"],
    ):
        if shutil.which(command[0]):
            return command
    return None


def make_app(coach: Coach | Callable[[], Coach], store: Any = None, **kwargs: Any) -> CoachApp:
    """The one app factory: the CLI, the tests and the snapshot tests all use it."""
    return CoachApp(coach, store, **kwargs)


def run_tui(coach: Coach | Callable[[], Coach], store: Any = None, **kwargs: Any) -> int:
    """Run the full-screen coach until the user quits; returns the exit code."""
    app = make_app(coach, store, **kwargs)
    code = app.run()
    if getattr(app.store, "unsaved", 0):  # turns a failed save kept: one more try, or say so
        from assistant.cli.chat import finish_saving

        finish_saving(app.store, app.session_id)
    return int(code or 0)
