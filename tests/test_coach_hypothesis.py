"""Whatever anyone types, the coach answers: never an exception, never silence."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.coach import Coach
from assistant.kb.loader import knowledge
from assistant.song import STAGES
from tests.test_stage_tools import clean_take, clipped_take, midi_take

# Real files for the tools to chew on (the folder lives as long as the test process).
_FILES = tempfile.TemporaryDirectory(prefix="coach-hypothesis-")
_DIR = Path(_FILES.name)
TAKE = str(clean_take(_DIR / "take.wav"))
CLIPPED = str(clipped_take(_DIR / "hot take.wav"))
MIDI = str(midi_take(_DIR / "take.mid", notes=16))

WORDS = [
    "sad", "dark", "but", "danceable", "like", "a", "lo-fi", "beat", "A", "minor", "Am",
    "in", "F#", "90", "bpm", "slow", "faster", "6/8", "waltz", "about", "3", "minutes",
    "2", "the", "second", "one", "more", "why", "play", "back", "skip", "next", "let's",
    "do", "mixing", "undo", "help", "status", "change", "key", "to", "D", "make", "it",
    "transpose", "up", "add", "pre-chorus", "verse", "16", "bars", "drop", "bridge", "no",
    "drums", "intro", "how", "loud", "vocals", "?", "yes", "quit", "#", "0", "-1", "999",
    "Spotify", "i", "bVI", "bIII", "bVII", "C4", "E4", "~/x.wav",
    # the stage tools' words, and real files for them
    "what", "comes", "after", "F", "H7", "harmonize", "E4/2", "sketch", "melody", "motif",
    "my", "range", "is", "A2", "keep", "duplicate", "chorus", "bring", "bass", "down", "60%",
    "master", "checklist", "quantize", "1/16", "swing", "0.6", "tight", "~/x.mid",
    "song.mp3", "recording", "editing", "composition", "arrangement", TAKE, CLIPPED, MIDI,
]
_COACH: list[Coach] = []


def coach() -> Coach:
    """One coach for all examples: its state wanders through every stage as they run."""
    if not _COACH:
        _COACH.append(Coach(knowledge=knowledge(), seed=1))
        _COACH[0].start()
    return _COACH[0]


def check(text: str) -> None:
    reply = coach().handle(text)
    assert reply.text.strip()
    assert "tripped me up" not in reply.text, text  # the safety net caught a real bug
    assert reply.stage in STAGES
    assert all(o.number >= 1 and o.label for o in reply.options)
    # the state stays saveable whatever happened
    assert coach().snapshot()["song"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_any_text_gets_a_reply(text: str) -> None:
    check(text)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=8))
def test_word_salad_gets_a_reply(words: list[str]) -> None:
    check(" ".join(words))
