"""Strummed or played chords -> a chord chart: chords per beat and bar, key, tempo, downbeats.

Each beat's harmonic chroma (treble and bass, see features.py) is scored against 24 triad
templates (12 major, 12 minor) and a no-chord state: the cosine of the treble chroma with
the triad, plus how much of the bass sits on the chord's root (the bass tells C/E-G from
E minor). Scores become probabilities by a softmax, and a hidden Markov model whose states
prefer to stay put (a chord usually lasts a few beats) is decoded with Viterbi, which keeps
a passing note from flipping the chord for one beat (Cho & Bello 2014 found this smoothing
the biggest single gain in template chord recognition). Then the key (keys.py) names the
chords as numerals. Measured on POP909 renders in benchmarks/eval_audio_in_chords.py.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.audio_in import beats as beats_mod
from assistant.audio_in import keys
from assistant.audio_in.features import Features, beat_sync, compute, load_clip
from assistant.audio_in.load import Clip
from assistant.errors import BadInput
from assistant.song import Key

if TYPE_CHECKING:
    from assistant.song import Song

QUALITIES = ("maj", "min")
INTERVALS = {"maj": (0, 4, 7), "min": (0, 3, 7)}
BASS_WEIGHT = 0.4
NO_CHORD_SCORE = 0.45  # a beat scoring below this against every triad is "N"
TEMPERATURE = 0.04
STAY = 0.92  # probability of keeping the chord from one half beat to the next
NUMERALS = ("I", "bII", "II", "bIII", "III", "IV", "#IV", "V", "bVI", "VI", "bVII", "VII")
MIN_CONFIDENCE = 0.25  # below this mean confidence the take has no clear chords
MIN_HELD = 0.4  # ...and when chords sound for less than this share of it


@dataclass
class ChordSpan:
    start_s: float
    end_s: float
    symbol: str  # "Am", "F#", "N" (no chord)
    numeral: str  # "vi", "bVII", "" for N
    confidence: float
    root: int = -1  # pitch class, -1 for N
    quality: str = ""  # "maj" | "min" | ""

    def to_json(self) -> dict[str, Any]:
        return {"start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "symbol": self.symbol, "numeral": self.numeral,
                "confidence": round(self.confidence, 2)}


@dataclass
class ChordChart:
    key: str  # "E minor"
    tempo_bpm: float
    downbeats_s: list[float]
    chords: list[ChordSpan]
    key_confidence: float = 0.0
    beats_s: list[float] = field(default_factory=list)
    duration_s: float = 0.0
    path: str = ""
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "tempo_bpm": round(self.tempo_bpm, 1),
            "downbeats_s": [round(t, 3) for t in self.downbeats_s],
            "chords": [c.to_json() for c in self.chords],
            "key_confidence": round(self.key_confidence, 2),
            "bars": self.bar_symbols(),
        }

    def as_key(self) -> Key:
        tonic, mode = self.key.split()
        return Key(tonic=tonic, mode=mode)  # type: ignore[arg-type]

    def bar_spans(self) -> list[tuple[float, float]]:
        """(start, end) of each bar from the downbeats (the last bar as long as the one before)."""
        down = list(self.downbeats_s)
        if len(down) < 2:
            return []
        bar = down[-1] - down[-2]
        ends = down[1:] + [min(down[-1] + bar, max(self.duration_s, down[-1] + 0.01))]
        return list(zip(down, ends, strict=True))

    def _per_bar(self, attr: str) -> list[str]:
        out = []
        for start, end in self.bar_spans():
            held: dict[str, float] = {}
            for c in self.chords:
                overlap = min(end, c.end_s) - max(start, c.start_s)
                if overlap > 0:
                    name = getattr(c, attr) or "N"
                    held[name] = held.get(name, 0.0) + overlap
            out.append(max(held, key=lambda k: held[k]) if held else "N")
        return out

    def bar_symbols(self) -> list[str]:
        """The chord holding most of each bar, as a symbol ("N" for none)."""
        return self._per_bar("symbol")

    def bar_numerals(self) -> list[str]:
        return self._per_bar("numeral")

    def progression(self) -> list[str]:
        """The song's loop as Roman numerals, one a bar, for `Song.progression`."""
        return find_loop([n for n in self.bar_numerals() if n != "N"],
                         tonic=self.key.endswith("minor") and "i" or "I")

    def loop_symbols(self) -> list[str]:
        return find_loop([s for s in self.bar_symbols() if s != "N"],
                         tonic=self.key.split()[0] + ("m" if self.key.endswith("minor") else ""))


def find_loop(bars: list[str], tonic: str = "", lengths: tuple[int, ...] = (4, 8)) -> list[str]:
    """The most repeated run of 4 (or 8) bars; among equals, one starting on the tonic.

    An 8-bar loop is chosen over the 4-bar one only when it repeats nearly as often and its
    halves differ (otherwise it is the 4-bar loop twice).
    """
    if len(bars) < 2:
        return list(bars)
    best: dict[int, tuple[int, tuple[str, ...]]] = {}
    for length in lengths:
        if len(bars) < length:
            continue
        windows = Counter(tuple(bars[i:i + length]) for i in range(len(bars) - length + 1))
        top = max(windows.values())
        tied = [w for w, n in windows.items() if n == top]
        pick = next((w for w in tied if w[0] == tonic), tied[0])
        best[length] = (top, pick)
    if not best:
        return list(bars)
    four = best.get(4)
    eight = best.get(8)
    if eight and four and eight[0] >= 2 and eight[1][:4] != eight[1][4:] and eight[0] >= 0.6 * four[0]:
        return list(eight[1])
    return list((four or eight or (0, tuple(bars)))[1])


def _templates() -> np.ndarray:
    """(24, 12) unit triad templates: C..B major, then C..B minor."""
    rows = []
    for quality in QUALITIES:
        for root in range(12):
            t = np.zeros(12)
            t[[(root + i) % 12 for i in INTERVALS[quality]]] = 1.0
            rows.append(t / np.linalg.norm(t))
    return np.array(rows)


def beat_scores(treble: np.ndarray, bass: np.ndarray) -> np.ndarray:
    """(25, beats) match of each beat with each triad (rows 0-23) and no-chord (row 24)."""
    t = treble / (np.linalg.norm(treble, axis=0, keepdims=True) + 1e-9)
    b = bass / (bass.sum(axis=0, keepdims=True) + 1e-9)
    cos = _templates() @ t
    roots = np.tile(np.arange(12), 2)
    scores = cos + BASS_WEIGHT * b[roots]
    energy = treble.sum(axis=0)
    quiet = energy < 0.05 * (np.percentile(energy, 90) + 1e-9)
    no_chord = np.where(quiet, 2.0, NO_CHORD_SCORE + BASS_WEIGHT / 12)
    return np.vstack([scores, no_chord[None, :]])


def viterbi(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best state path through per-beat scores, and each beat's emission probability of it."""
    states, n = scores.shape
    log_emit = (scores - scores.max(axis=0, keepdims=True)) / TEMPERATURE
    log_emit = log_emit - np.log(np.exp(log_emit).sum(axis=0, keepdims=True))
    log_stay, log_move = np.log(STAY), np.log((1 - STAY) / (states - 1))
    trans = np.full((states, states), log_move)
    np.fill_diagonal(trans, log_stay)
    delta = log_emit[:, 0].copy()
    back = np.zeros((states, n), dtype=int)
    for i in range(1, n):
        cand = delta[:, None] + trans  # from (rows) -> to (columns)
        back[:, i] = np.argmax(cand, axis=0)
        delta = cand[back[:, i], np.arange(states)] + log_emit[:, i]
    path = np.zeros(n, dtype=int)
    path[-1] = int(np.argmax(delta))
    for i in range(n - 1, 0, -1):
        path[i - 1] = back[path[i], i]
    return path, np.exp(log_emit[path, np.arange(n)])


def symbol(root: int, quality: str, key: Key | None = None) -> str:
    from assistant.theory import note_name

    name = note_name(root, key) if key is not None else keys.MAJOR_TONICS[root]
    return name + ("m" if quality == "min" else "")


def numeral(root: int, quality: str, tonic_pc: int) -> str:
    text = NUMERALS[(root - tonic_pc) % 12]
    return text.lower() if quality == "min" else text


def analyse_features(f: Features, path: str = "", prior_bpm: float | None = None) -> ChordChart:
    """The chord chart of already computed features (reference.py shares them)."""
    b = beats_mod.track(f, prior_bpm)
    if len(b.beats_s) < 4:
        raise BadInput(f"{path or 'the take'}: I heard no steady beat or chords to follow")
    # Chords on half beats: a change between beats (or a beat tracked at half tempo) is kept.
    grid = np.concatenate([b.beats_s, (b.beats_s[:-1] + b.beats_s[1:]) / 2])
    frames = f.to_frames(np.sort(grid))
    edges = np.concatenate([[0], frames, [f.frames]])
    edges = np.unique(edges)
    treble = beat_sync(f.chroma, edges)
    bass = beat_sync(f.bass, edges)
    states, probs = viterbi(beat_scores(treble, bass))
    times = edges * f.hop / f.sr
    times[-1] = f.duration_s
    raw: list[tuple[float, float, int, float]] = []  # start, end, state, confidence
    for i, state in enumerate(states):
        start, end = float(times[i]), float(times[i + 1])
        if raw and raw[-1][2] == state:
            s0, _, st, conf = raw[-1]
            raw[-1] = (s0, end, st, conf + float(probs[i]) * (end - start))
        else:
            raw.append((start, end, int(state), float(probs[i]) * (end - start)))
    spans_pc = [(start, end, state, conf / max(end - start, 1e-9)) for start, end, state, conf in raw]
    chord_time = [(s % 12, QUALITIES[s // 12], end - start) for start, end, s, _ in spans_pc if s < 24]
    k = keys.estimate(keys.chord_profile(chord_time) if chord_time else f.chroma.sum(axis=1),
                      chord_time)
    key = k.as_key()
    spans = []
    for start, end, state, conf in spans_pc:
        if state == 24:
            spans.append(ChordSpan(start, end, "N", "", conf))
        else:
            root, quality = state % 12, QUALITIES[state // 12]
            spans.append(ChordSpan(start, end, symbol(root, quality, key),
                                   numeral(root, quality, k.tonic_pc), conf, root, quality))
    chord_spans = [s for s in spans if s.symbol != "N"]
    if not chord_spans:
        raise BadInput(f"{path or 'the take'}: I heard no clear chords")
    held = sum(s.end_s - s.start_s for s in chord_spans)
    mean_conf = sum(s.confidence * (s.end_s - s.start_s) for s in chord_spans) / (held or 1.0)
    if mean_conf < MIN_CONFIDENCE or held < MIN_HELD * f.duration_s:
        raise BadInput(f"{path or 'the take'}: I heard no clear chords (it sounds like noise "
                       "or percussion)")
    return ChordChart(key=k.name, tempo_bpm=b.tempo_bpm, downbeats_s=[float(t) for t in b.downbeats_s],
                      chords=spans, key_confidence=k.confidence,
                      beats_s=[float(t) for t in b.beats_s], duration_s=f.duration_s, path=path)


def chord_chart(path_or_clip: str | Path | Clip, song: Song | None = None) -> ChordChart:
    """The chord chart of a recording (a path or a loaded Clip); `song` gives a tempo prior."""
    clip = load_clip(path_or_clip)
    f = compute(clip)
    prior = song.tempo if song is not None and song.tempo else None
    chart = analyse_features(f, clip.path, prior_bpm=prior)
    chart.notes = list(clip.notes)
    return chart
