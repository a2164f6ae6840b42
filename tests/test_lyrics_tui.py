"""A chorus pasted into the TUI's one-line box keeps its lines (joined with " / ") and reaches
the sheet as lines, through the real coach; other multi-line pastes still join with spaces."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from assistant.lyrics.paste import join_pasted
from assistant.tui.app import make_app
from tests.test_tui import SIZE, settle
from tests.test_tui_input import RecordingCoach


def test_join_pasted_keeps_lyric_lines_and_section_breaks() -> None:
    assert join_pasted("one\ntwo\n\n[Verse]\nthree", "lyrics for the chorus: ") == "one / two // [Verse] / three"
    assert join_pasted("[Chorus]\na\nb") == "[Chorus] / a / b"
    assert join_pasted("in 3/4\nat 90 bpm") == "in 3/4 at 90 bpm"


async def test_a_pasted_chorus_lands_on_the_sheet_line_by_line() -> None:
    app = make_app(RecordingCoach)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, 1)
        box = app.query_one("#input", Input)
        box.value = "lyrics for the chorus: "
        box.cursor_position = len(box.value)
        app.post_message(events.Paste("We begin again tonight\nUnderneath the neon light\n"))
        await pilot.pause()
        assert box.value == "lyrics for the chorus: We begin again tonight / Underneath the neon light"
        await pilot.press("enter")
        await settle(app, pilot, 2)
        coach = app.coach
        assert coach is not None
        assert [s.lines for s in coach.song.lyrics] == [["We begin again tonight", "Underneath the neon light"]]
