"""Reply latency of the conversation engine, in process, without previews.

Runs scripted conversations through all six stages (free text, picks, commands, changes,
arrangement edits, questions for the tips) and times every `Coach.handle` call, then the same
turn plus its SQLite save (`Store.save_turn`, one transaction). Prints a markdown table.

    .venv/bin/python benchmarks/bench_coach.py [--rounds 20]

Target (issue 4): p95 <= 50 ms per turn without previews.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SCRIPT = [
    "melancholic but hopeful, slow, like a night drive", "more", "why 2", "play 1",
    "dark but danceable", "1",
    "how loud should my vocals be?", "what is a bridge?", "what comes after Am F?", "checklist",
    "tick 1", "status", "make it faster", "transpose up 2",
    "1", "A4 C5 E5 D5",
    "about 3 minutes", "1", "add a pre-chorus", "make the verse 16 bars", "drop the bridge",
    "no drums in the intro", "undo", "help",
    "vocals and acoustic guitar", "skip",
    "1",
    "let's do mixing", "1", "asdfgh", "", "next",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="conversations to run")
    args = parser.parse_args()
    os.environ.setdefault("COACH_HOME", tempfile.mkdtemp(prefix="bench_coach_"))

    started = time.perf_counter()
    from assistant.coach import Coach
    from assistant.kb.loader import knowledge
    from assistant.store import Store

    kb = knowledge()
    load_s = time.perf_counter() - started

    # the very first turn pays for lazy imports (rules, theory); the first question builds
    # the tips' FTS index (once per knowledge change: it is cached on disk)
    coach = Coach(knowledge=kb)
    coach.start()
    t0 = time.perf_counter()
    coach.handle(SCRIPT[0])
    cold_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    coach.handle("how loud should my vocals be?")
    index_ms = (time.perf_counter() - t0) * 1000

    store = Store()
    turns: list[float] = []
    saved: list[float] = []
    starts: list[float] = []
    for seed in range(args.rounds):
        t0 = time.perf_counter()
        coach = store.resume(new=True, knowledge=kb, seed=seed)
        coach.start()
        starts.append((time.perf_counter() - t0) * 1000)
        for text in SCRIPT:
            t0 = time.perf_counter()
            reply = coach.handle(text)
            t1 = time.perf_counter()
            store.save_turn(store.session_id, coach, text, reply)
            t2 = time.perf_counter()
            turns.append((t1 - t0) * 1000)
            saved.append((t2 - t0) * 1000)

    rows = [
        ("reply (`Coach.handle`)", turns),
        ("reply + save (`Store.save_turn`)", saved),
        ("new session + greeting", starts),
    ]
    print(f"Knowledge load {load_s * 1000:.0f} ms; first turn (cold imports) {cold_ms:.0f} ms; "
          f"first tip question (builds the FTS index, once per knowledge change) "
          f"{index_ms:.0f} ms; {len(turns)} warm turns over {args.rounds} conversations of "
          f"{len(SCRIPT)} turns.\n")
    print("| measure | p50 ms | p95 ms | max ms | mean ms |")
    print("|---|---|---|---|---|")
    for name, values in rows:
        print(f"| {name} | {percentile(values, 50):.2f} | {percentile(values, 95):.2f} | "
              f"{max(values):.2f} | {statistics.fmean(values):.2f} |")
    p95 = percentile(saved, 95)
    print(f"\nTarget p95 <= 50 ms (reply + save): {'met' if p95 <= 50 else 'MISSED'} "
          f"({p95:.1f} ms).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
