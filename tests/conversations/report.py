"""Run every conversation through the plain chat and list the steps the coach gets wrong.

    .venv/bin/python -m tests.conversations.report            # print the list
    .venv/bin/python -m tests.conversations.report --write    # also write FAILING.md
    .venv/bin/python -m tests.conversations.report --tui      # and the TUI subset too
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from tests.conversations.checks import HERE, Conversation, load_conversations, run_plain


def main(argv: list[str]) -> int:
    os.environ["COACH_NO_PLAY"] = "1"
    small = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
    if small.exists():
        os.environ["COACH_SOUNDFONT"] = str(small)
    only = [a for a in argv if not a.startswith("--")]
    conversations = [c for c in load_conversations() if not only or c.name in only]
    failing: list[tuple[str, list[str]]] = []
    started = time.monotonic()
    for conversation in conversations:
        home = Path(tempfile.mkdtemp(prefix="coach-conv-"))
        os.environ["COACH_HOME"] = str(home)
        failures, transcript = run_plain(conversation, home)
        if "-v" in argv:
            print(transcript)
        if failures:
            failing.append((f"{conversation.name} ({conversation.source}; "
                            f"{conversation.persona})",
                            [f"step {f.step} `{f.say}`: " + "; ".join(f.problems) +
                             (f"\n  - read as: {f.reading}" if f.reading else "")
                             for f in failures]))
    took = time.monotonic() - started
    passed = len(conversations) - len(failing)
    tui_lines = tui_report([c for c in conversations if c.tui]) if "--tui" in argv else []
    lines = [
        "# Conversations the coach still gets wrong",
        "",
        "Written by `python -m tests.conversations.report --write` from the scripted "
        "conversations in this folder, run through the real plain chat, the saved sheet "
        "checked after every step. Each line: the step, what the user typed, and what was "
        "expected against what the saved sheet or the reply had.",
        "",
        f"{passed} of {len(conversations)} conversations pass ({took:.0f} s).",
        "",
    ]
    marked = [c.name for c in conversations if c.xfail]
    if marked:
        lines += [f"{len(marked)} are marked `xfail` in their TOML (strict: a fixed one fails "
                  "as XPASS until its mark is removed): " + ", ".join(marked) + ".", ""]
    for name, problems in failing:
        lines.append(f"## {name}")
        lines += [f"- {p}" for p in problems]
        lines.append("")
    lines += tui_lines
    text = "\n".join(lines)
    print(text)
    if "--write" in argv:
        (HERE / "FAILING.md").write_text(text, encoding="utf-8")
    return 0


def tui_report(conversations: list[Conversation]) -> list[str]:
    """The TUI subset through the real TUI (tests/test_conversations_tui.py's driver)."""
    import asyncio

    from tests.test_conversations_tui import talk

    root = Path(tempfile.mkdtemp(prefix="coach-tui-"))
    os.environ["COACH_HOME"] = str(root)

    async def run() -> list[tuple[str, str]]:
        found = []
        for conversation in conversations:
            try:
                failures = await talk(conversation, root / conversation.name)
                found.append((conversation.name, "\n".join(f"- {f}" for f in failures)))
            except Exception as error:  # a broken run is a finding too
                found.append((conversation.name, f"- the run broke: {error!r}"))
        return found

    results = asyncio.run(run())
    failing = [(name, text) for name, text in results if text]
    lines = ["## The TUI subset", "",
             f"{len(results) - len(failing)} of {len(results)} conversations pass in the TUI "
             "(typed key by key with Pilot, Enter to send).", ""]
    for name, text in failing:
        lines += [f"### {name}", text, ""]
    return lines


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
