"""Audio in, measured on real songs nobody here wrote (POP909's annotated melodies).

Melody: each song's MELODY track (an excerpt of --seconds from its first note) is sung by a
General MIDI voice (Choir Aahs / Voice Oohs alternating) with vibrato, a slow pitch drift,
timing jitter (σ 15 ms), a room and pinkish noise at 20-30 dB SNR (`audio_voice.sing`);
`coach transcribe`'s engine hears it. Scored against the notes *as performed* (after the
jitter) with mir_eval: note F-measure (onset ±50 ms, pitch ±50 cents, offsets ignored) and
raw pitch accuracy of the pitch track (±50 cents over the frames where a note sounds).

Takes: for each song, four takes of an excerpt are sung with known errors: each gets one of
the per-note detuning levels σ 0, 15, 30, 45 cents and one of the timing levels σ 0, 30, 60,
90 ms (shuffled, no other jitter). The ranking `coach takes` gives (against the melody) is
scored two ways: *dominated pairs* — one take is at least as far off in pitch and in timing
as the other, and further in one: a single right answer — and, for every pair, a convention
that a take's error is its detuning step plus its timing step (σ 15 cents ≈ σ 30 ms; pairs
with equal sums skipped), where a pair better in one dimension and worse in the other is
ordered by that convention.

Also runs benchmarks/eval_audio_in_chords.py's main() when it exists (chords, key, beats,
sections: the other half of issue 14).

    nice -n 10 .venv/bin/python benchmarks/eval_audio_in.py --songs 50 --seconds 60
    ... --save-dir /tmp/melodies   # also writes the WAVs and reference notes for
                                   # benchmarks/eval_basic_pitch.py (basic-pitch's own venv)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DATA = REPO.parent / "shared" / "data" / "pop909_all"
SR_RENDER = 22050


def melody_notes(song_id: str, data: Path = DATA) -> list[tuple[float, float, int]]:
    """(onset s, duration s, MIDI pitch) of the song's MELODY track, tempo map applied."""
    import mido

    midi = mido.MidiFile(str(data / song_id / f"{song_id}.mid"))
    tempo_changes = []  # (tick, tempo) from every track
    for track in midi.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempo_changes.append((tick, msg.tempo))
    tempo_changes.sort()

    def seconds(tick: int) -> float:
        out, last_tick, tempo = 0.0, 0, 500000
        for at, value in tempo_changes:
            if at >= tick:
                break
            out += (at - last_tick) * tempo / midi.ticks_per_beat / 1e6
            last_tick, tempo = at, value
        return out + (tick - last_tick) * tempo / midi.ticks_per_beat / 1e6

    track = next(t for t in midi.tracks if t.name.strip().upper() == "MELODY")
    tick, sounding, notes = 0, {}, []
    for msg in track:
        tick += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            sounding[msg.note] = tick
        elif msg.type in ("note_off", "note_on") and msg.note in sounding:
            start = sounding.pop(msg.note)
            notes.append((seconds(start), seconds(tick) - seconds(start), msg.note))
    notes.sort()
    return notes


def excerpt(notes: list[tuple[float, float, int]], seconds: float) -> list[tuple[float, float, int]]:
    if not notes:
        return []
    begin = max(0.0, notes[0][0] - 0.5)
    return [(on - begin, dur, p) for on, dur, p in notes if on - begin < seconds
            and on - begin + dur <= seconds + 2]


def song_ids(count: int) -> list[str]:
    """`count` songs spread evenly over POP909's 909."""
    step = 909 / count
    return [f"{int(i * step) + 1:03d}" for i in range(count)]


def _hz(pitch: np.ndarray) -> np.ndarray:
    return 440.0 * 2 ** ((np.asarray(pitch, float) - 69) / 12)


def score_notes(ref, est) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """mir_eval note scores; ref/est are (onset, duration, pitch-in-semitones) lists."""
    import mir_eval

    def arrays(notes):  # type: ignore[no-untyped-def]
        if not notes:
            return np.zeros((0, 2)), np.zeros(0)
        iv = np.array([[on, on + max(dur, 0.01)] for on, dur, _ in notes])
        return iv, _hz(np.array([p for _, _, p in notes]))

    ri, rp = arrays(ref)
    ei, ep = arrays(est)
    p, r, f, _ = mir_eval.transcription.precision_recall_f1_overlap(
        ri, rp, ei, ep, onset_tolerance=0.05, pitch_tolerance=50.0, offset_ratio=None)
    return {"precision": p, "recall": r, "f": f}


def raw_pitch(ref, track) -> float:  # type: ignore[no-untyped-def]
    """mir_eval raw pitch accuracy of the pitch track over the frames where a note sounds."""
    import mir_eval

    times = track.times
    ref_f = np.zeros(len(times))
    for on, dur, p in ref:
        ref_f[(times >= on) & (times < on + dur)] = _hz(p)
    est_f = np.where(np.isfinite(track.f0), track.f0, 0.0)
    rv, rc, ev, ec = mir_eval.melody.to_cent_voicing(times, ref_f, times, est_f)
    return float(mir_eval.melody.raw_pitch_accuracy(rv, rc, ev, ec))


def eval_melody(ids: list[str], seconds: float, save: Path | None) -> dict:  # type: ignore[type-arg]
    from assistant.audio_in import pitch
    from assistant.audio_in.load import from_array
    from assistant.audio_in.transcribe import transcribe_clip
    from assistant.errors import CoachError
    from benchmarks.audio_voice import CHOIR_AAHS, VOICE_OOHS, sing, write_wav

    rows = []
    for n, song_id in enumerate(ids):
        notes = excerpt(melody_notes(song_id), seconds)
        rng = np.random.default_rng(int(song_id))
        snr = float(rng.uniform(20, 30))
        program = CHOIR_AAHS if n % 2 == 0 else VOICE_OOHS
        audio, performed = sing(notes, sr=SR_RENDER, program=program, snr_db=snr,
                                seed=int(song_id))
        ref = [(s.onset_s, s.duration_s, s.pitch + s.cents / 100) for s in performed]
        if save is not None:
            save.mkdir(parents=True, exist_ok=True)
            write_wav(save / f"{song_id}.wav", audio, SR_RENDER)
            (save / f"{song_id}.json").write_text(json.dumps(ref))
        clip = from_array(audio, SR_RENDER, pitch.SR)
        t0 = time.perf_counter()
        try:
            result = transcribe_clip(clip)
            est = [(x.onset_s, x.duration_s, x.pitch + result.tuning_cents / 100)
                   for x in result.notes]
            track = result.track
        except CoachError:
            est, track = [], pitch.track(clip.samples)
        took = time.perf_counter() - t0
        scores = score_notes(ref, est)
        rpa = raw_pitch(ref, track)
        rows.append({"id": song_id, "notes": len(ref), "heard": len(est), "snr_db": round(snr, 1),
                     "program": program, **{k: round(v, 4) for k, v in scores.items()},
                     "raw_pitch": round(rpa, 4), "seconds": round(took, 2),
                     "audio_s": round(len(audio) / SR_RENDER, 1)})
        print(f"{song_id}: F {scores['f']:.3f} P {scores['precision']:.3f} "
              f"R {scores['recall']:.3f} RPA {rpa:.3f} ({len(ref)} notes, heard {len(est)}, "
              f"SNR {snr:.0f} dB, {took:.1f} s)", flush=True)
    return {"songs": len(rows), "excerpt_s": seconds,
            "note_f": float(np.mean([r["f"] for r in rows])),
            "note_precision": float(np.mean([r["precision"] for r in rows])),
            "note_recall": float(np.mean([r["recall"] for r in rows])),
            "raw_pitch_accuracy": float(np.mean([r["raw_pitch"] for r in rows])),
            "seconds_per_minute_of_audio": float(sum(r["seconds"] for r in rows)
                                                 / sum(r["audio_s"] for r in rows) * 60),
            "rows": rows}


TAKE_DETUNE = (0.0, 15.0, 30.0, 45.0)
TAKE_TIMING = (0.0, 30.0, 60.0, 90.0)


def eval_takes(ids: list[str], seconds: float) -> dict:  # type: ignore[type-arg]
    """Takes with known errors, ranked by `takes.rank_clips` against the true melody."""
    from assistant.audio_in import pitch
    from assistant.audio_in.load import from_array
    from assistant.audio_in.takes import rank_clips
    from benchmarks.audio_voice import sing

    pairs_right = pairs = 0
    dom_right = dom_pairs = 0
    top_right = songs = 0
    for song_id in ids:
        notes = excerpt(melody_notes(song_id), seconds)
        if len(notes) < 8:
            continue
        rng = np.random.default_rng(1000 + int(song_id))
        tempo = 90.0
        levels = list(zip(rng.permutation(4).tolist(), rng.permutation(4).tolist(), strict=True))
        clips = []
        for k, (i, j) in enumerate(levels):
            n = len(notes)
            detune, timing = TAKE_DETUNE[i], TAKE_TIMING[j]
            cents = rng.normal(0, detune, n) if detune else np.zeros(n)
            shifts = rng.normal(0, timing, n) if timing else np.zeros(n)
            audio, _ = sing(notes, sr=SR_RENDER, detune_cents=cents.tolist(),
                            timing_ms=shifts.tolist(), jitter_ms=0.0, drift_cents=0.0,
                            snr_db=float(rng.uniform(25, 35)), seed=int(song_id) * 10 + k)
            clip = from_array(audio, SR_RENDER, pitch.SR)
            clip.path = f"take{k + 1}.wav"
            clips.append(clip)
        ranking = rank_clips(clips, reference=notes, tempo=tempo)
        order = [int(r.file[4:-4]) - 1 for r in ranking]
        songs += 1
        # the true error of a take: its detuning step plus its timing step (15 cents of
        # detuning weigh as much as 30 ms of timing); pairs with equal error are not scored
        truth = [i + j for i, j in levels]
        position = {k: p for p, k in enumerate(order)}
        for a in range(4):
            for b in range(a + 1, 4):
                (ia, ja), (ib, jb) = levels[a], levels[b]
                if (ia <= ib and ja <= jb) or (ib <= ia and jb <= ja):
                    # one take is worse in pitch and timing alike: one right answer
                    dom_pairs += 1
                    a_better = ia + ja < ib + jb
                    dom_right += (position[a] < position[b]) == a_better
                if truth[a] == truth[b]:
                    continue
                pairs += 1
                pairs_right += (position[a] < position[b]) == (truth[a] < truth[b])
        top_right += truth[order[0]] == min(truth)
        shown = [(TAKE_DETUNE[levels[k][0]], TAKE_TIMING[levels[k][1]],
                  round(ranking[p].score, 1)) for p, k in enumerate(order)]
        print(f"{song_id}: ranked (σ cents, σ ms, score) {shown}; so far: dominated pairs "
              f"{dom_right}/{dom_pairs}, step-sum pairs {pairs_right}/{pairs}", flush=True)
    return {"songs": songs, "pairs": pairs, "pairs_right": pairs_right,
            "pair_accuracy": pairs_right / pairs if pairs else 0.0,
            "dominated_pairs": dom_pairs, "dominated_right": dom_right,
            "dominated_accuracy": dom_right / dom_pairs if dom_pairs else 0.0,
            "best_take_first": top_right / songs if songs else 0.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--songs", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--take-songs", type=int, default=30)
    parser.add_argument("--take-seconds", type=float, default=20.0)
    parser.add_argument("--only", choices=("melody", "takes", "chords"), default=None)
    parser.add_argument("--save-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)
    out: dict = {}  # type: ignore[type-arg]
    if args.only in (None, "melody"):
        out["melody"] = eval_melody(song_ids(args.songs), args.seconds, args.save_dir)
        m = out["melody"]
        print(f"MELODY {m['songs']} songs × {m['excerpt_s']:g} s: note F {m['note_f']:.3f} "
              f"(P {m['note_precision']:.3f} R {m['note_recall']:.3f}), raw pitch "
              f"{m['raw_pitch_accuracy']:.3f}, {m['seconds_per_minute_of_audio']:.2f} s per "
              "minute of audio")
    if args.only in (None, "takes"):
        ids = song_ids(args.take_songs)
        out["takes"] = eval_takes([f"{int(i) + 3:03d}" for i in ids], args.take_seconds)
        t = out["takes"]
        print(f"TAKES {t['songs']} songs: dominated pairs ranked right "
              f"{t['dominated_accuracy']:.3f} ({t['dominated_right']}/{t['dominated_pairs']}); "
              f"all pairs by the step-sum convention {t['pair_accuracy']:.3f} "
              f"({t['pairs_right']}/{t['pairs']}); best take first {t['best_take_first']:.3f}")
    chords = Path(__file__).with_name("eval_audio_in_chords.py")
    if args.only in (None, "chords") and chords.exists():
        from importlib import import_module

        module = import_module("benchmarks.eval_audio_in_chords")
        module.main([])
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
