"""The knowledge schema: what each kind of entry in `knowledge/*.toml` must hold.

A TOML file holds arrays of tables named after the collections below (`[[mood]]`,
`[[progression]]`...). Every entry has a dotted `id` (`mood.sad`) and a plain-language
`why`; facts from outside carry a `source`. Models are frozen and reject unknown fields,
so a typo in a knowledge file is an error, not a silently ignored key.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from assistant.song import DECISION_FIELDS, Mode, Role, StageName

_ID = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$")
_METER = re.compile(r"^\d{1,2}/(1|2|4|8|16)$")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Entry(_Frozen):
    id: str
    """Dotted id, its first part the collection's prefix: `mood.sad`, `prog.axis`."""
    why: str = Field(min_length=3)
    """Plain language: why this fits, shown to the user next to every suggestion."""
    source: str = ""
    """Where a fact from outside comes from (a standard, a paper, a platform's spec)."""

    PREFIX: ClassVar[str] = ""  # overridden per collection (class attribute, not a field)

    @field_validator("id")
    @classmethod
    def _dotted(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(f"id {value!r} is not a dotted lower-case id like 'mood.sad'")
        return value

    @model_validator(mode="after")
    def _prefix(self) -> Entry:
        prefix = type(self).PREFIX
        if prefix and not self.id.startswith(prefix + "."):
            raise ValueError(f"id {self.id!r} must start with '{prefix}.'")
        return self


def _check_range(low: float, high: float, what: str) -> None:
    if low > high:
        raise ValueError(f"{what} range [{low}, {high}] runs backwards")


class Mood(Entry):
    PREFIX: ClassVar[str] = "mood"
    name: str
    synonyms: tuple[str, ...] = ()
    """Words and short phrases that mean this mood ("blue", "heartbroken")."""
    modes: tuple[Mode, ...] = Field(min_length=1)
    """Best-fitting modes first."""
    tempo: tuple[int, int]
    """Comfortable tempo range in bpm."""
    meters: tuple[str, ...] = ("4/4",)
    energy: int = Field(ge=1, le=5)
    valence: float = Field(ge=-1, le=1)
    """-1 = dark/negative .. +1 = bright/positive; used to blend several moods."""
    progressions: tuple[str, ...] = ()
    """Ids of progressions that fit."""
    instruments: tuple[str, ...] = ()
    """Instrument ids that fit."""

    @field_validator("tempo")
    @classmethod
    def _tempo(cls, value: tuple[int, int]) -> tuple[int, int]:
        _check_range(*value, "tempo")
        return value


class DrumGroove(_Frozen):
    """One bar of drums on a step grid; lanes list the steps (0-based) that sound."""

    steps: int = Field(ge=3, le=48)
    kick: tuple[int, ...] = ()
    snare: tuple[int, ...] = ()
    clap: tuple[int, ...] = ()
    rim: tuple[int, ...] = ()
    hat: tuple[int, ...] = ()
    open_hat: tuple[int, ...] = ()
    ride: tuple[int, ...] = ()
    shaker: tuple[int, ...] = ()
    swing: float = Field(default=0.5, ge=0.5, le=0.75)
    """Share of the beat pair taken by the first 8th/16th (0.5 straight, 0.66 triplet swing)."""


class BassHit(_Frozen):
    step: int = Field(ge=0)
    tone: Literal["root", "fifth", "octave", "third", "approach"] = "root"
    length: int = Field(default=1, ge=1)
    """In steps."""


class BassPattern(_Frozen):
    steps: int = Field(ge=3, le=48)
    hits: tuple[BassHit, ...] = Field(min_length=1)


class CompHit(_Frozen):
    step: int = Field(ge=0)
    length: int = Field(default=1, ge=1)


class CompPattern(_Frozen):
    """How the chord instrument plays a bar: block hits, or an arpeggio over the voicing."""

    steps: int = Field(ge=3, le=48)
    style: Literal["block", "arpeggio"] = "block"
    hits: tuple[CompHit, ...] = Field(min_length=1)


class Genre(Entry):
    PREFIX: ClassVar[str] = "genre"
    name: str
    aliases: tuple[str, ...] = ()
    tempo: tuple[int, int]
    meters: tuple[str, ...] = ("4/4",)
    modes: tuple[Mode, ...] = Field(min_length=1)
    keys: tuple[str, ...] = ()
    """Common tonics ("E", "A", "G")."""
    structures: tuple[str, ...] = Field(min_length=1)
    """Structure ids, most typical first."""
    progressions: tuple[str, ...] = ()
    instruments: tuple[str, ...] = Field(min_length=1)
    """Instrument ids in the default line-up."""
    drums: DrumGroove
    bass: BassPattern
    comp: CompPattern
    loudness_lufs: float = Field(ge=-30, le=0)
    """Typical integrated loudness of released masters in this genre."""
    quantize_strength: float = Field(default=0.8, ge=0, le=1)
    swing: float = Field(default=0.5, ge=0.5, le=0.75)
    spectral_curve: str = ""
    """Id of the reference spectral curve for mix analysis."""

    @field_validator("tempo")
    @classmethod
    def _tempo(cls, value: tuple[int, int]) -> tuple[int, int]:
        _check_range(*value, "tempo")
        return value

    @field_validator("meters")
    @classmethod
    def _meters(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for meter in value:
            if not _METER.match(meter):
                raise ValueError(f"meter {meter!r} is not like 4/4 or 6/8")
        return value


class Progression(Entry):
    PREFIX: ClassVar[str] = "prog"
    name: str
    numerals: tuple[str, ...] = Field(min_length=2)
    """One chord per bar, relative to the tonic on the major scale (`i bVI bIII bVII`)."""
    modes: tuple[Mode, ...] = Field(min_length=1)
    moods: tuple[str, ...] = ()
    """Mood names (not ids) it suits."""
    genres: tuple[str, ...] = ()
    """Genre names it is common in."""
    examples: tuple[str, ...] = ()
    """Famous songs that use it: "Let It Be — The Beatles"."""


class SectionTemplate(_Frozen):
    name: str
    bars: int = Field(ge=1, le=64)
    energy: int = Field(ge=1, le=5)


class Structure(Entry):
    PREFIX: ClassVar[str] = "structure"
    name: str
    sections: tuple[SectionTemplate, ...] = Field(min_length=2)
    genres: tuple[str, ...] = ()


class Question(_Frozen):
    id: str
    text: str
    slot: str
    """Which part of the Song sheet the answer fills ("moods", "key", "tempo"...)."""
    examples: tuple[str, ...] = ()


class Stage(Entry):
    PREFIX: ClassVar[str] = "stage"
    stage: StageName
    title: str
    intro: str
    questions: tuple[Question, ...] = Field(min_length=1)
    checklist: tuple[str, ...] = Field(min_length=3)
    ticked_by: dict[int, tuple[str, ...]] = {}
    """Checklist item number (1-based) -> decision fields: the item counts as done once the
    sheet has a decision on any of them ("Set the tempo" by `tempo`)."""

    @field_validator("ticked_by")
    @classmethod
    def _ticks_name_items_and_fields(
        cls, value: dict[int, tuple[str, ...]], info: ValidationInfo
    ) -> dict[int, tuple[str, ...]]:
        items = len(info.data.get("checklist", ()))
        for number, fields in value.items():
            if not 1 <= number <= items:
                raise ValueError(f"item {number} is not on the checklist (1-{items})")
            for name in fields:
                if name not in DECISION_FIELDS:
                    raise ValueError(f"{name!r} is not a decision field; use one of "
                                     f"{', '.join(sorted(DECISION_FIELDS))}")
        return value


class Tip(Entry):
    PREFIX: ClassVar[str] = "tip"
    stage: StageName
    title: str
    text: str
    tags: tuple[str, ...] = ()


InstrumentFamily = Literal[
    "keys", "guitar", "bass", "strings", "brass", "woodwind", "synth", "pad", "percussion",
    "drums", "voice", "fx", "ethnic",
]


class Instrument(Entry):
    PREFIX: ClassVar[str] = "inst"
    name: str
    role: Role
    program: int = Field(default=0, ge=0, le=127)
    """General MIDI program number, 0-based (0 = Acoustic Grand Piano)."""
    pitch_range: tuple[int, int] = (48, 72)
    """Comfortable MIDI pitch range for voicing (lowest, highest)."""
    gm_name: str = ""
    """The General MIDI Level 1 name of `program` ("Electric Piano 1"); empty for the drum kit."""
    family: InstrumentFamily | None = None
    """What kind of instrument it is: swaps stay in a family ("the piano for a rhodes")."""
    aliases: tuple[str, ...] = ()
    """Words people use for it ("rhodes", "wurli", "synths", "uke"); unique across instruments."""


class Target(Entry):
    """A release target: a streaming platform's normalisation level and peak ceiling."""

    PREFIX: ClassVar[str] = "target"
    name: str
    lufs: float = Field(ge=-40, le=0)
    true_peak_dbtp: float = Field(ge=-10, le=0)


class Band(_Frozen):
    low_hz: float = Field(gt=0)
    high_hz: float = Field(gt=0)
    db: float


class SpectralCurve(Entry):
    """A genre's average spectral balance, bands relative to the loudest band or the mean."""

    PREFIX: ClassVar[str] = "curve"
    name: str
    bands: tuple[Band, ...] = Field(min_length=3)


class AdviceRule(Entry):
    """A check on a measured figure: fires when `metric` is below `min` or above `max`.

    `message` is a format string with `{value}` and the rule's own fields, e.g.
    "Peaks at {value:.1f} dBFS: aim for {min} to {max} dBFS."
    """

    PREFIX: ClassVar[str] = "rule"
    stage: StageName
    metric: str
    min: float | None = None
    max: float | None = None
    severity: int = Field(default=2, ge=1, le=3)
    """3 = fix before release, 2 = worth fixing, 1 = a nudge."""
    message: str

    @model_validator(mode="after")
    def _bounds(self) -> AdviceRule:
        if self.min is None and self.max is None:
            raise ValueError("an advice rule needs 'min', 'max' or both")
        if self.min is not None and self.max is not None:
            _check_range(self.min, self.max, self.metric)
        return self


class ChordMove(Entry):
    """A theory rule for `coach next-chord`: after the chords in `after` (oldest first), `to`
    is a good next step. Numerals are relative to the tonic, numbered on the major scale.
    `weight` adds to the rule prior the model blends with the song statistics; an entry with
    an empty `after` (and weight 0) describes the colour of `to` itself. In `modes`, "major"
    also covers lydian and mixolydian and "minor" covers dorian, phrygian and locrian.
    `genres` (genre names), when given, limit the rule to songs of those genres."""

    PREFIX: ClassVar[str] = "move"
    after: tuple[str, ...] = Field(default=(), max_length=3)
    to: str = Field(min_length=1)
    modes: tuple[Mode, ...] = Field(min_length=1)
    weight: float = Field(ge=0, le=5)
    genres: tuple[str, ...] = ()


_CUE = re.compile(r"^[a-z0-9&'#+]+( [a-z0-9&'#+]+)*$")


def _check_words(value: tuple[str, ...], what: str) -> tuple[str, ...]:
    """Cues and aliases are matched as whole words on normalised text: lower case, single
    spaces, no punctuation but apostrophes (hyphens and slashes read as spaces)."""
    for word in value:
        if not _CUE.match(word):
            raise ValueError(f"{what} {word!r} is not normalised: lower case, single spaces, "
                             "letters, digits and apostrophes (write hyphens as spaces)")
    if len(set(value)) != len(value):
        twice = sorted({w for w in value if value.count(w) > 1})
        raise ValueError(f"{what} listed twice: {', '.join(twice)}")
    return value


class Theme(Entry):
    """What a song is about or for ("a song for my uncle's memorial", "we're getting married"):
    the words people use for it, and the moods, tempo, modes and genres it leans to."""

    PREFIX: ClassVar[str] = "theme"
    name: str
    cues: tuple[str, ...] = Field(min_length=3)
    """Words and phrases people type for it, normalised (see `_check_words`)."""
    moods: tuple[str, ...] = Field(min_length=1)
    """Mood ids it leans to, best first."""
    avoid_moods: tuple[str, ...] = ()
    """Mood ids that would be wrong for it (a memorial is not danceable)."""
    tempo: tuple[int, int]
    """Tempo leaning in bpm."""
    modes: tuple[Mode, ...] = Field(min_length=1)
    meters: tuple[str, ...] = ()
    """Meter leanings ("6/8" for a lullaby), best first; empty = no leaning."""
    genres: tuple[str, ...] = ()
    """Genre ids, hints only."""
    images: tuple[str, ...] = Field(default=(), max_length=16)
    """Concrete images and words for lyrics ("his old chair", "the porch light")."""
    tip: str = Field(min_length=10)
    """One songwriting tip for this subject."""

    @field_validator("cues")
    @classmethod
    def _cues(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_words(value, "cue")

    @field_validator("tempo")
    @classmethod
    def _tempo(cls, value: tuple[int, int]) -> tuple[int, int]:
        _check_range(*value, "tempo")
        if not (30 <= value[0] and value[1] <= 220):
            raise ValueError(f"tempo {list(value)} is outside 30-220 bpm")
        return value

    @field_validator("meters")
    @classmethod
    def _meters(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for meter in value:
            if not _METER.match(meter):
                raise ValueError(f"meter {meter!r} is not like 4/4 or 6/8")
        return value

    @model_validator(mode="after")
    def _moods_not_avoided(self) -> Theme:
        both = sorted(set(self.moods) & set(self.avoid_moods))
        if both:
            raise ValueError(f"moods and avoid_moods both list {', '.join(both)}")
        return self


class GlossaryTerm(Entry):
    """A music or production term with a definition a beginner understands, so "what is
    sidechain?" is answered with what it is, not a loosely related tip."""

    PREFIX: ClassVar[str] = "term"
    term: str
    """Display name: "LUFS", "Sidechain"."""
    aliases: tuple[str, ...] = ()
    """Other ways people write it, normalised ("side chain", "ducking"); unique across terms."""
    definition: str = Field(min_length=60, max_length=900)
    """One plain paragraph: what it is and what it does for the song."""
    see_also: tuple[str, ...] = ()
    """Term ids."""
    stage: StageName
    """The production stage it belongs to most."""
    differs_from: dict[str, str] = {}
    """Term id -> how the two differ (compression vs limiter)."""

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_words(value, "alias")

    @field_validator("definition")
    @classmethod
    def _one_paragraph(cls, value: str) -> str:
        if "\n\n" in value.strip():
            raise ValueError("write the definition as one paragraph")
        return value


class IntentCue(Entry):
    """A command the reader can recognise: cue phrases that mean it on their own (after
    polite words are trimmed) and example sentences that train the intent model."""

    PREFIX: ClassVar[str] = "intent"
    name: str
    cues: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()


class Modifier(Entry):
    """Words that change how other words are read: negators (scoped to their clause),
    clause breaks, "too", intensifiers, softeners, and comparatives with their direction."""

    PREFIX: ClassVar[str] = "mod"
    kind: Literal["negator", "clause-break", "excess", "intensifier", "softener", "comparative"]
    words: tuple[str, ...] = Field(min_length=1)
    toward: tuple[str, ...] = ()
    """Comparatives: mood ids to move toward."""
    away: tuple[str, ...] = ()
    """Comparatives: mood ids to move away from."""
    tempo: int = Field(default=0, ge=-1, le=1)
    energy: int = Field(default=0, ge=-1, le=1)


class Reference(Entry):
    """An artist or song people name ("like Taylor Swift", "Someone Like You vibes"): what it
    tells the coach about the song. `fact` is one checkable fact, `source` where it is from."""

    PREFIX: ClassVar[str] = "ref"
    name: str
    kind: Literal["artist", "song"]
    artist: str = ""
    """The performer, for songs."""
    aliases: tuple[str, ...] = ()
    """How people type it ("tswift", "the weekend"); unique across references."""
    genre: str
    """Id of the closest genre."""
    tempo: tuple[int, int]
    """Typical tempo range in bpm."""
    modes: tuple[Mode, ...] = Field(min_length=1)
    meter: str = "4/4"
    moods: tuple[str, ...] = ()
    """Mood ids."""
    instruments: tuple[str, ...] = ()
    """Signature instrument ids."""
    fact: str = Field(min_length=10)

    @field_validator("tempo")
    @classmethod
    def _tempo(cls, value: tuple[int, int]) -> tuple[int, int]:
        _check_range(*value, "tempo")
        return value

    @field_validator("meter")
    @classmethod
    def _meter(cls, value: str) -> str:
        if not _METER.match(value):
            raise ValueError(f"meter {value!r} is not like 4/4 or 6/8")
        return value

    @model_validator(mode="after")
    def _song_has_artist(self) -> Reference:
        if self.kind == "song" and not self.artist.strip():
            raise ValueError("a song needs its 'artist'")
        return self


# Table name in the TOML files -> model. Adding a collection is one line here.
COLLECTIONS: dict[str, type[Entry]] = {
    "mood": Mood,
    "genre": Genre,
    "progression": Progression,
    "structure": Structure,
    "stage": Stage,
    "tip": Tip,
    "instrument": Instrument,
    "target": Target,
    "curve": SpectralCurve,
    "rule": AdviceRule,
    "move": ChordMove,
    "reference": Reference,
    "intent": IntentCue,
    "modifier": Modifier,
    "theme": Theme,
    "term": GlossaryTerm,
}
