"""The Song-sheet panel: mood, key, tempo, meter, a chord chart per bar and the section map.

Two halves so the UI thread never waits on music theory: `sheet_data(song)` runs in the
turn worker (spelling numerals as chord symbols may import music21) and returns plain
strings; `sheet_content(data, width)` lays them out for the panel's current width.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widget import Widget

from assistant.tui.chat import clean_text

if TYPE_CHECKING:
    from assistant.song import Key, Song

BARS_PER_ROW = 4
ENERGY_ON, ENERGY_OFF = "■", "·"
LABEL_WIDTH = 7


@dataclass(frozen=True)
class SectionRow:
    name: str
    bars: int
    energy: int
    instruments: str = ""


@dataclass(frozen=True)
class SheetData:
    """Everything the panel shows, already spelled: built off the UI thread."""

    title: str = "Untitled"
    mood: str = ""
    genre: str = ""
    key: str = ""
    tempo: str = ""
    meter: str = ""
    length: str = ""
    numerals: tuple[str, ...] = ()
    symbols: tuple[str, ...] = ()
    sections: tuple[SectionRow, ...] = ()
    total: str = ""
    instruments: str = ""
    extra: tuple[tuple[str, str], ...] = field(default=())
    """Later stages' figures: ("Record", "peaks -12..-6 dBFS"), ("Master", "-14 LUFS")."""


def chord_symbols(numerals: Sequence[str], key: Key | None) -> tuple[str, ...]:
    """Spell Roman numerals as chord symbols in `key`; a numeral theory cannot spell stays."""
    if key is None:
        return tuple(numerals)
    try:
        from assistant.theory import numeral_to_symbol
    except ImportError:  # theory is optional for the panel: numerals are still readable
        return tuple(numerals)
    symbols = []
    for numeral in numerals:
        try:
            symbols.append(numeral_to_symbol(numeral, key))
        except Exception:  # the sheet must always render, whatever a numeral holds
            symbols.append(numeral)
    return tuple(symbols)


def _clock(seconds: float) -> str:
    whole = int(round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def _number(value: float) -> str:
    return f"{value:g}"


def sheet_data(song: Song) -> SheetData:
    """Read the Song into plain strings (may import music21 through theory: call off-UI)."""
    mood = song.mood_text.strip() or ", ".join(song.moods)
    if song.moods and song.mood_text.strip():
        mood = f"{song.mood_text.strip()} ({', '.join(song.moods)})"
    sections = tuple(
        SectionRow(
            name=section.name[:1].upper() + section.name[1:],
            bars=section.bars,
            energy=section.energy,
            instruments="" if section.instruments is None else ", ".join(section.instruments),
        )
        for section in song.sections
    )
    total = ""
    if song.sections:
        total = f"{song.total_bars} bars"
        if song.tempo:
            total += f" · {_clock(song.duration_s())}"
    from assistant.stages.summary import work_rows

    extra: list[tuple[str, str]] = list(work_rows(song))
    if song.recording.sources:
        rec = song.recording
        extra.append(
            (
                "Record",
                f"{', '.join(rec.sources)}; peaks {_number(rec.peak_min_dbfs)}.."
                f"{_number(rec.peak_max_dbfs)} dBFS",
            )
        )
    if song.mix.platform or song.mix.lufs is not None:
        parts = [song.mix.platform or ""]
        if song.mix.lufs is not None:
            parts.append(f"{_number(song.mix.lufs)} LUFS")
        if song.mix.true_peak_dbtp is not None:
            parts.append(f"{_number(song.mix.true_peak_dbtp)} dBTP")
        extra.append(("Master", " ".join(part for part in parts if part)))
    return SheetData(
        title=song.title,
        mood=mood,
        genre=song.genre or "",
        key=song.key.name if song.key else "",
        tempo=f"{_number(song.tempo)} bpm" if song.tempo else "",
        meter=song.meter if (song.key or song.tempo or song.moods) else "",
        length=_clock(song.length_s) if song.length_s else "",
        numerals=tuple(song.progression),
        symbols=chord_symbols(song.progression, song.key),
        sections=sections,
        total=total,
        instruments=", ".join(instrument.name for instrument in song.instrumentation),
        extra=tuple(extra),
    )


def _fit(text: str, width: int) -> str:
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def chord_chart(symbols: Sequence[str], numerals: Sequence[str], width: int) -> list[Content]:
    """One cell per bar, `BARS_PER_ROW` bars to a row: the symbol over its numeral."""
    if not symbols:
        return []
    cell = max(4, max(len(text) for text in (*symbols, *numerals)) + 1)
    per_row = max(1, min(BARS_PER_ROW, (width - 1) // (cell + 1)))
    cell = min(cell, max(2, (width - 1) // per_row - 1))
    lines: list[Content] = []
    for start in range(0, len(symbols), per_row):
        row_symbols = symbols[start : start + per_row]
        row_numerals = numerals[start : start + per_row]
        top: list[str | tuple[str, str]] = ["│"]
        bottom: list[str | tuple[str, str]] = ["│"]
        for symbol, numeral in zip(row_symbols, row_numerals, strict=False):
            top += [(_fit(symbol, cell).ljust(cell), "bold"), "│"]
            bottom += [(_fit(numeral, cell).ljust(cell), "$text-muted"), "│"]
        lines.append(Content.assemble(*top))
        if tuple(row_symbols) != tuple(row_numerals):  # no second row when nothing was spelled
            lines.append(Content.assemble(*bottom))
    return lines


def section_map(sections: Sequence[SectionRow], width: int) -> list[Content]:
    """`Verse 1      8  ■■■··` — the bar count and energy (1-5) of each section."""
    name_width = max(4, width - 4 - 5 - 2)
    lines = []
    for row in sections:
        energy = max(1, min(5, row.energy))
        lines.append(
            Content.assemble(
                _fit(row.name, name_width).ljust(name_width),
                (f"{row.bars:>4} ", "bold"),
                (ENERGY_ON * energy, "$accent"),
                (ENERGY_OFF * (5 - energy), "$text-muted"),
            )
        )
    return lines


def sheet_content(data: SheetData, width: int) -> Content:
    """Lay the sheet out for a panel `width` cells wide."""
    width = max(width, 12)
    # the title and the mood are the user's words: text, never escapes for the terminal
    lines: list[Content] = [Content.styled(_fit(clean_text(data.title), width), "bold $accent")]

    def field_line(label: str, value: str, rows: int = 1) -> None:
        if not value:
            return
        wrapped = textwrap.wrap(clean_text(value), max(width - LABEL_WIDTH, 4)) or [""]
        if len(wrapped) > rows:
            wrapped = wrapped[:rows]
            wrapped[-1] = _fit(wrapped[-1] + " …", width - LABEL_WIDTH)
        for index, part in enumerate(wrapped):
            head = label if index == 0 else ""
            lines.append(Content.assemble((head.ljust(LABEL_WIDTH), "$text-muted"), part))

    field_line("Mood", data.mood, rows=3)
    field_line("Genre", data.genre, rows=2)
    field_line("Key", data.key)
    field_line("Tempo", data.tempo)
    field_line("Meter", data.meter)
    field_line("Length", data.length)
    if not (data.mood or data.key or data.tempo or data.symbols or data.sections):
        lines.append(Content.styled("Nothing decided yet.", "$text-muted italic"))
    if data.symbols:
        lines += [Content(""), Content.styled("Progression", "bold")]
        lines += chord_chart(data.symbols, data.numerals, width)
    if data.sections:
        lines += [Content(""), Content.styled("Structure", "bold")]
        lines += section_map(data.sections, width)
        if data.total:
            lines.append(Content.styled(data.total.rjust(width), "$text-muted"))
    if data.instruments:
        lines.append(Content(""))
        field_line("Parts", data.instruments, rows=3)
    for label, value in data.extra:
        if len(label) >= LABEL_WIDTH:  # a long name gets its own line ("Chorus chords")
            lines.append(Content.styled(_fit(label, width), "$text-muted"))
            label = ""
        field_line(label, value, rows=2)
    return Content("\n").join(lines)


class SongSheet(Widget):
    """The live Song sheet (read-only): `show(data)` from the UI thread after each turn."""

    DEFAULT_CSS = "SongSheet { height: auto; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data = SheetData()

    def show(self, data: SheetData) -> None:
        self.data = data
        self.refresh(layout=True)

    def render(self) -> Content:
        return sheet_content(self.data, self.content_region.width or self.size.width)
