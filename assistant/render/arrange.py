"""The arranger: a Song sheet -> timed note events per track.

Chords are voiced with smooth voice leading (`theory.voice_progression`) and played in the
genre's comping rhythm; the bass plays roots, fifths and approach notes in the genre's
pattern; drums play the genre's groove on channel 10 with fills at section ends; the
melody (or motif) plays where the sheet has one. Energy shapes each section: 1 is sparse
(no drums, long chords), 3 the full groove, 4-5 add crashes, open hats and fills.
Arrangement edits on the sheet win: `Section.instruments` says who plays, and
`Section.levels` becomes CC11 automation with a one-beat ramp at section boundaries.
Everything is deterministic: the same sheet gives the same events.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant import theory
from assistant.errors import BadInput
from assistant.kb.schema import BassPattern, CompPattern, DrumGroove, Genre
from assistant.render.click import add_click
from assistant.render.events import (
    CLICK_CHANNEL,
    DRUM_CHANNEL,
    Arrangement,
    Control,
    SectionSpan,
    TimedNote,
    Track,
)
from assistant.render.patterns import (
    BASE_VELOCITY,
    CRASH,
    DRUM_KEYS,
    TOMS,
    default_patterns,
    meter_groups,
    step_time,
)
from assistant.song import Instrument, Key, Section, Song

if TYPE_CHECKING:  # the knowledge base is loaded lazily
    from assistant.kb.loader import Knowledge
    from assistant.render.style import Kit

DEFAULT_TEMPO = 100.0
PREVIEW_BARS = 8
MAX_BARS = 256
MELODIC_CHANNELS = tuple(c for c in range(16) if c not in (DRUM_CHANNEL, CLICK_CHANNEL))
MELODY_FALLBACK = Instrument(name="Melody", role="melody", program=73)  # flute: soft, clear
_NO_MELODY_WORDS = ("intro", "outro", "instrumental", "interlude", "break", "solo")

# Comfortable pitch ranges when the knowledge base does not know the instrument.
ROLE_REGISTER: dict[str, tuple[int, int]] = {
    "chords": (52, 72),
    "pad": (48, 72),
    "bass": (33, 57),
    "melody": (60, 84),
    "lead": (60, 84),
    "fx": (60, 84),
    "drums": (35, 81),
}
# Static mix: CC7 volume and CC10 pan per role, so nothing needs a mixer to sound balanced.
ROLE_VOLUME = {"drums": 100, "bass": 104, "chords": 88, "pad": 66, "melody": 108, "lead": 100, "fx": 64}
ROLE_PAN = {"drums": 64, "bass": 64, "chords": 50, "pad": 80, "melody": 64, "lead": 72, "fx": 88}
CC_VOLUME, CC_PAN, CC_EXPRESSION = 7, 10, 11
RAMP_STEPS = 8
# Shorter releases, sent as a SoundFont 2.01 NRPN (CC99=120, CC98=generator 38 "release",
# data entry = offset in units of 2 timecents around 8192). A GM string pad rings ~3 s
# after each chord change, smearing the harmony, and costs up to five voices per note
# while it does; a comping piano re-strikes chords several times a bar and each strike
# rings a second on top of the next (a real piano's damper would stop it). Those ringing
# voices were most of a preview's render time. Pads keep an eighth of their release,
# chord instruments a quarter (strums and two-handed piano strike often), bass and melody
# half (their notes are held as written; the tail only smeared the next one). Being an
# NRPN it is in the MIDI file too, so any SF2 synth (the fluidsynth CLI included) plays the
# same thing; GM synths without SF2 NRPNs ignore it.
RELEASE_TIMECENTS = {"pad": -3600, "chords": -2400, "bass": -1200, "melody": -1200, "lead": -1200}


def sf2_nrpn(generator: int, offset: float) -> list[tuple[int, int]]:
    """(control, value) pairs that offset a SoundFont generator on a channel."""
    data = max(0, min(16383, 8192 + round(offset / 2)))
    return [(99, 120), (98, generator), (38, data & 127), (6, data >> 7)]


@dataclass(frozen=True)
class Part:
    """One instrument of the song as the arranger plays it."""

    name: str
    role: str
    program: int
    register: tuple[int, int]
    rank: int = 0
    """0 for the first instrument of its role, 1 for the second...: later ones play less."""


@dataclass(frozen=True)
class Grooves:
    drums: DrumGroove
    bass: BassPattern
    comp: CompPattern
    swing: float = 0.5


# ---------------------------------------------------------------- choosing what to play


def choose_sections(
    song: Song, section: str | None = None, bars: int | None = None, demo: bool = False
) -> list[tuple[Section, int]]:
    """The sections to render, each with its index in the sheet (-1 when made up here).

    `demo`: every section (the first `bars` bars when given). `section`: that section
    (its first `bars` bars, or `bars` long). Otherwise the first chorus, else the song's
    progression for `bars` (default 8) bars at chorus energy.
    """
    if bars is not None and not 1 <= bars <= MAX_BARS:
        raise BadInput(f"--bars must be between 1 and {MAX_BARS}, not {bars}")
    sheet = list(enumerate(song.sections))
    if demo:
        if not sheet:
            sheet = list(enumerate(_default_structure()))
            sheet = [(-1, s) for _, s in sheet]
        chosen: list[tuple[Section, int]] = []
        left = bars if bars is not None else MAX_BARS * len(sheet)
        for index, sec in sheet:
            if left <= 0:
                break
            take = min(sec.bars, left)
            chosen.append((sec if take == sec.bars else sec.model_copy(update={"bars": take}), index))
            left -= take
        return chosen
    if section is not None:
        wanted = " ".join(section.lower().split())
        for index, sec in sheet:
            if " ".join(sec.name.lower().split()) == wanted:
                return [(sec if bars is None else sec.model_copy(update={"bars": bars}), index)]
        names = ", ".join(dict.fromkeys(s.name for _, s in sheet)) or "none (the sheet has no sections)"
        raise BadInput(f"no section named {section!r}; sections: {names}")
    # the first chorus proper; a pre-chorus (or post-chorus) only when there is no other
    choruses = [(index, sec) for index, sec in sheet if "chorus" in sec.name.lower()]
    proper = [(i, s) for i, s in choruses if not re.search(r"(pre|post)[- ]?chorus", s.name.lower())]
    for index, sec in proper or choruses:
        length = bars if bars is not None else sec.bars
        return [(sec.model_copy(update={"bars": length}), index)]
    return [(Section(name="preview", bars=bars or PREVIEW_BARS, energy=4), -1)]


def _default_structure() -> list[Section]:
    return [
        Section(name="intro", bars=4, energy=1),
        Section(name="verse", bars=8, energy=3),
        Section(name="chorus", bars=8, energy=4),
        Section(name="outro", bars=4, energy=2),
    ]


def default_progression(key: Key) -> list[str]:
    if key.mode in ("minor", "dorian", "phrygian", "locrian"):
        return ["i", "bVI", "bIII", "bVII"]
    return ["I", "V", "vi", "IV"]


def resolve_genre(song: Song, kb: Knowledge | None) -> Genre | None:
    if not song.genre or kb is None:
        return None
    try:
        found = kb.get(song.genre)
        if isinstance(found, Genre):
            return found
    except KeyError:
        pass
    return kb.find_genre(song.genre)


def grooves_for(genre: Genre | None, meter: str) -> Grooves:
    """The genre's patterns when written for this meter, else the meter's defaults."""
    if genre is not None and genre.meters and genre.meters[0] == meter:
        return Grooves(genre.drums, genre.bass, genre.comp, genre.swing)
    drums, bass, comp = default_patterns(meter)
    return Grooves(drums, bass, comp, genre.swing if genre is not None else 0.5)


def parts_for(song: Song, genre: Genre | None, kb: Knowledge | None) -> list[Part]:
    line_up = list(song.instrumentation)
    if not line_up:
        if kb is not None:
            from assistant.rules import instruments_for

            line_up = instruments_for(genre, (), kb)
        if not line_up:
            line_up = [
                Instrument(name="Piano", role="chords", program=0),
                Instrument(name="Bass", role="bass", program=33),
                Instrument(name="Drums", role="drums", program=0),
            ]
    parts: list[Part] = []
    for inst in line_up:
        register = ROLE_REGISTER.get(inst.role, (48, 72))
        known = kb.instrument(inst.name) if kb is not None else None
        if known is not None and known.role == inst.role:
            register = _playable(inst.role, known.pitch_range, register)
        rank = sum(1 for p in parts if p.role == inst.role)
        parts.append(Part(inst.name, inst.role, inst.program, register, rank))
    return parts


# Where each role sounds good in a mix: an instrument's full range narrowed to this window.
_WINDOW: dict[str, tuple[int, int]] = {
    "chords": (48, 76),
    "pad": (50, 79),
    "bass": (28, 52),
    "melody": (36, 108),
    "lead": (36, 108),
}


def _playable(role: str, register: tuple[int, int], fallback: tuple[int, int]) -> tuple[int, int]:
    """The instrument's register inside its role's window (a guitar's low E would muddy
    the bass); the role default when too little (under an octave) is left."""
    low, high = _WINDOW.get(role, (0, 127))
    low, high = max(low, register[0]), min(high, register[1])
    return (low, high) if high - low >= 12 else fallback


# ---------------------------------------------------------------- the arranger


def arrange(
    song: Song,
    *,
    section: str | None = None,
    bars: int | None = None,
    demo: bool = False,
    backing: bool = False,
    click: bool = False,
    count_in: int = 0,
    kb: Knowledge | None = None,
    use_knowledge: bool = True,
) -> Arrangement:
    """Arrange `song` into timed tracks. See `choose_sections` for section/bars/demo.

    `backing` drops the melody and lead parts (a track to record over); `click` adds a
    click over the whole render; `count_in` bars of click come before the song.
    `kb` defaults to the shipped knowledge base (genre patterns, instrument registers).
    """
    if not 0 <= count_in <= 16:
        raise BadInput(f"--count-in must be between 0 and 16 bars, not {count_in}")
    if kb is None and use_knowledge:
        from assistant.kb.loader import knowledge

        kb = knowledge()
    chosen = choose_sections(song, section, bars, demo)
    key = song.key or Key(tonic="C", mode="major")
    genre = resolve_genre(song, kb)
    tempo = float(song.tempo or (sum(genre.tempo) / 2 if genre is not None else DEFAULT_TEMPO))
    bar_beats = song.beats_per_bar
    grooves = grooves_for(genre, song.meter)
    parts = parts_for(song, genre, kb)
    line = next((m for m in (song.melody, song.motif) if m is not None and m.notes), None)
    kit = None
    if kb is not None:
        from assistant.render.style import load_kit

        kit = load_kit(kb, genre, song.meter)
    if kit is not None:
        arrangement = _arrange_styled(song, chosen, kit, key, tempo, genre, kb, parts, backing, demo, count_in)
        if click or count_in:
            add_click(arrangement, bars=arrangement.total_bars if click else count_in)
        return arrangement
    if backing:
        parts = [p for p in parts if p.role not in ("melody", "lead")]
    elif line is not None and not any(p.role in ("melody", "lead") for p in parts):
        f = MELODY_FALLBACK
        parts.append(Part(f.name, f.role, f.program, ROLE_REGISTER["melody"]))
    # the melody goes to the first melody instrument, else the first lead
    singer = next((p for p in parts if p.role == "melody"), None) or next((p for p in parts if p.role == "lead"), None)

    spans: list[SectionSpan] = []
    at = count_in * bar_beats
    for sec, index in chosen:
        spans.append(SectionSpan(sec.name, at, sec.bars, sec.energy, index))
        at += sec.bars * bar_beats
    sections = [sec for sec, _ in chosen]

    arrangement = Arrangement(
        title=song.title,
        tempo=tempo,
        meter=song.meter,
        key_tonic=key.tonic,
        key_mode=key.mode,
        bar_beats=bar_beats,
        tracks=[],
        sections=spans,
        count_in_bars=count_in,
    )
    numerals = _bar_numerals(song, sections, key)
    _check_numerals(numerals, key)
    player = _Player(arrangement, grooves, key, numerals, sections, demo, song.progression)
    for part, track in _tracks(parts, arrangement):
        player.play(track, part, line.notes if line is not None and part is singer else None)
        track.tidy()
        arrangement.tracks.append(track)
    _check_names(sections, parts, arrangement)
    if click or count_in:
        end = arrangement.total_bars if click else count_in
        add_click(arrangement, bars=end)
    return arrangement


def _arrange_styled(
    song: Song,
    chosen: list[tuple[Section, int]],
    kit: Kit,
    key: Key,
    tempo: float,
    genre: Genre | None,
    kb: Knowledge | None,
    parts: list[Part],
    backing: bool,
    demo: bool,
    count_in: int,
) -> Arrangement:
    """The arrangement in a style from the knowledge base (see `render/band.py`)."""
    from assistant.render.band import BIG, LEAD, VOCAL, Band, plan_sections, stable_seed
    from assistant.render.feel import humanize_tracks

    bar_beats = song.beats_per_bar
    seed = stable_seed(song.title, key.name, song.meter, song.genre, song.progression,
                       [(s.name, s.bars, s.energy) for s in song.sections])
    plans = plan_sections(chosen, song.progression, key, kit, genre, kb, demo=demo, seed=seed,
                          default=default_progression(key))
    for plan in plans:
        _check_numerals(plan.numerals, key)
    spans: list[SectionSpan] = []
    at = count_in * bar_beats
    for plan in plans:
        spans.append(SectionSpan(plan.section.name, at, plan.bars, plan.section.energy, plan.index, plan.details))
        at += plan.bars * bar_beats
    arrangement = Arrangement(
        title=song.title, tempo=tempo, meter=song.meter, key_tonic=key.tonic, key_mode=key.mode,
        bar_beats=bar_beats, tracks=[], sections=spans, count_in_bars=count_in,
    )
    if song.melody is not None and song.melody.notes:
        sheet_line: Sequence | None = song.melody.notes
    else:
        sheet_line = None
    motif = None
    if song.motif is not None and song.motif.notes:
        motif = [(n.start, n.duration, n.pitch) for n in song.motif.notes]
    if backing:
        parts = [p for p in parts if p.role not in ("melody", "lead")]
    elif not any(p.role in ("melody", "lead") for p in parts):
        f = MELODY_FALLBACK
        parts.append(Part(f.name, f.role, f.program, ROLE_REGISTER["melody"]))
    band = Band(arrangement, kit, key, plans, seed=seed, demo=demo, genre_name=song.genre or "",
                singer_range=song.singer_range, motif=motif)
    sections = [plan.section for plan in plans]
    count = len(plans)
    kinds = [plan.kind for plan in plans]
    energies = [span.energy for span in spans]

    def allowed(part: Part, number: int) -> bool | None:
        listed = sections[number].instruments
        return None if listed is None else _matches(part, listed)

    melodic = [p for p in parts if p.role in ("melody", "lead")]
    singer = next((p for p in melodic if p.role == "melody"), None) or (melodic[0] if melodic else None)
    others = [p for p in melodic if p is not singer]
    soloist = others[0] if others else singer
    vocal = [n for n in range(count) if kinds[n] in VOCAL]
    lead = [n for n in range(count) if kinds[n] in LEAD
            or (kinds[n] not in VOCAL and energies[n] >= 3 and kinds[n] != "breakdown")]
    big = [n for n in range(count) if kinds[n] in BIG or energies[n] >= 4]
    if not big and count:
        big = [max(range(count), key=lambda n: energies[n])]
    for part, track in _tracks(parts, arrangement):
        _setup_controls(track, part, sections, arrangement)
        if part.role == "drums":
            band.play_drums(track, [allowed(part, n) is not False for n in range(count)])
        elif part.role == "bass":
            band.play_bass(track, part.register, [allowed(part, n) is not False for n in range(count)])
        elif part.role in ("chords", "pad"):
            active = []
            for n in range(count):
                sheet = allowed(part, n)
                active.append(sheet if sheet is not None else (part.rank == 0 or n in big))
            band.play_chords(track, part.name, part.role, part.program, part.register, part.rank, active)
        elif part.role in ("melody", "lead"):
            register = _line_register(part, song)
            taken: set[int] = set()
            if part is singer and sheet_line is not None:  # the user's own melody, as before
                for n in range(count):
                    sheet = allowed(part, n)
                    named = not any(w in sections[n].name.lower() for w in _NO_MELODY_WORDS)
                    if sheet or (sheet is None and named):
                        _play_sheet_line(track, spans[n], sheet_line, bar_beats)
                        taken.add(n)
            elif part is singer:
                sung = [n for n in vocal if allowed(part, n) is not False]
                band.play_line(track, part.role, register, sung, lead=False)
            if part is soloist:
                solos = [n for n in lead if allowed(part, n) is not False and n not in taken]
                band.play_line(track, part.role, register, solos, lead=True)
            if part is not singer and part is not soloist:
                band.play_counter(track, register, [n for n in big if allowed(part, n) is not False], part.rank)
            elif part is not singer and not lead:
                band.play_counter(track, register, [n for n in big if allowed(part, n) is not False], part.rank)
        elif part.role == "fx":
            if not band.play_fx(track, part.register) and spans:
                last = spans[-1]
                track.add(last.start, last.bars * bar_beats, part.register[0] + 12, 60)
        arrangement.tracks.append(track)
    _explain(spans, kit)
    humanize_tracks(
        [t for t in arrangement.tracks if t.notes], tempo=tempo, bar_beats=bar_beats, seed=seed,
        timing_ms=kit.style.timing_ms, velocity_sd=max(6.0, kit.style.velocity_sd), push_ms=kit.style.push_ms,
        backbeats=_backbeats(song.meter),
    )
    for track in arrangement.tracks:
        track.tidy()
    _check_names(sections, parts, arrangement)
    return arrangement


def _explain(spans: Sequence[SectionSpan], kit: Kit) -> None:
    """Name the style's devices and every pattern's id among each section's rule ids."""
    style = kit.style
    for span in spans:
        details = span.details
        devices: list[str] = details.setdefault("devices", [])
        if style.extensions:
            devices.append("chord extensions: " + ", ".join(style.extensions))
        if style.brushes:
            devices.append("brushes")
        if any("walk" in b for b in details.get("bass", [])):
            devices.append("walking bass")
        if any(str(c).endswith("(power)") for c in details.get("comp", {}).values()):
            devices.append("power chords on the distorted guitar")
        used = [*details.get("drums", []), *details.get("fills", []), *details.get("bass", []),
                *(str(c).split(" ")[0] for c in details.get("comp", {}).values())]
        ids: list[str] = details.setdefault("rule_ids", [])
        ids += [u for u in dict.fromkeys(used) if u.startswith("groove.") and u not in ids]


def _backbeats(meter: str) -> tuple[float, ...]:
    return {"4/4": (1.0, 3.0), "2/4": (1.0,), "6/8": (1.5,), "12/8": (1.5, 4.5)}.get(meter, ())


def _line_register(part: Part, song: Song) -> tuple[int, int]:
    if song.singer_range is not None and part.role == "melody":
        return song.singer_range
    low, high = part.register
    low = max(low, 55)
    high = min(high, 88)
    return (low, high) if high - low >= 12 else ROLE_REGISTER["melody"]


def _play_sheet_line(track: Track, span: SectionSpan, notes: Sequence, bar_beats: float) -> None:
    length = max(n.start + n.duration for n in notes)
    phrase_bars = max(1, math.ceil(length / bar_beats - 1e-9))
    section_len = span.bars * bar_beats
    for rep in range(0, span.bars, phrase_bars):
        offset = rep * bar_beats
        for note in notes:
            at = offset + note.start
            if at >= section_len:
                continue
            track.add(span.start + at, min(note.duration, section_len - at), note.pitch, note.velocity)


def _setup_controls(track: Track, part: Part, sections: Sequence[Section], arr: Arrangement) -> None:
    """Static mix (CC7 volume, CC10 pan, shorter releases) and CC11 per section, ramped."""
    track.controls += [
        Control(0.0, CC_VOLUME, ROLE_VOLUME.get(part.role, 96)),
        Control(0.0, CC_PAN, ROLE_PAN.get(part.role, 64)),
    ]
    if part.role in RELEASE_TIMECENTS:
        track.controls += [Control(0.0, c, v) for c, v in sf2_nrpn(38, RELEASE_TIMECENTS[part.role])]
    previous: int | None = None
    for span, sec in zip(arr.sections, sections, strict=True):
        value = 127
        for name, level in sec.levels.items():
            if name.lower() in (part.name.lower(), part.role):
                value = round(max(0.0, min(1.0, float(level))) * 127)
                break
        if previous is None:
            track.controls.append(Control(0.0, CC_EXPRESSION, value))
        elif value != previous:
            for step in range(1, RAMP_STEPS + 1):
                mix = step / RAMP_STEPS
                at = span.start + (step - 1) / RAMP_STEPS
                track.controls.append(Control(at, CC_EXPRESSION, round(previous + (value - previous) * mix)))
        previous = value


def _cycle(sec: Section, song_progression: Sequence[str], key: Key) -> list[str]:
    return list(sec.progression or song_progression or default_progression(key))


def _bar_numerals(song: Song, sections: Sequence[Section], key: Key) -> list[str]:
    numerals: list[str] = []
    for sec in sections:
        prog = _cycle(sec, song.progression, key)
        numerals += [prog[i % len(prog)] for i in range(sec.bars)]
    return numerals


def _check_numerals(numerals: Sequence[str], key: Key) -> None:
    for numeral in dict.fromkeys(numerals):
        theory.numeral_to_pitch_classes(numeral, key)  # raises BadInput naming the numeral


def _check_names(sections: Sequence[Section], parts: Sequence[Part], arr: Arrangement) -> None:
    known = {p.name.lower() for p in parts} | {p.role for p in parts}
    for sec in sections:
        for name in [*(sec.instruments or []), *sec.levels]:
            if name.lower() not in known:
                arr.warnings.append(f"section {sec.name!r} names {name!r}, which is not in the song")


def _matches(part: Part, names: Sequence[str]) -> bool:
    lowered = {n.lower() for n in names}
    return part.name.lower() in lowered or part.role in lowered


class _Player:
    """Plays each part over the chosen sections (one instance per arrangement)."""

    def __init__(
        self,
        arr: Arrangement,
        grooves: Grooves,
        key: Key,
        numerals: list[str],
        sections: list[Section],
        demo: bool,
        song_progression: Sequence[str],
    ) -> None:
        self.arr, self.grooves, self.key = arr, grooves, key
        self.numerals, self.sections, self.demo = numerals, sections, demo
        self._pcs: dict[str, tuple[int, ...]] = {}
        self._voicings: dict[tuple[tuple[str, ...], tuple[int, int], int], list[list[int]]] = {}
        self.cycles = [tuple(_cycle(sec, song_progression, key)) for sec in sections]
        self._held: dict[int, TimedNote] = {}

    # --- harmony helpers
    def pcs(self, numeral: str) -> tuple[int, ...]:
        if numeral not in self._pcs:
            self._pcs[numeral] = tuple(theory.numeral_to_pitch_classes(numeral, self.key))
        return self._pcs[numeral]

    def voicing(self, register: tuple[int, int], section_no: int, bar: int, voices: int = 4) -> list[int]:
        """The voiced chord of a bar: each section's progression cycle is voiced once
        (smooth voice leading inside the cycle) and repeated, as a player would."""
        cycle = self.cycles[section_no]
        key = (cycle, register, voices)
        if key not in self._voicings:
            low, high = register
            voiced = theory.voice_progression(list(cycle), self.key, low=low, high=high, voices=voices)
            self._voicings[key] = [sorted(v) for v in voiced]
        return self._voicings[key][bar % len(cycle)]

    def bass_pc(self, numeral: str) -> int:
        """The chord's bass: its root, or the slash bass of `V/3`-style numerals."""
        offset = theory.parse_numeral(numeral).bass_offset
        if offset is None:
            return self.pcs(numeral)[0]
        return (theory.parse_pitch_class(self.key.tonic) + offset) % 12

    def bass_pitch(self, pc: int, register: tuple[int, int]) -> int:
        low = register[0]
        return low + (pc - low) % 12

    # --- structure helpers
    def active(self, part: Part, sec: Section, energy: int, has_line: bool) -> bool:
        """Who plays where: the sheet's list when it has one, else energy decides."""
        if sec.instruments is not None:
            return _matches(part, sec.instruments)
        if part.role == "drums":
            return energy >= 2
        if part.role in ("melody", "lead"):
            if has_line:
                return not any(word in sec.name.lower() for word in _NO_MELODY_WORDS)
            return energy >= 4  # a long-note counter-line lifts the big sections only
        if part.rank > 0:  # a second guitar or pad thickens full sections, not sparse ones
            return energy >= 3
        return True

    def level(self, part: Part, sec: Section) -> float:
        for name, value in sec.levels.items():
            if name.lower() in (part.name.lower(), part.role):
                return max(0.0, min(1.0, float(value)))
        return 1.0

    def is_final_bar(self, section_no: int, bar: int) -> bool:
        last = section_no == len(self.sections) - 1 and bar == self.sections[section_no].bars - 1
        return self.demo and last

    # --- main loop
    def play(self, track: Track, part: Part, line: Sequence | None) -> None:
        self._held = {}
        track.controls += [
            Control(0.0, CC_VOLUME, ROLE_VOLUME.get(part.role, 96)),
            Control(0.0, CC_PAN, ROLE_PAN.get(part.role, 64)),
        ]
        if part.role in RELEASE_TIMECENTS:
            track.controls += [Control(0.0, c, v) for c, v in sf2_nrpn(38, RELEASE_TIMECENTS[part.role])]
        self._levels(track, part)
        bar_index = 0
        for number, (span, sec) in enumerate(zip(self.arr.sections, self.sections, strict=True)):
            energy = span.energy
            playing = self.active(part, sec, energy, line is not None)
            if playing and line is not None:
                self._line(track, span, line)
            for bar in range(span.bars):
                start = span.start + bar * self.arr.bar_beats
                numeral = self.numerals[bar_index]
                following = self.numerals[bar_index + 1] if bar_index + 1 < len(self.numerals) else numeral
                final = self.is_final_bar(number, bar)
                last_in_section = bar == span.bars - 1
                next_span = self.arr.sections[number + 1] if number + 1 < len(self.arr.sections) else None
                if playing:
                    if part.role == "chords":
                        voicing = self.voicing(part.register, number, bar)
                        self._comp(track, start, voicing, energy, final, flip=part.rank % 2 == 1)
                    elif part.role == "pad":
                        self._pad(track, start, self.voicing(part.register, number, bar, voices=3), energy)
                    elif part.role == "bass":
                        self._bass(track, part, start, numeral, following, energy, final)
                    elif part.role == "drums":
                        fill = last_in_section and next_span is not None and (energy >= 3 or next_span.energy > energy)
                        self._drums(track, start, energy, bar == 0, fill, final)
                    elif part.role in ("melody", "lead") and line is None:
                        self._guide(track, part, start, numeral, energy)
                    elif part.role == "fx" and last_in_section and next_span is not None:
                        if next_span.energy > energy:
                            self._riser(track, part, start, numeral)
                bar_index += 1

    def _levels(self, track: Track, part: Part) -> None:
        """CC11 per section, ramped over one beat where the level changes."""
        previous: int | None = None
        for span, sec in zip(self.arr.sections, self.sections, strict=True):
            value = round(self.level(part, sec) * 127)
            if previous is None:
                track.controls.append(Control(0.0, CC_EXPRESSION, value))
            elif value != previous:
                for step in range(1, RAMP_STEPS + 1):
                    mix = step / RAMP_STEPS
                    at = span.start + (step - 1) / RAMP_STEPS
                    track.controls.append(Control(at, CC_EXPRESSION, round(previous + (value - previous) * mix)))
            previous = value

    def _line(self, track: Track, span: SectionSpan, notes: Sequence) -> None:
        bar_beats = self.arr.bar_beats
        length = max(n.start + n.duration for n in notes)
        phrase_bars = max(1, math.ceil(length / bar_beats - 1e-9))
        section_len = span.bars * bar_beats
        for rep in range(0, span.bars, phrase_bars):
            offset = rep * bar_beats
            for note in notes:
                at = offset + note.start
                if at >= section_len:
                    continue
                duration = min(note.duration, section_len - at)
                track.add(span.start + at, duration, note.pitch, note.velocity)

    def _comp(
        self, track: Track, start: float, voicing: list[int], energy: int, final: bool, flip: bool = False
    ) -> None:
        bar_beats = self.arr.bar_beats
        base = 50 + 9 * energy
        if energy <= 1 or final:
            for pitch in voicing:
                track.add(start, bar_beats, pitch, base)
            return
        comp = self.grooves.comp
        for i, hit in enumerate(comp.hits):
            if hit.step >= comp.steps:
                continue
            at = step_time(hit.step, comp.steps, bar_beats, self.grooves.swing)
            end = min(bar_beats, at + hit.length * bar_beats / comp.steps)
            velocity = base + (8 if hit.step == 0 else 0)
            # a second chord instrument plays the other style, so two guitars do not double
            if (comp.style == "arpeggio") != flip:
                pitch = voicing[i % len(voicing)]
                track.add(start + at, end - at, pitch, velocity - 6)
            else:
                for pitch in voicing:
                    track.add(start + at, (end - at) * 0.95, pitch, velocity)

    def _pad(self, track: Track, start: float, voicing: list[int], energy: int) -> None:
        """Sustained chords, common tones tied across the bar line (legato, and far fewer
        voices for the synth: a string pad note can cost five voices and three seconds)."""
        held: dict[int, TimedNote] = {}
        for pitch in voicing:
            before = self._held.get(pitch)
            if before is not None and abs(before.start + before.duration - start) < 1e-6:
                before.duration += self.arr.bar_beats
                held[pitch] = before
            else:
                track.add(start, self.arr.bar_beats, pitch, 44 + 5 * energy)
                held[pitch] = track.notes[-1]
        self._held = held

    def _bass(
        self, track: Track, part: Part, start: float, numeral: str, following: str, energy: int, final: bool
    ) -> None:
        pcs = self.pcs(numeral)
        root = self.bass_pitch(self.bass_pc(numeral), part.register)
        bar_beats = self.arr.bar_beats
        base = 62 + 8 * energy
        if energy <= 1 or final:
            track.add(start, bar_beats, root, base)
            return
        pattern = self.grooves.bass
        next_root = self.bass_pitch(self.bass_pc(following), part.register)
        for hit in pattern.hits:
            if hit.step >= pattern.steps:
                continue
            if energy == 2 and hit.tone not in ("root", "octave"):
                continue
            if hit.tone == "fifth":
                pitch = root + 7 if len(pcs) < 3 else self.bass_pitch(pcs[2], part.register)
            elif hit.tone == "third":
                pitch = self.bass_pitch(pcs[1], part.register) if len(pcs) > 1 else root
            elif hit.tone == "octave":
                pitch = root + 12
            elif hit.tone == "approach":
                # a half step below the next root leads into it; repeat chords walk the fifth
                pitch = next_root - 1 if next_root != root else root + 7
            else:
                pitch = root
            if pitch > part.register[1]:
                pitch -= 12
            at = step_time(hit.step, pattern.steps, bar_beats, self.grooves.swing)
            end = min(bar_beats, at + hit.length * bar_beats / pattern.steps)
            track.add(start + at, (end - at) * 0.92, pitch, base + (6 if hit.step == 0 else 0))

    def _drums(self, track: Track, start: float, energy: int, first: bool, fill: bool, final: bool) -> None:
        groove = self.grooves.drums
        bar_beats = self.arr.bar_beats
        scale = 0.72 + 0.07 * energy
        if final:
            track.add(start, bar_beats, CRASH, round(110 * scale))
            track.add(start, 1.0, DRUM_KEYS["kick"], round(110 * scale))
            return
        if energy <= 1:  # listed explicitly in a sparse section: just time-keeping
            lanes = {"hat": groove.hat or groove.ride or groove.shaker}
        else:
            lanes = {lane: tuple(getattr(groove, lane)) for lane in DRUM_KEYS}
            if energy == 2:
                lanes = {"kick": lanes["kick"][:1], "rim": lanes["snare"] or lanes["clap"], "hat": lanes["hat"]}
            elif energy == 3:
                lanes["open_hat"] = ()
        fill_from = self._fill_start() if fill else bar_beats
        for lane, steps in lanes.items():
            key = DRUM_KEYS[lane]
            for step in steps:
                if step >= groove.steps:
                    continue
                at = step_time(step, groove.steps, bar_beats, groove.swing)
                if at >= fill_from and lane != "kick":
                    continue
                accent = 10 if step == 0 else (4 if step % 2 == 0 else -6)
                velocity = round((BASE_VELOCITY[lane] + accent) * scale)
                track.add(start + at, 0.25, key, velocity)
        if first and energy >= 4:
            track.add(start, 2.0, CRASH, round(100 * scale))
        if fill:
            self._fill(track, start + fill_from, bar_beats - fill_from, energy, scale)

    def _fill_start(self) -> float:
        """A fill takes the bar's last group: the last beat in 4/4, the last 3 eighths in 6/8."""
        den = int(self.arr.meter.split("/")[1])
        last = meter_groups(self.arr.meter)[-1] * 4 / den
        return max(0.0, self.arr.bar_beats - last)

    def _fill(self, track: Track, at: float, length: float, energy: int, scale: float) -> None:
        hits = max(2, round(length / 0.25))
        step = length / hits
        for i in range(hits):
            # snare first, then down the toms; louder towards the next downbeat
            key = DRUM_KEYS["snare"] if i < hits // 2 else TOMS[min(len(TOMS) - 1, (i - hits // 2) * 2)]
            velocity = round((84 + 30 * i / max(1, hits - 1) + 2 * energy) * scale)
            track.add(at + i * step, step, key, velocity)

    def _guide(self, track: Track, part: Part, start: float, numeral: str, energy: int) -> None:
        """A counter-line of long notes: the chord's third (or fifth, for a second player)."""
        pcs = self.pcs(numeral)
        pc = pcs[min(len(pcs) - 1, 1 + part.rank % 2)]
        low, high = part.register
        middle = max(low, (low + high) // 2 - 6)
        track.add(start, self.arr.bar_beats * 0.98, middle + (pc - middle) % 12, 50 + 6 * energy)

    def _riser(self, track: Track, part: Part, start: float, numeral: str) -> None:
        pitch = self.bass_pitch(self.pcs(numeral)[0], (part.register[0] + 12, part.register[1]))
        track.add(start, self.arr.bar_beats, pitch, 70)


def _tracks(parts: Sequence[Part], arrangement: Arrangement) -> list[tuple[Part, Track]]:
    """A track per part: drums on channel 10 (a second kit is left out, with a warning),
    the others on the free melodic channels."""
    channels = iter(MELODIC_CHANNELS)
    drums_taken = False
    out = []
    for part in parts:
        if part.role == "drums":
            if drums_taken:
                arrangement.warnings.append(f"{part.name}: a second drum kit is left out")
                continue
            drums_taken = True
            channel = DRUM_CHANNEL
        else:
            channel = next(channels, -1)
            if channel < 0:
                raise BadInput(f"too many instruments: at most {len(MELODIC_CHANNELS)} besides the drums")
        out.append((part, Track(part.name, part.role, channel,
                                0 if part.role == "drums" else part.program)))
    return out
