"""A song's sections: boundaries where the music changes, letters by repetition, likely names.

Per bar (from the downbeats) the harmonic chroma, the bass, a coarse timbre (the semitone
spectrum in half-octave bands) and the level. Boundaries: Foote's novelty (2000) — a
checkerboard kernel slid along the diagonal of the bars' self-similarity matrix, computed
on the features of 2-bar windows so a one-bar fill does not count — and its peaks at least
MIN_SECTION_S apart, with a soft prior that sections start on 4-bar phrases counted from the
music's first bar or from the clearest change (benchmarks/RESULTS-audio-chords.md).
Letters: two sections sound alike when their bars match in order (mean cosine similarity of
the aligned bars' chroma); the first of each group gives the letter.
Names: the group that repeats most and is loudest is the chorus, the repeated group before
it the verse; a short unrepeated first section is the intro, a last one the outro, other
unrepeated ones bridges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.audio_in.features import Features, beat_sync

KERNEL_BARS = 4  # half-width of the checkerboard kernel
KERNEL_S = 8.0  # ... in seconds, whatever the tempo level the beat tracker chose
MIN_SECTION_S = 7.0  # shortest section
THRESHOLD_STD = 0.5  # a boundary stands this many deviations above the median novelty
SAME_THRESHOLD = 0.5  # aligned-bar similarity above which two sections share a letter
EDGE_BARS = 8  # an intro or outro longer than this is more likely a verse or a bridge
PHRASE_BARS = 4  # sections start on a phrase: a multiple of 4 bars from the music's first bar
OFF_PHRASE = 0.5  # novelty weight of a bar that does not start a phrase
PICKUP_BAR = 0.5  # music at least this share of a bar before the first downbeat is a bar of its own
START_LEVEL = 0.05  # the music starts where the level first reaches this share of its peak


@dataclass
class Span:
    start_s: float
    end_s: float
    bars: int
    label: str
    name: str
    level_db: float


def bar_features(f: Features, downbeats_s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(harmony (24, bars), timbre+level (k, bars), bar edges in frames)."""
    edges = f.to_frames(np.asarray(downbeats_s))
    edges = np.unique(np.concatenate([edges, [f.frames]]))
    # Each bar as its four quarter-bars' chroma in order: the melody and the chord rhythm
    # inside the bar tell repeated material from merely similar material.
    quarters = np.unique(np.concatenate([np.linspace(a, b, 5)[:-1].round().astype(int)
                                         for a, b in zip(edges[:-1], edges[1:], strict=True)] + [edges[-1:]]))
    fine = beat_sync(np.vstack([f.chroma, f.bass]), quarters)
    harmony = np.zeros((fine.shape[0] * 4, len(edges) - 1))
    pos = np.searchsorted(quarters, edges[:-1])
    for bar, q in enumerate(pos):
        block = fine[:, q:q + 4]
        harmony[: block.size, bar] = block.T.ravel()
    # Centred on the song's mean: every section of a song shares its key's notes, and only
    # what differs from the mean tells sections apart.
    harmony = harmony - harmony.mean(axis=1, keepdims=True)
    bands = f.semitones.reshape(-1, 6, f.semitones.shape[1]).mean(axis=1)  # half octaves
    timbre = beat_sync(bands, edges)
    level = beat_sync(20 * np.log10(f.rms[None, :] + 1e-6), edges)
    return harmony, np.vstack([timbre, level / 10.0]), edges


def _cos_ssm(x: np.ndarray) -> np.ndarray:
    n = x / (np.linalg.norm(x, axis=0, keepdims=True) + 1e-9)
    return n.T @ n


def _embed(x: np.ndarray, bars: int = 2) -> np.ndarray:
    return np.vstack([np.roll(x, -k, axis=1) for k in range(bars)])


def novelty(ssm: np.ndarray, half: int = KERNEL_BARS) -> np.ndarray:
    """Foote novelty along the diagonal of a similarity matrix."""
    size = 2 * half
    sign = np.ones((size, size))
    sign[:half, half:] = -1
    sign[half:, :half] = -1
    taper = np.outer(np.hanning(size + 2)[1:-1], np.hanning(size + 2)[1:-1])
    kernel = sign * taper
    n = ssm.shape[0]
    padded = np.pad(ssm, half, mode="edge")
    out = np.zeros(n)
    for i in range(n):
        out[i] = np.sum(padded[i:i + size, i:i + size] * kernel)
    return np.maximum(out, 0.0)


def structure_novelty(x: np.ndarray, smooth: int) -> np.ndarray:
    """Where the repetition pattern changes (Serra et al. 2012, "structure features").

    Each bar's row of a mutual nearest-neighbour recurrence matrix, read as lags, says which
    earlier and later bars it repeats; inside a section that pattern shifts along, at a
    boundary it changes.
    """
    n = x.shape[1]
    ssm = _cos_ssm(x)
    k = max(2, n // 10)
    kth = np.sort(ssm, axis=1)[:, -k][:, None]
    rec = ((ssm >= kth) & (ssm >= kth.T)).astype(float)
    lag = np.array([np.roll(rec[i], -i) for i in range(n)])
    taps = np.hanning(2 * smooth + 3)[1:-1]
    lag = np.apply_along_axis(lambda col: np.convolve(col, taps / taps.sum(), mode="same"), 0, lag)
    out = np.zeros(n)
    out[1:] = np.sum(np.diff(lag, axis=0) ** 2, axis=1)
    return out


def boundaries(harmony: np.ndarray, timbre: np.ndarray, bar_s: float = 2.0) -> list[int]:
    """Bar indices where sections start (0 first)."""
    n = harmony.shape[1]
    shortest = max(2, round(MIN_SECTION_S / bar_s))
    if n < 2 * shortest:
        return [0]
    half = max(2, round(KERNEL_S / bar_s))
    centred = timbre - timbre.mean(axis=1, keepdims=True)
    parts = [novelty(_cos_ssm(_embed(harmony)), half),
             0.5 * novelty(_cos_ssm(_embed(centred)), half),
             structure_novelty(_embed(harmony), max(1, half // 2))]
    total = np.sum([part / (part.max() or 1.0) for part in parts], axis=0)
    nov: np.ndarray = total / (total.max() or 1.0)
    # Pop sections come in 4-bar phrases: a change on a phrase start counts in full, one
    # elsewhere at OFF_PHRASE (a soft prior: a clear change off the grid still wins). Phrases
    # are counted from the first bar and from the clearest change, so a 2-bar intro or a
    # pickup does not put the whole grid off.
    inner = np.arange(shortest, n - shortest + 1)
    anchor = int(inner[np.argmax(nov[inner])]) % PHRASE_BARS
    phase = np.arange(n) % PHRASE_BARS
    nov = nov * np.where((phase == 0) | (phase == anchor), 1.0, OFF_PHRASE)
    threshold = max(0.2, float(np.median(nov) + THRESHOLD_STD * np.std(nov)))
    peaks = [i for i in range(shortest, n - shortest + 1)
             if nov[i] >= threshold and nov[i] == nov[max(0, i - shortest + 1):i + shortest].max()]
    chosen: list[int] = []
    for i in sorted(peaks, key=lambda i: -nov[i]):  # strongest first, keep them apart
        if all(abs(i - j) >= shortest for j in chosen):
            chosen.append(i)
    return [0] + sorted(chosen)


def similarity(harmony: np.ndarray, a: tuple[int, int], b: tuple[int, int]) -> float:
    """Mean cosine similarity of two sections' bars aligned from their starts."""
    length = min(a[1] - a[0], b[1] - b[0])
    if length <= 0:
        return 0.0
    x = harmony[:, a[0]:a[0] + length]
    y = harmony[:, b[0]:b[0] + length]
    x = x / (np.linalg.norm(x, axis=0, keepdims=True) + 1e-9)
    y = y / (np.linalg.norm(y, axis=0, keepdims=True) + 1e-9)
    return float(np.mean(np.sum(x * y, axis=0)))


def letters(harmony: np.ndarray, spans: list[tuple[int, int]]) -> list[str]:
    labels: list[str] = []
    for i, span in enumerate(spans):
        best, best_sim = None, SAME_THRESHOLD
        for j in range(i):
            sim = similarity(harmony, spans[j], span)
            if sim > best_sim:
                best, best_sim = labels[j], sim
        labels.append(best or chr(ord("A") + len(set(labels))))
    return labels


def _relettered(labels: list[str]) -> list[str]:
    """A, B, C in order of first appearance."""
    order = {lab: chr(ord("A") + i) for i, lab in enumerate(dict.fromkeys(labels))}
    return [order[lab] for lab in labels]


def names(labels: list[str], bars: list[int], levels: list[float]) -> list[str]:
    count = {lab: labels.count(lab) for lab in labels}
    level = {lab: float(np.mean([lv for la, lv in zip(labels, levels, strict=True) if la == lab]))
             for lab in labels}
    repeated = [lab for lab in dict.fromkeys(labels) if count[lab] > 1]
    chorus = max(repeated, key=lambda lab: (level[lab], count[lab]), default=None)
    verse = None
    if chorus is not None:
        first_chorus = labels.index(chorus)
        before = [lab for lab in labels[:first_chorus] if lab in repeated]
        verse = before[-1] if before else next((lab for lab in repeated if lab != chorus), None)
    out = []
    for i, lab in enumerate(labels):
        if lab == chorus:
            out.append("chorus")
        elif lab == verse:
            out.append("verse")
        elif count[lab] > 1:
            out.append("pre-chorus" if i + 1 < len(labels) and labels[i + 1] == chorus else "verse")
        elif i == 0 and len(labels) > 1 and bars[i] <= EDGE_BARS:
            out.append("intro")
        elif i == len(labels) - 1 and len(labels) > 1 and bars[i] <= EDGE_BARS:
            out.append("outro")
        elif not repeated and bars[i] == max(bars):
            out.append("verse")  # nothing repeats: the longest stretch is the song's body
        elif (chorus is not None and "bridge" not in out and chorus in labels[:i]
              and chorus in labels[i + 1:]):
            out.append("bridge")  # once, between choruses: the departure before the last one
        else:
            # more likely a stretch of the section before it, cut by a change inside it
            out.append(out[-1] if out and out[-1] not in ("intro", "bridge") else "verse")
    return out


def with_first_bar(f: Features, downbeats_s: np.ndarray) -> np.ndarray:
    """The downbeats with the bars before the first one the tracker found, back to where the
    music starts: phrases count from the song's first bar, and the beat tracker often
    places its first downbeat a bar in (a pickup, or beats found only once the music is going)."""
    down = np.asarray(downbeats_s, dtype=float)
    bar_s = float(np.median(np.diff(down)))
    loud = np.flatnonzero(f.rms >= START_LEVEL * (f.rms.max() or 1.0))
    start = float(loud[0] * f.hop / f.sr) if len(loud) else 0.0
    before: list[float] = []
    t = down[0] - bar_s
    while bar_s > 0 and t > start - PICKUP_BAR * bar_s:
        before.append(max(t, 0.0))
        t -= bar_s
    return np.concatenate([before[::-1], down])


def find_sections(f: Features, downbeats_s: np.ndarray) -> list[Span]:
    """The sections of a song whose bars start at `downbeats_s`."""
    if len(downbeats_s) < 2:
        return [Span(0.0, f.duration_s, max(1, len(downbeats_s)), "A", "verse", 0.0)]
    downbeats_s = with_first_bar(f, downbeats_s)
    harmony, timbre, edges = bar_features(f, downbeats_s)
    bar_s = float(np.median(np.diff(downbeats_s)))
    starts = boundaries(harmony, timbre, bar_s)
    n = harmony.shape[1]
    spans = list(zip(starts, starts[1:] + [n], strict=True))
    labs = letters(harmony, spans)
    # A section followed by one that sounds the same is one section going on (a verse's
    # second half), not two.
    merged: list[tuple[int, int]] = []
    merged_labels: list[str] = []
    for span, lab in zip(spans, labs, strict=True):
        if merged_labels and merged_labels[-1] == lab:
            merged[-1] = (merged[-1][0], span[1])
        else:
            merged.append(span)
            merged_labels.append(lab)
    spans, labs = merged, _relettered(merged_labels)
    levels = [float(timbre[-1, a:b].mean() * 10.0) for a, b in spans]
    nams = names(labs, [b - a for a, b in spans], levels)
    times = edges * f.hop / f.sr
    out = []
    for (a, b), lab, name, lv in zip(spans, labs, nams, levels, strict=True):
        start = 0.0 if a == 0 else float(times[a])
        end = f.duration_s if b >= n else float(times[b])
        out.append(Span(start, end, b - a, lab, name, lv))
    return out
