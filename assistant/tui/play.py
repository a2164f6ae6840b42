"""The play-status line: rendering…, playing, saved to…, or what went wrong (never a crash)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

STATES = ("idle", "busy", "rendering", "playing", "saved", "error")
ICONS = {"busy": "…", "rendering": "⏳", "playing": "▶", "saved": "✔", "error": "⚠"}


def short_path(path: Path | str) -> str:
    """`~/…` when under the home folder: the status line is one line."""
    text = str(path)
    home = str(Path.home())
    if home not in ("", "/") and text.startswith(home + "/"):
        return "~" + text[len(home) :]
    return text


class PlayStatus(Static):
    """One line under the suggestions; hidden while idle."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.state = "idle"
        self.display = False

    def set(self, state: str, text: str = "") -> None:
        self.state = state
        for name in STATES:
            self.set_class(name == state, f"-{name}")
        icon = ICONS.get(state, "")
        self.update(f"{icon} {text}".strip())
        self.display = state != "idle"
