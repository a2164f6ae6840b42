"""Syllables, stress and rhyming sounds of one word: from the CMU dictionary when it has the
word, otherwise estimated (and marked as estimated) from the spelling.

The estimate tries, in order: a known word inside it (an ending like "-ing" or "-less" on a
dictionary word, a compound of two dictionary words, "singin'" for "singing"); then the
dictionary words whose spelling ends the same way (English spells its hard endings —
"-tion", "-ed", "-le", "-ious" — the same across many words, so the neighbours know how many
syllables an ending has); then counting vowel groups with the usual silent-e rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.lyrics.dictionary import Dictionary

FUNCTION_WORDS = frozenset("""a an the and or but nor so yet if of to in on at by for from with
as than that this these those is am are was were be been being do does did has have had
i me my you your he him his she her it its we us our they them their who whom whose which
what when where while there here not no can could will would shall should may might must
just than then oh ah o till til 'til 'cause cause up out off down over into onto upon via
""".split())
"""Short words a singer does not stress unless the line leans on them."""

_WORD = re.compile(r"[a-z]+(?:['’][a-z]+)*'?|'[a-z]+|\d+", re.I)
_VOWEL_GROUP = re.compile(r"[aeiouy]+")


@dataclass(frozen=True)
class Word:
    text: str
    """As it was written (punctuation trimmed)."""
    syllables: int
    stress: str
    """One digit a syllable: 1 primary, 2 secondary, 0 none."""
    rhyme: str
    """The rhyming part: phones from the last stressed vowel on ("OW1 M")."""
    known: bool
    """False when estimated: the word is not in the dictionary."""
    how: str = "dictionary"
    """How the estimate was made (shown to the user for unknown words)."""


def words_of(line: str) -> list[str]:
    """The words of a line as written (case kept for the karaoke text), apostrophes kept
    inside ("Don't", "singin'")."""
    text = line.replace("’", "'").replace("-", " ").replace("—", " ")
    return [w for w in _WORD.findall(text) if w.strip("'")]


def syllables_of(phones: str) -> int:
    return sum(1 for p in phones.split() if p[-1].isdigit())


def stress_of(phones: str) -> str:
    return "".join(p[-1] for p in phones.split() if p[-1].isdigit())


def rhyming_part(phones: str) -> str:
    """From the last stressed vowel to the end ("B IH0 G IH1 N" -> "IH1 N"). A secondary
    stress after the primary counts when a consonant follows it (heartbreak -> "EY2 K"),
    not on a last open vowel (pony "P OW1 N IY2" -> "OW1 N IY2")."""
    parts = phones.split()
    primary = max((i for i, p in enumerate(parts) if p[-1] == "1"), default=-1)
    for i in range(len(parts) - 1, primary, -1):
        if parts[i][-1] == "2" and i < len(parts) - 1:
            return " ".join(parts[i:])
    if primary >= 0:
        return " ".join(parts[primary:])
    for i in range(len(parts) - 1, -1, -1):  # no primary stress: the last stressed or any vowel
        if parts[i][-1] in "12":
            return " ".join(parts[i:])
    for i in range(len(parts) - 1, -1, -1):
        if parts[i][-1].isdigit():
            return " ".join(parts[i:])
    return phones


def stressed_vowel(part: str) -> str:
    first = part.split()[0] if part else ""
    return first.rstrip("012")


def lookup(word: str, d: Dictionary) -> Word:
    """The word as the dictionary has it, or an estimate (never raises, never drops it)."""
    w = word.lower().replace("’", "'")
    phones = d.phones(w) or d.phones(w.strip("'"))
    if phones:
        return _from_phones(word, phones[0])
    if w.isdigit():
        return _number(word, d)
    for end in ("nt", "s", "ll", "re", "ve", "m", "d"):  # typed without the apostrophe: dont, im
        split = w[: -len(end)] + ("n't" if end == "nt" else "'" + end)
        if w.endswith(end) and len(w) > len(end) + 1 and d.phones(split) and w not in d.rank:
            return _from_phones(word, d.phones(split)[0])
    return estimate(word, d)


def _from_phones(word: str, phones: str, known: bool = True, how: str = "dictionary") -> Word:
    return Word(word, syllables_of(phones), stress_of(phones), rhyming_part(phones), known, how)


# --- estimates for words the dictionary lacks ------------------------------------------------
_SUFFIXES: tuple[tuple[str, int], ...] = (
    ("lessness", 2), ("fulness", 2), ("ingly", 2), ("ness", 1), ("less", 1), ("ful", 1),
    ("ment", 1), ("ings", 1), ("ing", 1), ("est", 1), ("ers", 1), ("er", 1), ("ly", 1),
    ("ish", 1), ("'s", 0), ("s'", 0), ("s", 0), ("y", 1), ("in'", 1),
)
MISSING = 1 << 30
_PREFIXES = ("un", "re", "dis", "mis", "non", "over", "under", "out", "pre", "sub", "super", "anti")


# Poetry's and old songs' elisions: the apostrophe takes a syllable away.
_ELISIONS = {"o'er": ("over", 1), "e'er": ("ever", 1), "ne'er": ("never", 1), "e'en": ("even", 1),
             "heav'n": ("heaven", 1), "pow'r": ("power", 1), "flow'r": ("flower", 1),
             "ev'ry": ("every", 2), "th'": ("the", 1), "'mid": ("amid", 1), "'neath": ("beneath", 1)}


def estimate(word: str, d: Dictionary) -> Word:
    w = word.lower().replace("’", "'")
    if w in _ELISIONS:
        full, count = _ELISIONS[w]
        p = d.phones(full)
        rhyme = rhyming_part(p[0]) if p else ""
        return Word(word, count, "1" + "0" * (count - 1), rhyme, False, f"“{full}” with a syllable elided")
    w = w.strip("'") or word.lower()
    if not re.search(r"[a-z]", w):
        return Word(word, 0, "", "", False, "not a word")
    w = re.sub(r"[^a-z']", "", w)
    found = _by_parts(w, d)
    if found is not None:
        count, stress, rhyme, how = found
        return Word(word, count, stress, rhyme, False, how)
    count, stress, rhyme = _by_neighbours(w, d)
    return Word(word, count, stress, rhyme, False, "spelling, like similar words")


def _by_parts(w: str, d: Dictionary) -> tuple[int, str, str, str] | None:
    if w.endswith("in'") and d.phones(w[:-1] + "g"):  # singin' = singing
        p = d.phones(w[:-1] + "g")[0]
        return syllables_of(p), stress_of(p), rhyming_part(p), f"as “{w[:-1]}g”"
    for suffix, extra in _SUFFIXES:
        if not w.endswith(suffix) or len(w) - len(suffix) < 3:
            continue
        stem = w[: -len(suffix)]
        for candidate in _stems(stem, suffix):
            phones = d.phones(candidate)
            if phones and (candidate in d.rank or suffix in ("in'", "'s")):
                p = phones[0]
                count = syllables_of(p) + extra
                if suffix in ("s", "'s") and p.split()[-1] in ("S", "Z", "SH", "ZH", "CH", "JH"):
                    count += 1  # kiss -> kisses
                stress = stress_of(p) + "0" * (count - syllables_of(p))
                rhyme = rhyming_part(p) + (" " + suffix.upper() if extra == 0 else "")
                return count, stress, rhyme, f"“{candidate}” + “-{suffix}”"
    for prefix in _PREFIXES:
        rest = w[len(prefix):]
        if w.startswith(prefix) and len(rest) >= 3 and d.phones(rest):
            p = d.phones(rest)[0]
            extra = _vowel_groups(prefix)
            return (syllables_of(p) + extra, "2" * extra + stress_of(p), rhyming_part(p),
                    f"“{prefix}-” + “{rest}”")
    for cut in range(3, len(w) - 3):  # a compound of two common words: heart + break
        head, tail = w[:cut], w[cut:]
        if d.rank.get(head, MISSING) < 20000 and d.rank.get(tail, MISSING) < 20000 \
                and d.phones(head) and d.phones(tail):
            a, b = d.phones(head)[0], d.phones(tail)[0]
            return (syllables_of(a) + syllables_of(b), stress_of(a) + stress_of(b).replace("1", "2"),
                    rhyming_part(b), f"“{head}” + “{tail}”")
    return None


def _stems(stem: str, suffix: str) -> list[str]:
    out = [stem]
    if suffix in ("ing", "er", "est", "ed", "ings", "ers", "y", "ish"):
        out.append(stem + "e")  # hoping -> hope
        if len(stem) > 2 and stem[-1] == stem[-2]:
            out.append(stem[:-1])  # running -> run
    if suffix in ("ly", "ness", "less", "ful", "ment", "er", "est", "s") and stem.endswith("i"):
        out.append(stem[:-1] + "y")  # happily -> happy
    return out


def _vowel_groups(w: str) -> int:
    """Syllables by spelling alone: vowel groups, less a silent final e and a silent -ed/-es."""
    w = re.sub(r"^y", "", w.replace("'", ""))
    count = len(_VOWEL_GROUP.findall(w))
    if count > 1 and w.endswith("e") and not w.endswith(("le", "ee", "ye")):
        count -= 1  # home, make
    elif count > 1 and re.search(r"[^aeiouy]le$", w) is None and w.endswith("le"):
        count -= 1
    if count > 1 and w.endswith("ed") and not w.endswith(("ted", "ded")):
        count -= 1  # walked
    if count > 1 and w.endswith("es") and not re.search(r"(s|x|z|ch|sh|c|g)es$", w):
        count -= 1  # homes
    count += len(re.findall(r"[^aeiou]i[aou]|[^aeiou]eo|ua|uo|ie(?=[rt])", w)) if len(w) > 4 else 0
    count -= len(re.findall(r"[st]i[ao]n|ci[ao]|gio", w))
    return max(1, count)


def _by_neighbours(w: str, d: Dictionary) -> tuple[int, str, str]:
    """Syllables from dictionary words with the same ending: their count for the shared
    ending, the vowel-group count for the rest; their vote decides."""
    votes: dict[int, float] = {}
    rhyme = ""
    stress_for: dict[int, str] = {}
    for other in d.neighbours(w, 30):
        shared = _shared(other, w)
        if shared < 2 or other == w:
            continue
        p = d.phones(other)[0]
        head_other, head_w = other[: len(other) - shared], w[: len(w) - shared]
        tail = syllables_of(p) - (_vowel_groups_raw(head_other) if head_other else 0)
        count = max(1, tail + (_vowel_groups_raw(head_w) if head_w else 0))
        votes[count] = votes.get(count, 0.0) + shared ** 2
        stress_for.setdefault(count, _shift_stress(stress_of(p), count))
        if not rhyme and shared >= 3:
            rhyme = _neighbour_rhyme(p, other, shared)
    if not votes:
        count = _vowel_groups(w)
        return count, _default_stress(count), ""
    count = max(votes, key=votes.__getitem__)
    return count, stress_for[count], rhyme


_HIATUS = re.compile(r"(?<![cstgxq])i[aou]|eo|ua|uo|iet|ien(?!d)|ee[ai]")


def _neighbour_rhyme(phones: str, other: str, shared: int) -> str:
    """The rhyming sound a word borrows from a neighbour: its whole rhyming part when the
    shared spelling reaches back that far (doomscrolling / scrolling), else the sound from
    its last vowel on, taken as stressed (glorpt / excerpt -> "ER1 P T")."""
    if shared >= 4 and len(other) - shared <= 2:
        return rhyming_part(phones)
    parts = phones.split()
    last = max(i for i, x in enumerate(parts) if x[-1].isdigit())
    return " ".join([parts[last][:-1] + "1", *parts[last + 1:]])


def _vowel_groups_raw(part: str) -> int:
    """Vowel groups, with y before a vowel a consonant (beyond) and the vowel pairs English
    usually says as two syllables (biology, ambient, video) counted twice."""
    part = re.sub(r"y(?=[aeiou])", "j", part)
    return len(_VOWEL_GROUP.findall(part)) + len(_HIATUS.findall(part))


def _shared(a: str, b: str) -> int:
    """Letters the two spellings share at the end, cut back so no vowel group is split
    ("booth"/"tablecloth" share "th", not "oth")."""
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    vowels = "aeiouy"
    while n and a[-n] in vowels and ((n < len(a) and a[-n - 1] in vowels)
                                     or (n < len(b) and b[-n - 1] in vowels)):
        n -= 1
    return n


def _shift_stress(stress: str, count: int) -> str:
    """The neighbour's stress fitted to `count` syllables, aligned at the end."""
    if len(stress) >= count:
        out = stress[len(stress) - count:]
    else:
        out = "0" * (count - len(stress)) + stress
    return out if "1" in out else _default_stress(count)


def _default_stress(count: int) -> str:
    return "1" + "0" * (count - 1) if count else ""


_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def _number(word: str, d: Dictionary) -> Word:
    """Digits as they are sung: "24" -> "twenty four"."""
    n = int(word) if len(word) <= 4 else -1
    if 0 <= n < 20:
        spoken = [_ONES[n]]
    elif 20 <= n < 100:
        spoken = [_TENS[n // 10]] + ([_ONES[n % 10]] if n % 10 else [])
    elif 1000 <= n < 2100 and n % 100:  # a year: nineteen sixty nine
        return _spoken(word, [str(n // 100), str(n % 100)], d)
    elif 100 <= n < 1000:
        spoken = [_ONES[n // 100] if n // 100 < 20 else "", "hundred"] + (
            [str(n % 100)] if n % 100 else [])
        return _spoken(word, [s for s in spoken if s], d)
    else:
        spoken = list(word)  # read digit by digit
        spoken = [_ONES[int(c)] for c in spoken]
    return _spoken(word, spoken, d)


def _spoken(word: str, parts: list[str], d: Dictionary) -> Word:
    looked = [lookup(p, d) for p in parts]
    return Word(word, sum(x.syllables for x in looked), "".join(x.stress for x in looked),
                looked[-1].rhyme if looked else "", True, "said as “" + " ".join(parts) + "”")
