"""The lyrics as they appear on the exported song sheet (song.md): each section with its
rhyme scheme, each line with its syllable count and rhyme letter, so a singer sees at a
glance which lines are long and which rhyme."""

from __future__ import annotations

from assistant.song import Song


def lyrics_markdown(song: Song) -> list[str]:
    """A "## Lyrics" block: each section's name and scheme, then its lines."""
    reports = None
    try:  # the sheet is still worth writing with the bare words if the analysis fails
        from assistant.lyrics.report import analyse

        reports = analyse([(s.name, s.lines) for s in song.lyrics])
    except Exception:  # noqa: BLE001 -- an export must not fail on a lyric analysis
        reports = None
    lines = ["## Lyrics"]
    for k, section in enumerate(song.lyrics):
        report = reports[k] if reports is not None and k < len(reports) else None
        scheme = f" — rhyme scheme {report.scheme}" if report is not None and report.scheme else ""
        lines += ["", f"**{section.name}**{scheme}", ""]
        if not section.lines:
            lines.append("(no words yet)")
        for i, text in enumerate(section.lines):
            if report is not None and i < len(report.lines):
                letter = report.scheme[i] if i < len(report.scheme) else "X"
                lines.append(f"{text} _({report.lines[i].count} syl, {letter})_  ")
            else:
                lines.append(f"{text}  ")
    return lines
