"""The groove vocabulary as the arranger uses it: a genre and a meter -> a `Kit` of parsed
patterns from `knowledge/styles.toml` and `knowledge/grooves.toml`.

Parsing a step string happens once per groove (cached on the groove's id); the arranger
only picks: a drum bar for a section's energy and bar, a fill for a boundary, a bass line,
a comping pattern for an instrument family.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from assistant.kb.style_schema import COMPOUND, Groove, Style

if TYPE_CHECKING:
    from assistant.kb.loader import Knowledge
    from assistant.kb.schema import Genre

# General MIDI percussion keys for the drum lanes (channel 10). Ghost snare notes go to the
# second snare key (40) as drum libraries keep ghosts on their own articulation.
LANE_KEYS: dict[str, int] = {
    "kick": 36, "snare": 38, "clap": 39, "rim": 37, "hat": 42, "pedal_hat": 44, "open_hat": 46,
    "ride": 51, "ride_bell": 53, "shaker": 70, "tambourine": 54, "cowbell": 56, "tom_hi": 50,
    "tom_mid": 47, "tom_low": 43, "crash": 49, "brush": 38,
}
GHOST_KEY = 40
LANE_VELOCITY: dict[str, int] = {
    "kick": 100, "snare": 98, "clap": 92, "rim": 80, "hat": 70, "pedal_hat": 64, "open_hat": 74,
    "ride": 74, "ride_bell": 80, "shaker": 58, "tambourine": 64, "cowbell": 70, "tom_hi": 92,
    "tom_mid": 94, "tom_low": 96, "crash": 100, "brush": 52,
}


@dataclass(frozen=True)
class Hit:
    step: int
    char: str
    length: int = 1
    """Steps until the next event or the end of a hold ('-')."""


@dataclass(frozen=True)
class Pattern:
    """A parsed groove: hits per lane (drums) or per line ('line', 'left')."""

    id: str
    kind: str
    steps: int
    swing: float
    energy: tuple[int, int]
    lanes: dict[str, tuple[Hit, ...]]
    device: str = "block"
    families: tuple[str, ...] = ("any",)
    beats: float = 0.0
    boundary: tuple[str, ...] = ()
    why: str = ""

    def fits(self, energy: int) -> bool:
        return self.energy[0] <= energy <= self.energy[1]


def _hits(text: str) -> tuple[Hit, ...]:
    hits: list[Hit] = []
    for step, char in enumerate(text):
        if char in ".-":
            continue
        length = 1
        while step + length < len(text) and text[step + length] == "-":
            length += 1
        hits.append(Hit(step, char, length))
    return tuple(hits)


@cache
def _parse(groove: Groove) -> Pattern:
    if groove.kind in ("drums", "fill"):
        lanes = {lane: _hits(text) for lane, text in groove.lanes().items()}
    else:
        lanes = {"line": _hits(groove.line)}
        if groove.left:
            lanes["left"] = _hits(groove.left)
    return Pattern(
        id=groove.id, kind=groove.kind, steps=groove.steps, swing=groove.swing, energy=groove.energy,
        lanes=lanes, device=groove.device, families=tuple(groove.families), beats=groove.beats,
        boundary=tuple(groove.boundary), why=groove.why,
    )


@dataclass
class Kit:
    """One style's patterns, ready to play."""

    style: Style
    drums: list[Pattern]
    fills: list[Pattern]
    bass: list[Pattern]
    comp: list[Pattern]
    swing: float
    meter: str
    used: dict[str, str] = field(default_factory=dict)

    @property
    def compound(self) -> bool:
        return self.meter in COMPOUND

    def swing_of(self, pattern: Pattern) -> float:
        """Swing for a pattern: none on compound meters (the triplets are in the grid)."""
        if self.compound:
            return 0.5
        return pattern.swing if pattern.swing != 0.5 else self.swing

    def drum_bars(self, energy: int) -> list[Pattern]:
        found = [p for p in self.drums if p.fits(energy)]
        if found:
            return found
        return [min(self.drums, key=lambda p: min(abs(energy - p.energy[0]), abs(energy - p.energy[1])))]

    def bass_lines(self, energy: int, walking: bool = True) -> list[Pattern]:
        found = [p for p in self.bass if p.fits(energy)]
        return found or self.bass[:1]

    def comp_for(self, family: str, energy: int) -> list[Pattern]:
        """Comping patterns for an instrument family at this energy, the family's own first,
        then the ones for any instrument."""
        own = [p for p in self.comp if family in p.families and p.fits(energy)]
        if own:
            return own
        anyone = [p for p in self.comp if "any" in p.families and p.fits(energy)]
        if anyone:
            return anyone
        loose = [p for p in self.comp if family in p.families]
        return loose or [p for p in self.comp if p.fits(energy)] or self.comp[:1]

    def fills_for(self, boundary: str, bar_beats: float) -> list[Pattern]:
        fits = [p for p in self.fills if p.beats <= bar_beats + 1e-9]
        found = [p for p in fits if boundary in p.boundary]
        return found or [p for p in fits if "section" in p.boundary] or fits


def find_style(kb: Knowledge, genre: Genre | None, meter: str) -> Style | None:
    """The genre's style in this meter, else the meter's default style, else None."""
    styles = kb.styles
    if genre is not None:
        names = {genre.name.lower(), *(a.lower() for a in genre.aliases)}
        for style in styles:
            if style.meter == meter and any(g.lower() in names for g in style.genres):
                return style
    for style in styles:
        if style.meter == meter and not style.genres:
            return style
    return None


def load_kit(kb: Knowledge, genre: Genre | None, meter: str) -> Kit | None:
    style = find_style(kb, genre, meter)
    if style is None:
        return None

    def patterns(ids: tuple[str, ...]) -> list[Pattern]:
        out = []
        for ref in ids:
            groove = kb.entries.get("groove", {}).get(ref)
            if isinstance(groove, Groove):
                out.append(_parse(groove))
        return out

    own = genre is not None and any(g.lower() == genre.name.lower() for g in style.genres)
    swing = style.swing
    if own and genre is not None and genre.swing != 0.5:
        swing = genre.swing
    if meter in COMPOUND:
        swing = 0.5
    return Kit(
        style=style, drums=patterns(style.drums), fills=patterns(style.fills), bass=patterns(style.bass),
        comp=patterns(style.comp), swing=swing, meter=meter,
    )


def family_of(name: str, role: str, program: int) -> str:
    """An instrument's comping family from its role, General MIDI program and name."""
    lowered = name.lower()
    if role == "pad":
        return "strings" if 40 <= program <= 55 else "pad"
    if "distort" in lowered or "overdrive" in lowered or program in (29, 30, 31):
        return "distorted"
    if 24 <= program <= 28 or program == 105 or "guitar" in lowered or "banjo" in lowered:
        return "guitar"
    if 16 <= program <= 20:
        return "organ"
    if 8 <= program <= 15:
        return "mallets"
    if 40 <= program <= 55:
        return "strings"
    if 88 <= program <= 95 or 80 <= program <= 87 or 56 <= program <= 63:
        return "synth"
    return "keys"
