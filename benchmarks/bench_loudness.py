"""Loudness meter: EBU/ITU compliance, agreement with ffmpeg on rendered songs, and speed.

    python benchmarks/bench_loudness.py [--data ../shared/data/loudness] [--runs 7]
                                        [--write benchmarks/RESULTS-loudness.md]

1. EBU Tech 3341 / 3342 and ITU-R BS.2217 cases: the signals synthesized from their
   definitions (as the tests do) and the official files in the shared data folder.
2. Real music: demo songs rendered by `coach render --demo` (FluidSynth), at tempos that make
   them at least 3 minutes long, measured by `coach analyze` and by ffmpeg's
   `ebur128=peak=true` (integrated loudness and true peak).
3. Whole-process time of `coach analyze FILE --json` against ffmpeg on the same file,
   interleaved run by run so a busy machine slows both alike.
Prints markdown; --write also saves it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
import test_loudness_signals as sig  # noqa: E402

from assistant.analysis.audio import measure_array, measure_file  # noqa: E402

OUT = REPO / "benchmarks" / "out"
COACH = [sys.executable, "-m", "assistant"]
SONGS = [  # (name, coach render options): tempos chosen so the demo lasts >= 3 minutes
    ("pop, 84 bpm", ["--genre", "pop", "--mood", "happy", "--tempo", "84"]),
    ("sad ballad, 53 bpm", ["--mood", "sad and slow", "--tempo", "53"]),
]


def db(x: float) -> float:
    return 20 * math.log10(x) if x > 0 else -math.inf


def check(value: float | None, expected: float, low: float, high: float) -> str:
    if value is None:
        return "n/a"
    return "pass" if expected + low <= value <= expected + high else "FAIL"


def _cell(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def compliance(data: Path) -> tuple[list[str], int, int]:
    rows = ["| case | measure | expected | tolerance | synthesized | official file | result |",
            "|---|---|---|---|---|---|---|"]
    passed = total = 0

    def add(case: str, what: str, expected: float, tol: tuple[float, float],
            synth: float | None, file_value: float | None) -> None:
        nonlocal passed, total
        results = [check(v, expected, *tol) for v in (synth, file_value) if v is not None]
        ok = all(r == "pass" for r in results)
        passed += ok
        total += 1
        tol_text = f"±{tol[1]:g}" if -tol[0] == tol[1] else f"+{tol[1]:g}/{tol[0]:g}"
        rows.append(f"| {case} | {what} | {expected:g} | {tol_text} | {_cell(synth)} | "
                    f"{_cell(file_value)} | {'pass' if ok else 'FAIL'} |")

    def official(folder: str, name: str) -> np.ndarray | None:
        path = data / folder / name
        return sf.read(path, dtype="float32", always_2d=True)[0] if path.exists() else None

    ebu = "ebu_testset_v05_flac"
    for case, segments in sig.TECH3341_I.items():
        loud = measure_array(sig.tone(segments), sig.SR).loudness
        add(f"3341-{case}", "I", sig.TECH3341_I_EXPECTED[case], (-0.1, 0.1), loud.integrated,
            None)
        if case in (1, 2):
            add(f"3341-{case}", "M, S max", sig.TECH3341_I_EXPECTED[case], (-0.1, 0.1),
                max(loud.momentary_max or 0, loud.short_term_max or 0), None)
    short = measure_array(sig.case9(), sig.SR).loudness.short_term
    add("3341-9", "S (worst after 3 s)", -23.0, (-0.1, 0.1),
        float(short[np.argmax(np.abs(short + 23))]), None)
    mom = measure_array(sig.case12(), sig.SR).loudness.momentary[60:]
    x = official(ebu, "seq-3341-12-24bit.flac")
    file_mom = None if x is None else measure_array(x, sig.SR).loudness.momentary[60:]
    add("3341-12", "M (worst after 1 s)", -23.0, (-0.1, 0.1),
        float(mom[np.argmax(np.abs(mom + 23))]),
        None if file_mom is None else float(file_mom[np.argmax(np.abs(file_mom + 23))]))
    for i in (1, 20):
        x = official(ebu, f"seq-3341-13-{i}-24bit.flac")
        add(f"3341-13-{i}", "max M", -23.0, (-0.1, 0.1),
            measure_array(sig.case13(i - 1), sig.SR).loudness.momentary_max,
            None if x is None else measure_array(x, sig.SR).loudness.momentary_max)
    x = official(ebu, "seq-3341-10-1-24bit.flac")
    add("3341-10-1", "max S", -23.0, (-0.1, 0.1),
        measure_array(sig.case10(0), sig.SR).loudness.short_term_max,
        None if x is None else measure_array(x, sig.SR).loudness.short_term_max)
    for case, expected in sig.TRUE_PEAK_EXPECTED.items():
        made = sig.true_peak_sine(case) if case < 20 else sig.true_peak_burst(case)
        x = official(ebu, f"seq-3341-{case}-24bit.flac")
        add(f"3341-{case}", "true peak", expected, sig.TRUE_PEAK_TOLERANCE,
            db(measure_array(made, sig.SR).true_peak),
            None if x is None else db(measure_array(x, sig.SR).true_peak))
    for case, (segments, expected) in sig.TECH3342.items():
        add(f"3342-{case}", "LRA", expected, (-1.0, 1.0),
            measure_array(sig.tone(segments), sig.SR).loudness.loudness_range, None)
    for name, make, expected in (("RelGateTest", sig.bs2217_relative_gate, -10.0),
                                 ("AbsGateTest", sig.bs2217_absolute_gate, -69.5)):
        x = official("itu_bs2217_flac", f"1770-2_Comp_{name}.flac")
        add(f"BS.2217 {name}", "I", expected, (-0.1, 0.1),
            measure_array(make(), sig.SR).loudness.integrated,
            None if x is None else measure_array(x, sig.SR).loudness.integrated)
    return rows, passed, total


def render_songs() -> list[tuple[str, Path]]:
    OUT.mkdir(parents=True, exist_ok=True)
    songs = []
    for i, (name, options) in enumerate(SONGS):
        path = OUT / f"loudness-demo-{i + 1}.wav"
        if not path.exists():
            done = subprocess.run([*COACH, "render", "--demo", *options, "-o", str(path)],
                                  capture_output=True, text=True, cwd=REPO)
            if done.returncode != 0:
                print(f"render failed for {name}: {done.stderr.strip()}", file=sys.stderr)
                continue
        songs.append((name, path))
    return songs


def ffmpeg_reading(path: Path) -> tuple[float, float]:
    meta = OUT / "ffmpeg-meta.txt"
    subprocess.run(["ffmpeg", "-nostats", "-hide_banner", "-i", str(path), "-af",
                    f"ebur128=peak=true:metadata=1:framelog=verbose,"
                    f"ametadata=mode=print:file={meta}", "-f", "null", "-"],
                   capture_output=True, check=True)
    text = meta.read_text()
    integrated = float(re.findall(r"lavfi\.r128\.I=(-?[\d.]+)", text)[-1])
    peak = float(re.findall(r"lavfi\.r128\.true_peak=([\d.]+)", text)[-1])
    return integrated, db(peak)


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) for one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   cwd=REPO)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "loudness")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    lines = ["# Loudness meter: measured figures", ""]
    cpu = os.cpu_count()
    lines.append(f"Machine: {cpu} cores, Python {sys.version.split()[0]}; "
                 f"ffmpeg {'found' if shutil.which('ffmpeg') else 'not found'}.")
    lines += ["", "## EBU Tech 3341 / 3342, ITU-R BS.2217", ""]
    rows, passed, total = compliance(args.data)
    lines += rows
    lines += ["", f"{passed} of {total} checks pass. Synthesized = made from the definitions "
              "(tests/test_loudness_signals.py); official file = the EBU/ITU FLAC in "
              f"{args.data} when present. Tech 3342 cases 5-6 are programme material that "
              "is not in the shared data, so they are not measured.", ""]
    if not shutil.which("ffmpeg"):
        lines.append("ffmpeg is not installed: no comparison.")
    else:
        songs = render_songs()
        lines += ["## Against ffmpeg `ebur128=peak=true` on rendered songs", "",
                  "| song | length | coach I (LUFS) | ffmpeg I | diff (LU) | coach TP (dBTP) "
                  "| ffmpeg TP | diff (dB) |", "|---|---|---|---|---|---|---|---|"]
        for name, path in songs:
            _, m = measure_file(path)
            fi, ftp = ffmpeg_reading(path)
            ci, ctp = m.loudness.integrated or -math.inf, db(m.true_peak)
            lines.append(f"| {name} | {m.duration_s:.0f} s | {ci:.2f} | {fi:.2f} | "
                         f"{ci - fi:+.2f} | {ctp:.2f} | {ftp:.2f} | {ctp - ftp:+.2f} |")
        lines += ["", "## `coach master SONG -o MASTER --target spotify` (then both meters)", "",
                  "| song | before I | master I (coach) | master I (ffmpeg) | master TP (coach) "
                  "| master TP (ffmpeg) | time (s) |", "|---|---|---|---|---|---|---|"]
        for name, path in songs:
            # the renders come out near -15 LUFS: start from a quieter, unmastered mix
            x, sr = sf.read(str(path), dtype="float64")
            quiet = OUT / f"{path.stem}-quiet.wav"
            sf.write(str(quiet), x * 10 ** (-8 / 20), sr, subtype="PCM_24")
            master = OUT / f"{path.stem}-master.wav"
            start = time.perf_counter()
            done = subprocess.run([*COACH, "master", str(quiet), "-o", str(master), "--target",
                                   "spotify", "--genre", "pop", "--json"],
                                  capture_output=True, text=True, cwd=REPO)
            took = time.perf_counter() - start
            if done.returncode != 0:
                lines.append(f"| {name} | master failed: {done.stderr.strip()} |||||")
                continue
            report = json.loads(done.stdout)
            _, m = measure_file(master)
            fi, ftp = ffmpeg_reading(master)
            lines.append(f"| {name} | {report['before']['integrated_lufs']:.2f} | "
                         f"{m.loudness.integrated:.2f} | {fi:.2f} | {db(m.true_peak):.2f} | "
                         f"{ftp:.2f} | {took:.1f} |")
        if songs:
            name, path = songs[0]
            info = sf.info(str(path))
            lines += ["", f"## Whole-process time on `{path.name}` ({info.duration:.0f} s, "
                      f"{info.samplerate} Hz, {info.channels} ch), {args.runs} interleaved runs",
                      "", "| command | median wall (s) | best wall (s) | median CPU (s) |",
                      "|---|---|---|---|"]
            ffmpeg = ["ffmpeg", "-nostats", "-hide_banner", "-i", str(path), "-af",
                      "ebur128=peak=true:framelog=verbose", "-f", "null", "-"]
            coach = [*COACH, "analyze", str(path), "--json"]
            timed(coach)  # warm the page cache and the .pyc files
            timed(ffmpeg)
            samples: dict[str, list[tuple[float, float]]] = {"ffmpeg": [], "coach": []}
            for _ in range(args.runs):
                samples["ffmpeg"].append(timed(ffmpeg))
                samples["coach"].append(timed(coach))
            for label, cmd in (("ffmpeg ebur128=peak=true", "ffmpeg"),
                               ("coach analyze --json", "coach")):
                walls = [w for w, _ in samples[cmd]]
                cpus = [c for _, c in samples[cmd]]
                lines.append(f"| {label} | {statistics.median(walls):.2f} | {min(walls):.2f} | "
                             f"{statistics.median(cpus):.2f} |")
            ratio = statistics.median(
                c[0] / f[0] for c, f in zip(samples["coach"], samples["ffmpeg"], strict=True))
            lines += ["", f"coach / ffmpeg wall time, median of the paired runs: {ratio:.2f}"]
            result = json.loads(subprocess.run(coach, capture_output=True, text=True,
                                               cwd=REPO).stdout)
            lines.append(f"(coach read {result['integrated_lufs']} LUFS, "
                         f"{result['true_peak_dbtp']} dBTP on that file.)")
    lines += ["", "## How", "",
              "- K-weighting: the two BS.1770 biquads (derived for any rate, equal to the "
              "published 48 kHz ones), run exactly as a blocked state-space filter: one BLAS "
              "product per block of samples plus a prefix scan for the state; numpy only "
              "(scipy's import alone costs ~0.5 s).",
              "- Gating on 10 ms sub-blocks: momentary and short-term windows slide by 10 ms, "
              "400 ms gating blocks by 100 ms; LRA per Tech 3342 (10th-95th percentile).",
              "- True peak: 8x oversampling below 88.2 kHz with a Kaiser-windowed sinc (16 taps "
              "per phase), computed only where a cheap exact bound says the peak can be; the "
              "Recommendation's 48-tap example filter reads case 17 0.3 dB low.",
              "- The file is streamed in ~3 s chunks through reused buffers: fresh memory costs "
              "~1.5 ms/MB here. The knowledge base loads on a thread meanwhile."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        args.write.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
