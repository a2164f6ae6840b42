"""Text safe to put on a terminal: what the user typed, knowledge tips and replies that quote
them may hold escape sequences (colours, a new window title, a cleared screen); the TUI, the
plain chat and `kb search` all show text through `clean_text`."""

from __future__ import annotations

import re
import unicodedata

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-_])")


def clean_text(text: str, *, lines: bool = False) -> str:
    """Text safe to show: ANSI escape sequences and other control characters removed (they
    would reach the terminal as they are). Newlines are kept when `lines`, otherwise they
    become spaces (one line, as the input box holds it); tabs become spaces."""
    text = _ANSI.sub("", text)
    out = []
    for char in text:
        if char == "\n" and lines:
            out.append(char)
        elif char in "\t\n\r\v\f":
            out.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cf") and char not in "\u200d\u200c":
            continue  # C0/C1 controls, bidi overrides (zero-width joiners stay: emoji)
        else:
            out.append(char)
    return "".join(out)
