"""Values inside free text: keys, tempos, meters, lengths, transpositions, numbers, file
paths, titles and chord sequences. Each finder takes the text and returns the value or None;
none of them decides what the turn means (that is the reader's job)."""

from __future__ import annotations

import re

from assistant.audio_in.formats import PHONE_AUDIO  # stdlib only: no audio libraries here

STAGE_WORDS: dict[str, str] = {
    "conception": "conception", "concept": "conception", "the idea": "conception",
    "idea": "conception", "the vibe": "conception", "vibe": "conception",
    "composition": "composition", "composing": "composition", "compose": "composition",
    "writing": "composition", "songwriting": "composition", "the chords": "composition",
    "the progression": "composition", "harmony": "composition", "the key": "composition",
    "melody": "composition", "the melody": "composition",
    "arrangement": "arrangement", "arranging": "arrangement", "arrange": "arrangement",
    "the structure": "arrangement", "structure": "arrangement", "form": "arrangement",
    "instruments": "arrangement", "the instruments": "arrangement", "instrumentation": "arrangement",
    "line up": "arrangement", "lineup": "arrangement", "the line up": "arrangement",
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


def _clean(text: str) -> str:
    """For whole-message commands: lower, trimmed of punctuation and polite words."""
    text = text.lower().replace("’", "'").strip()
    text = re.sub(r"^(ok|okay|so|well|um|hmm|right|hey|hi|oh)[,!. ]+", "", text)
    text = re.sub(r"[\s,.!]+(please|thanks|thank you|pls)[.!?]*$", "", text)
    text = re.sub(r"^(please)\s+", "", text)
    text = text.strip(" \t.!,;:")
    return " ".join(text.split())


# --- numbers -------------------------------------------------------------------------------
_NUM = r"(\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|first|second|third|fourth|" \
    r"fifth|sixth|seventh|eighth|ninth|tenth|last|1st|2nd|3rd|4th|5th|6th|7th|8th|9th|10th)"
_WHY = re.compile(rf"^(?:why|explain|how come|why (?:is|did you suggest|did you pick|that|not))"
                  rf"(?:\s+(?:the\s+)?(?:option\s+|number\s+|#)?{_NUM}(?:\s+one)?)?\s*\??$")
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
    r"([A-Ga-g])(#|♯|b|♭|\s(?:flat|sharp)\b)?(m|min|maj)?(?![\w'#♯♭/])"
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
    r"(?:\s+(?:and\s+)?(\d{1,2})\s*(?:seconds?|secs?|s)?\b)?",
    re.IGNORECASE,
)
_LEN_SEC = re.compile(r"\b(\d{2,3})\s*(?:seconds?|secs?)\b", re.IGNORECASE)  # not "808s", "90s"
# the files a turn can name: MIDI, what libsndfile reads, and a phone's voice memos
FILE_SUFFIXES = "|".join(sorted({"midi", "mid", "wave", "wav", "flac", "aiff", "aif", "mp3",
                                 "ogg", *(s[1:] for s in PHONE_AUDIO)}, key=lambda s: (-len(s), s)))
_PATH = re.compile(r"((?:~|\.{1,2})?/?[\w.\-~/ ]*\.(?:" + FILE_SUFFIXES + r"))\b", re.IGNORECASE)

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
    r"(?:\b(?:transpose|shift|move|take|bump|put)\s+(?:it\s+|everything\s+|the song\s+|the key\s+)?|^)"
    r"(up|down)\s+(?:by\s+)?(?:(\d{1,2}|one|two|three|four|five|six|seven|half an?|an|a)\b\s*)?"
    r"(semitones?|half[- ]?steps?|whole[- ]?steps?|tones?|steps?|octaves?|minor third|"
    r"major third|third|fourth|fifth|keys?)?\b",
    re.IGNORECASE,
)


def _tonic(letter: str, acc: str | None) -> str:
    acc = (acc or "").lower().strip()
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
    stripped = re.sub(r"\s+(?:please|pls|plz|thanks|then|i guess|maybe)$", "", text.strip(" .!?"),
                      flags=re.IGNORECASE)
    solo = re.fullmatch(r"([A-Ga-g])(#|♯|b|♭|\s(?:flat|sharp))?(m|min|maj)?", stripped)
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


_WORD_NUM = (r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|first|second|third|"
             r"fourth|fifth|sixth|last|1st|2nd|3rd|4th|5th|6th)")
_OPTION = re.compile(
    rf"\b(?:option|number|no\.?|#|choice|pick|take|with)\s*(?:the\s+)?{_WORD_NUM}\b"
    rf"|\bthe\s+{_WORD_NUM}(?:\s+one|\s+option)?\b"
    rf"|^{_WORD_NUM}(?=\s*(?:$|but\b|and\b(?!\s+(?:a\s+)?half\b)|,|please\b|pls\b|then\b|"
    rf"i guess\b|!|\.|one\b))"  # not "2 and a half minutes": a length
)


def find_option(norm: str, options: int) -> int | None:
    """An option named as such: "option two", "number 1 and ...", "the second one", "3 but in
    E minor", "the one in the middle"."""
    if not options:
        return None
    if re.search(r"\b(?:the one in the middle|the middle one|middle one)\b", norm):
        return (options + 1) // 2
    if re.search(r"\b(?:at the bottom|bottom one|the bottom|lowest one)\b", norm):
        return -1
    if re.search(r"\b(?:at the top|top one|the top)\b", norm):
        return 1
    match = _OPTION.search(norm)
    if not match:
        return None
    value = number_value(next(g for g in match.groups() if g))
    if value == -1:
        return -1  # "the last one": the coach knows how many there are
    return value if value is not None and (1 <= value <= options or value == -1) else None


def find_number(norm: str) -> int | None:
    words = norm.split()
    for i, word in enumerate(words):
        value = number_value(word)
        after = words[i + 1] if i + 1 < len(words) else ""
        if after.endswith("s") and after not in ("bpm", "please", "pls", "is", "was", "thanks") \
                and len(after) > 3:
            continue  # "3 instruments": a count of things, not an option
        if value is not None and (word in ORDINALS or word.isdigit()):
            return value
    if len(words) <= 3:  # "three", "two please": a number said in words
        for word in words:
            if word in NUMBER_WORDS and word not in ("a", "an", "one"):
                return NUMBER_WORDS[word]
        if words and words[0] == "one" and len(words) == 1:
            return 1
    return None


# --- stage jumps, changes, questions ---------------------------------------------------------
_TITLE = re.compile(
    r"^(?:(?:let'?s\s+)?call\s+(?:it|the song|this)|(?:the\s+)?(?:song\s+)?title\s*(?:is|:|=)|"
    r"(?:change|set|rename)\s+(?:the\s+)?(?:title|name)\s+(?:to|as)|name\s+it|"
    r"(?:rename|retitle)\s+(?:it|the song)(?:\s+to)?|(?:the\s+)?song(?:'s|\s+is)\s+called|"
    r"it'?s\s+called|it\s+is\s+called|title'?s)"
    r"\s+['\"“]?(?P<title>[^'\"”,]{1,60}?)['\"”]?"
    r"(?:\s*,.*|\s+and\s+(?:make|set|change|put|give|use|let|move|switch|in|at)\b.*)?\s*$",
    re.IGNORECASE,
)
# "... and call it Porch Light": a title asked for after something else
TITLE_LATE = re.compile(
    r"\b(?:call it|call the song|name it|title it|and call it)\s+['\"“]?(?P<title>[^'\"”,.!]{1,60}?)"
    r"['\"”]?(?=\s+and\s|\s*$|[,.!])",
    re.IGNORECASE,
)




# A chord symbol as people type it: "Em", "F#m7", "Bb", "Cmaj7", "G/B", "Dsus4".
_CHORD = re.compile(
    r"^([A-Ga-g])(#|b|♯|♭)?(maj7|maj9|maj|min7|min|m7b5|m7|m9|m|dim7|dim|aug|sus2|sus4|add9|"
    r"7|9|11|13|6|5|°|ø)?(?:/([A-Ga-g])(#|b)?)?$"
)
_NUMERAL = re.compile(r"^(b|#|♭|♯)?(iii|ii|iv|vii|vi|v|i|III|II|IV|VII|VI|V|I)(°|o|ø|\+|7|maj7|m7|"
                      r"dim|sus4|sus2|9)?$")


def find_chords(text: str) -> tuple[str, ...]:
    """The longest run of chord symbols or Roman numerals: "G D Em C", "i bVI bIII bVII".

    Lower-case letters are chords only in a run of three or more ("am f c g"), so "a song"
    or "I am" are not chords; numerals need one that is not a lone "i"."""
    words = re.split(r"[\s,–—|]+", re.sub(r"\s[-–—/]\s", " ", text.strip()))
    if sum(1 for w in words if _NOTE.match(w.strip(".!?;:()"))) >= 2:
        return ()  # a typed melody ("A4 C5 E5 D5"), not chords
    best: list[str] = []
    run: list[str] = []
    kind = ""
    for word in [*(w.strip(".!?;:()") for w in words), ""]:
        this = "chord" if word and _CHORD.match(word) else \
            "numeral" if word and _NUMERAL.match(word) else ""
        if this and (not run or this == kind or (kind == "chord" and this == "numeral"
                                                 and word in ("v", "V", "i"))):
            run.append(word)
            kind = kind or this
            continue
        if _good_run(run, kind) and len(run) > len(best):
            best = run
        run, kind = ([word], this) if this else ([], "")
    return tuple(best)


_NOTE = re.compile(r"^[A-Ga-g][#b]?-?\d(?:/[\d.]+)?$")


def _good_run(run: list[str], kind: str) -> bool:
    if len(run) < 2:
        return False
    if kind == "chord" and all(_NOTE.match(w) for w in run):
        return False  # "C5 E5 D5": notes with their octave, a melody (power chords are rare)
    if kind == "numeral":
        return any(w not in ("i", "I") for w in run) and (len(run) >= 3 or any(
            w[0] in "b#♭♯" or w.isupper() for w in run))
    upper = sum(1 for w in run if w[0].isupper())
    if upper == len(run):
        return True
    return len(run) >= 3 and all(len(w) <= 4 for w in run)
