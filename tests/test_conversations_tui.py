"""The scripted beginner conversations marked `tui = true` (tests/conversations/*.toml),
through the real TUI driven by Textual's Pilot: every message is typed key by key into the
app WITHOUT clicking the input first, and sent with Enter. After every step the SAVED
session is read back from the sessions database and checked (tests/conversations/checks.py);
what the coach still gets wrong: tests/conversations/FAILING.md.

A Pilot key press mostly waits for the app to be idle, so the conversations run side by side
(each its own app, coach, core thread and sessions database), a few at a time in each of two
worker processes; each conversation is still its own test."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import shutil
import tempfile
import traceback
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Markdown

from assistant.coach import Coach
from assistant.store import Store
from assistant.tui.app import CoachApp, make_app
from tests.conversations.checks import (
    Conversation,
    Failure,
    Saved,
    check,
    load_conversations,
    needs_export_dir,
    saved,
    say_text,
)

SIZE = (100, 30)
SMALL_SOUNDFONT = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
TUI = [c for c in load_conversations() if c.tui]
AT_ONCE = 4
"""Conversations typed at the same time in one process (a key press mostly waits)."""
PROCESSES = 2
"""Worker processes (at most one per core)."""


def coach_texts(app: CoachApp) -> list[str]:
    return [message.source for message in app.query(".coach").results(Markdown)]


async def wait_turns(app: CoachApp, pilot: Pilot[int], turns: int) -> None:
    for _ in range(3000):  # a plain sleep: polling with pilot.pause walks every widget
        if app.turns >= turns:
            break
        await asyncio.sleep(0.01)
    assert app.turns >= turns, f"no reply: {app.turns} < {turns}"
    await app.workers.wait_for_complete()  # an export or a preview too
    await pilot.pause()


async def talk(conversation: Conversation, home: Path) -> list[Failure]:
    """One conversation in its own app; the failures of its steps."""
    home.mkdir(parents=True)
    # typed key by key: a short folder name
    export_dir = Path(tempfile.mkdtemp(prefix="cx")) if needs_export_dir(conversation) \
        else None
    store = Store(home / "sessions.db")
    reader = Store(store.path)
    failures: list[Failure] = []
    app = make_app(Coach, store)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_turns(app, pilot, 1)
            before: Saved = saved(reader, app.session_id, "", export_dir)
            box = app.query_one("#input", Input)
            for number, step in enumerate(conversation.steps, 1):
                text = say_text(step, export_dir)
                shown = len(coach_texts(app))
                turns = app.turns
                await pilot.press(*text)  # typed into the app, never clicking the box
                problems = []
                if box.value != text:
                    problems.append(f"typed {text!r} but the input box holds {box.value!r}")
                await pilot.press("enter")
                if text.strip():
                    await wait_turns(app, pilot, turns + 1)
                else:  # Enter on an empty box is no turn: give a wrong one time to show
                    for _ in range(10):
                        await asyncio.sleep(0.02)
                    await app.workers.wait_for_complete()
                    if app.turns != turns:
                        problems.append("Enter on an empty box took a turn")
                reply = "\n\n".join(coach_texts(app)[shown:])
                now = saved(reader, app.session_id, reply, export_dir)
                problems += check(step.expect, now, before)
                if problems:
                    failures.append(Failure(conversation.name, number, step.say, problems))
                before = now
    finally:
        reader.close()
        if export_dir is not None:
            shutil.rmtree(export_dir, ignore_errors=True)
    return failures


async def _run_all(names: list[str], root: str) -> dict[str, str]:
    """Run these conversations side by side: name -> "" (passed) or what went wrong."""
    gate = asyncio.Semaphore(AT_ONCE)
    chosen = [c for c in TUI if c.name in names]

    async def one(conversation: Conversation) -> tuple[str, str]:
        async with gate:
            try:
                failures = await talk(conversation, Path(root) / conversation.name)
            except Exception:
                return conversation.name, traceback.format_exc()
            return conversation.name, "\n".join(str(f) for f in failures)

    return dict(await asyncio.gather(*(one(c) for c in chosen)))


def run_chunk(names: list[str], root: str) -> dict[str, str]:
    """One worker process's share (the TUI spends its time in Python: one core each)."""
    return asyncio.run(_run_all(names, root))


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Every TUI conversation, run once: name -> "" (passed) or what went wrong."""
    root = tmp_path_factory.mktemp("tui_conversations")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COACH_HOME", str(root))  # previews and the like; each has its own db
        patch.setenv("COACH_NO_PLAY", "1")
        patch.delenv("COACH_KNOWLEDGE", raising=False)
        if SMALL_SOUNDFONT.exists():
            patch.setenv("COACH_SOUNDFONT", str(SMALL_SOUNDFONT))
        else:
            patch.delenv("COACH_SOUNDFONT", raising=False)
        names = [c.name for c in TUI]
        workers = max(1, min(PROCESSES, os.cpu_count() or 1))
        if workers == 1:
            yield run_chunk(names, str(root))
            return
        # longest first, dealt round-robin: the shares take about as long
        names.sort(key=lambda n: -sum(len(s.say) + 12 for s in _by_name(n).steps))
        chunks = [names[i::workers] for i in range(workers)]
        spawn = multiprocessing.get_context("spawn")  # no fork of a process with threads
        with ProcessPoolExecutor(workers, mp_context=spawn) as pool:
            found: dict[str, str] = {}
            for part in pool.map(run_chunk, chunks, [str(root)] * workers):
                found.update(part)
        yield found


def _by_name(name: str) -> Conversation:
    return next(c for c in TUI if c.name == name)


def _param(conversation: Conversation) -> object:
    marks = [pytest.mark.xfail(reason=conversation.xfail, strict=True)] \
        if conversation.xfail else []
    return pytest.param(conversation.name, id=conversation.name, marks=marks)


def test_enough_tui_conversations() -> None:
    assert len(TUI) >= 12


@pytest.mark.parametrize("name", [_param(c) for c in TUI])
def test_conversation_in_the_tui(name: str, results: dict[str, str]) -> None:
    assert not results[name], results[name]
