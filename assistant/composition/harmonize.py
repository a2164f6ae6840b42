"""Harmonizing a melody: a chord per bar (or half bar) whose tones hold the strong-beat notes.

For each bar the candidates are the 48 triads (and, when no triad fits, seventh chords); a
chord must contain every note sounding on the bar's strong beats. Among those, a chord scores
for the other melody notes it holds (by duration), for staying in the key, for starting and
ending at home, and for how often real songs make the move from the previous chord (the
next-chord model's n-grams). A Viterbi pass picks the best path; the alternatives for each bar
are ranked against their chosen neighbours. A bar whose strong beats no triad can hold is
split into halves when the meter has a half-bar beat.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from assistant import theory
from assistant.composition.chords import (
    ALL_CLASSES,
    MINOR_FAMILY,
    ChordClass,
    display_numeral,
)
from assistant.composition.keyfind import key_from_notes
from assistant.composition.moves import diatonic, explain
from assistant.composition.notes import TypedNote, from_melody, parse_notes
from assistant.errors import BadInput
from assistant.song import Key, Melody, meter_parts

IN_KEY_SHARE = 0.75
"""A melody needs this share of its duration inside one key's scale to have a key."""
_SEVENTHS = {"7": (0, 4, 7, 10), "m7": (0, 3, 7, 10), "maj7": (0, 4, 7, 11),
             "ø7": (0, 3, 6, 10)}
_SEVENTH_QUALITY = {"7": "maj", "m7": "min", "maj7": "maj", "ø7": "dim"}
STAY = math.log(0.3)
"""Log-weight of keeping the same chord into the next bar."""
BEAM = 10


@dataclass(frozen=True)
class Candidate:
    chord: ChordClass
    """The triad class (a seventh chord's triad) used for the model and the rules."""
    seventh: str = ""
    """"", "7", "m7", "maj7" or "ø7"."""

    def offsets(self) -> tuple[int, ...]:
        if not self.seventh:
            return self.chord.offsets()
        return tuple((self.chord.root + i) % 12 for i in _SEVENTHS[self.seventh])

    def numeral(self, minor: bool) -> str:
        base = display_numeral(self.chord, minor)
        if not self.seventh:
            return base
        head, slash, target = base.partition("/")
        head = head.rstrip("°")
        suffix = {"7": "7", "m7": "7", "maj7": "maj7", "ø7": "ø7"}[self.seventh]
        return head + suffix + (slash + target if slash else "")


@dataclass(frozen=True)
class ChordChoice:
    symbol: str
    numeral: str
    why: str
    rule_ids: tuple[str, ...] = ()
    """The `[[move]]` rules behind the why (the strong-beat fit is measured, not a rule)."""

    def as_dict(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "numeral": self.numeral, "why": self.why,
                "rule_ids": list(self.rule_ids)}


@dataclass
class Segment:
    bar: int
    """1-based bar number."""
    start: float
    """Beats from the start of the melody."""
    length: float
    notes: list[TypedNote]
    strong: list[int]
    """MIDI pitches sounding on the segment's strong beats."""
    chords: list[ChordChoice] = field(default_factory=list)
    """Ranked: the suggested chord first, then alternatives."""

    @property
    def melody(self) -> str:
        return " ".join(n.text for n in self.notes)


@dataclass
class Harmonization:
    key: Key
    key_guessed: bool
    meter: str
    segments: list[Segment]

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key.name,
                "bars": [{"melody": s.melody, "chords": [c.as_dict() for c in s.chords]}
                         for s in self.segments]}


def check_meter(meter: str) -> str:
    """The meter text if it is like 4/4, 3/4 or 6/8; BadInput otherwise."""
    import re

    text = meter.strip()
    match = re.fullmatch(r"(\d{1,2})/(1|2|4|8|16)", text)
    if not match or int(match.group(1)) == 0:
        raise BadInput(f"unknown meter {meter!r}: use one like 4/4, 3/4, 6/8 or 7/8")
    return text


def strong_beats(meter: str) -> tuple[float, ...]:
    """Strong-beat positions in quarter-note beats from the bar start: 4/4 -> (0, 2),
    3/4 -> (0,), 6/8 -> (0, 1.5), 12/8 -> (0, 3)."""
    num, den = meter_parts(meter)
    bar = num * 4 / den
    if den >= 8 and num % 3 == 0 and num > 3:
        pulses = num // 3
        return (0.0, (pulses // 2) * 1.5 * 8 / den) if pulses >= 2 else (0.0,)
    if num % 2 == 0 and num >= 4:
        return (0.0, bar / 2)
    if num == 5:
        return (0.0, 3 * 4 / den)
    return (0.0,)


def _sounding(notes: Sequence[TypedNote], beat: float) -> TypedNote | None:
    for note in notes:
        if note.start - 1e-9 <= beat < note.end - 1e-9:
            return note
    return None


def _slice(notes: Sequence[TypedNote], start: float, end: float) -> list[TypedNote]:
    return [n for n in notes if n.start < end - 1e-9 and n.end > start + 1e-9]


def _candidates(with_sevenths: bool) -> list[Candidate]:
    out = [Candidate(c) for c in ALL_CLASSES if c.quality != "aug"]
    if with_sevenths:
        for root in range(12):
            for name, quality in _SEVENTH_QUALITY.items():
                out.append(Candidate(ChordClass(root, quality), name))
    return out


def _holds(candidate: Candidate, pcs: set[int]) -> bool:
    return pcs <= set(candidate.offsets())


def _segments(notes: list[TypedNote], meter: str, tonic: int) -> list[Segment]:
    num, den = meter_parts(meter)
    bar_len = num * 4 / den
    beats = strong_beats(meter)
    end = max(n.end for n in notes)
    triads = _candidates(False)
    out: list[Segment] = []
    bar = 0
    while bar * bar_len < end - 1e-9:
        start = bar * bar_len
        inside = _slice(notes, start, start + bar_len)
        strong = _strong(notes, start, beats)
        pcs = {(p - tonic) % 12 for p in strong}
        if len(beats) > 1 and not any(_holds(c, pcs) for c in triads):
            half = beats[1]
            for s, e in ((start, start + half), (start + half, start + bar_len)):
                part_strong = _strong(notes, s, (0.0,))
                out.append(Segment(bar + 1, s, e - s, _slice(notes, s, e), part_strong))
        else:
            out.append(Segment(bar + 1, start, bar_len, inside, strong))
        bar += 1
    return out


# A bar costs ~7 ms (the ranking and the path search), and slicing is notes x bars: a
# 200,000-note file ran for more than 12 minutes without a word. These bounds keep a run
# under ~4 s; a whole song is ~100 bars.
MAX_BARS = 512
MAX_NOTES = 8192


def check_size(notes: Sequence[TypedNote], meter: str) -> None:
    """One line (BadInput) for a melody too long to harmonize at once."""
    num, den = meter_parts(meter)
    end = max((n.end for n in notes), default=0.0)
    bars = math.ceil(end / (num * 4 / den) - 1e-9)
    count = sum(1 for n in notes if n.pitch is not None)
    if bars > MAX_BARS or count > MAX_NOTES:
        raise BadInput(
            f"this melody is {bars:,} bars and {count:,} notes long; harmonize takes at most "
            f"{MAX_BARS} bars and {MAX_NOTES:,} notes at a time: give it a section (a part of "
            "the file) at a time")


def _strong(notes: Sequence[TypedNote], start: float, beats: Sequence[float]) -> list[int]:
    out = []
    for beat in beats:
        note = _sounding(notes, start + beat)
        if note is not None and note.pitch is not None:
            out.append(note.pitch)
    return out


@lru_cache(maxsize=16)
def _scale_offsets(mode: str) -> frozenset[int]:
    """The mode's scale as semitones above the tonic."""
    return frozenset(theory.scale_pitch_classes(Key(tonic="C", mode=mode)))  # type: ignore[arg-type]


def _local_score(cand: Candidate, seg: Segment, tonic: int, mode: str, index: int,
                 count: int) -> float | None:
    tones = set(cand.offsets())
    strong = {(p - tonic) % 12 for p in seg.strong}
    if not strong <= tones:
        return None
    held = total = 0.0
    for note in seg.notes:
        if note.pitch is None:
            continue
        overlap = min(note.end, seg.start + seg.length) - max(note.start, seg.start)
        total += overlap
        if (note.pitch - tonic) % 12 in tones:
            held += overlap
    score = 2.0 * (held / total if total else 0.0)
    if tones <= _scale_offsets(mode):
        score += 1.0
    elif cand.chord in diatonic(mode) or cand.chord.root in (10, 8, 5):
        score += 0.2  # borrowed colour (bVII, bVI, iv) or a diatonic triad with a chromatic 7th
    else:
        score -= 1.5 if cand.chord.quality == "dim" else 0.6
    if cand.seventh:
        score -= 0.6  # triads first: a seventh only when it holds what a triad cannot
    home = ChordClass(0, "min" if mode in MINOR_FAMILY else "maj")
    if cand.chord == home and (index == 0 or index == count - 1):
        score += 1.5 if index == count - 1 else 0.8
    if index == count - 2 and cand.chord.root in (7, 5) and count > 2:
        score += 0.4  # a dominant or subdominant before the last bar sets up the cadence
    return score


def harmonize(
    notes: str | Sequence[TypedNote] | Melody,
    key: Key | str | None = None,
    meter: str = "4/4",
    alternatives: int = 3,
) -> Harmonization:
    """A chord per bar (or half bar) for a melody: typed text ("E4 D4 C4/2"), typed notes or a
    Song sheet melody. With no key, the key is guessed from the notes (BadInput if the melody
    fits no key). Each segment's chords are ranked, the suggestion first."""
    from assistant.composition.nextchord import load_model

    if isinstance(notes, str):
        line = parse_notes(notes)
    elif isinstance(notes, Melody):
        line = from_melody(notes)
    else:
        line = list(notes)
    sounding = [n for n in line if n.pitch is not None]
    if not sounding:
        raise BadInput("no notes to harmonize: give a melody like \"E4 D4 C4 D4 E4 E4 E4/2\"")
    meter = check_meter(meter)
    check_size(line, meter)
    guessed = key is None
    if key is None:
        found, share = key_from_notes([n.pitch for n in sounding],  # type: ignore[misc]
                                      [n.duration for n in sounding], last=sounding[-1].pitch)
        if share < IN_KEY_SHARE:
            scale = set(theory.scale_pitch_classes(found))
            outside = [n.text for n in sounding if n.pitch is not None
                       and n.pitch % 12 not in scale]
            shown = ", ".join(dict.fromkeys(outside[:4]))
            raise BadInput(f"the melody fits no key: {shown} fall outside even the closest "
                           f"one ({found.name}); give --key to harmonize it anyway")
        key = found
    elif isinstance(key, str):
        key = theory.parse_key(key)
    tonic = theory.parse_pitch_class(key.tonic)
    segments = _segments(line, meter, tonic)
    _choose(segments, key, tonic, load_model(), max(1, alternatives))
    return Harmonization(key, guessed, meter, segments)


def _choose(segments: list[Segment], key: Key, tonic: int, model: Any, alternatives: int) -> None:
    mode = key.mode
    minor = mode in MINOR_FAMILY
    count = len(segments)
    triads, all_cands = _candidates(False), _candidates(True)
    layers: list[list[tuple[Candidate, float]]] = []
    for i, seg in enumerate(segments):
        scored = [(c, s) for c in triads
                  if (s := _local_score(c, seg, tonic, mode, i, count)) is not None]
        if not scored:
            scored = [(c, s) for c in all_cands
                      if (s := _local_score(c, seg, tonic, mode, i, count)) is not None]
        if not scored:  # cannot happen with sevenths for <= 2 strong notes; be safe anyway
            scored = [(Candidate(ChordClass(0, "min" if minor else "maj")), 0.0)]
        scored.sort(key=lambda cs: -cs[1])
        layers.append(scored[:BEAM])

    cache: dict[ChordClass, list[float]] = {}

    def move(a: Candidate, b: Candidate) -> float:
        if a.chord == b.chord:
            return STAY
        if a.chord not in cache:
            cache[a.chord] = model.ngram_probs([a.chord], mode)
        return math.log(cache[a.chord][ALL_CLASSES.index(b.chord)] + 1e-6)

    # Viterbi: local scores plus 0.8 x log move probability
    best = [s for _, s in layers[0]]
    back: list[list[int]] = []
    for before, layer in zip(layers, layers[1:], strict=False):
        new_best, pointers = [], []
        for cand, score in layer:
            options = [best[j] + 0.8 * move(p, cand) for j, (p, _) in enumerate(before)]
            j = max(range(len(options)), key=lambda k: options[k])
            new_best.append(options[j] + score)
            pointers.append(j)
        best, back = new_best, [*back, pointers]
    index = max(range(len(best)), key=lambda k: best[k])
    path = [index]
    for pointers in reversed(back):
        index = pointers[index]
        path.append(index)
    path.reverse()
    chosen = [layers[i][p][0] for i, p in enumerate(path)]

    for i, seg in enumerate(segments):
        ranked = []
        for cand, score in layers[i]:
            total = score
            if i > 0:
                total += 0.8 * move(chosen[i - 1], cand)
            if i + 1 < count:
                total += 0.8 * move(cand, chosen[i + 1])
            ranked.append((total, cand))
        ranked.sort(key=lambda tc: -tc[0])
        # alternatives worth hearing: not the far-fetched ones (a chromatic diminished chord)
        local = dict((c, s) for c, s in layers[i])
        order = [chosen[i]] + [c for _, c in ranked if c != chosen[i] and local[c] > 0.5]
        prev = chosen[i - 1] if i > 0 else None
        seg.chords = [_choice(c, seg, key, tonic, prev, i == count - 1, model, minor)
                      for c in order[:alternatives]]


def _choice(cand: Candidate, seg: Segment, key: Key, tonic: int, prev: Candidate | None,
            last: bool, model: Any, minor: bool) -> ChordChoice:
    numeral = cand.numeral(minor)
    symbol = theory.numeral_to_symbol(numeral, key)
    reasons = []
    if seg.strong:
        names = [theory.note_name(p % 12, key) for p in dict.fromkeys(seg.strong)]
        roles = [_role(cand, (p - tonic) % 12) for p in dict.fromkeys(seg.strong)]
        held = ", ".join(f"{n} ({r})" for n, r in zip(names, roles, strict=True))
        reasons.append(f"holds the strong-beat {'note' if len(names) == 1 else 'notes'} {held}")
    else:
        reasons.append("the melody rests on the strong beats: a free choice")
    rule_ids = []
    if prev is not None and prev.chord != cand.chord:
        move, _colour = explain([prev.chord], cand.chord, key.mode, None, model.moves)
        if move is not None:
            reasons.append(move.rule.why)
            rule_ids.append(move.rule.id)
    elif prev is not None:
        reasons.append("the same chord carries on from the bar before")
    home = ChordClass(0, "min" if minor else "maj")
    if last and cand.chord == home and len(reasons) < 3:
        reasons.append("ends the melody at home")
    if len(reasons) == 1:
        _move, colour = explain([], cand.chord, key.mode, None, model.moves)
        if colour is not None:
            reasons.append(colour.rule.why)
            rule_ids.append(colour.rule.id)
    return ChordChoice(symbol, numeral, "; ".join(reasons[:3]), tuple(rule_ids))


def _role(cand: Candidate, offset: int) -> str:
    interval = (offset - cand.chord.root) % 12
    return {0: "root", 3: "third", 4: "third", 6: "fifth", 7: "fifth", 8: "fifth",
            10: "seventh", 11: "seventh"}.get(interval, "tone")
