"""The lyric report: sections -> lines -> syllables, stress, rhyme scheme and, with a melody,
how each line fits its notes. One function gives the dict the CLI prints as JSON, one the
text the chat and the CLI show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from assistant.lyrics.dictionary import Dictionary, load
from assistant.lyrics.line import Line, analyse_line, shown
from assistant.lyrics.prosody import Fit, NoteSpan, fit_line, split_notes
from assistant.lyrics.rhyme import last_word, scheme

MAX_LINE_CHARS = 300
RHYME_WINDOW = 8
"""A line's rhyme is looked for among the 8 lines before it (songs rhyme close by; a
10,000-line file stays linear)."""
_HEADER = re.compile(r"^\s*\[(?P<a>[^\]]{1,40})\]\s*$|^\s*(?P<b>(?:pre-?|post-?)?(?:verse|chorus|bridge|"
                     r"hook|intro|outro|refrain|pre chorus|middle 8|tag)(?:\s*\d+)?)\s*:?\s*$", re.I)


@dataclass
class SectionReport:
    name: str
    lines: list[Line]
    scheme: str
    notes: list[list[NoteSpan]] | None = None
    fits: list[list[Fit]] = field(default_factory=list)


def parse_sections(text: str, default: str = "") -> list[tuple[str, list[str]]]:
    """Sections of a lyric text: split at blank lines and at "[Chorus]"/"Chorus:" headers.
    Unnamed sections are "section 1", "section 2"... (or `default` for a single one)."""
    sections: list[tuple[str, list[str]]] = []
    name: str | None = None
    lines: list[str] = []

    def close() -> None:
        nonlocal name, lines
        if lines:
            sections.append((name or "", lines))
        elif name is not None and not lines:
            sections.append((name, []))
        name, lines = None, []

    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()[:MAX_LINE_CHARS]
        header = _HEADER.match(line)
        if header:
            close()
            name = (header.group("a") or header.group("b")).strip().lower()
        elif not line:
            if lines:
                close()
        else:
            lines.append(line)
    close()
    sections = [(n, ls) for n, ls in sections if ls or n]
    unnamed = [i for i, (n, _) in enumerate(sections) if not n]
    for k, i in enumerate(unnamed, 1):
        label = default if default and len(unnamed) == 1 else f"section {k}"
        sections[i] = (label, sections[i][1])
    return sections


def _scheme(lines: list[Line], d: Dictionary) -> str:
    ends = [last_word(line.text) for line in lines]
    if len(ends) <= RHYME_WINDOW * 2:
        return scheme(ends, d)
    out = []
    for start in range(0, len(ends), RHYME_WINDOW):  # long sections: rhyme within windows
        out.append(scheme(ends[start:start + RHYME_WINDOW], d))
    return "".join(out)


def analyse(sections: list[tuple[str, list[str]]], melody: dict[str, list[NoteSpan]] | None = None,
            bar_beats: float = 4.0, compound: bool = False,
            d: Dictionary | None = None) -> list[SectionReport]:
    """Analyse each section; with `melody` (section name -> its notes; key "" for every
    section without its own), fit each line to its share of the notes."""
    d = d or load()
    out: list[SectionReport] = []
    for name, texts in sections:
        lines = [analyse_line(t, d) for t in texts]
        report = SectionReport(name, lines, _scheme(lines, d))
        notes = None
        if melody:
            notes = melody.get(name) or melody.get(_base(name)) or melody.get("")
        if notes and lines:
            report.notes = split_notes(notes, len(lines), bar_beats)
            report.fits = [fit_line(i, line, report.notes[i - 1], bar_beats, compound)
                           for i, line in enumerate(lines, 1)]
        out.append(report)
    return out


def _base(name: str) -> str:
    return re.sub(r"\s*\d+$", "", name)


def as_json(reports: list[SectionReport]) -> dict[str, Any]:
    sections = []
    unknown: dict[str, dict[str, Any]] = {}
    for r in reports:
        lines = []
        for i, line in enumerate(r.lines):
            item: dict[str, Any] = {
                "text": line.text, "syllables": line.count, "stress": line.stress,
                "rhyme": r.scheme[i] if i < len(r.scheme) else "X", "shown": shown(line),
                "unknown": [w.text for w in line.unknown],
            }
            for w in line.unknown:
                unknown.setdefault(w.text, {"word": w.text, "syllables": w.syllables,
                                            "stress": w.stress, "how": w.how})
            if r.notes is not None:
                item["notes"] = len(r.notes[i])
                item["fit"] = [f.as_dict() for f in r.fits[i]]
            lines.append(item)
        sections.append({"name": r.name, "scheme": r.scheme, "lines": lines})
    return {"sections": sections, "unknown_words": list(unknown.values())}


def as_text(reports: list[SectionReport], max_lines: int = 60, markdown: bool = False) -> str:
    """The report to read: per line the syllables (stressed ones in capitals), the count,
    the rhyme letter and, against a melody, the fixes."""
    if not reports or not any(r.lines for r in reports):
        return "No lyric lines to look at yet."
    out: list[str] = []
    shown_lines = 0
    unknown: dict[str, str] = {}
    for r in reports:
        if shown_lines >= max_lines:
            break
        head = f"{r.name.capitalize()} — rhyme scheme {r.scheme or '-'}"
        out.append(f"**{head}**" if markdown else head)
        for i, line in enumerate(r.lines):
            if shown_lines >= max_lines:
                break
            shown_lines += 1
            letter = r.scheme[i] if i < len(r.scheme) else "X"
            notes = f" / {len(r.notes[i])} notes" if r.notes is not None else ""
            text = f"{i + 1}. {shown(line) or '(no words)'}  [{line.count} syl{notes}, {letter}]"
            out.append(("- " if markdown else "  ") + text)
            if r.notes is not None:
                for fit in r.fits[i]:
                    rule = f"_({fit.rule})_" if markdown else f"({fit.rule})"
                    out.append(("  - " if markdown else "     ") + f"{fit.problem}: {fit.suggestion} {rule}")
            for w in line.unknown:
                unknown.setdefault(w.text, f"“{w.text}” ≈ {w.syllables} syllable"
                                   f"{'s' if w.syllables != 1 else ''} ({w.how})")
        out.append("")
    total = sum(len(r.lines) for r in reports)
    if total > shown_lines:
        out.append(f"… and {total - shown_lines} more lines (the full report: `coach lyrics FILE --json`).")
    if unknown:
        out.append("Not in the dictionary, estimated: " + "; ".join(list(unknown.values())[:12]) + ".")
    return "\n".join(out).rstrip()
