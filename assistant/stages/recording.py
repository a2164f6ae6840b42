"""Recording: what will be recorded and with what; level targets; click and backing tracks;
the level check of a test take.

Once the sources are named the coach offers a click (the song's tempo and meter, with a
count-in) and a backing track (the song without its melody, with the click): picking one
returns a `PreviewRequest` the face renders into the data folder's `recordings/`. A take the
user names (any turn of the stage, or the take question) is measured with
`analysis.audio_report.analyze_audio(..., stage="recording")`: peaks, clipping and where,
RMS, noise floor, DC, and the knowledge base's recording advice with each rule's why.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.song import Song
from assistant.stages.base import (
    TOOLS,
    Choice,
    Ctx,
    PathHandler,
    SlotHandler,
    StageFlow,
    Step,
    ToolHook,
    decision,
    examples_line,
    looks_like_words,
    register_tool,
)
from assistant.stages.files import find_file, kind_of, slug

if TYPE_CHECKING:
    from assistant.dialogue import Parsed
    from assistant.kb.schema import Question


def targets_text(ctx: Ctx, stage: str) -> str:
    """The stage's advice rules as one plain target per metric: the tightest safe range."""
    ranges: dict[str, list[float | None]] = {}
    whys: dict[str, str] = {}
    for rule in ctx.kb.rules:
        if rule.stage != stage:
            continue
        low, high = ranges.setdefault(rule.metric, [None, None])
        if rule.min is not None:
            low = rule.min if low is None else max(low, rule.min)
        if rule.max is not None:
            high = rule.max if high is None else min(high, rule.max)
        ranges[rule.metric] = [low, high]
        if rule.severity >= 2 or rule.metric not in whys:
            whys.setdefault(rule.metric, rule.why)
    lines = []
    for metric, (low, high) in ranges.items():
        if low is not None and high is not None:
            span = f"{low:g} to {high:g}"
        elif low is not None:
            span = f"at least {low:g}"
        else:
            span = f"at most {high:g}"
        first = whys[metric].split(". ")[0].rstrip(".")
        lines.append(f"- {metric.replace('_', ' ')}: {span} — {first}.")
    return "\n".join(lines[:6])


class SourcesHandler:
    def filled(self, song: Song) -> bool:
        return bool(song.recording.sources)

    def ask(self, ctx: Ctx, question: Question) -> Step:
        return Step(f"{question.text}{examples_line(question)}")

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        sources = list(parsed.slots.sources)
        if not sources:
            if parsed.intent != "answer" or not looks_like_words(parsed.text):
                return None
            sources = [s.strip() for s in parsed.text.replace(" and ", ",").split(",")
                       if s.strip()][:6]
        rec = ctx.song.recording
        targets = targets_text(ctx, "recording")
        text = (
            f"Recording {', '.join(sources)}. Aim for peaks between {rec.peak_min_dbfs:g} and "
            f"{rec.peak_max_dbfs:g} dBFS, a noise floor below {rec.noise_floor_max_dbfs:g} dBFS, "
            f"at {rec.sample_rate // 1000} kHz / {rec.bit_depth}-bit."
        )
        if targets:
            text += "\n\n" + targets
        text += ("\n\nI can write a click and a backing track to record against — pick one "
                 "(or both, one after the other).")
        return Step(text, choices=aid_choices(ctx), answered=True,
                    patch={"recording.sources": sources},
                    decisions=[decision("sources", ", ".join(sources), "What you will record.")])


# --- click and backing track -----------------------------------------------------------------
CLICK_COUNT_IN = 2
BACKING_COUNT_IN = 1
LOOSE_BARS = 16  # a backing track of a song with no structure yet: the progression, looped


def aid_choices(ctx: Ctx) -> list[Choice]:
    song = ctx.song
    tempo = song.tempo or 100.0
    bars = song.total_bars or LOOSE_BARS
    return [
        Choice(
            label=f"Click: {tempo:g} bpm in {song.meter}, {CLICK_COUNT_IN}-bar count-in, "
                  f"{bars} bars",
            why="A steady, accented pulse (the downbeat loudest) keeps every take on the same "
                "grid, so takes can be comped and edited later.",
            action="recording-aids:click", plays=True,
            decisions=[decision("click", f"{tempo:g} bpm, {song.meter}", "Timing reference.")],
        ),
        Choice(
            label=f"Backing track: the song without the melody, click and a "
                  f"{BACKING_COUNT_IN}-bar count-in",
            why="Record against the arrangement so timing and tuning sit right from take one; "
                "the melody is left out so you hear yourself, not a guide.",
            action="recording-aids:backing", plays=True,
            decisions=[decision("backing track", f"{tempo:g} bpm with click",
                                "Timing and tuning reference.")],
        ),
    ]


def recordings_dir() -> Path:
    from assistant import paths

    return paths.data_dir() / "recordings"


def act_aid(ctx: Ctx, argument: str) -> Step:
    """Write a click or a backing track (the face renders the request) and say where."""
    from assistant.dialogue import PreviewRequest
    from assistant.stages.music import renderable

    song = renderable(ctx.song)
    tempo = song.tempo or 100.0
    name = slug(ctx.song.title)
    bars = song.total_bars or LOOSE_BARS
    if argument == "click":
        wav = recordings_dir() / f"{name}-click-{tempo:g}bpm.wav"
        request = PreviewRequest(song, None, bars, "the click track", kind="click",
                                 count_in=CLICK_COUNT_IN, wav=str(wav))
        text = (f"Writing the click ({CLICK_COUNT_IN} bars of count-in, then {bars} bars at "
                f"{tempo:g} bpm in {song.meter}) to `{wav}` — and a MIDI copy beside it. Put it "
                "on its own track at bar 1, in your headphones only.")
    else:
        wav = recordings_dir() / f"{name}-backing.wav"
        request = PreviewRequest(song, None, None if song.sections else LOOSE_BARS,
                                 "the backing track", kind="backing track",
                                 count_in=BACKING_COUNT_IN, wav=str(wav))
        length = f"the whole song ({bars} bars)" if song.sections else f"{LOOSE_BARS} bars of " \
            "the progression (no structure yet)"
        text = (f"Writing the backing track — {length} without the melody, with a click and a "
                f"{BACKING_COUNT_IN}-bar count-in — to `{wav}`, with its MIDI beside it. Start "
                "recording at the count-in: the song begins on the next bar.")
    return Step(text, preview=request, keep_choices=True, then_ask=True,
                patch={"+notes": f"Recording aid: {wav}"})


# --- the take check --------------------------------------------------------------------------
def take_step(ctx: Ctx, text: str, *, answered: bool) -> Step:
    """Measure the take the text names; explain the advice. Bad files: say why, ask again."""
    path, exists = find_file(text)
    kind = kind_of(path)
    if kind == "midi":
        return Step(f"`{path.name}` is a MIDI take: I analyse its key, tempo and timing in "
                    "Editing (say “let's do editing”). Here I check recorded audio levels.",
                    keep_choices=True)
    if kind == "compressed":
        return Step(f"`{path.name}` is compressed audio: bounce or record the take as WAV, FLAC "
                    "or AIFF and give me that file.", keep_choices=True)
    if not exists:
        return Step(f"I can't find `{path}`. Give the path of the take (WAV, FLAC or AIFF), "
                    "relative to the folder you started the coach in, or say “skip”.",
                    keep_choices=True)
    from assistant.analysis.audio_report import analyze_audio
    from assistant.errors import CoachError

    try:
        result = analyze_audio(path, stage="recording", kb=ctx.kb)
    except CoachError as error:
        return Step(f"I couldn't check that take: {error}. Give a WAV, FLAC or AIFF file, "
                    "or say “skip”.", keep_choices=True)
    report = take_report(result)
    worst = max((a["severity"] for a in result["advice"]), default=0)
    verdict = {0: "ready to record", 1: "fine, with a note", 2: "fix before recording",
               3: "re-record"}.get(worst, "re-record")
    if worst >= 2:  # a take to fix: the question stays open for the next try
        report += ("\n\nFix that and give me the new take, or say `next` to move on.")
        answered = False
    return Step(
        report, answered=answered, keep_choices=True, then_ask=False,
        patch={"+notes": f"Take {path.name}: peak {_db(result['sample_peak_dbfs'])}, "
                         f"{result['clipped_samples']} clipped samples — {verdict}"},
        decisions=[decision("take check", f"{path.name}: {verdict}",
                            "Measured against the recording rules.",
                            [a["id"] for a in result["advice"]])],
    )


def _db(value: float | None, unit: str = "dBFS") -> str:
    return "n/a" if value is None else f"{value:.1f} {unit}".replace("-", "−")


def take_report(result: dict[str, Any]) -> str:
    name = Path(result["file"]).name
    seconds = result["duration_s"]
    lines = [f"**{name}** ({seconds:.1f} s, {result['sample_rate'] / 1000:g} kHz, "
             f"{result['layout']}):",
             f"- peak {_db(result['sample_peak_dbfs'])} · RMS {_db(result['rms_dbfs'])} · "
             f"headroom {_db(result['headroom_db'], 'dB')}",
             f"- noise floor {_db(result['noise_floor_dbfs'])} · DC offset "
             f"{result['dc_offset']:.4f}"]
    if result["clipped_samples"]:
        where = ", ".join(f"{c['start_s']:.2f} s" for c in result["clips"][:5])
        more = f" and {result['clip_events'] - 5} more places" if result["clip_events"] > 5 else ""
        lines.append(f"- **clipping**: {result['clipped_samples']} clipped samples at "
                     f"{where}{more}")
    else:
        lines.append("- no clipping")
    advice = result["advice"]
    if advice:
        lines += ["", "**What to change**, most important first:"]
        for item in advice:
            lines.append(f"- {item['message']}\n  _Why: {item['why']}_")
    else:
        lines += ["", "Levels are right: peaks between −12 and −6 dBFS, no clipping, the noise "
                  "floor below −60 dBFS. Record the real takes at this gain."]
    return "\n".join(lines)


def run_take(ctx: Ctx, parsed: Parsed) -> Step | None:
    if parsed.intent not in ("answer", "question", "change", "tool") or not parsed.slots.path:
        return None
    from assistant.commands.audio import what_is

    if what_is(parsed.text, "recording") != "take":
        return None  # a hummed tune, chords or a favourite song: the audio-in hook hears it
    return kept_take_step(ctx, parsed.slots.path, answered=ctx.slot == "take")


def kept_take_step(ctx: Ctx, text: str, *, answered: bool) -> Step:
    """The take check, and the take kept on the sheet (ranked once there are two)."""
    step = take_step(ctx, text, answered=answered)
    path, exists = find_file(text)
    if not exists or kind_of(path) != "audio" or "take check" not in {
            d.get("field") for d in step.decisions}:
        return step
    from assistant.commands.audio import keep_take

    patch, choices = keep_take(ctx, path)
    step.patch = {**step.patch, **patch}
    count = len(patch["takes"])
    if choices:
        step.text += (f"\n\nThat's take {count} on the sheet — pick “{choices[0].label}” "
                      "(or say “rank my takes”) to compare them, or give me another.")
        step.choices = choices
        step.keep_choices = False
    else:
        step.text += "\n\nKept on the sheet as take 1 — record another and give me it to compare."
    return step


class TakeHandler(PathHandler):
    """A recorded test take: measured on the spot (the same check as the tool hook)."""

    prompt = "Give the path of a WAV, FLAC or AIFF take, or say “skip”."

    def on_path(self, ctx: Ctx, path: str) -> Step:
        return kept_take_step(ctx, path, answered=True)


class Recording(StageFlow):
    name = "recording"
    handlers: dict[str, SlotHandler] = {"sources": SourcesHandler(), "take": TakeHandler()}
    aliases = {
        "recording.sources": "sources", "what": "sources", "record": "sources",
        "gear": "sources", "takes": "take", "recording.take": "take", "level": "take",
    }


register_tool("recording", ToolHook(
    "recording-aids", lambda ctx, parsed: None, act=act_aid,
    help="pick the click or the backing track when I offer them — written to the data folder",
))
register_tool("recording", ToolHook(
    "take-check", run_take,
    help="name a take (“takes/vocal_test.wav”) — peaks, clipping, noise floor, with advice",
))


def _audio_hook(stage: str) -> ToolHook:
    """Audio named in the chat (a hummed tune, a strummed idea, a favourite song, a take to
    rank): `assistant.commands.audio` decides by the words and the stage."""

    def run(ctx: Ctx, parsed: Parsed) -> Step | None:
        from assistant.commands.audio import run as hear

        return hear(ctx, parsed, stage)

    def act(ctx: Ctx, argument: str) -> Step:
        from assistant.commands.audio import act as do

        return do(ctx, argument)

    helps = {
        "recording": "give two takes, then “rank my takes” — pitch, timing and level compared",
        "arrangement": "“my favourite song: song.wav” — its tempo, key, loop and sections",
    }
    return ToolHook("audio-in", run, act=act, intents=frozenset({"define", "goto"}),
                    help=helps.get(stage, "“me humming: tune.wav” — the notes on the sheet, "
                                          "then chords under them; “my chords: idea.wav”"))


for _stage in ("conception", "composition", "arrangement", "recording"):
    register_tool(_stage, _audio_hook(_stage))  # type: ignore[arg-type]
    # first in line outside Recording: a named audio file is the strongest sign of what the
    # turn is about ("i hummed the melody: x.wav" must not read as "go to the melody")
    if _stage != "recording":
        _hooks = TOOLS[_stage]  # type: ignore[index]
        _hooks.insert(0, _hooks.pop(next(i for i, h in enumerate(_hooks) if h.name == "audio-in")))
