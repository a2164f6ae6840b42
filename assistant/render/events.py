"""Timed note events per track: what the arranger produces and both MIDI and audio consume.

Times are in quarter-note beats from the start of the render (tempo is constant), so the
same `Arrangement` gives the MIDI file (ticks) and the synth's event list (samples).
Plain dataclasses: no numpy, no pydantic, cheap to build and to test.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DRUM_CHANNEL = 9  # General MIDI channel 10
CLICK_CHANNEL = 15  # kept apart so drum-level automation never touches the click


@dataclass(slots=True)
class TimedNote:
    start: float
    """Quarter-note beats from the start of the render."""
    duration: float
    pitch: int
    velocity: int


@dataclass(slots=True)
class Control:
    time: float
    control: int
    value: int


@dataclass
class Track:
    name: str
    role: str
    channel: int
    program: int
    notes: list[TimedNote] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)
    lyrics: list[tuple[float, str]] = field(default_factory=list)
    """(beat, syllable) lyric meta events, one a sung note (see `assistant.lyrics.karaoke`)."""

    @property
    def is_drums(self) -> bool:
        return self.channel == DRUM_CHANNEL

    def add(self, start: float, duration: float, pitch: int, velocity: int) -> None:
        if duration > 0 and 0 <= pitch <= 127:
            self.notes.append(TimedNote(start, duration, pitch, max(1, min(127, velocity))))

    def tidy(self) -> None:
        """Sort notes and cut a note short where the same pitch starts again.

        Without this a note-off of the first note would silence the second one early,
        both in the synth and in most DAWs.
        """
        self.notes.sort(key=lambda n: (n.start, n.pitch))
        self.controls.sort(key=lambda c: c.time)
        last: dict[int, TimedNote] = {}
        for note in self.notes:
            before = last.get(note.pitch)
            if before is not None and before.start + before.duration > note.start:
                before.duration = max(note.start - before.start, 1e-3)
            last[note.pitch] = note
        self.notes = [n for n in self.notes if n.duration >= 1e-3]


@dataclass(frozen=True)
class SectionSpan:
    name: str
    start: float
    """Beat where the section starts in the render."""
    bars: int
    energy: int
    index: int = -1
    """Position of the section in the Song sheet (-1 for a made-up preview section)."""
    details: dict = field(default_factory=dict, compare=False, hash=False)
    """What the arranger chose here and why: progression, patterns, devices, rule ids."""


@dataclass
class Arrangement:
    title: str
    tempo: float
    meter: str
    key_tonic: str
    key_mode: str
    bar_beats: float
    tracks: list[Track]
    sections: list[SectionSpan]
    count_in_bars: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def total_bars(self) -> int:
        return self.count_in_bars + sum(s.bars for s in self.sections)

    @property
    def total_beats(self) -> float:
        return self.total_bars * self.bar_beats

    @property
    def duration_s(self) -> float:
        """Length without the release tail."""
        return self.seconds(self.total_beats)

    def seconds(self, beats: float) -> float:
        return beats * 60.0 / self.tempo

    def track(self, role: str) -> Track | None:
        return next((t for t in self.tracks if t.role == role), None)
