"""The TUI with the real coach: a real rendered mix named in the Mixing & Mastering stage
mounts the loudness meter and the spectral chart with the measured figures."""

from __future__ import annotations

from pathlib import Path

from assistant.coach import Coach
from assistant.render import preview
from assistant.song import Key, Song
from assistant.tui.app import make_app
from assistant.tui.mix_widgets import LoudnessMeter, SpectrumChart
from tests.test_stage_tools import SMALL_SOUNDFONT
from tests.test_tui import SIZE, say, settle


async def test_a_real_mix_in_the_mixing_stage_shows_the_meter_and_the_chart(
    tmp_path: Path,
) -> None:
    mix = tmp_path / "bounce.wav"
    song = Song(key=Key(tonic="A", mode="minor"), tempo=90, progression=["i", "bVI", "bIII"])
    preview(song, mix, bars=8, soundfont=SMALL_SOUNDFONT)
    app = make_app(Coach)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, 1)
        await say(app, pilot, "sad pop in A minor at 90 bpm")
        await say(app, pilot, "1")
        await say(app, pilot, "let's do mixing")
        await say(app, pilot, "Spotify")
        assert not app.query(LoudnessMeter)
        await say(app, pilot, str(mix))
        meters = app.query(LoudnessMeter)
        assert len(meters) == 1
        meter = meters.first()
        result = meter.result
        assert result is not None and result["file"] == str(mix)
        assert result["integrated_lufs"] is not None and result["target"]["name"] == "Spotify"
        shown = meter.render().plain
        assert f"{result['integrated_lufs']:.1f}".replace("-", "\u2212") in shown
        assert "Spotify" in shown and meter.region.height >= 5
        chart = app.query_one(SpectrumChart)
        assert chart.region.height >= 3 and "pop curve" in chart.render().plain
        # the master preview comes with its own meter, at the target's loudness
        await say(app, pilot, "master it")
        meters = app.query(LoudnessMeter)
        assert len(meters) == 2
        after = meters.last().result
        assert after is not None and abs(after["integrated_lufs"] + 14.0) <= 0.5
        assert (tmp_path / "bounce-master-spotify.wav").exists()
