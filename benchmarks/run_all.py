"""Run every benchmark script in this folder, one after another, and print their tables.

`make bench` runs this. Each script prints a markdown table of its own; the README's figures
are copied from a run of this on the machine named at the top of each table. `--eval` runs
the evaluations (`eval_*.py`, which read ../shared/data) after them: expect an hour or more
(the next-chord evaluation alone trains a model for about half an hour on two cores).
Other arguments name the scripts to run (`bench_core eval_lyrics`).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    evaluations = "--eval" in argv
    wanted = {a for a in argv if a != "--eval"}
    scripts = sorted(HERE.glob("bench_*.py"))
    if evaluations or wanted:  # basic-pitch needs its own TensorFlow venv: only when named
        scripts += sorted(p for p in HERE.glob("eval_*.py")
                          if p.stem != "eval_basic_pitch" or p.stem in wanted)
    scripts = [p for p in scripts if not wanted or p.stem in wanted]
    failed = 0
    for script in scripts:
        print(f"\n## {script.stem}\n", flush=True)
        start = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], cwd=HERE)
        failed += result.returncode != 0
        print(f"\n({script.name}: {time.perf_counter() - start:.0f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
