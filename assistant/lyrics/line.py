"""One lyric line as a singer meets it: its syllables in order, each with the letters it is
spelled with ("be", "gin"), its stress and its word.

Stress in a line is the dictionary's stress inside words of two or more syllables; a
one-syllable word is stressed (1) unless it is a short function word ("the", "and", "of"),
which a singer passes over (0) — the dictionary marks "of" and "to" stressed, sung they
rarely are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.lyrics.dictionary import Dictionary
from assistant.lyrics.phonetics import FUNCTION_WORDS, Word, lookup, words_of


@dataclass(frozen=True)
class Syllable:
    text: str
    """The letters of the word this syllable is sung on ("gin" of "begin")."""
    stress: str
    word: int
    """Index of its word in the line."""
    first: bool
    last: bool
    """First / last syllable of its word."""


@dataclass(frozen=True)
class Line:
    text: str
    words: list[Word]
    syllables: list[Syllable]

    @property
    def count(self) -> int:
        return len(self.syllables)

    @property
    def stress(self) -> str:
        return "".join(s.stress for s in self.syllables)

    @property
    def unknown(self) -> list[Word]:
        return [w for w in self.words if not w.known]


def analyse_line(text: str, d: Dictionary) -> Line:
    words = [lookup(w, d) for w in words_of(text)]
    syllables: list[Syllable] = []
    for i, word in enumerate(words):
        n = word.syllables
        if n == 0:
            continue
        stress = word.stress if len(word.stress) == n else "1" + "0" * (n - 1)
        if n == 1:
            stress = "0" if word.text.lower().strip("'") in FUNCTION_WORDS else "1"
        chunks = split_spelling(word.text, n)
        for k in range(n):
            syllables.append(Syllable(chunks[k], stress[k], i, k == 0, k == n - 1))
    return Line(text, words, syllables)


_VOWELISH = re.compile(r"[aeiouy]+", re.I)
_KEEP = ("ch", "sh", "th", "ph", "wh", "gh", "ck", "ng", "qu")


_SUFFIXES = ("ing", "ful", "less", "ness", "ment", "ly")
"""Endings that are a syllable of their own and are written apart: "sing|ing", "home|less"."""
_WITH_BEFORE = ("ng", "ck", "gh")
"""Letter pairs that close the syllable before them ("high|way", "pick|up"); the other pairs
of _KEEP open the next one ("fa|ther")."""


def split_spelling(word: str, n: int) -> list[str]:
    """The word's letters in `n` chunks, one a syllable, split before a lone consonant and
    between two ("be|gin", "hap|py", "morn|ing"); good enough for a karaoke lyric."""
    if n <= 1 or len(word) < n:
        return [word] + [""] * (n - 1) if n >= 1 else []
    for suffix in _SUFFIXES:
        stem = word[:-len(suffix)]
        if word.lower().endswith(suffix) and _is_stem(stem.lower()):
            if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1].lower() not in "aeiouy":
                stem, suffix = stem[:-1], word[len(stem) - 1:]  # "run|ning", not "runn|ing"
            else:
                suffix = word[len(stem):]
            return split_spelling(stem, n - 1) + [suffix]
    groups = [m.span() for m in _VOWELISH.finditer(word)]
    if groups and groups[0][0] == 0 and word[0] in "yY" and len(groups) > 1:
        groups = groups[1:] if groups[0][1] == 1 else groups
    # silent final e ("home", "lonely"): not a syllable of its own
    if len(groups) > n and word.lower().endswith("e") and groups[-1][1] == len(word):
        groups = groups[:-1]
    while len(groups) > n:  # merge the closest groups ("eve|ry|thing")
        k = min(range(len(groups) - 1), key=lambda i: groups[i + 1][0] - groups[i][1])
        groups[k:k + 2] = [(groups[k][0], groups[k + 1][1])]
    while len(groups) < n:  # split a long vowel group ("ri|ot")
        longest = max(range(len(groups)), key=lambda i: groups[i][1] - groups[i][0])
        a, b = groups[longest]
        if b - a < 2:
            break
        groups[longest:longest + 1] = [(a, a + 1), (a + 1, b)]
    if len(groups) < n:  # nothing sensible: equal slices
        size = max(1, len(word) // n)
        return [word[i * size:(i + 1) * size] if i < n - 1 else word[i * size:] for i in range(n)]
    cuts = []
    for (_, end), (start, _) in zip(groups, groups[1:], strict=False):
        cluster = word[end:start]
        if len(cluster) <= 1:
            cuts.append(end)
        elif cluster[:2].lower() in _WITH_BEFORE:
            cuts.append(end + (3 if cluster[:3].lower() == "ght" else 2))  # "light|ning"
        elif cluster[:2].lower() in _KEEP and len(cluster) == 2:
            cuts.append(end)
        else:
            cuts.append(end + 1)
    pieces, at = [], 0
    for cut in cuts:
        pieces.append(word[at:cut])
        at = cut
    pieces.append(word[at:])
    return pieces


def _is_stem(stem: str) -> bool:
    """A word an ending was added to: a common word as it is, without its doubled last
    letter ("runn"), or without its silent e ("lov" of "loving")."""
    from assistant.lyrics.dictionary import load

    common = load().rank
    return bool(_VOWELISH.search(stem)) and (
        stem in common or stem + "e" in common
        or (len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in common))


def shown(line: Line) -> str:
    """The line split into syllables, stressed ones in capitals: "be-GIN a-GAIN"."""
    out: list[str] = []
    for s in line.syllables:
        text = s.text.upper() if s.stress == "1" else s.text.lower()
        out.append(text + ("" if s.last else "-") + (" " if s.last else ""))
    return "".join(out).strip()
