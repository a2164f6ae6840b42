"""TUI benchmarks: time to first paint (against a bare Textual app as the floor), the
Done-when walk in a real terminal, reply latency through the TUI, and memory.

Run: `.venv/bin/python benchmarks/bench_tui.py [--runs 5]`. Prints markdown tables.

First paint is measured the way a user sees it: the program is started in a
pseudo-terminal (100x30) and the clock stops when the first screen's text arrives on the
terminal (the stage stepper for the coach, a label for the bare app). Both are started
the same way, in the same run, so the difference is what the coach adds.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import pty
import re
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
COLUMNS, ROWS = 100, 30
ANSI = re.compile(rb"\x1b(\[[0-9;?<>=$ ]*[A-Za-z~]|\][^\x07\x1b]*(\x07|\x1b\\)|P[^\x1b]*\x1b\\|.)")

BARE_APP = """
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("BARE-FIRST-PAINT")

Bare().run()
"""


class Terminal:
    """A program running in a pseudo-terminal; `wait_for(text)` reads until it shows."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO,
            start_new_session=True,
        )
        os.close(slave)
        self.text = b""

    def wait_for(self, needle: str, timeout: float = 20.0, since: int = 0) -> float:
        """Seconds from start until `needle` is on screen (after byte offset `since`)."""
        target = needle.encode()
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if target in ANSI.sub(b"", self.text[since:]):
                return time.perf_counter() - self.started
            ready, _, _ = select.select([self.master], [], [], 0.02)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    break
                self.text += chunk
                if b"\x1b[c" in chunk or b"\x1b[>c" in chunk:
                    pass  # Textual does not wait for device-attribute answers
        raise TimeoutError(f"{needle!r} did not appear within {timeout} s")

    def send(self, data: str) -> None:
        os.write(self.master, data.encode())

    def rss_mb(self) -> float:
        """Resident memory of the program (its largest process: the Python one)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        return kb / 1024

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        os.close(self.master)


def _env(home: str) -> dict[str, str]:
    return {
        **os.environ,
        "COACH_HOME": home,
        "PYTHONPATH": str(REPO),
        "TERM": "xterm-256color",
        "COLUMNS": str(COLUMNS),
        "LINES": str(ROWS),
    }


def coach_argv() -> list[str]:
    """`coach --new` when the CLI can open the TUI; the app factory directly otherwise."""
    if (REPO / "assistant" / "cli" / "chat.py").exists():
        return [sys.executable, "-m", "assistant", "--new"]
    code = (
        "from assistant.coach import Coach\n"
        "from assistant.tui.app import run_tui\nrun_tui(Coach)"
    )
    return [sys.executable, "-c", code]


def first_paint(runs: int) -> list[tuple[str, list[float]]]:
    bare, coach, question = [], [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as home:
            term = Terminal([sys.executable, "-c", BARE_APP], _env(home))
            try:
                bare.append(term.wait_for("BARE-FIRST-PAINT"))
            finally:
                term.close()
            term = Terminal(coach_argv(), _env(home))
            try:
                coach.append(term.wait_for("Conception"))
                question.append(term.wait_for("How"))
            finally:
                term.close()
    return [
        ("bare Textual app (floor)", bare),
        ("coach: first paint", coach),
        ("coach: first question shown", question),
    ]


def done_when_walk() -> list[tuple[str, float]]:
    """The issue's Done-when in a real terminal: mood + Enter, then `1` + Enter."""
    with tempfile.TemporaryDirectory() as home:
        term = Terminal(coach_argv(), _env(home))
        try:
            term.wait_for("How")
            rss_start = term.rss_mb()
            mark = len(term.text)
            start = time.perf_counter()
            term.send("something sad and slow\r")
            term.wait_for("minor", since=mark)
            suggestions = time.perf_counter() - start
            mark = len(term.text)
            start = time.perf_counter()
            term.send("1\r")  # a digit is typed like any text; Enter sends it
            term.wait_for("Tempo", since=mark)  # the sheet's tempo row appears
            picked = time.perf_counter() - start
            rss_after = term.rss_mb()
            term.send("\x11")  # Ctrl+Q
            term.process.wait(10)
        finally:
            term.close()
    return [
        ("'something sad and slow' + Enter → minor-key suggestions (s)", suggestions),
        ("`1` → Composition, key and tempo on the sheet (s)", picked),
        ("memory after the first question (MB RSS)", rss_start),
        ("memory after those two turns (MB RSS)", rss_after),
    ]


SCRIPT = (
    "something sad and slow", "1", "1", "next", "status", "more", "why 1", "next",
    "make it faster", "about 3 minutes", "next", "vocals and acoustic guitar", "next",
    "next", "how loud should my vocals be?", "next", "spotify",
)


async def turn_latency() -> tuple[list[float], list[float]]:
    """Enter → the reply mounted and the next frame drawn, in process (headless, 100x30);
    and the coach's own share (`Coach.handle` on the core thread) of each turn."""
    from assistant.coach import Coach
    from assistant.tui.app import make_app

    app = make_app(Coach)
    core: list[float] = []
    take_turn = app._core_turn

    def timed_turn(text: str | None) -> object:
        start = time.perf_counter()
        result = take_turn(text)
        core.append((time.perf_counter() - start) * 1000)
        return result

    app._core_turn = timed_turn  # type: ignore[method-assign]
    times: list[float] = []
    async with app.run_test(size=(COLUMNS, ROWS)) as pilot:
        while app.turns < 1:
            await pilot.pause(0.01)
        await app.workers.wait_for_complete()
        core.clear()
        for text in SCRIPT:
            before = app.turns
            start = time.perf_counter()
            await app._send(text)  # what Enter in the input does
            while app.turns == before:
                await asyncio.sleep(0.001)
            painted = asyncio.Event()
            app.call_after_refresh(painted.set)
            await painted.wait()
            times.append((time.perf_counter() - start) * 1000)
            await app.workers.wait_for_complete()
    return times, core


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    print(f"## TUI start-up ({args.runs} runs each, {COLUMNS}x{ROWS} pseudo-terminal)\n")
    print("| what | median s | min s | max s |\n|---|---|---|---|")
    rows = first_paint(args.runs)
    for name, values in rows:
        print(f"| {name} | {statistics.median(values):.3f} | {min(values):.3f} | "
              f"{max(values):.3f} |")
    floor = statistics.median(rows[0][1])
    paint = statistics.median(rows[1][1])
    print(f"\nCoach first paint minus the bare app: {paint - floor:+.3f} s "
          f"(target: first paint ≤ 0.6 s → {'met' if paint <= 0.6 else 'NOT met'})\n")

    print("## Done-when walk in a pseudo-terminal\n")
    print("| step | value |\n|---|---|")
    for name, value in done_when_walk():
        print(f"| {name} | {value:.2f} |")

    with tempfile.TemporaryDirectory() as home:
        os.environ["COACH_HOME"] = home
        times, core = asyncio.run(turn_latency())
    print(f"\n## Reply latency ({len(times)} scripted turns through all six stages)\n")
    print("| what | p50 ms | p95 ms | max ms |\n|---|---|---|---|")
    for name, values in (
        ("Enter → reply painted (TUI, in process, headless)", times),
        ("the coach's share (`handle` on the core thread)", core),
    ):
        print(f"| {name} | {statistics.median(values):.1f} | {_p95(values):.1f} | "
              f"{max(values):.1f} |")


if __name__ == "__main__":
    main()
