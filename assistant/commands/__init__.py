"""What the coach does for the commands that are not a stage's own question: feedback on the
feel, the instrument line-up, glossary answers, typed chords. One module per kind, each a
function `(coach, command) -> Reply`; `HANDLERS` is the registry the coach dispatches from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.coach import Coach
    from assistant.dialogue import Command, Reply

Handler = Callable[["Coach", "Command"], "Reply"]


def handler(intent: str) -> Handler | None:
    """The handler of `intent`, imported on first use (the chat's start stays light)."""
    module = _MODULES.get(intent)
    if module is None:
        return None
    from importlib import import_module

    return getattr(import_module(f"assistant.commands.{module}"), intent)  # type: ignore[no-any-return]


_MODULES = {"feedback": "feel", "instruments": "lineup", "define": "glossary",
            "chords": "chords", "export": "export", "clarify": "clarify", "lyrics": "lyrics"}
