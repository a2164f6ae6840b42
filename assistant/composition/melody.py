"""Motifs and melodies by rule: a one-bar motif developed over a progression.

The rules, bar by bar (the phrase, rhythm and pitch machinery is the topline's,
`assistant.composition.topline`, so `coach melody` and the demos' melodies agree):
- the motif is a rhythm in the meter's own grid (dotted quarters and eighths in 6/8 and
  12/8, three beats in 3/4) and a contour drawn by the rules below, both chosen by the seed;
- phrases of 2 or 4 bars; each opens with the motif, brings it back developed — moved with
  the harmony (sequence), turned upside down (inversion), shifted by an eighth (rhythmic
  displacement) — sets a new rhythm against it (contrast), and ends on a held note and a
  breath (cadence);
- notes on strong beats are chord tones of the bar's chord; the notes between them move by
  step (passing and neighbour tones); a leap turns back by step;
- one climax, the single highest note, in the last third; a phrase ending on the 2nd or 5th
  is answered by one ending on the tonic; the last bar is a long chord tone of the last chord
  (its root or the tonic when it can be);
- every note stays inside the singer's range.

Deterministic: the same key, progression, bars, seed and range give the same notes.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant import theory
from assistant.composition.chords import MINOR_FAMILY, looks_like_numeral
from assistant.composition.harmonize import check_meter
from assistant.errors import BadInput
from assistant.song import Key, Melody, Note, meter_parts

if TYPE_CHECKING:
    from assistant.composition.topline import Grid

MIN_RANGE = 5
"""Semitones: any range this wide holds a tone of every triad (a fourth, plus one)."""
DEFAULT_PROGRESSIONS: dict[str, tuple[str, ...]] = {
    "major": ("I", "V", "vi", "IV", "I", "IV", "V", "I"),
    "minor": ("i", "bVI", "bIII", "bVII", "i", "iv", "V", "i"),
    "dorian": ("i", "IV", "i", "bVII", "i", "IV", "bVII", "i"),
    "phrygian": ("i", "bII", "bVII", "i", "iv", "bII", "bVII", "i"),
    "lydian": ("I", "II", "vii", "I", "I", "II", "V", "I"),
    "mixolydian": ("I", "bVII", "IV", "I", "I", "bVII", "IV", "I"),
    "locrian": ("i°", "bII", "biii", "i°", "i°", "bII", "biii", "i°"),
}
"""Eight bars ending at home; used when no progression is given (the last bar made the tonic)."""
@dataclass
class MelodyIdea:
    key: Key
    meter: str
    progression: list[str]
    """One numeral per bar."""
    motif: Melody
    melody: Melody
    plan: list[str] = field(default_factory=list)
    """What each bar does: "motif", "sequence", "inversion", "displacement", "cadence"."""
    low: int = 60
    high: int = 72
    devices: list[str] = field(default_factory=list)
    """The topline rules' own words for what the melody does (climax, phrase endings...)."""
    rule_ids: list[str] = field(default_factory=list)
    """Ids of the melody rules used (knowledge/melody/rules.toml)."""
    phrases: list[int] = field(default_factory=list)
    """Phrase lengths in bars."""


def parse_range(text: str) -> tuple[int, int]:
    """"C4-C5" (or "C4..C5", "C4 to C5", "60-72") -> (60, 72). BadInput when the text is not
    two notes, runs backwards or is narrower than a fourth."""
    parts = [p for p in re.split(r"\s*(?:\.\.|–|—| to |-(?=[A-Ga-g\d]))\s*", text.strip()) if p]
    if len(parts) != 2:
        raise BadInput(f"unknown range {text!r}: give two notes like C4-C5 or A3-A4")
    low, high = (int(p) if p.isdigit() else _note(p, text) for p in parts)
    return check_range_bounds(low, high, text)


def _note(token: str, whole: str) -> int:
    try:
        return theory.parse_note(token)
    except BadInput:
        raise BadInput(f"unknown note {token!r} in range {whole!r}: give two notes with "
                       "octaves like C4-C5 (C4 = middle C)") from None


def check_range_bounds(low: int, high: int, text: str = "") -> tuple[int, int]:
    shown = text or f"{theory.note_name(low)}-{theory.note_name(high)}"
    if not (0 <= low <= 127 and 0 <= high <= 127):
        raise BadInput(f"range {shown!r} is outside the MIDI notes 0-127")
    if high - low < MIN_RANGE:
        raise BadInput(f"range {shown!r} is too narrow: give at least a fourth "
                       f"({MIN_RANGE} semitones), like C4-F4 or wider")
    return low, high


def progression_numerals(progression: Sequence[str] | None, key: Key) -> list[str]:
    """Chords as numerals (symbols are converted); the key's default when none given."""
    if not progression:
        return list(DEFAULT_PROGRESSIONS[key.mode])
    tokens: list[str] = []
    for item in progression:
        tokens.extend(item.replace(",", " ").replace("–", " ").split())
    out = []
    for token in tokens:
        try:
            if looks_like_numeral(token):
                theory.parse_numeral(token)
                out.append(token)
            else:
                out.append(theory.symbol_to_numeral(token, key))
        except BadInput as error:
            detail = str(error).split(": ", 1)[-1]
            raise BadInput(f"unknown chord {token!r}: {detail}") from None
    if not out:
        raise BadInput("the progression is empty: give chords like \"Am F C G\" or \"i bVI\"")
    return out


def _scale_pitches(key: Key, low: int, high: int) -> list[int]:
    pcs = set(theory.scale_pitch_classes(key))
    return [p for p in range(low, high + 1) if p % 12 in pcs]


def compose(
    key: Key | str,
    progression: Sequence[str] | None = None,
    bars: int = 8,
    seed: int = 0,
    low: int = 60,
    high: int = 72,
    meter: str = "4/4",
) -> MelodyIdea:
    """A motif and a melody developed from it over `bars` bars of the progression (one
    chord per bar, repeated to fill), inside [low, high]."""
    from assistant.composition import topline as tl

    if isinstance(key, str):
        key = theory.parse_key(key)
    if not 1 <= bars <= 256:
        raise BadInput(f"--bars {bars} is out of range: use 1-256")
    meter = check_meter(meter)
    low, high = check_range_bounds(low, high)
    numerals = progression_numerals(progression, key)
    per_bar = [numerals[i % len(numerals)] for i in range(bars)]
    if not progression and bars > 1:
        per_bar[-1] = DEFAULT_PROGRESSIONS[key.mode][0]  # end at home
    if not _scale_pitches(key, low, high):
        raise BadInput(f"no note of {key.name} fits in the range")
    g = tl.grid(meter)
    rng = random.Random(seed)
    energy = 3
    lengths = tl.phrase_lengths(bars)
    plan = _plan(lengths, rng)
    motif_rhythm = tl.bar_rhythm(g, rng, energy)
    while sum(1 for d in motif_rhythm if d > 0) < 3 and g.bar >= 2:
        motif_rhythm = tl.bar_rhythm(g, rng, energy + 1)
    used: set[tuple[float, ...]] = {motif_rhythm}
    rhythms = [_bar_cell(technique, motif_rhythm, g, rng, energy, final=bar == bars - 1, used=used)
               for bar, technique in enumerate(plan)]
    signs = {bar: (-1 if technique == "inversion" else 1) for bar, technique in enumerate(plan)
             if technique in ("motif", "sequence", "inversion", "displacement")}
    slots = tl.slots_from_rhythms(g, rhythms, lengths, signs)
    chords = [tuple(theory.numeral_to_pitch_classes(n, key)) for n in per_bar]
    tonic, scale = tl.key_pcs(key.tonic, key.mode)
    span = high - low
    centre = min(high - 4.0, low + max(3.0, 0.4 * span))
    best: tuple[float, list[int], tl.LinePlan] | None = None
    for _attempt in range(4):
        sub = random.Random(rng.random())
        _, first, _ = tl.draw_line(slots, lengths, chords, tonic, scale, low, high, centre,
                                   "melody", random.Random(sub.random()))
        # the motif's own shape guides its sequence and inversion
        head = [p for slot, p in zip(slots, first, strict=True) if slot.bar == 0]
        moves = [b - a for a, b in zip(head, head[1:], strict=False)]
        score, pitches, line_plan = tl.draw_line(slots, lengths, chords, tonic, scale, low, high,
                                                 centre, "melody", sub, motif_moves=moves)
        if best is None or score > best[0] + 1e-9:
            best = (score, pitches, line_plan)
        if score >= tl.GOOD_SCORE:
            break
    assert best is not None
    _, pitches, line_plan = best
    played = tl.velocities(slots, pitches, line_plan, energy, rng)
    notes = [Note(pitch=n.pitch, start=n.start, duration=n.duration, velocity=n.velocity)
             for n in played]
    motif_notes = [n for n in notes if n.start < g.bar - 1e-9]
    devices, rule_ids = tl.explain(slots, pitches, line_plan, lengths, rhythms, g, "melody",
                                    False, "vocal", False, key)
    return MelodyIdea(
        key=key, meter=meter, progression=per_bar,
        motif=Melody(notes=motif_notes, source=f"motif, generated seed {seed}"),
        melody=Melody(notes=notes, source=f"generated seed {seed}"),
        plan=plan, low=low, high=high, devices=devices, rule_ids=rule_ids, phrases=lengths,
    )


def make_melody(
    key: Key | str,
    progression: Sequence[str] | None = None,
    bars: int = 8,
    seed: int = 0,
    low: int = 60,
    high: int = 72,
    meter: str = "4/4",
) -> Melody:
    """The melody of compose(): a song.Melody in quarter-note beats."""
    return compose(key, progression, bars, seed, low, high, meter).melody


DEVICE_WHY: dict[str, str] = {
    "motif": "the idea: a short rhythm on the chord's tones with steps between them, "
             "short enough to remember",
    "sequence": "the motif again, moved to fit the new chord: repetition the ear "
                "recognises, new pitches that keep it moving",
    "inversion": "the motif upside down (its steps go the other way): a variation that "
                 "still sounds related",
    "displacement": "the motif shifted by an eighth: the same shape landing off the beat, "
                    "for push",
    "contrast": "a new rhythm set against the motif, so the melody develops instead of "
                "looping one bar",
    "cadence": "the phrase ends: a longer note on a tone of the chord and a breath, so it "
               "sounds finished",
}
"""What each development device of the plan does, in plain words (shown with the melody)."""


def _plan(lengths: Sequence[int], rng: random.Random) -> list[str]:
    """Which development each bar uses, phrase by phrase; every phrase ends on a cadence."""
    plan: list[str] = []
    for number, length in enumerate(lengths):
        if length == 1:
            phrase = ["cadence"]
        elif length == 2:
            phrase = ["motif", "cadence"]
        elif length == 3:
            phrase = ["motif", "sequence", "cadence"]
        elif number % 2 == 0:
            phrase = ["motif", "contrast", "sequence", "cadence"]
        else:
            phrase = ["motif", rng.choice(("inversion", "displacement")), "contrast", "cadence"]
        plan += phrase
    return plan


def _bar_cell(technique: str, motif: tuple[float, ...], g: Grid, rng: random.Random,
              energy: int, final: bool, used: set[tuple[float, ...]]) -> tuple[float, ...]:
    """One bar's rhythm for a development device (negative values are rests)."""
    from assistant.composition import topline as tl

    if technique in ("motif", "sequence", "inversion"):
        return motif
    if technique == "displacement":
        cells = list(motif)
        longest = max((i for i, d in enumerate(cells) if d >= 1.0 - 1e-9), default=None,
                      key=lambda i: (cells[i], i))
        if longest is not None:
            cells[longest] -= 0.5
            return (-0.5, *cells)
        notes = [i for i, d in enumerate(cells) if d > 0]
        if len(notes) >= 3 and cells[-1] > 0:
            return (-0.5, *cells[:-2], cells[-2] + cells[-1] - 0.5) if cells[-2] > 0 else motif
        return motif
    if technique == "contrast":
        return _fresh(lambda: tl.bar_rhythm(g, rng, energy), used)
    if final:
        # the motif's head, then a long note to the end of the bar
        head: list[float] = []
        for d in motif:
            if d <= 0 or sum(head) + d > g.bar / 2 + 1e-9:
                break
            head.append(d)
        if not head or g.bar - sum(head) < 1.0:
            head = []
        return (*head, g.bar - sum(head))
    return _fresh(lambda: tl.bar_rhythm(g, rng, energy, end=True), used)


def _fresh(make: Callable[[], tuple[float, ...]], used: set[tuple[float, ...]]) -> tuple[float, ...]:
    """A rhythm not heard yet in this melody when one comes up in a few tries."""
    cell = make()
    for _ in range(8):
        if cell not in used:
            break
        cell = make()
    used.add(cell)
    return cell


def check_range(melody: Melody, low: int, high: int, meter: str = "4/4") -> list[str]:
    """One message per note outside [low, high] (bar and beat given), empty when all fit."""
    num, den = meter_parts(meter)
    bar_len = num * 4 / den
    problems = []
    for note in melody.notes:
        if low <= note.pitch <= high:
            continue
        bar = int(note.start // bar_len) + 1
        beat = note.start - (bar - 1) * bar_len + 1
        where = f"bar {bar}, beat {beat:g}"
        if note.pitch > high:
            problems.append(f"{theory.note_name(note.pitch)} ({where}) is {note.pitch - high} "
                            f"semitones above the top of the range, {theory.note_name(high)}")
        else:
            problems.append(f"{theory.note_name(note.pitch)} ({where}) is {low - note.pitch} "
                            f"semitones below the bottom of the range, {theory.note_name(low)}")
    return problems


def key_signature_name(key: Key) -> str | None:
    """The key as mido names key signatures ("Am", "F#"), or None for the church modes."""
    if key.mode == "major":
        return key.tonic
    if key.mode == "minor":
        return key.tonic + "m"
    return None


def is_minor(key: Key) -> bool:
    return key.mode in MINOR_FAMILY
