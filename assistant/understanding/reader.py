"""One message -> one `Command`: text -> tokens -> mentions and values -> scored intents ->
the intent that fits the context -> its slots.

The intent model scores every intent from the features; a reading that the message cannot
support is passed over (a "pick" needs an option number on screen, "goto" a stage, "define"
a term). When the two best readings are close and would do different things ("120" with
options on screen: pick option 1, or a tempo?), the command is "clarify" with both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from assistant.dialogue import INTENTS, Command, Slots
from assistant.understanding import values as V
from assistant.understanding.edits import parse_edit
from assistant.understanding.features import Context, features
from assistant.understanding.lexicon import Lexicon
from assistant.understanding.mentions import SWAPPERS, Mention, removes, tag
from assistant.understanding.model import explain, scores
from assistant.understanding.text import clean_raw, correct_tokens, fix_digits, normalise, tokens

QUESTION_WORDS = frozenset({"what", "what's", "whats", "how", "why", "which", "wat", "should",
                            "can", "could", "does", "do", "is", "are", "explain", "difference"})
UNSURE = 0.3  # under this, a reading with nothing recognised in it is no command at all
CLOSE = 0.15  # top-two probability gap under which a reading is asked about, not guessed
_CLARIFY_PAIRS = {frozenset({"pick", "change"}), frozenset({"pick", "answer"})}
_POLITE = re.compile(
    r"^(?:(?:ok|okay|so|well|um|hmm|right|hey|hi|oh|yo|uh)\s+)*"
    r"(?:(?:can|could|would|will) (?:you|we|i)(?: please)?|please|let's|lets|i want to|"
    r"i'd like to|i would like to|i wanna)?\s*"
)
_TAIL = re.compile(r"\s+(?:please|thanks|thank you|pls|plz|thx|mate|then|now)$")
_CONTRAST = frozenset({"but", "though", "although", "actually", "except"})
# A recording asked about ("what key is my recording in"): the audio tool's, not the sheet's
_RECORDINGS = frozenset({"recording", "recordings", "memo", "hum", "humming", "hummed", "strum",
                         "strumming", "audio"})
_WHERE = frozenset({"in", "during", "for", "into", "through", "throughout", "from", "of"})
_CHANGE_VALUES = frozenset({"key", "tempo", "meter", "length", "length_delta", "transpose",
                            "title", "number", "chords"})
# Themes that are events in a life: in "my best friend passed away" the loss, not the
# friendship, decides how the song should feel.
EVENT_THEMES = frozenset(
    f"theme.{t}" for t in """grief memorial wedding first-dance proposal anniversary new-baby
    lullaby birthday breakup-sad breakup-angry breakup-relieved moving-away graduation
    new-year christmas protest war revenge""".split()
)
PEOPLE_THEMES = frozenset(f"theme.{t}" for t in "family parents friendship pets kids-song".split())
_ROLE_INSTRUMENT = {"drums": "inst.drums", "bass": "inst.bass", "pad": "inst.warm-pad",
                    "chords": "inst.piano"}


def cue_phrase(words: list[str]) -> str:
    """The message as a whole-message cue: punctuation and polite words trimmed."""
    text = " ".join(w for w in words if w not in ",.;!")
    text = text.rstrip(" ?") if text.strip() != "?" else "?"
    text = _POLITE.sub("", text, count=1).strip()
    while True:
        trimmed = _TAIL.sub("", text)
        if trimmed == text:
            return text
        text = trimmed


@dataclass
class Analysis:
    """Everything read from one message before an intent is chosen (the trainer uses it too)."""

    raw: str
    masked: str
    """The text with a file path replaced by a placeholder."""
    words: list[str]
    mentions: list[Mention]
    found: dict[str, object]
    cue: str | None
    question_form: bool
    feats: list[str]


def analyse(text: str, context: Context, lex: Lexicon) -> Analysis | None:
    """Tokens, mentions, values and features of a message; None for an empty one."""
    raw = clean_raw(text if isinstance(text, str) else str(text))
    if not raw:
        return None
    if lyric_message(text if isinstance(text, str) else raw):
        # its shape says it all: the model learns one feature for it, and the words of a
        # song (long lines, any vocabulary) do not pull on the other intents' weights
        return Analysis(raw, raw, [], [], {}, None, False, ["bias", "shape:lyrics"])
    fixed = fix_digits(raw)
    path, named = _path_in(fixed)
    # a file's name says nothing about the turn ("my mix.wav" is not the Mixing stage); the
    # words before a bare name stay ("i hummed the melody hum.wav": hummed, melody)
    masked = fixed.replace(named, " filepath ") if path else fixed
    words = correct_tokens(tokens(normalise(masked)), lex.speller, lex.phrases, lex.longest)
    cue = lex.cues.get(cue_phrase(words))
    mentions = tag(words, lex)
    found = _values(masked, " ".join(words), words, mentions, context)
    if path:
        found["path"] = path
    question_form = raw.rstrip().endswith("?") or bool(words and words[0] in QUESTION_WORDS)
    feats = features(words, mentions, sorted(found), context, cue, question_form)
    return Analysis(raw, masked, words, mentions, found, cue, question_form, feats)


# Lyrics are read by their shape before anything else: typed words ("lyrics for the chorus:
# ...", "[Verse 1]", several lines at once) would otherwise be read as a story or a vibe.
_LYRIC_HEAD = re.compile(
    r"^\s*(?:\[\s*(?:pre-?|post-?)?(?:verse|chorus|bridge|hook|refrain|intro|outro|middle 8|tag)"
    r"[^\]\n]{0,20}\]|(?:(?:here are |here's |these are )?(?:my |the |some )?(?:lyrics?|words)"
    r"\b[^:\n]{0,40}:)|(?:(?:pre-?|post-?)?(?:verse|chorus|bridge|hook|refrain|intro|outro)"
    r"(?:\s*\d)?\s*(?:lyrics?|words)\s*:))", re.I)
# "chorus: ..." alone may be an arrangement note ("chorus: 8 bars"): lyrics only with lines
_SECTION_HEAD = re.compile(r"^\s*(?:pre-?|post-?)?(?:verse|chorus|bridge|hook|refrain|intro|outro)"
                           r"(?:\s*\d)?\s*:", re.I)
_LYRIC_ASK = re.compile(
    r"\brhym(?:e|es|ing)\s+(?:for|with|to)\b|\bwhat\s+rhymes\b|^\s*rhymes?\s+(?!scheme)\S+\s*\??\s*$|"
    r"\b(?:check|look\s+at|review|analy[sz]e|show|see|fix|read|rate|test|improve)\b[^.?!]{0,25}\blyrics?\b|"
    r"\b(?:write|writing|start|starting|need|want|help|ideas?|stuck)\b[^.?!]{0,30}\b(?:lyrics?|words\s+for)\b|"
    r"\blyrics?\s+(?:about|ideas?|help|for)\b|\bsyllables?\b|\b(?:my|our)\s+lyrics?\b|"
    r"\b(?:fit|shape|set|match|make)\b[^.?!]{0,30}\bmelody\b[^.?!]{0,20}\b(?:lyrics?|words)\b|"
    r"\b(?:fit|set|put|match)\b[^.?!]{0,30}\b(?:lyrics?|words)\b[^.?!]{0,20}\bmelody\b|"
    r"\bmelody\s+(?:from|for|to)\s+(?:the\s+|my\s+)?(?:lyrics?|words)\b", re.I)
_LYRIC_SURE = re.compile(r"\brhym(?:e|es|ing)\s+(?:for|with)\b|\b(?:my|our)\s+lyrics?\b", re.I)
_DEFINING = re.compile(r"^\s*(?:what\s+(?:is|are|'s|does)|what's|whats|define|explain|meaning\s+of)\b", re.I)


_LYRIC_FILE = re.compile(r"(?:^|\s)[\w.~/\-]*[\w\-]\.txt\b", re.I)


def lyric_message(raw: str) -> bool:
    """Is this message lyrics typed in, or a request about lyrics and rhymes (a lyric text
    file named: "my lyrics are in song.txt", or the .txt path alone)?"""
    head = raw.lstrip()[:400]
    if _LYRIC_HEAD.match(head):
        return True
    if _SECTION_HEAD.match(head) and ("\n" in head.strip() or " / " in head):
        return True
    if _LYRIC_FILE.search(head) and (re.search(r"\b(?:lyrics?|words|verse|chorus)\b", head, re.I)
                                      or _LYRIC_FILE.fullmatch(" " + head.strip())):
        return True
    first = head.split("\n", 1)[0]
    return bool(_LYRIC_ASK.search(first)) and (not _DEFINING.match(first) or bool(_LYRIC_SURE.search(first)))


def read(text: str, context: Context, lex: Lexicon) -> Command:
    """Read one message. Never raises: what it cannot place is an "answer" with no slots."""
    if isinstance(text, str) and lyric_message(text):
        return Command("lyrics", text.strip(), why="read as lyrics: typed lines or a lyric request")
    seen = analyse(text, context, lex)
    if seen is None:
        return Command("empty", "")
    raw, masked, words, mentions, found, cue = (seen.raw, seen.masked, seen.words,
                                                seen.mentions, seen.found, seen.cue)
    question_form, feats = seen.question_form, seen.feats
    ranked = sorted(scores(lex.model, feats).items(), key=lambda kv: -kv[1])
    viable: list[tuple[str, float]] = []
    for intent, p in ranked:  # the two best readings the message can carry are enough
        if _supports(intent, found, mentions, words, context, masked):
            viable.append((intent, p))
            if len(viable) == 2:
                break
    if cue is None:
        cue = _clause_cue(words, lex)
    if cue is None and not mentions and not found and len(words) <= 6:
        cue = _inner_cue(words, lex, ("skip",))  # "genre? not sure tbh"
    if cue is not None and _supports(cue, found, mentions, words, context, masked):
        viable = [(cue, 1.0), *[(i, p) for i, p in viable if i != cue]]
    if not viable:
        viable = [("question", 1.0)] if question_form else [("answer", 1.0)]
    intent, p = viable[0]
    if "option" in found and intent in ("change", "answer", "yes", "more", "play") and not any(
            w in ("play", "why", "hear") for w in words):
        intent = "pick"  # "love option 2 but in 6/8": take it, then the change on top
    if intent == "change" and context.stage == "conception" and "title" not in found and any(
            m.has(k) for m in mentions for k in ("mood", "genre", "theme", "reference")):
        intent = "answer"  # a one-line brief: the vibe, with its values on top
    if intent in ("no", "yes") and set(found) & {"key", "tempo", "meter", "length"}:
        intent = "change"  # "no wait, six eight": the correction is the point
    if intent == "more" and any(m.has("genre") or m.has("mood") for m in mentions):
        # "something more jazzy", "more hopeful": which way, not just other options
        intent = "feedback" if not any(m.has("genre") for m in mentions) else "answer"
    asks = question_form or bool(set(words[:2]) & QUESTION_WORDS)
    if asks and set(words) & {"key", "tempo", "bpm", "meter"} and set(words) & {
            "this", "it", "we", "song", "my", "our", "current"} and intent in (
            "define", "question", "tool") and "key" not in found and not any(
            m.has("mode") for m in mentions) and "path" not in found and not set(
            words) & _RECORDINGS:
        intent = "status"  # "what key is this in?": the sheet says (not of "my recording")
    if intent == "skip" and context.question == "genre":
        intent = "suggest"  # the genre question promises suggestions for "not sure"
    if intent == "tool" and "chords" in found and len(found["chords"]) >= 3 and not set(  # type: ignore[arg-type]
            words) & {"after", "next", "harmonize", "harmonise", "follow", "follows"}:
        intent = "chords"  # "my chords are E B C#m A": a progression, not "what comes next?"
    only = mentions[0] if len(mentions) == 1 else None
    if only is not None and only.has("term") and only.end - only.start == len(
            [w for w in words if w not in "?!.,"]) and cue is None and not any(
            only.has(k) for k in ("mode", "genre", "instrument", "section", "tempo_word")) \
            and intent in ("tool", "answer", "question"):
        intent = "define"  # a term on its own: "compresion", "lufs?"
    request = not question_form or (words[0] in ("can", "could", "would", "will") and "what" not in words)
    if request and intent in ("tool", "define", "more", "yes", "answer", "question") and any(
            m.has("mode") and m.polarity > 0 for m in mentions) and context.stage != "conception":
        intent = "change"  # "make it minor", "lydian pls": the key's mode
    if "path" in found and intent in ("tool", "answer") and context.question in (
            "mix-path", "take", "test-take"):
        intent = "answer" if context.question == "mix-path" else "tool"
    if p < UNSURE and not mentions and not found and cue is None and intent not in (
            "question", "define"):
        intent = "answer"  # words the model has no grip on: the coach says it didn't catch them
    if "title" in found and (intent in ("answer", "change", "question", "yes")):
        # "call it Golden Hour": a name, not a story about summer; a title given where one
        # was asked ("maybe 'Paper Planes'") answers the question
        asked = context.question == "title" and not V._TITLE.match(masked.strip())
        intent = "answer" if asked else "change"
        title_words = set(normalise(str(found["title"])).split())
        mentions = [m for m in mentions if not set(m.text.split()) <= title_words]
        if any(m.has(k) for m in mentions for k in ("mood", "theme", "genre", "reference")):
            intent = "answer"  # "call it Leaving Home, it's about my hometown": a vibe too
    elif context.question == "title" and intent == "answer" and len(raw) <= 60:
        found["title"] = raw.strip().strip("\"'“”")  # asked for a title: the words are one
    why = _why(lex, feats, intent, p, mentions)
    command = _command(intent, raw, masked, words, mentions, found, context, lex, why)
    if len(viable) > 1:
        other, q = viable[1]
        if p - q < CLOSE and frozenset({intent, other}) in _CLARIFY_PAIRS:
            second = _command(other, raw, masked, words, mentions, found, context, lex, why)
            return Command("clarify", raw, slots=command.slots, why=why,
                           alternatives=(command, second))
    return command


def _why(lex: Lexicon, feats: list[str], intent: str, p: float, mentions: list[Mention]) -> str:
    pushes = explain(lex.model, feats, intent)
    said = ", ".join(f"“{m.text}” ({m.senses[0].type})" for m in mentions[:4])
    parts = [f"read as {intent} ({p:.0%})"]
    if pushes:
        parts.append("from " + ", ".join(pushes))
    if said:
        parts.append("mentions " + said)
    return "; ".join(parts)


# --- values -----------------------------------------------------------------------------------
def _values(fixed: str, corrected: str, words: list[str], mentions: list[Mention],
            context: Context) -> dict[str, object]:
    """Every value in the text, by kind (tempo, key, meter, length, number...)."""
    found: dict[str, object] = {}
    chords = V.find_chords(fixed)
    if chords:
        found["chords"] = chords
    elif sum(1 for w in fixed.split() if V._NOTE.match(w.strip(".,!?;:()"))) >= 2:
        found["notes"] = True  # a typed melody: "A4 C5 E5 D5/2"
    key = None if chords and "key" not in words else V.find_key(fixed) or V.find_key(
        _recased(words))
    if key is not None:
        found["key"] = key
    tempo = V.find_tempo(fixed) or V.find_tempo(corrected)
    if tempo is not None:
        found["tempo"] = tempo
    meter = V.find_meter(fixed, corrected)
    if meter is not None:
        found["meter"] = meter
    length = V.find_length(fixed) or V.find_length(corrected)
    if length is not None:
        found["length"] = length
    elif V.find_length_delta(corrected) is not None:
        found["length_delta"] = V.find_length_delta(corrected)
    transpose = V.find_transpose(corrected)
    if transpose is not None:
        found["transpose"] = transpose
    if re.search(r"\b\d{1,3}\s*bars?\b", corrected):
        found["bars"] = True
    if re.search(r"\d\s*(?:%|percent)", corrected):
        found["percent"] = True
    title = V._TITLE.match(fixed.strip()) or V.TITLE_LATE.search(fixed)
    if title:
        found["title"] = title.group("title").strip()
    elif context.question == "title":
        quoted = re.search(r"[\"“']([^\"”']{1,60})[\"”']", fixed)
        if quoted:
            found["title"] = quoted.group(1).strip()
    if not (tempo or meter or length or "bars" in found or "percent" in found or chords
            or "notes" in found or re.search(r"[a-g][#b]*\d", corrected)):
        number = V.find_number(corrected)
        if number is not None:
            found["number"] = number
    option = V.find_option(corrected, context.options)
    if option is not None and "notes" not in found:
        found["option"] = option  # "option two", "3 but in E minor": an option on screen
        found.setdefault("number", option)
    return found


def _supports(intent: str, found: dict[str, object], mentions: list[Mention], words: list[str],
              context: Context, fixed: str) -> bool:
    """Can this message be read as `intent` at all?"""
    kinds = {s.type for m in mentions for s in m.senses}
    if intent == "pick":
        number = found.get("option", found.get("number"))
        return isinstance(number, int) and context.options > 0 and (
            1 <= number <= max(context.options, 9) or number == -1)
    if intent == "goto":
        return "stage" in kinds
    if intent == "define":
        return "term" in kinds or len(words) >= 3
    if intent in ("tick", "untick"):
        return bool(re.search(r"\d", fixed)) and bool(
            set(words) & {"tick", "untick", "check", "mark", "cross", "done", "uncheck"})
    if intent == "chords":
        return "chords" in found
    if intent == "feedback":
        # a reaction says which way: a comparative, "too"/"less"/"more" something, a "not"
        return any(m.has("comparative") or m.excess or m.polarity < 0 for m in mentions) or \
            any(w in ("more", "less", "too", "even") for w in words)
    if intent == "instruments":
        if context.question == "sources" and not _has_verb(words):
            return False  # "vocals and acoustic guitar" answers "what will you record?"
        return "instrument" in kinds or "role" in kinds
    if intent == "arrange":
        return "section" in kinds or "bars" in found
    if intent == "export":
        return any(w.startswith(("export", "save", "download")) for w in words)
    if intent == "change":
        # a change changes something: a value, a mode, a tempo or length step, a title
        return bool(set(found) & _CHANGE_VALUES) or any(
            m.has("comparative") or (m.has("mode") and m.polarity < 0) or m.has("tempo_word")
            for m in mentions)
    if intent in ("clarify", "empty", "lyrics"):
        return False  # lyrics are read by their shape (lyric_message), before the model
    return intent in INTENTS


# --- slots ------------------------------------------------------------------------------------
def _command(intent: str, raw: str, fixed: str, words: list[str], mentions: list[Mention],
             found: dict[str, object], context: Context, lex: Lexicon, why: str) -> Command:
    slots = _slots(fixed, words, mentions, found, context, lex, intent)
    value = found.get("option", found.get("number"))
    number = value if isinstance(value, int) else None
    if intent == "pick":
        return Command("pick", raw, slots=replace(slots, number=number), number=number, why=why)
    if intent in ("why", "play"):
        match = (V._WHY if intent == "why" else V._PLAY).match(" ".join(words).rstrip(" ?"))
        n = V.number_value(match.group(1)) if match and match.group(1) else number
        return Command(intent, raw, slots=slots, number=n, stage=slots.section, why=why)  # type: ignore[arg-type]
    if intent == "goto":
        stage = next((m.value("stage") for m in mentions if m.has("stage")), None)
        return Command("goto", raw, slots=slots, stage=stage, why=why)
    if intent in ("tick", "untick"):
        numbers = tuple(int(n) for n in re.findall(r"\d+", fixed))
        return Command(intent, raw, slots=slots, numbers=numbers, why=why)  # type: ignore[arg-type]
    if intent == "arrange":
        edit = parse_edit(V._clean(fixed)) or parse_edit(" ".join(w for w in words if w not in ",.!?"))
        return Command("arrange", raw, slots=slots, edits=(edit,) if edit else (), why=why)
    if intent == "instruments" and slots.section:
        edit = parse_edit(V._clean(fixed)) or parse_edit(" ".join(w for w in words if w not in ",.!?"))
        if edit is not None:
            return Command("instruments", raw, slots=slots, edits=(edit,), why=why)
    return Command(intent, raw, slots=slots, number=number, why=why)  # type: ignore[arg-type]


def _slots(fixed: str, words: list[str], mentions: list[Mention], found: dict[str, object],
           context: Context, lex: Lexicon, intent: str) -> Slots:
    moods: list[str] = []
    not_moods: list[str] = []
    genre = not_genre = theme = None
    references: list[str] = []
    tempo_word = not_mode = mode = section = None
    tempo_delta: float | None = None
    energy_delta: int | None = None
    add: list[str] = []
    remove: list[str] = []
    terms: list[str] = []
    sources: list[str] = []
    comparatives: list[str] = []
    swap = _swap_split(words)
    theme = best_theme(words, lex)
    for m in mentions:
        if m.has("comparative"):
            _extend(comparatives, [m.value("comparative")])
            entry = lex.kb.get(m.value("comparative")) if lex.kb is not None else None
            if entry is not None:
                _extend(moods, entry.toward)
                size = 10.0 * m.degree if not m.even else 10.0 * max(m.degree, 1.0)
                if entry.tempo:
                    tempo_delta = entry.tempo * size
                if entry.energy:
                    energy_delta = entry.energy
            continue
        if m.has("theme") and m.polarity > 0:
            _extend(moods, _moods_inside(m, lex))
        if (m.has("genre") or m.has("theme")) and tempo_word is None:
            tempo_word = _inside(m, lex, "tempo_word")  # "slow song": a ballad, and slow
        if m.has("reference"):
            ref = lex.kb.get(m.value("reference")) if lex.kb is not None else None
            references.append(getattr(ref, "name", m.text))
            continue
        if m.has("mood"):
            mood = m.value("mood")
            assert mood is not None
            energy = _mood_energy(lex, mood)
            if m.polarity > 0 and _complained(words, m, context):
                m = replace(m, polarity=-1, excess=True)  # "these are all kinda depressing"
            if m.polarity < 0 and m.excess and energy and energy_delta is None:
                energy_delta = -energy  # "too much energy": calmer
            elif m.polarity > 0 and m.start and words[m.start - 1] == "more" and energy:
                energy_delta = energy_delta or energy  # "more epic": bigger
            if m.polarity < 0:
                _extend(not_moods, [mood])
                if m.excess:
                    _extend(moods, _opposite(lex, mood))
            else:
                _extend(moods, [mood])
        if m.has("genre"):
            if m.polarity < 0:
                not_genre = not_genre or m.value("genre")
            else:
                genre = genre or m.value("genre")
        if m.has("tempo_word"):
            word = m.value("tempo_word")
            tempo_word = _flip_tempo(word, m) if m.polarity < 0 else word
            if m.polarity < 0 and intent == "feedback" and tempo_delta is None:
                tempo_delta = 10.0 if "slow" in (word or "") else -10.0
            if m.excess:
                tempo_delta = -10.0 if "fast" in (word or "") else 10.0
                tempo_word = None
        if m.has("mode") and m.polarity < 0:
            not_mode = m.value("mode")
        if m.has("term"):
            _extend(terms, [m.value("term") or ""])
        elif intent in ("define", "question") and " " in m.text:
            # "difference between mixing and mastering": the stage phrase holds two terms
            _extend(terms, [s.value for w in m.text.split() for s in lex.phrases.get(w, ())
                            if s.type == "term"])
        if m.has("source"):
            _extend(sources, [m.value("source") or ""])
        if m.has("section") and not _verb_not_section(words, m) and (
                section is None or (m.start and words[m.start - 1] in _WHERE) or (
                    m.start > 1 and words[m.start - 1] == "the" and words[m.start - 2] in _WHERE)):
            section = m.value("section")  # "a sax solo in the bridge": where, the bridge
        if m.text in ("beat", "beats") and m.polarity > 0 and (
                not m.start or words[m.start - 1] not in ("add", "with", "plus", "and")):
            continue  # "a chill lofi beat": the kind of track, not a drum part to add
        if m.has("instrument") or (m.has("role") and m.value("role") in _ROLE_INSTRUMENT):
            inst = m.value("instrument") or _ROLE_INSTRUMENT[m.value("role") or ""]
            if m.polarity < 0:  # "... and lose the strings": a removal, swap or not
                _extend(remove, [inst])
            elif swap is not None:
                at, first_goes = swap
                if (m.start < at) == first_goes:
                    _extend(remove, [inst])
                else:
                    _extend(add, [inst])
            elif removes(words, m):
                _extend(remove, [inst])
            else:
                _extend(add, [inst])
    if not references:
        references = _loose_references(fixed, mentions, lex)
    key = found.get("key")
    if not_mode and isinstance(key, tuple) and key[1] == not_mode:
        key = None
    if key is None and not not_mode:
        mode = V.find_mode_only(fixed) or next(
            (m.value("mode") for m in mentions if m.has("mode") and m.polarity > 0
             and not (words and words[0] in QUESTION_WORDS)), None)
    tempo = found.get("tempo")
    length = found.get("length")
    meter = found.get("meter")
    number = found.get("number")
    if isinstance(number, int) and intent in ("answer", "change"):
        tempo, length, meter = _number_in_context(number, context, words, tempo, length, meter)
    if tempo_delta is None:
        explicit = V.find_tempo_delta(" ".join(words))
        if explicit is not None and re.search(r"\d+\s*bpm\s+(faster|slower|up|down)", " ".join(words)):
            tempo_delta = explicit
    return Slots(
        moods=tuple(moods), not_moods=tuple(not_moods), genre=genre, not_genre=not_genre,
        theme=theme, references=tuple(references), key=key,  # type: ignore[arg-type]
        mode=mode, not_mode=not_mode, tempo=tempo, tempo_word=tempo_word,  # type: ignore[arg-type]
        tempo_delta=tempo_delta, energy_delta=energy_delta, meter=meter,  # type: ignore[arg-type]
        length_s=length, length_delta=found.get("length_delta"),  # type: ignore[arg-type]
        transpose=found.get("transpose"), title=found.get("title"),  # type: ignore[arg-type]
        number=number if isinstance(number, int) else None,
        path=found.get("path"), sources=tuple(sources),  # type: ignore[arg-type]
        chords=found.get("chords", ()), add=tuple(dict.fromkeys(add)),  # type: ignore[arg-type]
        remove=tuple(dict.fromkeys(remove)), section=section, terms=tuple(terms),
        comparatives=tuple(comparatives),
        words=tuple(words),
    )


def _extend(into: list[str], items: object) -> None:
    for item in items:  # type: ignore[attr-defined]
        if item and item not in into:
            into.append(item)


def _opposite(lex: Lexicon, mood: str) -> list[str]:
    """"too gloomy": the comparative that moves away from gloomy says where to go."""
    for modifier in lex.modifier_of("comparative"):
        if mood in modifier.away:
            return list(modifier.toward)
    return []


def _flip_tempo(word: str | None, mention: Mention) -> str:
    """"not slow" / "I hate slow songs" -> fast; "not too fast" -> medium."""
    if mention.degree < 1 or mention.text.startswith(("too", "very")):
        return "medium"
    return {"slow": "fast", "very slow": "medium", "fast": "slow", "very fast": "medium",
            "medium": "medium"}.get(word or "", "medium")


def _verb_not_section(words: list[str], mention: Mention) -> bool:
    """"drop the synth": "drop" is a verb here, not the section."""
    return mention.start == 0 and mention.text in ("drop", "break", "build") and len(words) > 1 \
        and words[1] in ("the", "a", "it", "that", "some", "all")


def _swap_split(words: list[str]) -> tuple[int, bool] | None:
    """Where a swap splits the sentence, and whether what comes first goes out: "swap the
    piano for a rhodes" (before "for": out), "a rhodes instead of the piano" (before
    "instead": in), "instead of piano use rhodes" (after: in)."""
    if "instead" in words:
        at = words.index("instead")
        return (at, False) if at > 0 else (len(words), True)
    if any(w in SWAPPERS for w in words[:3]):
        for i, word in enumerate(words):
            if word in ("for", "with", "to", "into") and i > 1:
                return i, True
    return None


def _loose_references(fixed: str, mentions: list[Mention], lex: Lexicon) -> list[str]:
    """"like <name>" for names the knowledge base does not know."""
    refs = []
    for ref in V.find_references(fixed):
        norm = normalise(ref)
        inside = [m for m in mentions if m.text in norm]
        if any(m.text == norm for m in mentions) or (inside and sum(
                len(m.text.split()) for m in inside) * 2 >= len(norm.split())):
            continue  # "like a lo-fi beat": a genre, not an artist
        if len(norm.split()) <= 5 and (any(ch.isupper() for ch in ref) or not any(
                w in lex.speller.english for w in norm.split())):
            refs.append(ref)  # "like Robyn", "like robyn": a name, not an English word
    return refs


def _number_in_context(number: int, context: Context, words: list[str], tempo: object,
                       length: object, meter: object) -> tuple[object, object, object]:
    """A bare number means what the open question asks for: "around 100" for a tempo,
    "3" for a length in minutes, "6" for a meter."""
    q = context.question
    if q == "tempo" and 30 <= number <= 300:
        return float(number), length, meter
    if q == "length":
        if 1 <= number <= 15:
            return tempo, number * 60, meter
        if 20 <= number <= 900:
            return tempo, number, meter
    if q == "meter" and number in (2, 3, 4, 5, 6, 7, 9, 12):
        return tempo, length, {6: "6/8", 9: "9/8", 12: "12/8", 7: "7/8"}.get(number, f"{number}/4")
    if 40 <= number <= 240 and number > context.options and q not in ("length", "take", "mix-path"):
        return float(number), length, meter  # not an option on screen: a tempo ("120")
    return tempo, length, meter


def best_theme(words: list[str], lex: Lexicon) -> str | None:
    """The theme the words are most about. Every cue phrase found counts, overlapping ones
    too, by its length in words; the theme's own name counts double ("a lullaby for my son"
    is a lullaby), and double again after a "but". Life events come first ("my best friend
    passed away" is about the loss), the people in a story last."""
    scores: dict[str, float] = {}
    first: dict[str, int] = {}
    turn = next((i for i, w in enumerate(words) if w in _CONTRAST), len(words))
    for size in range(1, lex.longest + 1):
        for i in range(len(words) - size + 1):
            phrase = " ".join(words[i:i + size])
            if "like" in words[max(0, i - 2):i]:
                continue  # "kinda like my friends' band": a comparison, not the subject
            for sense in lex.phrases.get(phrase, ()):
                if sense.type == "theme":
                    bonus = 2.0 if phrase in lex.theme_names.get(sense.value, ()) else 1.0
                    if i > turn:  # "a breakup song but I'm relieved": the but-clause decides
                        bonus *= 2.0
                    scores[sense.value] = scores.get(sense.value, 0.0) + size * bonus
                    first.setdefault(sense.value, i)
    if not scores:
        return None
    return max(scores, key=lambda t: (_tier(t), scores[t], -first[t]))


def _tier(theme: str) -> int:
    """Events decide the song's feel first, then situations and feelings; the people in a
    story ("my grandma", "my friends") least: they are who, not what."""
    return 2 if theme in EVENT_THEMES else 0 if theme in PEOPLE_THEMES else 1


def _inside(mention: Mention, lex: Lexicon, kind: str) -> str | None:
    for word in mention.text.split():
        for sense in lex.phrases.get(word, ()):
            if sense.type == kind:
                return sense.value
    return None


def _moods_inside(mention: Mention, lex: Lexicon) -> list[str]:
    """"angry breakup": the mood a theme's own phrase names."""
    found = []
    for word in mention.text.split():
        for sense in lex.phrases.get(word, ()):
            if sense.type == "mood":
                found.append(sense.value)
    return found


def _recased(words: list[str]) -> str:
    """Corrected words with a key's letter upper-cased before a mode ("c majr" -> "C major")."""
    out = list(words)
    for i, word in enumerate(out[:-1]):
        if word == "a":
            continue  # "in a major key": the article (a capital "A minor" is read from the text)
        if len(word) <= 2 and word[0] in "abcdefg" and out[i + 1] in V.MODE_WORDS:
            out[i] = word[0].upper() + word[1:]
    return " ".join(out)


_LINE_UP_VERBS = frozenset("add remove drop lose swap replace switch no without mute cut ditch "
                           "plus instead more less".split())


def _has_verb(words: list[str]) -> bool:
    return bool(set(words) & _LINE_UP_VERBS)


_FOLDER = re.compile(r"(?:^|\s)(~?/[\w.\-/]+|\.{1,2}/[\w.\-/]*|~)(?=\s|$)")


_QUOTED = re.compile(r"[\"'“‘`]([^\"'”’`\n]+?\.(?:" + V.FILE_SUFFIXES + r"))[\"'”’`]", re.I)
_ROOT = re.compile(r"(?:^|\s)(?=(?:~|\.{1,2})?/)")
# Words after which a bare file name starts: "what chords am i playing in strum.wav", "my
# favourite song is fav.wav"; a name with spaces and none of these keeps its words (the
# stage's find_file tries the text from each word on).
_BEFORE_NAME = frozenset("""in is at from called named file was of on to into under here
    heres here's its it's s as like with playing singing humming strumming transcribe hear
    listen check analyse analyze use open load""".split())


def _path_in(text: str) -> tuple[str, str]:
    """A file (a take, a mix: "takes/vocal 2.wav") or a folder ("~/songs", "./out"), and
    the part of the text that is only the file's name (masked before the words are read)."""
    quoted = _QUOTED.search(text)
    if quoted:  # "'~/Voice Memos/hum 2.wav'": spaces and all
        return quoted.group(1).strip(), quoted.group(1)
    match = V._PATH.search(text)
    if match:
        path = match.group(1).strip()
        root = [m.start() for m in _ROOT.finditer(path)]
        if root:  # "singing the chorus idea ~/voice memo 3.m4a": from the ~ on
            path = path[root[0]:].strip()
            return path, path
        path = path.rsplit(". ", 1)[-1]  # "I sang it. voicememo.wav": the sentence ended
        words = path.split(" ")
        slash = next((i for i, w in enumerate(words) if "/" in w), None)
        if slash is not None:  # "check takes/vocal 2.wav": from the folder on
            path = " ".join(words[slash:])
            return path, path
        cut = max((i + 1 for i, w in enumerate(words[:-1]) if w.lower() in _BEFORE_NAME),
                  default=0)
        path = " ".join(words[cut:])
        return path, words[-1]
    folder = _FOLDER.search(text)
    return (folder.group(1), folder.group(1)) if folder else ("", "")


def _mood_energy(lex: Lexicon, mood: str) -> int:
    """+1 for a high-energy mood (energetic, angry), -1 for a low one (calm), else 0."""
    try:
        energy = int(getattr(lex.kb.get(mood), "energy", 3)) if lex.kb is not None else 3
    except KeyError:
        return 0
    return 1 if energy >= 4 else -1 if energy <= 2 else 0


_THESE = frozenset({"these", "those", "they", "theyre", "they're", "it", "its", "it's", "all",
                    "everything", "them", "this", "that"})
_SEEM = frozenset({"are", "r", "feel", "feels", "sound", "sounds", "seem", "seems", "is",
                   "all", "so", "kinda", "quite", "pretty", "bit", "a", "very", "really", "just",
                   "of", "these", "too"})


def _complained(words: list[str], mention: Mention, context: Context) -> bool:
    """"These are all kinda depressing" with options on screen: a complaint about them."""
    if not context.options:
        return False
    j = mention.start - 1
    while j >= 0 and words[j] in _SEEM:
        j -= 1
    return j >= 0 and words[j] in _THESE and j < mention.start - 1


def _clause_cue(words: list[str], lex: Lexicon) -> str | None:
    """"sounds good, next": agreement first, then the command that counts (the last clause)."""
    clauses = " ".join(words).split(" , ")
    if len(clauses) < 2:
        return None
    cues = [lex.cues.get(cue_phrase(c.split())) for c in clauses]
    if all(cues) and all(c in ("yes", "no") for c in cues[:-1]):
        return cues[-1]
    return None


def _inner_cue(words: list[str], lex: Lexicon, intents: tuple[str, ...]) -> str | None:
    """A command's cue phrase inside a short message with nothing else in it."""
    text = " " + " ".join(w for w in words if w not in "?!.,") + " "
    for cue, intent in lex.cues.items():
        if intent in intents and " " in cue and f" {cue} " in text:
            return intent
    return None
