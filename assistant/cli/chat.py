"""`coach` (no command) and `coach chat [--plain]`: open the coach on the last unfinished
session (or a new one with --new). The full-screen TUI when the terminal allows it; otherwise,
or with --plain, a line-by-line chat on stdin/stdout for scripts and screen readers.

Every turn is saved before its reply is printed, so killing the process loses at most the
line being typed. End of input ends the chat cleanly (exit 0).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from assistant.coach import Coach, PreviewRequest, Reply
    from assistant.song import Song
    from assistant.store import Store


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "chat",
        help="talk to the coach (full screen, or --plain line by line)",
        description="Open the coach on your last unfinished session. --plain reads lines from "
        "stdin and prints replies on stdout (for scripts, screen readers and simple terminals).",
    )
    parser.add_argument("--plain", action="store_true", help="line-by-line chat, no TUI")
    parser.add_argument("--new", action="store_true", help="start a new session")
    parser.add_argument(
        "--session", metavar="ID", help="open this session (see `coach sessions list`)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return open_coach(new=args.new, plain=args.plain, session=args.session)


def _tui_available() -> bool:
    try:
        return importlib.util.find_spec("assistant.tui.app") is not None
    except (ImportError, ValueError):
        return False


def open_coach(new: bool, plain: bool, session: str | None = None) -> int:
    """`coach` with no command: the TUI if possible, else (or with --plain) the plain chat."""
    from assistant.store import Store

    store = Store()  # a corrupt or newer database stops here with one clear line
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    tui: Callable[..., int] | None = None
    if not plain and interactive and _tui_available():
        try:
            from assistant.tui.app import run_tui as tui
        except ImportError:  # a broken Textual install: the plain chat still works
            tui = None
    if tui is not None:

        def make_coach() -> Coach:  # runs on the TUI's core thread, after the first paint
            coach = store.resume(new=new, session=session)
            coach.kb  # noqa: B018 -- load the knowledge now, not in the middle of a turn
            return coach

        return tui(make_coach, store)
    return plain_chat(store, new=new, session=session)


# --- the plain chat --------------------------------------------------------------------------
def plain_text(markdown: str) -> str:
    """Markdown -> plain lines a screen reader reads well."""
    lines = []
    for line in markdown.splitlines():
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        if heading:
            title = heading.group(2).strip()
            lines += ["", title, ("=" if len(heading.group(1)) <= 2 else "-") * len(title)]
            continue
        line = re.sub(r"^>\s?", "", line)  # quotes: "> " marks what the user typed here
        line = re.sub(r"\*\*(.+?)\*\*", r"\1", line)
        line = re.sub(r"(?<!\w)_(.+?)_(?!\w)", r"\1", line)
        line = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", line)
        line = line.replace("`", "")
        line = re.sub(r"^- \[ \] ", "- [ ] ", line)
        lines.append(line)
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def print_reply(reply: Reply, out: TextIO) -> None:
    """The reply as plain lines; escape sequences quoted from the user's words or a knowledge
    file are removed, as the TUI removes them."""
    from assistant.safe_text import clean_text

    out.write(plain_text(clean_text(reply.text, lines=True)) + "\n")
    for option in reply.options:
        out.write(f"  {option.number}. {clean_text(option.label)}\n")
        if option.why:
            out.write(f"     {clean_text(option.why)}\n")
    if reply.options:
        out.write("Pick a number, or say “play N”, “why N”, “more”.\n")
    out.flush()


def render_preview(request: PreviewRequest) -> str:
    """Render a preview (or a click or backing track) to its WAV, with a MIDI file beside
    it; play it if a player exists."""
    from assistant.coach import render_request
    from assistant.errors import CoachError

    try:
        result = render_request(request)
    except CoachError as error:
        return f"Could not render the {request.kind}: {error}"
    text = f"Saved the {request.kind} ({result.duration_s:.1f} s) to {result.wav}"
    if os.environ.get("COACH_NO_PLAY") or result.wav is None:
        return text + "."
    from assistant.render import play

    found = play.find_player()
    if found is None:
        return text + " (no audio player found: open the WAV in any player)."
    try:
        # in the background: the chat goes on while it plays
        started = play.start(result.wav)
    except Exception:  # a player that fails to start is not worth ending the chat
        started = None
    return text + (f" — playing it with {found[0]}." if started is not None else ".")


def export_files(song: Song, folder: str | None, session_id: Any = None) -> str:
    """"export [to DIR]" said in the chat: the song's four files, as `coach sessions export`
    writes them (`assistant.export`), into DIR or the session's default export folder. One
    line either way: where the files went, or why they could not be written. Files already in
    DIR are kept: the export then goes into a new sub-folder, and the line says so."""
    from pathlib import Path

    from assistant.export import FILES, default_folder, export_where_said

    target = Path(folder).expanduser() if folder else default_folder(session_id)
    try:
        result = export_where_said(song, folder, session_id)
    except Exception as error:  # an unwritable folder, no soundfont: say so, go on
        reason = " ".join(str(error).split()) or type(error).__name__
        return f"Could not export to {target}: {reason}"
    said = f"Exported {', '.join(FILES[:-1])} and {FILES[-1]} to {result['folder']}"
    if result.get("subfolder"):
        said += f" ({target} already had song files: they are kept as they were)"
    return said + "."


def _read_line(stdin: TextIO) -> tuple[str | None, bool]:
    """The next line without its end (None at end of input), and whether it held bytes that
    are not UTF-8 (they become U+FFFD, the replacement character)."""
    line = stdin.readline()
    if not line:
        return None, False
    text = line.rstrip("\r\n")
    try:
        text.encode("utf-8")
        return text, False
    except UnicodeEncodeError:  # undecodable bytes arrive as lone surrogates
        raw = text.encode("utf-8", "surrogateescape")
        return raw.decode("utf-8", "replace").encode("utf-8", "replace").decode(), True


def _more_lyric_lines(text: str, stdin: TextIO, interactive: bool = False) -> str:
    """Lyrics come in several lines. After a lyric header alone on its line ("lyrics for the
    chorus:", "[Verse 1]") every line up to an empty one (or the end of input) is one
    message; in a terminal, lines pasted together with a lyric line join it too."""
    header_only = re.match(r"^\s*(?:\[[^\]]{1,40}\]|[^:]{0,60}\b(?:lyrics?|words|verse|chorus|bridge|hook|"
                           r"refrain)\b[^:]{0,40}:)\s*$", text, re.I)
    if not (header_only or (interactive and _pending(stdin))):
        return text
    from assistant.understanding.reader import lyric_message

    if not header_only and not lyric_message(text):
        return text
    lines = [text]
    for _ in range(10_000):
        if not header_only and not _pending(stdin):
            break
        more, _ = _read_line(stdin)
        if more is None or not more.strip():
            break
        lines.append(more)
    return "\n".join(lines)


def _pending(stdin: TextIO) -> bool:
    """More input already waiting (a paste), without blocking."""
    try:
        import select

        return bool(select.select([stdin], [], [], 0.05)[0])
    except (OSError, ValueError, TypeError):
        return False


def _save_turn(store: Store, session_id: int, coach: Coach, text: str, reply: Reply,
               out: TextIO) -> None:
    """Save one turn before its reply is shown; a failure is said, the turn kept for later."""
    from assistant.store import USER_LIMIT, SaveFailed

    if len(text) > USER_LIMIT:
        out.write(f"(Your message has {len(text):,} characters: the coach read all of it; the "
                  f"session log keeps the first {USER_LIMIT:,}.)\n")
    try:
        store.save_turn(session_id, coach, text, reply)
    except SaveFailed as error:  # the chat goes on: the turn is kept and saved later
        out.write(f"(Not saved: {error}.)\n")


def finish_saving(store: Store, session_id: int | None) -> None:
    """At the end: one more try for unsaved turns, then one line saying what was lost."""
    from assistant.store import SaveFailed

    count = store.unsaved
    if not count:
        return
    try:
        store.flush()
    except SaveFailed as error:
        turns = "1 turn" if count == 1 else f"{count} turns"
        where = f" of session {session_id}" if session_id is not None else ""
        raise SaveFailed(f"{turns}{where} not saved ({error.reason}); the turns before are "
                         f"saved in {store.path}") from None


def plain_chat(store: Store, *, new: bool = False, session: str | None = None,
               stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """The coach line by line. Returns 0 at end of input or on "quit"."""
    from assistant.safe_text import clean_text

    stdin = stdin or sys.stdin
    out = stdout or sys.stdout
    if out is sys.stdout and hasattr(out, "reconfigure"):
        # a terminal that cannot show “quotes” or ♪ gets a ? instead of a crash
        out.reconfigure(errors="replace")
    if stdin is sys.stdin and hasattr(stdin, "reconfigure"):
        stdin.reconfigure(errors="surrogateescape")  # bytes that are not UTF-8: see _read_line
    coach = store.resume(new=new, session=session)
    coach.kb  # noqa: B018 -- a broken knowledge file stops here: one line, exit 2
    session_id = store.session_id
    assert session_id is not None
    interactive = stdin.isatty()
    reply = coach.start()
    store.save(session_id, coach)
    out.write(f"(session {session_id})\n")
    print_reply(reply, out)
    while True:
        if interactive:
            out.write("you> ")
            out.flush()
        text, replaced = _read_line(stdin)
        if text is None:
            break
        if replaced:
            out.write("(That line was not valid UTF-8: the bytes that could not be read are "
                      "shown as \ufffd.)\n")
        text = _more_lyric_lines(text, stdin, interactive)
        if not interactive:
            out.write(f"\n> {clean_text(text, lines=True)}\n")
        reply = coach.handle(text)
        _save_turn(store, session_id, coach, text, reply, out)  # saved before it is shown
        print_reply(reply, out)
        if reply.preview is not None:
            out.write(render_preview(reply.preview) + "\n")
            out.flush()
        export = getattr(reply, "export", None)
        if export is not None:
            out.write(export_files(coach.song, export.folder, session_id) + "\n")
            out.flush()
        if reply.quit:
            finish_saving(store, session_id)
            return 0
        if reply.new_song:  # this session is saved as it is; a new one starts
            finish_saving(store, session_id)
            coach = store.resume(new=True, knowledge=coach.kb)
            session_id = store.session_id
            assert session_id is not None
            reply = coach.start()
            store.save(session_id, coach)
            out.write(f"\n(session {session_id})\n")
            print_reply(reply, out)
    out.flush()
    finish_saving(store, session_id)
    out.write(f"\nSaved (session {session_id}). `coach` picks up where you left off.\n")
    out.flush()
    return 0
