"""Foundation benchmarks: `coach --help`, `coach suggest`, and one in-process suggestion."""

from __future__ import annotations

import sys
import tempfile

from _timing import COACH, machine, median, pct, time_calls, time_command


def main() -> None:
    home = tempfile.mkdtemp(prefix="coach-bench-")
    env = {"COACH_HOME": home}
    helps = time_command([*COACH, "--help"], runs=15, env=env)
    suggests = time_command([*COACH, "suggest", "--mood", "sad", "--json"], runs=9, env=env)

    sys.path.insert(0, str(__import__("_timing").REPO))
    import os

    os.environ["COACH_HOME"] = home
    from assistant.rules import suggest

    moods = ["sad", "melancholic but hopeful", "cheerful", "dark but danceable", "dreamy"]
    i = iter(range(10**9))
    calls = time_calls(lambda: suggest(moods[next(i) % len(moods)], seed=1), runs=300)
    print(f"Machine: {machine()}\n")
    print("| measure | median | p95 | target |")
    print("|---|---|---|---|")
    print(f"| `coach --help` (whole process) | {median(helps)*1000:.0f} ms "
          f"| {pct(helps, 95)*1000:.0f} ms | ≤ 150 ms |")
    print(f"| `coach suggest --mood sad --json` (whole process) | {median(suggests)*1000:.0f} ms "
          f"| {pct(suggests, 95)*1000:.0f} ms | ≤ 1000 ms |")
    print(f"| one suggestion in process (after warm-up) | {median(calls)*1000:.2f} ms "
          f"| {pct(calls, 95)*1000:.2f} ms | p95 ≤ 5 ms |")


if __name__ == "__main__":
    main()
