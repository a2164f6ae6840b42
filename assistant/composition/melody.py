"""Motifs and melodies by rule: a one-bar motif developed over a progression.

The rules, bar by bar:
- the motif is a rhythm (from a table of singable one-bar rhythms) and a contour (mostly
  steps of the scale, the odd leap of a third), both chosen by the seed;
- notes on strong beats are chord tones of the bar's chord; the notes between them move by
  step from the scale (passing and neighbour tones), so the line is singable;
- the motif comes back developed: repeated and moved with the harmony (sequence), turned
  upside down (inversion), shifted by an eighth (rhythmic displacement);
- each four-bar phrase ends on a longer note; the last bar is a cadence: a long chord tone
  of the last chord (its root when it can be reached);
- every note stays inside the singer's range.

Deterministic: the same key, progression, bars, seed and range give the same notes.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant import theory
from assistant.composition.chords import MINOR_FAMILY, looks_like_numeral
from assistant.composition.harmonize import check_meter, strong_beats
from assistant.errors import BadInput
from assistant.song import Key, Melody, Note, meter_parts

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
# Where each bar of a four-bar phrase starts, in scale steps from the middle of the range:
# the first phrase rises and settles, the second climbs higher before the cadence.
_ARCS = (((-1, 1, 2, 0), (0, 2, 1, -1)), ((1, 3, 4, 0), (2, 4, 3, -1)))
# One-bar rhythms in quarter-note beats, per bar length. Each sums to the bar.
_RHYTHMS: dict[float, tuple[tuple[float, ...], ...]] = {
    4.0: ((1, 1, 1, 1), (1.5, 0.5, 1, 1), (1, 0.5, 0.5, 2), (0.5, 0.5, 1, 0.5, 0.5, 1),
          (2, 1, 1), (1, 1, 2), (1.5, 0.5, 2), (0.5, 0.5, 0.5, 0.5, 1, 1)),
    3.0: ((1, 1, 1), (2, 1), (1.5, 0.5, 1), (1, 0.5, 0.5, 1), (0.5, 0.5, 1, 1)),
    2.0: ((1, 1), (1.5, 0.5), (0.5, 0.5, 1)),
    6.0: ((1.5, 1.5, 1.5, 1.5), (1, 0.5, 1.5, 1, 0.5, 1.5), (1.5, 1, 0.5, 3)),
}
# Scale-step contours: the motif's steps between notes (mostly steps, some thirds).
_STEPS = (-2, -1, -1, 1, 1, 2)


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


def _chord_scale(key: Key, tones: Sequence[int], low: int, high: int) -> list[int]:
    """The key's scale bent to the chord: a chord tone outside the scale (G# of V in A minor)
    replaces the scale note a semitone from it, so passing notes never clash with it."""
    pcs = set(theory.scale_pitch_classes(key))
    for tone in tones:
        if tone not in pcs:
            pcs -= {(tone - 1) % 12, (tone + 1) % 12} - set(tones)
            pcs.add(tone)
    return [p for p in range(low, high + 1) if p % 12 in pcs]


def _nearest(candidates: Sequence[int], target: float, prefer_up: bool = True) -> int:
    return min(candidates, key=lambda p: (abs(p - target), -p if prefer_up else p))


def _step(scale: Sequence[int], pitch: int, steps: int) -> int:
    """Move `steps` scale steps from the scale note nearest `pitch`, clamped to the range."""
    index = scale.index(_nearest(scale, pitch))
    return scale[max(0, min(len(scale) - 1, index + steps))]


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
    num, den = meter_parts(meter)
    bar_len = num * 4 / den
    rng = random.Random(seed)
    rhythm = _motif_rhythm(bar_len, rng)
    contour = [rng.choice(_STEPS) for _ in rhythm[1:]]
    scale = _scale_pitches(key, low, high)
    if not scale:
        raise BadInput(f"no note of {key.name} fits in the range")
    plan = _plan(bars, rng)
    strong = strong_beats(meter)
    notes: list[Note] = []
    motif_notes: list[Note] = []
    middle = scale.index(_nearest(scale, (low + high) / 2))
    arcs = [rng.choice(_ARCS[0]), rng.choice(_ARCS[1])]
    previous = scale[middle]
    for bar, (numeral, technique) in enumerate(zip(per_bar, plan, strict=True)):
        arc = arcs[(bar // 4) % 2][bar % 4]
        anchor = scale[max(0, min(len(scale) - 1, middle + arc))]
        tones = theory.numeral_to_pitch_classes(numeral, key)
        chord_pitches = [p for p in range(low, high + 1) if p % 12 in tones]
        bar_scale = _chord_scale(key, tones, low, high)
        bar_rhythm, bar_contour = _develop(rhythm, contour, technique, bar_len)
        start = bar * bar_len
        placed = _realise(bar_rhythm, bar_contour, strong, chord_pitches, bar_scale, previous,
                          anchor, technique, tones, final=bar == bars - 1)
        for onset, duration, pitch in placed:
            note = Note(pitch=pitch, start=start + onset, duration=duration,
                        velocity=100 if any(abs(onset - s) < 1e-9 for s in strong) else 84)
            notes.append(note)
            if bar == 0:
                motif_notes.append(note)
            previous = pitch
    return MelodyIdea(
        key=key, meter=meter, progression=per_bar,
        motif=Melody(notes=motif_notes, source=f"motif, generated seed {seed}"),
        melody=Melody(notes=notes, source=f"generated seed {seed}"),
        plan=plan, low=low, high=high,
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


def _motif_rhythm(bar_len: float, rng: random.Random) -> list[float]:
    table = _RHYTHMS.get(bar_len)
    if table:
        return [float(d) for d in rng.choice(table)]
    # an unusual meter (5/4, 7/8): quarter notes with an eighth pair somewhere
    beats = [1.0] * int(bar_len)
    rest = bar_len - sum(beats)
    if rest > 0:
        beats.append(rest)
    if len(beats) > 1:
        i = rng.randrange(len(beats) - 1)
        beats[i:i + 1] = [beats[i] / 2, beats[i] / 2]
    return beats


DEVICE_WHY: dict[str, str] = {
    "motif": "the idea: a short rhythm on the chord's tones with steps between them, "
             "short enough to remember",
    "sequence": "the motif again, moved to fit the new chord: repetition the ear "
                "recognises, new pitches that keep it moving",
    "inversion": "the motif upside down (its steps go the other way): a variation that "
                 "still sounds related",
    "displacement": "the motif shifted by an eighth: the same shape landing off the beat, "
                    "for push",
    "cadence": "the phrase ends: a longer note on a tone of the chord, so it sounds finished",
}
"""What each development device of the plan does, in plain words (shown with the melody)."""


def _plan(bars: int, rng: random.Random) -> list[str]:
    """Which development each bar uses: four-bar phrases, the last bar a cadence."""
    phrase_a = ["motif", "sequence", rng.choice(("inversion", "displacement")), "cadence"]
    phrase_b = ["motif", "sequence", rng.choice(("displacement", "inversion")), "cadence"]
    plan = []
    for bar in range(bars):
        phrase = phrase_a if (bar // 4) % 2 == 0 else phrase_b
        plan.append(phrase[bar % 4])
    if bars % 4 and bars > 1:
        plan[-1] = "cadence"
    if bars == 1:
        plan = ["cadence"]
    return plan


def _develop(rhythm: list[float], contour: list[int], technique: str,
             bar_len: float) -> tuple[list[float | None], list[int]]:
    """The bar's rhythm (None = a rest of the next duration) and contour."""
    if technique == "inversion":
        return list(rhythm), [-s for s in contour]
    if technique == "displacement" and rhythm[-1] >= 1.0:
        # start an eighth late: a rest, the motif, its last note shortened
        shifted: list[float | None] = [None, 0.5, *rhythm[:-1], rhythm[-1] - 0.5]
        return shifted, list(contour)
    if technique == "cadence":
        # the motif's head, then a long note to rest on
        head = rhythm[:2] if len(rhythm) > 2 else rhythm[:1]
        tail = bar_len - sum(head)
        if tail <= 0:
            return list(rhythm), list(contour)
        return [*head, tail], contour[: len(head)]
    return list(rhythm), list(contour)


def _realise(
    rhythm: list[float | None],
    contour: list[int],
    strong: Sequence[float],
    chord_pitches: list[int],
    scale: list[int],
    previous: int,
    anchor: int,
    technique: str,
    tones: Sequence[int],
    final: bool,
) -> list[tuple[float, float, int]]:
    """(onset, duration, pitch) for one bar: chord tones on strong beats (and on the first
    note), scale steps between them."""
    events: list[tuple[float, float]] = []
    onset = 0.0
    i = 0
    while i < len(rhythm):
        value = rhythm[i]
        if value is None:  # a rest: its length is the next value
            onset += float(rhythm[i + 1] or 0.0)
            i += 2
            continue
        events.append((onset, float(value)))
        onset += float(value)
        i += 1
    out: list[tuple[float, float, int]] = []
    pitch = previous
    direction = 1 if technique != "inversion" else -1
    for n, (start, duration) in enumerate(events):
        on_strong = any(start - 1e-9 <= s < start + duration - 1e-9 for s in strong)
        last_note = n == len(events) - 1
        if n == 0:
            # head for the phrase's planned register, but never leap more than a fourth
            target = max(previous - 5, min(previous + 5, anchor))
            pitch = _nearest(chord_pitches, target, prefer_up=direction > 0)
        else:
            step = contour[n - 1] if n - 1 < len(contour) else 1
            candidate = _step(scale, pitch, step)
            if candidate == pitch:  # at the edge of the range: turn round
                candidate = _step(scale, pitch, -step)
            if on_strong:
                # the chord tone a step or so on in the contour's direction
                pitch = _nearest(chord_pitches, pitch + (1.5 if step > 0 else -1.5), step > 0)
            else:
                pitch = candidate
        if last_note and technique == "cadence":
            pitch = _cadence_pitch(chord_pitches, tones, pitch, final)
        out.append((start, duration, pitch))
    return out


def _cadence_pitch(chord_pitches: list[int], tones: Sequence[int], near: int,
                   final: bool) -> int:
    """The phrase's resting note: on the last bar the chord's root if it is within a fifth
    of the line, otherwise the nearest chord tone."""
    if final:
        roots = [p for p in chord_pitches if p % 12 == tones[0] % 12]
        close = [p for p in roots if abs(p - near) <= 7]
        if close:
            return _nearest(close, near)
    return _nearest(chord_pitches, near)


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
