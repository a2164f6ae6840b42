"""Speed of the MIDI take tools: `coach analyze TAKE.mid` (whole process) against music21's
`converter.parse` + `analyze('key')` on the same file, and the edit commands.

Run: `.venv/bin/python benchmarks/bench_midi.py [path/to/shared/data]`
Key and tempo accuracy live in benchmarks/eval_key.py (slow: it runs music21 on every file).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import COACH, REPO, machine, median, time_command

sys.path.insert(0, str(REPO))

from assistant.analysis.midi_take import analyze_midi  # noqa: E402
from assistant.edit.midifile import load_midi  # noqa: E402

# forceSource: music21 otherwise loads a pickle it cached from an earlier parse of the file.
MUSIC21_WHOLE = (
    "import sys, music21; music21.converter.parse(sys.argv[1], forceSource=True).analyze('key')"
)


def cpu_of_command(cmd: list[str], env: dict[str, str], runs: int) -> list[float]:
    """CPU seconds (user + system) of whole runs: steadier than wall time on a busy machine."""
    full_env = {**os.environ, **env}
    times = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=full_env,
                       check=True, cwd=REPO)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return times


def music21_in_process(path: Path, runs: int = 3, cached: bool = False) -> list[float]:
    """converter.parse + analyze('key') with music21 already imported; `cached` lets music21
    load the pickle it keeps of a file it parsed before (its fastest case)."""
    import music21

    music21.converter.parse(str(path))  # warm up (and fill music21's cache)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        music21.converter.parse(str(path), forceSource=not cached).analyze("key")
        times.append(time.perf_counter() - start)
    return times


def chorale_file(folder: Path) -> Path:
    from music21 import corpus
    from music21.midi import translate

    path = folder / "bwv269.mid"
    path.write_bytes(bytes(translate.streamToMidiFile(corpus.parse("bach/bwv269")).writestr()))
    return path


def main(argv: list[str]) -> int:
    data = Path(argv[0]) if argv else REPO.parent / "shared" / "data"
    home = Path(tempfile.mkdtemp(prefix="coach_bench_"))
    env = {"COACH_HOME": str(home), "PYTHONPATH": str(REPO)}
    files = [
        ("POP909 001 (3:16, 1556 notes)", data / "pop909_midi" / "001" / "001.mid"),
        ("POP909 012 (4:55, 49 tempos)", data / "pop909_midi" / "012" / "012.mid"),
        ("Bach BWV 269 render (4 parts)", chorale_file(home)),
    ]
    print(f"Machine: {machine()}\n")
    print("| file | `coach analyze F --json`, whole process: wall (CPU) | music21 "
          "`converter.parse` + `analyze('key')` in process, wall | same, music21's parse cache "
          "warm | music21 whole process: wall (CPU) | speed-up vs music21 in process "
          "(cache warm; whole process) |")
    print("|---|---|---|---|---|---|")
    for title, path in files:
        command = [*COACH, "analyze", str(path), "--json"]
        ours = time_command(command, runs=7, env=env)
        ours_cpu = cpu_of_command(command, env, runs=5)
        theirs = music21_in_process(path)
        cached = music21_in_process(path, cached=True)
        m21 = [sys.executable, "-c", MUSIC21_WHOLE, str(path)]
        whole = time_command(m21, runs=3, env=env)
        whole_cpu = cpu_of_command(m21, env, runs=3)
        mine = median(ours)
        print(f"| {title} | {mine * 1000:.0f} ms ({median(ours_cpu) * 1000:.0f} ms) | "
              f"{median(theirs) * 1000:.0f} ms | {median(cached) * 1000:.0f} ms | "
              f"{median(whole) * 1000:.0f} ms ({median(whole_cpu) * 1000:.0f} ms) | "
              f"**{median(theirs) / mine:.1f}x** ({median(cached) / mine:.1f}x; "
              f"{median(whole) / mine:.1f}x) |")

    song = files[0][1]
    print("\n| command on POP909 001 (whole process) | median | min |")
    print("|---|---|---|")
    out = home / "out.mid"
    for title, args in (
        ("`coach quantize --grid 1/16 --strength 0.8 --swing 0.6`",
         ["quantize", str(song), "-o", str(out), "--grid", "1/16", "--strength", "0.8",
          "--swing", "0.6"]),
        ("`coach transpose --semitones -3`", ["transpose", str(song), "-o", str(out),
                                              "--semitones", "-3"]),
        ("`coach humanize --timing-ms 10 --velocity 8`", ["humanize", str(song), "-o", str(out)]),
    ):
        times = time_command([*COACH, *args], runs=5, env=env)
        print(f"| {title} | {median(times) * 1000:.0f} ms | {min(times) * 1000:.0f} ms |")

    inner, parse = [], []
    for _ in range(20):
        start = time.perf_counter()
        load_midi(song)
        parse.append(time.perf_counter() - start)
        start = time.perf_counter()
        analyze_midi(song)
        inner.append(time.perf_counter() - start)
    print(f"\nIn process: analyze_midi(001.mid) {statistics.median(inner) * 1000:.1f} ms (its own "
          f"byte reader); mido's full parse of the same file alone (the edits' reader) "
          f"{statistics.median(parse) * 1000:.1f} ms.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
