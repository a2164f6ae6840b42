"""SVG snapshots of the TUI at fixed sizes (pytest-textual-snapshot).

They pin the TUI's look, so the coach behind them is a fixed script built from the real
`Reply`/`Option`/`Song` types: the engine's wording and the knowledge base keep growing,
and that must not churn these pictures (the Pilot tests in test_tui.py drive the real
coach). Deterministic by construction: no clock, no paths, no cursor blink, COACH_HOME a
fresh temp dir (conftest). After an intended change to the look:
`pytest tests/test_tui_snapshots.py --snapshot-update`, then look at the SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from textual.pilot import Pilot
from textual.widgets import Input

from assistant.coach import Option, Reply
from assistant.song import Instrument, Key, Section, Song, StageName
from assistant.tui.app import CoachApp, make_app

FIRST = (
    "Hi! I'm your coach: we'll go from a feeling to a finished, mixed song in six stages.\n\n"
    "## Conception\n\n**How should the song feel?** Describe it in your own words.\n\n"
    "_For example: “sad and slow” · “melancholic but hopeful, like a night drive”_"
)
MOODS = (
    Option(1, "A minor · 66 bpm · 4/4", "Minor suits 'sad': its lowered third sounds darker.",
           ("mood.sad",)),
    Option(2, "D minor · 66 bpm · 4/4", "Minor suits 'sad', a fourth higher for the voice.",
           ("mood.sad",)),
    Option(3, "E dorian · 70 bpm · 4/4", "Dorian: a sad cousin with a glimmer of hope.",
           ("mood.sad",)),
)
PROGRESSIONS = (
    Option(1, "Am–F–C–G · i bVI bIII bVII", "The minor lift: falls, then climbs back.",
           ("prog.minor-lift",)),
    Option(2, "Am–Dm–Em–Am · i iv v i", "All minor chords: plain and dark.", ("prog.minor",)),
)


class ScriptCoach:
    """Three turns of a conversation, always the same."""

    def __init__(self) -> None:
        self.song = Song(title="Sad sketch")
        self.stage: StageName = "conception"

    def start(self) -> Reply:
        self.song.stages["conception"].status = "active"
        return Reply(FIRST, (), self.stage)

    def handle(self, text: str) -> Reply:
        song = self.song
        if self.stage == "conception" and text != "1":
            song.mood_text, song.moods = text, ["sad"]
            return Reply("Sad, slow. Here are starting points — pick a number, "
                         "“play 2”, “why 1” or “more”.", MOODS, self.stage)
        if self.stage == "conception":
            song.key, song.tempo = Key(tonic="A", mode="minor"), 66
            song.stages["conception"].status = "done"
            song.stages["composition"].status = "active"
            self.stage = "composition"
            return Reply("**A minor · 66 bpm · 4/4** — noted.\n\n## Composition\n\n"
                         "**Which chord progression?**", PROGRESSIONS, self.stage)
        song.progression = ["i", "bVI", "bIII", "bVII"]
        song.sections = [
            Section(name="Intro", bars=4, energy=1),
            Section(name="Verse 1", bars=8, energy=2),
            Section(name="Chorus", bars=8, energy=4),
            Section(name="Verse 2", bars=8, energy=3),
            Section(name="Chorus 2", bars=8, energy=5),
        ]
        song.instrumentation = [Instrument(name="piano", role="chords"),
                                Instrument(name="bass", role="bass")]
        return Reply("**Am–F–C–G** — noted.", (), self.stage)


def _app(theme: str = "textual-dark") -> CoachApp:
    app = make_app(ScriptCoach)
    app.theme = theme
    return app


def _steps(*texts: str, keys: Sequence[str] = ()) -> Callable[[Pilot[int]], Awaitable[None]]:
    """Send each text + Enter, then press `keys`, waiting for every reply."""

    async def run_before(pilot: Pilot[int]) -> None:
        app = pilot.app
        assert isinstance(app, CoachApp)
        box = app.query_one("#input", Input)
        box.cursor_blink = False
        # The chat's scrollbar thumb lands a cell apart from run to run (Markdown settles its
        # height late); the pictures are about the layout, so leave the scrollbar out of them.
        app.query_one("#chat").styles.scrollbar_size_vertical = 0

        async def wait_for(turns: int) -> None:
            for _ in range(2000):
                if app.turns >= turns:
                    break
                await pilot.pause(0.005)
            assert app.turns >= turns
            await app.workers.wait_for_complete()
            await pilot.pause()

        await wait_for(1)
        for text in texts:
            app.screen.set_focus(box)
            box.value = text
            before = app.turns
            await pilot.press("enter")
            await wait_for(before + 1)
        for key in keys:
            await pilot.press(key)
        # Let Markdown finish laying out and the anchored chat settle before the picture:
        # without this, a late resize left the scrollbar in another place now and then.
        for _ in range(3):
            await pilot.wait_for_scheduled_animations()
            await pilot.pause(0.1)
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)

    return run_before


def test_snapshot_first_question(snap_compare) -> None:
    assert snap_compare(_app(), terminal_size=(100, 30), run_before=_steps())


def test_snapshot_mood_suggestions(snap_compare) -> None:
    assert snap_compare(
        _app(), terminal_size=(100, 30), run_before=_steps("something sad and slow")
    )


def test_snapshot_sheet_at_80x24(snap_compare) -> None:
    assert snap_compare(
        _app(),
        terminal_size=(80, 24),
        run_before=_steps("something sad and slow", "1", "1"),
    )


def test_snapshot_light_theme(snap_compare) -> None:
    assert snap_compare(
        _app("textual-light"),
        terminal_size=(100, 30),
        run_before=_steps("something sad and slow", "1"),
    )


def test_snapshot_help(snap_compare) -> None:
    assert snap_compare(_app(), terminal_size=(100, 30), run_before=_steps(keys=["f1"]))
