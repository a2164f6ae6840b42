"""The features the intent model scores: words with what they refer to abstracted away,
the kinds of mentions and values found, the question form, and the context (stage, open
question, options on screen). Each feature is a readable string, so a reading can say why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.understanding.mentions import Mention

# The sense a mention stands for in the abstracted text, most specific first.
PRIORITY = ("comparative", "theme", "reference", "instrument", "mood", "genre", "term",
            "section", "stage", "tempo_word", "meter", "mode", "role", "source")
WH_WORDS = frozenset("what what's whats how why when where which who whats wat wut".split())
AUX_STARTS = frozenset("should can could do does is are would will".split())


@dataclass(frozen=True)
class Context:
    """Where the conversation is: the stage, the open question's id, options on screen."""

    stage: str = "conception"
    question: str = ""
    options: int = 0


def abstract(words: Sequence[str], mentions: Sequence[Mention]) -> list[str]:
    """Words with each mention replaced by its type: "no <instrument> in the <section>"."""
    out: list[str] = []
    by_start = {m.start: m for m in mentions}
    i = 0
    while i < len(words):
        mention = by_start.get(i)
        if mention is not None:
            kind = next((k for k in PRIORITY if mention.has(k)), mention.senses[0].type)
            out.append(f"<{kind}>")
            i = mention.end
            continue
        word = words[i]
        out.append("<num>" if word.isdigit() else word)
        i += 1
    return out


def features(words: Sequence[str], mentions: Sequence[Mention], values: Sequence[str],
             context: Context, cue: str | None, question_form: bool) -> list[str]:
    """`values`: the kinds of values found ("tempo", "key", "number", "chords"...)."""
    toks = [w for w in abstract(words, mentions) if w not in ",.;!"]
    feats = {"bias"}
    for tok in toks:
        feats.add(f"u:{tok}")
    for a, b in zip(toks, toks[1:], strict=False):
        feats.add(f"b:{a}_{b}")
    if toks:
        feats.add(f"first:{toks[0]}")
        feats.add(f"last:{toks[-1]}")
        if len(toks) > 1:
            feats.add(f"first2:{toks[0]}_{toks[1]}")
    size = len(toks)
    feats.add("len:" + ("1" if size <= 1 else "2-3" if size <= 3 else "4-6" if size <= 6
                        else "7+"))
    kinds = set()
    for mention in mentions:
        for sense in mention.senses:
            kinds.add(sense.type)
            feats.add(f"has:{sense.type}")
            if sense.type == "term":
                # which term: "rank the takes" is the takes tool, "condenser or dynamic mic?"
                # a question about gear, though both read "<term>"
                feats.add(f"term:{sense.value}")
            if mention.polarity < 0:
                feats.add(f"neg:{sense.type}")
        if mention.excess:
            feats.add("excess")
    for value in values:
        feats.add(f"v:{value}")
    only_number = values == ["number"] and size <= 4 and not mentions
    if only_number:
        feats.add("only_number")
    if cue:
        feats.add(f"cue:{cue}")
    if question_form:
        feats.add("qform")
    if toks and toks[0] in WH_WORDS:
        feats.add("wh")
    if toks and toks[0] in AUX_STARTS:
        feats.add("aux")
    q = context.question or "none"
    opts = "opts" if context.options else "noopts"
    feats.add(f"stage:{context.stage}")
    feats.add(f"q:{q}")
    feats.add(opts)
    if only_number:
        feats.add(f"{opts}&only_number")
        feats.add(f"q:{q}&only_number")
    for kind in sorted(kinds | set(values)):
        feats.add(f"q:{q}&k:{kind}")
        feats.add(f"stage:{context.stage}&k:{kind}")
    if question_form:
        feats.add(f"qform&{'term' if 'term' in kinds else 'noterm'}")
    return sorted(feats)
