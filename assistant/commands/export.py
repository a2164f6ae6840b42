""""export [to DIR]": the face writes the files (it knows where the user is looking)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from assistant.dialogue import ExportRequest

if TYPE_CHECKING:
    from assistant.coach import Coach
    from assistant.dialogue import Command, Reply


def export(coach: Coach, command: Command) -> Reply:
    folder = command.slots.path
    where = f" to {folder}" if folder else ""
    reply = coach._reply(f"Exporting the song{where}: the sheet (song.md, song.json), the MIDI "
                         "and a demo.")
    return replace(reply, export=ExportRequest(folder))
