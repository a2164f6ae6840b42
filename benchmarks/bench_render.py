"""Render benchmark: three-minute songs, whole process against the fluidsynth CLI, and in-process speed.

    .venv/bin/python benchmarks/bench_render.py [--runs 5] [--out benchmarks/out]

For each song and soundfont it runs, interleaved and `--runs` times each:
  coach:      python -m assistant render SONG.json --demo -o coach.wav --soundfont SF
  fluidsynth: fluidsynth -ni -F cli.wav -r 44100 SF SONG.mid   (the MIDI coach wrote)
and reports the medians of wall and CPU time (user + system, all threads: it does not
depend on what else the machine runs), their ratios (target <= 0.8 for the wall time)
and each process's peak memory. Then, in a fresh process, the in-process render of the
same song with TimGM6mb: the synth's real-time factor (target >= 200x), with the song
split between synths as usual and with one synth, and the whole render's (levels and
WAV included). Bytecode is cached as in any installed package (PYTHONDONTWRITEBYTECODE
is dropped). The load average is printed before and after: on a shared machine the wall
times (not the CPU times) move with it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOUNDFONTS = {
    "TimGM6mb": Path("/usr/share/sounds/sf2/TimGM6mb.sf2"),
    "FluidR3_GM": Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
}
SONGS = {  # name -> song_from_options arguments; tempo is then set for exactly 180 s
    "pop (drums, bass, piano, guitar, pad)": {"genre": "pop", "mood": "hopeful"},
    "sad ballad (+ strings, 2nd pad, cello)": {"mood": "sad"},
}
TARGET_S = 180.0


def make_song(options: dict[str, str], folder: Path, name: str) -> Path:
    sys.path.insert(0, str(REPO))
    from assistant.rules import song_from_options

    song = song_from_options(**options)  # type: ignore[arg-type]
    tempo = song.total_bars * song.beats_per_bar * 60 / TARGET_S
    song = song.model_copy(update={"tempo": round(tempo, 3), "title": name})
    path = folder / f"{name.split()[0]}.json"
    path.write_text(song.to_json())
    return path


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MB) of one child process."""
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    err = child.stderr.read().decode() if child.stderr else ""
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {err.strip()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def in_process(song_path: str, soundfont: str, runs: int) -> None:
    """Child mode: render in this process `runs` times (split between synths as usual, then
    with one synth) and print one JSON line."""
    import resource

    sys.path.insert(0, str(REPO))
    from assistant.render import synth as synth_module
    from assistant.render.pipeline import render_song
    from assistant.song import Song

    song = Song.model_validate_json(Path(song_path).read_text())
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, count in (("split", synth_module.parallelism()), ("one", 1)):
            synth_module.parallelism = lambda count=count: count  # type: ignore[misc]
            synth, total, cpu = [], [], []
            for _ in range(runs):
                started = time.process_time()
                result = render_song(song, Path(tmp) / "x.wav", demo=True, soundfont=soundfont)
                cpu.append(time.process_time() - started)
                synth.append(result.synth_s)
                total.append(result.render_s)
            out.update(
                {
                    f"{label}_synth_s": min(synth),
                    f"{label}_synth_median": statistics.median(synth),
                    f"{label}_render_s": min(total),
                    f"{label}_render_median": statistics.median(total),
                    f"{label}_cpu_s": statistics.median(cpu),
                    f"{label}_count": count,
                }
            )
    out["song_s"] = result.song_s
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out")
    parser.add_argument("--in-process", nargs=2, metavar=("SONG", "SF"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_process:
        in_process(*args.in_process, runs=args.runs)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="coach-bench-"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(COACH_HOME=str(home), PYTHONPATH=str(REPO))
    python = sys.executable
    load = os.getloadavg()[0]
    rows, inproc = [], []
    for name, options in SONGS.items():
        song = make_song(options, args.out, name)
        mid = song.with_suffix(".mid")
        for sf_name, sf in SOUNDFONTS.items():
            if not sf.exists():
                continue
            coach = [
                python,
                "-m",
                "assistant",
                "render",
                str(song),
                "--demo",
                "-o",
                str(args.out / "coach.wav"),
                "--midi",
                str(mid),
                "--soundfont",
                str(sf),
            ]
            cli = ["fluidsynth", "-ni", "-F", str(args.out / "cli.wav"), "-r", "44100", str(sf), str(mid)]
            have_cli = shutil.which("fluidsynth") is not None  # the CLI is optional: coach alone then
            timed(coach, env)  # warm-up: writes the MIDI, the bytecode cache, fills the page cache
            if have_cli:
                timed(cli, env)
            block_load = os.getloadavg()[0]
            ours, theirs = [], []
            for _ in range(args.runs):
                ours.append(timed(coach, env))
                theirs.append(timed(cli, env) if have_cli else (float("nan"), float("nan"), float("nan")))
            c = statistics.median(t for t, _, _ in ours)
            f = statistics.median(t for t, _, _ in theirs)
            c_cpu = statistics.median(u for _, u, _ in ours)
            f_cpu = statistics.median(u for _, u, _ in theirs)
            rss = (max(m for _, _, m in ours), max(m for _, _, m in theirs))
            rows.append((name, sf_name, c, f, c / f, c_cpu, f_cpu, *rss, block_load))
        done = subprocess.run(
            [python, __file__, "--in-process", str(song), str(SOUNDFONTS["TimGM6mb"]), "--runs", str(args.runs)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        inproc.append((name, json.loads(done.stdout.strip().splitlines()[-1])))

    print(
        f"Three-minute songs ({TARGET_S:.0f} s of music + release tail), median of {args.runs} interleaved runs; "
        f"load average {load:.2f} at start, {os.getloadavg()[0]:.2f} at end; {os.cpu_count()} CPUs.\n"
    )
    print(
        "| song | soundfont | `coach render` (whole process) | `fluidsynth -ni -F` | ratio (target ≤ 0.8) "
        "| CPU s coach / fluidsynth | CPU ratio | peak RSS coach / fluidsynth | load avg |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, sf_name, c, f, ratio, c_cpu, f_cpu, m1, m2, block_load in rows:
        print(
            f"| {name} | {sf_name} | {c:.2f} s | {f:.2f} s | **{ratio:.2f}** | {c_cpu:.2f} / {f_cpu:.2f} "
            f"| {c_cpu / f_cpu:.2f} | {m1:.0f} MB / {m2:.0f} MB | {block_load:.1f} |"
        )
    print("\nIn-process render with TimGM6mb (best of runs; median in brackets; CPU s is the median):\n")
    print(
        "| song | synths | synth only | real-time factor (target ≥ 200×) | whole render (levels, WAV) "
        "| real-time factor | CPU s | peak RSS |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, r in inproc:
        for label in ("split", "one"):
            print(
                f"| {name} | {r[label + '_count']} | {r[label + '_synth_s']:.2f} s ({r[label + '_synth_median']:.2f}) "
                f"| **{r['song_s'] / r[label + '_synth_s']:.0f}×** "
                f"| {r[label + '_render_s']:.2f} s ({r[label + '_render_median']:.2f}) "
                f"| {r['song_s'] / r[label + '_render_s']:.0f}× | {r[label + '_cpu_s']:.2f} | {r['rss_mb']:.0f} MB |"
            )


if __name__ == "__main__":
    main()
