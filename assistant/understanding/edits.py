"""Arrangement edits read from one sentence: "add a bridge after the second chorus", "make the
verse 16 bars", "no drums in the intro", "bring the bass down to 60% in the verse".

A small grammar over the section and role words (whole-message patterns: an edit is a
command, and a loose match would rewrite the song on a passing remark).
"""

from __future__ import annotations

import re

from assistant.dialogue import SectionEdit
from assistant.understanding.lexicon import ROLE_WORDS as INSTRUMENT_WORDS
from assistant.understanding.values import SECTION_WORDS

_SEC = "|".join(re.escape(s) for s in sorted(SECTION_WORDS, key=len, reverse=True))
_INST = "|".join(re.escape(s) for s in sorted(INSTRUMENT_WORDS, key=len, reverse=True))
_ARR_REMOVE = re.compile(
    rf"^(?:(?:let'?s\s+)?(?:drop|remove|delete|cut|lose|kill|get rid of|take out|skip|scrap)"
    rf"\s+(?:the\s+|that\s+|a\s+)?|no\s+(?:more\s+)?)(?P<sec>{_SEC})(?:\s+section)?$"
)
_ARR_ADD = re.compile(
    rf"^(?:(?:let'?s\s+|can we\s+|please\s+)?(?:add|insert|put in|include|throw in)\s+"
    rf"(?:a|an|another|one more|the|some)?\s*)(?P<sec>{_SEC})(?:\s+section)?"
    rf"(?:\s+(?P<where>after|before)\s+(?:the\s+|each\s+|every\s+)?(?P<ref>{_SEC}))?"
    rf"(?:\s+(?:of|with)\s+(?P<bars>\d{{1,3}})\s+bars?)?$"
)
_ARR_BARS = re.compile(
    rf"^(?:make|set|change)?\s*(?:the\s+|each\s+|every\s+|all\s+)?(?P<sec>{_SEC})s?"
    rf"(?:\s+section)?\s*(?:to|=|be|should be|at|into|is|has|have|with|:)?\s*"
    rf"(?:be\s+|only\s+|just\s+)?(?P<bars>\d{{1,3}})\s+bars?(?:\s+long)?$"
    rf"|^(?:shorten|lengthen|extend|stretch|cut)\s+(?:the\s+)?(?P<sec2>{_SEC})\s+to\s+"
    rf"(?P<bars2>\d{{1,3}})\s+bars?$"
)
_ARR_MUTE = re.compile(
    rf"^(?:no|without|drop the|remove the|take out the|mute the|cut the|lose the|"
    rf"no more|kill the)\s+(?P<inst>{_INST})\s+(?:in|from|during|on)\s+(?:the\s+)?"
    rf"(?P<sec>{_SEC})s?$"
    rf"|^(?:drop|remove|take out|mute|cut|lose)\s+(?P<inst2>{_INST})\s+(?:in|from|during)"
    rf"\s+(?:the\s+)?(?P<sec2>{_SEC})s?$"
    rf"|^(?:the\s+)?(?P<sec3>{_SEC})\s+(?:without|with no)\s+(?P<inst3>{_INST})$"
    rf"|^(?:take|leave|keep|pull)\s+(?:the\s+)?(?P<inst4>{_INST})\s+out\s+(?:of\s+)?"
    rf"(?:the\s+)?(?P<sec4>{_SEC})s?$"
)
_ARR_UNMUTE = re.compile(
    rf"^(?:add|bring in|bring back|bring|put|put back|unmute|include)\s+(?:the\s+|some\s+)?"
    rf"(?P<inst>{_INST})\s+(?:back\s+)?(?:in|to|into|during|on)\s+(?:the\s+)?"
    rf"(?P<sec>{_SEC})s?$"
)
_ARR_ENERGY = re.compile(
    rf"^(?:make\s+)?(?:the\s+)?(?P<sec>{_SEC})s?\s+(?:should be\s+|be\s+)?(?:a bit\s+|much\s+)?"
    rf"(?P<dir>bigger|louder|bigger|fuller|more energetic|busier|stronger|harder|"
    rf"smaller|quieter|softer|calmer|sparser|lighter|thinner|less busy)$"
)


_ARR_ENERGY2 = re.compile(
    rf"^(?:an?\s+|the\s+)?(?P<dir>bigger|louder|fuller|busier|stronger|harder|smaller|quieter|"
    rf"softer|calmer|sparser|lighter|thinner)\s+(?P<sec>{_SEC})s?$"
)
_UP_WORDS = ("bigger", "louder", "fuller", "more energetic", "busier", "stronger", "harder")
_IN_SEC = rf"(?:in|during|for|on|throughout)\s+(?:the\s+|each\s+|every\s+|all\s+)?(?P<sec>{_SEC})s?"
_AMOUNT = r"(?:(?P<pct>\d{1,3}(?:\.\d+)?)\s*(?:%|percent|per cent)|(?P<frac>0?\.\d+|[01]))"
_LEVEL_VERB = r"(?:bring|turn|set|put|pull|push|take|drop|lower|raise|mix|have|keep)"
_ARR_LEVEL = (
    # "bring the bass down to 60% in the verse", "set the drums to 50% in the intro"
    re.compile(rf"^{_LEVEL_VERB}\s+(?:the\s+)?(?P<inst>{_INST})\s+(?:level\s+|volume\s+)?"
               rf"(?:(?:down|up|back)\s+)?(?:to|at)\s+{_AMOUNT}\s+{_IN_SEC}$"),
    # "bass at 60% in the verse", "the bass level to 60% in the verses"
    re.compile(rf"^(?:the\s+)?(?P<inst>{_INST})\s+(?:level\s+|volume\s+)?(?:at|to|=|:)?\s*"
               rf"{_AMOUNT}\s+{_IN_SEC}$"),
    # "in the verse, bring the bass down to 60%"
    re.compile(rf"^{_IN_SEC},?\s+{_LEVEL_VERB}\s+(?:the\s+)?(?P<inst>{_INST})\s+"
               rf"(?:(?:down|up|back)\s+)?(?:to|at)\s+{_AMOUNT}$"),
)
_ARR_LEVEL_STEP = (
    # "turn the drums down in the verse", "bring the bass up a bit in the chorus"
    re.compile(rf"^(?:bring|turn|pull|push|take)\s+(?:the\s+)?(?P<inst>{_INST})\s+(?P<dir>down|up)"
               rf"(?:\s+a\s+(?:bit|little|touch))?\s+{_IN_SEC}$"),
    re.compile(rf"^(?:turn|bring)\s+(?P<dir>down|up)\s+the\s+(?P<inst>{_INST})\s+{_IN_SEC}$"),
    # "make the bass quieter in the verse", "louder drums in the chorus"
    re.compile(rf"^(?:make\s+)?(?:the\s+)?(?P<inst>{_INST})\s+(?:a bit\s+|a little\s+)?"
               rf"(?P<dir>quieter|softer|louder|lower|higher)\s+{_IN_SEC}$"),
)
_ARR_DUPLICATE = re.compile(
    rf"^(?:duplicate|double|repeat|copy|clone)\s+(?:the\s+)?(?:last\s+|final\s+)?(?P<sec>{_SEC})"
    rf"(?:\s+section)?(?:\s+(?:once more|again|twice))?$"
)
_ARR_RESIZE = re.compile(
    rf"^(?:make\s+)?(?:the\s+|each\s+|every\s+|all\s+)?(?P<sec>{_SEC})s?\s+"
    rf"(?:a bit\s+|a little\s+|much\s+)?(?P<dir>longer|shorter)$"
    rf"|^(?P<verb>shorten|lengthen|extend|stretch)\s+(?:the\s+)?(?P<sec2>{_SEC})s?$"
)


def _level_edit(text: str) -> SectionEdit | None:
    for pattern in _ARR_LEVEL:
        match = pattern.match(text)
        if match:
            if match.group("pct") is not None:
                value = float(match.group("pct")) / 100
            else:
                value = float(match.group("frac"))
            return SectionEdit("level", SECTION_WORDS[match.group("sec")],
                               instrument=INSTRUMENT_WORDS[match.group("inst")],
                               level=max(0.0, min(1.0, value)))
    for pattern in _ARR_LEVEL_STEP:
        match = pattern.match(text)
        if match:
            up = match.group("dir") in ("up", "louder", "higher")
            return SectionEdit("level", SECTION_WORDS[match.group("sec")],
                               instrument=INSTRUMENT_WORDS[match.group("inst")],
                               delta=1 if up else -1)
    return None


_ASKING = re.compile(r"^(?:can|could|would|will)\s+(?:you\s+|we\s+)?(?:please\s+)?")


def parse_edit(clean: str) -> SectionEdit | None:
    text = clean.replace("pre chorus", "pre-chorus").replace("post chorus", "post-chorus")
    text = _ASKING.sub("", text.rstrip(" ?"))  # "can the bridge be quieter?"
    level = _level_edit(text)
    if level is not None:
        return level
    match = _ARR_DUPLICATE.match(text)
    if match:
        return SectionEdit("duplicate", SECTION_WORDS[match.group("sec")])
    match = _ARR_MUTE.match(text)
    if match:
        inst = next(g for g in (match.group(f"inst{n}") for n in ("", "2", "3", "4")) if g)
        sec = next(g for g in (match.group(f"sec{n}") for n in ("", "2", "3", "4")) if g)
        return SectionEdit("mute", SECTION_WORDS[sec], instrument=INSTRUMENT_WORDS[inst])
    match = _ARR_UNMUTE.match(text)
    if match:
        return SectionEdit("unmute", SECTION_WORDS[match.group("sec")],
                           instrument=INSTRUMENT_WORDS[match.group("inst")])
    match = _ARR_REMOVE.match(text)
    if match:
        return SectionEdit("remove", SECTION_WORDS[match.group("sec")])
    match = _ARR_ADD.match(text)
    if match:
        where = None
        if match.group("where"):
            where = (match.group("where"), SECTION_WORDS[match.group("ref")])
        bars = int(match.group("bars")) if match.group("bars") else None
        return SectionEdit("add", SECTION_WORDS[match.group("sec")], bars=bars, where=where)
    match = _ARR_BARS.match(text)
    if match:
        sec = match.group("sec") or match.group("sec2")
        bars = int(match.group("bars") or match.group("bars2"))
        if 1 <= bars <= 256:
            return SectionEdit("bars", SECTION_WORDS[sec], bars=bars)
    match = _ARR_RESIZE.match(text)
    if match:
        sec = match.group("sec") or match.group("sec2")
        longer = (match.group("dir") or match.group("verb")) in (
            "longer", "lengthen", "extend", "stretch")
        return SectionEdit("bars", SECTION_WORDS[sec], delta=4 if longer else -4)
    match = _ARR_ENERGY.match(text) or _ARR_ENERGY2.match(text)
    if match:
        up = match.group("dir") in _UP_WORDS
        return SectionEdit("energy", SECTION_WORDS[match.group("sec")], delta=1 if up else -1)
    return None


