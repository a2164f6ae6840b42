"""The TUI driven by Textual's Pilot against the real coach: start, a mood, picking by a
sent number, by click and by Enter on an option, the sheet and stepper following, previews,
help, export, quit. (Typing, pasting and what never picks: tests/test_tui_input.py.)"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Markdown

from assistant.coach import Coach
from assistant.tui.app import CoachApp, make_app
from assistant.tui.chat import UserMessage
from assistant.tui.help import HelpScreen
from assistant.tui.options import OptionButton, OptionsBar
from assistant.tui.play import PlayStatus
from assistant.tui.sheet import SongSheet
from assistant.tui.stepper import StageStepper

SIZE = (100, 30)
SMALL_SOUNDFONT = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")


@pytest.fixture
def small_soundfont(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render with the 6 MB General MIDI soundfont CI installs (fast to load)."""
    assert SMALL_SOUNDFONT.exists(), "install timgm6mb-soundfont (see the Makefile)"
    monkeypatch.setenv("COACH_SOUNDFONT", str(SMALL_SOUNDFONT))


async def settle(
    app: CoachApp, pilot: Pilot[int], turns: int | None = None, *, workers: bool = True
) -> None:
    """Wait for `turns` replies in all, then (unless `workers=False`: a preview may be
    playing for a long time) for every worker, and the repaint."""
    if turns is not None:
        for _ in range(2000):
            if app.turns >= turns:
                break
            await pilot.pause(0.005)
        assert app.turns >= turns, f"no reply: {app.turns} < {turns}"
    if workers:
        await app.workers.wait_for_complete()
    await pilot.pause()


async def say(app: CoachApp, pilot: Pilot[int], text: str, *, keys: bool = False) -> None:
    """Send `text` + Enter; `keys=True` types it a key at a time, the way a user does."""
    before = app.turns
    box = app.query_one("#input", Input)
    if not box.has_focus:
        await pilot.click("#input")
    if keys:
        await pilot.press(*text)
    else:
        box.value = text
    await pilot.press("enter")
    await settle(app, pilot, before + 1)


async def press_and_wait(app: CoachApp, pilot: Pilot[int], key: str) -> None:
    before = app.turns
    await pilot.press(key)
    await settle(app, pilot, before + 1)


async def wait_for_state(status: PlayStatus, *states: str, seconds: float = 20) -> None:
    for _ in range(int(seconds / 0.025)):
        if status.state in states:
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"play status stayed {status.state!r}: {status.render()}")


def coach_texts(app: CoachApp) -> list[str]:
    return [message.source for message in app.query(".coach").results(Markdown)]


def user_texts(app: CoachApp) -> list[str]:
    return [str(message.content) for message in app.query(UserMessage)]


def sheet_text(app: CoachApp) -> str:
    return app.query_one("#sheet", SongSheet).render().plain


def option_labels(app: CoachApp) -> list[str]:
    """The options' labels as the coach wrote them (the buttons add the number)."""
    return [button.option_label for button in app.query(OptionButton)]


async def test_a_whole_first_conversation_by_keyboard_and_mouse() -> None:
    app = make_app(Coach)
    async with app.run_test(size=SIZE) as pilot:
        # start: the first question, the stepper on Conception, the input ready
        await settle(app, pilot, 1)
        assert "?" in coach_texts(app)[0]
        stepper = app.query_one("#stepper", StageStepper)
        assert stepper.stage == "conception"
        box = app.query_one("#input", Input)
        assert box.has_focus
        assert "Nothing decided yet" in sheet_text(app)

        # a mood, typed: minor-key suggestions as buttons
        await say(app, pilot, "something sad and slow", keys=True)
        labels = option_labels(app)
        assert labels and "minor" in labels[0].lower()
        assert user_texts(app) == ["something sad and slow"]

        # the box keeps the focus after a reply: `1` is typed, and sent it picks option 1
        assert box.has_focus
        await pilot.press("1")
        assert box.value == "1" and stepper.stage == "conception"
        await press_and_wait(app, pilot, "enter")
        assert stepper.stage == "composition"
        assert stepper.statuses["conception"] == "done"
        assert user_texts(app)[-1] == "1"
        key = labels[0].split("·")[0].strip()  # "A minor"
        sheet = sheet_text(app)
        assert key in sheet and "bpm" in sheet

        # a click picks too: the progression lands on the sheet as a chord chart
        progressions = option_labels(app)
        assert len(progressions) >= 2
        before = app.turns
        await pilot.click("#opt-2")
        await settle(app, pilot, before + 1)
        assert user_texts(app)[-1] == progressions[1]  # the chat shows what was picked
        assert "Progression" in sheet_text(app)
        assert "│" + progressions[1].strip()[:2] in sheet_text(app)

        # up/down bring back what was typed; the draft survives
        await say(app, pilot, "status")
        await pilot.click("#input")
        await pilot.press("x", "up")
        assert box.value == "status"
        await pilot.press("up", "down", "down")
        assert box.value == "x"

        # help: F1 anywhere, `?` when not typing
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        box.value = ""
        await say(app, pilot, "back")  # the progression question and its options again
        assert app.query(OptionButton) and box.has_focus
        await pilot.press("tab")  # to the options: now `?` is not typing
        assert isinstance(app.focused, OptionButton)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("q")
        assert not isinstance(app.screen, HelpScreen)

        # a letter typed while an option has focus goes into the input, and so do digits
        assert isinstance(app.focused, OptionButton)
        await pilot.press("m", "o")
        assert box.has_focus and box.value == "mo"
        await pilot.press("tab")
        assert not box.has_focus
        await pilot.press("3", "/", "4")
        assert box.has_focus and box.value == "mo3/4"
        # Esc on an option goes back to the box too
        await pilot.press("tab")
        assert not box.has_focus
        await pilot.press("escape")
        assert box.has_focus and box.value == "mo3/4"
        assert stepper.stage == "composition" and app.query(OptionButton)  # nothing picked

        await pilot.press("ctrl+q")
        await pilot.pause()
    assert not app.is_running
    assert app.return_code in (0, None)


async def test_play_renders_a_wav_in_a_worker_and_ctrl_s_exports(
    coach_home: Path, small_soundfont: None
) -> None:
    app = make_app(Coach)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, 1)
        await say(app, pilot, "something sad and slow")
        await say(app, pilot, "1")
        status = app.query_one("#play-status", PlayStatus)
        await press_and_wait(app, pilot, "ctrl+p")  # Ctrl+P says "play" to the coach
        assert user_texts(app)[-1] == "play"
        assert status.state in ("rendering", "playing", "saved")
        await settle(app, pilot)
        await wait_for_state(status, "saved")  # a player without a sound card gives up
        wav = app.last_wav
        assert wav is not None and wav.is_relative_to(coach_home) and wav.exists()
        assert wav.read_bytes()[:4] == b"RIFF"
        assert wav.stat().st_size > 44_100  # real audio, not just a header
        assert wav.with_suffix(".mid").read_bytes()[:4] == b"MThd"
        notes = [str(widget.content) for widget in app.query(".note")]
        assert any(str(wav) in note for note in notes), notes

        # "play 1" from the chat goes through the coach's PreviewRequest
        await say(app, pilot, "play 1")
        await settle(app, pilot)
        await wait_for_state(status, "saved", "error")
        assert status.state == "saved" and app.last_wav != wav and app.last_wav.exists()

        await pilot.press("ctrl+s")
        await settle(app, pilot)
        folder = app.last_export
        assert folder is not None and folder.is_relative_to(coach_home)
        names = sorted(path.name for path in folder.iterdir())
        assert names == ["preview.wav", "song.json", "song.md", "song.mid"]
        assert '"tempo"' in (folder / "song.json").read_text()


async def test_escape_stops_playing_and_a_broken_soundfont_is_a_status_line(
    coach_home: Path, small_soundfont: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A "player" that would play for a minute: Esc must end it.
    monkeypatch.setattr(
        "assistant.tui.app.player_command",
        lambda: [sys.executable, "-c", "import time; time.sleep(60)"],
    )
    app = make_app(Coach)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, 1)
        await say(app, pilot, "something sad and slow")
        await say(app, pilot, "1")
        status = app.query_one("#play-status", PlayStatus)
        before = app.turns
        await pilot.press("ctrl+p")
        await settle(app, pilot, before + 1, workers=False)
        await wait_for_state(status, "playing")
        player = app._player
        assert player is not None and player.poll() is None
        await pilot.press("escape")
        await settle(app, pilot)
        assert status.state == "saved" and "stopped" in str(status.render())
        assert player.wait(5) is not None

        bad = coach_home / "broken.sf2"
        bad.write_bytes(b"not a soundfont")
        monkeypatch.setenv("COACH_SOUNDFONT", str(bad))
        await press_and_wait(app, pilot, "ctrl+p")
        await settle(app, pilot)
        await wait_for_state(status, "error")
        assert "soundfont" in str(status.render()).lower()
        assert app.is_running
        await say(app, pilot, "status")  # the chat goes on


async def test_every_turn_is_saved_to_the_session_store() -> None:
    from assistant.store import Store

    store = Store()
    app = make_app(lambda: store.resume(new=True), store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, 1)
        await say(app, pilot, "something sad and slow")
        first = option_labels(app)[0]
        await pilot.press("tab")  # the user moves to option 1...
        assert app.focused is app.query_one("#opt-1")
        await press_and_wait(app, pilot, "enter")  # ...and Enter picks it
        sessions = Store().list_sessions()
        assert len(sessions) == 1
        assert sessions[0]["stage"] == "composition"
        assert sessions[0]["key"] and "minor" in sessions[0]["key"]
        assert sessions[0]["tempo"]
        assert [turn["user"] for turn in Store().turns(sessions[0]["id"])] == [
            "something sad and slow",
            first,  # a pick is saved as what was picked
        ]

    # `coach` again: the same session, its last turns back in the chat, the sheet filled
    store = Store()
    app = make_app(lambda: store.resume(), store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, 1)
        assert user_texts(app) == ["something sad and slow", first]
        assert app.query_one("#stepper", StageStepper).stage == "composition"
        assert "minor" in sheet_text(app) and "bpm" in sheet_text(app)
        assert store.session_id == sessions[0]["id"]


async def test_usable_at_80x24() -> None:
    app = make_app(Coach)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot, 1)
        await say(app, pilot, "something sad and slow")
        for widget_id in ("#input", "#options", "#sheet-box", "#stepper", "#chat"):
            region = app.query_one(widget_id).region
            assert region.width > 0 and region.height > 0, widget_id
            assert region.right <= 80 and region.bottom <= 24, widget_id
        assert app.query_one("#chat").region.height >= 8
        assert app.query_one("#opt-1", OptionButton).region.height == 1
        bar = app.query_one("#options", OptionsBar)
        assert bar.region.height >= min(3, len(bar.numbers))
        await say(app, pilot, "1")
        assert "bpm" in sheet_text(app)
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-dark"

        # a click on a stage in the stepper goes there
        stepper = app.query_one("#stepper", StageStepper)
        plain = stepper.render().plain
        name = "Record" if "Record" in plain else "4"
        before = app.turns
        await pilot.click("#stepper", offset=(1 + plain.index(name), 0))
        await settle(app, pilot, before + 1)
        assert stepper.stage == "recording"

        # "quit" said to the coach closes the app once the goodbye has shown
        await say(app, pilot, "quit")
        for _ in range(100):
            if not app.is_running:
                break
            await asyncio.sleep(0.05)
        assert not app.is_running


async def test_a_reply_with_a_mix_analysis_shows_the_meter_and_the_spectrum() -> None:
    from dataclasses import dataclass
    from typing import Any

    from assistant.coach import Reply
    from assistant.song import Song
    from assistant.tui.mix_widgets import LoudnessMeter, SpectrumChart

    @dataclass(frozen=True)
    class MixReply(Reply):
        analysis: dict[str, Any] | None = None

    analysis = {
        "integrated_lufs": -9.5, "short_term_max_lufs": -7.0, "loudness_range_lu": 4.2,
        "true_peak_dbtp": 0.4, "sample_peak_dbfs": -0.1, "plr_db": 9.9, "notes": [],
        "target": {"name": "Spotify", "lufs": -14.0, "true_peak_dbtp": -1.0},
        "genre": {"name": "pop"},
        "spectral_balance": [
            {"band": "63 Hz", "db": 4.0, "target_db": 2.0, "deviation_db": 2.0},
            {"band": "1 kHz", "db": -1.0, "target_db": 0.0, "deviation_db": -1.0},
        ],
    }

    class MixCoach:
        song = Song()
        stage = "mixing"

        def start(self) -> Reply:
            return Reply("Where is your bounced mix?", (), "mixing")

        def handle(self, text: str) -> Reply:
            return MixReply("Here is your mix.", (), "mixing", analysis=analysis)

    app = make_app(MixCoach())
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, 1)
        assert not app.query(LoudnessMeter)
        await say(app, pilot, "mix.wav")
        meter = app.query_one(LoudnessMeter)
        assert meter.result == analysis and meter.region.height >= 5
        assert "Spotify" in meter.render().plain
        assert app.query_one(SpectrumChart).region.height >= 3


async def test_a_slow_turn_shows_that_the_coach_is_working(coach_home) -> None:
    """A turn that takes seconds (measuring a mix) says so on the status line, then clears it."""
    import time

    from assistant.coach import Coach
    from assistant.tui.app import make_app
    from assistant.tui.play import PlayStatus

    class SlowCoach(Coach):
        def handle(self, text: str):  # type: ignore[no-untyped-def]
            if text == "slow":
                time.sleep(1.0)
            return super().handle(text)

    app = make_app(SlowCoach)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(400):
            if app.turns >= 1:
                break
            await pilot.pause(0.01)
        status = app.query_one("#play-status", PlayStatus)
        app._submit("slow")
        seen = False
        for _ in range(150):
            await pilot.pause(0.01)
            if status.state == "busy" and "working" in str(status.render()):
                seen = True
                break
        assert seen, "the status line should say the coach is working"
        for _ in range(400):
            if app.turns >= 2:
                break
            await pilot.pause(0.01)
        await pilot.pause(0.1)
        assert app.turns >= 2 and status.state == "idle"


async def test_start_over_opens_a_new_session_and_keeps_the_old_one() -> None:
    from assistant.store import Store

    store = Store()
    app = make_app(lambda: store.resume(new=True), store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, 1)
        await say(app, pilot, "something sad and slow")
        await say(app, pilot, "1")
        first = app.session_id
        assert "minor" in sheet_text(app)
        await say(app, pilot, "start over")
        assert option_labels(app)[0].endswith("Start a new song")
        await say(app, pilot, "1")
        assert app.session_id is not None and app.session_id != first
        assert app.query_one("#stepper", StageStepper).stage == "conception"
        assert "minor" not in sheet_text(app)  # a blank sheet for the new song
        assert "How should the song feel?" in coach_texts(app)[-1]
        await say(app, pilot, "happy summer")
    sessions = {s["id"]: s for s in Store().list_sessions()}
    assert sessions[first]["stage"] == "composition" and "minor" in sessions[first]["key"]
    assert [t["user"] for t in Store().turns(app.session_id)] == ["happy summer"]


async def test_start_over_without_a_store_starts_a_new_song_in_memory() -> None:
    app = make_app(lambda: Coach())
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, 1)
        await say(app, pilot, "something sad and slow")
        await say(app, pilot, "1")
        old = app.coach
        assert "minor" in sheet_text(app)
        await say(app, pilot, "start over")
        await say(app, pilot, "1")
        assert app.coach is not old and app.coach is not None
        assert app.coach.song.key is None and "minor" not in sheet_text(app)
        assert app.query_one("#stepper", StageStepper).stage == "conception"
