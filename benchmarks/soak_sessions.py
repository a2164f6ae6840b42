"""Concurrency soak for the sessions database (issue 16 item 1): several coach processes
writing one home at once. Turns sent vs turns saved, per scenario and run.

Scenarios (each on a fresh, empty home, all processes started together):
- `2 chats`: two `coach chat --plain --new` processes, TURNS lines each;
- `3 chats, first run`: three of them racing on the empty home (tables made by whoever wins);
- `TUI + chat`: the real Textual app, headless (Pilot fills the box and presses Enter for
  TUI_TURNS messages, waiting for each reply), beside a plain chat of TURNS lines.

A turn counts as saved when its row is in the `turns` table at the end. A process that dies
(exit code not 0), a traceback, or a "Not saved" line the coach printed are reported too.

Run: `.venv/bin/python benchmarks/soak_sessions.py [--runs 3] [--turns 150] [--tui-turns 30]`
(about 4 minutes on 2 cores with the defaults). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# Lines that keep the coach busy without rendering audio or writing files.
LINES = ("something sad and slow", "why 1", "more", "what key is this in", "make it faster",
         "make it slower", "in 3/4", "how loud should my vocals be", "back", "help")


def script(turns: int) -> str:
    return "".join(LINES[n % len(LINES)] + "\n" for n in range(turns))


def chat(home: Path, turns: int) -> subprocess.Popen[str]:
    env = {**os.environ, "COACH_HOME": str(home), "COACH_NO_PLAY": "1",
           "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "chat", "--plain", "--new"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    proc.stdin_text = script(turns)  # type: ignore[attr-defined]
    return proc


def tui(home: Path, turns: int) -> subprocess.Popen[str]:
    env = {**os.environ, "COACH_HOME": str(home), "COACH_NO_PLAY": "1",
           "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, __file__, "--tui-worker", str(turns)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    proc.stdin_text = ""  # type: ignore[attr-defined]
    return proc


async def tui_worker(turns: int) -> None:
    """The real TUI, headless, on its own store: types `turns` messages, one per reply."""
    from assistant.store import Store
    from assistant.tui.app import make_app

    store = Store()
    app = make_app(lambda: store.resume(new=True), store)
    async with app.run_test(size=(100, 30)) as pilot:
        for n in range(turns + 1):
            deadline = time.monotonic() + 120
            while app.turns < n + 1 and time.monotonic() < deadline:
                await pilot.pause(0.01)
            if n == turns:
                break
            # the box filled at once and Enter pressed: Pilot's key-by-key typing takes
            # ~0.2 s a key, which would measure Pilot, not the saving
            app.query_one("#input").value = LINES[n % len(LINES)]  # type: ignore[attr-defined]
            await pilot.press("enter")
        await app.workers.wait_for_complete()
        notes = [str(note.content) for note in app.query(".note")]
    unsaved = sum("Not saved" in note for note in notes)
    print(f"tui turns={app.turns - 1} not_saved_notes={unsaved} pending={store.unsaved}")


def run(kinds: list[tuple[str, int]]) -> dict[str, int | float]:
    with tempfile.TemporaryDirectory(prefix="soak-") as folder:
        home = Path(folder)
        started = time.monotonic()
        procs = [(chat if kind == "chat" else tui)(home, turns) for kind, turns in kinds]
        outs = [p.communicate(p.stdin_text, timeout=600)  # type: ignore[attr-defined]
                for p in procs]
        seconds = time.monotonic() - started
        con = sqlite3.connect(home / "sessions.db")
        saved = int(con.execute("select count(*) from turns").fetchone()[0])
        con.close()
    died = sum(p.returncode != 0 for p in procs)
    tracebacks = sum("Traceback" in err for _, err in outs)
    not_saved = sum(out.count("(Not saved:") for out, _ in outs)
    not_saved += sum(int(out.split("not_saved_notes=")[1].split()[0])
                     for out, _ in outs if "not_saved_notes=" in out)
    return {"sent": sum(turns for _, turns in kinds), "saved": saved, "died": died,
            "tracebacks": tracebacks, "not_saved_said": not_saved, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--turns", type=int, default=150, help="lines per plain chat")
    parser.add_argument("--tui-turns", type=int, default=30, help="messages the TUI sends")
    parser.add_argument("--tui-worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tui_worker is not None:
        asyncio.run(tui_worker(args.tui_worker))
        return
    scenarios = {
        "2 chats": [("chat", args.turns)] * 2,
        "3 chats, first run": [("chat", args.turns)] * 3,
        "TUI + chat": [("tui", args.tui_turns), ("chat", args.turns)],
    }
    print("| scenario | run | turns sent | turns saved | processes died | tracebacks | "
          "'not saved' said | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    total_sent = total_saved = 0
    for name, kinds in scenarios.items():
        for n in range(1, args.runs + 1):
            r = run(kinds)
            total_sent += int(r["sent"])
            total_saved += int(r["saved"])
            print(f"| {name} | {n} | {r['sent']} | {r['saved']} | {r['died']} | "
                  f"{r['tracebacks']} | {r['not_saved_said']} | {r['seconds']:.1f} |",
                  flush=True)
    print(f"\nIn all: {total_saved} of {total_sent} turns saved.")


if __name__ == "__main__":
    main()
