"""Text -> normalised tokens: lower case, contractions kept, typos corrected against the vocabulary.

Typos are corrected only where a word is neither a known English word nor in the music
vocabulary, and one edit (two for long words) away from a vocabulary word: "hapy and chil"
-> "happy and chill", "compresion" -> "compression", "slowwwer" -> "slower". Digits typed as
letters inside a number are fixed too ("9O" -> "90", "l20" -> "120").
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from functools import lru_cache

MAX_TEXT = 2000  # longer input is cut: one turn is a sentence or two, not a document

_DIGITISH = re.compile(r"\b(?=[0-9olOI]*[0-9])[0-9olOI]{2,3}\b")
_TOKEN = re.compile(r"[a-z0-9][a-z0-9'#&+]*|[?!,.;:]")
_RUNS = re.compile(r"([a-z])\1{2,}")


def clean_raw(text: str) -> str:
    """Printable, bounded, NULs and control characters gone (ANSI escapes too)."""
    text = (text or "")[:MAX_TEXT]
    text = re.sub(r"\x1b\[[0-9;?]*[ -/]*[@-~]", " ", text)
    return "".join(ch if ch.isprintable() else " " for ch in text).strip()


# Emoji people use for a feeling, read as the word.
EMOJI = {"😭": " sad ", "😢": " sad ", "💔": " heartbroken ", "😔": " sad ", "🥲": " bittersweet ",
         "😊": " happy ", "😁": " happy ", "😄": " happy ", "🥳": " party ", "🎉": " party ",
         "😍": " romantic ", "❤️": " love ", "❤": " love ", "🔥": " energetic ", "😡": " angry ",
         "🤬": " angry ", "😴": " sleepy ", "🌙": " night ", "☀️": " summer ", "🌧️": " rain ",
         "💍": " wedding ", "👻": " spooky ", "🎄": " christmas ", "😌": " calm ", "🤘": " rock "}


def fix_digits(text: str) -> str:
    """"tempo 9O" -> "tempo 90", "80bpn" -> "80 bpm", "70ish" -> "70": numbers as typed."""
    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        return word.translate(str.maketrans("oOlI", "0011"))
    text = _DIGITISH.sub(fix, text)
    text = re.sub(r"(\d)\s*(?:bpn|bmp|pbm|bps|bpms|bmps)\b", r"\1 bpm", text, flags=re.IGNORECASE)
    text = re.sub(r"(\d)(?:ish|-ish)\b", r"\1", text, flags=re.IGNORECASE)
    for emoji, word in EMOJI.items():
        text = text.replace(emoji, word)
    return text


_SEPARATORS = re.compile(r"[-_/]+")
_OTHER = re.compile(r"[^a-z0-9&'#+?!,.;: ]+")
_PLAIN = re.compile(r"[a-z0-9 ]*")


def normalise(text: str) -> str:
    """Lower case, curly quotes straightened, hyphens/underscores/slashes as spaces."""
    text = text.lower()
    if _PLAIN.fullmatch(text):  # most phrases: nothing to replace
        return " ".join(text.split())
    text = text.replace("’", "'").replace("‘", "'")
    text = _SEPARATORS.sub(" ", text)
    text = _OTHER.sub(" ", text)
    return " ".join(text.split())


def tokens(norm: str) -> list[str]:
    """Words and punctuation ("," "?" and so on are kept: they end a clause)."""
    return [t.strip("'") or t for t in _TOKEN.findall(norm)]


class Speller:
    """Corrects a word to the nearest vocabulary word when it is not a word at all."""

    def __init__(self, vocabulary: Collection[str], english: Collection[str],
                 preferred: Mapping[str, int] | None = None) -> None:
        self.vocabulary = sorted({w for w in vocabulary if w.isalpha() and len(w) >= 3})
        self.preferred = dict(preferred or {})
        """Words that name a mood, genre, instrument or term: they win ties ("chil" -> chill,
        not child)."""
        self.english = frozenset(english)
        self.known = self.english | frozenset(self.vocabulary)
        self._by_len: dict[int, list[str]] = {}
        for word in self.vocabulary:
            self._by_len.setdefault(len(word), []).append(word)

    def correct(self, word: str) -> str:
        if word in self.known or not word.isalpha() or len(word) < 3:
            return word
        return _correct(self, word)


@lru_cache(maxsize=4096)
def _correct(speller: Speller, word: str) -> str:
    squeezed = _RUNS.sub(r"\1\1", word)  # "slowwwer" -> "slowwer"
    for candidate in (squeezed, re.sub(r"([a-z])\1", r"\1", squeezed)):
        if candidate in speller.known:
            return candidate
    from rapidfuzz.distance import DamerauLevenshtein

    limit = 1 if len(word) < 8 else 2
    best, best_rank = word, (limit + 1, 0, 0, 0)
    for size in range(len(word) - limit, len(word) + limit + 1):
        for target in speller._by_len.get(size, ()):
            distance = DamerauLevenshtein.distance(squeezed, target, score_cutoff=limit)
            if distance > limit:
                continue
            # fewer edits, then a command or music word over any other, then letters left
            # out ("nxt" -> next, not "not"), then a longer shared start ("hapy" -> happy)
            priority = speller.preferred.get(target, 0)
            if len(word) == 3 and priority < 4 and not (priority >= 2 and _subsequence(word, target)):
                continue  # three letters: a command ("skp") or a music word missing one ("rok")
            rank = (distance, -priority, -_subsequence(word, target), -_shared_start(word, target))
            if rank < best_rank:
                best, best_rank = target, rank
    return best if best_rank[0] <= limit else word


def _subsequence(short: str, long: str) -> bool:
    letters = iter(long)
    return all(ch in letters for ch in short)


def _shared_start(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


# Chat shorthand, read as the words it stands for before any spelling correction.
SHORTHAND = {"wat": "what", "wut": "what", "wht": "what", "whats": "what's", "u": "you",
             "ur": "your", "r": "are", "pls": "please", "plz": "please", "thx": "thanks",
             "ty": "thanks", "k": "ok", "kk": "ok", "ya": "yeah", "yea": "yeah", "nah": "no",
             "bc": "because", "cuz": "because", "w": "with", "abt": "about", "smth": "something",
             "sth": "something", "rly": "really", "gonna": "going to"}


def correct_tokens(words: list[str], speller: Speller | None,
                   names: Collection[str] = (), longest: int = 1) -> list[str]:
    """Each word corrected, except inside a name typed right ("foo fighters", "donna sumer"):
    `names` are the vocabulary's phrases of several words."""
    if speller is None:
        return words
    kept: set[int] = set()
    for size in range(2, longest + 1):
        for i in range(len(words) - size + 1):
            if " ".join(words[i:i + size]) in names:
                kept.update(range(i, i + size))
    out = []
    for i, word in enumerate(words):
        if i in kept:
            out.append(word)
            continue
        word = SHORTHAND.get(word, word)
        if word.endswith("'s") and word not in speller.known and word[:-2] in speller.known:
            word = word[:-2]  # "synth's and clap's"
        if word == "to" and i == 0 and len(words) == 2:
            word = "too"  # "to sad": a complaint, typed in a hurry
        out.append(speller.correct(word))
    return out
