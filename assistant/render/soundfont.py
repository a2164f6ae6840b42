"""Finding a General MIDI soundfont (`.sf2`/`.sf3`). See soundfonts/README.md.

Order: `--soundfont PATH` > `$COACH_SOUNDFONT` > files in the repo's `soundfonts/` and the
user's data folder (`<data>/soundfonts/`) > system paths (Debian, Fedora/Arch, Homebrew).
Tests and unusual set-ups replace the folder and system lists with `$COACH_SOUNDFONT_DIRS`
and `$COACH_SOUNDFONT_SYSTEM_DIRS` (paths separated by `os.pathsep`; empty = none).
Light on purpose: no numpy or fluidsynth import, so the TUI can ask cheaply.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant import paths
from assistant.errors import FileProblem

EXTENSIONS = (".sf2", ".sf3")
SYSTEM_PATHS: tuple[str, ...] = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/sounds/sf3",
    "/usr/share/sounds/sf2",
    "/usr/share/soundfonts",
    "/opt/homebrew/share/soundfonts",
    "/usr/local/share/soundfonts",
    "/opt/homebrew/share/fluid-synth/sf2",
    "/usr/local/share/fluid-synth/sf2",
)
INSTALL_HINT = (
    "install one: `sudo apt-get install --no-install-recommends timgm6mb-soundfont` "
    "(Debian/Ubuntu) or `brew install fluid-synth` (macOS), or put a .sf2/.sf3 file in "
    "the soundfonts/ folder"
)


class SoundfontMissing(FileProblem):
    """No soundfont anywhere; `searched` lists every place that was looked at."""

    def __init__(self, searched: Sequence[str], note: str = "") -> None:
        self.searched = list(searched)
        message = f"no soundfont found; searched: {', '.join(self.searched)}; {INSTALL_HINT}"
        super().__init__(message + (f"; {note}" if note else ""))


@dataclass(frozen=True)
class Found:
    path: Path
    how: str
    """Which rule found it: "--soundfont", "$COACH_SOUNDFONT", "folder", "system"."""


def _split(value: str) -> list[Path]:
    return [Path(p).expanduser() for p in value.split(os.pathsep) if p.strip()]


def folder_dirs() -> list[Path]:
    """The repo's `soundfonts/` and the user's `<data>/soundfonts/` (or $COACH_SOUNDFONT_DIRS)."""
    if "COACH_SOUNDFONT_DIRS" in os.environ:
        return _split(os.environ["COACH_SOUNDFONT_DIRS"])
    dirs = []
    root = paths.repo_root()
    if root is not None:
        dirs.append(root / "soundfonts")
    dirs.append(paths.data_dir() / "soundfonts")
    return dirs


def system_paths() -> list[Path]:
    if "COACH_SOUNDFONT_SYSTEM_DIRS" in os.environ:
        return _split(os.environ["COACH_SOUNDFONT_SYSTEM_DIRS"])
    return [Path(p) for p in SYSTEM_PATHS]


def _candidates(place: Path) -> list[Path]:
    """A file, or a folder's .sf2/.sf3 files in name order (dangling links skipped)."""
    if place.suffix.lower() in EXTENSIONS and not place.is_dir():
        return [place] if place.is_file() else []
    if place.is_dir():
        return sorted(p for p in place.iterdir() if p.suffix.lower() in EXTENSIONS and p.is_file())
    return []


def _describe(place: Path) -> str:
    return str(place) if place.suffix.lower() in EXTENSIONS else f"{place}/*.sf2|*.sf3"


def find_soundfont(
    explicit: str | Path | None = None,
    *,
    folders: Sequence[Path] | None = None,
    system: Sequence[Path] | None = None,
    env: str | None = None,
) -> Found:
    """The soundfont to use, or `SoundfontMissing` listing what was searched.

    An explicit path or `$COACH_SOUNDFONT` that does not exist is an error of its own
    (the user asked for that file), not a reason to fall back silently.
    """
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise FileProblem(f"soundfont {path} does not exist")
        return Found(path, "--soundfont")
    env_value = os.environ.get("COACH_SOUNDFONT", "") if env is None else env
    if env_value:
        path = Path(env_value).expanduser()
        if not path.is_file():
            raise FileProblem(f"$COACH_SOUNDFONT names {path}, which does not exist")
        return Found(path, "$COACH_SOUNDFONT")
    searched = ["--soundfont (not given)", "$COACH_SOUNDFONT (not set)"]
    for how, places in (
        ("folder", folder_dirs() if folders is None else list(folders)),
        ("system", system_paths() if system is None else list(system)),
    ):
        for place in places:
            found = _candidates(place)
            if found:
                return Found(found[0], how)
            searched.append(_describe(place))
    raise SoundfontMissing(searched)
