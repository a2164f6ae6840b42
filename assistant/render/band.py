"""The band: plays a Song sheet in a style from the knowledge base (`render/style.py`).

Per section it decides the harmony (the sheet's, or a contrasting progression for a chorus
or bridge from the genre's list; lengths that complete the progression or end on a
turnaround; the last bars a cadence onto the tonic), then every part plays its role:
drums pick bars by energy with a variation every fourth bar and fills chosen by the
boundary (lift, drop, section, ending); the bass plays the style's lines with approach
notes into each change; chord instruments comp by family (strums with down/up strokes
and a string spread, power chords, a piano's two hands, pads, stabs, skanks,
arpeggios); the melody instrument sings a topline in vocal sections, a lead line where
the band plays alone. Breakdowns drop kick and bass, builds roll the snare, the last
bar is a final hit left to ring. `feel.humanize_tracks` adds the timing and dynamics.
Every choice is written into the section's `details` (ids and devices) for --json.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant import theory
from assistant.composition.topline import section_kind, topline
from assistant.render.events import Arrangement, SectionSpan, TimedNote, Track
from assistant.render.style import GHOST_KEY, LANE_KEYS, LANE_VELOCITY, Kit, Pattern, family_of
from assistant.song import Key, Section

if TYPE_CHECKING:
    from assistant.kb.loader import Knowledge
    from assistant.kb.schema import Genre

MINOR_FAMILY = ("minor", "dorian", "phrygian", "locrian", "harmonic minor", "melodic minor")
VOCAL = frozenset({"verse", "pre-chorus", "chorus", "post-chorus", "bridge", "hook"})
LEAD = frozenset({"solo", "drop", "head", "instrumental", "interlude", "break"})
BIG = frozenset({"chorus", "hook", "drop", "post-chorus"})
STRUM_MS = 5.0  # between strings of a strum
PHRASE_DYNAMICS = (5, -3, 2, -4)  # velocity offsets over a four-bar phrase


def by_energy(patterns: Sequence[Pattern], energy: int, offset: int = 0) -> tuple[Pattern, Pattern]:
    """A main pattern and a variation: the busier patterns for the bigger sections, so a
    chorus is denser than its verse; `offset` rotates between equally fitting ones."""
    ordered = sorted(patterns, key=lambda p: (_weight(p), p.id))
    if len(ordered) == 1:
        return ordered[0], ordered[0]
    if energy >= 5:
        index = len(ordered) - 1
    elif energy == 4:
        index = max(0, len(ordered) - 2) if len(ordered) > 2 else len(ordered) - 1
    elif energy <= 2:
        index = 0
    else:
        index = (len(ordered) - 1) // 2 + offset % 2 * (len(ordered) > 2)
    index = min(index, len(ordered) - 1)
    other = index - 1 if index > 0 else index + 1
    return ordered[index], ordered[other]


def _weight(pattern: Pattern) -> int:
    """Notes a pattern plays a bar: a chord hit counts as four, an arpeggio note as one."""
    if pattern.kind != "comp":
        return sum(len(h) for h in pattern.lanes.values())
    notes = sum(1 if h.char.isdigit() else 4 for h in pattern.lanes["line"])
    return notes + len(pattern.lanes.get("left", ()))


def stable_seed(*parts: object) -> int:
    return zlib.crc32("|".join(str(p) for p in parts).encode("utf-8"))


@dataclass
class SectionPlan:
    section: Section
    kind: str
    numerals: list[str]
    index: int
    details: dict = field(default_factory=dict)

    @property
    def bars(self) -> int:
        return len(self.numerals)


def _minor(key: Key) -> bool:
    return key.mode in MINOR_FAMILY


def tonic_numeral(key: Key) -> str:
    return "i" if _minor(key) else "I"


def plan_sections(
    chosen: Sequence[tuple[Section, int]],
    song_progression: Sequence[str],
    key: Key,
    kit: Kit,
    genre: Genre | None,
    kb: Knowledge | None,
    *,
    demo: bool,
    seed: int,
    default: Sequence[str],
) -> list[SectionPlan]:
    """Each section's chords, one numeral per bar, with the reasons."""
    base = list(song_progression or default)
    alternatives = _alternatives(base, key, genre, kb)
    plans: list[SectionPlan] = []
    used_alt: dict[str, tuple[str, list[str]]] = {}
    for number, (sec, index) in enumerate(chosen):
        kind = section_kind(sec.name)
        details: dict = {"kind": kind, "devices": [], "rule_ids": [kit.style.id]}
        prog, why_id = list(sec.progression), "sheet"
        if not prog:
            prog, why_id = base, "song"
            if demo and kind in ("chorus", "bridge") and alternatives:
                if kind not in used_alt:
                    taken = {tuple(v[1]) for v in used_alt.values()}
                    pool = [a for a in alternatives if tuple(a[1]) not in taken] or alternatives
                    pick = pool[(seed + (0 if kind == "chorus" else 1)) % len(pool)]
                    used_alt[kind] = pick
                why_id, prog = used_alt[kind][0], list(used_alt[kind][1])
                details["devices"].append(f"{kind} progression differs from the verse")
                details["rule_ids"].append(why_id)
        bars = sec.bars
        length = len(prog)
        tail = 0
        long_form = demo and not sec.progression and bars % length and 8 <= length <= 16
        if long_form and kind in ("intro", "outro") and bars < length:
            tail = length - bars  # an intro (or outro) plays the form's last bars: its turnaround
            details["devices"].append(f"the last {bars} bars of the {length}-bar form")
        elif long_form and bars >= 4:
            bars = length * -(-bars // length) if bars > length else length
            # a 12-bar blues is not cut by an 8-bar section (short loops end on a turnaround)
            details["devices"].append(f"lengthened to {bars} bars to complete the {length}-bar progression")
        numerals = [prog[(tail + i) % length] for i in range(bars)]
        last = number == len(chosen) - 1
        if demo and not last and (bars + tail) % length and bars >= 2:
            numerals[-1] = "V7" if kit.style.extensions else "V"
            details["devices"].append("turnaround on V into the next section")
        if demo and last:
            cadence = list(kit.style.cadence_minor if _minor(key) else kit.style.cadence)
            ending = [*cadence, tonic_numeral(key)]
            ending = ending[-bars:]
            numerals[-len(ending):] = ending
            details["devices"].append("cadence " + "-".join(ending) + " and a final hit left to ring")
        details["progression"] = numerals[:length] if bars >= length else numerals
        details["progression_from"] = why_id
        plans.append(SectionPlan(sec if bars == sec.bars else sec.model_copy(update={"bars": bars}),
                                 kind, numerals, index, details))
    return plans


def _alternatives(base: list[str], key: Key, genre: Genre | None, kb: Knowledge | None) -> list[tuple[str, list[str]]]:
    """The genre's progressions that fit the key's mode and differ from the song's."""
    if kb is None or genre is None:
        return []
    minor = _minor(key)
    found = []
    for ref in genre.progressions:
        try:
            prog = kb.get(ref)
        except KeyError:
            continue
        numerals = list(getattr(prog, "numerals", ()))
        modes = getattr(prog, "modes", ())
        fits = any((m in MINOR_FAMILY) == minor for m in modes)
        if not fits or numerals == base or len(numerals) > 8 or len(numerals) < 2:
            continue
        if len(base) % len(numerals) and len(numerals) % len(base):
            continue
        try:
            for n in numerals:
                theory.numeral_to_pitch_classes(n, key)
        except Exception:
            continue
        found.append((ref, numerals))
    return found


class Band:
    """Plays every part over the planned sections (one instance per arrangement)."""

    def __init__(self, arr: Arrangement, kit: Kit, key: Key, plans: list[SectionPlan], *,
                 seed: int, demo: bool, genre_name: str, singer_range: tuple[int, int] | None,
                 motif: Sequence[tuple[float, float, int]] | None) -> None:
        self.arr, self.kit, self.key, self.plans = arr, kit, key, plans
        self.seed, self.demo, self.genre_name = seed, demo, genre_name
        self.singer_range, self.motif = singer_range, motif
        self.bar = arr.bar_beats
        self.steps_scale = 1.0
        self._pcs: dict[str, tuple[int, ...]] = {}
        self._voicings: dict[tuple, list[list[int]]] = {}
        self.scale = theory.scale_pitch_classes(key)
        self.tonic = theory.parse_pitch_class(key.tonic)
        self.fill_counter = 0
        self._fill_plan = self._plan_fills()

    # ------------------------------------------------------------ harmony
    def pcs(self, numeral: str) -> tuple[int, ...]:
        if numeral not in self._pcs:
            self._pcs[numeral] = self._extend(tuple(theory.numeral_to_pitch_classes(numeral, self.key)))
        return self._pcs[numeral]

    def _extend(self, pcs: tuple[int, ...]) -> tuple[int, ...]:
        ext = self.kit.style.extensions
        if not ext or len(pcs) >= 5:
            return pcs
        root = pcs[0]
        out = list(pcs)
        major = len(pcs) > 1 and (pcs[1] - root) % 12 == 4
        if len(pcs) == 3:
            if "dom7" in ext and major:
                out.append((root + 10) % 12)
            elif "7" in ext:
                seventh = next(((root + s) % 12 for s in (11, 10) if (root + s) % 12 in self.scale), None)
                if seventh is not None and not ((pcs[2] - root) % 12 == 6 and seventh == (root + 11) % 12):
                    out.append(seventh)
            elif "6" in ext and major:
                out.append((root + 9) % 12)
        if ("9" in ext or "add9" in ext) and (root + 2) % 12 in self.scale and (root + 1) % 12 not in pcs:
            out.append((root + 2) % 12)
        if "13" in ext and len(out) >= 4 and (root + 9) % 12 in self.scale and major:
            out.append((root + 9) % 12)
        return tuple(out)

    def voicings(self, numerals: Sequence[str], register: tuple[int, int], voices: int) -> list[list[int]]:
        key = (tuple(numerals), register, voices)
        if key not in self._voicings:
            specs = [self.pcs(n) for n in numerals]
            voiced = theory.voice_progression(specs, self.key, low=register[0], high=register[1], voices=voices)
            self._voicings[key] = [sorted(v) for v in voiced]
        return self._voicings[key]

    def cycle(self, plan: SectionPlan) -> list[str]:
        prog = plan.details.get("progression") or plan.numerals
        return list(prog)

    def bass_pc(self, numeral: str) -> int:
        offset = theory.parse_numeral(numeral).bass_offset
        if offset is None:
            return self.pcs(numeral)[0]
        return (self.tonic + offset) % 12

    @staticmethod
    def in_register(pc: int, register: tuple[int, int]) -> int:
        return register[0] + (pc - register[0]) % 12

    # ------------------------------------------------------------ time
    def step_at(self, step: int, steps: int, swing: float, length: float | None = None) -> float:
        size = (length if length is not None else self.bar) / steps
        if swing != 0.5 and step % 2 == 1 and size <= 0.5 + 1e-9:
            return (step - 1) * size + 2 * size * swing
        return step * size

    def velocity(self, base: float, bar: int, accent: int = 0) -> int:
        return max(1, min(127, round(base + accent + PHRASE_DYNAMICS[bar % 4])))

    # ------------------------------------------------------------ sections
    def spans(self) -> list[tuple[SectionSpan, SectionPlan, int]]:
        out = []
        for number, (span, plan) in enumerate(zip(self.arr.sections, self.plans, strict=True)):
            out.append((span, plan, number))
        return out

    def is_last(self, number: int) -> bool:
        return self.demo and number == len(self.plans) - 1

    def boundary(self, number: int) -> str | None:
        """What kind of change follows the section: lift, drop, section, ending (or None)."""
        if number == len(self.plans) - 1:
            return "ending" if self.demo else None
        here, nxt = self.arr.sections[number], self.arr.sections[number + 1]
        kind_next = self.plans[number + 1].kind
        if kind_next in ("breakdown", "outro", "break") or nxt.energy < here.energy:
            return "drop"
        if nxt.energy > here.energy or kind_next in BIG:
            return "lift"
        return "section"

    def _plan_fills(self) -> dict[tuple[int, int], Pattern]:
        """The fill of each section end (and mid-section phrase ends), varied over the song."""
        plan: dict[tuple[int, int], Pattern] = {}
        used: list[str] = []
        for number, section in enumerate(self.plans):
            bars = section.bars
            kind = self.boundary(number)
            if kind is None or kind == "ending":
                continue
            choices = self.kit.fills_for(kind, self.bar)
            fresh = [p for p in choices if p.id not in used[-2:]] or choices
            if kind == "lift":
                fresh = sorted(fresh, key=lambda p: -p.beats)
            pick = fresh[(self.seed + number) % len(fresh)] if kind != "lift" else fresh[number % min(2, len(fresh))]
            plan[(number, bars - 1)] = pick
            used.append(pick.id)
            if bars >= 8 and self.arr.sections[number].energy >= 3:
                mids = self.kit.fills_for("mid", self.bar)
                mids = sorted(mids, key=lambda p: p.beats)
                for bar in range(7, bars - 1, 8):
                    plan[(number, bar)] = mids[(self.seed + number + bar) % min(2, len(mids))]
        return plan

    # ------------------------------------------------------------ parts
    def play_drums(self, track: Track, active: Sequence[bool]) -> None:
        kit = self.kit
        for span, plan, number in self.spans():
            if not active[number]:
                continue
            energy, kind = span.energy, plan.kind
            candidates = kit.drum_bars(energy)
            main, other = by_energy(candidates, energy, self.seed + number)
            alt = other if other is not main else None
            used = {main.id} | ({alt.id} if alt else set())
            plan.details["drums"] = sorted(used)
            breakdown = kind in ("breakdown", "break")
            if breakdown:
                plan.details["devices"].append("breakdown: no kick, no bass")
            layer = kind in BIG and not kit.style.brushes and kit.swing < 0.6
            if layer:
                plan.details["devices"].append("chorus: a shaker/tambourine layer on top of the groove")
            scale = 0.7 + 0.07 * energy
            for bar in range(span.bars):
                start = span.start + bar * self.bar
                if self.is_last(number) and bar == span.bars - 1:
                    self._final_hit(track, start, scale)
                    plan.details.setdefault("fills", []).append("final hit")
                    continue
                pattern = alt if (alt is not None and bar % 4 == 2) else main
                variant = alt is None and bar % 2 == 1
                fill = self._fill_plan.get((number, bar))
                build_roll = kind == "build" and bar >= span.bars - 2
                fill_from = self.bar - fill.beats if fill is not None else self.bar
                if build_roll:
                    fill_from = 0.0 if bar == span.bars - 1 else self.bar / 2
                self._drum_bar(track, start, pattern, scale, bar, fill_from, breakdown, variant)
                if build_roll:
                    self._roll(track, start + fill_from, self.bar - fill_from, scale, bar == span.bars - 1)
                    if "snare roll" not in plan.details["devices"]:
                        plan.details["devices"].append("snare roll")
                elif fill is not None:
                    self._fill(track, start + fill_from, fill, scale, breakdown)
                    plan.details.setdefault("fills", []).append(fill.id)
                if bar == 0 and kit.style.crash and energy >= 4 and not breakdown:
                    track.add(start, 2.0, LANE_KEYS["crash"], round(104 * scale))
                if layer:
                    self._layer(track, start, fill_from, scale, bar)

    def _drum_bar(self, track: Track, start: float, pattern: Pattern, scale: float, bar: int,
                  fill_from: float, breakdown: bool, variant: bool) -> None:
        swing = self.kit.swing_of(pattern)
        steps = pattern.steps
        for lane, hits in pattern.lanes.items():
            if breakdown and lane in ("kick", "tom_low"):
                continue
            key = LANE_KEYS[lane]
            base = LANE_VELOCITY[lane]
            for hit in hits:
                at = self.step_at(hit.step, steps, swing)
                if at >= fill_from - 1e-9 and lane not in ("kick", "crash"):
                    continue
                if hit.char == "g":
                    velocity = base * 0.38
                    note_key = GHOST_KEY if lane in ("snare", "brush") else key
                else:
                    downbeat = 8 if hit.step == 0 else (3 if (hit.step * 4) % steps == 0 else -4)
                    velocity = base + (12 if hit.char == "X" else 0) + downbeat
                    note_key = key
                track.add(start + at, 0.25, note_key, self.velocity(velocity * scale, bar))
        if variant and not breakdown:  # a pickup (or an open hat if the kick is there already)
            at = self.bar - 0.5
            kicks = {self.step_at(h.step, steps, swing) for h in pattern.lanes.get("kick", ())}
            lane = "open_hat" if any(abs(k - at) < 1e-6 for k in kicks) else "kick"
            if at < fill_from - 1e-9 or lane == "kick":
                track.add(start + at, 0.25, LANE_KEYS[lane], round(LANE_VELOCITY[lane] * 0.9 * scale))

    def _layer(self, track: Track, start: float, until: float, scale: float, bar: int) -> None:
        """The chorus lift: 16th shakers (8th tambourines when swung or compound)."""
        eighths = self.kit.compound or self.kit.swing != 0.5
        lane = "tambourine" if eighths else "shaker"
        size = 0.5 if eighths else 0.25
        steps = round(self.bar / size)
        for step in range(steps):
            at = self.step_at(step, steps, self.kit.swing if not self.kit.compound else 0.5)
            if at >= until - 1e-9:
                break
            accent = 10 if (step * size) % 1 < 1e-6 else 0
            track.add(start + at, size, LANE_KEYS[lane], self.velocity((LANE_VELOCITY[lane] + accent) * scale, bar))

    def _fill(self, track: Track, at: float, fill: Pattern, scale: float, breakdown: bool = False) -> None:
        steps = fill.steps or 1
        for lane, hits in fill.lanes.items():
            if breakdown and lane in ("kick", "tom_low"):
                continue
            key = LANE_KEYS[lane]
            for hit in hits:
                offset = hit.step * fill.beats / steps
                rise = 0.92 + 0.16 * hit.step / steps
                velocity = LANE_VELOCITY[lane] * rise * scale * (0.4 if hit.char == "g" else 1.0)
                track.add(at + offset, fill.beats / steps, key, round(velocity))

    def _roll(self, track: Track, at: float, length: float, scale: float, fast: bool) -> None:
        size = 0.25 if fast else 0.5
        count = max(1, round(length / size))
        for i in range(count):
            velocity = (74 + 30 * (i + 1) / count) * scale
            track.add(at + i * size, size, LANE_KEYS["snare"], round(velocity))

    def _final_hit(self, track: Track, start: float, scale: float) -> None:
        track.add(start, 1.0, LANE_KEYS["kick"], round(112 * scale))
        if self.kit.style.crash:
            track.add(start, self.bar, LANE_KEYS["crash"], round(112 * scale))
        elif self.kit.style.brushes:
            track.add(start, self.bar, LANE_KEYS["ride"], round(70 * scale))
        else:
            track.add(start, 1.0, LANE_KEYS["snare"], round(96 * scale))

    def play_bass(self, track: Track, register: tuple[int, int], active: Sequence[bool]) -> None:
        kit = self.kit
        for span, plan, number in self.spans():
            if plan.kind in ("breakdown", "break") or not active[number]:
                continue
            energy = span.energy
            main, alt = by_energy(kit.bass_lines(energy), energy, self.seed + number)
            plan.details["bass"] = sorted({main.id, alt.id})
            for bar in range(span.bars):
                start = span.start + bar * self.bar
                numeral = plan.numerals[bar]
                following = self._next_numeral(number, bar)
                root = self.in_register(self.bass_pc(numeral), register)
                if self.is_last(number) and bar == span.bars - 1:
                    track.add(start, self.bar, root, self.velocity(96, 0))
                    continue
                pattern = alt if bar % 4 == 3 else main
                cadence = self.is_last(number) and bar == span.bars - 2
                self._bass_bar(track, start, pattern, numeral, following, root, register, energy, bar, cadence)

    def _next_numeral(self, number: int, bar: int) -> str:
        plan = self.plans[number]
        if bar + 1 < plan.bars:
            return plan.numerals[bar + 1]
        if number + 1 < len(self.plans):
            return self.plans[number + 1].numerals[0]
        return plan.numerals[bar]

    def _bass_bar(self, track: Track, start: float, pattern: Pattern, numeral: str, following: str,
                  root: int, register: tuple[int, int], energy: int, bar: int, cadence: bool = False) -> None:
        pcs = self.pcs(numeral)
        next_root = self.in_register(self.bass_pc(following), register)
        if abs(next_root + 12 - root) < abs(next_root - root) and next_root + 12 <= register[1]:
            next_root += 12
        swing = self.kit.swing_of(pattern)
        steps = pattern.steps
        base = 70 + 7 * energy
        approach_flip = bar % 2 == 0
        for hit in pattern.lanes["line"]:
            at = self.step_at(hit.step, steps, swing)
            if cadence and at >= self.bar - 0.51:
                continue  # a breath before the final hit
            end = min(self.bar, at + hit.length * self.bar / steps)
            char = hit.char
            velocity, length = base + (8 if hit.step == 0 else 0), (end - at) * 0.9
            if char in "Rr":
                pitch = root
                if char == "r":
                    velocity -= 18
            elif char == "5":
                pitch = root + ((pcs[2] - pcs[0]) % 12 if len(pcs) > 2 else 7)
            elif char == "8":
                pitch = root + 12
            elif char == "3":
                pitch = root + ((pcs[1] - pcs[0]) % 12 if len(pcs) > 1 else 4)
            elif char == "7":
                pitch = root + ((pcs[3] - pcs[0]) % 12 if len(pcs) > 3 else 10)
            elif char == "6":
                pitch = root + 9
            elif char == "l":
                pitch = root + ((pcs[2] - pcs[0]) % 12 if len(pcs) > 2 else 7) - 12
            elif char == "a":
                if next_root % 12 == root % 12:
                    pitch = root + 7
                else:
                    pitch = next_root - 1 if (approach_flip or next_root + 1 > register[1]) else next_root + 1
                    if pitch % 12 == root % 12:  # a half step away already: come from the other side
                        pitch = next_root + 1 if pitch < next_root else next_root - 1
                velocity -= 6
            elif char == "s":
                steps_below = [next_root - d for d in (1, 2) if (next_root - d) % 12 in self.scale]
                below = next((b for b in steps_below if b % 12 != root % 12), next_root + 2)
                pitch = below if next_root % 12 != root % 12 else root + 2
                velocity -= 6
            elif char == "d":
                pitch, velocity, length = root, velocity - 14, min(length, 0.12)
            else:
                pitch = root
            while pitch < register[0]:
                pitch += 12
            while pitch > register[1] + 5:
                pitch -= 12
            track.add(start + at, length, pitch, self.velocity(velocity, bar))

    def play_chords(self, track: Track, part_name: str, role: str, program: int, register: tuple[int, int],
                    rank: int, active: Sequence[bool]) -> None:
        family = family_of(part_name, role, program)
        kit = self.kit
        for span, plan, number in self.spans():
            if not active[number]:
                continue
            energy = span.energy
            lift = 5 if plan.kind in BIG else 0
            reg = (register[0] + lift, register[1] + lift) if register[1] + lift <= 96 else register
            if role == "pad":
                pattern = next(iter(kit.comp_for("pad", energy)))
                family_here = "pad"
            else:
                # a second player of the same family takes the sparser of the fitting patterns
                pattern = by_energy(kit.comp_for(family, energy), energy - min(rank, 1), self.seed + number + rank)[0]
                family_here = family
            device = "power" if family == "distorted" else pattern.device
            if role == "pad":
                device = "pad"
            plan.details.setdefault("comp", {})[part_name] = f"{pattern.id} ({device})"
            cycle = self.cycle(plan)
            for bar in range(span.bars):
                start = span.start + bar * self.bar
                numeral = plan.numerals[bar]
                final = self.is_last(number) and bar == span.bars - 1
                index = bar % len(cycle)
                in_cycle = cycle[index] == numeral
                voices = self._voices(family_here, device)
                if device == "power":
                    voicing = self._power(numeral, reg, track)
                    if plan.kind not in BIG:  # root and fifth; the chorus adds the octave
                        voicing = voicing[:2]
                elif device == "piano":
                    rh = (max(reg[0], 55), max(reg[1], 76))
                    voicing = self._voicing_for(cycle, index, numeral, rh, voices, in_cycle)
                elif device == "strum":
                    strings = 5 if rank == 0 else 4  # a second guitar strums lighter
                    voicing = self._voicing_for(cycle, index, numeral, (max(40, reg[0] - 8), reg[1]), strings, in_cycle)
                else:
                    voicing = self._voicing_for(cycle, index, numeral, reg, voices, in_cycle)
                if device == "shell" and len(voicing) >= 4:
                    voicing = voicing[:1] + voicing[2:] if len(voicing) > 4 else voicing
                if final:
                    for pitch in voicing:
                        track.add(start, self.bar, pitch, self.velocity(72 + 4 * energy, 0))
                    if device == "piano":
                        track.add(start, self.bar, self.in_register(self.bass_pc(numeral), (36, 48)), 80)
                    continue
                if device == "pad":
                    self._pad(track, start, voicing, energy, bar)
                    continue
                self._comp_bar(track, start, pattern, device, voicing, numeral, energy, bar)

    def _voices(self, family: str, device: str) -> int:
        if device in ("skank", "stab"):
            return 3
        if device == "pad":
            return 3
        return 4

    def _voicing_for(self, cycle: list[str], index: int, numeral: str, register: tuple[int, int],
                     voices: int, in_cycle: bool) -> list[int]:
        if in_cycle:
            return self.voicings(cycle, register, voices)[index]
        # a cadence or turnaround chord: voiced next to the cycle's chord it replaces
        pair = [cycle[index - 1] if index else cycle[-1], numeral]
        return self.voicings(pair, register, voices)[1]

    def _power(self, numeral: str, register: tuple[int, int], track: Track) -> list[int]:
        """Root and fifth (and the octave), in the shape nearest the last one."""
        root_pc = self.bass_pc(numeral)
        low = max(40, register[0] - 8)
        previous = [n.pitch for n in track.notes[-3:]] if track.notes else []
        options = []
        for octave in range(low - 12, low + 24):
            if octave % 12 != root_pc:
                continue
            options.append([octave, octave + 7, octave + 12])
            options.append([octave - 5, octave, octave + 7])
        options = [o for o in options if o[0] >= low - 2 and o[-1] <= max(register[1], low + 19)]
        if not options:
            base = self.in_register(root_pc, (low, low + 12))
            return [base, base + 7, base + 12]
        if not previous:
            return min(options, key=lambda o: abs(o[0] - (low + 4)))
        return min(options, key=lambda o: sum(min(abs(p - q) for q in previous) for p in o))

    def _pad(self, track: Track, start: float, voicing: list[int], energy: int, bar: int) -> None:
        """A held chord, tied over the bar line while it does not change (fewer synth voices),
        struck again as a whole when it does."""
        held: dict[int, TimedNote] = getattr(self, "_held", {})
        same = set(held) == set(voicing) and all(
            abs(n.start + n.duration - start) < 1e-6 for n in held.values())
        if same:
            for note in held.values():
                note.duration += self.bar
            return
        now: dict[int, TimedNote] = {}
        for pitch in voicing:
            track.add(start, self.bar, pitch, self.velocity(50 + 5 * energy, bar))
            now[pitch] = track.notes[-1]
        self._held = now

    def _comp_bar(self, track: Track, start: float, pattern: Pattern, device: str, voicing: list[int],
                  numeral: str, energy: int, bar: int) -> None:
        swing = self.kit.swing_of(pattern)
        steps = pattern.steps
        base = 56 + 7 * energy
        beat_ms = 60000.0 / self.arr.tempo
        for hit in pattern.lanes["line"]:
            at = self.step_at(hit.step, steps, swing)
            end = min(self.bar, at + hit.length * self.bar / steps)
            length = end - at
            accent = 10 if hit.char in "XDU" or hit.step == 0 else 0
            velocity = self.velocity(base + accent, bar)
            char = hit.char
            if char.isdigit():
                index = int(char) - 1
                pitch = voicing[index % len(voicing)] + (12 if index >= len(voicing) else 0)
                track.add(start + at, length * 0.98, pitch, velocity - 6)
                continue
            if device == "strum":
                down = char in "Dd"
                strings = voicing if down else voicing[-3:]
                order = strings if down else list(reversed(strings))
                ring = min(length * 0.95, 1.5)  # a strummed string is damped by the next strum
                for i, pitch in enumerate(order):
                    offset = i * STRUM_MS / beat_ms
                    track.add(start + at + offset, max(0.05, ring - offset), pitch,
                              velocity - (0 if down else 8) - i)
                continue
            if device in ("stab", "skank"):
                length = min(length, 0.22)
            elif device == "power" and char == "x":
                length = min(length, 0.3)  # palm-muted
            for pitch in voicing:
                track.add(start + at, length * 0.95, pitch, velocity)
        left = pattern.lanes.get("left")
        if left and device == "piano":
            root = self.in_register(self.bass_pc(numeral), (36, 48))
            pcs = self.pcs(numeral)
            for hit in left:
                at = self.step_at(hit.step, steps, swing)
                length = min(self.bar, at + hit.length * self.bar / steps) - at
                fifth = root + ((pcs[2] - pcs[0]) % 12 if len(pcs) > 2 else 7)
                pitch = {"R": root, "8": root + 12, "5": fifth}.get(hit.char, root)
                track.add(start + at, length * 0.95, pitch, self.velocity(base + 4, bar))

    def play_line(self, track: Track, role: str, register: tuple[int, int], sections: Sequence[int],
                  lead: bool) -> None:
        """A topline (or lead line) in the given sections."""
        for span, plan, number in self.spans():
            if number not in sections:
                continue
            chords = [self.pcs(n)[:4] for n in plan.numerals]
            if self.is_last(number):
                chords = chords[:-1] or chords
            line = topline(
                chords, self.key, self.arr.meter, section=plan.section.name, energy=span.energy,
                seed=self.seed + number * 31, register=register, motif=self.motif,
                role="lead" if lead else "vocal", style=self.genre_name,
            )
            for note in line.notes:
                if note.start >= span.bars * self.bar:
                    continue
                track.add(span.start + note.start, note.duration, note.pitch, note.velocity)
            if self.is_last(number):
                last = span.start + (span.bars - 1) * self.bar
                track.add(last, self.bar, self.in_register(self.tonic, (register[0] + 7, register[1])), 84)
            plan.details.setdefault("melody", {})[track.name] = {
                "role": "lead" if lead else "vocal", "devices": list(line.devices), "rule_ids": list(line.rule_ids)}
            plan.details["rule_ids"] += [r for r in line.rule_ids if r not in plan.details["rule_ids"]]

    def play_counter(self, track: Track, register: tuple[int, int], sections: Sequence[int], rank: int) -> None:
        """A counter-line of long notes (thirds or fifths of the chords) for a second melody
        instrument in the big sections."""
        low, high = register
        middle = max(low, (low + high) // 2 - 4)
        for span, plan, number in self.spans():
            if number not in sections:
                continue
            plan.details.setdefault("devices", []).append(f"{track.name}: counter-line")
            for bar, numeral in enumerate(plan.numerals):
                pcs = self.pcs(numeral)
                pc = pcs[min(len(pcs) - 1, 1 + rank % 2)]
                start = span.start + bar * self.bar
                half = self.bar / 2
                track.add(start, half * 0.95, middle + (pc - middle) % 12, self.velocity(62 + 4 * span.energy, bar))
                pc2 = pcs[(1 + rank) % len(pcs)] if bar % 2 else pcs[0]
                second = middle + (pc2 - middle) % 12
                track.add(start + half, half * 0.95, second, self.velocity(58 + 4 * span.energy, bar))

    def play_fx(self, track: Track, register: tuple[int, int]) -> bool:
        played = False
        for span, plan, number in self.spans():
            kind = self.boundary(number)
            if kind != "lift" and not (plan.kind == "build"):
                continue
            start = span.start + (span.bars - 1) * self.bar
            pitch = self.in_register(self.tonic, (register[0] + 12, register[1]))
            for i in range(8):  # a rising sweep, step by step
                track.add(start + i * self.bar / 8, self.bar / 8, min(127, pitch + i), 62 + 3 * i)
            plan.details.setdefault("devices", []).append("riser")
            played = True
        return played
