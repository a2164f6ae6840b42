"""Music theory core: keys and modes, Roman numerals <-> chord symbols <-> pitch classes, voicings.

Everything here is pitch-class arithmetic over small tables, cached with `functools.lru_cache`,
so the common paths (numeral -> symbol, symbol -> numeral) cost microseconds and never touch
music21. music21 is imported lazily, only by the converters `key_to_music21`/`key_from_music21`;
the tests use it as the independent oracle.

Conventions
-----------
Pitch classes are 0..11 with C = 0; MIDI note numbers put C4 (middle C) at 60.

Keys are `song.Key(tonic, mode)` in the seven modes (major, minor, dorian, phrygian, lydian,
mixolydian, locrian; "ionian" and "aeolian" are accepted as major and minor). `parse_key` takes
"A minor", "Am", "F#", "Bb major", "D dorian", "c# phrygian", "C ionian" and the data files'
"Gb:maj" / "A:min". A lone lower-case tonic means minor ("a" = A minor, "bb" = Bb minor), as in
music21.

Roman numerals are numbered against the MAJOR scale of the tonic whatever the mode (in A minor
`i` = Am, `bVI` = F, `bVII` = G, `V` = E, `iv` = Dm; in C major `bVII` = Bb, `iv` = Fm). The case
gives the triad quality, explicitly and independent of the key: upper = major, lower = minor;
`°`/`o`/`dim` diminished, `+`/`aug` augmented, `ø`/`ø7` half-diminished seventh. Suffixes:

    7      upper: dominant seventh (V7 = G7, I7 = C7)   lower: minor seventh (ii7 = Dm7)
    maj7   upper: major seventh (Imaj7 = Cmaj7)         lower: minor-major seventh
    6, 69, 9, 11, 13, add9      (case picks the major or minor version)
    maj9, maj13, 5 (power chord), sus2, sus4, 7sus4, 9sus4, 7b5, 7b9, 7#9, °7, ø7, +7, +maj7
    (Harte quality)             the data files' form, e.g. "I(maj(9))", "bVII(sus4(b7,9))"

Secondary functions: everything after a "/" that is itself a numeral is the chord it tonicises:
`V/V` (D in C), `V7/vi` (E7), `vii°/V` (F#dim); chains like `V/V/V` work right to left.

Inversions use ONE scheme: a slash and a bass DEGREE counted from the chord root, as in the Harte
notation of the data files: `V/3` = G/B, `vi/5` = Am/E, `V7/7` = G7/F, `I/b7` = C/Bb. A plain
degree (3, 5, 7, 9, 11, 13) means the chord's OWN third, fifth, seventh... when the chord has one
(`vi/3` = Am/C, `vii°/5` = Bdim/F, `V7/7` = G7/F); otherwise the major-scale degree (`I/9` = C/D,
`I/7` = C/B). `b`/`#` before the degree alter the major-scale degree exactly (`i/b3` = Am/C in A,
as the data files write it; `I/b7` = C/Bb), and `♮` (or `n`) asks for the plain major-scale degree
when the chord's own degree differs (`I7/♮7` = C7/B, rare). Figured-bass `64`, `65`, `43`, `42`
are accepted on input as aliases (`V65` = `V7/3`), but `6` always means an added sixth (`I6` = C6),
so output never uses figures. `V/3` and `V/V` do not clash: digits are bass degrees, Roman numerals
are targets, and a target comes before a bass (`V/V/3` = D/F#).

`symbol_to_numeral` never invents secondary functions: every chord gets the plain chromatic
numeral of its root, with the fixed choice of accidental the data files use: bII, bIII, #IV, bVI,
bVII (so in C, "D" -> "II", "D7" -> "II7", "F#dim" -> "#iv°", "Bb" -> "bVII", "Fm" -> "iv"). The
one exception is locrian, whose own fifth degree is named bV (F in B locrian), not #IV.
`parse_numeral` accepts both "II" and "V/V". Round trip: `numeral_to_symbol(symbol_to_numeral(s,
k), k)` names the same chord (same root, quality and bass pitch classes; the spelling may differ,
e.g. "Gb" in C comes back as "F#").

Spelling follows the key: scale notes take the key's letters (F# major spells E#, Bb minor spells
Gb), a numeral's root takes the letter of its major-scale degree (bIII in C = Eb, #IV in C = F#,
V/V in C = D, V/vi = E), and a bass note the letter of its degree over the root. A spelling that
would need a double sharp or flat (only in far keys like A# major, or bII of Gb) is respelled to
the plain enharmonic (C, C#, D, Eb, E, F, F#, G, Ab, A, Bb, B).

Chord symbols: "Am", "F#m7", "Bb", "Cmaj7", "G/B", "Bdim", "Bm7b5", "Caug", "Dsus4", "E7",
"A7sus4", "C6", "Cadd9", "Ebm", "Amaj7", "D9", "C6/9", "Cm(maj7)"..., and Harte labels from the
data files ("A:min", "F#:maj7/5", "C:7", "D:maj/f+"); "N"/"X" (no chord) is BadInput. A Harte
chord whose notes match no quality in the table snaps to the nearest one (`C:1` -> C5,
`C:9(13,#11)` -> C9) and is marked `approximate`.

Every bad text raises `errors.BadInput` with one line naming the bad token and what is accepted.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from assistant.errors import BadInput
from assistant.keys import MODES, Key, Mode

if TYPE_CHECKING:  # only for annotations: music21 is imported lazily
    import music21.key

KeyLike = Key | str

LETTERS = "CDEFGAB"
_LETTER_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ACC_VALUE = {"": 0, "#": 1, "b": -1, "##": 2, "bb": -2, "x": 2}
_PLAIN_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)

MODE_INTERVALS: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "locrian": (0, 1, 3, 5, 6, 8, 10),
}
_MODE_WORDS: dict[str, Mode] = {
    "major": "major", "maj": "major", "ionian": "major", "ion": "major",
    "minor": "minor", "min": "minor", "aeolian": "minor", "aeo": "minor",
    "dorian": "dorian", "dor": "dorian",
    "phrygian": "phrygian", "phr": "phrygian", "phryg": "phrygian",
    "lydian": "lydian", "lyd": "lydian",
    "mixolydian": "mixolydian", "mixo": "mixolydian", "mix": "mixolydian",
    "locrian": "locrian", "loc": "locrian",
}
# Key signature of a mode relative to its tonic's major key, in fifths (A minor = C major = 0).
_MODE_FIFTHS = {"major": 0, "minor": -3, "dorian": -2, "phrygian": -4, "lydian": 1,
                "mixolydian": -1, "locrian": -5}
_LETTER_FIFTHS = {"F": -1, "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5}

# Semitone offset from the tonic -> (Roman numeral, letter steps from the tonic): the data files'
# fixed accidentals bII, bIII, #IV, bVI, bVII.
_OFFSET_NUMERAL = ("I", "bII", "II", "bIII", "III", "IV", "#IV", "V", "bVI", "VI", "bVII", "VII")
_OFFSET_STEPS = (0, 1, 1, 2, 2, 3, 3, 4, 5, 5, 6, 6)
# ...except that a root on a note of the mode is named by its scale degree. That only changes
# locrian, whose diatonic fifth (F in B locrian) is bV rather than #IV.
_LOCRIAN_OFFSET_NUMERAL = tuple("bV" if n == "#IV" else n for n in _OFFSET_NUMERAL)
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7}

# Chord qualities. Degrees are Harte-style (counted on the root's major scale) in stacking order.
#   name, degrees, symbol suffix, numeral in lower case?, numeral suffix
_QUALITY_ROWS: tuple[tuple[str, str, str, bool, str], ...] = (
    ("maj", "1 3 5", "", False, ""),
    ("min", "1 b3 5", "m", True, ""),
    ("dim", "1 b3 b5", "dim", True, "°"),
    ("aug", "1 3 #5", "aug", False, "+"),
    ("5", "1 5", "5", False, "5"),
    ("sus2", "1 2 5", "sus2", False, "sus2"),
    ("sus4", "1 4 5", "sus4", False, "sus4"),
    ("7", "1 3 5 b7", "7", False, "7"),
    ("maj7", "1 3 5 7", "maj7", False, "maj7"),
    ("min7", "1 b3 5 b7", "m7", True, "7"),
    ("minmaj7", "1 b3 5 7", "mMaj7", True, "maj7"),
    ("dim7", "1 b3 b5 bb7", "dim7", True, "°7"),
    ("hdim7", "1 b3 b5 b7", "m7b5", True, "ø7"),
    ("aug7", "1 3 #5 b7", "7#5", False, "+7"),
    ("augmaj7", "1 3 #5 7", "maj7#5", False, "+maj7"),
    ("7b5", "1 3 b5 b7", "7b5", False, "7b5"),
    ("7sus4", "1 4 5 b7", "7sus4", False, "7sus4"),
    ("maj6", "1 3 5 6", "6", False, "6"),
    ("min6", "1 b3 5 6", "m6", True, "6"),
    ("69", "1 3 5 6 9", "69", False, "69"),
    ("min69", "1 b3 5 6 9", "m69", True, "69"),
    ("add9", "1 3 5 9", "add9", False, "add9"),
    ("madd9", "1 b3 5 9", "madd9", True, "add9"),
    ("9", "1 3 5 b7 9", "9", False, "9"),
    ("maj9", "1 3 5 7 9", "maj9", False, "maj9"),
    ("min9", "1 b3 5 b7 9", "m9", True, "9"),
    ("9sus4", "1 4 5 b7 9", "9sus4", False, "9sus4"),
    ("7b9", "1 3 5 b7 b9", "7b9", False, "7b9"),
    ("7#9", "1 3 5 b7 #9", "7#9", False, "7#9"),
    ("11", "1 3 5 b7 9 11", "11", False, "11"),
    ("min11", "1 b3 5 b7 9 11", "m11", True, "11"),
    ("13", "1 3 5 b7 9 11 13", "13", False, "13"),
    ("maj13", "1 3 5 7 9 11 13", "maj13", False, "maj13"),
    ("min13", "1 b3 5 b7 9 11 13", "m13", True, "13"),
)


def _degree_interval(text: str) -> int:
    """Harte degree ("b3", "#9", "bb7", "11") -> semitones above the root, 0..11."""
    stripped = text.lstrip("b#")
    shift = text.count("#") - text.count("b")
    number = int(stripped)
    return (MAJOR_SCALE[(number - 1) % 7] + shift) % 12


@dataclass(frozen=True)
class Quality:
    name: str
    degrees: tuple[str, ...]
    intervals: tuple[int, ...]
    """Semitones above the root in stacking order (root first)."""
    symbol: str
    lower: bool
    numeral: str

    @property
    def triad(self) -> str:
        """The triad underneath: "maj", "min", "dim", "aug", "sus" or "5"."""
        return triad_quality(self.name)


QUALITIES: dict[str, Quality] = {
    name: Quality(name, tuple(degrees.split()), tuple(_degree_interval(d) for d in degrees.split()),
                  symbol, lower, numeral)
    for name, degrees, symbol, lower, numeral in _QUALITY_ROWS
}
_QUALITY_BY_SET = {frozenset(q.intervals): q.name for q in QUALITIES.values()}

# Symbol suffix spellings people type -> quality name (after removing parentheses).
_SYMBOL_SUFFIX: dict[str, str] = {q.symbol: q.name for q in QUALITIES.values()}
_SYMBOL_SUFFIX.update({
    "M": "maj", "maj": "maj", "major": "maj",
    "min": "min", "-": "min", "minor": "min",
    "°": "dim", "o": "dim",
    "+": "aug", "#5": "aug", "+5": "aug",
    "sus": "sus4",
    "dom7": "7",
    "M7": "maj7", "Δ": "maj7", "Δ7": "maj7", "ma7": "maj7", "j7": "maj7", "maj7": "maj7",
    "min7": "min7", "-7": "min7",
    "mmaj7": "minmaj7", "mM7": "minmaj7", "minmaj7": "minmaj7", "-Δ7": "minmaj7", "mΔ7": "minmaj7",
    "°7": "dim7", "o7": "dim7",
    "ø": "hdim7", "ø7": "hdim7", "min7b5": "hdim7", "-7b5": "hdim7", "h7": "hdim7",
    "hdim7": "hdim7",
    "aug7": "aug7", "+7": "aug7", "7+5": "aug7", "7+": "aug7",
    "+maj7": "augmaj7", "augmaj7": "augmaj7", "maj7+5": "augmaj7", "Δ#5": "augmaj7",
    "7sus": "7sus4", "sus7": "7sus4",
    "maj6": "maj6", "M6": "maj6", "add6": "maj6",
    "min6": "min6", "-6": "min6",
    "6/9": "69", "6add9": "69", "m6/9": "min69", "min69": "min69",
    "add2": "add9", "2": "add9", "madd2": "madd9", "minadd9": "madd9", "m2": "madd9",
    "M9": "maj9", "Δ9": "maj9", "min9": "min9", "-9": "min9",
    "9sus": "9sus4",
    "min11": "min11", "-11": "min11",
    "M13": "maj13", "Δ13": "maj13", "min13": "min13", "-13": "min13",
})
_SYMBOL_SUFFIX_CI = {k.lower(): v for k, v in _SYMBOL_SUFFIX.items()
                     if not re.search(r"(^|[^a-z])[mM](?![a-z])", k)}

# Numeral suffix -> (quality when upper case, quality when lower case); None = not allowed.
_NUMERAL_SUFFIX: dict[str, tuple[str | None, str | None]] = {
    "": ("maj", "min"), "7": ("7", "min7"), "6": ("maj6", "min6"), "69": ("69", "min69"),
    "9": ("9", "min9"), "add9": ("add9", "madd9"), "add2": ("add9", "madd9"),
    "11": ("11", "min11"), "13": ("13", "min13"),
    "maj7": ("maj7", "minmaj7"), "M7": ("maj7", "minmaj7"), "Δ": ("maj7", "minmaj7"),
    "Δ7": ("maj7", "minmaj7"), "maj9": ("maj9", None), "maj13": ("maj13", None),
}
for _suffix, _name in {
    "5": "5", "sus2": "sus2", "sus4": "sus4", "sus": "sus4", "7sus4": "7sus4", "7sus": "7sus4",
    "9sus4": "9sus4", "9sus": "9sus4", "7b5": "7b5", "7b9": "7b9", "7#9": "7#9",
    "°": "dim", "o": "dim", "dim": "dim", "°7": "dim7", "o7": "dim7", "dim7": "dim7",
    "ø": "hdim7", "ø7": "hdim7", "h7": "hdim7", "m7b5": "hdim7",
    "+": "aug", "aug": "aug", "+7": "aug7", "aug7": "aug7", "7#5": "aug7",
    "+maj7": "augmaj7", "augmaj7": "augmaj7", "maj7#5": "augmaj7",
    "m": "min", "m7": "min7", "m6": "min6", "m9": "min9", "m11": "min11", "m13": "min13",
    "madd9": "madd9", "mmaj7": "minmaj7", "mMaj7": "minmaj7",
}.items():
    _NUMERAL_SUFFIX[_suffix] = (_name, _name)
# Figured-bass aliases: figure -> (bass degree, needs a seventh chord)
_FIGURES = {"64": ("5", False), "65": ("3", True), "43": ("5", True), "42": ("7", True)}

_KEY_HELP = ('use a note A-G with optional # or b and a mode, like "A minor", "Am", "F#", '
             '"Bb major", "D dorian"')
_MODE_HELP = ("use major, minor, dorian, phrygian, lydian, mixolydian or locrian "
              "(ionian and aeolian also work)")
_NOTE_HELP = 'use a note A-G with optional # or b and an octave, like "C4", "F#3", "Bb2" (C4 = 60)'
_NUMERAL_HELP = ("use I-VII (upper case major, lower case minor) with optional b or # before it "
                 "and a suffix like 7, maj7, °, ø7, +, sus4, add9, then an optional /target like "
                 '/V or bass degree like /3, e.g. "bVII", "V7/vi", "ii7", "V/3"')
_SYMBOL_HELP = ("use a root A-G with optional # or b and a quality like m, 7, maj7, m7, dim, "
                "m7b5, aug, sus4, add9, 6, 9, then an optional /bass note, e.g. "
                '"F#m7", "G/B", "Bb", "A:min"')

_NOTE_RE = re.compile(r"^([A-Ga-g])(##|bb|#|b|x)?(-?\d{1,2})?$")
_KEY_RE = re.compile(
    r"^(?P<letter>[A-Ga-g])(?P<acc>#|b|\s*-?sharp|\s*-?flat)?\s*[:\-]?\s*(?P<mode>[A-Za-z]*)$"
)
_SYMBOL_RE = re.compile(r"^(?P<root>[A-G])(?P<acc>#|b)?(?P<rest>.*)$")
_ROMAN_RE = re.compile(r"^(?P<acc>[b#]?)(?P<rn>[IViv]+)(?P<suffix>.*)$")
_TARGET_RE = re.compile(r"^(?P<acc>[b#]?)(?P<rn>[IViv]+)[°o+]?$")
_BASS_DEGREE_RE = re.compile(r"^(?P<acc>b|#|♮|n)?(?P<deg>1[0-3]|[1-9])$")


def _clean(text: str) -> str:
    """Unify the accidentals and signs people paste (♭ ♯ º ∆) with the ASCII forms."""
    return (text.strip().replace("♭", "b").replace("♯", "#").replace("º", "°")
            .replace("˚", "°").replace("∆", "Δ").replace("Ø", "ø"))


def _spell(letter_index: int, pc: int) -> str:
    """Name pc with the given letter (C=0..B=6), or plainly if that needs a double accidental."""
    letter = LETTERS[letter_index % 7]
    diff = (pc - _LETTER_PC[letter] + 6) % 12 - 6
    if diff == 0:
        return letter
    if diff == 1:
        return letter + "#"
    if diff == -1:
        return letter + "b"
    return _PLAIN_NAMES[pc % 12]


def _name_parts(name: str) -> tuple[int, int]:
    """"F#" -> (letter index 3, pitch class 6)."""
    letter = name[0].upper()
    return LETTERS.index(letter), (_LETTER_PC[letter] + _ACC_VALUE[name[1:]]) % 12


# --------------------------------------------------------------------------------------- keys


def _key_tuple(key: KeyLike) -> tuple[str, str]:
    if isinstance(key, str):
        key = parse_key(key)
    return key.tonic, key.mode


@lru_cache(maxsize=512)
def _parse_key_cached(text: str) -> tuple[str, Mode]:
    cleaned = re.sub(r"\s+", " ", _clean(text))
    cleaned = re.sub(r"(?i)^key of ", "", cleaned)
    cleaned = re.sub(r"(?i) key$", "", cleaned)
    match = _KEY_RE.match(cleaned)
    if not match:
        raise BadInput(f"unknown key {text!r}: {_KEY_HELP}")
    letter, acc, word = match["letter"], (match["acc"] or "").strip(), match["mode"]
    acc = "#" if "sharp" in acc else "b" if "flat" in acc else acc
    mode: Mode | None
    if word == "":
        mode = "minor" if letter.islower() else "major"
    elif word == "m":
        mode = "minor"
    elif word == "M":
        mode = "major"
    else:
        mode = _MODE_WORDS.get(word.lower())
    if mode is None:
        raise BadInput(f"unknown mode {word!r} in key {text!r}: {_MODE_HELP}")
    return letter.upper() + acc, mode


def parse_key(text: str | Key) -> Key:
    """"A minor", "Am", "a", "F# major", "F#", "Bb", "D dorian", "c# phrygian", "Gb:maj" -> Key."""
    if isinstance(text, Key):
        return text  # immutable: nothing to copy
    if not isinstance(text, str):
        raise BadInput(f"unknown key {text!r}: {_KEY_HELP}")
    tonic, mode = _parse_key_cached(text)
    return Key(tonic=tonic, mode=mode)


@lru_cache(maxsize=256)
def _scale(tonic: str, mode: str) -> tuple[tuple[int, ...], tuple[str, ...]]:
    letter, pc = _name_parts(tonic)
    pcs = tuple((pc + step) % 12 for step in MODE_INTERVALS[mode])
    names = tuple(_spell(letter + i, p) for i, p in enumerate(pcs))
    return pcs, names


def scale_pitch_classes(key: KeyLike) -> tuple[int, ...]:
    """The key's seven pitch classes, tonic first: A minor -> (9, 11, 0, 2, 4, 5, 7)."""
    return _scale(*_key_tuple(key))[0]


def scale_note_names(key: KeyLike) -> tuple[str, ...]:
    """The key's seven notes spelled for it: F# major -> (F#, G#, A#, B, C#, D#, E#)."""
    return _scale(*_key_tuple(key))[1]


def key_signature(key: KeyLike) -> int:
    """Sharps (positive) or flats (negative) in the key signature: E minor 1, D dorian 0."""
    tonic, mode = _key_tuple(key)
    return _LETTER_FIFTHS[tonic[0]] + 7 * _ACC_VALUE[tonic[1:]] + _MODE_FIFTHS[mode]


def _best_tonic(pc: int, mode: str) -> str:
    """The spelling of a tonic pitch class with the fewest accidentals in `mode` (flats on ties)."""
    options = []
    for letter, natural in _LETTER_PC.items():
        for acc in ("", "#", "b"):
            if (natural + _ACC_VALUE[acc]) % 12 == pc:
                fifths = _LETTER_FIFTHS[letter] + 7 * _ACC_VALUE[acc] + _MODE_FIFTHS[mode]
                options.append((abs(fifths), fifths > 0, letter + acc))
    return min(options)[2]


def transpose_key(key: KeyLike, semitones: int) -> Key:
    """Move a key by semitones, spelling the new tonic with the fewest accidentals (flats on ties):
    C major + 1 -> Db major, A minor + 1 -> Bb minor, D dorian + 2 -> E dorian."""
    tonic, mode = _key_tuple(key)
    pc = _name_parts(tonic)[1]
    if semitones % 12 == 0:
        return Key(tonic=tonic, mode=cast(Mode, mode))
    return Key(tonic=_best_tonic((pc + semitones) % 12, mode), mode=cast(Mode, mode))


def relative_key(key: KeyLike, mode: Mode = "major") -> Key:
    """The key with the same notes in another mode: relative_key("A minor") -> C major."""
    tonic, own_mode = _key_tuple(key)
    if mode not in MODES:
        raise BadInput(f"unknown mode {mode!r}: {_MODE_HELP}")
    pcs, names = _scale(tonic, own_mode)
    # same notes, so the new tonic is the scale note whose rotation has the mode's steps
    for index in range(7):
        rotation = tuple((pcs[(index + i) % 7] - pcs[index]) % 12 for i in range(7))
        if rotation == MODE_INTERVALS[mode]:
            return Key(tonic=names[index], mode=mode)
    raise AssertionError(f"no {mode} rotation of {tonic} {own_mode}")  # every mode is a rotation


# -------------------------------------------------------------------------------------- notes


def parse_pitch_class(text: str) -> int:
    """"C#" -> 1, "Bb" -> 10, "Cb" -> 11."""
    cleaned = _clean(text) if isinstance(text, str) else ""
    match = _NOTE_RE.match(cleaned)
    if not match or match[3] is not None:
        raise BadInput(f"unknown note {text!r}: use a note A-G with optional # or b, "
                       "like C, F#, Bb")
    return (_LETTER_PC[match[1].upper()] + _ACC_VALUE[match[2] or ""]) % 12


def parse_note(text: str, default_octave: int | None = None) -> int:
    """"C#4" -> 61, "Bb3" -> 58, "C-1" -> 0 (C4 = 60). Without an octave, `default_octave` is used
    ("E" with default_octave=4 -> 64); with none given that is BadInput."""
    cleaned = _clean(text) if isinstance(text, str) else ""
    match = _NOTE_RE.match(cleaned)
    if not match:
        raise BadInput(f"unknown note {text!r}: {_NOTE_HELP}")
    if match[3] is None:
        if default_octave is None:
            raise BadInput(f"note {text!r} needs an octave: {_NOTE_HELP}")
        octave = default_octave
    else:
        octave = int(match[3])
    midi = 12 * (octave + 1) + _LETTER_PC[match[1].upper()] + _ACC_VALUE[match[2] or ""]
    if not 0 <= midi <= 127:
        raise BadInput(f"note {text!r} is outside the MIDI range C-1..G9 (0-127)")
    return midi


@lru_cache(maxsize=512)
def _pc_name(pc: int, tonic: str | None, mode: str | None) -> str:
    if tonic is None or mode is None:
        return _PLAIN_NAMES[pc]
    pcs, names = _scale(tonic, mode)
    if pc in pcs:
        return names[pcs.index(pc)]
    letter, tonic_pc = _name_parts(tonic)
    return _spell(letter + _OFFSET_STEPS[(pc - tonic_pc) % 12], pc)


def note_name(midi_or_pc: int, key: KeyLike | None = None, *, octave: bool | None = None) -> str:
    """Name a MIDI note ("C4" for 60) or a pitch class ("C#"), spelled for `key` when given:
    note_name(5, "F# major") -> "E#"; note_name(66, "Gb major") -> "Gb4".

    0..11 count as pitch classes (no octave) unless octave=True; 12..127 get an octave unless
    octave=False. Notes outside the key use the key's letters for bII, bIII, #IV, bVI, bVII."""
    value = int(midi_or_pc)
    with_octave = value >= 12 if octave is None else octave
    if with_octave and not 0 <= value <= 127:
        raise BadInput(f"note number {value} is outside the MIDI range 0-127")
    tonic, mode = _key_tuple(key) if key is not None else (None, None)
    name = _pc_name(value % 12, tonic, mode)
    if not with_octave:
        return name
    natural = _LETTER_PC[name[0]] + _ACC_VALUE[name[1:]]
    return f"{name}{(value - natural) // 12 - 1}"


# ----------------------------------------------------------------------------------- qualities


def triad_quality(quality: str) -> str:
    """The triad under a quality name: "min7" -> "min", "hdim7" -> "dim", "9sus4" -> "sus"."""
    intervals = set(QUALITIES[quality].intervals)
    if 4 in intervals:
        return "aug" if 8 in intervals and 7 not in intervals else "maj"
    if 3 in intervals:
        return "dim" if 6 in intervals and 7 not in intervals else "min"
    if 5 in intervals or 2 in intervals:
        return "sus"
    return "5"


def _nearest_quality(intervals: frozenset[int], prefer: str = "") -> tuple[str, bool]:
    """Exact quality for an interval set, else the closest one (missing notes cost less than
    notes the quality would add; ties go to `prefer`, the Harte shorthand, then table order)."""
    exact = _QUALITY_BY_SET.get(intervals)
    if exact:
        return exact, False
    best = min(
        QUALITIES.values(),
        key=lambda q: (len(intervals - set(q.intervals)) + 1.5 * len(set(q.intervals) - intervals),
                       q.name != prefer),
    )
    return best.name, True


def _resolve_bass_degree(acc: str, degree: int, quality: str) -> int:
    """Bass degree over the root -> semitones (see the module docstring for the rule)."""
    if acc in ("", None):
        own = dict(zip((d.lstrip("b#") for d in QUALITIES[quality].degrees),
                       QUALITIES[quality].intervals, strict=True))
        for number in (degree, degree + 7 if degree < 7 else degree - 7):
            if str(number) in own:
                return own[str(number)]
        return MAJOR_SCALE[(degree - 1) % 7]
    base = MAJOR_SCALE[(degree - 1) % 7]
    return (base + {"b": -1, "#": 1}.get(acc, 0)) % 12


@lru_cache(maxsize=1024)
def _format_bass_degree(quality: str, interval: int) -> str:
    """Semitones of the bass over the root -> the degree text that parses back to it."""
    q = QUALITIES[quality]
    for degree, value in zip(q.degrees, q.intervals, strict=True):
        if value == interval and degree != "1":
            return degree.lstrip("b#")
    for number in (3, 5, 7, 9, 11, 13, 2, 4, 6):
        for acc in ("", "b", "#", "♮"):
            if _resolve_bass_degree(acc, number, quality) == interval:
                return f"{acc}{number}"
    raise AssertionError(f"no bass degree for {interval} over {quality}")  # every interval fits


# ------------------------------------------------------------------------------------ numerals


@dataclass(frozen=True)
class Numeral:
    """A parsed Roman numeral. Offsets are semitones above the tonic (0..11)."""

    root_offset: int
    quality: str
    """A key of QUALITIES: "maj", "min", "dim", "7", "min7", "maj7", "hdim7", "sus4"..."""
    bass_offset: int | None
    """Semitones of the bass note above the tonic, or None for root position."""
    text: str
    """The numeral as written."""
    root_steps: int = 0
    """Letter steps from the tonic to the root (bVII: 6, #IV: 3, V/V: 1): drives spelling."""
    bass_steps: int | None = None
    secondary: bool = False
    """Written as a secondary function (V/V, vii°/V)."""

    @property
    def offsets(self) -> tuple[int, ...]:
        """Chord tones as semitones above the tonic, root first (a non-chord bass last)."""
        tones = tuple((self.root_offset + i) % 12 for i in QUALITIES[self.quality].intervals)
        if self.bass_offset is not None and self.bass_offset not in tones:
            tones += (self.bass_offset,)
        return tones

    @property
    def canonical(self) -> str:
        """The plain chromatic spelling symbol_to_numeral would give ("V/V" -> "II")."""
        return format_numeral(self)


def _roman_value(text: str, token: str) -> tuple[int, int, bool]:
    """"bVII" -> (semitone offset 10, letter steps 6, lower case False)."""
    match = _TARGET_RE.match(text) or _ROMAN_RE.match(text)
    if not match:
        raise BadInput(f"unknown Roman numeral {token!r}: {_NUMERAL_HELP}")
    roman = match["rn"]
    degree = _ROMAN.get(roman.upper())
    if degree is None or not (roman.isupper() or roman.islower()):
        raise BadInput(f"unknown Roman numeral {token!r}: {_NUMERAL_HELP}")
    shift = {"b": -1, "#": 1, "": 0}[match["acc"]]
    return (MAJOR_SCALE[degree - 1] + shift) % 12, degree - 1, roman.islower()


@lru_cache(maxsize=2048)
def parse_numeral(numeral: str) -> Numeral:
    """"bVII" -> Numeral(root_offset=10, quality="maj", ...); "V7/vi", "vii°/V", "ii7", "V/3",
    "I(maj(9))" (the data files' Harte form). See the module docstring for the scheme."""
    if not isinstance(numeral, str):
        raise BadInput(f"unknown Roman numeral {numeral!r}: {_NUMERAL_HELP}")
    text = _clean(numeral)
    if not text:
        raise BadInput(f"empty Roman numeral: {_NUMERAL_HELP}")
    head, *tails = _split_numeral(text)
    targets: list[str] = []
    bass: tuple[str, int] | None = None
    for part in tails:
        bass_match = _BASS_DEGREE_RE.match(part)
        if bass_match and bass is None:
            bass = (bass_match["acc"] or "", int(bass_match["deg"]))
        elif _TARGET_RE.match(part) and bass is None:
            targets.append(part)
        else:
            raise BadInput(f"unknown part {part!r} after '/' in Roman numeral {numeral!r}: "
                           f"{_NUMERAL_HELP}")
    match = _ROMAN_RE.match(head)
    if not match:
        raise BadInput(f"unknown Roman numeral {numeral!r}: {_NUMERAL_HELP}")
    offset, steps, lower = _roman_value(match["acc"] + match["rn"], numeral)
    quality, figure_bass = _numeral_quality(match["suffix"], lower, numeral)
    if figure_bass is not None:
        if bass is not None:
            raise BadInput(f"Roman numeral {numeral!r} has two basses: write it like \"V7/3\"")
        bass = ("", int(figure_bass))
    for target in reversed(targets):
        target_offset, target_steps, _ = _roman_value(target, numeral)
        offset, steps = (offset + target_offset) % 12, (steps + target_steps) % 7
    bass_offset: int | None = None
    bass_steps: int | None = None
    if bass is not None:
        acc, number = bass
        bass_offset = (offset + _resolve_bass_degree(acc, number, quality)) % 12
        bass_steps = (steps + number - 1) % 7
        if bass_offset == offset:
            bass_offset = bass_steps = None
    return Numeral(offset, quality, bass_offset, numeral, steps, bass_steps, bool(targets))


def _split_numeral(text: str) -> list[str]:
    """Split on "/" outside parentheses ("I(maj(9))/3" -> ["I(maj(9))", "3"])."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == "/" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _numeral_quality(suffix: str, lower: bool, token: str) -> tuple[str, str | None]:
    """Suffix of a numeral -> (quality name, figured-bass degree or None)."""
    if suffix.startswith("(") and suffix.endswith(")"):
        try:
            return _harte_quality(suffix[1:-1])[0], None
        except BadInput:
            raise BadInput(f"unknown chord quality {suffix!r} in Roman numeral {token!r}: "
                           f"{_NUMERAL_HELP}") from None
    figure = None
    for fig, (degree, seventh) in _FIGURES.items():
        if suffix.endswith(fig) and suffix not in _NUMERAL_SUFFIX:
            figure, suffix = degree, suffix[: -len(fig)]
            if seventh:
                suffix = {"": "7", "m": "m7", "maj": "maj7", "dim": "dim7"}.get(
                    suffix, suffix + "7")
            break
    pair = _NUMERAL_SUFFIX.get(suffix)
    quality = None if pair is None else pair[1] if lower else pair[0]
    if quality is None:
        raise BadInput(f"unknown chord suffix {suffix!r} in Roman numeral {token!r}: "
                       f"{_NUMERAL_HELP}")
    return quality, figure


def _numeral_text(root_offset: int, quality: str, bass_interval: int | None,
                  mode: str = "major") -> str:
    q = QUALITIES[quality]
    roman = (_LOCRIAN_OFFSET_NUMERAL if mode == "locrian" else _OFFSET_NUMERAL)[root_offset % 12]
    if q.lower:
        roman = roman.lower()
    text = roman + q.numeral
    if bass_interval is not None and bass_interval % 12 != 0:
        text += "/" + _format_bass_degree(quality, bass_interval % 12)
    return text


def format_numeral(numeral: Numeral | str) -> str:
    """Canonical text of a numeral (plain chromatic numeral, "/3"-style bass): "V/V" -> "II"."""
    num = parse_numeral(numeral) if isinstance(numeral, str) else numeral
    bass = None if num.bass_offset is None else (num.bass_offset - num.root_offset) % 12
    return _numeral_text(num.root_offset, num.quality, bass)


def transpose_numeral(numeral: Numeral | str, semitones: int) -> str:
    """Move a chord within its key by semitones, keeping its quality and inversion:
    ("V", 2) -> "VI", ("ii7", -2) -> "i7", ("V/3", 5) -> "I/3". Returns the canonical numeral.
    (Transposing the KEY needs no change to numerals: they are relative to the tonic.)"""
    num = parse_numeral(numeral) if isinstance(numeral, str) else numeral
    bass = None if num.bass_offset is None else (num.bass_offset - num.root_offset) % 12
    return _numeral_text((num.root_offset + semitones) % 12, num.quality, bass)


def _as_numeral(numeral: Numeral | str) -> Numeral:
    return parse_numeral(numeral) if isinstance(numeral, str) else numeral


@lru_cache(maxsize=4096)
def _numeral_symbol(num: Numeral, tonic: str) -> str:
    letter, pc = _name_parts(tonic)
    name = _spell(letter + num.root_steps, pc + num.root_offset) + QUALITIES[num.quality].symbol
    if num.bass_offset is not None and num.bass_steps is not None:
        name += "/" + _spell(letter + num.bass_steps, pc + num.bass_offset)
    return name


def numeral_to_symbol(numeral: Numeral | str, key: KeyLike) -> str:
    """"bVII" in A minor -> "G"; "V7/vi" in C -> "E7"; "V/3" in C -> "G/B"; "iv" in C -> "Fm"."""
    return _numeral_symbol(_as_numeral(numeral), _key_tuple(key)[0])


def numeral_to_pitch_classes(numeral: Numeral | str, key: KeyLike) -> tuple[int, ...]:
    """Pitch classes of a numeral in a key, root first: "V7" in C -> (7, 11, 2, 5)."""
    pc = _name_parts(_key_tuple(key)[0])[1]
    return tuple((pc + o) % 12 for o in _as_numeral(numeral).offsets)


@lru_cache(maxsize=64)
def _diatonic(tonic: str, mode: str, sevenths: bool) -> tuple[str, ...]:
    pcs = _scale(tonic, mode)[0]
    size = 4 if sevenths else 3
    out = []
    for i in range(7):
        chord = [pcs[(i + 2 * j) % 7] for j in range(size)]
        quality, _ = _nearest_quality(frozenset((p - chord[0]) % 12 for p in chord))
        out.append(_numeral_text((chord[0] - pcs[0]) % 12, quality, None, mode))
    return tuple(out)


def diatonic_numerals(key: KeyLike, sevenths: bool = False) -> tuple[str, ...]:
    """The chords built on each scale degree: A minor -> (i, ii°, bIII, iv, v, bVI, bVII)."""
    return _diatonic(*_key_tuple(key), sevenths)


def is_diatonic(chord: str | Numeral, key: KeyLike) -> bool:
    """True when every note of the chord (numeral or symbol) is in the key's scale."""
    scale = set(scale_pitch_classes(key))
    return set(chord_pitch_classes(chord, key)) <= scale


# ------------------------------------------------------------------------------------- symbols


@dataclass(frozen=True)
class ChordSymbol:
    """A parsed chord symbol or Harte label."""

    root: int
    """Pitch class of the root."""
    quality: str
    """A key of QUALITIES."""
    bass: int | None
    """Pitch class of a slash bass, None for root position."""
    text: str
    root_name: str
    bass_name: str | None = None
    approximate: bool = False
    """True when a Harte label's notes had no exact quality and snapped to the nearest."""

    @property
    def pitch_classes(self) -> tuple[int, ...]:
        """Root first, then the chord tones upwards; a bass outside the chord comes last."""
        tones = tuple((self.root + i) % 12 for i in QUALITIES[self.quality].intervals)
        if self.bass is not None and self.bass not in tones:
            tones += (self.bass,)
        return tones

    @property
    def name(self) -> str:
        """Canonical symbol text: "A:min7/b7" -> "Am7/G"."""
        bass = f"/{self.bass_name}" if self.bass_name else ""
        return f"{self.root_name}{QUALITIES[self.quality].symbol}{bass}"


_NO_CHORD = {"N", "X", "NC", "N.C.", "N.C", "n.c."}


@lru_cache(maxsize=4096)
def parse_symbol(symbol: str) -> ChordSymbol:
    """"F#m7", "G/B", "Bdim", "Cmaj7", "Bb", "Asus4", "A:min", "F#:maj7/5" -> ChordSymbol."""
    if not isinstance(symbol, str):
        raise BadInput(f"unknown chord symbol {symbol!r}: {_SYMBOL_HELP}")
    text = _clean(symbol)
    if text in _NO_CHORD:
        raise BadInput(f"{symbol!r} means no chord: give a chord like \"Am\" or \"G/B\"")
    if ":" in text:
        return _parse_harte(text, symbol)
    match = _SYMBOL_RE.match(text)
    if not match:
        raise BadInput(f"unknown chord symbol {symbol!r}: {_SYMBOL_HELP}")
    root_name = match["root"] + (match["acc"] or "")
    rest, bass_name = match["rest"], None
    slash = re.match(r"^(.*)/([A-Ga-g][#b]?)$", rest)
    if slash:
        rest, bass_name = slash[1], slash[2][0].upper() + slash[2][1:]
    suffix = rest.replace("(", "").replace(")", "").replace(" ", "")
    quality = _SYMBOL_SUFFIX.get(suffix) or _SYMBOL_SUFFIX_CI.get(suffix.lower())
    if quality is None:
        raise BadInput(f"unknown chord quality {rest!r} in chord symbol {symbol!r}: {_SYMBOL_HELP}")
    root = _name_parts(root_name)[1]
    bass = _name_parts(bass_name)[1] if bass_name else None
    if bass == root:
        bass, bass_name = None, None
    return ChordSymbol(root, quality, bass, symbol, root_name, bass_name)


_HARTE_SHORTHAND = {name: q.degrees for name, q in QUALITIES.items()}
_HARTE_SHORTHAND.update({"1": ("1",), "": ("1", "3", "5")})


def _harte_quality(quality_text: str) -> tuple[str, bool]:
    """Harte quality text -> (quality name, approximate?)."""
    shorthand = re.match(r"^[a-z0-9]*", quality_text)
    prefer = shorthand[0] if shorthand else ""
    return _nearest_quality(_harte_intervals(quality_text), prefer)


def _harte_intervals(quality_text: str) -> frozenset[int]:
    """Harte quality ("min7", "maj(9)", "sus4(b7,9)", "(1,b3,5)", "maj(*5)") -> interval set."""
    match = re.match(r"^([a-z0-9]*)(?:\(([^)]*)\))?$", quality_text)
    if not match or match[1] not in _HARTE_SHORTHAND:
        raise BadInput(f"unknown Harte chord quality {quality_text!r}")
    intervals = {_degree_interval(d) for d in _HARTE_SHORTHAND[match[1]]}
    if match[2] is not None:
        if not match[1]:
            intervals = {0}
        for item in (i.strip() for i in match[2].split(",") if i.strip()):
            if not re.match(r"^\*?[b#]*(1[0-3]|[1-9])$", item):
                raise BadInput(f"unknown Harte degree {item!r} in {quality_text!r}")
            if item.startswith("*"):
                intervals.discard(_degree_interval(item[1:]))
            else:
                intervals.add(_degree_interval(item))
    intervals.add(0)
    return frozenset(intervals)


def _parse_harte(text: str, token: str) -> ChordSymbol:
    root_text, _, rest = text.partition(":")
    root_match = _SYMBOL_RE.match(root_text)
    if not root_match or root_match["rest"]:
        raise BadInput(f"unknown chord root {root_text!r} in {token!r}: {_SYMBOL_HELP}")
    root_name = root_match["root"] + (root_match["acc"] or "")
    letter, root = _name_parts(root_name)
    quality_text, _, bass_text = rest.partition("/")
    try:
        quality, approximate = _harte_quality(quality_text)
    except BadInput as error:
        raise BadInput(f"{error} in chord {token!r}: {_SYMBOL_HELP}") from None
    bass = bass_name = None
    if bass_text:
        degree = re.match(r"^([b#]*)(1[0-3]|[1-9])$", bass_text)
        note = re.match(r"^([A-Ga-g])(#|b|\+|-)?$", bass_text)
        if degree:
            bass = (root + _degree_interval(bass_text)) % 12
            bass_name = _spell(letter + int(degree[2]) - 1, bass)
        elif note:  # the Nottingham extract writes the bass as a note: "maj/f+" = over F#
            acc = {"+": "#", "-": "b"}.get(note[2] or "", note[2] or "")
            bass_name = note[1].upper() + acc
            bass = _name_parts(bass_name)[1]
        else:
            raise BadInput(f"unknown bass {bass_text!r} in chord {token!r}: use a degree like "
                           f"/3, /5, /b7 or a note like /E")
        if bass == root:
            bass = bass_name = None
    return ChordSymbol(root, quality, bass, token, root_name, bass_name, approximate)


def symbol_to_numeral(symbol: str | ChordSymbol, key: KeyLike) -> str:
    """Chord symbol -> Roman numeral in a key: "G/B" in C -> "V/3", "Bb" in C -> "bVII",
    "Fm" in C -> "iv", "D" in C -> "II", "F" in A minor -> "bVI", "E7" in A minor -> "V7"."""
    chord = parse_symbol(symbol) if isinstance(symbol, str) else symbol
    return _symbol_numeral(chord.root, chord.quality, chord.bass, *_key_tuple(key))


@lru_cache(maxsize=4096)
def _symbol_numeral(root: int, quality: str, bass: int | None, tonic: str, mode: str) -> str:
    tonic_pc = _name_parts(tonic)[1]
    interval = None if bass is None else (bass - root) % 12
    return _numeral_text((root - tonic_pc) % 12, quality, interval, mode)


def transpose_symbol(symbol: str | ChordSymbol, semitones: int, key: KeyLike | None = None) -> str:
    """Move a chord symbol by semitones. Given the `key` it was in, the result is spelled for the
    transposed key (transpose_symbol("Bb", 2, "C major") -> "C", the bVII of D); without a key,
    plainly (C, C#, D, Eb, E, F, F#, G, Ab, A, Bb, B): transpose_symbol("F#m7", 1) -> "Gm7"."""
    chord = parse_symbol(symbol) if isinstance(symbol, str) else symbol
    if key is not None:
        numeral = symbol_to_numeral(chord, key)
        return numeral_to_symbol(numeral, transpose_key(key, semitones))
    root = _PLAIN_NAMES[(chord.root + semitones) % 12]
    bass = "" if chord.bass is None else "/" + _PLAIN_NAMES[(chord.bass + semitones) % 12]
    return root + QUALITIES[chord.quality].symbol + bass


def _looks_like_numeral(text: str) -> bool:
    return bool(re.match(r"^[b#♭♯]?[IViv]", text.strip()))


def chord_pitch_classes(text: str | Numeral | ChordSymbol, key: KeyLike | None = None
                        ) -> tuple[int, ...]:
    """Pitch classes of a chord symbol ("G7") or a numeral ("V7", needs the key), root first."""
    if isinstance(text, ChordSymbol):
        return text.pitch_classes
    if isinstance(text, Numeral) or _looks_like_numeral(text):
        if key is None:
            raise BadInput(f"Roman numeral {getattr(text, 'text', text)!r} needs a key "
                           f"to become notes: give one like \"A minor\"")
        return numeral_to_pitch_classes(text, key)
    if isinstance(text, str) and text.strip()[:1] in LETTERS:
        return parse_symbol(text).pitch_classes
    raise BadInput(f"unknown chord {text!r}: give a chord symbol like \"Am\", \"F#m7\", \"G/B\" "
                   f"or a Roman numeral like \"vi\", \"bVII\", \"V7/V\"")


# ------------------------------------------------------------------------------------ voicing

# Voicing costs, in "semitones of movement": each voice's move counts its size; leaps past a
# fifth cost extra so they happen only when nothing else fits; parallel fifths/octaves and poor
# doubling or spacing cost a little.
_LEAP_LIMIT = 7
_LEAP_COST = 12.0
_PARALLEL_COST = 3.0
_MAX_CANDIDATES = 96


def _priority(quality: str) -> tuple[int, ...]:
    """Chord-tone intervals, most important first: root, third, seventh, colour tones, fifth."""
    q = QUALITIES[quality]

    def rank(item: tuple[str, int]) -> tuple[int, int]:
        degree, _ = item
        number = int(degree.lstrip("b#"))
        if number == 1:
            return (0, 0)
        if number in (3, 2, 4) or (number == 5 and degree != "5"):
            return (1, number)  # third, suspension, altered fifth
        if number in (7, 6):
            return (2, number)
        if number == 5:
            return (4, 0)
        return (3, -number)  # the highest extension names the chord

    return tuple(i for _, i in sorted(zip(q.degrees, q.intervals, strict=True), key=rank))


def _chord_spec(item: Any, key: KeyLike | None) -> tuple[tuple[int, ...], int]:
    """(pitch classes most important first, bass pitch class)."""
    if isinstance(item, (str, Numeral, ChordSymbol)):
        if isinstance(item, str) and not _looks_like_numeral(item):
            item = parse_symbol(item)
        if isinstance(item, ChordSymbol):
            root, quality, bass = item.root, item.quality, item.bass
        else:
            if key is None:
                raise BadInput(f"Roman numeral {getattr(item, 'text', item)!r} needs a key "
                               f"to be voiced: give one like \"A minor\"")
            num = _as_numeral(item)
            tonic = _name_parts(_key_tuple(key)[0])[1]
            root = (tonic + num.root_offset) % 12
            quality = num.quality
            bass = None if num.bass_offset is None else (tonic + num.bass_offset) % 12
        tones = [(root + i) % 12 for i in _priority(quality)]
        if bass is not None and bass not in tones:
            tones.insert(1, bass)
        return tuple(tones), root if bass is None else bass
    try:
        pcs = tuple(dict.fromkeys(int(p) % 12 for p in item))
    except (TypeError, ValueError):
        raise BadInput(f"cannot voice {item!r}: give Roman numerals, chord symbols or "
                       f"pitch-class tuples") from None
    if not pcs:
        raise BadInput("cannot voice an empty chord: give at least one pitch class")
    return pcs, pcs[0]


def _candidates(spec: tuple[tuple[int, ...], int], low: int, high: int, voices: int,
                root_in_bass: bool) -> list[tuple[tuple[int, ...], float]]:
    tones, bass = spec
    required = tones[:voices]
    allowed = set(required) if len(tones) >= voices else set(tones)
    positions = [m for m in range(low, high + 1) if m % 12 in allowed]
    center = (low + high) / 2
    out = []
    for combo in itertools.combinations(positions, voices):
        pcs = [m % 12 for m in combo]
        if not set(required) <= set(pcs):
            continue
        if root_in_bass and pcs[0] != bass:
            continue
        gaps = [b - a for a, b in zip(combo, combo[1:], strict=False)]
        if any(g > 12 for g in gaps[1:]) or (gaps and gaps[0] > 19) or combo[-1] - combo[0] > 28:
            continue  # upper voices within an octave of each other, the whole chord compact
        cost = 0.0 if pcs[0] == bass else 3.0
        for pc in set(pcs):
            extra = pcs.count(pc) - 1
            if extra:
                rank = tones.index(pc)
                cost += extra * (0.0 if rank == 0 else 0.5 if (pc - tones[0]) % 12 == 7 else 2.0)
        if gaps and gaps[0] <= 4 and combo[0] < 55:
            cost += 1.0  # a third or closer down low is muddy
        cost += 0.08 * abs(sum(combo) / voices - center)
        out.append((combo, cost))
    out.sort(key=lambda c: (c[1], c[0]))
    return out[:_MAX_CANDIDATES]


def _movement(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    cost = 0.0
    for x, y in zip(a, b, strict=True):
        d = y - x if y > x else x - y
        cost += d
        if d > _LEAP_LIMIT:
            cost += _LEAP_COST * (d - _LEAP_LIMIT)
    n = len(a)
    for i in range(n - 1):
        for j in range(i + 1, n):
            before = (a[j] - a[i]) % 12
            if before in (0, 7) and (b[j] - b[i]) % 12 == before and a[i] != b[i]:
                if (b[i] - a[i]) * (b[j] - a[j]) > 0:
                    cost += _PARALLEL_COST
    return cost


@lru_cache(maxsize=256)
def _voice_specs(specs: tuple[tuple[tuple[int, ...], int], ...], low: int, high: int,
                 voices: int, root_in_bass: bool) -> tuple[tuple[int, ...], ...]:
    # A register too narrow for `voices` notes of every chord (4 voices of a triad inside one
    # octave) gets fewer voices for the whole progression rather than an error.
    for count in range(voices, 1, -1):
        layers = [_candidates(spec, low, high, count, root_in_bass) for spec in specs]
        if all(layers):
            break
    else:
        spec = next(spec for spec, layer in zip(specs, layers, strict=True) if not layer)
        names = "-".join(_PLAIN_NAMES[p] for p in spec[0])
        raise BadInput(f"register {low}-{high} is too narrow to voice the chord {names}: "
                       f"give at least an octave")
    # Viterbi over candidate voicings: the cheapest path of static + movement costs. Previous
    # voicings are tried cheapest first, and skipped once even a perfect move could not win
    # (movement is at least the change in the voices' sum).
    scores = [cost * 2.0 for _, cost in layers[0]]  # the opening chord's placement matters more
    back: list[list[int]] = []
    for prev, layer in zip(layers, layers[1:], strict=False):
        order = sorted(range(len(prev)), key=lambda i: (scores[i], i))
        sums = [sum(v) for v, _ in prev]
        new_scores, pointers = [], []
        for voicing, cost in layer:
            best, best_index, total_b = float("inf"), 0, sum(voicing)
            for index in order:
                base = scores[index]
                if base >= best:
                    break
                if base + abs(sums[index] - total_b) >= best:
                    continue
                total = base + _movement(prev[index][0], voicing)
                if total < best or (total == best and index < best_index):
                    best, best_index = total, index
            new_scores.append(best + cost)
            pointers.append(best_index)
        scores, back = new_scores, [*back, pointers]
    index = min(range(len(scores)), key=lambda i: (scores[i], i))
    path = [index]
    for pointers in reversed(back):
        index = pointers[index]
        path.append(index)
    path.reverse()
    return tuple(layers[i][choice][0] for i, choice in enumerate(path))


def voice_progression(
    numerals_or_pcs: Sequence[Any],
    key: KeyLike | None = None,
    low: int = 52,
    high: int = 72,
    voices: int = 4,
    *,
    root_in_bass: bool = False,
) -> list[list[int]]:
    """Voice chords (numerals in `key`, chord symbols, or pitch-class tuples root first) as
    `voices`-note MIDI chords inside [low, high], ascending, with smooth voice leading: the total
    semitone movement between neighbours is minimised over the whole progression, leaps past a
    fifth happen only when unavoidable, parallel fifths/octaves are avoided where cheap, and the
    chord's bass (root or slash bass) is preferred in the lowest voice (required with
    root_in_bass=True). Chords with more notes than voices drop the fifth first. If the register
    cannot hold `voices` notes of every chord (4 voices of a triad inside one octave), every
    voicing gets fewer notes instead. Deterministic."""
    if not 2 <= voices <= 6:
        raise BadInput(f"voices must be 2-6, not {voices}")
    if not (0 <= low < high <= 127):
        raise BadInput(f"register {low}-{high} must be MIDI notes 0-127 with low < high")
    specs = tuple(_chord_spec(item, key) for item in numerals_or_pcs)
    if not specs:
        return []
    return [list(v) for v in _voice_specs(specs, low, high, voices, root_in_bass)]


# ------------------------------------------------------------------------------------ music21


def key_to_music21(key: KeyLike) -> music21.key.Key:
    """The music21 Key for a key (imports music21: ~0.5 s the first time)."""
    import music21.key

    tonic, mode = _key_tuple(key)
    return music21.key.Key(tonic.replace("b", "-") if len(tonic) > 1 else tonic, mode)


def key_from_music21(m21_key: Any) -> Key:
    """A music21 Key (or KeySignature-derived key) -> song.Key."""
    name = str(m21_key.tonic.name).replace("-", "b")
    mode = {"ionian": "major", "aeolian": "minor"}.get(str(m21_key.mode), str(m21_key.mode))
    if mode not in MODES:
        raise BadInput(f"unknown mode {mode!r}: {_MODE_HELP}")
    if len(name) > 2:  # a double accidental: use the plain spelling
        name = _best_tonic((_name_parts(name[0])[1] + name.count("#") - name.count("b")) % 12, mode)
    return Key(tonic=name, mode=cast(Mode, mode))
