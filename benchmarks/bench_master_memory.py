"""`coach master` on a long file: peak memory (RSS) and time, which must stay flat with length.

    python benchmarks/bench_master_memory.py [--minutes 60] [--genre rock] [--old REV]

Makes a long mix by repeating a FluidSynth render (`coach render`, TimGM6mb, 16 bars) with a
slowly changing level, as a 44.1 kHz stereo 24-bit WAV in benchmarks/out/, then runs
`coach analyze FILE --json` and `coach master FILE -o OUT --json` as separate processes and
reads each one's own peak RSS and CPU time from wait4(). `--old REV` also runs the master of
git revision REV (the whole-file implementation before streaming) on the same file, in a
subprocess, for comparison (give it a short --minutes: it holds the file several times).
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

OUT = REPO / "benchmarks" / "out"
SOUNDFONT = "/usr/share/sounds/sf2/TimGM6mb.sf2"
COACH = [sys.executable, "-m", "assistant"]
OLD_MASTER = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("old_master", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
result = module.master_file(sys.argv[2], sys.argv[3], target="spotify")
print(json.dumps({"gain_db": result["gain_db"], "after": result["after"]}))
"""


def long_mix(minutes: int) -> Path:
    """A `minutes`-long mix: a 16-bar render repeated, its level drifting +-6 dB."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"master-{minutes}min.wav"
    if path.exists():
        return path
    song = OUT / "master-song.wav"
    if not song.exists():
        subprocess.run([*COACH, "render", "--genre", "pop", "--mood", "happy", "--bars", "16",
                        "--soundfont", SOUNDFONT, "-o", str(song)], check=True, cwd=REPO,
                       capture_output=True)
    x, sr = sf.read(song, dtype="float64")
    total = minutes * 60 * sr
    with sf.SoundFile(path, "w", sr, x.shape[1], subtype="PCM_24") as handle:
        done = 0
        while done < total:
            n = min(x.shape[0], total - done)
            t = (done + np.arange(n)) / sr
            level = 0.35 * 10 ** (6 * np.sin(2 * np.pi * t / 600) / 20)
            handle.write(x[:n] * level[:, None])
            done += n
    return path


def run_measured(cmd: list[str]) -> dict[str, float]:
    """Run `cmd` under a wrapper that reports its own peak RSS (getrusage of itself)."""
    wrapper = ("import resource, runpy, sys\n"
               "sys.argv = sys.argv[1:]\n"
               "code = 0\n"
               "try:\n"
               "    runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
               "except SystemExit as stop:\n"
               "    code = stop.code or 0\n"
               "u = resource.getrusage(resource.RUSAGE_SELF)\n"
               "print(f'RSS {u.ru_maxrss} CPU {u.ru_utime + u.ru_stime}', file=sys.stderr)\n"
               "sys.exit(code)\n")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", wrapper, *cmd], cwd=REPO, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr[-800:]}")
    tail = done.stderr.strip().splitlines()[-1].split()
    return {"wall_s": wall, "cpu_s": float(tail[3]), "peak_rss_mb": int(tail[1]) / 1024,
            "stdout": done.stdout}  # type: ignore[dict-item]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--genre", help="also EQ toward this genre's curve")
    parser.add_argument("--old", metavar="REV", help="also run the master of this revision")
    args = parser.parse_args()
    mix = long_mix(args.minutes)
    info = sf.info(str(mix))
    rows = []
    analyze = run_measured(["assistant", "analyze", str(mix), "--json"])
    rows.append(("coach analyze", analyze))
    master_cmd = ["assistant", "master", str(mix), "-o", str(OUT / "master-out.wav"),
                  "--target", "spotify", "--json"]
    if args.genre:
        master_cmd += ["--genre", args.genre]
    master = run_measured(master_cmd)
    result = json.loads(str(master["stdout"]))
    rows.append((f"coach master{' --genre ' + args.genre if args.genre else ''}", master))
    if args.old:
        source = subprocess.run(["git", "show", f"{args.old}:assistant/analysis/master.py"],
                                cwd=REPO, capture_output=True, text=True, check=True).stdout
        with tempfile.TemporaryDirectory() as folder:
            old = Path(folder) / "old_master.py"
            old.write_text(source)
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", "import resource, runpy, sys\n"
                 "sys.argv = sys.argv[1:]\n"
                 f"exec({OLD_MASTER!r})\n"
                 "u = resource.getrusage(resource.RUSAGE_SELF)\n"
                 "print(f'RSS {u.ru_maxrss} CPU {u.ru_utime + u.ru_stime}', file=sys.stderr)\n",
                 "x", str(old), str(mix), str(OUT / "master-old.wav")],
                cwd=REPO, capture_output=True, text=True,
                env={**os.environ, "PYTHONPATH": str(REPO)})
            wall = time.perf_counter() - started
            if done.returncode == 0:
                tail = done.stderr.strip().splitlines()[-1].split()
                rows.append((f"master of {args.old} (whole file)",
                             {"wall_s": wall, "cpu_s": float(tail[3]),
                              "peak_rss_mb": int(tail[1]) / 1024}))
            else:
                last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "?"
                rows.append((f"master of {args.old} (whole file): failed ({last[:60]})",
                             {"wall_s": wall, "cpu_s": float("nan"),
                              "peak_rss_mb": float("nan")}))
    minutes = info.frames / info.samplerate / 60
    print(f"File: {minutes:.0f} minutes, {info.samplerate} Hz, {info.channels} channels, "
          f"{info.subtype} ({mix.stat().st_size / 2**20:.0f} MB); target spotify")
    print()
    print("| process | wall s | CPU s | peak RSS MB |")
    print("|---|---:|---:|---:|")
    for name, row in rows:
        print(f"| {name} | {row['wall_s']:.1f} | {row['cpu_s']:.1f} | {row['peak_rss_mb']:.0f} |")
    print()
    print(f"Master: gain {result['gain_db']:+.2f} dB, {result['limiter']['passes']} pass(es), "
          f"after {result['after']['integrated_lufs']} LUFS, "
          f"{result['after']['true_peak_dbtp']} dBTP")


if __name__ == "__main__":
    main()
