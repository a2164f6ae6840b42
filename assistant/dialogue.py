"""The types every part of the conversation shares: the command read from a turn, and the
reply that goes back to a face.

A face (TUI, plain chat) either sends text, which `assistant.understanding.read` turns into a
`Command`, or builds a `Command` itself (a click on option 2 is `Command("pick", number=2)`)
and hands it to `Coach.do`: the coach never sees English it did not get from the user.
Kept apart from `coach.py` so the stages can use these types without importing the coach.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from assistant.song import Song, StageName

if TYPE_CHECKING:
    from assistant.render.result import RenderResult

Intent = Literal[
    "empty", "help", "status", "more", "back", "skip", "next", "undo", "quit", "yes", "no",
    "pick", "why", "play", "goto", "change", "arrange", "question", "answer", "suggest",
    "restart", "checklist", "tick", "untick", "feedback", "instruments", "define", "export",
    "chords", "tool", "clarify", "lyrics",
]
INTENTS: tuple[str, ...] = Intent.__args__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class SectionEdit:
    """One arrangement edit: add/remove/resize/duplicate a section, mute/unmute an instrument
    in it or set its level there, energy."""

    action: Literal["add", "remove", "bars", "mute", "unmute", "energy", "level", "duplicate"]
    section: str
    bars: int | None = None
    instrument: str | None = None
    """A role word ("drums", "bass", "chords"...) for mute/unmute/level."""
    where: tuple[str, str] | None = None
    """("after"|"before", section) for "add a solo after the bridge"."""
    delta: int = 0
    """Energy change for "make the chorus bigger"; for a level without a number, the
    direction ("turn the drums down in the verse": -1)."""
    level: float | None = None
    """0..1 for "bring the bass down to 60% in the verse"."""


@dataclass(frozen=True)
class Slots:
    """Everything a turn says about the song. The stage decides which parts matter now."""

    moods: tuple[str, ...] = ()
    """Mood ids wanted, in order ("mood.dark", "mood.danceable")."""
    not_moods: tuple[str, ...] = ()
    """Mood ids to move away from ("not sad", "too gloomy")."""
    genre: str | None = None
    not_genre: str | None = None
    theme: str | None = None
    """Theme id: what the song is about or for ("theme.memorial")."""
    references: tuple[str, ...] = ()
    """Artists or songs named, as the knowledge base spells them when it knows them."""
    key: tuple[str, str] | None = None
    """(tonic, mode), e.g. ("F#", "minor"); mode "" when not said ("in D")."""
    mode: str | None = None
    """A mode without a tonic: "something in a minor key"."""
    not_mode: str | None = None
    """"not in minor"."""
    tempo: float | None = None
    tempo_word: str | None = None
    """"very slow", "slow", "medium", "fast", "very fast"."""
    tempo_delta: float | None = None
    """Relative change in bpm: "a bit faster" -> +6."""
    energy_delta: int | None = None
    """"more energy", "calmer": +1 / -1."""
    meter: str | None = None
    length_s: int | None = None
    length_delta: int | None = None
    """"make it longer" -> +30 (seconds)."""
    transpose: int | None = None
    title: str | None = None
    number: int | None = None
    """A bare number or ordinal in the text (-1 = "the last one")."""
    path: str | None = None
    """Something that looks like a file path (a take, a mix, an export folder)."""
    sources: tuple[str, ...] = ()
    """Things to record: "vocals", "acoustic guitar"."""
    chords: tuple[str, ...] = ()
    """Chord symbols or numerals typed in order ("G", "D", "Em", "C")."""
    add: tuple[str, ...] = ()
    """Instrument ids to add to the line-up."""
    remove: tuple[str, ...] = ()
    """Instrument ids to take out."""
    section: str | None = None
    """The section a turn is about ("play the chorus", "no drums in the verse")."""
    terms: tuple[str, ...] = ()
    """Glossary ids asked about ("term.sidechain")."""
    comparatives: tuple[str, ...] = ()
    """Ids of the comparatives said ("mod.brighter", "mod.different"), for feedback."""
    words: tuple[str, ...] = ()
    """The normalised (typo-corrected) words, for stages that match their own vocabulary."""

    def any(self) -> bool:
        """Does it say anything about the song's feel or settings?"""
        return any(
            (self.moods, self.not_moods, self.genre, self.theme, self.references, self.key,
             self.mode, self.not_mode, self.tempo, self.tempo_word, self.tempo_delta,
             self.energy_delta, self.meter, self.length_s, self.length_delta, self.transpose,
             self.title)
        )


@dataclass(frozen=True)
class Command:
    """One turn, read: what to do (`intent`) and what it says (`slots`)."""

    intent: Intent
    text: str = ""
    slots: Slots = field(default_factory=Slots)
    number: int | None = None
    stage: str | None = None
    """The stage for "goto"; for "play", the section to play ("play the chorus")."""
    edits: tuple[SectionEdit, ...] = ()
    numbers: tuple[int, ...] = ()
    """The checklist items of "tick 1 and 3" / "untick 2"."""
    why: str = ""
    """How it was read: the words and rules that decided it (for `why` on a decision)."""
    alternatives: tuple[Command, ...] = ()
    """For "clarify": the close readings the user chooses between."""

    def __getattr__(self, name: str) -> Any:
        # `command.tempo` reads the slot: the corpus and the faces need not know the nesting
        if name.startswith("__"):
            raise AttributeError(name)
        slots = self.__dict__.get("slots")
        if slots is not None and name in Slots.__dataclass_fields__:
            return getattr(slots, name)
        raise AttributeError(name)

    def with_slots(self, **changes: Any) -> Command:
        return replace(self, slots=replace(self.slots, **changes))


Parsed = Command
"""The old name, kept for the stage modules' signatures."""


@dataclass(frozen=True)
class Option:
    """A numbered suggestion."""

    number: int
    """1-based, as shown."""
    label: str
    """"A minor · 72 bpm · 4/4"."""
    why: str
    """Plain-language why."""
    rule_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class PreviewRequest:
    """"play 2": the face renders it (TUI in a worker, plain chat inline) with
    `render_request`."""

    song: Song
    """The sheet to render: a copy with the option applied."""
    section: str | None
    bars: int | None
    """None = the whole arranged song (for a click: bars of click after the count-in)."""
    label: str
    kind: Literal["preview", "click", "backing track"] = "preview"
    """A preview of the song, a click alone (the song's tempo and meter), or a backing
    track to record over (the song without its melody, with a click)."""
    count_in: int = 0
    """Bars of click before the music."""
    wav: str | None = None
    """Where to write it; None = a new file in the previews folder."""


@dataclass(frozen=True)
class ExportRequest:
    """"export to ~/songs": the face writes the song's files there (`assistant.export`)."""

    folder: str | None = None
    """None = the default export folder."""


def render_request(request: PreviewRequest) -> RenderResult:
    """Render a request to its WAV (and a MIDI file beside it). Raises a `CoachError` on a
    missing soundfont or an unwritable path; the faces say so in one line."""
    from assistant.render import default_preview_path, preview

    wav = Path(request.wav) if request.wav else default_preview_path(request.label)
    wav.parent.mkdir(parents=True, exist_ok=True)
    midi = wav.with_suffix(".mid")
    song = request.song
    if request.kind == "click":
        from assistant.render.click import click_arrangement
        from assistant.render.pipeline import render_arrangement

        arrangement = click_arrangement(song.tempo or 100.0, song.meter, request.bars or 8,
                                        request.count_in)
        return render_arrangement(arrangement, wav, midi, loudness=False)
    # no bars and no section = the whole arranged song
    whole = request.bars is None and request.section is None and bool(song.sections)
    backing = request.kind == "backing track"
    return preview(song, wav, midi_path=midi, section=request.section, bars=request.bars,
                   demo=whole, backing=backing, click=backing, count_in=request.count_in)


@dataclass(frozen=True)
class Reply:
    text: str
    """Markdown. It does not list the options: faces show `options` themselves."""
    options: tuple[Option, ...]
    stage: StageName
    """Where the conversation is now."""
    preview: PreviewRequest | None = None
    done: bool = False
    """All six stages are through."""
    quit: bool = False
    """The user asked to leave ("quit", "bye"); the face may close."""
    new_song: bool = False
    """The user chose to start a new song: the face saves this session as it is and opens a
    new one (`Store.resume(new=True)`), whose greeting it shows next."""
    analysis: dict[str, Any] | None = None
    """A mix analysis (`analysis.audio_report.analyze_audio`'s dict): the TUI draws it as a
    loudness meter and a spectral-balance chart."""
    export: ExportRequest | None = None
    """The user asked to export: the face writes the files and says where."""
