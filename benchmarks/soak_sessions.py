"""Concurrency soak for the sessions database (issue 16 item 1): several coach processes
writing one home at once. Turns sent vs turns saved, per scenario and run.

Scenarios (each on a fresh, empty home, all processes started together):
- `2 chats`: two `coach chat --plain --new` processes, TURNS lines each;
- `3 chats, first run`: three of them racing on the empty home (tables made by whoever wins);
- `TUI + chat`: the real Textual app, headless (Pilot fills the box and presses Enter for
  TUI_TURNS messages, waiting for each reply), beside a plain chat sent a line every 0.2 s
  for as long as the TUI runs (so the two write together all through).

A turn counts as saved when its row is in the `turns` table at the end. A process that dies
(exit code not 0), a traceback, or a "Not saved" line the coach printed are reported too.

Run: `.venv/bin/python benchmarks/soak_sessions.py [--runs 3] [--turns 150] [--tui-turns 30]`
(about 6 minutes on 2 busy cores with the defaults). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# Lines that keep the coach busy without rendering audio or writing files.
LINES = ("something sad and slow", "why 1", "more", "what key is this in", "make it faster",
         "make it slower", "in 3/4", "how loud should my vocals be", "back", "help")


def script(turns: int) -> str:
    return "".join(LINES[n % len(LINES)] + "\n" for n in range(turns))


def start(home: Path, args: list[str], name: str) -> subprocess.Popen[str]:
    """A coach process on `home`; its output goes to files (pipes would fill and block)."""
    env = {**os.environ, "COACH_HOME": str(home), "COACH_NO_PLAY": "1",
           "PYTHONPATH": str(REPO)}
    return subprocess.Popen(args, stdin=subprocess.PIPE, stdout=open(home / f"{name}.out", "w"),
                            stderr=open(home / f"{name}.err", "w"), text=True, env=env,
                            cwd=REPO)


def feed(proc: subprocess.Popen[str], turns: int, while_alive: list[subprocess.Popen[str]],
         sent: list[int]) -> None:
    """Write `turns` lines at once; with `while_alive`, one line every 0.2 s (a fast typist's
    pace: faster starves the TUI of CPU on 2 cores) for as long as those processes run."""
    assert proc.stdin is not None
    count = 0
    try:
        if not while_alive:
            proc.stdin.write(script(turns))
            count = turns
        else:
            while any(p.poll() is None for p in while_alive):
                proc.stdin.write(LINES[count % len(LINES)] + "\n")
                proc.stdin.flush()
                count += 1
                time.sleep(0.2)
        proc.stdin.close()
    except BrokenPipeError:  # the chat died: what it got is what was sent
        pass
    sent.append(count)


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
    pending = getattr(store, "unsaved", 0)  # (a store from before issue 16 has no such count)
    print(f"tui turns={app.turns - 1} not_saved_notes={unsaved} pending={pending}")


def run(kinds: list[tuple[str, int]]) -> dict[str, int | float]:
    """One scenario on a fresh home. `("chat", 0)` is a chat paced beside the TUI."""
    with tempfile.TemporaryDirectory(prefix="soak-") as folder:
        home = Path(folder)
        started = time.monotonic()
        procs: list[tuple[str, int, subprocess.Popen[str]]] = []
        for n, (kind, turns) in enumerate(kinds):
            args = ([sys.executable, "-m", "assistant", "chat", "--plain", "--new"]
                    if kind == "chat" else [sys.executable, __file__, "--tui-worker", str(turns)])
            procs.append((kind, turns, start(home, args, f"p{n}")))
        tuis = [p for kind, _, p in procs if kind == "tui"]
        sent: list[int] = []
        feeders = [threading.Thread(target=feed, args=(p, turns, tuis if turns == 0 else [], sent))
                   for kind, turns, p in procs if kind == "chat"]
        for feeder in feeders:
            feeder.start()
        for _, _, proc in procs:
            proc.wait(timeout=900)
        for feeder in feeders:
            feeder.join()
        seconds = time.monotonic() - started
        outs = [((home / f"p{n}.out").read_text(), (home / f"p{n}.err").read_text())
                for n in range(len(procs))]
        con = sqlite3.connect(home / "sessions.db")
        saved = int(con.execute("select count(*) from turns").fetchone()[0])
        con.close()
    died = sum(p.returncode != 0 for _, _, p in procs)
    tracebacks = sum("Traceback" in err for _, err in outs)
    not_saved = sum(out.count("(Not saved:") for out, _ in outs)
    not_saved += sum(int(out.split("not_saved_notes=")[1].split()[0])
                     for out, _ in outs if "not_saved_notes=" in out)
    tui_sent = sum(turns for kind, turns, _ in procs if kind == "tui")
    return {"sent": sum(sent) + tui_sent, "saved": saved, "died": died,
            "tracebacks": tracebacks, "not_saved_said": not_saved, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--turns", type=int, default=150, help="lines per plain chat")
    parser.add_argument("--tui-turns", type=int, default=30, help="messages the TUI sends")
    parser.add_argument("--only", help="run only the scenarios whose name contains this")
    parser.add_argument("--tui-worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tui_worker is not None:
        asyncio.run(tui_worker(args.tui_worker))
        return
    scenarios = {
        "2 chats": [("chat", args.turns)] * 2,
        "3 chats, first run": [("chat", args.turns)] * 3,
        "TUI + chat": [("tui", args.tui_turns), ("chat", 0)],
    }
    print("| scenario | run | turns sent | turns saved | processes died | tracebacks | "
          "'not saved' said | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    total_sent = total_saved = 0
    for name, kinds in scenarios.items():
        if args.only and args.only not in name:
            continue
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
