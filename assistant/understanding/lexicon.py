"""The reader's vocabulary, built once from the knowledge base and cached with it.

Every phrase people use for something the coach knows — moods, genres, themes, artists and
songs, instruments, glossary terms, sections, stages — maps to what it means (a `Sense`).
Modifiers (negators, "too", comparatives...) and the intents' cue phrases come from
`knowledge/language.toml`; the intent model's weights from `knowledge/intent_model.json`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.understanding.text import Speller, normalise, tokens
from assistant.understanding.values import (
    METER_WORDS,
    MODE_WORDS,
    SECTION_WORDS,
    STAGE_WORDS,
    TEMPO_WORDS,
)

if TYPE_CHECKING:
    from assistant.kb.loader import Knowledge
    from assistant.kb.schema import Modifier

_SIMPLE = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")
MODEL_FILE = "intent_model.json"
WORDS_FILE = "words_en.txt"


@dataclass(frozen=True)
class Sense:
    """What a phrase means: a mention type and the id or value it stands for."""

    type: str
    """mood, genre, theme, reference, instrument, term, section, stage, tempo_word, meter,
    mode, role (a part of the arrangement: drums, bass...)."""
    value: str


# Words a role in the arrangement goes by (for section edits: "no drums in the verse").
ROLE_WORDS: dict[str, str] = {
    "drums": "drums", "drum": "drums", "beat": "drums", "percussion": "drums",
    "kick": "drums", "hats": "drums", "bass": "bass", "bassline": "bass", "sub": "bass",
    "chords": "chords", "piano": "chords", "keys": "chords", "guitar": "chords",
    "guitars": "chords", "rhodes": "chords", "pad": "pad", "pads": "pad", "strings": "pad",
    "synth": "lead", "synths": "lead", "lead": "lead", "melody": "melody", "vocals": "melody",
    "vocal": "melody", "fx": "fx", "effects": "fx",
}
# Things to record (Recording's "what will you record?").
SOURCE_WORDS: tuple[str, ...] = (
    "lead vocals", "backing vocals", "vocals", "vocal", "voice", "singing", "rap",
    "acoustic guitar", "electric guitar", "guitar", "bass guitar", "bass", "piano", "keys",
    "keyboard", "synth", "drums", "percussion", "violin", "cello", "strings", "saxophone",
    "sax", "trumpet", "flute", "ukulele", "choir", "harmonica", "mandolin", "banjo", "organ",
    "sing", "i sing", "my voice", "vox",
)
_SOURCE_AS = {"sing": "vocals", "i sing": "vocals", "singing": "vocals", "voice": "vocals",
              "my voice": "vocals", "vox": "vocals", "vocal": "vocals"}
# Which sense wins a typo's tie: "violen" is the violin, not violent (a mood word).
_PREFERRED = {"instrument": 3, "term": 3, "genre": 2, "mood": 2, "tempo_word": 2, "section": 2}
# Mood words too generic to stand for a mood on their own inside a longer sentence.
_WEAK = frozenset({"good", "nice", "cool", "fine", "great", "ok", "okay", "light", "heavy",
                   "hard", "soft", "big", "small", "like", "love", "free", "high", "low", "down",
                   "up", "breakup", "break up", "crying"})


@dataclass
class Lexicon:
    """Phrase tables for one knowledge base. Build with `lexicon_for(kb)`."""

    phrases: dict[str, list[Sense]] = field(default_factory=dict)
    longest: int = 1
    cues: dict[str, str] = field(default_factory=dict)
    """Whole-message cue phrase -> intent name."""
    examples: list[tuple[str, str]] = field(default_factory=list)
    """(sentence, intent) from the knowledge base, for training."""
    modifiers: dict[str, Modifier] = field(default_factory=dict)
    """Normalised modifier phrase -> its entry."""
    modifier_longest: int = 1
    theme_names: dict[str, set[str]] = field(default_factory=dict)
    """Theme id -> the phrases of its own name."""
    kb: Any = None

    def add(self, phrase: str, sense: Sense) -> None:
        norm = normalise(phrase)
        if not _SIMPLE.fullmatch(norm):
            norm = " ".join(tokens(norm))
        if not norm:
            return
        senses = self.phrases.setdefault(norm, [])
        if sense not in senses:
            senses.append(sense)
        self.longest = max(self.longest, len(norm.split()))

    @cached_property
    def speller(self) -> Speller:
        # words that stand alone: a word seen only inside a name ("sumer" in "donna sumer")
        # is not one a typo should turn into, nor one that hides a typo ("sumer" -> summer)
        vocabulary: set[str] = {p for p in self.phrases if " " not in p}
        for phrase in [*self.cues, *self.modifiers]:
            vocabulary.update(phrase.split())
        for sentence, _ in self.examples:
            vocabulary.update(tokens(normalise(sentence)))
        vocabulary.update(_MUSIC_WORDS)
        english = _english_words()
        preferred: dict[str, int] = {}
        for phrase, senses in self.phrases.items():
            if " " not in phrase:
                preferred[phrase] = max([_PREFERRED.get(s.type, 0) for s in senses])
        for cue in self.cues:
            if " " not in cue:
                preferred[cue] = 4  # one-word commands first: "skp" is skip, not ska
        return Speller(vocabulary, english, preferred)

    @cached_property
    def model(self) -> dict[str, Any]:
        """{"intents": [...], "bias": {intent: w}, "weights": {feature: {intent: w}}}."""
        path = _knowledge_dir() / MODEL_FILE
        try:
            return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
        except (OSError, ValueError):
            return {"intents": [], "bias": {}, "weights": {}}

    def modifier_of(self, kind: str) -> list[Modifier]:
        return [m for m in {id(m): m for m in self.modifiers.values()}.values() if m.kind == kind]


# Words the speller may correct toward besides the knowledge base's phrases.
_MUSIC_WORDS = frozenset(
    """bpm tempo key chord chords progression melody verse chorus bridge intro outro
    instrumental drums bass guitar piano vocals lyrics song songs track beat mix master
    mixing mastering record recording export faster slower brighter darker happier sadder
    minor major swing quantize transpose semitone semitones minutes seconds bars
    filepath double duplicate repeat add drop remove swap replace mute option number
    first second third fourth fifth sixth last one two three four five six seven eight
    nine ten twelve sixteen middle mic mics usb xlr daw vst eq amp""".split()
)


def _knowledge_dir() -> Path:
    from assistant import paths

    return Path(paths.shipped_knowledge_dir())


def _english_words() -> frozenset[str]:
    try:
        text = (_knowledge_dir() / WORDS_FILE).read_text(encoding="utf-8")
    except OSError:
        return frozenset()
    words = [w for w in text.splitlines() if w and not w.startswith("#")]
    # short words deep in the list are chat shorthand or names ("nxt", "corus"): a typo
    # that lands on one is still corrected
    return frozenset(w for rank, w in enumerate(words)
                     if rank < 5000 or (len(w) > 3 and rank < 12000) or len(w) > 5)


_LEXICONS: dict[int, tuple[Any, Lexicon]] = {}


def lexicon_for(kb: Knowledge) -> Lexicon:
    """The lexicon of this knowledge base (built once, kept while the knowledge lives)."""
    cached = _LEXICONS.get(id(kb))
    if cached is not None and cached[0] is kb:
        return cached[1]
    lexicon = build(kb)
    _LEXICONS[id(kb)] = (kb, lexicon)
    return lexicon


def build(kb: Knowledge) -> Lexicon:
    lex = Lexicon(kb=kb)
    entries = kb.entries
    negators = {normalise(w) for m in entries.get("modifier", {}).values()
                if getattr(m, "kind", "") == "negator" for w in getattr(m, "words", ())}
    for mood in kb.moods:
        for word in (mood.name, mood.id.split(".", 1)[1], *mood.synonyms):
            # "hate" negates what follows ("I hate slow songs"); it is not a mood there
            if normalise(word) not in _WEAK and normalise(word) not in negators:
                lex.add(word, Sense("mood", mood.id))
    for genre in kb.genres:
        for word in (genre.name, genre.id.split(".", 1)[1], *genre.aliases):
            lex.add(word, Sense("genre", genre.id))
        if " " not in genre.name and genre.name.isalpha():  # "jazzy", "funky", "bluesy"
            stem = genre.name + (genre.name[-1] if genre.name[-1] in "pz" else "")
            lex.add(stem + "y", Sense("genre", genre.id))
            lex.add(genre.name + "ish", Sense("genre", genre.id))
    for theme in entries.get("theme", {}).values():
        for word in (getattr(theme, "name", ""), *getattr(theme, "cues", ())):
            lex.add(word, Sense("theme", theme.id))
        # the words of its own name ("lullaby", "workout", "night drive") say it most clearly
        name = normalise(getattr(theme, "name", ""))
        lex.theme_names[theme.id] = {name, *name.replace(" and ", ",").split(","),
                                     theme.id.split(".", 1)[1].replace("-", " ")}
    for ref in entries.get("reference", {}).values():
        for word in (getattr(ref, "name", ""), *getattr(ref, "aliases", ())):
            lex.add(word, Sense("reference", ref.id))
    for inst in kb.instruments:
        words = [inst.name, inst.id.split(".", 1)[1], *getattr(inst, "aliases", ())]
        for word in words:
            lex.add(word, Sense("instrument", inst.id))
            if not word.endswith("s"):
                lex.add(word + "s", Sense("instrument", inst.id))
    for term in entries.get("term", {}).values():
        for word in (getattr(term, "term", ""), term.id.split(".", 1)[1],
                     *getattr(term, "aliases", ())):
            lex.add(word, Sense("term", term.id))
    tables = {"section": SECTION_WORDS, "stage": STAGE_WORDS, "tempo_word": TEMPO_WORDS,
              "meter": METER_WORDS, "mode": MODE_WORDS, "role": ROLE_WORDS}
    for kind, table in tables.items():
        for word, value in table.items():
            lex.add(word, Sense(kind, value))
    for word in SOURCE_WORDS:
        lex.add(word, Sense("source", _SOURCE_AS.get(word, word)))
    for entry in entries.get("intent", {}).values():
        name = getattr(entry, "name", "")
        for cue in getattr(entry, "cues", ()):
            lex.cues.setdefault(" ".join(tokens(normalise(cue))) or cue, name)
        lex.examples.extend((sentence, name) for sentence in getattr(entry, "examples", ()))
    for entry in entries.get("modifier", {}).values():
        for word in getattr(entry, "words", ()):
            norm = " ".join(tokens(normalise(word)))
            lex.modifiers.setdefault(norm, entry)  # type: ignore[arg-type]
            lex.modifier_longest = max(lex.modifier_longest, len(norm.split()))
    return lex
