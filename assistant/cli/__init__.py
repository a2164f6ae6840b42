"""The `coach` command line: argparse subcommands that parse, call the core and print.

Each subcommand lives in its own module here with `register(subparsers)`; those modules
import nothing heavy at the top (no pydantic, music21, numpy, textual), so `coach --help`
stays fast. Work is imported inside each command's `run(args)`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from assistant import __version__

# Order here is the order in `coach --help`.
COMMAND_MODULES = (
    "suggest",
    "render",
    "click",
    "chat",
    "sessions",
    "next_chord",
    "harmonize",
    "melody",
    "lyrics",
    "rhyme",
    "transcribe",
    "chords",
    "analyze",
    "master",
    "record",
    "takes",
    "quantize",
    "transpose",
    "humanize",
    "kb",
)


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line (its default prints the whole usage too)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"coach: error: {message} (see `{self.prog} --help`)\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or with `command` (a module of COMMAND_MODULES) only that
    subcommand's: a command then imports its own module, not every other one."""
    parser = _Parser(
        prog="coach",
        description="An offline music-production coach: from a vibe to a finished, "
        "mixed song. With no command, opens the coach (resuming your last session).",
    )
    parser.add_argument("--version", action="version", version=f"coach {__version__}")
    parser.add_argument("--new", action="store_true", help="start a new session")
    parser.add_argument(
        "--plain", action="store_true", help="plain line-by-line chat instead of the TUI"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    if command is not None and _register(sub, command):
        return parser
    for name in COMMAND_MODULES:
        _register(sub, name)
    return parser


def _register(sub: argparse._SubParsersAction, name: str) -> bool:
    """Add the subcommand of module `name`; False if that module does not exist (yet)."""
    try:
        module = importlib.import_module(f"assistant.cli.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"assistant.cli.{name}":
            raise
        return False
    module.register(sub)
    return True


def _command_module(argv: Sequence[str]) -> str | None:
    """The module of the command `argv` starts with (`next-chord` -> `next_chord`), or None
    (no command, an option first, an unknown word: the whole parser answers those)."""
    if not argv:
        return None
    name = argv[0].replace("-", "_")
    return name if name in COMMAND_MODULES and argv[0] == name.replace("_", "-") else None


def main(argv: Sequence[str] | None = None) -> int:
    from assistant.errors import CoachError

    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command_module(argv))
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            from assistant.cli.chat import open_coach

            return open_coach(new=args.new, plain=args.plain)
        return int(args.func(args) or 0)
    except CoachError as error:
        print(f"coach: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
