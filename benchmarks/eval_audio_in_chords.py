"""Chords, key, beats and sections from audio, measured on POP909 renders (issue 14, parts 2-3).

    .venv/bin/python benchmarks/eval_audio_in_chords.py [--songs 50] [--sections 20] [--timing]

Data: ../shared/data/pop909_all (MIT; Wang et al., ISMIR 2020). Each song's accompaniment
(PIANO + BRIDGE tracks, no melody) is rendered through FluidSynth (TimGM6mb), alternately with
a piano and a steel-string acoustic guitar sound, full length (benchmarks/pop909_audio.py),
from the songs with one key and one tempo, in id order. Scores (mir_eval):

- chords: `majmin` weighted accuracy against chord_midi.txt (7ths count as their triad;
  sus, dim and aug chords are left out of the score, as mir_eval's majmin does);
- key: MIREX weighted score against key_audio.txt (1 exact, 0.5 fifth, 0.3 relative, 0.2 parallel);
- beats: F-measure (70 ms window) against beat_midi.txt; also the F-measure at the best of
  the annotated, double and half tempo levels, since the annotation's level is a convention;
- sections: songs assembled from three 8-bar sections (A, B, C) cut from one POP909 song
  (melody included; same key, tempo and sound; different chords) in pop forms (A B A B C B,
  ...), so the boundaries are known; hit rate (recall), precision and F at +-3 s.
  `--sections-intro 2` puts A's first 2 bars in front, so the sections no longer start on a
  4-bar grid counted from bar 1 (a check that the phrase prior is not fitted to the build).

The first 50 songs were used to set the constants (tempo prior, HMM, key weights); songs
51-100 are held out, and the report gives the two apart.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pop909_audio as p909  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TUNING_SONGS = 50


def chord_accuracy(chart, song) -> float:  # type: ignore[no-untyped-def]
    import mir_eval

    from assistant.audio_in.keys import MAJOR_TONICS

    ref_iv = np.array([[a, b] for a, b, _ in song.chords])
    ref_lab = [c for _, _, c in song.chords]
    est_iv = np.array([[c.start_s, c.end_s] for c in chart.chords])
    est_lab = ["N" if c.symbol == "N" else f"{MAJOR_TONICS[c.root]}:{c.quality}" for c in chart.chords]
    est_iv, est_lab = mir_eval.util.adjust_intervals(est_iv, est_lab, ref_iv.min(), ref_iv.max(),
                                                     mir_eval.chord.NO_CHORD, mir_eval.chord.NO_CHORD)
    iv, ref, est = mir_eval.util.merge_labeled_intervals(ref_iv, ref_lab, est_iv, est_lab)
    return float(mir_eval.chord.weighted_accuracy(mir_eval.chord.majmin(ref, est),
                                                  mir_eval.util.intervals_to_durations(iv)))


def beat_scores(est: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    """(strict F, best F over the annotated, double and half levels)."""
    import mir_eval

    ref = mir_eval.beat.trim_beats(ref)
    est = mir_eval.beat.trim_beats(est)
    strict = mir_eval.beat.f_measure(ref, est)
    double = np.sort(np.concatenate([ref, (ref[:-1] + ref[1:]) / 2]))
    levels = [strict, mir_eval.beat.f_measure(double, est)]
    levels += [mir_eval.beat.f_measure(ref[k::2], est) for k in (0, 1)]
    return float(strict), float(max(levels))


def key_score(chart, song) -> float:  # type: ignore[no-untyped-def]
    import mir_eval

    ref = song.keys[0][2].replace(":", " ").replace("maj", "major").replace("min", "minor")
    return float(mir_eval.key.weighted_score(ref, chart.key))


def eval_songs(count: int) -> list[dict]:
    from assistant.audio_in.chords import chord_chart

    rows = []
    for i, song_id in enumerate(p909.eligible_songs(count)):
        song = p909.read_song(song_id)
        sound = "piano" if i % 2 == 0 else "guitar"
        path = p909.cached_render(song, sound)
        start = time.perf_counter()
        chart = chord_chart(path)
        seconds = time.perf_counter() - start
        strict, best = beat_scores(np.array(chart.beats_s), song.beats)
        row = {"id": song_id, "sound": sound, "tuning": i < TUNING_SONGS,
               "chords": chord_accuracy(chart, song), "key": key_score(chart, song),
               "key_found": chart.key, "key_true": song.keys[0][2], "beat_f": strict,
               "beat_f_any_level": best, "tempo": chart.tempo_bpm,
               "tempo_true": 60 / float(np.median(np.diff(song.beats))), "seconds": seconds,
               "duration_s": chart.duration_s}
        rows.append(row)
        print(f"{song_id} {sound:6} chords {row['chords']:.3f} key {row['key']:.1f} "
              f"({row['key_true']} / {chart.key}) beatF {strict:.2f} (any level {best:.2f}) "
              f"tempo {chart.tempo_bpm:.0f}/{row['tempo_true']:.0f} {seconds:.1f}s", flush=True)
    return rows


def with_intro(notes: list, bounds: list[float], seconds: float) -> tuple[list, list[float]]:
    """The song with its first `seconds` (the start of section A) played once more in front
    as an intro: the sections then no longer start on a phrase grid counted from bar 1."""
    intro = [(s, min(e, seconds), p, v) for s, e, p, v in notes if s < seconds]
    moved = [(s + seconds, e + seconds, p, v) for s, e, p, v in notes]
    return intro + moved, [0.0] + [b + seconds for b in bounds]


def eval_sections(count: int, skip: int = 0, intro_bars: int = 0) -> list[dict]:
    import mir_eval
    import soundfile as sf

    from assistant.audio_in.reference import analyse

    rows = []
    ids = p909.eligible_songs(skip + count + 10)[skip:]
    for i, song_id in enumerate(ids, start=skip):
        if len(rows) >= count:
            break
        song = p909.read_song(song_id)
        form = p909.FORMS[i % len(p909.FORMS)]
        sound = "piano" if i % 2 == 0 else "guitar"
        try:
            notes, bounds, labels = p909.assemble_sections(song, form, sound=sound)
        except ValueError:
            continue
        if intro_bars:
            bar_s = float(np.median(np.diff(song.downbeats)))
            notes, bounds = with_intro(notes, bounds, intro_bars * bar_s)
        extra = f"intro{intro_bars}-" if intro_bars else ""
        path = p909.CACHE / f"sections-{extra}{song_id}-{form}-{sound}.wav"
        if not path.exists():
            audio = p909.render_notes(notes, p909.PROGRAMS[sound])
            sf.write(str(path), audio, p909.RATE, subtype="PCM_16")
        result = analyse(path)
        est = [s.start_s for s in result.spans] + [result.spans[-1].end_s]
        ref_iv = np.array(list(zip(bounds[:-1], bounds[1:], strict=True)))
        est_iv = np.array(list(zip(est[:-1], est[1:], strict=True)))
        est_iv[-1, 1] = ref_iv[-1, 1] = max(ref_iv[-1, 1], est_iv[-1, 1])
        precision, recall, f = mir_eval.segment.detection(ref_iv, est_iv, window=3.0, trim=True)
        found = "".join(s.label for s in result.spans)
        row = {"id": song_id, "form": form, "found": found, "hit_rate": float(recall),
               "precision": float(precision), "f": float(f),
               "names": [s.name for s in result.spans]}
        rows.append(row)
        print(f"sections {song_id} {form:7} found {found:8} hit {recall:.2f} precision "
              f"{precision:.2f} ({' '.join(row['names'])})", flush=True)
    return rows


def timing(path: Path) -> dict[str, float]:
    """Whole-process wall time of `coach chords` and `coach analyze --reference` on one file."""
    coach = str(ROOT / ".venv/bin/coach")
    out = {}
    for name, cmd in (("chords", [coach, "chords", str(path), "--json"]),
                      ("analyze_reference", [coach, "analyze", str(path), "--reference", "--json"])):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        out[name] = time.perf_counter() - start
    return out


def summary(rows: list[dict], key: str) -> str:
    def mean(sel: list[dict]) -> str:
        return f"{np.mean([r[key] for r in sel]):.3f}" if sel else "n/a"

    tune = [r for r in rows if r.get("tuning")]
    rest = [r for r in rows if not r.get("tuning")]
    return f"{mean(rows)} (tuning songs {mean(tune)}, held-out {mean(rest)})"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--songs", type=int, default=100)
    parser.add_argument("--sections", type=int, default=20)
    parser.add_argument("--sections-skip", type=int, default=0, metavar="N",
                        help="assemble the sections songs from the eligible songs after the first N")
    parser.add_argument("--sections-intro", type=int, default=0, metavar="BARS",
                        help="put the first BARS bars of section A in front as an intro (phrase-grid check)")
    parser.add_argument("--timing", action="store_true", help="also time whole coach processes")
    parser.add_argument("--json", metavar="FILE", help="write the rows here")
    args = parser.parse_args([] if argv is None else argv)  # main() from another script: defaults
    result: dict = {}
    if args.songs:
        rows = eval_songs(args.songs)
        result["songs"] = rows
        print(f"\n{len(rows)} songs, full length, accompaniment rendered with piano/guitar")
        for key in ("chords", "key", "beat_f", "beat_f_any_level"):
            print(f"  {key:17} {summary(rows, key)}")
        print(f"  analysis time in-process: median {np.median([r['seconds'] for r in rows]):.1f} s "
              f"for a median {np.median([r['duration_s'] for r in rows]):.0f} s song")
    if args.sections:
        srows = eval_sections(args.sections, args.sections_skip, args.sections_intro)
        result["sections"] = srows
        print(f"\n{len(srows)} assembled songs: hit rate "
              f"{np.mean([r['hit_rate'] for r in srows]):.3f}, precision "
              f"{np.mean([r['precision'] for r in srows]):.3f}, F "
              f"{np.mean([r['f'] for r in srows]):.3f}; letters right "
              f"{np.mean([r['found'] == r['form'] for r in srows]):.2f}")
    if args.timing:
        song = p909.read_song(p909.eligible_songs(1)[0])
        result["timing"] = timing(p909.cached_render(song, "piano"))
        print(f"\nwhole process: {result['timing']}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
