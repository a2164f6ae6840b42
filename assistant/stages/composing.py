"""Composition tools in the conversation (issue 5): next chords, harmonizing a typed melody,
motif ideas with previews, and the singer's range.

- "what comes after Am F?" -> ranked next chords with their why; picking one appends it to
  the progression and ranks the chords after that ("keep it" to go on);
- "harmonize E4 D4 C4 D4 E4 E4 E4/2" -> a chord per bar with alternatives; option 1 keeps
  the chords and the melody on the sheet;
- "sketch a melody" / "motif ideas" -> three motifs developed over the progression, inside
  the singer's range; "play N" previews one, picking keeps the motif (and its melody);
- "my range is A2 to E4" -> the range on the sheet, and the melody checked against it.

The tools live in `assistant.composition` (imported only when a turn is for them).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from assistant.song import Key, Melody
from assistant.stages.base import Choice, Ctx, Step, ToolHook, decision, register_tool
from assistant.stages.music import chord_line

if TYPE_CHECKING:
    from assistant.dialogue import Parsed

NEXT_TOP = 5
MOTIF_IDEAS = 3
MOTIF_BARS = 8
DEFAULT_RANGE = (60, 72)  # C4-C5: comfortable for most voices when none is given
BUILDING = "~chords"
"""Memo: a progression being built chord by chord ("keep it" settles it)."""

_NOTE = r"[A-Ga-g][#b]?-?\d"
_NOTE_ATTEMPT = r"\b[A-Ga-g][#b]*-?\d"
"""Looks meant as a note, even a broken one ("C##4/0"): its error is worth naming."""
_NOTE_TOKEN = re.compile(rf"^(?:{_NOTE}|[Rr](?:est)?)(?:[/:]\d*\.?\d+)?$")
_NEXT = re.compile(
    r"\b(?:comes?|go(?:es)?|could go|play|put|use)\s+(?:right\s+)?(?:after|next)\b"
    r"|\b(?:follows?|following)\b|\bnext chords?\b|\bchords?\s+(?:after|next)\b"
    r"|\bafter\s+(?:that|it|this|those|these)\b.*\bchord"
)
_AFTER = re.compile(r"\b(?:after|follows?|following|from)\s+(?P<tail>.+)$")
_STOP = frozenset("in for with if when please then and but so".split())
_THAT = frozenset("that it this those these them what".split())
_KEEP = re.compile(r"^(?:keep(?: it| that| this| them| those)?|that'?s good|good as it is|"
                   r"that works|use (?:it|that|this)|leave it)$")
_HARMONIZE = re.compile(
    r"^(?:please\s+|can you\s+|could you\s+|now\s+)?(?:re)?harmoni[sz]e\b\s*(?P<rest>.*)$"
    r"|^(?:find|suggest|give me|which)\s+chords?\s+(?:for|under|to)\s+(?P<rest2>.*)$",
    re.IGNORECASE)
_MOTIF = re.compile(
    r"\b(?:sketch|motifs?|melody ideas?|ideas? for (?:a|the|my) melody|"
    r"(?:write|make|generate|compose|give|suggest)\s+(?:me\s+)?(?:a\s+|some\s+)?(?:new\s+)?"
    r"(?:melody|melodies|tune|hook))\b")
_RANGE = re.compile(r"\b(?:range|i can sing|can sing from|sing from|fits? my voice)\b")
_SECTION_CHORDS = re.compile(
    r"\b(?P<a>chorus|bridge|pre-?chorus)\s+(?:chords|progression)\b"
    r"|\b(?:chords|progression)\s+(?:for|in|of)\s+(?:the\s+|a\s+|my\s+)?"
    r"(?P<b>chorus|bridge|pre-?chorus)\b"
    r"|\bwhat\s+(?:should|could|would|can)\s+(?:the|my)\s+(?P<c>chorus|bridge|pre-?chorus)\s+"
    r"(?:be|play|do)\b"
    r"|\b(?:what|which)\s+(?:chords|progression)\b(?:\s+\S+){0,4}?\s+(?:the|my|a)\s+"
    r"(?P<d>chorus|bridge|pre-?chorus)\b")


# --- helpers -------------------------------------------------------------------------------
def _clean(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").strip(" .!?").split())


def _numeral_for(token: str, key: Key) -> str:
    """A typed chord as a numeral for the sheet (sevenths kept). BadInput names the token."""
    from assistant import theory
    from assistant.composition.chords import looks_like_numeral
    from assistant.errors import BadInput

    try:
        if looks_like_numeral(token):
            theory.parse_numeral(token)
            return token
        return theory.symbol_to_numeral(token, key)
    except BadInput:
        raise BadInput(f"I can't read the chord “{token}” — write chords like Am, F#m7, "
                       "Bb or numerals like vi, bVII") from None


def read_typed_chords(tail: str) -> tuple[list[str], bool]:
    """The chord tokens at the start of `tail` (up to the first plain word), and whether
    the tail pointed back at what we have ("after that")."""
    tokens = [t.strip(".,;:!?()\"'“”") for t in re.split(r"[\s,|–]+|\s-\s", tail.strip())]
    tokens = [t for t in tokens if t and t != "-"]
    if tokens and tokens[0].lower() in ("the", "my", "our", "your") and len(tokens) > 1 \
            and tokens[1].lower() in ("progression", "chords", "song", "loop"):
        return [], True
    if tokens and tokens[0].lower() in _THAT:
        return [], True
    chords: list[str] = []
    for token in tokens:
        if token.lower() in _STOP:
            break
        # chord-like: a numeral, or a capital letter (H7 too: the reader then names it),
        # but not a capitalised word ("After", "Every")
        if not re.match(r"^(?:[A-Z][#b♯♭]?|[b#]?(?:[iI][vV]|[vV]?[iI]{1,3}|[vV]))", token):
            break
        word = re.fullmatch(r"[A-Z]b?([a-z]*)", token)
        if word and word.group(1) and not word.group(1).startswith(
                ("m", "dim", "aug", "sus", "add")):
            break
        chords.append(token.replace("♯", "#").replace("♭", "b"))
    return chords, False


def _guess_key(chords: list[str]) -> Key:
    """The key for typed chord symbols when the sheet has none (numerals: C major)."""
    from assistant import theory
    from assistant.composition.keyfind import key_from_chords

    c_major = Key(tonic="C", mode="major")
    try:
        return key_from_chords([theory.chord_pitch_classes(c, c_major) for c in chords])
    except Exception:  # numerals without a key, or nothing readable: C major it is
        return c_major


def _melody_dict(melody: Melody) -> dict[str, Any]:
    return melody.model_dump(mode="json")


def note_span(melody: Melody) -> str:
    from assistant import theory

    pitches = [n.pitch for n in melody.notes]
    return f"{theory.note_name(min(pitches))}–{theory.note_name(max(pitches))}"


def read_melody(text: str) -> Melody | None:
    """A typed melody ("E4 D4 C4/2 R E4") when every token is a note, else None."""
    tokens = text.replace(",", " ").split()
    if len(tokens) < 2 or not all(_NOTE_TOKEN.match(t) for t in tokens):
        return None
    from assistant.composition.notes import parse_notes, to_melody
    from assistant.errors import BadInput

    try:
        return to_melody(parse_notes(" ".join(tokens)), "typed")
    except BadInput:
        return None


def read_range(text: str) -> tuple[int, int] | None:
    """Two notes in the text ("A2 to E4", "my range is G3-C5"), lowest first."""
    from assistant import theory
    from assistant.errors import BadInput

    found = re.findall(rf"(?<![\w#])({_NOTE})(?![\w#])", text.replace("–", " ").replace("-", " "))
    if len(found) != 2:
        return None
    try:
        low, high = sorted(theory.parse_note(n[0].upper() + n[1:]) for n in found)
    except BadInput:
        return None
    return low, high


def range_report(song_melody: Melody | None, low: int, high: int,
                 meter: str) -> tuple[str, list[Choice]]:
    """How the melody sits in [low, high], and a choice that moves it inside when it can."""
    from assistant import theory
    from assistant.composition.melody import check_range

    span = f"{theory.note_name(low)}–{theory.note_name(high)}"
    if song_melody is None or not song_melody.notes:
        return f"No melody on the sheet yet to check against {span}.", []
    problems = check_range(song_melody, low, high, meter)
    if not problems:
        return f"The melody ({note_span(song_melody)}) sits inside {span}. ✓", []
    lines = [f"The melody ({note_span(song_melody)}) leaves {span} in "
             f"{len(problems)} place{'s' if len(problems) != 1 else ''}:"]
    lines += [f"- {p}" for p in problems[:3]]
    if len(problems) > 3:
        lines.append(f"- … and {len(problems) - 3} more")
    pitches = [n.pitch for n in song_melody.notes]
    shifts = [s for s in range(-24, 25) if low <= min(pitches) + s and max(pitches) + s <= high]
    if not shifts:
        lines.append(f"It spans {max(pitches) - min(pitches)} semitones, more than the range's "
                     f"{high - low}: simplify the widest leap or split the line between voices.")
        return "\n".join(lines), []
    # an octave keeps the melody's key; otherwise the smallest move
    octave = [s for s in shifts if s % 12 == 0]
    shift = min(octave or shifts, key=abs)
    moved = Melody(notes=[n.model_copy(update={"pitch": n.pitch + shift})
                          for n in song_melody.notes],
                   source=f"{song_melody.source or 'melody'}, moved {shift:+d}")
    what = {12: "up an octave", -12: "down an octave", 24: "up two octaves",
            -24: "down two octaves"}.get(shift, f"{shift:+d} semitones")
    why = ("An octave keeps every note's name, so the chords still fit." if shift % 12 == 0
           else "No octave fits: this moves the melody out of the song's key — change the "
                "key by the same amount to keep them together.")
    choice = Choice(
        label=f"Move the melody {what} ({note_span(moved)})", why=why,
        patch={"melody": _melody_dict(moved)},
        decisions=[decision("melody", f"moved {what} to fit {span}", why)],
    )
    lines.append(f"Moving it {what} puts every note inside: pick 1 to do it.")
    return "\n".join(lines), [choice]


# --- next chord ------------------------------------------------------------------------------
def _next_choices(ctx: Ctx, history: list[str], key: Key) -> tuple[str, list[Choice]]:
    from assistant.composition.nextchord import next_chords

    found = next_chords(history, key, genre=ctx.song.genre, top=NEXT_TOP)
    choices = []
    for item in found:
        chords = [*history, item.numeral]
        patch: dict[str, Any] = {"progression": chords}
        if ctx.song.key is None:  # the key the chords were read in goes on the sheet too
            patch["key"] = {"tonic": key.tonic, "mode": key.mode}
        choices.append(Choice(
            label=f"{item.symbol} ({item.numeral}) · {item.probability:.0%}",
            why=item.why,
            rule_ids=item.rule_ids,
            patch=patch,
            decisions=[decision("progression", " ".join(chords),
                                f"Built chord by chord; {item.numeral}: {item.why}",
                                item.rule_ids)],
            action=f"next-chord:{key.tonic}:{key.mode}:" + " ".join(chords),
            preview_bars=max(4, len(chords)),
        ))
    shown = chord_line(history, key)
    text = (f"After {shown} in {key.name}, most likely first — a number adds it, `play N` "
            "plays the progression with it, `why N` explains, “keep it” keeps the progression "
            "as it is:")
    return text, choices


def run_next_chord(ctx: Ctx, parsed: Parsed) -> Step | None:
    text = _clean(parsed.text)
    building = ctx.memo.get(BUILDING)
    if building and (_KEEP.match(text) or parsed.intent == "yes" and ctx.slot == "progression"):
        line = chord_line(ctx.song.progression, ctx.song.key)
        return Step(f"Keeping {line}.", answered=ctx.slot == "progression",
                    then_ask=ctx.slot != "progression", memo={BUILDING: None})
    if parsed.intent not in ("answer", "question", "tool", "chords") or not _NEXT.search(text):
        return None
    after = _AFTER.search(parsed.text)
    typed, back = read_typed_chords(after.group("tail")) if after else ([], True)
    if after and not typed and not back:
        return None  # "what comes after the chorus?": not about chords
    key = ctx.song.key or _guess_key(typed)
    from assistant.errors import CoachError

    try:
        history = [_numeral_for(t, key) for t in typed] or list(ctx.song.progression)
        if not history:
            return Step("Give me the chords so far, like “what comes after Am F?”, or pick a "
                        "progression first.", keep_choices=True)
        text, choices = _next_choices(ctx, history, key)
    except CoachError as error:
        return Step(f"{error}.", keep_choices=True)
    if ctx.song.key is None:
        text = f"No key on the sheet yet, so I read these chords in {key.name}.\n\n{text}"
    return Step(text, choices=choices, memo={BUILDING: True})


def act_next_chord(ctx: Ctx, argument: str) -> Step:
    """A next chord picked: the progression (in the choice's patch) grows by it; rank again."""
    tonic, mode, numerals = argument.split(":", 2)
    chords = numerals.split()
    from assistant.errors import CoachError

    try:
        key = ctx.song.key or Key(tonic=tonic, mode=mode)  # type: ignore[arg-type]  # a bad mode: ValueError
    except ValueError:
        key = Key(tonic="C", mode="major")

    line = chord_line(chords, key)
    try:
        text, choices = _next_choices(ctx, chords, key)
    except CoachError:
        return Step(f"Progression: {line}.", patch={"progression": chords},
                    then_ask=True)
    return Step(f"Progression: {line}.\n\n{text}", choices=choices,
                patch={"progression": chords}, memo={BUILDING: True})


# --- a chorus or bridge after the verse -------------------------------------------------------
def run_section_chords(ctx: Ctx, parsed: Parsed) -> Step | None:
    """"chords for the chorus" -> openings for that section after the verse (the song's
    progression), learned from how the Billboard songs move between sections."""
    found = _SECTION_CHORDS.search(_clean(parsed.text))
    if not found:
        return None
    kind = next(g for g in found.groups() if g).replace("prechorus", "pre-chorus")
    song = ctx.song
    if not song.progression or song.key is None:
        return Step(f"Pick the verse's progression first: the {kind} is suggested to follow "
                    "it.", keep_choices=True)
    from assistant.composition.sections import section_kind_of, suggest_section
    from assistant.errors import CoachError

    try:
        ideas = suggest_section(song.progression, kind, song.key.mode, top=3)
    except CoachError as error:
        return Step(f"{error}.", keep_choices=True)
    named = [s.name for s in song.sections if section_kind_of(s.name) == kind]
    choices = []
    for idea in ideas:
        numerals = list(idea.numerals)
        patch: dict[str, Any] = {}
        if named:
            patch["sections"] = [
                {**s.model_dump(), "progression": numerals} if s.name in named
                else s.model_dump() for s in song.sections]
        choices.append(Choice(
            label=f"{kind.title()}: {chord_line(numerals, song.key)}", why=idea.why,
            rule_ids=idea.rule_ids, patch=patch, preview_section=named[0] if named else None,
            detail="Rules: " + ", ".join(f"`{i}`" for i in idea.rule_ids)
                   + " (knowledge/section_progressions.json).",
            preview_bars=None if named else 8,
            decisions=[decision(f"{kind} progression", " ".join(numerals), idea.why,
                                idea.rule_ids)]))
    later = "" if named else (" Picking one keeps it for the arrangement: every "
                              f"{kind} of the structure you choose plays it.")
    text = (f"A {kind} after your verse ({chord_line(song.progression[:8], song.key)}), from how "
            f"real songs move between sections — a number keeps it, `why N` explains.{later}")
    return Step(text, choices=choices)


# --- harmonize --------------------------------------------------------------------------------
def run_harmonize(ctx: Ctx, parsed: Parsed) -> Step | None:
    match = _HARMONIZE.match(parsed.text.strip().rstrip("?!."))
    if not match:
        return None
    rest = match.group("rest") if match.group("rest") is not None else match.group("rest2")
    rest = re.sub(r"^(?:this|these notes|these|my melody|the melody|it)\s*:?\s*", "", rest,
                  flags=re.IGNORECASE).strip(" :")
    from assistant.errors import CoachError

    melody = read_melody(rest) if rest else None
    if melody is None and rest and re.search(_NOTE_ATTEMPT, rest):
        from assistant.composition.notes import parse_notes

        try:
            parse_notes(rest)  # names the bad token
        except CoachError as error:
            return Step(f"{error}.", keep_choices=True)
    if melody is None:
        melody = ctx.song.melody if ctx.song.melody and ctx.song.melody.notes else None
    if melody is None:
        return Step("Type the melody after “harmonize”, like “harmonize E4 D4 C4 D4 E4 E4 "
                    "E4/2” (a note per beat; /2 = two beats).", keep_choices=True)
    from assistant.composition.harmonize import harmonize

    try:
        result = harmonize(melody, key=ctx.song.key, meter=ctx.song.meter)
    except CoachError as error:
        return Step(f"{error}.", keep_choices=True)
    key = result.key
    lines = [f"Chords for your melody in **{key.name}**"
             + (" (key guessed from the notes)" if result.key_guessed else "") + ":"]
    per_bar: dict[int, str] = {}
    for seg in result.segments:
        best, *others = seg.chords
        alts = ", ".join(f"{c.symbol} ({c.numeral})" for c in others[:2])
        lines.append(f"- bar {seg.bar} · {seg.melody} → **{best.symbol}** ({best.numeral}) — "
                     f"{best.why}" + (f"; or {alts}" if alts else ""))
        per_bar.setdefault(seg.bar, _sheet_numeral(best.numeral, best.symbol, key))
    # The sheet holds a chord a bar: a split bar keeps its first chord, but the last bar keeps
    # its last, so the song still ends where the melody does (at home, usually).
    last = result.segments[-1]
    per_bar[last.bar] = _sheet_numeral(last.chords[0].numeral, last.chords[0].symbol, key)
    numerals = [per_bar[b] for b in sorted(per_bar)]
    from assistant import theory

    symbols = "–".join(theory.numeral_to_symbol(n, key) for n in numerals)
    split = sorted({seg.bar for seg in result.segments
                    if sum(s.bar == seg.bar for s in result.segments) > 1})
    if split:
        where = ", ".join(str(b) for b in split)
        lines.append(f"\n(Bar{'s' if len(split) > 1 else ''} {where} change chord halfway; the "
                     "sheet keeps one chord a bar, so it keeps the first — and the last bar's "
                     "last, where the tune comes home.)")
    # where the melody came from stays said: typed here, hummed, a MIDI file, a motif
    origin = (melody.source or "typed").removesuffix(", harmonized")
    melody_data = _melody_dict(melody.model_copy(update={"source": f"{origin}, harmonized"}))
    said = "You typed it." if origin == "typed" else f"Yours ({origin})."
    patch: dict[str, Any] = {"progression": numerals, "melody": melody_data}
    if ctx.song.key is None:
        patch["key"] = {"tonic": key.tonic, "mode": key.mode}
    choices = [
        Choice(label=f"Use {symbols} as the progression and keep the melody",
               why="Each chord holds the melody's strong-beat notes; the moves between them "
                   "are ones real songs make.",
               patch=patch, preview_bars=max(2, len(numerals)),
               decisions=[decision("progression", " ".join(numerals), "Harmonized your melody."),
                          decision("melody", melody_text(melody), said)]),
        Choice(label="Keep the melody only", why="Your progression stays; the melody goes on "
               "the sheet and plays in previews.", patch={"melody": melody_data},
               preview_bars=max(2, len(numerals)),
               decisions=[decision("melody", melody_text(melody), said)]),
    ]
    lines.append("\n`play 1` to hear it with the chords, 1 to keep both.")
    return Step("\n".join(lines), choices=choices)


def _sheet_numeral(numeral: str, symbol: str, key: Key) -> str:
    from assistant import theory
    from assistant.errors import BadInput

    try:
        theory.parse_numeral(numeral)
        return numeral
    except BadInput:
        return theory.symbol_to_numeral(symbol, key)


def melody_text(melody: Melody) -> str:
    from assistant import theory

    names = [theory.note_name(n.pitch) for n in melody.notes[:12]]
    return " ".join(names) + (" …" if len(melody.notes) > 12 else "")


# --- motifs -----------------------------------------------------------------------------------
def run_motif(ctx: Ctx, parsed: Parsed) -> Step | None:
    if parsed.intent not in ("answer", "question", "yes", "tool", "suggest") or not _MOTIF.search(
            _clean(parsed.text)):
        return None
    if read_melody(parsed.text):
        return None  # typed notes: the melody question keeps them
    from assistant.composition.melody import DEVICE_WHY, compose
    from assistant.errors import CoachError
    from assistant.stages.music import renderable

    song = renderable(ctx.song)
    key = song.key or Key(tonic="C", mode="major")
    low, high = ctx.song.singer_range or DEFAULT_RANGE
    if high - low < 5:
        low, high = DEFAULT_RANGE
    turn = int(ctx.memo.get("motif_round", 0))
    choices = []
    try:
        for i in range(MOTIF_IDEAS):
            seed = ctx.seed * 101 + turn * MOTIF_IDEAS + i
            idea = compose(key, song.progression, bars=MOTIF_BARS, seed=seed, low=low,
                           high=high, meter=song.meter)
            plan = ", ".join(dict.fromkeys(p for p in idea.plan[1:] if p != "motif"))
            label = f"Motif {i + 1}: {melody_text(idea.motif)} — then {plan}"
            why = (f"Chord tones on the strong beats and steps between them; the one-bar motif "
                   f"comes back as {plan} over {MOTIF_BARS} bars and ends on a chord tone, "
                   f"all inside {note_span(idea.melody)}.")
            devices = dict.fromkeys(idea.plan)
            choices.append(Choice(
                label=label, why=why, preview_bars=MOTIF_BARS,
                detail="\n".join(f"- **{d}**: {DEVICE_WHY[d]}" for d in devices),
                patch={"motif": _melody_dict(idea.motif), "melody": _melody_dict(idea.melody)},
                decisions=[decision("melody", f"motif idea (seed {seed}): "
                                    f"{melody_text(idea.motif)}", why)],
            ))
    except CoachError as error:
        return Step(f"I couldn't sketch one: {error}.", keep_choices=True)
    from assistant import theory

    where = f"{theory.note_name(low)}–{theory.note_name(high)}"
    whose = "your range" if ctx.song.singer_range else "a comfortable middle range"
    text = (f"Three motifs over {chord_line(song.progression[:8], key)} in {key.name}, each "
            f"developed over {MOTIF_BARS} bars inside {whose} ({where}). `play N` to hear one; "
            "pick a number to keep it — the sheet keeps the motif and its melody. Ask again "
            "for other ideas.")
    return Step(text, choices=choices, memo={"motif_round": turn + 1})


# --- the singer's range -----------------------------------------------------------------------
def run_range(ctx: Ctx, parsed: Parsed) -> Step | None:
    text = _clean(parsed.text)
    if not _RANGE.search(text):
        return None
    found = read_range(parsed.text)
    song = ctx.song
    melody = song.melody or song.motif
    if found is None:
        if not re.search(r"\b(fit|fits|check|inside|within)\b", text):
            return None
        if song.singer_range is None:
            return Step("Tell me the range first, lowest to highest comfortable note, like "
                        "“my range is A2 to E4”.", keep_choices=True)
        report, choices = range_report(melody, *song.singer_range, song.meter)
        return Step(report, choices=choices, keep_choices=not choices)
    low, high = found
    if high - low < 5:
        return Step("That's under half an octave — give the lowest and highest comfortable "
                    "notes, like “my range is A2 to E4”.", keep_choices=True)
    return range_step(ctx, low, high, answered=ctx.slot == "singer_range")


def range_step(ctx: Ctx, low: int, high: int, *, answered: bool) -> Step:
    from assistant import theory

    said = f"{theory.note_name(low)}–{theory.note_name(high)}"
    song = ctx.song
    report, choices = range_report(song.melody or song.motif, low, high, song.meter)
    text = f"Singer's range: {said} ({high - low} semitones). {report}"
    # a melody outside the range keeps the question open for the offer to move it, unless
    # the same range is given again: then the user wants to go on as it is
    again = song.singer_range is not None and tuple(song.singer_range) == (low, high)
    if choices and not again:
        text += " Or say “keep it” to leave it as it is."
    waiting = bool(choices) and not again
    return Step(text, patch={"singer_range": [low, high]}, choices=choices,
                keep_choices=not choices,
                answered=answered and not waiting, then_ask=not answered and not waiting,
                decisions=[decision("singer range", said, "Keeps melodies singable.")])


def run_typed_melody(ctx: Ctx, parsed: Parsed) -> Step | None:
    """Notes typed while another question is open ("A4 G4 F4 E4/2" when asked for chords):
    kept as the melody, and the question asked again. The melody question reads its own."""
    if ctx.slot in ("melody", "singer_range") or parsed.intent not in ("answer", "tool"):
        return None
    melody = read_melody(parsed.text)
    if melody is None:
        return None
    text = f"Kept that as your melody: {len(melody.notes)} notes."
    if ctx.song.singer_range:
        text += " " + range_report(melody, *ctx.song.singer_range, ctx.song.meter)[0]
    return Step(text + " Say “harmonize it” for chords under it.", keep_choices=True,
                then_ask=True, patch={"melody": _melody_dict(melody)},
                decisions=[decision("melody", melody_text(melody), "You typed it.")])


register_tool("composition", ToolHook("typed-melody", run_typed_melody))
register_tool("composition", ToolHook(
    "next-chord", run_next_chord, act=act_next_chord, intents=frozenset({"yes"}),
    everywhere=True, help="“what comes after Am F?” — ranked next chords with why; pick one to add it",
))
register_tool("composition", ToolHook(
    "harmonize", run_harmonize, everywhere=True,
    help="“harmonize E4 D4 C4 D4 E4 E4 E4/2” — a chord per bar for your melody",
))
register_tool("composition", ToolHook(
    "section-chords", run_section_chords, everywhere=True,
    help="“chords for the chorus” — a chorus or bridge progression that follows the verse",
))
register_tool("composition", ToolHook(
    "motif", run_motif, help="“sketch a melody” — motif ideas over the progression, to play",
))
register_tool("composition", ToolHook(
    "range", run_range, help="“my range is A2 to E4” — checks the melody against it",
))
