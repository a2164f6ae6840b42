"""The Song sheet: the one state every stage reads and writes.

Chords are stored as Roman numerals relative to the tonic, numbered against the *major*
scale whatever the mode (in A minor, F is `bVI` and G is `bVII`), so changing the key
transposes everything and a progression means the same in any key. `assistant.theory`
turns numerals into symbols and pitches.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.keys import MODES as MODES  # re-exported: Key and Mode live in assistant.keys
from assistant.keys import Key as Key
from assistant.keys import Mode as Mode

SCHEMA_VERSION = 1

StageName = Literal[
    "conception", "composition", "arrangement", "recording", "editing", "mixing"
]
STAGES: tuple[StageName, ...] = (
    "conception",
    "composition",
    "arrangement",
    "recording",
    "editing",
    "mixing",
)
STAGE_TITLES: dict[str, str] = {
    "conception": "Conception",
    "composition": "Composition",
    "arrangement": "Arrangement",
    "recording": "Recording",
    "editing": "Editing",
    "mixing": "Mixing & Mastering",
}

DECISION_FIELDS: frozenset[str] = frozenset({
    "moods", "theme", "genre", "references", "length", "title", "key", "tempo", "meter", "progression",
    "melody", "melody idea", "singer range", "structure", "instrumentation", "sources",
    "click", "backing track", "take", "take check", "quantize", "target", "mix analysis",
    "master preview",
})
"""The `field` names the coach's decisions use; checklists name them to tick themselves."""

StageStatus = Literal["todo", "active", "done", "skipped"]
Role = Literal["chords", "bass", "drums", "melody", "pad", "lead", "fx"]

_METER = re.compile(r"^(\d{1,2})/(1|2|4|8|16)$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Note(_Model):
    """One note of a melody or motif, timed in quarter-note beats from the section start."""

    pitch: int = Field(ge=0, le=127)
    start: float = Field(ge=0)
    duration: float = Field(gt=0)
    velocity: int = Field(default=90, ge=1, le=127)


class Melody(_Model):
    notes: list[Note] = []
    source: str = ""
    """How it was made: "typed", "generated seed 3", a MIDI file name..."""


class Instrument(_Model):
    name: str
    role: Role
    program: int = Field(default=0, ge=0, le=127)
    """General MIDI program (0-based); ignored for drums, which play on channel 10."""


class Section(_Model):
    name: str
    bars: int = Field(ge=1, le=256)
    energy: int = Field(default=3, ge=1, le=5)
    """1 = sparse (intro), 5 = everything playing (last chorus)."""
    progression: list[str] = []
    """Roman numerals, one chord per bar, repeated to fill the section; empty = the song's."""
    instruments: list[str] | None = None
    """Instrument names playing here; None = every instrument of the song."""
    levels: dict[str, float] = {}
    """Per-instrument level 0..1 in this section (written as CC7/CC11 automation)."""


class Decision(_Model):
    """Something the user chose or accepted, with the rules behind it."""

    stage: StageName
    field: str
    value: str
    rule_ids: list[str] = []
    why: str = ""


class LyricSection(_Model):
    """The words of one section, as typed ("verse 1", "chorus"): one string a line."""

    name: str
    lines: list[str] = []


class Take(_Model):
    """A recorded take kept on the sheet (Recording stage), with how it compared."""

    path: str
    part: str = ""
    score: float | None = None
    why: str = ""


class ReferenceSection(_Model):
    start_s: float = Field(ge=0)
    end_s: float = Field(ge=0)
    label: str
    """Letter by repetition: sections that sound alike share one (A, B, C…)."""
    name: str = ""
    """The likely role: "intro", "verse", "chorus", "bridge", "outro"."""


class ReferenceSong(_Model):
    """What the coach heard in the user's favourite song (`coach analyze X.wav --reference`)."""

    path: str
    tempo_bpm: float | None = None
    key: str | None = None
    loop: list[str] = []
    sections: list[ReferenceSection] = []
    lufs: float | None = None


class StageState(_Model):
    status: StageStatus = "todo"
    notes: list[str] = []
    checklist_done: list[str] = []


class RecordingTargets(_Model):
    peak_min_dbfs: float = -12.0
    peak_max_dbfs: float = -6.0
    noise_floor_max_dbfs: float = -60.0
    sample_rate: int = 48000
    bit_depth: int = 24
    sources: list[str] = []
    """What will be recorded: "vocals", "acoustic guitar"..."""


class MixTargets(_Model):
    platform: str | None = None
    lufs: float | None = None
    true_peak_dbtp: float | None = None


class Song(_Model):
    schema_version: int = SCHEMA_VERSION
    title: str = "Untitled"
    mood_text: str = ""
    """The vibe in the user's own words."""
    moods: list[str] = []
    theme: str | None = None
    """What the song is about or for, as the knowledge base names it ("memorial and funeral")."""
    genre: str | None = None
    references: list[str] = []
    key: Key | None = None
    tempo: float | None = Field(default=None, ge=20, le=400)
    meter: str = "4/4"
    length_s: int | None = None
    """The length the user asked for, in seconds."""
    progression: list[str] = []
    """The song's main progression in Roman numerals (see module docstring)."""
    structure: str | None = None
    """Id of the structure template the sections came from."""
    sections: list[Section] = []
    instrumentation: list[Instrument] = []
    melody: Melody | None = None
    motif: Melody | None = None
    singer_range: tuple[int, int] | None = None
    """Lowest and highest comfortable MIDI pitch of the singer."""
    lyrics: list[LyricSection] = []
    """The words, section by section, in the order they were written."""
    takes: list[Take] = []
    reference: ReferenceSong | None = None
    stages: dict[StageName, StageState] = Field(
        default_factory=lambda: {stage: StageState() for stage in STAGES}
    )
    decisions: list[Decision] = []
    recording: RecordingTargets = RecordingTargets()
    mix: MixTargets = MixTargets()

    @field_validator("meter")
    @classmethod
    def _meter(cls, value: str) -> str:
        value = value.strip()
        match = _METER.match(value)
        if not match or int(match.group(1)) == 0:
            raise ValueError(f"meter {value!r} is not like 4/4, 3/4, 6/8 or 7/8")
        return value

    @field_validator("schema_version")
    @classmethod
    def _version(cls, value: int) -> int:
        if value > SCHEMA_VERSION:
            raise ValueError(
                f"schema version {value} is newer than this coach understands ({SCHEMA_VERSION})"
            )
        return value

    # --- derived, never stored twice ---
    @property
    def beats_per_bar(self) -> float:
        """Length of a bar in quarter-note beats (6/8 -> 3.0)."""
        num, den = meter_parts(self.meter)
        return num * 4 / den

    @property
    def total_bars(self) -> int:
        return sum(section.bars for section in self.sections)

    def duration_s(self) -> float:
        """Length of the arranged song in seconds (without any release tail)."""
        tempo = self.tempo or 100.0
        bars = self.total_bars or 1
        return bars * self.beats_per_bar * 60.0 / tempo

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    @classmethod
    def from_json(cls, text: str) -> Song:
        return cls.model_validate_json(text)


def meter_parts(meter: str) -> tuple[int, int]:
    """`"6/8"` -> `(6, 8)`."""
    num, den = meter.split("/")
    return int(num), int(den)
