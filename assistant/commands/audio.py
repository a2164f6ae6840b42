"""Audio the user names in the chat: a hummed tune, a strummed idea, a favourite song, a take.

The reader gives the path (`slots.path`, maybe with words before it); the words and the
stage say what the file is:
- humming / singing / a melody or tune -> its notes go on the sheet as the melody, with the
  offer to put chords under it (the harmonizer) and hear it;
- chords / strumming / a guitar or piano idea -> its chord chart, offered as the progression;
- a favourite / reference song -> its tempo, key, loop and sections, offered as the shape;
- in Recording, any audio is a take: checked, kept on the sheet, and ranked once there are two.
A bare path outside Recording is a melody in Conception and Composition and a reference
song in Arrangement. The heavy modules (numpy, librosa) load only when a file is heard.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.audio_in.formats import HEARD
from assistant.stages.base import Choice, Ctx, Step, decision
from assistant.stages.files import find_file, kind_of

if TYPE_CHECKING:
    from assistant.dialogue import Parsed

HOOK = "audio-in"

_REFERENCE = re.compile(
    r"\b(favou?rite|reference|a song i (?:love|like)|love this song|song i love|inspir\w*|"
    r"(?:its|the) (?:shape|structure)|sounds? like|analy[sz]e (?:this|the|my) song)\b")
_CHORDS = re.compile(
    r"\b(chords?|strum\w*|guitar|piano|keys|ukulele|uke|progression|riff|comping|"
    r"changes)\b")
_MELODY = re.compile(
    r"\b(hum\w*|sing\w*|sang|sung|melod\w*|tune|whistl\w*|topline|vocal line|voice memo|"
    r"la la|notes)\b")
_TAKE = re.compile(r"\b(takes?|recorded|recording|my vocal|vocals?)\b")
_RECORD = re.compile(r"\brecord (?:a |another |the |my |one more )?(?:take|it|now|me|vocals?|"
                     r"\d+ bars)\b|\b(?:start|begin) recording\b|\bhit record\b")
_RANK = re.compile(
    r"\b(rank|compare|which|best|pick|choose|score)\b.*\btakes?\b|"
    r"\btakes?\b.*\b(rank|compare|best)\b|"
    r"\b(rank|compare)\s+(em|'em|them|these|those|all)\b")  # "rank em": the takes, in Recording
# Chords asked for under the melody heard ("ok harmonize it", "put chords under my humming"):
# the composition stage's harmonizer reads only "harmonize ..." at the start of the message.
_UNDER_IT = re.compile(
    r"\b(?:harmoni[sz]e|chords? (?:under|to|for|with|on))\s+(?:it|that|this|(?:the|my) "
    r"(?:melody|tune|hum\w*)|what i (?:hummed|sang))\b")
# A recording named without its file ("can you transcribe my humming"): ask for the file.
_AUDIO_WORDS = re.compile(
    r"\b(transcrib\w*|recording|voice (?:memo|note)|hum(?:s|med|ming)?|sang|sung|singing|"
    r"whistl\w*|strum\w*|audio|wav)\b")


def what_is(text: str, stage: str) -> str:
    """"melody", "chords", "reference" or "take" for a file named with these words."""
    words = text.lower()
    if _REFERENCE.search(words):
        return "reference"
    if stage == "recording" and (_TAKE.search(words) or not (_CHORDS.search(words)
                                                               or _MELODY.search(words))):
        return "take"
    if _CHORDS.search(words) and not _MELODY.search(words):
        return "chords"
    if _MELODY.search(words):
        return "melody"
    if stage == "recording":
        return "take"
    if stage == "arrangement":
        return "reference"
    return "melody"


def run(ctx: Ctx, parsed: Parsed, stage: str) -> Step | None:
    """The tool hook of `stage`: audio files named there (Recording's take check first)."""
    if parsed.intent not in ("answer", "question", "change", "tool", "define", "goto"):
        return None
    text = parsed.text
    # the raw text and the reader's typo-corrected words ("recrod a take", "rnak my takes")
    said = f"{text.lower()} | {' '.join(parsed.slots.words)}"
    if stage == "recording" and not parsed.slots.path and parsed.intent in ("tool", "goto") \
            and _RECORD.search(said):  # not "how do i record vocals?": that is advice
        return record_step(ctx, text)
    if parsed.intent == "goto" and not parsed.slots.path:
        return None  # "let's do recording": the coach moves; a file named with it is ours
    if not parsed.slots.path:
        gear = re.search(r"\b(?:mics?|microphones?|interfaces?|preamps?|headphones)\b", said)
        if _RANK.search(said) and not gear and (ctx.song.takes or parsed.intent == "tool" or (
                stage == "recording" and re.search(r"\b(?:rank|compare)\b", said))):
            return rank_step(ctx)  # with fewer than two takes it asks for them
        if parsed.intent == "tool" and ctx.song.melody and ctx.song.melody.notes and \
                _UNDER_IT.search(said):
            return harmonize_step(ctx)
        named = {m.group(1) for m in _AUDIO_WORDS.finditer(said)}
        if stage == "recording":
            named.discard("recording")  # "im recording vocals with an sm58": the stage's word
        if parsed.intent == "tool" and named:
            return Step("Give me the recording's file: its path, like `hum.wav` or "
                        f"`~/Music/voice memo 3.m4a` ({HEARD}), "
                        "relative to the folder you started the coach in.", keep_choices=True)
        return None
    path, exists = find_file(parsed.slots.path)
    if kind_of(path) not in ("audio", "compressed"):
        return None
    if not exists:
        return Step(f"I can't find `{path}`. Give the path of the recording ({HEARD}), "
                    "relative to the folder you started the coach in.", keep_choices=True)
    kind = what_is(text, stage)
    if kind == "take":
        return None  # Recording's take check keeps it (stages/recording.py)
    # a hummed tune, a strummed idea or a favourite song may be a phone's M4A or an MP3:
    # audio_in decodes those (the level checks of takes and mixes still want WAV/FLAC)
    if kind == "chords":
        return chords_step(ctx, path)
    if kind == "reference":
        return reference_step(ctx, path)
    return melody_step(ctx, path)


# --- a hummed melody ----------------------------------------------------------------------
def melody_step(ctx: Ctx, path: Path) -> Step:
    from assistant import theory
    from assistant.audio_in.transcribe import transcribe
    from assistant.errors import CoachError

    song = ctx.song
    try:
        result = transcribe(path, tempo=song.tempo, meter=song.meter)
    except CoachError as error:
        return Step(f"{error}. Hum or sing one note at a time, close to the phone, or give "
                    "another file.", keep_choices=True)
    melody = result.melody(f"hummed: {path.name}")
    names = " ".join(theory.note_name(n.pitch, result.key) for n in result.notes[:10])
    more = " …" if len(result.notes) > 10 else ""
    bpm = round(result.tempo_bpm)
    text = (f"I heard {result.summary()} — want chords under it?\n\n"
            f"- notes: {names}{more}\n"
            f"- on the sheet as the melody, {len(melody.notes)} notes on a sixteenth grid at "
            f"{result.grid_tempo:g} bpm in {result.meter}")
    if result.tuning_cents and abs(result.tuning_cents) > 20:
        text += (f"\n- you sang {abs(result.tuning_cents):.0f} cents "
                 f"{'sharp' if result.tuning_cents > 0 else 'flat'} of concert pitch; I "
                 "named the notes from your own tuning")
    patch: dict[str, Any] = {"melody": melody.model_dump(mode="json")}
    said = []
    if song.key is None:
        patch["key"] = {"tonic": result.key.tonic, "mode": result.key.mode}
        said.append(f"key {result.key.name}")
    elif song.key.name != result.key.name:
        text += (f"\n- the song is in {song.key.name}, the tune sounds like {result.key.name}: "
                 f"say “change the key to {result.key.name}” if it should follow you")
    if song.tempo is None:
        patch["tempo"] = float(bpm)
        said.append(f"{bpm} bpm")
    if said:
        text += f"\n- set from your take: {', '.join(said)}"
    text += "\n\nSay **yes** (or 1) for chords under it, `play 2` to hear the melody alone."
    decisions = [decision("melody", f"{len(result.notes)} notes from {path.name}",
                          "Transcribed from your recording (pYIN pitch tracking).")]
    choices = [
        Choice(label="Yes — chords under the melody", why="A chord per bar whose tones hold "
               "the melody's strong-beat notes, with the moves real songs make.",
               action=f"{HOOK}:harmonize", plays=False),
        Choice(label=f"Hear the melody alone ({result.summary()})",
               why="Your notes as the coach heard them, on the song's grid.",
               preview_bars=max(2, int(melody.notes[-1].start // song.beats_per_bar) + 1)
               if melody.notes else 4),
    ]
    return Step(text, choices=choices, patch=patch, decisions=decisions,
                answered=ctx.slot == "melody")


def harmonize_step(ctx: Ctx) -> Step:
    """Chords under the melody on the sheet (the composition stage's harmonizer)."""
    from assistant.dialogue import Command
    from assistant.stages.composing import run_harmonize

    step = run_harmonize(ctx, Command("tool", "harmonize it"))
    if step is None:
        return Step("There is no melody on the sheet to harmonize yet.", keep_choices=True)
    return step


# --- a strummed idea ------------------------------------------------------------------------
def chords_step(ctx: Ctx, path: Path) -> Step:
    try:
        from assistant.audio_in.chords import chord_chart
    except ImportError:
        return Step("I can't hear chords in a recording yet: type them (“Am F C G”).",
                    keep_choices=True)
    from assistant.errors import CoachError

    try:
        chart = chord_chart(path, ctx.song)
    except CoachError as error:
        return Step(f"{error}. Give a recording of the chords (one instrument is best).",
                    keep_choices=True)
    progression = chart.progression()
    bars = [s for s in chart.bar_symbols() if s != "N"]
    if not progression:
        return Step("I heard no clear chords in that recording.", keep_choices=True)
    key = chart.as_key()
    loop = " – ".join(chart.loop_symbols())
    confidence = sum(c.confidence for c in chart.chords) / max(1, len(chart.chords))
    text = (f"I heard {len(bars)} bars in {chart.key} at about {chart.tempo_bpm:.0f} bpm; the "
            f"loop is **{loop}** ({' '.join(progression)}), confidence {confidence:.0%}. "
            "Want it as the song's progression?")
    if len(bars) > len(progression):
        text += f"\n\n- bar by bar: {' '.join(bars[:16])}{' …' if len(bars) > 16 else ''}"
    patch: dict[str, Any] = {"progression": progression,
                             "key": {"tonic": key.tonic, "mode": key.mode}}
    if ctx.song.tempo is None:
        patch["tempo"] = float(round(chart.tempo_bpm))
    choices = [Choice(label=f"Use {loop} in {chart.key} as the progression",
                      why="The chords you played, one a bar, as Roman numerals in the key "
                          "heard, so they follow any key change.",
                      patch=patch, preview_bars=max(4, len(progression)),
                      decisions=[decision("progression", " ".join(progression),
                                          f"Heard in {path.name}.")])]
    return Step(text, choices=choices)


# --- a favourite song -------------------------------------------------------------------------
def reference_step(ctx: Ctx, path: Path) -> Step:
    try:
        from assistant.audio_in.reference import analyze_reference, sections_for_song, shape_text
    except ImportError:
        return Step("I can't analyse a whole song's shape yet; tell me its sections "
                    "(“intro 8, verse 16, chorus 8”).", keep_choices=True)
    from assistant.errors import CoachError

    try:
        ref = analyze_reference(path)
    except CoachError as error:
        return Step(f"{error}.", keep_choices=True)
    patch: dict[str, Any] = {"reference": ref.model_dump(mode="json")}
    sections = [s.model_dump(mode="json") for s in sections_for_song(ref)]
    text = f"Your favourite song ({path.name}): {shape_text(ref)}"
    if ref.key:
        text += f", in {ref.key}"
    if ref.loop:
        text += f", looping {' – '.join(ref.loop)}"
    text += "."
    choices = []
    if sections:
        text += " Want the same shape?"
        layout = " · ".join(f"{s['name']} {s['bars']}" for s in sections)
        choices.append(Choice(
            label=f"Same shape: {layout}",
            why="The sections of a song you love, in its order and lengths (bars of its "
                "tempo), to arrange yours against.",
            patch={"sections": sections}, preview_bars=None,
            decisions=[decision("structure", layout, f"The shape of {path.name}.")]))
    return Step(text, choices=choices, patch=patch, keep_choices=not choices)


# --- takes -------------------------------------------------------------------------------------
def keep_take(ctx: Ctx, path: Path) -> tuple[dict[str, Any], list[Choice]]:
    """The patch keeping a take on the sheet, and the offer to rank them when there are two."""
    takes = [t.model_dump(mode="json") for t in ctx.song.takes if t.path != str(path)]
    part = ", ".join(ctx.song.recording.sources[:1]) or ""
    takes.append({"path": str(path), "part": part, "score": None, "why": ""})
    choices = []
    if len(takes) >= 2:
        choices.append(Choice(
            label=f"Rank the {len(takes)} takes",
            why="Pitch against the melody (cents per note), timing (ms), missing notes, and "
                "the level check — best first, with why.",
            action=f"{HOOK}:rank", preview_bars=None))
    return {"takes": takes}, choices


def rank_step(ctx: Ctx) -> Step:
    from assistant.audio_in.takes import melody_reference, rank_files
    from assistant.errors import CoachError

    takes = [t for t in ctx.song.takes if Path(t.path).exists()]
    if len(takes) < 2:
        return Step("Give me at least two takes of the part first (paths to WAV files).",
                    keep_choices=True)
    try:
        ranking = rank_files([t.path for t in takes], reference=melody_reference(ctx.song),
                             tempo=ctx.song.tempo)
    except CoachError as error:
        return Step(f"I couldn't compare them: {error}.", keep_choices=True)
    against = "the melody on the sheet" if ctx.song.melody and ctx.song.melody.notes \
        else "the nearest semitone and the song's grid"
    lines = [f"Your takes, best first (pitch against {against}):"]
    scored = {r.file: r for r in ranking}
    for i, r in enumerate(ranking, 1):
        lines.append(f"{i}. **{Path(r.file).name}** — score {r.score:.0f}: {r.why}")
    best = Path(ranking[0].file).name
    lines.append(f"\nKeep **{best}** as the main take; comp the weak spots from the next one.")
    kept = []
    for t in ctx.song.takes:
        found = scored.get(t.path)
        data = t.model_dump(mode="json")
        if found is not None:
            data.update(score=round(found.score, 1), why=found.why)
        kept.append(data)
    return Step("\n".join(lines), patch={"takes": kept}, keep_choices=True,
                decisions=[decision("take", best, ranking[0].why)])


def record_step(ctx: Ctx, text: str) -> Step:
    """"record a take": from the default input, with the click, the song's length (or
    "8 bars"), into the data folder's recordings; then the take check keeps it."""
    from assistant.audio_in.record import Plan, input_problem, record_take
    from assistant.errors import CoachError
    from assistant.stages.files import slug, unique
    from assistant.stages.recording import kept_take_step, recordings_dir

    problem = input_problem()
    if problem:
        return Step(f"I can't record here: {problem}.", keep_choices=True)
    song = ctx.song
    found = re.search(r"(\d+) bars", text)
    bars = int(found.group(1)) if found else min(song.total_bars or 8, 32)
    plan = Plan(tempo=song.tempo or 100.0, meter=song.meter, bars=max(1, min(bars, 64)),
                count_in=2)
    folder = recordings_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = unique(folder / f"{slug(song.title)}-take-{len(song.takes) + 1}.wav")
    try:
        record_take(path, song, plan, click=True)
    except CoachError as error:
        return Step(f"The take didn't record: {error}.", keep_choices=True)
    step = kept_take_step(ctx, str(path), answered=ctx.slot == "take")
    step.text = (f"Recorded {plan.bars} bars at {plan.tempo:g} bpm after a 2-bar count-in "
                 f"to `{path}`.\n\n{step.text}")
    return step


def act(ctx: Ctx, argument: str) -> Step:
    if argument == "harmonize":
        return harmonize_step(ctx)
    if argument == "rank":
        return rank_step(ctx)
    return Step("That offer has expired.", keep_choices=True)
