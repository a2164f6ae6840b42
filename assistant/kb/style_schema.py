"""The groove vocabulary's schema: `[[groove]]` patterns and `[[style]]` entries.

A groove is one pattern a player repeats, written the way drum machines and charts show it:
one character per grid step, so a producer can read and edit it.

    kick  = "x...x...x...x..."   x hit, X accent, g ghost, . rest
    bass  = "R-----R-5---R-a-"   R root, r soft root, 5 fifth, 8 octave, 3 third, 7 seventh,
                                 6 sixth, l fifth below, a chromatic approach into the next
                                 chord, s scale-step approach, d dead (muted) note, - hold
    comp  = "D-D-U-DU"           strum: D/d down, U/u up (capital = accent); block, stab,
                                 power, skank, pad: x/X; arpeggio: 1-6 = voicing note from
                                 the bottom, x = the whole chord

A style ties a genre (and a meter) to its grooves: drum bars for each energy, fills of
different lengths, bass lines, comping per instrument family, extensions, a cadence for
the ending and its feel (swing, push or lay-back of the backbeat, timing spread). Every
entry has an id and a `why`; the loader names file, id and field on any error.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from assistant.kb.schema import Entry
from assistant.song import Mode

DRUM_LANES = (
    "kick", "snare", "clap", "rim", "hat", "pedal_hat", "open_hat", "ride", "ride_bell",
    "shaker", "tambourine", "cowbell", "tom_hi", "tom_mid", "tom_low", "crash", "brush",
)
DRUM_CHARS = frozenset(".xXg")
BASS_CHARS = frozenset(".-Rr5836l7asd")
COMP_CHARS = frozenset(".-xXDdUu123456")
Kind = Literal["drums", "fill", "bass", "comp"]
Device = Literal["block", "strum", "power", "arpeggio", "stab", "skank", "pad", "piano", "shell"]
Family = Literal["keys", "guitar", "distorted", "pad", "organ", "synth", "mallets", "strings", "any"]
Boundary = Literal["section", "lift", "drop", "ending", "mid"]
"""Where a fill goes: any section end, into a bigger section, into a quieter one, the song's
last bar, or in the middle of a long section."""
COMPOUND = ("6/8", "9/8", "12/8")


METERS = ("2/4", "3/4", "4/4", "5/4", "6/8", "7/8", "9/8", "12/8")


def _valid_meter(value: str) -> str:
    if value not in METERS:
        raise ValueError(f"meter {value!r} is not one of {' '.join(METERS)}")
    return value


def _meter_pulses(meter: str) -> tuple[int, int]:
    num, den = (int(p) for p in meter.split("/"))
    return num, den


class Groove(Entry):
    """One pattern: a drum bar, a fill, a bass line or a comping rhythm."""

    PREFIX: ClassVar[str] = "groove"
    kind: Kind
    meter: str = "4/4"
    """The meter the pattern is written in; steps must divide the bar evenly."""
    energy: tuple[int, int] = (1, 5)
    """Lowest and highest section energy it is played at."""
    swing: float = Field(default=0.5, ge=0.5, le=0.75)
    """Share of a beat pair taken by the first 8th/16th; never on a compound meter."""
    # drums and fills: one string per lane
    kick: str = ""
    snare: str = ""
    clap: str = ""
    rim: str = ""
    hat: str = ""
    pedal_hat: str = ""
    open_hat: str = ""
    ride: str = ""
    ride_bell: str = ""
    shaker: str = ""
    tambourine: str = ""
    cowbell: str = ""
    tom_hi: str = ""
    tom_mid: str = ""
    tom_low: str = ""
    crash: str = ""
    brush: str = ""
    # fills
    beats: float = Field(default=0.0, ge=0, le=8)
    """A fill's length in quarter beats (it replaces the end of the bar)."""
    boundary: tuple[Boundary, ...] = ()
    # bass and comping
    line: str = ""
    """The bass line or the comping rhythm (see the module docstring)."""
    left: str = ""
    """Piano left hand under `line` (the right hand): R root, 5 fifth, 8 octave, x root+fifth."""
    device: Device = "block"
    families: tuple[Family, ...] = ("any",)

    @field_validator("meter")
    @classmethod
    def _meter(cls, value: str) -> str:
        return _valid_meter(value)

    @field_validator("energy")
    @classmethod
    def _energy(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= value[0] <= value[1] <= 5:
            raise ValueError(f"energy range {list(value)} must run upwards inside 1-5")
        return value

    def lanes(self) -> dict[str, str]:
        """The drum lanes that are written, by name."""
        return {lane: getattr(self, lane) for lane in DRUM_LANES if getattr(self, lane)}

    @property
    def steps(self) -> int:
        strings = [*self.lanes().values(), self.line, self.left]
        return max((len(s) for s in strings if s), default=0)

    @model_validator(mode="after")
    def _check(self) -> Groove:
        lanes = self.lanes()
        if self.kind in ("drums", "fill"):
            if self.line or self.left:
                raise ValueError(f"a {self.kind} groove writes drum lanes, not 'line'/'left'")
            for lane, text in lanes.items():
                bad = set(text) - DRUM_CHARS
                if bad:
                    raise ValueError(f"{lane}: {''.join(sorted(bad))!r} is not one of x X g .")
            if len({len(t) for t in lanes.values()}) > 1:
                raise ValueError("every drum lane must have the same number of steps")
        else:
            if lanes:
                raise ValueError(f"a {self.kind} groove writes 'line', not drum lanes")
            if not self.line:
                raise ValueError(f"a {self.kind} groove needs a 'line'")
            allowed = BASS_CHARS if self.kind == "bass" else COMP_CHARS
            for name, text in (("line", self.line), ("left", self.left)):
                bad = set(text) - (allowed | (BASS_CHARS if name == "left" else set()))
                if bad:
                    raise ValueError(f"{name}: {''.join(sorted(bad))!r} is not allowed in a {self.kind} line")
            if self.left and len(self.left) != len(self.line):
                raise ValueError("'left' must have as many steps as 'line'")
            if self.line[0] == "-":
                raise ValueError("line: a pattern cannot start by holding ('-')")
        if self.kind == "fill":
            if self.beats <= 0:
                raise ValueError("beats: a fill needs its length in beats")
            if not self.boundary:
                raise ValueError("boundary: say where the fill goes (section, lift, drop, ending, mid)")
            if lanes and (self.steps / self.beats) % 1:
                raise ValueError(f"{self.steps} steps do not split {self.beats:g} beats evenly")
        elif self.steps:
            num, den = _meter_pulses(self.meter)
            if self.steps % num:
                raise ValueError(f"{self.steps} steps do not split a bar of {self.meter} evenly")
        if self.swing != 0.5 and self.meter in COMPOUND:
            raise ValueError(f"swing {self.swing} on {self.meter}: a compound meter already has its triplets")
        return self


Cadence = tuple[str, ...]


class Style(Entry):
    """How a genre grooves in one meter (or a meter's default when `genres` is empty)."""

    PREFIX: ClassVar[str] = "style"
    genres: tuple[str, ...] = ()
    """Genre names this style plays; empty = the default for its meter."""
    meter: str = "4/4"
    drums: tuple[str, ...] = Field(min_length=2)
    """Drum bar groove ids; together they must cover energy 1-5."""
    fills: tuple[str, ...] = Field(min_length=3)
    bass: tuple[str, ...] = Field(min_length=2)
    comp: tuple[str, ...] = Field(min_length=1)
    crash: bool = True
    """Crash cymbals on big downbeats and the final hit; False for styles that do not use them."""
    ghosts: bool = False
    """The style's snare has ghost notes (the drum bars then must write some)."""
    extensions: tuple[Literal["7", "dom7", "9", "13", "6", "add9"], ...] = ()
    """Notes added to every chord: 7 (diatonic seventh), dom7 (a flat seventh on major chords,
    as in the blues), 9, 13, 6, add9 (a ninth without the seventh)."""
    cadence: Cadence = ("V",)
    """Chords before the last tonic in a major-family key (numerals on the major scale)."""
    cadence_minor: Cadence = ("V",)
    push_ms: float = Field(default=0.0, ge=-30, le=30)
    """Backbeat timing: negative pushes ahead, positive lays back."""
    timing_ms: float = Field(default=8.0, ge=0, le=20)
    """Spread of onsets around the grid (standard deviation, ms)."""
    velocity_sd: float = Field(default=5.0, ge=0, le=14)
    """Random velocity spread added to the written accents."""
    swing: float = Field(default=0.5, ge=0.5, le=0.75)
    """The style's swing (the grooves carry their own); never on a compound meter."""
    walking: bool = False
    """The bass walks quarter notes through the changes (jazz)."""
    brushes: bool = False
    modes: tuple[Mode, ...] = ()

    @field_validator("meter")
    @classmethod
    def _meter(cls, value: str) -> str:
        return _valid_meter(value)

    @model_validator(mode="after")
    def _no_compound_swing(self) -> Style:
        if self.swing != 0.5 and self.meter in COMPOUND:
            raise ValueError(f"swing {self.swing} on {self.meter}: a compound meter already has its triplets")
        return self


STYLE_COLLECTIONS: dict[str, type[Entry]] = {"groove": Groove, "style": Style}


def check_styles(entries: dict[str, dict[str, Entry]], origin: dict, genre_names: set[str]) -> None:
    """Cross-checks: every groove a style names exists, has the right kind and meter, the
    drum bars cover energies 1-5, fills come in three lengths, ghosts are written where
    claimed. Raises KnowledgeError naming file, id and field."""
    from assistant.errors import KnowledgeError

    grooves = entries.get("groove", {})
    for style in entries.get("style", {}).values():
        assert isinstance(style, Style)

        def fail(fld: str, problem: str, style: Style = style) -> None:
            raise KnowledgeError(str(origin.get(style.id, "?")), style.id, fld, problem)

        for name in style.genres:
            if " ".join(name.lower().replace("-", " ").split()) not in genre_names:
                fail("genres", f"unknown genre name {name!r}")
        for fld, kind in (("drums", "drums"), ("fills", "fill"), ("bass", "bass"), ("comp", "comp")):
            for ref in getattr(style, fld):
                groove = grooves.get(ref)
                if not isinstance(groove, Groove):
                    fail(fld, f"unknown groove id {ref!r}")
                    continue
                if groove.kind != kind:
                    fail(fld, f"{ref!r} is a {groove.kind} groove, not {kind}")
                if kind != "fill" and groove.meter != style.meter:
                    fail(fld, f"{ref!r} is written in {groove.meter}, the style in {style.meter}")
        bars = [g for g in (grooves[r] for r in style.drums) if isinstance(g, Groove)]
        covered = {e for g in bars for e in range(g.energy[0], g.energy[1] + 1)}
        if covered != {1, 2, 3, 4, 5}:
            fail("drums", f"drum bars cover energies {sorted(covered)}, not 1-5")
        lengths = {g.beats for g in (grooves[r] for r in style.fills) if isinstance(g, Groove)}
        if len(lengths) < 3:
            fail("fills", f"fills need three different lengths, not {sorted(lengths)}")
        if style.ghosts and not any("g" in lane for g in bars for lane in g.lanes().values()):
            fail("ghosts", "the style claims ghost notes but no drum bar writes one ('g')")
        if style.meter in COMPOUND and any(g.swing != 0.5 for g in bars):
            fail("drums", "swing on a compound meter")
