"""Do the demos sound like music? Issue 12's criteria, measured from the arranged events.

Renders `coach render --demo`'s arrangement (`assistant.render.arrange.arrange(song,
demo=True)`), writes it as the MIDI file `coach render --midi` writes and measures that file,
for >= 24 songs made the way
`coach render --mood/--genre/--meter` makes them: every genre in knowledge/genres.toml at
least once, 4/4, 3/4, 6/8 and 12/8, many moods. Per demo, each criterion is met (Y), not
met (n) or does not apply (-):

| column | criterion |
|---|---|
| end | the last chord is the tonic, reached from V, IV, bVII, ii, bVI or bII (a cadence) |
| plays | every instrument of the line-up plays |
| mel | every vocal section (verse, pre-chorus, chorus, bridge, hook) has a melody (>= 1.5 notes a bar) |
| lead | the melody/lead line plays >= 3 notes a bar on average in sections of energy >= 3 |
| dens | the first chorus is >= 1.3x as dense as the first verse (notes a bar), or adds an instrument |
| lift | the chorus melody is 3-7 semitones higher than the verse melody (mean pitch) |
| drums | drum bars vary inside sections: >= 2 distinct bar patterns per section on average |
| fills | section-end fills differ: >= min(3, fills) distinct fill shapes in the song |
| ghost | ghost notes (snare hits < 60 % of the backbeat's velocity) >= 0.5 a bar: funk, r&b, hip-hop, jazz, lo-fi |
| vel | velocity SD within each part (per section; drums per drum) is 6-12 |
| feel | onsets off the grid (straight, triplet and the genre's swing positions) spread 5-15 ms (SD) |
| step | vocal melody: >= 60 % of moves (repeats excluded) are steps of 1-2 semitones |
| leap | vocal melody: >= 70 % of leaps (> 4 semitones) turn back by step |
| rest | vocal melody: a rest (>= an eighth) at least every 4 bars, in every vocal section |
| peak | vocal melody: the single highest note in the last third, in >= 75 % of vocal sections |
| rhy | vocal melody: no 1-3 bar rhythm looped: >= 4 distinct bar rhythms per vocal section of 8+ bars (else 3) |
| ct | vocal melody: >= 80 % of its strong-beat notes are tones of the chord sounding then (chord, pad and bass parts) |
| voice | chord parts move <= 2.5 semitones per voice on average between chords |
| appr | bass: >= 25 % of chord changes approached by a step or from the new root's fifth |
| sync | compound meters: bass and chords within 15 ms of the drums on the beat (mean offset) |

Also `coach melody` over 60 melodies: steps, recovered leaps, rests, climax, rhythm variety,
dotted-quarter phrasing in 6/8 and 12/8.

Run: `.venv/bin/python benchmarks/eval_musicality.py [--json] [--no-write] [--no-figures] [--readme]`.
Writes benchmarks/RESULTS-musicality.md and piano rolls in benchmarks/figures/ (unless told not
to); --readme replaces the figures between the musicality markers in README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from assistant.composition.topline import section_kind  # noqa: E402
from assistant.render.events import CLICK_CHANNEL, Arrangement, SectionSpan, TimedNote, Track  # noqa: E402

RESULTS = REPO / "benchmarks" / "RESULTS-musicality.md"
LEGEND = {row.split("|")[1].strip(): row.split("|")[2].strip()
          for row in (__doc__ or "").splitlines() if row.startswith("| ") and not row.startswith("| column")}
"""Column -> what it checks, from the table in this docstring."""
FIGURES = REPO / "benchmarks" / "figures"
VOCAL_KINDS = frozenset({"verse", "pre-chorus", "chorus", "post-chorus", "bridge", "hook"})
GHOST_STYLES = ("funk", "r&b", "rnb", "hip-hop", "jazz", "neo-soul", "neo soul", "lo-fi")
SNARES = (37, 38, 39, 40)
CADENCE_ROOTS = {7: "V", 5: "IV", 10: "bVII", 2: "ii", 8: "bVI", 1: "bII"}
COLUMNS = ("end", "plays", "mel", "lead", "dens", "lift", "drums", "fills", "ghost", "vel", "feel",
           "step", "leap", "rest", "peak", "rhy", "ct", "voice", "appr", "sync")


@dataclass(frozen=True)
class Demo:
    genre: str
    mood: str
    meter: str | None = None
    key: str | None = None
    seed: int = 0

    @property
    def label(self) -> str:
        return f"{self.genre} · {self.mood} · {self.meter or 'own meter'}"


DEMOS: tuple[Demo, ...] = (
    Demo("pop", "happy"),
    Demo("rock", "energetic"),
    Demo("hip-hop", "confident"),
    Demo("trap", "dark"),
    Demo("lo-fi", "chill"),
    Demo("edm", "energetic"),
    Demo("house", "danceable"),
    Demo("r&b", "sensual", "12/8"),
    Demo("jazz", "romantic", "3/4"),
    Demo("folk", "nostalgic", "3/4"),
    Demo("country", "hopeful"),
    Demo("metal", "angry"),
    Demo("punk", "angry"),
    Demo("funk", "playful"),
    Demo("disco", "happy"),
    Demo("reggae", "calm"),
    Demo("ambient", "dreamy"),
    Demo("indie", "bittersweet", "6/8"),
    Demo("ballad", "sad", "6/8"),
    Demo("blues", "lonely", "12/8"),
    Demo("synthwave", "nostalgic"),
    Demo("bossa nova", "romantic"),
    Demo("cinematic", "epic", "6/8"),
    Demo("reggaeton", "sensual"),
    Demo("pop", "sad", "6/8", seed=1),
    Demo("jazz", "reflective", seed=2),
    Demo("country", "lonely", "3/4", seed=1),
    Demo("rock", "triumphant", "12/8", seed=3),
)


@dataclass
class Check:
    ok: bool | None
    """None: does not apply to this demo."""
    value: str = ""


@dataclass
class DemoResult:
    demo: Demo
    genre: str
    meter: str
    tempo: float
    key: str
    sections: str
    checks: dict[str, Check] = field(default_factory=dict)

    @property
    def met(self) -> int:
        return sum(1 for c in self.checks.values() if c.ok)

    @property
    def applicable(self) -> int:
        return sum(1 for c in self.checks.values() if c.ok is not None)


# ---------------------------------------------------------------- building the demos


def build_song(demo: Demo):  # type: ignore[no-untyped-def]
    from assistant.rules import song_from_options

    return song_from_options(demo.mood, demo.genre, demo.key, None, demo.meter, demo.seed)


def render_demo(demo: Demo) -> tuple[object, Arrangement]:
    from assistant.render.arrange import arrange

    song = build_song(demo)
    return song, arrange(song, demo=True)


def from_midi(data: bytes, like: Arrangement) -> Arrangement:
    """The arrangement as the MIDI file says it: every note read back from the type-1 file
    (`encode_smf`, what `coach render --midi` writes), the tracks' names, roles and channels
    and the sections' energies taken from `like` (the file has no word for them)."""
    import io

    import mido

    midi = mido.MidiFile(file=io.BytesIO(data))
    per_beat = midi.ticks_per_beat
    tracks = []
    for source, midi_track in zip(like.tracks, midi.tracks[1:], strict=True):
        sounding: dict[tuple[int, int], tuple[int, int]] = {}
        notes = []
        tick = 0
        for message in midi_track:
            tick += message.time
            if message.type == "note_on" and message.velocity > 0:
                sounding[(message.channel, message.note)] = (tick, message.velocity)
            elif message.type in ("note_off", "note_on"):
                started = sounding.pop((message.channel, message.note), None)
                if started is not None:
                    notes.append(TimedNote(started[0] / per_beat, (tick - started[0]) / per_beat,
                                           message.note, started[1]))
        notes.sort(key=lambda n: (n.start, n.pitch))
        tracks.append(Track(source.name, source.role, source.channel, source.program, notes))
    markers = []
    tick = 0
    for message in midi.tracks[0]:
        tick += message.time
        if message.type == "marker" and message.text != "count-in":
            markers.append((message.text, tick / per_beat))
    sections = [SectionSpan(name, start, span.bars, span.energy, span.index)
                for (name, start), span in zip(markers, like.sections, strict=True)]
    return Arrangement(like.title, like.tempo, like.meter, like.key_tonic, like.key_mode, like.bar_beats,
                       tracks, sections, like.count_in_bars)


# ---------------------------------------------------------------- helpers


def _tracks(arr: Arrangement) -> list[Track]:
    return [t for t in arr.tracks if t.channel != CLICK_CHANNEL and t.role != "click"]


def _span_notes(track: Track, start: float, end: float) -> list:  # type: ignore[type-arg]
    return [n for n in track.notes if start - 1e-6 <= n.start < end - 1e-6]


def _bar_start(arr: Arrangement, index: int) -> float:
    return (arr.count_in_bars + index) * arr.bar_beats


def _melody_track(arr: Arrangement) -> Track | None:
    tracks = _tracks(arr)
    return next((t for t in tracks if t.role == "melody" and t.notes), None) or \
        next((t for t in tracks if t.role == "lead" and t.notes), None)


def _line(notes: Sequence) -> list:  # type: ignore[type-arg]
    """The top note of each onset: a monophonic line."""
    by_onset: dict[float, object] = {}
    for n in sorted(notes, key=lambda n: (n.start, -n.pitch)):
        key = round(n.start, 3)
        if key not in by_onset:
            by_onset[key] = n
    return [by_onset[k] for k in sorted(by_onset)]


def _tonic_pc(arr: Arrangement) -> int:
    from assistant import theory

    return theory.parse_pitch_class(arr.key_tonic)


def _ms(arr: Arrangement, beats: float) -> float:
    return beats * 60000.0 / arr.tempo


# ---------------------------------------------------------------- the criteria


def melody_figures(notes: Sequence, section_beats: float, bar_beats: float) -> dict[str, float]:  # type: ignore[type-arg]
    """Step ratio, leap recovery (with counts), longest stretch without a rest (bars), and
    whether the single highest note falls in the last third, for one section's line."""
    line = _line(notes)
    pitches = [n.pitch for n in line]
    moves = [b - a for a, b in zip(pitches, pitches[1:], strict=False)]
    changes = [m for m in moves if m]
    steps = sum(1 for m in changes if abs(m) <= 2)
    leaps = [k for k, m in enumerate(moves[:-1]) if abs(m) > 4]
    recovered = sum(1 for k in leaps if 1 <= abs(moves[k + 1]) <= 2 and moves[k + 1] * moves[k] < 0)
    # rests: gaps of at least an eighth; the longest stretch sung without one (from where
    # the singing starts again to the next rest)
    section_start = line[0].start - (line[0].start % bar_beats) if line else 0.0
    stretches = []
    since = line[0].start if line else 0.0
    for a, b in zip(line, line[1:], strict=False):
        if b.start - (a.start + a.duration) >= 0.5 - 1e-6:
            stretches.append(a.start + a.duration - since)
            since = b.start
    if line:
        stretches.append(line[-1].start + line[-1].duration - since)
    longest = max(stretches, default=0.0) / bar_beats
    top = max(pitches) if pitches else 0
    tops = [n for n in line if n.pitch == top]
    third = section_start + section_beats * 2 / 3
    climax = bool(pitches) and len(tops) == 1 and tops[0].start >= third - 1e-6
    return {"changes": len(changes), "steps": steps, "leaps": len(leaps), "recovered": recovered,
            "longest": longest, "climax": float(climax), "notes": len(line),
            "mean": statistics.fmean(pitches) if pitches else 0.0}


def check_ending(arr: Arrangement) -> Check:
    tracks = _tracks(arr)
    harmony = [t for t in tracks if t.role in ("bass", "chords", "pad") and t.notes]
    if not harmony:
        return Check(False, "no harmony")
    tonic = _tonic_pc(arr)
    bass = next((t for t in harmony if t.role == "bass"), None)
    last_onset = max(n.start for t in harmony for n in t.notes)
    final_group = [n for t in harmony for n in t.notes if n.start >= last_onset - 0.5]
    source = bass if bass is not None else None
    final_root = min((n for n in final_group if source is None or n in source.notes),
                     key=lambda n: n.pitch, default=min(final_group, key=lambda n: n.pitch)).pitch % 12
    # the harmony before the final chord: the root of the previous chord change
    final_bar = int((last_onset + 1e-6) // arr.bar_beats)
    roots = []
    lows = source.notes if source is not None else [n for t in harmony for n in t.notes]
    for bar in range(max(0, final_bar - 4), final_bar + 1):
        start = bar * arr.bar_beats
        onset = [n for n in lows if start - 1e-6 <= n.start < start + arr.bar_beats / 2]
        if onset:
            roots.append(min(onset, key=lambda n: (round(n.start, 2), n.pitch)).pitch % 12)
    before = next((r for r in reversed(roots[:-1]) if r != final_root), None) if roots else None
    if final_root != tonic:
        return Check(False, f"ends on {(final_root - tonic) % 12} st")
    if before is None:
        return Check(False, "no cadence")
    name = CADENCE_ROOTS.get((before - tonic) % 12)
    return Check(name is not None, f"{name or (before - tonic) % 12}-I")


def check_plays(arr: Arrangement) -> Check:
    tracks = _tracks(arr)
    silent = [t.name for t in tracks if not t.notes]
    named = f" ({', '.join(silent)})" if silent else ""
    return Check(not silent, f"{len(tracks) - len(silent)}/{len(tracks)}{named}")


def _vocal_spans(arr: Arrangement) -> list:  # type: ignore[type-arg]
    return [s for s in arr.sections if section_kind(s.name) in VOCAL_KINDS]


def check_melody_present(arr: Arrangement) -> Check:
    spans = _vocal_spans(arr)
    if not spans:
        return Check(None, "no vocal section")
    track = _melody_track(arr)
    if track is None:
        return Check(False, "no melody track")
    per_bar = [len(_line(_span_notes(track, s.start, s.start + s.bars * arr.bar_beats))) / s.bars for s in spans]
    return Check(min(per_bar) >= 1.5, f"min {min(per_bar):.1f}/bar")


def check_lead_density(arr: Arrangement) -> Check:
    spans = [s for s in arr.sections if s.energy >= 3]
    lines = [t for t in _tracks(arr) if t.role in ("melody", "lead")]
    if not spans:
        return Check(None, "no energy >= 3")
    if not lines:
        return Check(False, "no melody/lead")
    rates = []
    for s in spans:
        end = s.start + s.bars * arr.bar_beats
        rates.append(max(len(_line(_span_notes(t, s.start, end))) for t in lines) / s.bars)
    mean = statistics.fmean(rates)
    return Check(mean >= 3.0, f"{mean:.1f}/bar")


def _first(arr: Arrangement, kind: str):  # type: ignore[no-untyped-def]
    kinds = ("chorus", "hook") if kind == "chorus" else (kind,)
    for wanted in kinds:
        found = next((s for s in arr.sections if section_kind(s.name) == wanted), None)
        if found is not None:
            return found
    return None


def check_chorus_density(arr: Arrangement) -> Check:
    verse, chorus = _first(arr, "verse"), _first(arr, "chorus")
    if verse is None or chorus is None:
        return Check(None, "no verse+chorus")
    counts = []
    players = []
    for s in (verse, chorus):
        end = s.start + s.bars * arr.bar_beats
        notes = [len(_span_notes(t, s.start, end)) for t in _tracks(arr)]
        counts.append(sum(notes) / s.bars)
        players.append(sum(1 for n in notes if n))
    ratio = counts[1] / counts[0] if counts[0] else math.inf
    added = players[1] > players[0]
    return Check(ratio >= 1.3 or added, f"{ratio:.2f}x" + (" +inst" if added else ""))


def check_chorus_lift(arr: Arrangement) -> Check:
    verse, chorus = _first(arr, "verse"), _first(arr, "chorus")
    if verse is None or chorus is None:
        return Check(None, "no verse+chorus")
    track = _melody_track(arr)
    if track is None:
        return Check(False, "no melody")
    means = []
    for s in (verse, chorus):
        line = _line(_span_notes(track, s.start, s.start + s.bars * arr.bar_beats))
        if not line:
            return Check(False, f"no melody in {s.name}")
        means.append(statistics.fmean(n.pitch for n in line))
    lift = means[1] - means[0]
    return Check(3.0 <= lift <= 7.0, f"{lift:+.1f} st")


Hits = tuple[tuple[int, float], ...]
TOLERANCE = 0.1
"""Beats: two hits closer than this are the same hit played with a human's timing."""


def _hits(notes: Sequence, start: float) -> Hits:  # type: ignore[type-arg]
    return tuple(sorted((n.pitch, n.start - start) for n in notes))


def same_hits(a: Hits, b: Hits, tolerance: float = TOLERANCE) -> bool:
    """The same pattern: the same drums (pitches), each hit within `tolerance` beats."""
    if len(a) != len(b):
        return False
    by_pitch: dict[int, list[float]] = {}
    for pitch, at in a:
        by_pitch.setdefault(pitch, []).append(at)
    other: dict[int, list[float]] = {}
    for pitch, at in b:
        other.setdefault(pitch, []).append(at)
    if by_pitch.keys() != other.keys():
        return False
    return all(len(by_pitch[p]) == len(other[p]) and
               all(abs(x - y) <= tolerance for x, y in zip(sorted(by_pitch[p]), sorted(other[p]), strict=True))
               for p in by_pitch)


def clusters(patterns: Sequence[Hits]) -> list[list[Hits]]:
    """Patterns grouped by `same_hits` (first come, first grouped)."""
    groups: list[list[Hits]] = []
    for pattern in patterns:
        for group in groups:
            if same_hits(group[0], pattern):
                group.append(pattern)
                break
        else:
            groups.append([pattern])
    return groups


def _drum_bars(arr: Arrangement, drums: Track, span) -> list[Hits]:  # type: ignore[no-untyped-def]
    bars = []
    for b in range(span.bars):
        start = span.start + b * arr.bar_beats
        bars.append(_hits(_span_notes(drums, start - 0.05, start + arr.bar_beats - 0.05), start))
    return bars


def _unmatched(bar: Hits, main: Hits) -> Hits:
    """The hits of `bar` that the main groove does not play (a fill's own notes)."""
    left = list(main)
    out = []
    for pitch, at in bar:
        match = next((h for h in left if h[0] == pitch and abs(h[1] - at) <= TOLERANCE), None)
        if match is None:
            out.append((pitch, at))
        else:
            left.remove(match)
    return tuple(out)


def check_drum_variety(arr: Arrangement) -> tuple[Check, Check]:
    drums = next((t for t in _tracks(arr) if t.is_drums and t.notes), None)
    if drums is None:
        return Check(None, "no drums"), Check(None, "no drums")
    distinct = []
    fills: list[Hits] = []
    for index, span in enumerate(arr.sections):
        bars = _drum_bars(arr, drums, span)
        body = [b for b in bars[:-1] if b]
        groups = clusters(body)
        if len(body) >= 3:
            distinct.append(len(groups))
        if index < len(arr.sections) - 1 and bars and bars[-1]:
            main = max(groups, key=len)[0] if groups else ()
            fills.append(_unmatched(bars[-1], main))
    variety = Check(None, "short sections") if not distinct else \
        Check(statistics.fmean(distinct) >= 2.0, f"{statistics.fmean(distinct):.1f}/sec")
    shapes = clusters([f for f in fills if f])
    need = min(3, len(fills))
    fill = Check(None, "no fills") if not fills else Check(len(shapes) >= need, f"{len(shapes)} of {len(fills)}")
    return variety, fill


def check_ghosts(arr: Arrangement, style: str) -> Check:
    if not any(g in style.lower() for g in GHOST_STYLES):
        return Check(None, "")
    drums = next((t for t in _tracks(arr) if t.is_drums and t.notes), None)
    if drums is None:
        return Check(False, "no drums")
    snares = [n for n in drums.notes if n.pitch in SNARES]
    if not snares:
        return Check(False, "no snare")
    loud = statistics.median(sorted(n.velocity for n in snares)[len(snares) // 2:])
    ghosts = [n for n in snares if n.velocity < 0.6 * loud]
    played = {int(n.start // arr.bar_beats) for n in drums.notes}
    rate = len(ghosts) / max(1, len(played))
    return Check(rate >= 0.5, f"{rate:.1f}/bar")


def check_velocity(arr: Arrangement) -> Check:
    values: dict[str, float] = {}
    for track in _tracks(arr):
        sds = []
        for span in arr.sections:
            notes = _span_notes(track, span.start, span.start + span.bars * arr.bar_beats)
            groups: dict[int, list[int]] = {}
            for n in notes:
                groups.setdefault(n.pitch if track.is_drums else 0, []).append(n.velocity)
            for vel in groups.values():
                if len(vel) >= 8:
                    sds.append(statistics.pstdev(vel))
        if sds:
            values[track.name] = statistics.fmean(sds)
    if not values:
        return Check(False, "no notes")
    bad = {k: v for k, v in values.items() if not 6.0 <= v <= 12.0}
    low, high = min(values.values()), max(values.values())
    return Check(not bad, f"{low:.1f}-{high:.1f}")


def _grid_positions(swing: float) -> list[float]:
    positions = {k / 12 for k in range(13)}
    positions |= {swing, swing / 2, 0.5 + swing / 2}
    return sorted(positions)


def timing_spread(arr: Arrangement, swing: float = 0.5) -> float:
    """SD in ms of onsets' distance to the nearest straight, triplet or swung position."""
    grid = _grid_positions(swing)
    devs = []
    for track in _tracks(arr):
        for n in track.notes:
            frac = n.start - math.floor(n.start)
            dev = min((frac - g for g in grid), key=abs)
            ms = _ms(arr, dev)
            if abs(ms) <= 40:
                devs.append(ms)
    return statistics.pstdev(devs) if len(devs) > 1 else 0.0


def check_feel(arr: Arrangement, swing: float) -> Check:
    spread = timing_spread(arr, swing)
    return Check(5.0 <= spread <= 15.0, f"{spread:.1f} ms")


def check_vocal_melody(arr: Arrangement) -> tuple[Check, Check, Check, Check]:
    spans = _vocal_spans(arr)
    na = Check(None, "no vocal section")
    if not spans:
        return na, na, na, na
    track = _melody_track(arr)
    if track is None:
        no = Check(False, "no melody")
        return no, no, no, no
    figs = [melody_figures(_span_notes(track, s.start, s.start + s.bars * arr.bar_beats),
                           s.bars * arr.bar_beats, arr.bar_beats) for s in spans]
    figs = [f for f in figs if f["notes"] >= 2]
    if not figs:
        no = Check(False, "no melody")
        return no, no, no, no
    changes = sum(f["changes"] for f in figs)
    step = sum(f["steps"] for f in figs) / changes if changes else 0.0
    leaps = sum(f["leaps"] for f in figs)
    rec = sum(f["recovered"] for f in figs) / leaps if leaps else 1.0
    longest = max(f["longest"] for f in figs)
    climax = statistics.fmean(f["climax"] for f in figs)
    return (Check(step >= 0.6, f"{step:.2f}"), Check(rec >= 0.7, f"{rec:.2f}"),
            Check(longest <= 4.0 + 1e-6, f"<= {longest:.1f} bars"), Check(climax >= 0.75, f"{climax:.2f}"))


def check_rhythm_variety(arr: Arrangement) -> Check:
    spans = [s for s in _vocal_spans(arr) if s.bars >= 3]
    if not spans:
        return Check(None, "no vocal section")
    track = _melody_track(arr)
    if track is None:
        return Check(False, "no melody")
    worst = math.inf
    fails = 0
    for span in spans:
        bars = []
        for b in range(span.bars):
            start = span.start + b * arr.bar_beats
            line = _line(_span_notes(track, start - 0.05, start + arr.bar_beats - 0.05))
            bars.append(tuple((0, n.start - start) for n in line))  # onsets: the rhythm
        distinct = len(clusters(bars))
        need = 4 if span.bars >= 8 else 3
        worst = min(worst, distinct / span.bars * 8)
        fails += distinct < need
    return Check(fails == 0, f">= {worst:.1f}/8 bars")


def _harmony_at(chords: Sequence, bass: Sequence, bar_start: float, bar: float) -> set[int]:  # type: ignore[type-arg]
    """The bar's chord as pitch classes: what the chord parts play in the bar (a comp that
    skanks off the beat still names its chord), else the bass; a power chord (root and
    fifth) stands for either third."""
    def inside(notes: Sequence) -> set[int]:  # type: ignore[type-arg]
        return {n.pitch % 12 for n in notes
                if bar_start - TOLERANCE <= n.start < bar_start + bar - TOLERANCE
                or n.start < bar_start <= n.start + n.duration - TOLERANCE}

    tones = inside(chords) or inside(bass)
    if 0 < len(tones) <= 2:
        for root in list(tones):
            if (root + 7) % 12 in tones:
                tones |= {(root + 3) % 12, (root + 4) % 12}
    return tones


def check_chord_tones(arr: Arrangement) -> Check:
    from assistant.composition.topline import grid

    spans = _vocal_spans(arr)
    if not spans:
        return Check(None, "no vocal section")
    track = _melody_track(arr)
    if track is None:
        return Check(False, "no melody")
    chords = [n for t in _tracks(arr) if t.role in ("chords", "pad") for n in t.notes]
    bass = [n for t in _tracks(arr) if t.role == "bass" for n in t.notes]
    if not chords and not bass:
        return Check(None, "no harmony")
    strong = grid(arr.meter).strong
    hits = total = 0
    for span in spans:
        for note in _line(_span_notes(track, span.start, span.start + span.bars * arr.bar_beats)):
            offset = (note.start - span.start) % arr.bar_beats
            if not any(abs(offset - s) <= TOLERANCE for s in strong):
                continue
            tones = _harmony_at(chords, bass, note.start - offset, arr.bar_beats)
            if not tones:
                continue
            total += 1
            hits += note.pitch % 12 in tones
    if not total:
        return Check(None, "no strong beats")
    return Check(hits / total >= 0.8, f"{hits / total:.2f}")


def _bar_sets(arr: Arrangement, track: Track) -> list[tuple[int, ...]]:
    sets: dict[int, set[int]] = {}
    for n in track.notes:
        sets.setdefault(int((n.start + 0.05) // arr.bar_beats), set()).add(n.pitch)
    out = []
    for bar in sorted(sets):
        pitches = sorted(sets[bar])
        if len(pitches) >= 4:  # a left hand or a bass note under the voicing
            pitches = pitches[1:]
        out.append(tuple(pitches))
    return out


def voice_movement(arr: Arrangement, track: Track) -> float | None:
    """Average semitones each voice moves between consecutive different chords (bars)."""
    moves = []
    sets = _bar_sets(arr, track)
    for a, b in zip(sets, sets[1:], strict=False):
        if a == b or not a or not b:
            continue
        there = [min(abs(p - q) for q in a) for p in b]
        back = [min(abs(p - q) for q in b) for p in a]
        moves.append((statistics.fmean(there) + statistics.fmean(back)) / 2)
    return statistics.fmean(moves) if moves else None


def check_voicing(arr: Arrangement) -> Check:
    values = {t.name: voice_movement(arr, t) for t in _tracks(arr) if t.role in ("chords", "pad") and t.notes}
    known = {k: v for k, v in values.items() if v is not None}
    if not known:
        return Check(None, "no chord changes")
    worst = max(known.values())
    return Check(worst <= 2.5, f"<= {worst:.1f} st")


def bass_approach_share(arr: Arrangement, bass: Track) -> tuple[int, int]:
    """(changes approached, chord changes): the bass's last note before a bar whose root
    differs is a step from the new root, or its fifth."""
    by_bar: dict[int, list] = {}  # type: ignore[type-arg]
    for n in bass.notes:
        by_bar.setdefault(int((n.start + 0.05) // arr.bar_beats), []).append(n)
    changes = approached = 0
    for bar in sorted(by_bar):
        nxt = by_bar.get(bar + 1)
        if not nxt:
            continue
        root_here = min(by_bar[bar], key=lambda n: n.start).pitch
        root_next = min(nxt, key=lambda n: n.start).pitch
        if root_here % 12 == root_next % 12:
            continue
        changes += 1
        last = max(by_bar[bar], key=lambda n: n.start)
        gap = abs(last.pitch - root_next)
        interval = (last.pitch - root_next) % 12
        if last.pitch % 12 != root_here % 12 and (gap in (1, 2) or interval in (5, 7)):
            approached += 1
    return approached, changes


def check_bass(arr: Arrangement) -> Check:
    bass = next((t for t in _tracks(arr) if t.role == "bass" and t.notes), None)
    if bass is None:
        return Check(None, "no bass")
    approached, changes = bass_approach_share(arr, bass)
    if not changes:
        return Check(None, "no changes")
    share = approached / changes
    return Check(share >= 0.25, f"{share:.2f}")


def onset_offsets(arr: Arrangement, pulse: float = 1.5) -> dict[str, float]:
    """Mean signed offset (ms) of each pitched part against the drums on shared pulses."""
    drums = next((t for t in _tracks(arr) if t.is_drums and t.notes), None)
    if drums is None:
        return {}
    drum_on: dict[int, float] = {}
    for n in drums.notes:
        k = round(n.start / pulse)
        if abs(n.start - k * pulse) <= 0.25:
            drum_on[k] = min(drum_on.get(k, math.inf), n.start)
    out = {}
    for track in _tracks(arr):
        if track.is_drums or track.role not in ("bass", "chords", "pad"):
            continue
        first: dict[int, float] = {}
        for n in track.notes:
            k = round(n.start / pulse)
            if abs(n.start - k * pulse) <= 0.3:
                first[k] = min(first.get(k, math.inf), n.start)
        offsets = [_ms(arr, first[k] - drum_on[k]) for k in first if k in drum_on]
        if len(offsets) >= 4:
            out[track.name] = statistics.fmean(offsets)
    return out


def check_sync(arr: Arrangement) -> Check:
    from assistant.composition.topline import grid

    g = grid(arr.meter)
    if not g.compound:
        return Check(None, "")
    offsets = onset_offsets(arr, g.pulse)
    if not offsets:
        return Check(None, "no drums")
    worst = max(offsets.values(), key=abs)
    return Check(abs(worst) <= 15.0, f"{worst:+.0f} ms")


def measure(arr: Arrangement, style: str, swing: float = 0.5) -> dict[str, Check]:
    drums, fills = check_drum_variety(arr)
    step, leap, rest, peak = check_vocal_melody(arr)
    return {
        "end": check_ending(arr), "plays": check_plays(arr), "mel": check_melody_present(arr),
        "lead": check_lead_density(arr), "dens": check_chorus_density(arr),
        "lift": check_chorus_lift(arr), "drums": drums, "fills": fills,
        "ghost": check_ghosts(arr, style), "vel": check_velocity(arr), "feel": check_feel(arr, swing),
        "step": step, "leap": leap, "rest": rest, "peak": peak, "rhy": check_rhythm_variety(arr),
        "ct": check_chord_tones(arr),
        "voice": check_voicing(arr),
        "appr": check_bass(arr), "sync": check_sync(arr),
    }


def evaluate(demos: Sequence[Demo] = DEMOS, midi: bool = True) -> list[DemoResult]:
    """Each demo arranged, written as the MIDI file `coach render --midi` writes and measured
    from that file (`midi=False`: from the arranged events directly; the same notes, to the
    MIDI tick)."""
    from assistant.kb.loader import knowledge
    from assistant.render.midi import encode_smf

    kb = knowledge()
    results = []
    for demo in demos:
        song, arr = render_demo(demo)
        if midi:
            arr = from_midi(encode_smf(arr), arr)
        genre = kb.find_genre(song.genre) if song.genre else None  # type: ignore[attr-defined]
        swing = genre.swing if genre is not None else 0.5
        style = " ".join(x for x in (song.genre or "", demo.genre) if x)  # type: ignore[attr-defined]
        result = DemoResult(
            demo=demo, genre=song.genre or demo.genre, meter=arr.meter, tempo=arr.tempo,  # type: ignore[attr-defined]
            key=f"{arr.key_tonic} {arr.key_mode}",
            sections=" ".join(f"{s.name[:3]}{s.bars}" for s in arr.sections),
            checks=measure(arr, style, swing),
        )
        results.append(result)
    return results


# ---------------------------------------------------------------- coach melody


MELODY_KEYS = ("C major", "A minor", "D dorian", "F# major", "Eb minor", "G mixolydian")
MELODY_METERS = ("4/4", "3/4", "6/8", "12/8")


def coach_melody_figures(count: int = 60) -> dict[str, float]:
    """`coach melody` (compose) over `count` key/meter/seed/range combinations: the issue's
    melody figures, pooled (steps, recovered leaps) or per melody (rests, climax, rhythms)."""
    from assistant.composition.melody import compose
    from assistant.composition.topline import grid

    changes = steps = leaps = recovered = 0
    no_rest = climax = dotted = compound = 0
    rhythms: list[int] = []
    started = time.perf_counter()
    for i in range(count):
        meter = MELODY_METERS[i % len(MELODY_METERS)]
        idea = compose(MELODY_KEYS[i % len(MELODY_KEYS)], None, 8, i, 60, 74 if i % 3 else 72, meter)
        g = grid(meter)
        fig = melody_figures(idea.melody.notes, 8 * g.bar, g.bar)
        changes += int(fig["changes"])
        steps += int(fig["steps"])
        leaps += int(fig["leaps"])
        recovered += int(fig["recovered"])
        no_rest += fig["longest"] > 4.0 + 1e-6
        climax += int(fig["climax"])
        bars = {tuple((round(n.start - b * g.bar, 3), n.duration) for n in idea.melody.notes
                      if b * g.bar <= n.start < (b + 1) * g.bar) for b in range(8)}
        rhythms.append(len(bars))
        if g.compound:
            compound += 1
            # every note inside a dotted-quarter pulse, or starting on one (displacement aside)
            dotted += all(n.start % 1.5 < 1e-9 or n.start % 1.5 + n.duration <= 1.5 + 1e-9
                          or idea.plan[int(n.start // g.bar)] == "displacement" for n in idea.melody.notes)
    return {"melodies": count, "step_ratio": steps / changes, "leaps_recovered": recovered / leaps if leaps else 1.0,
            "without_rest_every_4_bars": no_rest, "single_climax_last_third": climax,
            "distinct_bar_rhythms_mean": statistics.fmean(rhythms), "distinct_bar_rhythms_min": min(rhythms),
            "compound_in_dotted_quarters": dotted, "compound": compound,
            "ms_per_melody": (time.perf_counter() - started) / count * 1000}


TOPLINE_CHORDS = {
    "C major": ([(0, 4, 7), (7, 11, 2), (9, 0, 4), (5, 9, 0)], [(5, 9, 0), (0, 4, 7), (7, 11, 2), (9, 0, 4)]),
    "A minor": ([(9, 0, 4), (5, 9, 0), (0, 4, 7), (4, 8, 11)], [(2, 5, 9), (9, 0, 4), (5, 9, 0), (4, 8, 11)]),
}
TOPLINE_REGISTERS = ((57, 81), (60, 84), (55, 79), (62, 86), (55, 88), (52, 84))


def topline_figures(seeds: int = 20) -> dict[str, float]:
    """The topline alone over verse/chorus pairs (different chords and seeds for each):
    4 meters x 2 keys x `seeds` seeds x 6 registers in turn, 8 bars each."""
    from assistant.composition.topline import grid, melody_scores, topline
    from assistant.song import Key

    sections = dense = steps_ok = leaps_ok = climax = rests = lifted = 0
    pairs = 0
    spent = 0.0
    for seed in range(seeds):
        for meter in MELODY_METERS:
            bar = grid(meter).bar
            for name, (verse_chords, chorus_chords) in TOPLINE_CHORDS.items():
                tonic, mode = name.split()
                key = Key(tonic=tonic, mode=mode)  # type: ignore[arg-type]
                register = TOPLINE_REGISTERS[seed % len(TOPLINE_REGISTERS)]
                means = []
                for kind, chords, energy, offset in (("verse", verse_chords, 3, 1), ("chorus", chorus_chords, 4, 93)):
                    started = time.perf_counter()
                    line = topline(chords * 2, key, meter, section=kind, energy=energy, seed=seed * 7 + offset,
                                   register=register)
                    spent += time.perf_counter() - started
                    sections += 1
                    pitches = [n.pitch for n in line.notes]
                    step, rec = melody_scores(pitches)
                    fig = melody_figures(line.notes, 8 * bar, bar)
                    dense += len(pitches) >= 3 * 8
                    steps_ok += step >= 0.6
                    leaps_ok += rec >= 0.7
                    climax += int(fig["climax"])
                    rests += fig["longest"] <= 4.0 + 1e-6
                    means.append(statistics.fmean(pitches))
                pairs += 1
                lifted += 3.0 <= means[1] - means[0] <= 7.0
    return {"sections": sections, "dense": dense, "steps": steps_ok, "leaps": leaps_ok, "climax": climax,
            "rests": rests, "pairs": pairs, "lifted": lifted, "ms_per_section": spent / sections * 1000}


def topline_markdown(fig: dict[str, float]) -> str:
    n, pairs = int(fig["sections"]), int(fig["pairs"])
    return "\n".join([
        f"The topline alone over {n} eight-bar sections ({pairs} verse/chorus pairs: 4/4 3/4 6/8 12/8, C major "
        "and A minor, each chorus on its own chords and seed, six registers), sections meeting each rule:",
        "",
        "| >= 3 notes a bar | >= 60 % steps | >= 70 % leaps recovered | one climax in the last third "
        "| a rest every <= 4 bars | chorus 3-7 st above the verse | ms a section |",
        "|---|---|---|---|---|---|---|",
        f"| {int(fig['dense'])}/{n} | {int(fig['steps'])}/{n} | {int(fig['leaps'])}/{n} | {int(fig['climax'])}/{n} "
        f"| {int(fig['rests'])}/{n} | {int(fig['lifted'])}/{pairs} | {fig['ms_per_section']:.1f} |",
    ]) + "\n"


def melody_markdown(fig: dict[str, float]) -> str:
    n = int(fig["melodies"])
    return "\n".join([
        f"`coach melody` over {n} melodies (6 keys, 4/4 3/4 6/8 12/8, seeds 0-{n - 1}, 8 bars; the issue "
        "measured 60 before the topline rules):",
        "",
        "| | before (issue 12) | now |",
        "|---|---|---|",
        f"| moves by step (1-2 semitones, repeats excluded) | 52 % | {fig['step_ratio']:.0%} |",
        f"| leaps (> 4 semitones) turned back by step | 38 % | {fig['leaps_recovered']:.0%} |",
        f"| melodies without a rest every 4 bars | 38 of 60 had no rest at all | "
        f"{int(fig['without_rest_every_4_bars'])} of {n} |",
        f"| single highest note in the last third | top note ~5 times | "
        f"{int(fig['single_climax_last_third'])} of {n} |",
        f"| distinct bar rhythms in 8 bars | 1-3 | {fig['distinct_bar_rhythms_mean']:.1f} "
        f"(min {int(fig['distinct_bar_rhythms_min'])}) |",
        f"| 6/8 and 12/8 melodies in dotted quarters | 3/4 rhythms | {int(fig['compound_in_dotted_quarters'])} "
        f"of {int(fig['compound'])} |",
        "",
        f"({fig['ms_per_melody']:.1f} ms a melody.)",
    ]) + "\n"


# ---------------------------------------------------------------- reporting


def summary(results: Sequence[DemoResult]) -> dict[str, object]:
    met = sum(r.met for r in results)
    applicable = sum(r.applicable for r in results)
    per = {}
    for column in COLUMNS:
        oks = [r.checks[column].ok for r in results if r.checks[column].ok is not None]
        per[column] = {"met": sum(1 for o in oks if o), "applicable": len(oks)}
    return {"demos": len(results), "met": met, "applicable": applicable,
            "share": met / applicable if applicable else 0.0, "per_criterion": per}


def markdown(results: Sequence[DemoResult], seconds: float) -> str:
    s = summary(results)
    lines = [
        "# Musicality of the demos (issue 12)",
        "",
        f"`benchmarks/eval_musicality.py`: {s['demos']} demos (`arrange(song, demo=True)`, songs made "
        "like `coach render --mood M --genre G [--meter X] --demo`), measured from their MIDI files "
        "(`encode_smf`, what `--midi` writes). "
        f"**Share of criteria met: {s['met']}/{s['applicable']} = {s['share']:.2f}** "
        f"(target >= 0.95). Took {seconds:.1f} s.",
        "",
        "Y met, n not met, - does not apply; the measured value is under each mark. The columns "
        "are explained in the script's docstring.",
        "",
        "| demo | tempo | " + " | ".join(COLUMNS) + " | met |",
        "|---|---|" + "---|" * len(COLUMNS) + "---|",
    ]
    for r in results:
        cells = []
        for column in COLUMNS:
            c = r.checks[column]
            mark = "-" if c.ok is None else ("Y" if c.ok else "**n**")
            cells.append(f"{mark} {c.value}".strip())
        lines.append(f"| {r.genre} · {r.demo.mood} · {r.meter} | {r.tempo:g} | " + " | ".join(cells)
                     + f" | {r.met}/{r.applicable} |")
    per = s["per_criterion"]
    assert isinstance(per, dict)
    lines += ["", "Per criterion (met / applicable):", ""]
    lines.append("| " + " | ".join(COLUMNS) + " |")
    lines.append("|" + "---|" * len(COLUMNS))
    lines.append("| " + " | ".join(f"{per[c]['met']}/{per[c]['applicable']}" for c in COLUMNS) + " |")
    failing = [c for c in COLUMNS if per[c]["met"] < per[c]["applicable"]]
    if failing:
        lines += ["", "Failing most: " + ", ".join(
            f"{c} ({per[c]['applicable'] - per[c]['met']})"
            for c in sorted(failing, key=lambda c: per[c]["met"] - per[c]["applicable"]))]
    return "\n".join(lines) + "\n"


README = REPO / "README.md"
README_START, README_END = "<!-- musicality:start -->", "<!-- musicality:end -->"


def readme_section(results: Sequence[DemoResult], melody: dict[str, float], lines: dict[str, float]) -> str:
    """The README's musicality figures: the share, the criteria, one line per demo."""
    s = summary(results)
    per = s["per_criterion"]
    assert isinstance(per, dict)
    out = [
        README_START,
        f"**{s['met']} of {s['applicable']} criteria met = {s['share']:.2f}** (target ≥ 0.95) over "
        f"{s['demos']} demos: every genre of `knowledge/genres.toml`, 4/4, 3/4, 6/8 and 12/8, "
        f"{len({d.mood for d in DEMOS})} moods. Per criterion (met / applicable):",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
        "| " + " | ".join(f"{per[c]['met']}/{per[c]['applicable']}" for c in COLUMNS) + " |",
        "",
        "Columns: " + "; ".join(f"**{c}** {LEGEND[c]}" for c in COLUMNS) + ".",
        "",
        "| demo | met | not met (measured) |",
        "|---|---|---|",
    ]
    for r in results:
        missed = ", ".join(f"{k} ({c.value})" for k, c in r.checks.items() if c.ok is False) or "—"
        out.append(f"| {r.genre} · {r.demo.mood} · {r.meter} | {r.met}/{r.applicable} | {missed} |")
    out += ["", topline_markdown(lines).rstrip(), "", melody_markdown(melody).rstrip(), README_END]
    return "\n".join(out)


def update_readme(section: str) -> bool:
    """Replace the text between the musicality markers in README.md; False when absent."""
    text = README.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        return False
    before, rest = text.split(README_START, 1)
    _, after = rest.split(README_END, 1)
    README.write_text(before + section + after, encoding="utf-8")
    return True


def draw_roll(arr: Arrangement, path: Path, title: str) -> None:
    """A piano roll of every pitched part (the melody on top, drums as ticks below), with the
    sections shaded and named."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch

    colours = {"melody": "#d62728", "lead": "#ff7f0e", "chords": "#1f77b4", "pad": "#9467bd",
               "bass": "#2ca02c", "fx": "#8c564b"}
    order = {"pad": 0, "chords": 1, "fx": 2, "bass": 3, "lead": 4, "melody": 5}
    fig, ax = plt.subplots(figsize=(16, 6.5), dpi=80)
    bar = arr.bar_beats
    pitched = sorted((t for t in _tracks(arr) if not t.is_drums and t.notes), key=lambda t: order.get(t.role, 2))
    low = min((n.pitch for t in pitched for n in t.notes), default=36)
    high = max((n.pitch for t in pitched for n in t.notes), default=84)
    for index, span in enumerate(arr.sections):
        x = span.start / bar
        if index % 2:
            ax.axvspan(x, x + span.bars, color="#000000", alpha=0.04, linewidth=0)
        ax.axvline(x, color="black", linewidth=0.8, alpha=0.5)
        ax.text(x + 0.15, 1.0, f"{span.name}\nE{span.energy}", transform=ax.get_xaxis_transform(),
                va="bottom", fontsize=8)
    for track in pitched:
        line = track.role in ("melody", "lead")
        h = 0.45 if line else 0.35
        boxes = [[(n.start / bar, n.pitch - h), ((n.start + n.duration) / bar, n.pitch - h),
                  ((n.start + n.duration) / bar, n.pitch + h), (n.start / bar, n.pitch + h)] for n in track.notes]
        ax.add_collection(PolyCollection(boxes, facecolors=colours.get(track.role, "#7f7f7f"),
                                         edgecolors="#00000055" if line else "none", linewidths=0.3,
                                         alpha=1.0 if line else 0.45, zorder=3 if line else 2))
    drums = next((t for t in _tracks(arr) if t.is_drums and t.notes), None)
    base = low - 3
    if drums is not None:
        rows = {36: 0, 35: 0, 38: 1, 40: 1, 37: 1, 39: 1, 42: 2, 44: 2, 46: 2, 49: 3, 51: 3, 57: 3}
        xs = [n.start / bar for n in drums.notes]
        ys = [base - 1.5 - 1.5 * rows.get(n.pitch, 2.5) for n in drums.notes]
        ax.scatter(xs, ys, s=[2 + n.velocity / 12 for n in drums.notes], c="black", marker="|", linewidths=0.6)
    ax.set_xlim(0, arr.total_beats / bar)
    ax.set_ylim(base - 8, high + 3)
    ax.set_xlabel("bar")
    ax.set_ylabel("MIDI pitch (drums below: kick, snare, hats, cymbals)")
    used = {t.role for t in pitched}
    ax.legend(handles=[Patch(color=c, label=r) for r, c in colours.items() if r in used], loc="lower right",
              fontsize=8, ncol=6, framealpha=0.9)
    ax.set_title(title, pad=28)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


FIGURE_DEMOS = (("roll-pop.png", Demo("pop", "happy")), ("roll-ballad-6-8.png", Demo("ballad", "sad", "6/8")),
                ("roll-blues-12-8.png", Demo("blues", "lonely", "12/8")))


def draw_figures(folder: Path = FIGURES) -> list[Path]:
    out = []
    for name, demo in FIGURE_DEMOS:
        song, arr = render_demo(demo)
        title = (f"{song.genre} · {demo.mood} · {arr.meter} · {arr.key_tonic} {arr.key_mode} · "  # type: ignore[attr-defined]
                 f"{arr.tempo:g} bpm")
        draw_roll(arr, folder / name, title)
        out.append(folder / name)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-write", action="store_true", help=f"do not write {RESULTS.name}")
    parser.add_argument("--no-figures", action="store_true", help="do not draw the piano rolls")
    parser.add_argument("--readme", action="store_true", help="update the figures in README.md")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = evaluate()
    seconds = time.perf_counter() - started
    melody = coach_melody_figures()
    lines = topline_figures()
    text = (markdown(results, seconds) + "\n## The topline alone\n\n" + topline_markdown(lines)
            + "\n## coach melody\n\n" + melody_markdown(melody))
    if args.json:
        print(json.dumps({
            "summary": summary(results), "coach_melody": melody, "topline": lines,
            "demos": [{"demo": r.demo.label, "genre": r.genre, "meter": r.meter, "tempo": r.tempo,
                       "key": r.key, "sections": r.sections,
                       "checks": {k: {"ok": c.ok, "value": c.value} for k, c in r.checks.items()}}
                      for r in results],
        }, ensure_ascii=False, indent=1))
    else:
        print(text)
    if not args.no_write:
        RESULTS.write_text(text, encoding="utf-8")
    if args.readme and not update_readme(readme_section(results, melody, lines)):
        print(f"README.md has no {README_START} ... {README_END} markers", file=sys.stderr)
    if not args.no_figures:
        draw_figures()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
