"""Tokens -> mentions: what each phrase refers to, whether it is wanted, and how strongly.

A mention is a phrase of the lexicon found in the text (a mood, an instrument, a term...)
with its `polarity` (-1 when a negator earlier in the same clause turns it against itself:
"no drums", "not sad", "I hate slow songs"), whether it is an `excess` ("too gloomy"), and a
`degree` from intensifiers and softeners ("way slower" 2, "a bit slower" 0.5). Comparatives
("brighter", "even slower") are mentions too, of type "comparative", valued by their
modifier's id. Longest phrases win: "acoustic guitar" before "guitar".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.understanding.lexicon import Lexicon, Sense

PUNCT_BREAKS = frozenset(",.;!?")
# Verbs that take an instrument out ("drop the synth", "lose the strings").
REMOVERS = frozenset(
    "drop remove lose cut ditch kill mute delete scrap no without minus".split()
)
REMOVER_PHRASES = ("take out", "get rid of", "take away", "leave out", "pull out")
SWAPPERS = frozenset("swap replace switch change trade exchange".split())


@dataclass(frozen=True)
class Mention:
    senses: tuple[Sense, ...]
    start: int
    """Token index of the first word."""
    end: int
    """Token index after the last word."""
    text: str
    polarity: int = 1
    excess: bool = False
    degree: float = 1.0
    even: bool = False
    """"even slower": the same way again."""

    def has(self, kind: str) -> bool:
        return any(s.type == kind for s in self.senses)

    def value(self, kind: str) -> str | None:
        return next((s.value for s in self.senses if s.type == kind), None)


def tag(words: list[str], lex: Lexicon) -> list[Mention]:
    """Every lexicon phrase and comparative in `words`, with polarity and degree."""
    found: list[Mention] = []
    i = 0
    n = len(words)
    while i < n:
        hit = None
        for size in range(min(max(lex.longest, lex.modifier_longest), n - i), 0, -1):
            phrase = " ".join(words[i:i + size])
            modifier = lex.modifiers.get(phrase)
            if modifier is not None and modifier.kind == "comparative":
                hit = Mention((Sense("comparative", modifier.id),), i, i + size, phrase)
                break
            senses = lex.phrases.get(phrase)
            if senses:
                hit = Mention(tuple(senses), i, i + size, phrase)
                break
        if hit is None:
            i += 1
            continue
        found.append(hit)
        i = hit.end
    return [_modify(m, words, lex, found) for m in found]


def _modify(mention: Mention, words: list[str], lex: Lexicon, others: list[Mention]) -> Mention:
    from dataclasses import replace

    polarity = -1 if negated(words, mention.start, lex, others) else 1
    before = words[max(0, mention.start - 3):mention.start]
    joined = " ".join(before)
    # "too gloomy", "less sad": away from it, and toward its opposite
    excess = bool(before) and (before[-1] in ("too", "less") or joined.endswith("too much"))
    if excess and before[-2:-1] == ["not"]:  # "not too fast": a softer "not fast"
        excess = False
    degree = 1.0
    for size in (2, 1):
        phrase = " ".join(before[-size:]) if len(before) >= size else ""
        modifier = lex.modifiers.get(phrase) if phrase else None
        if modifier is not None and modifier.kind == "intensifier":
            degree = 2.0
            break
        if modifier is not None and modifier.kind == "softener":
            degree = 0.5
            break
    even = "even" in before or "still" in before
    if excess:
        polarity = -1
    return replace(mention, polarity=polarity, excess=excess, degree=degree, even=even)


def negated(words: list[str], index: int, lex: Lexicon, mentions: list[Mention]) -> bool:
    """Is the word at `index` inside the scope of a negator? The scope runs from the
    negator to the end of its clause (punctuation or a clause break like "but"); "and"/"or"
    carry it on only through a list ("no drums or bass"), not into a new clause."""
    starts = {m.start for m in mentions}
    j = index - 1
    while j >= 0:
        word = words[j]
        if word == "like" and j and not _is_kind(words, j - 1, lex, "negator") and \
                words[j - 1] not in ("would", "i'd", "id", "dont", "don't", "didnt", "didn't"):
            return False  # "no sad stuff like edm": "like" starts what is wanted
        if _is_kind(words, j, lex, "negator") and word not in PUNCT_BREAKS and (
                j == 0 or " ".join(words[j - 1:j + 1]) in lex.modifiers):
            return True  # "anything but sad": a negator that ends in a clause word
        if word in PUNCT_BREAKS or _is_kind(words, j, lex, "clause-break"):
            return False
        if word in ("and", "or", "&", "nor") and j + 1 not in starts:
            return False
        if _is_kind(words, j, lex, "negator") or word in REMOVERS:
            # "not only", "no way": not a negation of what follows
            return not (word == "not" and words[j + 1:j + 2] == ["only"])
        if word in ("and", "or", "&") and j + 1 in starts and words[j - 1:j] and \
                words[j - 1] in ("more", "plus"):
            return False
        j -= 1
    return False


def _is_kind(words: list[str], j: int, lex: Lexicon, kind: str) -> bool:
    for size in (1, 2, 3):
        if j - size + 1 < 0:
            break
        phrase = " ".join(words[j - size + 1:j + 1])
        modifier = lex.modifiers.get(phrase)
        if modifier is not None and modifier.kind == kind:
            return True
    return False


def removes(words: list[str], mention: Mention) -> bool:
    """"drop the synth", "take out the strings", "no drums", "take the piano out", "the
    sax is annoying, get rid of it": is this instrument taken out?"""
    if mention.polarity < 0:
        return True
    before = " ".join(words[max(0, mention.start - 4):mention.start])
    if any(p in before for p in REMOVER_PHRASES):
        return True
    after = " ".join(words[mention.end:mention.end + 8])
    return bool(re.match(r"^(?:\S+\s+){0,4}?(?:out\b|(?:get rid of|remove|lose|ditch|cut|drop|"
                         r"kill|mute|take out|take away) (?:it|them)\b)", after)) or any(
        f"{verb} it" in after or f"{verb} them" in after
        for verb in ("get rid of", "take", "remove", "lose", "ditch", "cut", "drop"))
