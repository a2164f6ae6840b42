"""How a line sits on its notes (prosody): one syllable a note, stressed syllables on strong
beats, long notes on stressed syllables.

Three checks, each with a rule id and a concrete fix:
- `prosody.count`: more syllables than notes (cut words or split a note) or fewer (add words
  or hold one over two notes);
- `prosody.stress`: inside a word, the stressed syllable lands on a weaker beat than one of
  its unstressed syllables ("be-GIN" with "be" on beat 1 and "GIN" on the "and");
- `prosody.long-weak`: a note much longer than the line's others carries an unstressed
  syllable or a small word ("the" held for two beats).
Strong and weak beats follow the meter: in 4/4 beat 1, then 3, then 2 and 4, then the
off-beats (Pattison, "Writing Better Lyrics"; the metric hierarchy of Lerdahl and Jackendoff).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from assistant.lyrics.line import Line, shown

HELD_BADLY = frozenset("a an the of to and but or nor in on at by for from with as than if".split())
"""Small words that sound wrong held long even at a line's end ("...for the")."""


@dataclass(frozen=True)
class NoteSpan:
    start: float
    """Beats from the start of the section."""
    duration: float


@dataclass(frozen=True)
class Fit:
    rule: str
    problem: str
    suggestion: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "problem": self.problem, "suggestion": self.suggestion}


def strength(position: float, bar_beats: float, compound: bool = False) -> int:
    """Metric weight of a note starting `position` beats into the section: 3 the downbeat,
    2 the middle of the bar, 1 another beat, 0 between beats."""
    pos = round(position % bar_beats, 3)
    beat = 1.5 if compound else 1.0
    if pos == 0:
        return 3
    if bar_beats >= 4 * beat - 1e-6 and abs(pos - bar_beats / 2) < 1e-3 and (bar_beats / beat) % 2 == 0:
        return 2
    if compound and abs(pos - 1.5) < 1e-3 and bar_beats == 3:
        return 2
    if abs(pos / beat - round(pos / beat)) < 1e-3:
        return 1
    return 0


def beat_name(position: float, bar_beats: float) -> str:
    pos = position % bar_beats
    bar = int(position // bar_beats) + 1
    whole = int(pos + 1e-6)
    frac = pos - whole
    where = f"beat {whole + 1}" if frac < 1e-3 else (
        f"the “and” of beat {whole + 1}" if abs(frac - 0.5) < 1e-3 else f"between beats {whole + 1} and {whole + 2}")
    return f"{where} of bar {bar}"


def fit_line(number: int, line: Line, notes: list[NoteSpan], bar_beats: float = 4.0,
             compound: bool = False) -> list[Fit]:
    """Problems of line `number` (1-based) sung on `notes`, each with a fix."""
    fits: list[Fit] = []
    count, n = line.count, len(notes)
    if not notes or not count:
        return fits
    longest = max(notes, key=lambda x: x.duration)
    if count > n:
        cut = count - n
        splittable = [x for x in notes if x.duration >= 1.0]
        how = (f"cut {cut} syllable{'s' if cut > 1 else ''}"
               + (f" or split the long note{'s' if len(splittable) > 1 else ''} "
                  f"(the {_beats(longest.duration)} on {beat_name(longest.start, bar_beats)})"
                  if splittable else " (a small word like “the” or “and” is the easiest to lose)"))
        fits.append(Fit("prosody.count",
                        f"line {number} has {count} syllables for {n} notes",
                        how))
    elif count < n:
        more = n - count
        fits.append(Fit("prosody.count",
                        f"line {number} has {count} syllables for {n} notes",
                        f"add {more} syllable{'s' if more > 1 else ''}, or hold a word over "
                        f"{more + 1} notes (a slur), or tie {more + 1} notes into one"))
    pairs = list(zip(line.syllables, notes, strict=False))
    # stress inside a word: the stressed syllable on a weaker beat than an unstressed one
    by_word: dict[int, list[tuple[int, int]]] = {}
    for i, (syl, note) in enumerate(pairs):
        by_word.setdefault(syl.word, []).append((i, strength(note.start, bar_beats, compound)))
    for word, placed in by_word.items():
        if len(placed) < 2:
            continue
        stressed = [(i, s) for i, s in placed if pairs[i][0].stress == "1"]
        weak = [(i, s) for i, s in placed if pairs[i][0].stress == "0"]
        if not stressed or not weak:
            continue
        si, ss = stressed[0]
        wi, ws = max(weak, key=lambda x: x[1])
        if ss < ws:
            text = _word_shown(line, word)
            sung = pairs[si][0].text.upper()
            strong = _strong_beat_after(notes[si].start, bar_beats, compound)
            fits.append(Fit(
                "prosody.stress",
                f"line {number}: “{text}” lands its stress ({sung}) on "
                f"{beat_name(notes[si].start, bar_beats)}, weaker than "
                f"“{pairs[wi][0].text.lower()}” on {beat_name(notes[wi].start, bar_beats)}",
                f"move “{sung}” to {strong} (shift the word by a note, or add a pickup note), "
                f"or choose a word stressed the other way"))
    # a long note on a weak syllable
    durations = [x.duration for x in notes]
    typical = median(durations)
    for i, (syl, note) in enumerate(pairs):
        if note.duration < max(1.5, 2 * typical) or note.duration < longest.duration * 0.99:
            continue
        small = line.words[syl.word].text.lower() in HELD_BADLY
        final = i == len(pairs) - 1
        if (syl.stress == "0" and not final) or small:
            heavy = next((p for p, _ in pairs if p.stress == "1"), None)
            fits.append(Fit(
                "prosody.long-weak",
                f"line {number}: the weak syllable “{syl.text.lower()}” is held for "
                f"{_beats(note.duration)} on {beat_name(note.start, bar_beats)}",
                "give the long note to a stressed syllable"
                + (f" (like “{heavy.text.upper()}”)" if heavy is not None else "")
                + " and keep small words and weak syllables short"))
    return fits


def _beats(duration: float) -> str:
    return f"{duration:g} beat{'s' if duration != 1 else ''}"


def _word_shown(line: Line, word: int) -> str:
    part = Line(line.text, line.words, [s for s in line.syllables if s.word == word])
    return shown(part)


def _strong_beat_after(position: float, bar_beats: float, compound: bool) -> str:
    bar = int(position // bar_beats) + 1
    pos = position % bar_beats
    half = bar_beats / 2
    if pos < half and half > 1 and (bar_beats / (1.5 if compound else 1.0)) % 2 == 0:
        return f"beat {int(half) + 1 if not compound else 2} of bar {bar} (or beat 1)"
    return f"beat 1 of bar {bar + 1}"


def split_notes(notes: list[NoteSpan], lines: int, bar_beats: float) -> list[list[NoteSpan]]:
    """A section's melody shared out among its lines, at phrase ends: near each line's even
    share of the time, the boundary after the longest note plus rest (a line ends on a held
    note or a breath, and the next line's pickup starts after it)."""
    notes = sorted(notes, key=lambda x: x.start)
    if lines <= 1 or not notes:
        return [notes] + [[] for _ in range(max(0, lines - 1))]
    if len(notes) <= lines:
        return [[x] for x in notes] + [[] for _ in range(lines - len(notes))]
    first = notes[0].start
    span = max(x.start + x.duration for x in notes) - first
    cuts: list[int] = []
    for k in range(1, lines):
        target = first + span * k / lines
        window = span / lines / 2
        best, best_score = None, -1.0
        for i in range(max(cuts[-1] + 1 if cuts else 1, 1), len(notes) - (lines - k) + 1):
            start = notes[i].start
            if abs(start - target) > window + 1e-9:
                continue
            prev = notes[i - 1]
            ends = prev.duration + max(0.0, start - prev.start - prev.duration)
            score = ends - 0.01 * abs(start - target)  # ties: the boundary nearest the share
            if start % bar_beats == 0:
                score += 0.05
            if score > best_score:
                best, best_score = i, score
        if best is None:  # no note near the share: the nearest one
            lo = cuts[-1] + 1 if cuts else 1
            best = min(range(lo, len(notes) - (lines - k) + 1), key=lambda i: abs(notes[i].start - target))
        cuts.append(best)
    out, at = [], 0
    for cut in cuts:
        out.append(notes[at:cut])
        at = cut
    out.append(notes[at:])
    return out


def shape_rhythm(line: Line, bar_beats: float = 4.0, bars: int = 2) -> list[NoteSpan]:
    """A rhythm for the line: each stressed syllable starts a foot on a beat (every half bar
    when they fit, else every beat), the unstressed ones follow it as eighths, the syllables
    before the first stress are a pickup at the end of a lead-in bar, and the last syllable
    is held to the end. What the melody is reshaped with to set a line (`lyrics.setting`)."""
    syllables = line.syllables
    if not syllables:
        return []
    first = next((i for i, s in enumerate(syllables) if s.stress == "1"), 0)
    feet: list[list[int]] = []
    for i in range(first, len(syllables)):
        if syllables[i].stress == "1" or not feet:
            feet.append([i])
        else:
            feet[-1].append(i)
    room = bars * bar_beats
    foot = next((f for f in (bar_beats / 2, 1.0, 0.5) if len(feet) * f <= room), 0.5)
    step = min(0.5, foot / max(len(f) for f in feet))  # eighths, sixteenths in a crowded foot
    out: list[NoteSpan] = []
    pickup = first * step
    at = bar_beats if pickup else 0.0
    for k in range(first):
        out.append(NoteSpan(at - pickup + k * step, step))
    for f in feet:  # the stress takes the foot's length, its weak syllables close it as eighths
        weak = len(f) - 1
        out.append(NoteSpan(at, foot - weak * step))
        for k in range(weak):
            out.append(NoteSpan(at + foot - (weak - k) * step, step))
        at += foot
    end = (bar_beats if pickup else 0.0) + max(room, -(-(at - (bar_beats if pickup else 0)) // bar_beats) * bar_beats)
    last = out[-1]
    out[-1] = NoteSpan(last.start, max(last.duration, end - last.start))
    return out
