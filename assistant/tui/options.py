"""The current suggestions as one-line buttons; picked by click, Enter or the number keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Button

if TYPE_CHECKING:
    from assistant.coach import Option

MAX_OPTIONS = 9  # number keys 1-9


class OptionButton(Button):
    """A compact button for one numbered option; the `why` is its tooltip."""

    def __init__(self, number: int, label: str, why: str) -> None:
        super().__init__(
            f"{number}  {label}",
            id=f"opt-{number}",
            classes="option",
            tooltip=why or None,
            compact=True,
        )
        self.number = number

    def action_press(self) -> None:
        """Enter on a focused option: the app decides (typing may have started meanwhile)."""
        self.post_message(OptionsBar.Entered(self.number))


class OptionsBar(VerticalScroll, can_focus=False):
    """Shows the reply's options. Posts `Picked(number)`; the app sends it to the coach."""

    class Picked(Message):
        """An option was clicked."""

        def __init__(self, number: int) -> None:
            super().__init__()
            self.number = number

    class Entered(Picked):
        """Enter was pressed on a focused option."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.numbers: tuple[int, ...] = ()

    async def set_options(self, options: Sequence[Option]) -> None:
        shown = list(options)[:MAX_OPTIONS]
        self.numbers = tuple(option.number for option in shown)
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
