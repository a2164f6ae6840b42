"""Several lines pasted into a one-line input box (the TUI's): lyric lines keep their breaks
as " / " (a blank line between sections as " // "), the way lyrics are quoted on one line;
the chat's lyric reader turns them back into lines. Anything else is joined with spaces.
Light on purpose: the TUI calls it on a paste, with nothing but `re` imported."""

from __future__ import annotations

import re

_LYRIC = re.compile(r"^\s*(?:\[[^\]]{1,40}\]|[^:]{0,60}\b(?:lyrics?|words|verse|chorus|bridge|hook|refrain)"
                    r"\b[^:]{0,40}:)", re.I)


def join_pasted(text: str, typed: str = "") -> str:
    """One line for the input box: `typed` is what the box already holds."""
    lines = text.splitlines()
    if len(lines) < 2 or not (_LYRIC.match(typed) or _LYRIC.match(lines[0])):
        return " ".join(lines)
    out: list[str] = []
    for line in lines:
        line = line.strip()
        if line:
            out.append(line)
        elif out and out[-1] != "//":
            out.append("//")
    joined = " / ".join(out).replace(" / // / ", " // ")
    return joined.rstrip(" /")
