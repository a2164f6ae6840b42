"""Playing a rendered WAV through whatever player the machine has.

We shell out to a player (aplay, paplay, afplay, ffplay) rather than opening an audio
driver in-process: FluidSynth's `start()` "succeeds" even when no driver opened and
prints ALSA errors over the screen. The player's own output is discarded. When nothing
can play, the caller gets a message saying where the WAV is.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

# name -> arguments before the file. ffplay needs to be told not to open a window.
PLAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("aplay", ("-q",)),
    ("paplay", ()),
    ("afplay", ()),
    ("ffplay", ("-nodisp", "-autoexit", "-loglevel", "error")),
)


@dataclass(frozen=True)
class PlayOutcome:
    played: bool
    player: str | None
    message: str


def find_player(names: tuple[str, ...] | None = None) -> tuple[str, list[str]] | None:
    """The first available player as (name, command without the file), or None."""
    for name, args in PLAYERS:
        if names is not None and name not in names:
            continue
        path = shutil.which(name)
        if path:
            return name, [path, *args]
    return None


def start(path: Path, names: tuple[str, ...] | None = None) -> subprocess.Popen[bytes] | None:
    """Start playing in the background (for the TUI: keep the handle to stop it)."""
    found = find_player(names)
    if found is None:
        return None
    return subprocess.Popen(
        [*found[1], str(path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def play(path: Path, names: tuple[str, ...] | None = None, timeout: float | None = None) -> PlayOutcome:
    """Play `path` to the end; never raises for a missing player or device."""
    found = find_player(names)
    if found is None:
        return PlayOutcome(
            False, None, f"no audio player found (aplay, paplay, afplay, ffplay); the WAV is saved at {path}"
        )
    name, command = found
    try:
        done = subprocess.run(
            [*command, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return PlayOutcome(False, name, f"{name} could not play it ({error}); the WAV is saved at {path}")
    said = done.stderr.decode("utf-8", "replace").lower()
    # ffplay exits 0 even when no audio device opened: read what it said instead
    if done.returncode != 0 or "audio open failed" in said or "couldn't open audio" in said:
        return PlayOutcome(False, name, f"{name} could not play it (no audio device?); the WAV is saved at {path}")
    return PlayOutcome(True, name, f"played {path} with {name}")
