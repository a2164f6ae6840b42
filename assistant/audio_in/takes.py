"""Takes of one part, compared: which to keep, and why.

Each take is transcribed (`transcribe.transcribe_clip`). With a melody to sing (the song's,
or a reference file's) the take's notes are lined up with it (the time offset that matches
the most onsets) and measured per note: cents off the melody's pitch (octave folded: a
man singing a soprano line an octave down is in tune) and milliseconds off its onset.
Without one, pitch is cents off the nearest semitone and timing is ms off the sixteenth grid
of the song's tempo (else the tempo the takes share). Missing notes, clipping and noise (the
recording stage's take check) cost points too. Score: 100 minus the penalties, below.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.audio_in import pitch as pitch_mod
from assistant.audio_in.load import Clip, load_mono
from assistant.audio_in.transcribe import HeardNote, Transcription, transcribe_clip
from assistant.errors import CoachError

# penalties: comparable errors cost the same (a detuning of σ 15 cents ≈ timing off by σ
# 30 ms). Measured on POP909 songs 012 and 120 (outside the evaluation): each such step moves
# the mean error by ~9.5 cents and ~15 ms (timing has a ~17 ms floor: onsets are heard to
# ±20 ms), so a cent costs 0.64 points and a millisecond 0.40.
PER_CENT = 0.64
PER_MS = 0.40
PER_MISSING = 40.0  # the whole melody missing costs 40 points
MATCH_S = 0.15  # a take's note within this of a melody note is that note
IN_TUNE_CENTS = 25.0

RefNote = tuple[float, float, float]  # onset s, duration s, pitch (MIDI, may be fractional)


@dataclass
class TakeScore:
    file: str
    score: float
    pitch_cents_mean_abs: float | None
    timing_ms_mean_abs: float | None
    why: str
    in_tune_share: float | None = None
    notes_heard: int = 0
    notes_matched: int = 0
    notes_expected: int | None = None
    level: list[str] = field(default_factory=list)
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "score": round(self.score, 1),
            "pitch_cents_mean_abs": _round(self.pitch_cents_mean_abs),
            "timing_ms_mean_abs": _round(self.timing_ms_mean_abs), "why": self.why,
            "in_tune_share": _round(self.in_tune_share, 3), "notes_heard": self.notes_heard,
            "notes_matched": self.notes_matched, "notes_expected": self.notes_expected,
            "level": self.level, "error": self.error or None,
        }


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def _raw_pitch(note: HeardNote, tuning_cents: float) -> float:
    """The note's sung pitch in semitones, the take's tuning offset put back (a take sung
    flat is measured flat)."""
    return note.pitch + (note.cents + tuning_cents) / 100.0


def _best_offset(onsets: np.ndarray, ref_onsets: np.ndarray) -> float:
    """The time shift of the take that lines the most onsets up with the melody's."""
    if len(onsets) == 0 or len(ref_onsets) == 0:
        return 0.0
    candidates = (onsets[:8, None] - ref_onsets[None, :8]).ravel()
    candidates = np.concatenate([[0.0], candidates])
    best, best_count, best_err = 0.0, -1, np.inf
    for shift in candidates:
        gaps = np.abs((onsets - shift)[:, None] - ref_onsets[None, :]).min(axis=1)
        count = int(np.sum(gaps < 0.08))
        err = float(np.sum(np.minimum(gaps, 0.08)))
        if count > best_count or (count == best_count and err < best_err):
            best, best_count, best_err = float(shift), count, err
    # refine: the median gap of the matched onsets
    gaps = (onsets - best)[:, None] - ref_onsets[None, :]
    nearest = gaps[np.arange(len(onsets)), np.abs(gaps).argmin(axis=1)]
    close = nearest[np.abs(nearest) < 0.08]
    return best + (float(np.median(close)) if len(close) else 0.0)


def measure_against(result: Transcription, reference: Sequence[RefNote]) -> dict[str, Any]:
    """Cents and ms off the melody, per matched note, and how much of it was sung."""
    notes = result.notes
    ref = np.array([[on, p] for on, _, p in reference], dtype=float)
    onsets = np.array([n.onset_s for n in notes])
    shift = _best_offset(onsets, ref[:, 0]) if len(ref) else 0.0
    cents: list[float] = []
    timing: list[float] = []
    used: set[int] = set()
    for note in notes:
        t = note.onset_s - shift
        gaps = np.abs(ref[:, 0] - t)
        order = np.argsort(gaps)
        for j in order[:3]:
            if gaps[j] > MATCH_S:
                break
            if int(j) in used:
                continue
            sung = _raw_pitch(note, result.tuning_cents)
            diff = sung - ref[j, 1]
            diff = (diff + 6.0) % 12.0 - 6.0  # fold octaves
            if abs(diff) > 1.5:
                continue  # another note sung here: a wrong note, counted as missing
            used.add(int(j))
            cents.append(100.0 * diff)
            timing.append(1000.0 * (t - ref[j, 0]))
            break
    return {"cents": cents, "timing_ms": timing, "matched": len(used), "expected": len(ref)}


def measure_alone(result: Transcription, tempo: float) -> dict[str, Any]:
    """Without a melody: cents off the nearest semitone, ms off a sixteenth grid."""
    cents = [100.0 * (_raw_pitch(n, result.tuning_cents) - round(_raw_pitch(
        n, result.tuning_cents))) for n in result.notes]
    step = 60.0 / tempo / 4
    onsets = np.array([n.onset_s for n in result.notes])
    # the grid's phase: the one that fits the onsets best
    phases = np.arange(0.0, step, 0.002)
    offs = (onsets[None, :] - phases[:, None]) / step
    cost = np.abs(offs - np.round(offs)).sum(axis=1)
    phase = float(phases[int(np.argmin(cost))]) if len(phases) else 0.0
    pos = (onsets - phase) / step
    timing = list(1000.0 * (pos - np.round(pos)) * step)
    return {"cents": cents, "timing_ms": timing, "matched": len(cents), "expected": None}


def score_take(name: str, measured: dict[str, Any], level: list[tuple[int, str]],
               heard: int) -> TakeScore:
    cents = np.abs(np.array(measured["cents"], dtype=float))
    timing = np.abs(np.array(measured["timing_ms"], dtype=float))
    expected = measured["expected"]
    c_mean = float(cents.mean()) if len(cents) else None
    t_mean = float(timing.mean()) if len(timing) else None
    in_tune = float(np.mean(cents <= IN_TUNE_CENTS)) if len(cents) else None
    score = 100.0
    score -= PER_CENT * (c_mean if c_mean is not None else 50.0)
    score -= PER_MS * (t_mean if t_mean is not None else 100.0)
    missing = 0.0
    if expected:
        missing = max(0.0, 1.0 - measured["matched"] / expected)
        score -= PER_MISSING * missing
    score -= sum(5.0 * severity for severity, _ in level if severity >= 2)
    parts = []
    if in_tune is not None:
        parts.append(f"{100 * in_tune:.0f} % of notes within {IN_TUNE_CENTS:.0f} cents")
    if t_mean is not None:
        parts.append(f"timing ±{t_mean:.0f} ms")
    if expected and missing > 0.1:
        parts.append(f"{measured['matched']} of {expected} melody notes sung")
    parts += [message for severity, message in level if severity >= 2][:2]
    return TakeScore(file=name, score=max(0.0, score), pitch_cents_mean_abs=c_mean,
                     timing_ms_mean_abs=t_mean, why=", ".join(parts), in_tune_share=in_tune,
                     notes_heard=heard, notes_matched=measured["matched"],
                     notes_expected=expected, level=[m for s, m in level if s >= 2])


def rank_clips(clips: Sequence[Clip], *, reference: Sequence[RefNote] | None = None,
               tempo: float | None = None, levels: dict[str, list[tuple[int, str]]] | None = None
               ) -> list[TakeScore]:
    """Clips (at `pitch.SR`) best first. A clip with no clear pitch ranks last, with why."""
    heard: list[tuple[Clip, Transcription | None, str]] = []
    for clip in clips:
        try:
            heard.append((clip, transcribe_clip(clip, tempo=tempo), ""))
        except CoachError as problem:
            heard.append((clip, None, str(problem)))
    if tempo is None:
        tempos = [r.tempo_bpm for _, r, _ in heard if r is not None]
        tempo = float(np.median(tempos)) if tempos else 100.0
    out: list[TakeScore] = []
    for clip, result, said in heard:
        name = clip.path or f"take {len(out) + 1}"
        level = (levels or {}).get(clip.path, [])
        if result is None:
            out.append(TakeScore(file=name, score=0.0, pitch_cents_mean_abs=None,
                                 timing_ms_mean_abs=None, why=said, error=said))
            continue
        measured = measure_against(result, reference) if reference else \
            measure_alone(result, tempo)
        out.append(score_take(name, measured, level, len(result.notes)))
    out.sort(key=lambda s: -s.score)
    return out


def level_check(path: str) -> list[tuple[int, str]]:
    """The recording stage's take check: (severity, message) of its advice."""
    from assistant.analysis.audio_report import analyze_audio

    try:
        result = analyze_audio(path, stage="recording")
    except CoachError:
        return []
    return [(int(a["severity"]), str(a["message"]).split(". ")[0].rstrip("."))
            for a in result["advice"]]


def melody_reference(song: Any) -> list[RefNote] | None:
    """The song's melody in seconds at its tempo, or None."""
    if song is None or song.melody is None or not song.melody.notes:
        return None
    beat = 60.0 / (song.tempo or 100.0)
    return [(n.start * beat, n.duration * beat, float(n.pitch)) for n in song.melody.notes]


def rank_files(paths: Sequence[str | Path], *, reference: Sequence[RefNote] | None = None,
               tempo: float | None = None, check_levels: bool = True) -> list[TakeScore]:
    """`coach takes`: files best first (a file that cannot be read is a one-line error)."""
    clips = [load_mono(p, pitch_mod.SR) for p in paths]
    for clip, p in zip(clips, paths, strict=True):
        clip.path = str(p)
    levels = {c.path: level_check(c.path) for c in clips} if check_levels else None
    return rank_clips(clips, reference=reference, tempo=tempo, levels=levels)
