"""Scripted beginner conversations through the real plain chat (`coach chat --plain`'s own
loop, `assistant.cli.chat.plain_chat`, fed line by line), checking the SAVED Song sheet after
every step. The scripts and the check vocabulary: tests/conversations/ (checks.py explains
both); what the coach still gets wrong: tests/conversations/FAILING.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_coach
from tests.conversations.checks import Conversation, Step, load_conversations, run_plain

CONVERSATIONS = load_conversations()
SMALL_SOUNDFONT = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")


def _param(conversation: Conversation) -> object:
    marks = [pytest.mark.xfail(reason=conversation.xfail, strict=True)] \
        if conversation.xfail else []
    return pytest.param(conversation, id=conversation.name, marks=marks)


@pytest.fixture(autouse=True)
def quiet_and_small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACH_NO_PLAY", "1")
    if SMALL_SOUNDFONT.exists():  # "export" renders a demo: the fast soundfont
        monkeypatch.setenv("COACH_SOUNDFONT", str(SMALL_SOUNDFONT))


def test_there_are_enough_conversations() -> None:
    assert len(CONVERSATIONS) >= 60
    assert sum(c.tui for c in CONVERSATIONS) >= 12
    walks = [c for c in CONVERSATIONS  # from conception through at least two more stages
             if len({s.expect.get("stage") for s in c.steps} - {None, "conception"}) >= 2]
    assert len(walks) >= 10


@pytest.mark.parametrize("conversation", [_param(c) for c in CONVERSATIONS])
def test_conversation(conversation: Conversation, coach_home: Path) -> None:
    failures, transcript = run_plain(conversation, coach_home)
    assert not failures, "\n".join(str(f) for f in failures) + \
        f"\n--- transcript ---\n{transcript[-4000:]}"


def test_the_command_itself_saves_what_the_in_process_chat_saves(
    coach_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The in-process loop above is the command's own: one script through `python -m
    assistant chat --plain` in a subprocess ends on the same saved sheet."""
    script = ["something sad and slow", "these are way too gloomy", "1", "G D Em C",
              "even slower"]
    result = run_coach("chat", "--plain", input="\n".join(script) + "\n",
                       env={"COACH_NO_PLAY": "1"})
    assert result.returncode == 0, result.stderr
    shown = json.loads(run_coach("sessions", "show", "1", "--json").stdout)["song"]
    other = coach_home / "in-process"
    other.mkdir()
    monkeypatch.setenv("COACH_HOME", str(other))
    run_plain(Conversation("same", "", tuple(Step(s, {}) for s in script)), other)
    inproc = json.loads(run_coach("sessions", "show", "1", "--json",
                                  env={"COACH_HOME": str(other)}).stdout)["song"]
    for field in ("moods", "key", "tempo", "progression", "meter"):
        assert shown[field] == inproc[field], field
