"""User-facing errors: each becomes one line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

EXIT_BAD_INPUT = 2


class CoachError(Exception):
    """Something the user can fix: a bad key, a broken file, an unwritable path."""

    exit_code = EXIT_BAD_INPUT

    def __str__(self) -> str:  # keep it to one line, whatever the message held
        return " ".join(super().__str__().split())


class BadInput(CoachError):
    """A value typed by the user that the coach cannot use."""


class KnowledgeError(CoachError):
    """A knowledge file that does not validate: names the file, the entry id and the field."""

    def __init__(self, file: str, entry_id: str | None, field: str | None, problem: str) -> None:
        self.file, self.entry_id, self.field, self.problem = file, entry_id, field, problem
        where = file
        if entry_id:
            where += f": entry {entry_id!r}"
        if field:
            where += f": field {field!r}"
        super().__init__(f"{where}: {problem}")


class FileProblem(CoachError):
    """A file that is missing, unreadable, corrupt or cannot be written."""
