"""Rhymes: perfect, near (assonance and consonance) and multi-syllable rhymes for a word, and
the rhyme scheme of a section (AABB, ABAB, XAXA: X marks a line that rhymes with none).

Rhymes are judged by sound (CMU phones), not spelling: "love" and "prove" look alike and do
not rhyme; "eyes" and "skies" do. Near rhymes let the final consonants differ within a
family (m/n/ng, t/d, s/z...), the way songwriters rhyme "time" with "line".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.lyrics.dictionary import VOWELS, Dictionary
from assistant.lyrics.phonetics import Word, lookup, rhyming_part, stressed_vowel, words_of

# consonant families a sung ending lets pass for each other (Pattison, "Writing Better
# Lyrics": voiceless and voiced plosives, voiceless and voiced fricatives, nasals)
_FAMILY = {}
for group in ("M N NG", "P T K", "B D G", "F TH S SH CH", "V DH Z ZH JH"):
    for phone in group.split():
        _FAMILY[phone] = group.split()[0]
_ADDED = frozenset({"S", "Z", "T", "D"})  # day/days, love/loved: still heard as a rhyme


@dataclass(frozen=True)
class Rhymes:
    word: str
    perfect: list[str]
    near: list[str]
    multi: list[str]
    known: bool


def _strip(part: str) -> list[str]:
    return [p.rstrip("012") for p in part.split()]


def _coda_key(phones: list[str]) -> tuple[str, ...]:
    return tuple(_FAMILY.get(p, p) for p in phones)


def sounds_rhyme(a: str, b: str) -> bool:
    """Do two rhyming parts ("AY1 M", "AY1 N") rhyme, perfectly or near enough for a song?"""
    if not a or not b:
        return False
    if a == b:
        return True
    x, y = _strip(a), _strip(b)
    if x[0] != y[0]:
        return False
    # vowels after the stressed one must agree too (ocean / motion), consonants by family
    vx = [p for p in x[1:] if p in VOWELS]
    vy = [p for p in y[1:] if p in VOWELS]
    if vx != vy:
        return False
    cx, cy = x[1:], y[1:]
    if cx and cy and cx[-1] != cy[-1] and cx[:-1] == cy and cx[-1] in _ADDED:
        return True
    if cx and cy and cy[-1] in _ADDED and cy[:-1] == cx:
        return True
    if not cx or not cy:
        return (cx or cy) in ([], ["S"], ["Z"], ["D"], ["T"])
    return _coda_key(cx) == _coda_key(cy)


def _parts(word: str, d: Dictionary) -> list[str]:
    w = word.lower().replace("’", "'")
    phones = d.phones(w) or d.phones(w.strip("'"))
    if phones:
        return list(dict.fromkeys(rhyming_part(p) for p in phones))
    est = lookup(word, d)
    return [est.rhyme] if est.rhyme else []


def words_rhyme(a: str, b: str, d: Dictionary) -> bool:
    """Line-ending words: any pronunciation of one rhymes with any of the other; words the
    dictionary lacks fall back on their estimated sound, then on a shared spelled ending."""
    if a == b:
        return True  # a repeated word is an identical rhyme: songs lean on them
    pa, pb = _parts(a, d), _parts(b, d)
    if pa and pb and any(sounds_rhyme(x, y) for x in pa for y in pb):
        return True
    # two words the dictionary lacks: a shared spelled ending with its vowel (toves / borogoves)
    unknown = not d.phones(a) and not d.phones(b)
    return unknown and len(a) > 2 and len(b) > 2 and a[-3:] == b[-3:] and bool(re.search(r"[aeiouy]", a[-3:]))


def scheme(last_words: list[str], d: Dictionary) -> str:
    """Letters, one a line: lines that rhyme share a letter, a line that rhymes with no other
    is X ("XAXA" for a ballad stanza). An empty line's letter is "-"."""
    groups: list[int] = []
    for i, word in enumerate(last_words):
        group = i
        if word:
            for j in range(i):
                if last_words[j] and words_rhyme(last_words[j], word, d):
                    group = groups[j]
                    break
        groups.append(group)
    sizes = {g: groups.count(g) for g in groups}
    letters: dict[int, str] = {}
    out = []
    for i, g in enumerate(groups):
        if not last_words[i]:
            out.append("-")
        elif sizes[g] < 2:
            out.append("X")
        else:
            if g not in letters:
                letters[g] = "ABCDEFGHIJKLMNOPQRSTUVWYZ"[min(len(letters), 24)]
            out.append(letters[g])
    return "".join(out)


def last_word(line: str) -> str:
    words = words_of(line)
    return words[-1].lower() if words else ""


def rhymes_for(word: str, d: Dictionary, limit: int = 20) -> Rhymes:
    """Common words that rhyme with `word`, most frequent first."""
    w = (words_of(word) or [word.strip()])[-1].lower() if word.strip() else ""
    if not w:
        return Rhymes(word, [], [], [], False)
    info: Word = lookup(w, d)
    parts = _parts(w, d)
    index = d.rhyme_index()
    perfect: list[str] = []
    for part in parts:
        perfect += [x for x in index.get(part, []) if x != w and not _same_stem(x, w)]
    perfect = list(dict.fromkeys(perfect))
    near: list[str] = []
    loose: list[str] = []
    multi: list[str] = []
    for part in parts[:1]:
        vowel = stressed_vowel(part)
        coda = _strip(part)[1:]
        for other in d.vowel_index().get(vowel, []):
            if other == w or other in perfect or _same_stem(other, w):
                continue
            op = rhyming_part(d.phones(other)[0])
            if sounds_rhyme(part, op):
                near.append(other)  # same vowel, a family consonant: home / bone
            elif len(loose) < limit and _strip(op)[1:] and len(_strip(op)) == len(coda) + 1 and \
                    [p for p in _strip(op)[1:] if p in VOWELS] == [p for p in coda if p in VOWELS]:
                loose.append(other)  # assonance: same vowels, other consonants (home / hope)
        near += loose
        if len(near) < limit:  # consonance: other vowel, same final consonants (home / time)
            for key, words in index.items():
                if len(near) >= limit * 2:
                    break
                k = _strip(key)
                if k[1:] == coda and coda and k[0] != vowel:
                    near += [x for x in words[:2] if x != w]
        multi = _multi(w, part, d, perfect)
    return Rhymes(w, perfect[:limit], list(dict.fromkeys(near))[:limit], multi[:limit], info.known)


def _multi(w: str, part: str, d: Dictionary, perfect: list[str]) -> list[str]:
    """Rhymes of two or more syllables: words whose last two syllables sound like the word's
    (ocean -> motion, devotion), or, for a one-syllable word, longer words ending on it with
    their stress there (home -> metronome)."""
    phones = d.phones(w)
    if not phones:
        return []
    vowels = [p for p in phones[0].split() if p[-1].isdigit()]
    if len(vowels) >= 2 and sum(1 for p in part.split() if p[-1].isdigit()) >= 2:
        return [x for x in perfect if len(d.phones(x)[0].split()) >= 3]
    if len(vowels) >= 2:  # begin -> within: the vowel before the rhyme matches too
        before = vowels[-2].rstrip("012")
        out = []
        for x in perfect:
            xv = [p.rstrip("012") for p in d.phones(x)[0].split() if p[-1].isdigit()]
            if len(xv) >= 2 and xv[-2] == before:
                out.append(x)
        return out
    return [x for x in perfect if sum(1 for p in d.phones(x)[0].split() if p[-1].isdigit()) >= 2]


def _same_stem(a: str, b: str) -> bool:
    """"home" and "homes" are the same word: no rhyme worth offering."""
    short, long_ = sorted((a, b), key=len)
    return long_.startswith(short) and len(long_) - len(short) <= 2
