"""The chat log (the coach's Markdown, the user's plain words) and the input with history."""

from __future__ import annotations

import re
from typing import Any

from textual import events
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Static

from assistant.safe_text import clean_text as clean_text  # re-exported: the TUI's modules use it

MAX_MESSAGES = 60  # older messages leave the DOM so layout stays quick in long sessions


class UserMessage(Static):
    """What the user typed (or did: an option's label), shown as typed: no markup."""

    def __init__(self, text: str) -> None:
        super().__init__(clean_text(text), markup=False, classes="message user")


_TASK = re.compile(r"^(\s*[-*+] )\[([ xX])\] ", re.MULTILINE)


def task_boxes(markdown: str) -> str:
    """`- [ ] item` as a ballot box: Textual's Markdown has no task lists (checklists)."""
    return _TASK.sub(lambda m: m.group(1) + ("☐ " if m.group(2) == " " else "☑ "), markdown)


def coach_message(text: str) -> Widget:
    """The coach's Markdown. Imported on first use: markdown-it is not needed to paint."""
    from textual.widgets import Markdown

    return Markdown(task_boxes(clean_text(text, lines=True)), classes="message coach")


class NoteMessage(Static):
    """A one-line note from the app itself (export done, errors), not from the coach."""

    def __init__(self, text: str) -> None:
        super().__init__(clean_text(text, lines=True), markup=False, classes="message note")


class ChatLog(VerticalScroll, can_focus=False):
    """Messages top to bottom, kept scrolled to the newest."""

    async def add(self, message: Widget) -> None:
        await self.mount(message)
        extra = len(self.children) - MAX_MESSAGES
        if extra > 0:
            await self.remove_children(list(self.children)[:extra])
        # Anchored: stays at the bottom while the Markdown lays itself out, until the
        # user scrolls up; each new message anchors again.
        self.anchor()

    async def add_user(self, text: str) -> None:
        await self.add(UserMessage(text))

    async def add_coach(self, markdown: str) -> None:
        await self.add(coach_message(markdown))

    async def add_note(self, text: str) -> None:
        await self.add(NoteMessage(text))

    async def add_mix(self, analysis: dict[str, Any]) -> None:
        """A mix analysis (`analyze_audio`'s dict) as the audio helper's meter and chart."""
        from textual.containers import Vertical

        from assistant.tui.mix_widgets import LoudnessMeter, SpectrumChart

        panel = Vertical(LoudnessMeter(analysis), classes="message mix")
        if analysis.get("spectral_balance"):
            panel = Vertical(
                LoudnessMeter(analysis), SpectrumChart(analysis), classes="message mix"
            )
        await self.add(panel)


class HistoryInput(Input):
    """An Input whose up/down keys walk back through what was typed before."""

    BINDINGS = [
        Binding("up", "history(-1)", "Previous", show=False),
        Binding("down", "history(1)", "Next", show=False),
    ]

    def __init__(self, **kwargs: object) -> None:
        # no select-on-focus: a letter forwarded from an option button must not be replaced
        super().__init__(select_on_focus=False, **kwargs)  # type: ignore[arg-type]
        self.history: list[str] = []
        self._position = 0
        self._draft = ""

    def type_text(self, text: str) -> None:
        """Typed or pasted text, from wherever it came: cleaned (no control characters, one
        line), inserted at the cursor (replacing a selection)."""
        text = clean_text(text)
        if not text:
            return
        selection = self.selection
        if selection.is_empty:
            self.insert_text_at_cursor(text)
        else:
            self.replace(text, *selection)

    async def _on_key(self, event: events.Key) -> None:
        # Enter and Backspace act here, in turn with the letters. As bindings they would run
        # only when the key came back up to the app, after the letters typed behind them:
        # "help⏎checklist⏎" was sent as "helpchecklist".
        if event.key in ("enter", "backspace"):
            event.stop()
            event.prevent_default()
            self._restart_blink()
            if event.key == "enter":
                await self.action_submit()
            else:
                self.action_delete_left()
            return
        await super()._on_key(event)

    async def action_submit(self) -> None:
        """Enter: the box empties at once, with the message handed on. Keys a fast typist
        sends right after are already queued behind this Enter: they start the next message
        instead of joining this one ("help", "checklist", not "helpchecklist")."""
        value, self.value = self.value, ""
        self.post_message(self.Submitted(self, value))

    def _on_paste(self, event: events.Paste) -> None:
        # Input keeps only the first line of a paste; here every line arrives, joined
        # (lyric lines with " / ", which the chat's lyric reader splits again)
        from assistant.lyrics.paste import join_pasted

        event.stop()
        event.prevent_default()
        self.type_text(join_pasted(event.text, self.value))

    def remember(self, text: str) -> None:
        if text and (not self.history or self.history[-1] != text):
            self.history.append(text)
        self._position = len(self.history)
        self._draft = ""

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        if self._position == len(self.history):
            self._draft = self.value
        position = max(0, min(len(self.history), self._position + step))
        if position == self._position:
            return
        self._position = position
        self.value = self.history[position] if position < len(self.history) else self._draft
        self.cursor_position = len(self.value)
