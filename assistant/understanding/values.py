"""Free text -> one intent and its slots, with small table-driven matchers (no NLP library).

`parse(text, vocab)` never raises: anything it cannot place comes back as intent "answer"
with whatever slots it found (possibly none), and the coach decides what to ask next.

Order matters and is deliberate: exact commands first ("help", "more"), then commands with
an argument ("why 2", "play the second one"), stage jumps ("let's do mixing"), arrangement
edits ("drop the bridge" — before moods, since "drop" is also a section), changes
("make it faster"), questions ("how loud should my vocals be?"), and finally an answer
with every slot found (moods, genre, references, key, tempo, meter, length).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from assistant.dialogue import Command as Parsed
from assistant.dialogue import Intent, SectionEdit, Slots

STAGE_WORDS: dict[str, str] = {
    "conception": "conception", "concept": "conception", "the idea": "conception",
    "idea": "conception", "the vibe": "conception", "vibe": "conception",
    "composition": "composition", "composing": "composition", "compose": "composition",
    "writing": "composition", "songwriting": "composition", "the chords": "composition",
    "chords": "composition", "harmony": "composition",
    "arrangement": "arrangement", "arranging": "arrangement", "arrange": "arrangement",
    "the structure": "arrangement", "structure": "arrangement", "form": "arrangement",
    "recording": "recording", "record": "recording", "tracking": "recording",
    "editing": "editing", "edit": "editing", "edits": "editing",
    "mixing & mastering": "mixing", "mixing and mastering": "mixing", "mixing": "mixing",
    "mastering": "mixing", "mix": "mixing", "master": "mixing", "the mix": "mixing",
}

NUMBER_WORDS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "sixteen": 16, "a": 1, "an": 1,
}
ORDINALS: dict[str, int] = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8,
    "8th": 8, "ninth": 9, "9th": 9, "tenth": 10, "10th": 10, "last": -1,
}

# Whole-message commands (after lower-casing and trimming punctuation).
COMMANDS: dict[str, Intent] = {}
for _intent, _phrases in {
    "help": "help|?|h|commands|what can i say|what can you do|how does this work|options help",
    "status": "status|sheet|the sheet|show the sheet|show me the sheet|show sheet|song sheet|"
    "where are we|where am i|summary|show status|what do we have|what have we got|recap",
    "more": "more|more options|other options|show more|show me more|something else|others|"
    "more please|give me more|different ones|anything else|other ideas|more ideas|"
    "none of these|not these|something different|other ones|i don't like these|"
    "i don't like any of these|i don't like any of them|i don't like them|i dont like these|"
    "i dont like any of these|don't like these|none of those|try again|another one|"
    "something other",
    "back": "back|go back|previous|previous question|back one|step back",
    "skip": "skip|skip it|skip this|skip that|pass|next question|not now|later|dunno|"
    "i don't know|i dont know|don't know|dont know|no idea|not sure|whatever|skip this one|"
    "idk|i dunno|no clue|no preference|doesn't matter|does not matter|don't care|dont care",
    "next": "next|next stage|move on|let's move on|lets move on|continue|done|i'm done|im done|"
    "we're done|that's it|thats it|on to the next stage|go on|carry on|onwards|onward",
    "undo": "undo|undo that|undo it|take that back|revert|revert that|oops",
    "quit": "quit|exit|bye|goodbye|q|:q|stop|see you|later bye",
    "yes": "yes|yeah|yep|yup|sure|ok|okay|sounds good|good|great|perfect|fine|y|cool|"
    "that one|yes please|do it|let's do it|lets do it|go for it|alright|love it|"
    "surprise me|you pick|you choose|you decide|your choice|dealer's choice|up to you|"
    "pick one for me|choose for me|whatever you think",
    "no": "no|nope|nah|n|no thanks|not really|none|none of them|neither",
    "suggest": "suggest|suggest something|what do you suggest|what would you suggest|"
    "any suggestions|suggestions|ideas|any ideas|what do you recommend|recommend something|"
    "what do you think|help me choose|help me pick|give me ideas|give me options|options|"
    "what are my options|show options|show me options|show the options",
    "checklist": "checklist|the checklist|show the checklist|show me the checklist|"
    "stage checklist|what's left|whats left|what is left|to do|todo|to-do|to do list|"
    "what's left to do|whats left to do|what is left to do",
    "restart": "start over|start again|restart|from the top|back to the start|"
    "go back to the start|back to the beginning|go back to the beginning|start from scratch|"
    "new song|a new song|start a new song|another song|start another song|start a new one|"
    "make a new song|write a new song|begin a new song",
}.items():
    for _phrase in _phrases.split("|"):
        COMMANDS[_phrase] = _intent  # type: ignore[assignment]

SECTION_WORDS: dict[str, str] = {
    "intro": "intro", "introduction": "intro", "verse": "verse", "verses": "verse",
    "pre-chorus": "pre-chorus", "pre chorus": "pre-chorus", "prechorus": "pre-chorus",
    "pre": "pre-chorus", "chorus": "chorus", "choruses": "chorus", "refrain": "chorus",
    "hook": "hook", "post-chorus": "post-chorus", "post chorus": "post-chorus",
    "bridge": "bridge", "middle eight": "bridge", "middle 8": "bridge", "outro": "outro",
    "ending": "outro", "coda": "outro", "breakdown": "breakdown", "build": "build",
    "build-up": "build", "buildup": "build", "drop": "drop", "solo": "solo",
    "interlude": "interlude", "instrumental": "interlude", "break": "breakdown",
    "a section": "a", "b section": "b",
}
INSTRUMENT_WORDS: dict[str, str] = {
    "drums": "drums", "drum": "drums", "beat": "drums", "percussion": "drums",
    "kick": "drums", "hats": "drums", "bass": "bass", "bassline": "bass", "sub": "bass",
    "chords": "chords", "piano": "chords", "keys": "chords", "guitar": "chords",
    "guitars": "chords", "rhodes": "chords", "pad": "pad", "pads": "pad", "strings": "pad",
    "synth": "lead", "synths": "lead", "lead": "lead", "melody": "melody", "vocals": "melody",
    "vocal": "melody", "fx": "fx", "effects": "fx",
}
MODE_WORDS: dict[str, str] = {
    "major": "major", "maj": "major", "ionian": "major", "minor": "minor", "min": "minor",
    "aeolian": "minor", "dorian": "dorian", "phrygian": "phrygian", "lydian": "lydian",
    "mixolydian": "mixolydian", "locrian": "locrian",
}
TEMPO_WORDS: dict[str, str] = {
    "very slow": "very slow", "super slow": "very slow", "really slow": "very slow",
    "slow": "slow", "slowish": "slow", "laid back": "slow", "laid-back": "slow",
    "downtempo": "slow", "relaxed tempo": "slow", "mid tempo": "medium", "mid-tempo": "medium",
    "midtempo": "medium", "medium": "medium", "moderate": "medium", "upbeat": "fast",
    "up-tempo": "fast", "uptempo": "fast", "fast": "fast", "quick": "fast",
    "very fast": "very fast", "really fast": "very fast", "super fast": "very fast",
}
METER_WORDS: dict[str, str] = {
    "waltz": "3/4", "in three": "3/4", "in 3": "3/4", "triple time": "3/4",
    "triple meter": "3/4", "three four": "3/4", "common time": "4/4", "four four": "4/4",
    "straight four": "4/4", "cut time": "2/2", "six eight": "6/8", "compound time": "6/8",
    "twelve eight": "12/8", "slow blues": "12/8",
}
INTERVALS: dict[str, int] = {
    "semitone": 1, "semitones": 1, "half step": 1, "half steps": 1, "half-step": 1,
    "half-steps": 1, "halfstep": 1, "whole step": 2, "whole steps": 2, "whole-step": 2,
    "tone": 2, "tones": 2, "step": 2, "steps": 2, "minor third": 3, "major third": 4,
    "third": 3, "fourth": 5, "fifth": 7, "octave": 12, "octaves": 12,
}
QUESTION_STARTS = (
    "how", "what", "what's", "whats", "why", "when", "where", "should", "which", "can",
    "could", "do", "does", "is", "are", "any tips", "tips", "tip", "advice", "explain",
    "tell me about", "help me with", "help with", "what is", "who",
)
MAX_TEXT = 2000  # longer input is cut: one turn is a sentence or two, not a document


@dataclass(frozen=True)
class Vocabulary:
    """The words that come from the knowledge base: mood and genre phrases -> ids."""

    moods: Mapping[str, str] = field(default_factory=dict)
    genres: Mapping[str, str] = field(default_factory=dict)
    sources: tuple[str, ...] = (
        "lead vocals", "backing vocals", "vocals", "vocal", "voice", "singing", "rap",
        "acoustic guitar",
        "electric guitar", "guitar", "bass guitar", "bass", "piano", "keys", "keyboard",
        "synth", "drums", "percussion", "violin", "cello", "strings", "saxophone", "sax",
        "trumpet", "flute", "ukulele", "choir", "harmonica", "mandolin", "banjo", "organ",
    )
    longest: int = 4

    @classmethod
    def from_knowledge(cls, kb: object) -> Vocabulary:
        """Build from a `Knowledge` (its moods' names and synonyms, genres' names and aliases)."""
        moods: dict[str, str] = {}
        genres: dict[str, str] = {}
        for mood in getattr(kb, "moods", ()):
            for word in (mood.name, mood.id.split(".", 1)[1], *mood.synonyms):
                moods.setdefault(normalise(word), mood.id)
        for genre in getattr(kb, "genres", ()):
            for word in (genre.name, genre.id.split(".", 1)[1], *genre.aliases):
                genres.setdefault(normalise(word), genre.id)
        return cls.build(moods, genres)

    @classmethod
    def build(cls, moods: Mapping[str, str], genres: Mapping[str, str]) -> Vocabulary:
        moods = {normalise(k): v for k, v in moods.items() if normalise(k)}
        genres = {normalise(k): v for k, v in genres.items() if normalise(k)}
        longest = max((len(k.split()) for k in [*moods, *genres]), default=1)
        return cls(moods=moods, genres=genres, longest=max(longest, 1))


def normalise(text: str) -> str:
    """Lower case, hyphens/underscores/slashes as spaces, single spaces."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"[-_/]+", " ", text)
    text = re.sub(r"[^a-z0-9&'#+ ]+", " ", text)
    return " ".join(text.split())


_POLITE = re.compile(
    r"^(?:(?:can|could|would|will) (?:you|we|i)(?: please)?|please|let's|lets|i want to|"
    r"i'd like to|i would like to)\s+"
)


def _clean(text: str) -> str:
    """For whole-message commands: lower, trimmed of punctuation and polite words."""
    text = text.lower().replace("’", "'").strip()
    text = re.sub(r"^(ok|okay|so|well|um|hmm|right|hey|hi|oh)[,!. ]+", "", text)
    text = re.sub(r"[\s,.!]+(please|thanks|thank you|pls)[.!?]*$", "", text)
    text = re.sub(r"^(please)\s+", "", text)
    text = text.strip(" \t.!,;:")
    return " ".join(text.split())


def _bare(clean: str) -> str:
    """"can you play it?" -> "play it": for commands asked politely or as a question."""
    bare = _POLITE.sub("", clean).rstrip(" ?")
    return bare if bare else clean


# --- numbers -------------------------------------------------------------------------------
_NUM = r"(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|first|second|third|fourth|" \
    r"fifth|sixth|seventh|eighth|ninth|tenth|last|1st|2nd|3rd|4th|5th|6th|7th|8th|9th|10th)"
_PICK = re.compile(
    rf"^(?:(?:i'?ll take|i'?d like|i want|i choose|i pick|let'?s go with|let'?s do|go with|"
    rf"give me|take|pick|choose|use|option|number|no\.?|#|i like|i'?ll go with|going with)\s*)?"
    rf"(?:the\s+)?(?:option\s+|number\s+|#)?{_NUM}(?:\s+(?:one|option|please|it is))?$"
)
_WHY = re.compile(rf"^(?:why|explain|how come|why (?:is|did you suggest|did you pick|that|not))"
                  rf"(?:\s+(?:the\s+)?(?:option\s+|number\s+|#)?{_NUM}(?:\s+one)?)?\s*\??$")
_TICK = re.compile(
    r"^(?P<un>un)?(?:tick|check off|cross off|mark)\s+(?:off\s+)?(?:items?\s+|number\s+|#)?"
    r"(?P<numbers>\d{1,2}(?:\s*(?:,|and|&|\s)\s*\d{1,2})*)(?:\s+(?:off|done|as done))?$"
)
_PLAY = re.compile(
    rf"^(?:play|preview|listen(?: to)?|hear|let me hear|can i hear|audition|render)"
    rf"(?:\s+(?:it|that|this|them|the song|the demo|the whole song|everything|song|demo))?"
    rf"(?:\s+(?:the\s+)?(?:option\s+|number\s+|#)?{_NUM}(?:\s+one)?)?"
    rf"(?:\s+(?:the\s+)?(?P<section>[a-z -]+?))?\s*\??$"
)


def number_value(word: str) -> int | None:
    word = word.strip().lower()
    if word.isdigit():
        return int(word)
    if word in ORDINALS:
        return ORDINALS[word]
    if word in NUMBER_WORDS and word not in ("a", "an"):
        return NUMBER_WORDS[word]
    return None


# --- keys, tempo, meter, length --------------------------------------------------------------
_ACC = r"(#|♯|b|♭|sharp|flat)?"
_MODE_RE = "|".join(sorted(MODE_WORDS, key=len, reverse=True))
_KEY_WITH_MODE = re.compile(rf"\b([A-Ga-g])\s?{_ACC}\s*({_MODE_RE})\b", re.IGNORECASE)
_KEY_SHORT = re.compile(r"(?<![\w'])([A-G])(#|♯|b|♭)?(m|min|maj|M)?(?![\w'#♯♭/])")
_KEY_CONTEXT = re.compile(
    r"(?:\bin|\bkey(?: of| to| is|:)?|\bto|\bfrom|\binto)\s+(?:the\s+key\s+of\s+)?"
    r"([A-Ga-g])(#|♯|b|♭)?(m|min|maj)?(?![\w'#♯♭/])"
)
_MODE_ONLY = re.compile(
    rf"\b(?:a|an|some|in)\s+({_MODE_RE})\s+(?:key|mode|scale|feel|vibe|tonality|sound|chords?)\b",
    re.IGNORECASE,
)
_BPM = re.compile(
    r"(\d{2,3}(?:\.\d+)?)\s*(?:bpm|b\.p\.m\.?|beats (?:per|a) minute)"
    r"|(?:tempo|speed)\s*(?:of|to|at|=|is|:)?\s*(\d{2,3}(?:\.\d+)?)\b"
    r"|\bat\s+(\d{2,3})\b(?!\s*(?:bars?|%|percent|seconds?|secs?|minutes?|mins?|hz|db))",
    re.IGNORECASE,
)
_METER = re.compile(r"(?<![\w/])(\d{1,2})\s*/\s*(1|2|4|8|16)(?![\d/])")  # not "E4/2"
_LEN_MMSS = re.compile(r"\b(\d{1,2}):([0-5]\d)\b")
_LEN_WORD = (
    r"(\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|a|half an?)"
)
_LEN_MIN = re.compile(
    rf"\b{_LEN_WORD}\s*(and a half\s+|½\s*)?(?:minutes?|mins?)\b(\s+and a half)?"
    r"(?:\s+(?:and\s+)?(\d{1,2})\s*(?:seconds?|secs?|s)\b)?",
    re.IGNORECASE,
)
_LEN_SEC = re.compile(r"\b(\d{2,3})\s*(?:seconds?|secs?|s)\b", re.IGNORECASE)
_PATH = re.compile(
    r"((?:~|\.{1,2})?/?[\w.\-~/ ]*\.(?:mid|midi|wav|flac|aif|aiff|mp3|ogg|m4a))\b", re.IGNORECASE
)

_DELTA = re.compile(
    r"\b(?:(a (?:little|tiny|touch|bit|tad)(?: bit)?|slightly|a little bit|somewhat|bit|"
    r"much|a lot|way|lots|far|a good bit|quite a bit|even)\s+)?(?:more\s+)?"
    r"(faster|quicker|slower|up-?tempo|speedier)\b"
    r"|\b(speed(?:\s+it)?\s+up|slow(?:\s+it)?\s+down|pick up the pace|"
    r"bring the tempo (?:up|down))\b"
    r"|\b(?:by\s+)?(\d{1,2})\s*bpm\s+(faster|slower|up|down)\b",
    re.IGNORECASE,
)
_TRANSPOSE = re.compile(
    r"\b(?:transpose|shift|move|take)\s+(?:it\s+|everything\s+|the song\s+|the key\s+)?"
    r"(up|down)\s+(?:by\s+)?(?:(\d{1,2}|one|two|three|four|five|six|seven|a|an|half an?)\s*)?"
    r"(semitones?|half[- ]?steps?|whole[- ]?steps?|tones?|steps?|octaves?|minor third|"
    r"major third|third|fourth|fifth|keys?)?",
    re.IGNORECASE,
)


def _tonic(letter: str, acc: str | None) -> str:
    acc = (acc or "").lower()
    sign = {"#": "#", "♯": "#", "sharp": "#", "b": "b", "♭": "b", "flat": "b"}.get(acc, "")
    return letter.upper() + sign


_MODE_NOUN = re.compile(r"\s+(key|mode|scale|feel|vibe|tonality|sound|chord)")


def find_key(text: str) -> tuple[str, str] | None:
    """("A", "minor") from "A minor", "Am", "d dorian", "C# min"; ("F#", "") from "in F#"."""
    for match in _KEY_WITH_MODE.finditer(text):
        letter, acc, mode = match.groups()
        after = text[match.end():match.end() + 12].lower()
        # "a minor key"/"a major feel" speaks of a mode (lower-case article), not of A
        if letter == "a" and not acc and _MODE_NOUN.match(after):
            continue
        return _tonic(letter, acc), MODE_WORDS[mode.lower()]
    for match in _KEY_SHORT.finditer(text):
        letter, acc, quality = match.groups()
        if acc or quality:
            # "A" alone at a sentence start is an article: needs an accidental or quality
            if quality and quality in ("m", "min"):
                return _tonic(letter, acc), "minor"
            return _tonic(letter, acc), "major" if quality in ("maj", "M") else ""
    context = _KEY_CONTEXT.search(text)
    if context:
        letter, acc, quality = context.groups()
        if letter.islower() and not acc:
            # "in a ..." / "to a ..." is usually the article; only take a lone letter
            rest = text[context.end():].strip(" .!?")
            if rest or letter in "a":
                return None
        mode = {"m": "minor", "min": "minor", "maj": "major"}.get(quality or "", "")
        return _tonic(letter, acc), mode
    stripped = text.strip(" .!?")
    solo = re.fullmatch(r"([A-Ga-g])(#|♯|b|♭)?(m|min|maj)?", stripped)
    if solo:
        letter, acc, quality = solo.groups()
        return _tonic(letter, acc), {"m": "minor", "min": "minor", "maj": "major"}.get(
            quality or "", "")
    return None


def find_mode_only(text: str) -> str | None:
    match = _MODE_ONLY.search(text)
    return MODE_WORDS[match.group(1).lower()] if match else None


def find_tempo(text: str) -> float | None:
    match = _BPM.search(text)
    if not match:
        return None
    value = float(next(g for g in match.groups() if g))
    return value if 20 <= value <= 400 else None


def find_tempo_word(norm: str) -> str | None:
    for phrase in sorted(TEMPO_WORDS, key=len, reverse=True):
        if re.search(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", norm):
            if re.search(rf"\bnot (too |so |very )?{re.escape(phrase)}\b", norm):
                return "medium"
            return TEMPO_WORDS[phrase]
    return None


def find_tempo_delta(text: str) -> float | None:
    match = _DELTA.search(text)
    if not match:
        return None
    amount, word, phrase, bpm, direction = match.groups()
    if bpm:
        sign = 1 if direction.lower() in ("faster", "up") else -1
        return sign * float(bpm)
    if phrase:
        return 10.0 if phrase.lower().startswith(("speed", "pick", "bring the tempo up")) else -10.0
    sign = -1 if word.lower().startswith("slow") else 1
    size = 10.0
    if amount:
        amount = amount.lower()
        if any(w in amount for w in ("little", "tiny", "touch", "slightly", "tad", "bit")):
            size = 6.0 if "good" not in amount and "quite" not in amount else 15.0
        if any(w in amount for w in ("much", "lot", "way", "far", "lots")):
            size = 20.0
    return sign * size


def find_meter(text: str, norm: str) -> str | None:
    match = _METER.search(text)
    # one beat to the bar is no meter: "1/8" and "1/16" are quantize grids
    if match and int(match.group(1)) > 1:
        return f"{int(match.group(1))}/{match.group(2)}"
    for phrase, meter in METER_WORDS.items():
        if re.search(rf"\b{re.escape(phrase)}\b", norm):
            return meter
    return None


def find_length(text: str) -> int | None:
    low = text.lower()
    match = _LEN_MMSS.search(low)
    if match and not _METER.search(low[match.start():match.end()]):
        seconds = int(match.group(1)) * 60 + int(match.group(2))
        return seconds if 10 <= seconds <= 3600 else None
    if re.search(r"\ba minute and a half\b", low):
        return 90
    match = _LEN_MIN.search(low)
    if match:
        number, half_before, half_after, extra = match.groups()
        if number.startswith("half"):
            minutes = 0.5
        elif number in ("a", "an"):
            minutes = 1.0
        else:
            minutes = float(number) if number[0].isdigit() else float(NUMBER_WORDS[number])
        if half_before or half_after:
            minutes += 0.5
        seconds = round(minutes * 60) + (int(extra) if extra else 0)
        return seconds if 10 <= seconds <= 3600 else None
    match = _LEN_SEC.search(low)
    if match:
        seconds = int(match.group(1))
        return seconds if 10 <= seconds <= 3600 else None
    return None


_LONGER = re.compile(
    r"\b(?:make\s+it|make\s+the\s+song|a\s+bit|a\s+little|much|slightly)?\s*"
    r"\b(longer|shorter)\b(?!\s+(?:intro|verse|chorus|bridge|outro))", re.IGNORECASE)


def find_length_delta(text: str) -> int | None:
    match = _LONGER.search(text)
    if not match or not re.search(r"\b(it|song|track|bit|little|much|slightly)\b|^\s*(longer|"
                                  r"shorter)\s*$", text.lower()):
        return None
    size = 15 if re.search(r"\b(bit|little|slightly)\b", text.lower()) else 30
    size = 60 if re.search(r"\bmuch\b", text.lower()) else size
    return size if match.group(1).lower() == "longer" else -size


def find_transpose(text: str) -> int | None:
    match = _TRANSPOSE.search(text)
    if not match:
        return None
    direction, amount, unit = match.groups()
    sign = 1 if direction.lower() == "up" else -1
    unit = (unit or "semitones").lower().replace("-", " ")
    if unit.startswith("key"):
        unit = "semitones"
    if amount is None:
        count = 1
        if unit in ("semitones", "semitone", "half steps", "half step", "halfsteps", "halfstep"):
            return None  # "transpose up" without an amount: ask
    elif amount.lower().startswith("half"):
        count = 1
        unit = "semitone"
    elif amount.isdigit():
        count = int(amount)
    else:
        count = NUMBER_WORDS.get(amount.lower(), 1)
    size = 1
    for name, value in INTERVALS.items():
        if unit.replace("halfstep", "half step") == name:
            size = value
            break
    semitones = sign * count * size
    return semitones if -24 <= semitones <= 24 and semitones else None


def find_moods(norm: str, vocab: Vocabulary) -> tuple[list[str], list[str], str | None]:
    """Mood ids, negated mood ids, and the first genre id, longest phrase first."""
    words = norm.split()
    moods: list[str] = []
    negated: list[str] = []
    genre: str | None = None
    i = 0
    while i < len(words):
        size = 1
        for n in range(min(vocab.longest, len(words) - i), 0, -1):
            phrase = " ".join(words[i:i + n])
            found = _lookup(phrase, vocab.moods)
            if found:
                negate = _negated(words, i)
                target = negated if negate else moods
                if found not in target:
                    target.append(found)
                size = n
                break
            found = _lookup(phrase, vocab.genres) or _lookup(phrase.replace(" ", ""), vocab.genres)
            if found:
                genre = genre or found
                size = n
                break
        i += size
    return moods, negated, genre


NEGATORS = frozenset(
    "not no never without nothing avoid hate dislike don't dont isn't isnt less nor".split()
)
CLAUSE_BREAKS = frozenset("but and or yet though although while".split())


def _negated(words: list[str], i: int) -> bool:
    """"not too sad", "I don't like sad songs" — but not "not fast but sad"."""
    for word in reversed(words[max(0, i - 3):i]):
        if word in CLAUSE_BREAKS:
            return False
        if word in NEGATORS:
            return True
    return False


def _lookup(phrase: str, table: Mapping[str, str]) -> str | None:
    if phrase in table:
        return table[phrase]
    if " " in phrase or len(phrase) < 4:
        return None
    for suffix, repl in (("ness", ""), ("ly", ""), ("s", ""), ("ier", "y"), ("iest", "y"),
                         ("er", ""), ("y", ""), ("ish", "")):
        if phrase.endswith(suffix):
            stem = phrase[: -len(suffix)] + repl
            if stem in table:
                return table[stem]
    return None


_REF = re.compile(
    r"(?<!\bi )(?<!\bi'd )(?<!\bwe )(?<!\bwould )(?<!\byou )(?<!\bthey )(?<!\bdon't )"
    r"(?<!\bdont )(?<!\bnot )(?<!\bdidn't )(?<!\bwouldn't )(?<!\bdo )(?<!\bdoesn't )"
    r"\b(?:like|similar to|in the style of|inspired by|influenced by|think|reminds me of|"
    r"something like|vibes? of|a la|à la)\s+(.+?)(?=[,;.!?]|\s+but\b|\s+and\b|\s+with\b|$)",
    re.IGNORECASE,
)


def find_references(text: str) -> list[str]:
    refs = []
    for match in _REF.finditer(text):
        ref = match.group(1).strip(" '\"")
        ref = re.sub(r"^(a|an|the)\s+", "", ref, flags=re.IGNORECASE)
        if ref and len(ref) <= 80 and not re.fullmatch(r"(it|that|this|them|\d+)", ref.lower()):
            refs.append(ref)
    return refs


def find_sources(norm: str, vocab: Vocabulary) -> list[str]:
    found: list[str] = []
    rest = f" {norm} "
    for source in sorted(vocab.sources, key=len, reverse=True):
        if f" {source} " in rest:
            found.append(source)
            rest = rest.replace(f" {source} ", " ")
    return found


def find_number(norm: str) -> int | None:
    for word in norm.split():
        value = number_value(word)
        if value is not None and (word in ORDINALS or word.isdigit()):
            return value
    return None


# --- arrangement edits -----------------------------------------------------------------------
_SEC = "|".join(re.escape(s) for s in sorted(SECTION_WORDS, key=len, reverse=True))
_INST = "|".join(re.escape(s) for s in sorted(INSTRUMENT_WORDS, key=len, reverse=True))
_ARR_REMOVE = re.compile(
    rf"^(?:(?:let'?s\s+)?(?:drop|remove|delete|cut|lose|kill|get rid of|take out|skip|scrap)"
    rf"\s+(?:the\s+|that\s+|a\s+)?|no\s+(?:more\s+)?)(?P<sec>{_SEC})(?:\s+section)?$"
)
_ARR_ADD = re.compile(
    rf"^(?:(?:let'?s\s+|can we\s+|please\s+)?(?:add|insert|put in|include|throw in)\s+"
    rf"(?:a|an|another|one more|the|some)?\s*)(?P<sec>{_SEC})(?:\s+section)?"
    rf"(?:\s+(?P<where>after|before)\s+(?:the\s+|each\s+|every\s+)?(?P<ref>{_SEC}))?"
    rf"(?:\s+(?:of|with)\s+(?P<bars>\d{{1,3}})\s+bars?)?$"
)
_ARR_BARS = re.compile(
    rf"^(?:make|set|change)?\s*(?:the\s+|each\s+|every\s+|all\s+)?(?P<sec>{_SEC})s?"
    rf"(?:\s+section)?\s*(?:to|=|be|should be|at|into|is|has|have|with|:)?\s*"
    rf"(?:be\s+|only\s+|just\s+)?(?P<bars>\d{{1,3}})\s+bars?(?:\s+long)?$"
    rf"|^(?:shorten|lengthen|extend|stretch|cut)\s+(?:the\s+)?(?P<sec2>{_SEC})\s+to\s+"
    rf"(?P<bars2>\d{{1,3}})\s+bars?$"
)
_ARR_MUTE = re.compile(
    rf"^(?:no|without|drop the|remove the|take out the|mute the|cut the|lose the|"
    rf"no more|kill the)\s+(?P<inst>{_INST})\s+(?:in|from|during|on)\s+(?:the\s+)?"
    rf"(?P<sec>{_SEC})s?$"
    rf"|^(?:drop|remove|take out|mute|cut|lose)\s+(?P<inst2>{_INST})\s+(?:in|from|during)"
    rf"\s+(?:the\s+)?(?P<sec2>{_SEC})s?$"
    rf"|^(?:the\s+)?(?P<sec3>{_SEC})\s+(?:without|with no)\s+(?P<inst3>{_INST})$"
    rf"|^(?:take|leave|keep|pull)\s+(?:the\s+)?(?P<inst4>{_INST})\s+out\s+(?:of\s+)?"
    rf"(?:the\s+)?(?P<sec4>{_SEC})s?$"
)
_ARR_UNMUTE = re.compile(
    rf"^(?:add|bring in|bring back|bring|put|put back|unmute|include)\s+(?:the\s+|some\s+)?"
    rf"(?P<inst>{_INST})\s+(?:back\s+)?(?:in|to|into|during|on)\s+(?:the\s+)?"
    rf"(?P<sec>{_SEC})s?$"
)
_ARR_ENERGY = re.compile(
    rf"^(?:make\s+)?(?:the\s+)?(?P<sec>{_SEC})s?\s+(?:should be\s+|a bit\s+|much\s+)?"
    rf"(?P<dir>bigger|louder|bigger|fuller|more energetic|busier|stronger|harder|"
    rf"smaller|quieter|softer|calmer|sparser|lighter|thinner|less busy)$"
)


_ARR_ENERGY2 = re.compile(
    rf"^(?:an?\s+|the\s+)?(?P<dir>bigger|louder|fuller|busier|stronger|harder|smaller|quieter|"
    rf"softer|calmer|sparser|lighter|thinner)\s+(?P<sec>{_SEC})s?$"
)
_UP_WORDS = ("bigger", "louder", "fuller", "more energetic", "busier", "stronger", "harder")
_IN_SEC = rf"(?:in|during|for|on|throughout)\s+(?:the\s+|each\s+|every\s+|all\s+)?(?P<sec>{_SEC})s?"
_AMOUNT = r"(?:(?P<pct>\d{1,3}(?:\.\d+)?)\s*(?:%|percent|per cent)|(?P<frac>0?\.\d+|[01]))"
_LEVEL_VERB = r"(?:bring|turn|set|put|pull|push|take|drop|lower|raise|mix|have|keep)"
_ARR_LEVEL = (
    # "bring the bass down to 60% in the verse", "set the drums to 50% in the intro"
    re.compile(rf"^{_LEVEL_VERB}\s+(?:the\s+)?(?P<inst>{_INST})\s+(?:level\s+|volume\s+)?"
               rf"(?:(?:down|up|back)\s+)?(?:to|at)\s+{_AMOUNT}\s+{_IN_SEC}$"),
    # "bass at 60% in the verse", "the bass level to 60% in the verses"
    re.compile(rf"^(?:the\s+)?(?P<inst>{_INST})\s+(?:level\s+|volume\s+)?(?:at|to|=|:)?\s*"
               rf"{_AMOUNT}\s+{_IN_SEC}$"),
    # "in the verse, bring the bass down to 60%"
    re.compile(rf"^{_IN_SEC},?\s+{_LEVEL_VERB}\s+(?:the\s+)?(?P<inst>{_INST})\s+"
               rf"(?:(?:down|up|back)\s+)?(?:to|at)\s+{_AMOUNT}$"),
)
_ARR_LEVEL_STEP = (
    # "turn the drums down in the verse", "bring the bass up a bit in the chorus"
    re.compile(rf"^(?:bring|turn|pull|push|take)\s+(?:the\s+)?(?P<inst>{_INST})\s+(?P<dir>down|up)"
               rf"(?:\s+a\s+(?:bit|little|touch))?\s+{_IN_SEC}$"),
    re.compile(rf"^(?:turn|bring)\s+(?P<dir>down|up)\s+the\s+(?P<inst>{_INST})\s+{_IN_SEC}$"),
    # "make the bass quieter in the verse", "louder drums in the chorus"
    re.compile(rf"^(?:make\s+)?(?:the\s+)?(?P<inst>{_INST})\s+(?:a bit\s+|a little\s+)?"
               rf"(?P<dir>quieter|softer|louder|lower|higher)\s+{_IN_SEC}$"),
)
_ARR_DUPLICATE = re.compile(
    rf"^(?:duplicate|double|repeat|copy|clone)\s+(?:the\s+)?(?:last\s+|final\s+)?(?P<sec>{_SEC})"
    rf"(?:\s+section)?(?:\s+(?:once more|again|twice))?$"
)
_ARR_RESIZE = re.compile(
    rf"^(?:make\s+)?(?:the\s+|each\s+|every\s+|all\s+)?(?P<sec>{_SEC})s?\s+"
    rf"(?:a bit\s+|a little\s+|much\s+)?(?P<dir>longer|shorter)$"
    rf"|^(?P<verb>shorten|lengthen|extend|stretch)\s+(?:the\s+)?(?P<sec2>{_SEC})s?$"
)


def _level_edit(text: str) -> SectionEdit | None:
    for pattern in _ARR_LEVEL:
        match = pattern.match(text)
        if match:
            if match.group("pct") is not None:
                value = float(match.group("pct")) / 100
            else:
                value = float(match.group("frac"))
            return SectionEdit("level", SECTION_WORDS[match.group("sec")],
                               instrument=INSTRUMENT_WORDS[match.group("inst")],
                               level=max(0.0, min(1.0, value)))
    for pattern in _ARR_LEVEL_STEP:
        match = pattern.match(text)
        if match:
            up = match.group("dir") in ("up", "louder", "higher")
            return SectionEdit("level", SECTION_WORDS[match.group("sec")],
                               instrument=INSTRUMENT_WORDS[match.group("inst")],
                               delta=1 if up else -1)
    return None


def parse_edit(clean: str) -> SectionEdit | None:
    text = clean.replace("pre chorus", "pre-chorus").replace("post chorus", "post-chorus")
    level = _level_edit(text)
    if level is not None:
        return level
    match = _ARR_DUPLICATE.match(text)
    if match:
        return SectionEdit("duplicate", SECTION_WORDS[match.group("sec")])
    match = _ARR_MUTE.match(text)
    if match:
        inst = next(g for g in (match.group(f"inst{n}") for n in ("", "2", "3", "4")) if g)
        sec = next(g for g in (match.group(f"sec{n}") for n in ("", "2", "3", "4")) if g)
        return SectionEdit("mute", SECTION_WORDS[sec], instrument=INSTRUMENT_WORDS[inst])
    match = _ARR_UNMUTE.match(text)
    if match:
        return SectionEdit("unmute", SECTION_WORDS[match.group("sec")],
                           instrument=INSTRUMENT_WORDS[match.group("inst")])
    match = _ARR_REMOVE.match(text)
    if match:
        return SectionEdit("remove", SECTION_WORDS[match.group("sec")])
    match = _ARR_ADD.match(text)
    if match:
        where = None
        if match.group("where"):
            where = (match.group("where"), SECTION_WORDS[match.group("ref")])
        bars = int(match.group("bars")) if match.group("bars") else None
        return SectionEdit("add", SECTION_WORDS[match.group("sec")], bars=bars, where=where)
    match = _ARR_BARS.match(text)
    if match:
        sec = match.group("sec") or match.group("sec2")
        bars = int(match.group("bars") or match.group("bars2"))
        if 1 <= bars <= 256:
            return SectionEdit("bars", SECTION_WORDS[sec], bars=bars)
    match = _ARR_RESIZE.match(text)
    if match:
        sec = match.group("sec") or match.group("sec2")
        longer = (match.group("dir") or match.group("verb")) in (
            "longer", "lengthen", "extend", "stretch")
        return SectionEdit("bars", SECTION_WORDS[sec], delta=4 if longer else -4)
    match = _ARR_ENERGY.match(text) or _ARR_ENERGY2.match(text)
    if match:
        up = match.group("dir") in _UP_WORDS
        return SectionEdit("energy", SECTION_WORDS[match.group("sec")], delta=1 if up else -1)
    return None


# --- stage jumps, changes, questions ---------------------------------------------------------
_STAGE_RE = "|".join(re.escape(s) for s in sorted(STAGE_WORDS, key=len, reverse=True))
_GOTO = re.compile(
    rf"^(?:(?:ok\s+)?(?:let'?s|lets|let us|can we|could we|i want to|i'?d like to|i wanna|"
    rf"time to|now)\s+)?(?:go\s+|jump\s+|skip\s+|move\s+|switch\s+|head\s+|get\s+|"
    rf"take me\s+|bring me\s+|on\s+)?(?:back\s+|on\s+|ahead\s+|straight\s+|over\s+)?"
    rf"(?:to\s+|do\s+|start\s+|work on\s+|talk about\s+|talk\s+|try\s+|open\s+|onto\s+)?"
    rf"(?:the\s+|some\s+)?(?P<stage>{_STAGE_RE})(?:\s+stage|\s+step|\s+part|\s+now)*$"
)
_CHANGE_VERB = re.compile(
    r"\b(change|set|switch|make|move|put|transpose|instead|rather|actually|try|use|go|"
    r"speed|slow|shift|bump|drop|raise|lower|turn|let'?s (?:have|use|try)|how about|what about)\b"
)
_TITLE = re.compile(
    r"^(?:(?:let'?s\s+)?call\s+(?:it|the song|this)|(?:the\s+)?(?:song\s+)?title\s*(?:is|:|=)|"
    r"(?:change|set|rename)\s+(?:the\s+)?(?:title|name)\s+(?:to|as)|name\s+it|"
    r"(?:rename|retitle)\s+(?:it|the song)\s+(?:to\s+)?|(?:the\s+)?song\s+is\s+called)"
    r"\s+['\"“]?(?P<title>[^'\"”]{1,60}?)['\"”]?\s*$",
    re.IGNORECASE,
)


def _is_question(clean: str, raw: str) -> bool:
    if raw.rstrip().endswith("?"):
        return True
    return any(clean == q or clean.startswith(q + " ") for q in QUESTION_STARTS)


def parse(text: str, vocab: Vocabulary | None = None) -> Parsed:
    """Read one message. Never raises: unknown input is an "answer" with no slots."""
    vocab = vocab or Vocabulary()
    raw = (text or "")[:MAX_TEXT].replace("\x00", " ")
    raw = "".join(ch if ch.isprintable() or ch in "\t" else " " for ch in raw).strip()
    if not raw:
        return Parsed("empty", "")
    clean = _clean(raw)
    if not clean and raw.strip() == "?":
        return Parsed("help", raw)
    if clean in COMMANDS:
        return Parsed(COMMANDS[clean], raw)
    bare = _bare(clean)
    if bare in COMMANDS and COMMANDS[bare] not in ("yes", "no"):
        return Parsed(COMMANDS[bare], raw)

    match = _WHY.match(clean)
    if match:
        number = number_value(match.group(1)) if match.group(1) else None
        return Parsed("why", raw, number=number)
    match = _PLAY.match(clean) or _PLAY.match(bare)
    if match:
        number = number_value(match.group(1)) if match.group(1) else None
        section = match.group("section")
        # `stage` carries the section for "play the chorus"; other words are a plain play
        stage = SECTION_WORDS.get(section.strip()) if section else None
        return Parsed("play", raw, number=number, stage=stage)
    match = _TICK.match(clean)
    if match:
        numbers = tuple(int(n) for n in re.findall(r"\d+", match.group("numbers")))
        return Parsed("untick" if match.group("un") else "tick", raw, numbers=numbers)
    match = _PICK.match(clean)
    if match:
        number = number_value(match.group(1))
        if number is not None:
            return Parsed("pick", raw, number=number, slots=Slots(number=number))

    norm = normalise(raw)
    match = _GOTO.match(clean)
    if match:
        return Parsed("goto", raw, stage=STAGE_WORDS[match.group("stage")])

    edit = parse_edit(clean)
    if edit:
        return Parsed("arrange", raw, edits=(edit,))

    slots = read_slots(raw, norm, vocab)
    title = _TITLE.match(raw.strip())
    if title:
        slots = _with(slots, title=title.group("title").strip())
        return Parsed("change", raw, slots=slots)
    is_change = bool(_CHANGE_VERB.search(clean)) and bool(
        slots.key or slots.tempo or slots.tempo_delta or slots.meter or slots.transpose
        or slots.mode or slots.length_s
    )
    if slots.transpose or slots.tempo_delta or slots.length_delta:
        is_change = True
    if is_change:
        return Parsed("change", raw, slots=slots)
    if _is_question(clean, raw):
        about = re.match(r"^(what|how) about\b", clean)
        if about and slots.any():
            return Parsed("answer", raw, slots=slots)
        return Parsed("question", raw, slots=slots)
    return Parsed("answer", raw, slots=slots, number=slots.number)


def _with(slots: Slots, **changes: object) -> Slots:
    from dataclasses import replace

    return replace(slots, **changes)  # type: ignore[arg-type]


def read_slots(raw: str, norm: str, vocab: Vocabulary) -> Slots:
    """Every slot the text fills; the stage decides which ones matter now."""
    moods, negated, genre = find_moods(norm, vocab)
    refs = find_references(raw)
    if genre is None:
        for ref in refs:
            _, _, genre = find_moods(normalise(ref), Vocabulary(genres=vocab.genres,
                                                               longest=vocab.longest))
            if genre:
                break
    key = find_key(raw)
    mode = find_mode_only(raw) if key is None else None
    meter = find_meter(raw, norm)
    length = find_length(raw)
    length_delta = find_length_delta(raw) if length is None else None
    tempo = find_tempo(raw)
    transpose = find_transpose(raw)
    delta = find_tempo_delta(raw) if transpose is None else None
    tempo_word = find_tempo_word(norm) if delta is None else None
    path_match = _PATH.search(raw)
    number = find_number(norm) if not (tempo or meter or length) else None
    return Slots(
        moods=tuple(moods), not_moods=tuple(negated), genre=genre, references=tuple(refs),
        key=key, mode=mode, tempo=tempo, tempo_word=tempo_word, tempo_delta=delta,
        meter=meter, length_s=length, length_delta=length_delta, transpose=transpose,
        path=path_match.group(1).strip() if path_match else None,
        sources=tuple(find_sources(norm, vocab)), number=number, words=tuple(norm.split()),
    )


def stage_names() -> Iterable[str]:
    return sorted(set(STAGE_WORDS.values()))
