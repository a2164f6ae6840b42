"""Spotify's basic-pitch on the same sung melodies as eval_audio_in.py, for the comparison
in RESULTS-audio-in.md. basic-pitch is not a dependency of the coach: run this in a venv of
its own (it pulls TensorFlow 2.15 on Python 3.11, ~2 GB):

    python3.11 -m venv /tmp/bp && /tmp/bp/bin/pip install basic-pitch onnxruntime
    .venv/bin/python benchmarks/eval_audio_in.py --only melody --save-dir /tmp/melodies
    /tmp/bp/bin/python benchmarks/eval_basic_pitch.py /tmp/melodies [--model onnx]

Scores with the same mir_eval settings (onset ±50 ms, pitch ±50 cents, no offsets); the
start-up time is the import plus the model load, measured in this process.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--model", choices=("default", "onnx", "tflite"), default="default")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    t0 = time.perf_counter()
    import mir_eval
    from basic_pitch import ICASSP_2022_MODEL_PATH
    from basic_pitch.inference import Model, predict

    path = ICASSP_2022_MODEL_PATH
    if args.model != "default":
        path = Path(ICASSP_2022_MODEL_PATH).parent / f"nmp.{args.model}"
    model = Model(path)
    startup = time.perf_counter() - t0
    rows = []
    wavs = sorted(args.folder.glob("*.wav"))
    if args.limit:
        wavs = wavs[: args.limit]
    for wav in wavs:
        ref = json.loads(wav.with_suffix(".json").read_text())
        t = time.perf_counter()
        _, _, events = predict(str(wav), model, minimum_note_length=58,
                               minimum_frequency=60, maximum_frequency=1100,
                               multiple_pitch_bends=False)
        took = time.perf_counter() - t
        est = sorted((float(s), float(e), int(p)) for s, e, p, *_ in events)
        ri = np.array([[on, on + max(d, 0.01)] for on, d, _ in ref])
        rp = 440.0 * 2 ** ((np.array([p for *_, p in ref]) - 69) / 12)
        ei = np.array([[s, max(e, s + 0.01)] for s, e, _ in est]).reshape(-1, 2)
        ep = 440.0 * 2 ** ((np.array([p for *_, p in est], dtype=float) - 69) / 12)
        p, r, f, _ = mir_eval.transcription.precision_recall_f1_overlap(
            ri, rp, ei, ep, onset_tolerance=0.05, pitch_tolerance=50.0, offset_ratio=None)
        rows.append({"id": wav.stem, "f": f, "precision": p, "recall": r, "seconds": took,
                     "notes": len(ref), "heard": len(est)})
        print(f"{wav.stem}: F {f:.3f} P {p:.3f} R {r:.3f} ({len(ref)} notes, heard {len(est)}, "
              f"{took:.1f} s)", flush=True)
    print(f"BASIC-PITCH ({args.model}) {len(rows)} songs: note F "
          f"{np.mean([x['f'] for x in rows]):.3f} (P {np.mean([x['precision'] for x in rows]):.3f}"
          f" R {np.mean([x['recall'] for x in rows]):.3f}), start-up {startup:.1f} s, "
          f"{np.mean([x['seconds'] for x in rows]):.2f} s per file")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
