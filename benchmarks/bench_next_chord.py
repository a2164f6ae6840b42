"""Whole-process time of `coach next-chord Am F --key "A minor"`, next to `coach --help`.

Runs the installed `coach` script (next to this Python; `python -m assistant` if there is
none) with a fresh COACH_HOME. PYTHONDONTWRITEBYTECODE is removed from the children's
environment: with it set, every run compiles our modules from source, which no real install
does. The untimed warm-up runs write the .pyc files and the knowledge and model caches.

    .venv/bin/python benchmarks/bench_next_chord.py [RUNS]
    .venv/bin/python benchmarks/bench_next_chord.py [RUNS] --commits 972fc58,HEAD

With `--commits`, each commit is exported (`git archive`) to a temporary folder and its
`python -m assistant next-chord ...` timed, the commits taking turns run by run, so a busy
machine slows them alike.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import COACH, REPO, machine, median, pct, time_command

NEXT_CHORD = ["next-chord", "Am", "F", "--key", "A minor"]
WARMUP = 2


def coach_command() -> list[str]:
    script = Path(sys.executable).parent / "coach"
    return [str(script)] if script.exists() else COACH


LOAD = os.getloadavg()  # before any run


def header(runs: int, what: str) -> str:
    return (f"Machine: {machine()}; load average before: {LOAD[0]:.2f} {LOAD[1]:.2f} "
            f"{LOAD[2]:.2f}; {runs} runs each after {WARMUP} warm-up runs; {what}\n")


def installed(runs: int) -> None:
    env = {"COACH_HOME": tempfile.mkdtemp(prefix="coach-bench-")}
    coach = coach_command()
    print(header(runs, f"command: {' '.join(Path(c).name for c in coach)}"))
    results = [
        ("`coach --help`", "≤ 150 ms",
         time_command([*coach, "--help"], runs=runs, warmup=WARMUP, env=env)),
        ('`coach next-chord Am F --key "A minor"`', "≤ 250 ms",
         time_command([*coach, *NEXT_CHORD], runs=runs, warmup=WARMUP, env=env)),
    ]
    print("| whole process | median | p95 | target |")
    print("|---|---|---|---|")
    for label, target, times in results:
        print(f"| {label} | {median(times) * 1000:.0f} ms | {pct(times, 95) * 1000:.0f} ms "
              f"| {target} |")


def commits(runs: int, names: list[str]) -> None:
    base = Path(tempfile.mkdtemp(prefix="coach-bench-trees-"))
    trees: dict[str, Path] = {}
    for name in names:
        tree = base / name.replace("/", "_")
        tree.mkdir()
        archive = subprocess.run(["git", "archive", name], cwd=REPO, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        trees[name] = tree
    times: dict[str, list[float]] = {name: [] for name in names}
    for i in range(WARMUP + runs):
        for name, tree in trees.items():
            env = {**os.environ, "PYTHONPATH": str(tree), "COACH_HOME": str(tree / ".home")}
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "assistant", *NEXT_CHORD], cwd=tree, env=env,
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if i >= WARMUP:
                times[name].append(time.perf_counter() - start)
    print(header(runs, "python -m assistant in each exported commit, taking turns"))
    print('| commit | `coach next-chord Am F --key "A minor"` median | p95 |')
    print("|---|---|---|")
    for name, values in times.items():
        print(f"| {name} | {median(values) * 1000:.0f} ms | {pct(values, 95) * 1000:.0f} ms |")


def main() -> None:
    args = sys.argv[1:]
    names: list[str] = []
    if "--commits" in args:
        at = args.index("--commits")
        names = args[at + 1].split(",")
        del args[at:at + 2]
    runs = int(args[0]) if args else 15
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # the children inherit os.environ
    if names:
        commits(runs, names)
    else:
        installed(runs)


if __name__ == "__main__":
    main()
