"""A topline by rule: a singable melody (or an instrumental lead) over a section's chords.

The rules (ids in `knowledge/melody/rules.toml`, listed with every topline):
- rhythm in the meter's own grid: a bar is built from units (two half-bars in 4/4, one
  three-beat unit in 3/4, dotted quarters in 6/8 and 12/8) filled from a vocabulary of
  singable cells; phrases of 2 or 4 bars end on a longer note and a breath;
- the phrase heads restate the motif's rhythm (the song's motif when given), the other bars
  vary, so the melody repeats enough to be remembered without looping;
- strong beats carry chord tones, the notes between move by step; a leap turns back by step;
- one climax, the section's single highest note, in its last third;
- a phrase ending on the 2nd or 5th (a question) is answered by one ending on the tonic;
- the chorus (hook, drop...) sits 3-7 semitones above the verse;
- instrumental leads (solo, drop, head) are denser and wider, in the style's language.

Plain pitch-class arithmetic, cached scales: a section takes well under 5 ms.
Deterministic: the same arguments give the same notes.
"""

from __future__ import annotations

import math
import random
import re
import tomllib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from assistant.song import Key

EPS = 1e-6


@dataclass(frozen=True)
class ToplineNote:
    start: float
    """Quarter-note beats from the section start."""
    duration: float
    """Quarter-note beats."""
    pitch: int
    """MIDI."""
    velocity: int


@dataclass(frozen=True)
class Topline:
    notes: list[ToplineNote]
    devices: list[str]
    """Plain words: "motif at the head of every phrase", "answering phrase ends on the tonic"..."""
    rule_ids: list[str]
    """Ids of the melody rules used (`knowledge/melody/rules.toml`)."""


# ---------------------------------------------------------------- the rules, as data


class MelodyRule(BaseModel):
    """One melody-writing rule: an id, what it is, why, and how it is checked."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(pattern=r"^melody\.[a-z0-9]+(-[a-z0-9]+)*$")
    name: str = Field(min_length=3)
    why: str = Field(min_length=20)
    check: str = ""
    source: str = ""


@lru_cache(maxsize=1)
def melody_rules() -> dict[str, MelodyRule]:
    """The melody rules by id, loaded and validated once."""
    from assistant.paths import shipped_knowledge_dir

    path = shipped_knowledge_dir() / "melody" / "rules.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    rules = [MelodyRule.model_validate(item) for item in data.get("melody_rule", [])]
    out = {rule.id: rule for rule in rules}
    if len(out) != len(rules):
        raise ValueError(f"{path}: a melody rule id appears twice")
    return out


R_CHORD_TONES = "melody.chord-tones-on-strong-beats"
R_STEPS = "melody.stepwise"
R_LEAPS = "melody.leap-recovery"
R_CLIMAX = "melody.single-climax"
R_BREATHS = "melody.breaths"
R_ANSWER = "melody.question-answer"
R_MOTIF = "melody.motif-development"
R_LIFT = "melody.chorus-lift"
R_METER = "melody.meter-rhythm"
R_LEAD = "melody.lead-style"


# ---------------------------------------------------------------- the meter's grid


@dataclass(frozen=True)
class Grid:
    bar: float
    """Bar length in quarter-note beats."""
    units: tuple[float, ...]
    """The bar's rhythm units, in beats: (2, 2) in 4/4, (3,) in 3/4, (1.5, 1.5) in 6/8."""
    strong: tuple[float, ...]
    """Offsets in the bar where a chord tone is required."""
    pulse: float
    """The felt beat: 1 in simple meters, 1.5 (a dotted quarter) in compound ones."""
    compound: bool


def _meter_numbers(meter: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{1,2})\s*/\s*(\d{1,2})\s*", meter or "")
    if not match:
        return 4, 4
    num, den = int(match.group(1)), int(match.group(2))
    if num < 1 or den not in (1, 2, 4, 8, 16):
        return 4, 4
    return num, den


@lru_cache(maxsize=64)
def grid(meter: str) -> Grid:
    """The rhythm grid of a meter; anything unreadable falls back to 4/4."""
    num, den = _meter_numbers(meter)
    beat = 4 / den
    bar = num * beat
    if den >= 8 and num % 3 == 0 and num >= 6:  # compound: 6/8, 9/8, 12/8
        pulse = 3 * beat
        pulses = num // 3
        units = (pulse,) * pulses
        strong = (0.0, (pulses // 2) * pulse) if pulses % 2 == 0 else (0.0,)
        return Grid(bar, units, strong, pulse, True)
    if den >= 8:  # 3/8, 5/8, 7/8: groups of two and three eighths
        if num <= 3:
            groups = [num]
        else:
            groups = [2] * ((num - 3) // 2) + [3] if num % 2 else [2] * (num // 2)
        units = tuple(g * beat for g in groups)
        return Grid(bar, units, (0.0,), beat * 2, False)
    if num <= 3:
        return Grid(bar, (bar,), (0.0,), beat, False)
    if num % 2 == 0:
        units = (2 * beat,) * (num // 2)
        strong = (0.0, bar / 2) if num >= 4 else (0.0,)
        return Grid(bar, units, strong, beat, False)
    # 5/4, 7/4: twos then a three
    units = (2 * beat,) * ((num - 3) // 2) + (3 * beat,)
    return Grid(bar, units, (0.0,), beat, False)


# One unit's rhythm cells: durations in beats, a negative value is a rest. (cell, weight)
_Cell = tuple[float, ...]
VOCAL_CELLS: dict[float, tuple[tuple[_Cell, float], ...]] = {
    1.0: (((1.0,), 3), ((0.5, 0.5), 3)),
    1.5: (((1.5,), 1.5), ((1.0, 0.5), 4), ((0.5, 0.5, 0.5), 3), ((0.5, 1.0), 1),
          ((0.75, 0.25, 0.5), 1)),
    2.0: (((1.0, 1.0), 3), ((0.5, 0.5, 1.0), 3), ((1.0, 0.5, 0.5), 3), ((1.5, 0.5), 2),
          ((0.5, 1.0, 0.5), 2), ((0.5, 0.5, 0.5, 0.5), 2), ((2.0,), 0.7), ((0.75, 0.25, 1.0), 1)),
    3.0: (((1.0, 1.0, 1.0), 3), ((1.5, 0.5, 1.0), 3), ((1.0, 0.5, 0.5, 1.0), 3),
          ((0.5, 0.5, 1.0, 1.0), 2.5), ((2.0, 1.0), 0.8), ((1.0, 1.0, 0.5, 0.5), 2),
          ((0.5, 0.5, 0.5, 0.5, 1.0), 1.5), ((1.0, 2.0), 0.4), ((1.0, 0.5, 0.5, 0.5, 0.5), 1)),
}
# The last unit of a phrase: a held note and a breath.
END_CELLS: dict[float, tuple[tuple[_Cell, float], ...]] = {
    1.0: (((0.5, -0.5), 1),),
    1.5: (((1.0, -0.5), 3), ((0.5, 0.5, -0.5), 1)),
    2.0: (((1.5, -0.5), 3), ((1.0, -1.0), 2), ((0.5, 1.0, -0.5), 2)),
    3.0: (((1.0, 1.5, -0.5), 2), ((0.5, 0.5, 1.0, -1.0), 2.5), ((2.0, -1.0), 0.5), ((1.0, 1.0, -1.0), 2),
          ((0.5, 0.5, 1.5, -0.5), 2)),
}
LEAD_CELLS: dict[float, tuple[tuple[_Cell, float], ...]] = {
    1.0: (((0.5, 0.5), 4), ((0.25, 0.25, 0.5), 2), ((0.5, 0.25, 0.25), 2), ((1.0,), 1),
          ((0.25, 0.25, 0.25, 0.25), 1)),
    1.5: (((0.5, 0.5, 0.5), 4), ((1.0, 0.5), 2), ((0.25, 0.25, 0.5, 0.5), 2), ((0.5, 0.25, 0.25, 0.5), 1)),
    2.0: (((0.5, 0.5, 0.5, 0.5), 4), ((1.0, 0.5, 0.5), 2), ((0.5, 0.5, 1.0), 2),
          ((0.25, 0.25, 0.5, 0.5, 0.5), 2), ((0.75, 0.75, 0.5), 1.5), ((0.5, 1.0, 0.5), 1.5)),
    3.0: (((0.5, 0.5, 0.5, 0.5, 1.0), 3), ((1.0, 0.5, 0.5, 0.5, 0.5), 3),
          ((0.5, 0.5, 0.5, 0.5, 0.5, 0.5), 2), ((1.5, 0.5, 0.5, 0.5), 1)),
}


def _cells(table: dict[float, tuple[tuple[_Cell, float], ...]], length: float
           ) -> tuple[tuple[_Cell, float], ...]:
    key = round(length * 4) / 4
    if key in table:
        return table[key]
    # an unusual unit: beats (and a half) in quarters and eighth pairs
    whole = int(key)
    rest = key - whole
    plain: list[float] = [1.0] * whole + ([rest] if rest > EPS else [])
    pairs = list(plain)
    if whole:
        pairs[0:1] = [0.5, 0.5]
    return ((tuple(plain), 1.0), (tuple(pairs), 1.0))


@lru_cache(maxsize=256)
def _weights(cells: tuple[tuple[_Cell, float], ...], energy: int, dense: bool
             ) -> tuple[list[_Cell], list[float]]:
    """The cells and their cumulative weights; energy tilts them toward cells with more notes."""
    tilt = max(-0.15, (energy - 3) * 0.25) + (0.3 if dense else 0.0)
    total = 0.0
    cumulative = []
    for cell, weight in cells:
        notes = sum(1 for d in cell if d > 0)
        total += max(0.05, weight * (1.0 + tilt * (notes - 2.5)))
        cumulative.append(total)
    return [c for c, _ in cells], cumulative


def _pick(rng: random.Random, cells: tuple[tuple[_Cell, float], ...], energy: int,
          dense: bool = False) -> _Cell:
    """A weighted choice of a rhythm cell (see `_weights`)."""
    population, cumulative = _weights(cells, energy, dense)
    return rng.choices(population, cum_weights=cumulative, k=1)[0]


def bar_rhythm(g: Grid, rng: random.Random, energy: int, *, end: bool = False,
               lead: bool = False) -> _Cell:
    """One bar's rhythm (negative = rest): a cell per unit; `end` closes a phrase."""
    table = LEAD_CELLS if lead else VOCAL_CELLS
    out: list[float] = []
    for index, unit in enumerate(g.units):
        if end and index == len(g.units) - 1:
            out.extend(_pick(rng, _cells(END_CELLS, unit), energy))
        else:
            out.extend(_pick(rng, _cells(table, unit), energy, dense=lead))
    return tuple(out)


def phrase_lengths(bars: int, short: bool = False) -> list[int]:
    """Bars split into phrases of 4 (2 when `short`); what is left as a 2- or 3-bar phrase."""
    if bars <= 0:
        return []
    if bars <= 3:
        return [bars]
    if short:
        return [2] * (bars // 2 - 1) + ([3] if bars % 2 else [2])
    fours, left = divmod(bars, 4)
    if left == 0:
        return [4] * fours
    if left == 1:
        return [4] * (fours - 1) + [3, 2]
    return [4] * fours + [left]


def _motif_rhythm(motif: Sequence[tuple[float, float, int]], g: Grid) -> _Cell | None:
    """The motif's first bar as a rhythm cell (rests between its notes), if it is usable."""
    inside = sorted((s, d, p) for s, d, p in motif if -EPS <= s < g.bar - EPS and d > 0)
    if len(inside) < 2:
        return None
    out: list[float] = []
    at = 0.0
    for index, (start, dur, _) in enumerate(inside):
        if start > at + EPS:
            out.append(-(start - at))
            at = start
        end = inside[index + 1][0] if index + 1 < len(inside) else g.bar
        length = max(0.25, min(dur, end - at))
        length = round(length * 4) / 4
        out.append(length)
        at += length
    if at > g.bar + EPS:
        return None
    if at < g.bar - EPS:
        out.append(-(g.bar - at))
    return tuple(out)


@dataclass
class Slot:
    """One note to be given a pitch."""

    start: float
    duration: float
    bar: int
    phrase: int
    strong: bool
    on_pulse: bool
    phrase_end: bool = False
    motif_index: int = -1
    """Position in the motif when this bar restates it, else -1."""
    motif_sign: int = 1
    """-1 when the bar turns the motif upside down."""


def rhythm_plan(bars: int, meter: str, rng: random.Random, energy: int, *,
                motif_rhythm: _Cell | None = None, lead: bool = False,
                short_phrases: bool = False) -> tuple[list[Slot], list[int], list[_Cell]]:
    """Slots for every note of `bars` bars, the phrase lengths, and the rhythm of each bar.

    Each phrase's first bar restates the motif rhythm (every other phrase varies it a
    little); the last bar of a phrase ends on a held note and a rest.
    """
    g = grid(meter)
    lengths = phrase_lengths(bars, short_phrases)
    head = motif_rhythm or bar_rhythm(g, rng, energy, lead=lead)
    # make sure the head has enough notes to be a motif
    if sum(1 for d in head if d > 0) < 2:
        head = bar_rhythm(g, rng, energy + 1, lead=lead)
    second = bar_rhythm(g, rng, energy, lead=lead)
    rhythms: list[_Cell] = []
    for number, length in enumerate(lengths):
        for position in range(length):
            last = position == length - 1
            if position == 0 and not last:
                cell = head
            elif last:
                body = bar_rhythm(g, rng, energy, end=True, lead=lead)
                cell = body
            elif position == 1 and number % 2 == 1:
                cell = second  # the answer restates the first two bars' rhythm
            elif position == 1 and number == 0:
                cell = second
            else:
                cell = bar_rhythm(g, rng, energy, lead=lead)
            rhythms.append(cell)
    motif_bars = {sum(lengths[:n]): 1 for n, length in enumerate(lengths) if length > 1}
    return slots_from_rhythms(g, rhythms, lengths, motif_bars), lengths, rhythms


def slots_from_rhythms(g: Grid, rhythms: Sequence[_Cell], lengths: Sequence[int],
                       motif_bars: dict[int, int] | None = None) -> list[Slot]:
    """One slot per note of the bar rhythms; `motif_bars` maps a bar that restates the motif
    to +1 (its shape) or -1 (upside down)."""
    motif_bars = motif_bars or {}
    phrase_of = [n for n, length in enumerate(lengths) for _ in range(length)]
    slots: list[Slot] = []
    for bar, cell in enumerate(rhythms):
        at = 0.0
        count = 0
        sign = motif_bars.get(bar, 0)
        for value in cell:
            if value > 0:
                offset = at
                strong = any(abs(offset - s) < EPS or (offset < s - EPS < offset + value - EPS)
                             for s in g.strong)
                on_pulse = abs(offset / g.pulse - round(offset / g.pulse)) < EPS
                slots.append(Slot(bar * g.bar + offset, value, bar, phrase_of[bar], strong, on_pulse,
                                  motif_index=count if sign else -1, motif_sign=sign or 1))
                count += 1
            at += abs(value)
    # the phrase's last note is its ending
    for number in range(len(lengths)):
        for slot in reversed(slots):
            if slot.phrase == number:
                slot.phrase_end = True
                break
    return slots


# ---------------------------------------------------------------- pitches


@lru_cache(maxsize=64)
def key_pcs(tonic: str, mode: str) -> tuple[int, tuple[int, ...]]:
    """(tonic pitch class, the mode's scale pitch classes from the tonic), cached."""
    from assistant import theory

    scale = tuple(theory.scale_pitch_classes(Key(tonic=tonic, mode=mode)))  # type: ignore[arg-type]
    return scale[0], scale


@lru_cache(maxsize=1024)
def _pools(scale: tuple[int, ...], chord: tuple[int, ...], low: int, high: int
           ) -> tuple[tuple[int, ...], tuple[int, ...], frozenset[int]]:
    """(scale pitches bent to the chord, chord pitches, chord pitch classes) in [low, high].

    A chord tone outside the key (G# of E in A minor) replaces the scale notes a semitone
    from it, so a passing note never rubs against the chord.
    """
    pcs = set(scale)
    tones = frozenset(p % 12 for p in chord)
    for tone in tones:
        if tone not in pcs:
            pcs -= {(tone - 1) % 12, (tone + 1) % 12} - tones
            pcs.add(tone)
    line = tuple(p for p in range(low, high + 1) if p % 12 in pcs) or tuple(range(low, high + 1))
    chord_pitches = tuple(p for p in line if p % 12 in tones)
    if not chord_pitches:  # no tone of the chord in a narrow range: any note of the line
        chord_pitches, tones = line, frozenset(p % 12 for p in line)
    return line, chord_pitches, tones


@lru_cache(maxsize=256)
def _lead_pool(scale: tuple[int, ...], tonic: int, family: str, low: int, high: int
               ) -> tuple[int, ...]:
    if family == "blues":
        pcs = {(tonic + i) % 12 for i in (0, 3, 5, 6, 7, 10)} | {(tonic + 2) % 12, (tonic + 9) % 12}
    elif family == "rock":
        minor = (tonic + 3) % 12 in scale
        steps = (0, 3, 5, 7, 10) if minor else (0, 2, 4, 7, 9)
        pcs = {(tonic + i) % 12 for i in steps}
    else:
        pcs = set(scale)
    return tuple(p for p in range(low, high + 1) if p % 12 in pcs)


def section_kind(section: str) -> str:
    """"Chorus 2" -> "chorus", "Pre Chorus" -> "pre-chorus"; unknown names as they are."""
    text = re.sub(r"[\d_]+", " ", (section or "").lower()).strip()
    text = re.sub(r"\s+", " ", text)
    if re.search(r"pre[- ]?chorus|pre$|^build", text):
        return "pre-chorus" if "build" not in text else "build"
    if re.search(r"post[- ]?chorus", text):
        return "post-chorus"
    for word in ("chorus", "refrain", "hook", "verse", "bridge", "solo", "drop", "head", "intro",
                 "outro", "breakdown", "interlude", "break", "middle"):
        if word in text:
            return {"refrain": "chorus", "middle": "bridge"}.get(word, word)
    return text or "verse"


# Semitones above the verse's centre: the chorus lifts, the bridge moves away.
SECTION_LIFT = {"verse": 0, "intro": 0, "outro": 0, "pre-chorus": 2, "build": 2, "chorus": 4.5,
                "hook": 4.5, "post-chorus": 4, "drop": 4.5, "bridge": 3, "solo": 4, "head": 2,
                "breakdown": 0, "interlude": 1, "break": 1}
LIFT_SECTIONS = frozenset(k for k, v in SECTION_LIFT.items() if v >= 4)
LEAD_SECTIONS = frozenset({"solo", "drop", "head"})
"""Sections that get an instrumental lead line rather than a vocal melody."""
_STYLE_FAMILY = {
    "jazz": "jazz", "bossa nova": "jazz", "bossa": "jazz", "swing": "jazz", "neo-soul": "jazz",
    "lo-fi": "jazz", "r&b": "jazz", "rnb": "jazz", "soul": "jazz", "funk": "jazz",
    "blues": "blues",
    "edm": "arp", "house": "arp", "trance": "arp", "techno": "arp", "synthwave": "arp",
    "disco": "arp", "trap": "arp", "reggaeton": "arp", "dubstep": "arp", "ambient": "arp",
    "rock": "rock", "metal": "rock", "punk": "rock", "indie": "rock", "country": "rock",
    "folk": "rock", "grunge": "rock",
}


def style_family(style: str) -> str:
    text = (style or "").lower().strip()
    if text in _STYLE_FAMILY:
        return _STYLE_FAMILY[text]
    for word, family in _STYLE_FAMILY.items():
        if word in text:
            return family
    return "line"


def _stable(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def _move_cost(move: int) -> float:
    size = abs(move)
    if size == 0:
        return 1.4
    if size <= 2:
        return 0.0
    if size <= 4:
        return 1.7
    if size <= 7:
        return 3.4
    return 5.5


@dataclass
class LinePlan:
    """What is fixed before a line is drawn: its centre, the climax and the phrase endings."""

    centre: float
    climax_index: int
    climax_pitch: int
    forced: dict[int, int]
    endings: dict[int, str]
    """Phrase-ending slot index -> "question" or "answer"."""
    shapes: tuple[str, ...] = ("arch",)
    """Each phrase's contour: "arch", "rise", "fall" or "valley"."""
    shift: float = 0.0
    """Added to the contour so the line's average sits at the section's centre."""
    targets: list[float] = field(default_factory=list)
    """The contour's pitch at each slot (shift included)."""


def _choose_forced(slots: list[Slot], lengths: list[int], chords: Sequence[tuple[int, ...]],
                   tonic: int, scale: tuple[int, ...], low: int, high: int, centre: float,
                   kind: str, rng: random.Random, lead: bool) -> LinePlan:
    """The climax (pitch and place) and the phrase endings, fixed before the line is drawn."""
    total = slots[-1].start + slots[-1].duration if slots else 0.0
    last_bar = slots[-1].bar if slots else 0
    # the climax: a strong or on-pulse note in the last third, not the final phrase ending
    before_end = {i - 1 for i, s in enumerate(slots) if s.phrase_end}
    window = [i for i, s in enumerate(slots)
              if s.start >= total * 2 / 3 - EPS and not s.phrase_end and i not in before_end
              and s.duration >= 0.5 - EPS]
    if not window:
        window = [i for i, s in enumerate(slots)
                  if s.start >= total * 2 / 3 - EPS and not (s.phrase_end and s.bar == last_bar)]
    best = [i for i in window if slots[i].strong] or [i for i in window if slots[i].on_pulse] or window
    if not best:
        best = [max(0, len(slots) - 2)]
    # prefer the middle of the window (about 3/4 of the way)
    aim = total * 0.78
    best.sort(key=lambda i: (abs(slots[i].start - aim) + rng.random() * 0.8))
    climax_index = best[0]
    chord = chords[slots[climax_index].bar % len(chords)] if chords else (tonic,)
    _, chord_pitches, _ = _pools(scale, tuple(chord), low, high)
    reach = 7 if kind in LIFT_SECTIONS else 6
    if lead:
        reach = 10
    aim_pitch = min(high, centre + reach)
    climax_pitch = min(chord_pitches or (high,), key=lambda p: (abs(p - aim_pitch), -p))
    forced = {climax_index: climax_pitch}
    endings: dict[int, str] = {}
    shapes = tuple(rng.choice(("arch", "rise", "fall", "valley", "arch")) for _ in lengths)
    plan = LinePlan(centre, climax_index, climax_pitch, forced, endings, shapes)
    spans = _phrase_spans(slots)
    raw = [_target(s, total, plan, spans[s.phrase]) for s in slots]
    if not lead:
        plan.shift = centre + 0.5 - sum(raw) / len(raw)
    plan.targets = [t + plan.shift for t in raw]
    ends = [i for i, s in enumerate(slots) if s.phrase_end]
    for order, index in enumerate(ends):
        answer = order == len(ends) - 1 or order % 2 == 1
        bar_chord = tuple(chords[slots[index].bar % len(chords)]) if chords else (tonic,)
        tones = {p % 12 for p in bar_chord}
        degree2, degree5 = scale[1 % len(scale)], scale[4 % len(scale)]
        if answer and tonic in tones:
            wanted = [tonic]
        else:
            wanted = [d for d in (degree5, degree2) if d in tones] or \
                [t for t in bar_chord[1:] if t % 12 != tonic] or [bar_chord[0]]
        pcs = {w % 12 for w in wanted}
        target = plan.targets[index] - (1 if answer else 0)
        limit = climax_pitch - 1
        options = [p for p in range(low, min(high, limit) + 1) if p % 12 in pcs]
        if not options:  # the wanted degree only above the climax: another chord tone
            options = [p for p in range(low, min(high, limit) + 1) if p % 12 in tones]
        if index == climax_index or not options:
            continue
        forced[index] = min(options, key=lambda p: (abs(p - target), p))
        pc = forced[index] % 12
        endings[index] = "answer" if pc == tonic else "question" if pc in (degree2, degree5) else "open"
    return plan


def _phrase_spans(slots: Sequence[Slot]) -> dict[int, tuple[float, float]]:
    spans: dict[int, tuple[float, float]] = {}
    for s in slots:
        a, b = spans.get(s.phrase, (s.start, s.start + s.duration))
        spans[s.phrase] = (min(a, s.start), max(b, s.start + s.duration))
    return spans


def _target(slot: Slot, total: float, plan: LinePlan, phrase_span: tuple[float, float]) -> float:
    climax_at = max(EPS, total * 0.75)
    start, end = phrase_span
    inside = min(1.0, max(0.0, (slot.start - start) / max(EPS, end - start)))
    shape = plan.shapes[slot.phrase % len(plan.shapes)]
    if shape == "arch":
        arch = 3.5 * math.sin(math.pi * inside)
    elif shape == "rise":
        arch = 4.0 * inside - 1.0
    elif shape == "fall":
        arch = 3.0 - 4.0 * inside
    else:  # a valley
        arch = -3.0 * math.sin(math.pi * inside) + 1.0
    if slot.start <= climax_at:
        rise = (plan.climax_pitch - 3 - plan.centre) * (slot.start / climax_at) ** 1.6
    else:
        rise = (plan.climax_pitch - 3 - plan.centre) * max(0.0, 1 - (slot.start - climax_at)
                                                             / max(EPS, total - climax_at)) - 1
    return plan.centre + rise + arch + plan.shift


_MOVE_COST = tuple(_move_cost(m) + 0.5 * max(0, m - 9) for m in range(128))


def _draw(slots: list[Slot], chords: Sequence[tuple[int, ...]], scale: tuple[int, ...],
          low: int, high: int, plan: LinePlan, motif_moves: list[int], rng: random.Random,
          pool_of: dict[int, tuple[tuple[int, ...], tuple[int, ...], frozenset[int]]],
          lead_pool: tuple[int, ...] | None, family: str) -> list[int]:
    """The line, note by note: the cheapest candidate under the rules' costs (see the module
    docstring); fixed notes (climax, phrase endings) are looked ahead to."""
    forced = plan.forced
    climax = plan.climax_pitch
    # the next fixed note after each slot
    upcoming: list[int | None] = [None] * len(slots)
    following: int | None = None
    for i in range(len(slots) - 1, -1, -1):
        upcoming[i] = following
        if i in forced:
            following = i
    pitches: list[int] = []
    previous = int(round(plan.centre))
    last_move = 0
    jazz = family in ("jazz", "blues")
    leap_penalty = 0.6 if lead_pool is not None else 1.0
    random_ = rng.random
    move_cost = _MOVE_COST
    for i, slot in enumerate(slots):
        line, chord_pitches, tones = pool_of[slot.bar]
        if i in forced:
            pitch = forced[i]
            if pitches:
                last_move = pitch - previous
            pitches.append(pitch)
            previous = pitch
            continue
        target = plan.targets[i]
        nxt = upcoming[i]
        pool = lead_pool if lead_pool is not None and not slot.strong else line
        started = bool(pitches)
        if started:
            candidates = [p for p in pool if -9 <= p - previous <= 9 and p < climax]
        else:
            candidates = [p for p in chord_pitches if p < climax]
        if not candidates:
            candidates = [p for p in line if p < climax] or list(line)
        before = pitches[-2] if len(pitches) >= 2 else None
        leapt = abs(last_move) > 4
        thirds = abs(last_move) >= 3
        strong, on_pulse = slot.strong, slot.on_pulse
        motif_goal = None
        if 0 < slot.motif_index <= len(motif_moves):
            motif_goal = slot.motif_sign * motif_moves[slot.motif_index - 1]
        goal = forced[nxt] if nxt is not None else 0
        ahead = nxt - i if nxt is not None else 0
        best, best_cost = candidates[0], math.inf
        for p in candidates:
            move = p - previous
            size = move if move >= 0 else -move
            cost = 0.0
            if started:
                cost = move_cost[size] * (leap_penalty if size > 2 else 1.0)
                if leapt:
                    if not (1 <= size <= 2 and move * last_move < 0):
                        cost += 9.0
                elif thirds and size >= 3 and move * last_move > 0:
                    cost += 1.2
                if before is not None:
                    if p == previous == before:
                        cost += 3.0
                    elif p == before and p != previous:
                        cost += 0.9  # no see-sawing between two notes
                if move and last_move and move * last_move > 0 and size <= 2:
                    cost -= 0.35  # a run keeps going
            if p % 12 in tones:
                if not strong and not on_pulse:
                    cost -= 0.2
            elif strong:
                cost += 7.0
            elif on_pulse:
                cost += 1.2
            cost += 0.28 * abs(p - target)
            if motif_goal is not None:
                cost += 0.5 * abs(move - motif_goal)
            if nxt is not None:
                gap = abs(goal - p)
                if ahead == 1:
                    cost += 1.3 * max(0, gap - 2) + (1.5 if gap == 0 else 0.0)
                    if started and size > 4 and not (1 <= gap <= 2 and (goal - p) * move < 0):
                        cost += 6.0  # the leap would not be turned back
                    if jazz and not on_pulse and gap == 1:
                        cost -= 1.5  # a chromatic approach into the next fixed note
                elif ahead <= 4:
                    cost += (0.9 / ahead) * max(0, gap - 2 * ahead)
            cost += random_() * 0.7
            if cost < best_cost:
                best, best_cost = p, cost
        if pitches:
            last_move = best - previous
        pitches.append(best)
        previous = best
    return pitches


def melody_scores(pitches: Sequence[int]) -> tuple[float, float]:
    """(step ratio over moves that change pitch, share of leaps recovered)."""
    moves = [b - a for a, b in zip(pitches, pitches[1:], strict=False)]
    changes = [m for m in moves if m]
    steps = sum(1 for m in changes if abs(m) <= 2)
    step_ratio = steps / len(changes) if changes else 1.0
    leaps = [k for k, m in enumerate(moves[:-1]) if abs(m) > 4]
    recovered = sum(1 for k in leaps if 1 <= abs(moves[k + 1]) <= 2 and moves[k + 1] * moves[k] < 0)
    return step_ratio, (recovered / len(leaps) if leaps else 1.0)


def _arp_line(slots: list[Slot], pool_of: dict[int, tuple[tuple[int, ...], tuple[int, ...],
              frozenset[int]]], plan: LinePlan, rng: random.Random) -> list[int]:
    """An arpeggiated hook: one shape over each bar's chord tones from a fixed floor."""
    shape = rng.choice(((0, 1, 2, 1), (0, 2, 1, 2), (0, 1, 2, 3), (2, 1, 0, 1), (0, 2, 3, 2),
                        (0, 1, 2, 3, 2, 1)))
    floor = plan.centre - 5
    pitches: list[int] = []
    counts: dict[int, int] = {}
    for i, slot in enumerate(slots):
        if i in plan.forced:
            pitches.append(plan.forced[i])
            continue
        _, chord_pitches, _ = pool_of[slot.bar]
        below = [p for p in chord_pitches if p < plan.climax_pitch] or list(chord_pitches[:1])
        first = min(range(len(below)), key=lambda n: abs(below[n] - floor))
        up = below[max(0, min(first, len(below) - 4)):][:4]
        k = counts.get(slot.bar, 0)
        counts[slot.bar] = k + 1
        pitches.append(up[shape[k % len(shape)] % len(up)])
    return pitches


GOOD_SCORE = 0.75 + 0.85 + 0.5 + 0.5 * 0.9
ATTEMPTS = 4


def line_score(slots: Sequence[Slot], pitches: Sequence[int],
               pool_of: dict[int, tuple[tuple[int, ...], tuple[int, ...], frozenset[int]]]) -> float:
    """How well a line keeps the rules: steps, recovered leaps, one climax, chord tones."""
    steps, recovered = melody_scores(pitches)
    top = max(pitches)
    single = sum(1 for p in pitches if p == top) == 1
    strong = [k for k, s in enumerate(slots) if s.strong]
    fit = sum(1 for k in strong if pitches[k] % 12 in pool_of[slots[k].bar][2]) / max(1, len(strong))
    return min(steps, 0.75) + min(recovered, 0.85) + (0.5 if single else 0.0) + 0.5 * fit


def draw_line(slots: list[Slot], lengths: Sequence[int], chords: Sequence[tuple[int, ...]],
              tonic: int, scale: tuple[int, ...], low: int, high: int, centre: float, kind: str,
              rng: random.Random, *, lead: bool = False, family: str = "vocal",
              motif_moves: Sequence[int] = (), lead_pool: tuple[int, ...] | None = None,
              pool_of: dict[int, tuple[tuple[int, ...], tuple[int, ...], frozenset[int]]] | None = None,
              ) -> tuple[float, list[int], LinePlan]:
    """Pitches for the slots: (score, pitches, plan with the climax and phrase endings)."""
    if pool_of is None:
        pool_of = {b: _pools(scale, tuple(chords[b % len(chords)]), low, high)
                   for b in {s.bar for s in slots}}
    plan = _choose_forced(slots, list(lengths), chords, tonic, scale, low, high, centre, kind, rng, lead)
    if lead and family == "arp":
        pitches = _arp_line(slots, pool_of, plan, rng)
    else:
        pitches = _draw(slots, chords, scale, low, high, plan, list(motif_moves), rng, pool_of,
                        lead_pool, family)
        _repair_strong_beats(slots, pitches, pool_of, plan)
        if lead and family in ("jazz", "blues"):
            _approach_notes(slots, pitches, plan, rng, low)
    return line_score(slots, pitches, pool_of), pitches, plan


def _approach_notes(slots: Sequence[Slot], pitches: list[int], plan: LinePlan, rng: random.Random,
                    low: int) -> None:
    """Jazz and blues lines: the off-beat note before a strong-beat chord tone becomes a
    chromatic approach a semitone below (or above) it, about half the time."""
    for k in range(1, len(slots)):
        slot, before = slots[k], slots[k - 1]
        if not slot.on_pulse or before.on_pulse or before.phrase_end or k - 1 in plan.forced:
            continue
        if abs(before.start + before.duration - slot.start) > EPS or rng.random() < 0.5:
            continue
        target = pitches[k]
        for approach in (target - 1, target + 1):
            prior = pitches[k - 2] if k >= 2 else approach
            if approach >= low and approach < plan.climax_pitch and abs(approach - prior) <= 2:
                pitches[k - 1] = approach
                break


def _repair_strong_beats(slots: Sequence[Slot], pitches: list[int],
                         pool_of: dict[int, tuple[tuple[int, ...], tuple[int, ...], frozenset[int]]],
                         plan: LinePlan) -> None:
    """A strong-beat note that is not a chord tone moves to the nearest chord tone."""
    for k, slot in enumerate(slots):
        _, chord_pitches, tones = pool_of[slot.bar]
        if not slot.strong or pitches[k] % 12 in tones or k == plan.climax_index:
            continue
        options = [p for p in chord_pitches if p < plan.climax_pitch] or list(chord_pitches)
        if options:
            pitches[k] = min(options, key=lambda p: (abs(p - pitches[k]), p))


def topline(
    chords: Sequence[tuple[int, ...]],
    key: Key,
    meter: str,
    *,
    section: str,
    energy: int,
    seed: int,
    register: tuple[int, int],
    motif: Sequence[tuple[float, float, int]] | None = None,
    role: str = "vocal",
    style: str = "",
) -> Topline:
    """A melody over `chords` (one chord per bar, pitch classes root first) for one section."""
    bars = len(chords)
    low, high = sorted((int(register[0]), int(register[1])))
    low, high = max(0, low), min(127, high)
    if high - low < 5:
        high = min(127, low + 12)
    if bars == 0:
        return Topline([], [], [])
    kind = section_kind(section)
    lead = role != "vocal"
    family = style_family(style) if lead else "vocal"
    energy = max(1, min(5, int(energy)))
    g = grid(meter)
    tonic, scale = key_pcs(key.tonic, key.mode)
    rng = random.Random(seed * 1_000_003 + _stable(kind) + (_stable(family) if lead else 0))
    chords = [tuple(c) if c else (tonic,) for c in chords]
    motif_cell = _motif_rhythm(motif, g) if motif else None
    motif_pitches = [p for s, _, p in sorted(motif) if -EPS <= s < g.bar - EPS] if motif else []
    motif_moves = [b - a for a, b in zip(motif_pitches, motif_pitches[1:], strict=False)]
    use_motif = motif_cell if (motif_cell and not lead) else None
    short = kind in ("hook", "drop", "post-chorus") or (lead and family == "arp")
    span = high - low
    base = low + max(4.0, 0.3 * span) if not lead else low + 0.35 * span
    centre = min(high - 6.0, base + SECTION_LIFT.get(kind, 0))
    pool_of = {b: _pools(scale, chords[b], low, high) for b in range(bars)}
    lead_pool = None
    if lead and family in ("blues", "rock"):
        lead_pool = _lead_pool(scale, tonic, family, low, high)
    best: tuple[float, list[Slot], list[int], LinePlan, list[int], list[_Cell]] | None = None
    for _attempt in range(ATTEMPTS):
        sub = random.Random(rng.random())
        slots, lengths, rhythms = rhythm_plan(bars, meter, sub, energy, motif_rhythm=use_motif,
                                              lead=lead, short_phrases=short)
        if not slots:
            continue
        quality, pitches, plan = draw_line(slots, lengths, chords, tonic, scale, low, high, centre,
                                           kind, sub, lead=lead, family=family,
                                           motif_moves=motif_moves if use_motif else [],
                                           lead_pool=lead_pool, pool_of=pool_of)
        dense = len(slots) >= 3 * bars or lead  # >= 3 notes a bar, first of all
        off = 0.0 if lead else max(0.0, abs(sum(pitches) / len(pitches) - centre - 0.5) - 0.5)
        # then the rules, then sitting where the section's register says (the chorus lift)
        score = quality - 0.3 * off + (10.0 if dense else 0.0)
        if best is None or score > best[0] + EPS:
            best = (score, slots, pitches, plan, lengths, list(rhythms))
        if dense and quality >= GOOD_SCORE - EPS and off <= 0.5:
            break
    if best is None:
        return Topline([], [], [])
    _, slots, pitches, plan, lengths, rhythms = best
    notes = velocities(slots, pitches, plan, energy, rng)
    devices, rule_ids = explain(slots, pitches, plan, lengths, rhythms, g, kind, lead, family,
                                 bool(use_motif), key)
    return Topline(notes, devices, rule_ids)


def velocities(slots: list[Slot], pitches: list[int], plan: LinePlan, energy: int,
                rng: random.Random) -> list[ToplineNote]:
    """The notes with velocities: louder with energy, accents on strong beats and the
    climax, phrase endings eased off, a little random spread."""
    base = 62 + 8 * energy
    out = []
    for i, (slot, pitch) in enumerate(zip(slots, pitches, strict=True)):
        velocity = base + (8 if slot.strong else 4 if slot.on_pulse else 0)
        if i == plan.climax_index:
            velocity += 10
        if slot.phrase_end:
            velocity -= 4
        velocity += rng.randint(-4, 4)
        out.append(ToplineNote(round(slot.start, 6), round(slot.duration, 6), int(pitch),
                               max(1, min(127, velocity))))
    return out


def explain(slots: list[Slot], pitches: list[int], plan: LinePlan, lengths: list[int],
             rhythms: list[_Cell], g: Grid, kind: str, lead: bool, family: str,
             from_motif: bool, key: Key) -> tuple[list[str], list[str]]:
    """The devices in plain words and the ids of the rules the line used."""
    from assistant import theory

    devices: list[str] = []
    rules = [R_CHORD_TONES, R_STEPS, R_LEAPS, R_CLIMAX, R_BREATHS]
    sizes = sorted(set(lengths))
    devices.append(f"phrases of {' and '.join(str(s) for s in sizes)} bars, each ending on a "
                   "held note and a breath")
    if len(lengths) > 1 or any(n > 1 for n in lengths):
        devices.append("the motif rhythm " + ("from the song's motif " if from_motif else "")
                       + "opens every phrase; the bars between vary")
        rules.append(R_MOTIF)
    climax = slots[plan.climax_index]
    devices.append(f"one climax: {theory.note_name(pitches[plan.climax_index], key)} in bar "
                   f"{climax.bar + 1}, the highest note, in the last third")
    questions = [i for i, e in plan.endings.items() if e == "question"]
    answers = [i for i, e in plan.endings.items() if e == "answer"]
    if questions and answers:
        devices.append("a question phrase ends open on the 2nd or 5th; the answering phrase "
                       "ends on the tonic")
        rules.append(R_ANSWER)
    elif answers:
        devices.append("the phrase ends on the tonic")
    devices.append("chord tones on the strong beats, steps between them; leaps turn back by step")
    if kind in LIFT_SECTIONS and not lead:
        devices.append("sits higher than the verse, so the chorus lifts")
        rules.append(R_LIFT)
    if g.compound:
        devices.append("rhythms in dotted quarters and eighths: the compound meter's own grid")
        rules.append(R_METER)
    elif len(g.units) == 1 and abs(g.bar - 3.0) < EPS:
        devices.append("rhythms in three beats to the bar")
        rules.append(R_METER)
    if lead:
        words = {"jazz": "an eighth-note line with chromatic approach notes into chord tones",
                 "blues": "blues-scale licks (flat 3rd, 5th and 7th) over the changes",
                 "arp": "an arpeggiated hook on the chord tones, repeated with the harmony",
                 "rock": "a pentatonic riff line",
                 "line": "a denser, wider instrumental line"}
        devices.append(words.get(family, words["line"]))
        rules.append(R_LEAD)
    return devices, rules
