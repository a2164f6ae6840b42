"""The Mixing & Mastering widgets, mounted in a tiny app and driven by a Pilot."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult

from assistant.tui.mix_widgets import LoudnessMeter, SpectrumChart, meter_text, spectrum_text


def _result(integrated: float = -9.0, tp: float = 0.4) -> dict[str, Any]:
    bands = [("31.5 Hz", 22, 44, 2.0, 3.0), ("63 Hz", 44, 88, 9.0, 8.0),
             ("1 kHz", 710, 1420, -1.0, 1.0), ("16 kHz", 11360, 22720, -4.0, -13.0)]
    return {
        "integrated_lufs": integrated, "short_term_max_lufs": integrated + 2,
        "loudness_range_lu": 5.5, "true_peak_dbtp": tp, "sample_peak_dbfs": tp - 0.3,
        "plr_db": tp - integrated, "notes": [],
        "target": {"name": "Spotify", "lufs": -14.0, "true_peak_dbtp": -1.0},
        "genre": {"name": "Pop", "curve": "curve.pop"},
        "spectral_balance": [
            {"band": b, "low_hz": lo, "high_hz": hi, "db": db, "target_db": t,
             "deviation_db": db - t} for b, lo, hi, db, t in bands],
    }


class MixApp(App[None]):
    def __init__(self, result: dict[str, Any] | None) -> None:
        super().__init__()
        self.result = result

    def compose(self) -> ComposeResult:
        yield LoudnessMeter(self.result, id="meter")
        yield SpectrumChart(self.result, id="spectrum")


async def test_widgets_show_the_meter_and_the_chart_and_follow_a_new_result() -> None:
    app = MixApp(_result())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        meter = app.query_one(LoudnessMeter)
        chart = app.query_one(SpectrumChart)
        assert meter.size.height >= 6 and chart.size.height >= 5
        shown = meter.render().plain
        assert "\u22129.0 LUFS" in shown and "Spotify" in shown and "+5.0 LU" in shown
        assert "over" in shown  # +0.4 dBTP against a -1 dBTP ceiling
        bars = chart.render().plain
        for label in ("31.5 Hz", "63 Hz", "1 kHz", "16 kHz", "Pop curve"):
            assert label in bars
        meter.result = _result(integrated=-14.2, tp=-1.5)
        await pilot.pause()
        shown = meter.render().plain
        assert "\u221214.2 LUFS" in shown and "ok" in shown and "over" not in shown
        screen = app.export_screenshot().replace("&#160;", " ")
        assert "Loudness" in screen and "16 kHz" in screen


async def test_widgets_before_any_analysis() -> None:
    async with MixApp(None).run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        assert "No mix analysed yet" in pilot.app.query_one(LoudnessMeter).render().plain
        assert "No spectrum yet" in pilot.app.query_one(SpectrumChart).render().plain


def test_drawing_scales_with_the_width() -> None:
    narrow, wide = meter_text(_result(), 40).plain, meter_text(_result(), 120).plain
    assert max(map(len, wide.splitlines())) > max(map(len, narrow.splitlines()))
    assert max(map(len, spectrum_text(_result(), 60).plain.splitlines())) <= 60
    silent = {**_result(), "integrated_lufs": None, "notes": ["the file is silent: -inf"]}
    assert "inf LUFS (silent)" in meter_text(silent, 80).plain
