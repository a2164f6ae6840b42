"""The current suggestions as one-line buttons.

An option is picked only by a click, or by Enter on a button the user moved to (Tab, Shift+Tab,
the arrow keys) while nothing is typed. Typing never picks: the app sends every printable key
and every paste to the input box, whatever has focus, so "120 bpm" is a message, not option 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button

from assistant.tui.chat import clean_text

if TYPE_CHECKING:
    from assistant.coach import Option

MAX_OPTIONS = 9


class OptionButton(Button):
    """A compact button for one numbered option; the `why` is its tooltip. The label and the
    why are shown as text (Content, not markup): they may quote what the user typed."""

    BINDINGS = [
        Binding("up,left", "step(-1)", "Previous option", show=False),
        Binding("down,right", "step(1)", "Next option", show=False),
    ]

    def __init__(self, number: int, label: str, why: str) -> None:
        label = clean_text(label)
        super().__init__(
            Content(f"{number}  {label}"),
            id=f"opt-{number}",
            classes="option",
            tooltip=Content(clean_text(why)) if why else None,
            compact=True,
        )
        self.number = number
        self.option_label = label

    def action_press(self) -> None:
        """Enter on a focused option: the app decides (something may be typed meanwhile)."""
        self.post_message(OptionsBar.Entered(self.number))

    def action_step(self, step: int) -> None:
        """Arrow keys walk the options; past the last one, back to the input box."""
        buttons = list(self.parent.query(OptionButton)) if self.parent else [self]
        index = buttons.index(self) + step if self in buttons else 0
        if index < 0:
            return
        if index >= len(buttons):
            self.post_message(OptionsBar.Leave())
            return
        self.screen.set_focus(buttons[index])


class OptionsBar(VerticalScroll, can_focus=False):
    """Shows the reply's options. Posts `Picked(number)` on a click, `Entered(number)` on
    Enter; the app sends the pick to the coach."""

    class Picked(Message):
        """An option was clicked."""

        def __init__(self, number: int) -> None:
            super().__init__()
            self.number = number

    class Entered(Picked):
        """Enter was pressed on a focused option."""

    class Leave(Message):
        """The arrow keys went past the last option: back to the input box."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.numbers: tuple[int, ...] = ()
        self.labels: dict[int, str] = {}

    async def set_options(self, options: Sequence[Option]) -> None:
        shown = list(options)[:MAX_OPTIONS]
        self.numbers = tuple(option.number for option in shown)
        self.labels = {option.number: clean_text(option.label) for option in shown}
        await self.remove_children()
        await self.mount_all(
            OptionButton(option.number, option.label, option.why) for option in shown
        )
        self.display = bool(shown)

    def focus_first(self) -> bool:
        buttons = list(self.query(OptionButton))
        if not buttons:
            return False
        if len(self.app.screen_stack) == 1:
            self.screen.set_focus(buttons[0], scroll_visible=False)
        return True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if isinstance(event.button, OptionButton):
            event.stop()
            self.post_message(self.Picked(event.button.number))
