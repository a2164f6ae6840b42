"""Issue 16 item 11, TUI typing races: fast typing saved "make itfas ter" and
"helpchecklistundo"; "1", a pause, then Enter picked option 1 twice. Driven by Textual's
Pilot against the real coach; keys are posted as a burst (nothing runs between them), the
way a fast typist or a terminal without bracketed paste delivers them."""

from __future__ import annotations

import pytest
from textual import events

from assistant.store import Store
from assistant.tui.app import make_app
from tests.test_tui import SIZE, option_labels, settle, user_texts
from tests.test_tui_input import (
    RecordingCoach,
    box_of,
    burst,
    coach_of,
    options_on_screen,
    quiet,
)


async def test_messages_typed_in_one_burst_arrive_one_by_one() -> None:
    """Enter empties the box at once: what is typed after it is the next message, not glued
    to the one before ("help", "checklist", "undo", not "helpchecklistundo")."""
    app = make_app(RecordingCoach)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, 1)
        await burst(app, pilot, "help\rchecklist\rundo\r")
        await settle(app, pilot, 4)
        await quiet(app, pilot)
        assert coach_of(app).texts == ["help", "checklist", "undo"]
        assert user_texts(app)[-3:] == ["help", "checklist", "undo"]
        assert box_of(app).value == ""


async def test_typing_while_a_reply_lands_keeps_every_key_in_order() -> None:
    """The next message typed fast while the coach answers (options re-mounted, focus moved
    back to the box) comes out exactly as typed, not "make itfas ter"."""
    app = make_app(RecordingCoach)
    async with app.run_test(size=SIZE) as pilot:
        await options_on_screen(app, pilot)  # focus on option 1
        await burst(app, pilot, "why 1\r")
        # the reply to "why 1" lands while these keys arrive, a few at a time, with a typo
        # corrected on the way (Backspace is a key like the letters: it keeps its place)
        for chunk in ("make", " it", " fas", "tt"):
            await burst(app, pilot, chunk)
        app.post_message(events.Key("backspace", None))
        await burst(app, pilot, "er")
        assert box_of(app).value == "make it faster"
        await burst(app, pilot, "\r")
        await settle(app, pilot, 4)
        assert coach_of(app).texts[-2:] == ["why 1", "make it faster"]
        assert not coach_of(app).commands


async def test_one_then_a_pause_then_enter_picks_once() -> None:
    app = make_app(RecordingCoach)
    async with app.run_test(size=SIZE) as pilot:
        await options_on_screen(app, pilot)  # focus on option 1, as after Tab
        first = option_labels(app)[0]
        await pilot.press("1")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(app, pilot, 3)
        await quiet(app, pilot)
        coach = coach_of(app)
        assert coach.texts == ["something sad and slow", "1"] and not coach.commands
        assert app.turns == 3
        assert coach.song.key is not None and coach.song.key.name in first
        assert not coach.song.progression  # the key only: no second pick


async def test_enter_twice_on_an_option_picks_it_once() -> None:
    """A double Enter (or a held key) on a focused option: one pick, not a pick of option 1
    of the list that replaces it."""
    app = make_app(RecordingCoach)
    async with app.run_test(size=SIZE) as pilot:
        await options_on_screen(app, pilot)
        await burst(app, pilot, "\r\r")
        await settle(app, pilot, 3)
        await quiet(app, pilot)
        coach = coach_of(app)
        assert [(c.intent, c.number) for c in coach.commands] == [("pick", 1)]
        assert app.turns == 3 and not coach.song.progression


async def test_a_turn_the_store_cannot_save_is_said_and_saved_with_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.test_faults_sessions import hold_write_lock

    store = Store(busy_timeout=0.05, retry_for=0.2)
    app = make_app(RecordingCoach, store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, 1)
        other = hold_write_lock(store.path)
        box = box_of(app)
        box.value = "something sad and slow"
        await pilot.press("enter")
        await settle(app, pilot, 2)
        notes = [str(n.content) for n in app.query(".note")]
        assert any("Not saved" in n and "kept" in n for n in notes), notes
        other.rollback()
        await pilot.press("1", "enter")
        await settle(app, pilot, 3)
    saved = Store().turns(store.session_id)  # type: ignore[arg-type]
    assert [t["user"] for t in saved] == ["something sad and slow", "1"]


async def test_turns_still_unsaved_when_the_tui_closes_are_said() -> None:
    """What `run_tui` does after the app exits: one more try, then one line (exit 2)."""
    from assistant.cli.chat import finish_saving
    from assistant.store import SaveFailed
    from tests.test_faults_sessions import hold_write_lock

    store = Store(busy_timeout=0.05, retry_for=0.1)
    app = make_app(RecordingCoach, store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, 1)
        other = hold_write_lock(store.path)
        box_of(app).value = "something sad and slow"
        await pilot.press("enter")
        await settle(app, pilot, 2)
    assert store.unsaved == 1
    with pytest.raises(SaveFailed, match="1 turn.* not saved"):
        finish_saving(app.store, app.session_id)
    other.rollback()
    finish_saving(app.store, app.session_id)  # the lock is gone: saved now
    assert store.unsaved == 0
    assert [t["user"] for t in Store().turns(store.session_id)] == ["something sad and slow"]
