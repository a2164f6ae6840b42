"""Mixing & Mastering pictures for the TUI: a loudness meter and a spectral-balance chart.

Both take the dict `analyze_audio` returns (attributes down: set `.result`); they post no
messages. The drawing is two pure functions, `meter_text(result, width)` and
`spectrum_text(result, width)`, so it is testable without running an app.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

LUFS_RANGE = (-40.0, 0.0)
PEAK_RANGE = (-24.0, 3.0)
BAND_RANGE = 15.0  # dB either side of the mean
LABEL = 10


def _fmt(value: float | None, unit: str, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    return f"{value:.{digits}f} {unit}".replace("-", "\u2212")


def _scale(value: float, low: float, high: float, width: int) -> int:
    """Column (0..width-1) of `value` on a scale from low to high."""
    frac = (min(max(value, low), high) - low) / (high - low)
    return min(width - 1, max(0, round(frac * (width - 1))))


def _bar(width: int, fill_to: float | None, low: float, high: float, marks: dict[int, str],
         fill_style: str) -> Text:
    cells = width
    text = Text()
    filled = -1 if fill_to is None else _scale(fill_to, low, high, cells)
    for col in range(cells):
        if col in marks:
            text.append(marks[col][0], style=marks[col][1:] or "bold")
        elif col <= filled:
            text.append("\u2588", style=fill_style)
        else:
            text.append("\u2500", style="dim")
    return text


def meter_text(result: dict[str, Any] | None, width: int) -> Text:
    """Integrated loudness against the target, true peak against the ceiling."""
    out = Text()
    if not result:
        out.append("No mix analysed yet: name a bounced mix (WAV, FLAC, AIFF).", style="dim")
        return out
    width = max(30, width)
    bar_width = width - 2 * 6 - 2
    target = result.get("target") or {}
    integrated = result.get("integrated_lufs")
    silent = integrated is None and any("silent" in n for n in result.get("notes", []))
    head = "\u2212inf LUFS (silent)" if silent else _fmt(integrated, "LUFS")
    out.append("Loudness ", style="bold")
    out.append(f"{head} integrated")
    if target and integrated is not None:
        diff = integrated - target["lufs"]
        style = "green" if abs(diff) <= 1 else ("yellow" if abs(diff) <= 3 else "red")
        out.append(f" \u00b7 {target['name']} {_fmt(target['lufs'], 'LUFS', 0)} ")
        out.append(f"({diff:+.1f} LU)".replace("-", "\u2212"), style=style)
    out.append("\n")
    low, high = LUFS_RANGE
    marks: dict[int, str] = {}
    short_max = result.get("short_term_max_lufs")
    if short_max is not None:
        marks[_scale(short_max, low, high, bar_width)] = "\u25b2yellow"
    if target:
        marks[_scale(target["lufs"], low, high, bar_width)] = "\u2503bold red"
    out.append(f"{low:>4.0f} \u251c".replace("-", "\u2212"), style="dim")
    out.append_text(_bar(bar_width, integrated, low, high, marks, "cyan"))
    out.append(f"\u2524 {high:.0f}\n", style="dim")
    out.append(f"           \u25b2 short-term max {_fmt(short_max, 'LUFS')} \u00b7 range "
               f"{_fmt(result.get('loudness_range_lu'), 'LU')}\n", style="dim")
    tp = result.get("true_peak_dbtp")
    ceiling = float(target.get("true_peak_dbtp", 0.0)) if target else 0.0
    out.append("True peak ", style="bold")
    out.append(_fmt(tp, "dBTP"))
    if tp is not None:
        over = tp - ceiling
        out.append(f" \u00b7 ceiling {_fmt(ceiling, 'dBTP', 0)} ")
        out.append("over" if over > 0 else "ok", style="bold red" if over > 0 else "green")
    out.append("\n")
    low, high = PEAK_RANGE
    marks = {_scale(ceiling, low, high, bar_width): "\u2503bold red"}
    out.append(f"{low:>4.0f} \u251c".replace("-", "\u2212"), style="dim")
    peak_style = "red" if tp is not None and tp > ceiling else "green"
    out.append_text(_bar(bar_width, tp, low, high, marks, peak_style))
    out.append(f"\u2524 +{high:.0f}\n", style="dim")
    out.append(f"           PLR {_fmt(result.get('plr_db'), 'dB')} \u00b7 sample peak "
               f"{_fmt(result.get('sample_peak_dbfs'), 'dBFS')}", style="dim")
    return out


def spectrum_text(result: dict[str, Any] | None, width: int) -> Text:
    """One row per octave band: a bar from the mean, and the genre curve as a marker."""
    out = Text()
    bands = [b for b in (result or {}).get("spectral_balance") or [] if b.get("db") is not None]
    if not bands:
        out.append("No spectrum yet.", style="dim")
        return out
    genre = (result or {}).get("genre") or {}
    has_curve = any(b.get("target_db") is not None for b in bands)
    title = "Spectral balance, dB vs the band mean"
    if has_curve:
        title += f" \u00b7 \u2503 = {genre.get('name', 'genre')} curve"
    out.append(title[: max(20, width)] + "\n", style="bold")
    bar_width = max(11, width - LABEL - 16)
    centre = _scale(0.0, -BAND_RANGE, BAND_RANGE, bar_width)
    for b in bands:
        db, target = b["db"], b.get("target_db")
        col = _scale(db, -BAND_RANGE, BAND_RANGE, bar_width)
        deviation = b.get("deviation_db")
        style = "cyan"
        if deviation is not None:
            size = abs(deviation)
            style = "green" if size <= 4 else ("yellow" if size <= 8 else "red")
        out.append(f"{b['band']:>{LABEL - 1}} ", style="bold")
        tcol = None if target is None else _scale(target, -BAND_RANGE, BAND_RANGE, bar_width)
        lo, hi = min(col, centre), max(col, centre)
        for c in range(bar_width):
            if c == tcol:
                out.append("\u2503", style="bold red")
            elif lo <= c <= hi and c != centre:
                out.append("\u2588", style=style)
            elif c == centre:
                out.append("\u2502", style="dim")
            else:
                out.append(" ")
        out.append(f" {db:+5.1f}".replace("-", "\u2212"))
        if target is not None:
            out.append(f" ({target:+.1f})".replace("-", "\u2212"), style="dim")
        out.append("\n")
    out.rstrip()
    return out


class LoudnessMeter(Widget):
    """Integrated loudness against the target and true peak against the ceiling."""

    DEFAULT_CSS = """
    LoudnessMeter { height: auto; min-height: 7; padding: 0 1; }
    """

    result: reactive[dict[str, Any] | None] = reactive(None, layout=True)

    def __init__(self, result: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.set_reactive(LoudnessMeter.result, result)

    def render(self) -> Text:
        return meter_text(self.result, self.content_size.width or 60)


class SpectrumChart(Widget):
    """Octave-band balance of the mix against the genre's reference curve."""

    DEFAULT_CSS = """
    SpectrumChart { height: auto; min-height: 3; padding: 0 1; }
    """

    result: reactive[dict[str, Any] | None] = reactive(None, layout=True)

    def __init__(self, result: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.set_reactive(SpectrumChart.result, result)

    def render(self) -> Text:
        return spectrum_text(self.result, self.content_size.width or 60)
