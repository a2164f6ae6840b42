"""Lyrics in the chat: "lyrics for the chorus: ..." (lines split by new lines or " / ") goes
on the sheet and comes back as syllables, stresses and the rhyme scheme, fitted to the
melody when the sheet has one; "rhymes for home"; "check my lyrics"; "help me write lyrics
about ..." gives images from the song's theme and the craft tips, with their sources."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.coach import Coach
    from assistant.dialogue import Command, Reply

MAX_LINES = 400
"""Lines kept on the sheet from one message (a pasted book is cut, with a note)."""
_SECTION = re.compile(
    r"(?:for|in|of|to)\s+(?:the\s+|my\s+|our\s+)?(?P<name>(?:pre-?|post-?)?(?:verse|chorus|bridge|hook|refrain|"
    r"intro|outro|middle 8|tag)(?:\s*\d+)?)", re.I)
_HEADER_NAME = re.compile(
    r"^\s*\[?\s*(?P<name>(?:pre-?|post-?)?(?:verse|chorus|bridge|hook|refrain|intro|outro|middle 8|tag)"
    r"(?:\s*\d+)?)\s*\]?\s*(?:lyrics?|words)?\s*:?", re.I)
_RHYME = re.compile(r"rhym(?:e|es|ing)\s+(?:for|with|to)\s+[\"“']?(?P<word>[^\s\"”'?!.,]+)|"
                    r"what\s+rhymes\s+(?:with\s+)?[\"“']?(?P<word2>[^\s\"”'?!.,]+)|"
                    r"^\s*rhymes?\s+[\"“']?(?P<word3>[^\s\"”'?!.,]+)", re.I)
_SET = re.compile(r"\b(?:fit|shape|set|match|make)\b[^.?!]{0,30}\bmelody\b|\bmelody\s+(?:from|for|to)\b", re.I)
_FILE = re.compile(r"(?:^|\s)([\w.~/\-]*[\w\-]\.txt)\b", re.I)
_ABOUT = re.compile(r"\babout\s+(?P<about>.+)$", re.I)


def lyrics(coach: Coach, command: Command) -> Reply:
    text = command.text or ""
    first = text.split("\n", 1)[0]
    rhyme = _RHYME.search(first)
    if rhyme and ":" not in first:
        word = rhyme.group("word") or rhyme.group("word2") or rhyme.group("word3")
        return _rhymes(coach, word)
    path = _FILE.search(first)
    if path:
        return _from_file(coach, path.group(1))
    sections = _typed(text)
    if sections:
        return _take(coach, sections)
    if _SET.search(first):
        return _set(coach, first)
    if re.search(r"\b(?:check|look at|review|analy[sz]e|show|see|fix|read|rate|test|improve)\b", first, re.I) \
            and coach.song.lyrics:
        return _report(coach, [(s.name, s.lines) for s in coach.song.lyrics], "Your lyrics")
    return _help(coach, text)


# --- typed lyrics ------------------------------------------------------------------------------
def _typed(text: str) -> list[tuple[str, list[str]]]:
    """The sections typed in the message: a header ("lyrics for the chorus:", "[Verse 1]",
    "chorus:") then lines, split at new lines and at " / "."""
    from assistant.lyrics.report import parse_sections

    head, sep, rest = text.partition(":")
    bracket = re.match(r"^\s*(\[[^\]\n]+\])(.*)$", text, re.S)
    if bracket and (not sep or len(bracket.group(1)) < len(head)):
        name_match = _HEADER_NAME.match(bracket.group(1))
        name = name_match.group("name").lower() if name_match else "lyrics"
        body = bracket.group(2)
    elif sep and len(head) <= 60 and "\n" not in head:
        named = _SECTION.search(head) or _HEADER_NAME.match(head)
        name = named.group("name").lower() if named else ""
        body = rest
    else:
        return []
    body = re.sub(r"\s+//\s+", "\n\n", body.strip())  # a paste's blank line (lyrics.paste)
    body = re.sub(r"\s+/\s+", "\n", body)
    if not body.strip():
        return []
    sections = parse_sections(body, default=name or "lyrics")
    if name and sections and (sections[0][0].startswith("section ") or sections[0][0] == "lyrics"):
        sections[0] = (name, sections[0][1])
    return [(n, ls) for n, ls in sections if ls]


def _from_file(coach: Coach, name: str) -> Reply:
    """Lyrics read from a text file: sections at blank lines or [Chorus]-style headers."""
    from pathlib import Path

    from assistant.lyrics.report import parse_sections

    path = Path(name).expanduser()
    try:
        data = path.read_bytes()[:5_000_000]
    except OSError as error:
        return coach._reply(f"I couldn't read {path}: {error.strerror or error}. Give the path of a "
                            "text file with the lyrics, or type them: `lyrics for the chorus: …`.")
    if b"\x00" in data[:4096]:
        return coach._reply(f"{path.name} is not a text file: save the lyrics as plain text.")
    sections = [(n, ls) for n, ls in parse_sections(data.decode("utf-8", errors="replace")) if ls]
    if not sections:
        return coach._reply(f"{path.name} has no lyric lines in it.")
    return _take(coach, sections)


def _take(coach: Coach, sections: list[tuple[str, list[str]]]) -> Reply:
    kept: list[tuple[str, list[str]]] = []
    cut = 0
    room = MAX_LINES
    for name, lines in sections:
        cut += max(0, len(lines) - room)
        lines = lines[:room]
        room -= len(lines)
        if lines:
            kept.append((re.sub(r"\s+", " ", name.strip())[:40] or "lyrics", lines))
    existing = [s.model_dump() for s in coach.song.lyrics]
    for name, lines in kept:
        existing = [s for s in existing if s["name"] != name]
        existing.append({"name": name, "lines": lines})
    coach._apply({"lyrics": existing}, [{"field": "lyrics", "value": ", ".join(n for n, _ in kept),
                                         "why": "typed in the chat"}], stage="composition")
    note = f"\n\n_Kept the first {MAX_LINES} lines; {cut} more were left out._" if cut else ""
    return _report(coach, kept, "On the sheet", note)


def _report(coach: Coach, sections: list[tuple[str, list[str]]], heading: str, note: str = "") -> Reply:
    from assistant.lyrics.melody import from_song, meter_of
    from assistant.lyrics.report import analyse, as_text

    melody = from_song(coach.song)
    bar_beats, compound = meter_of(coach.song.meter)
    reports = analyse(sections, melody or None, bar_beats, compound)
    body = as_text(reports, max_lines=40, markdown=True)
    where = ("Against the sheet's melody (one syllable a note):" if melody else
             "No melody on the sheet yet, so no fit to check: make one in Composition and "
             "say `check my lyrics` again.")
    tips = _craft(coach, reports)
    text = f"**{heading}** — syllables (stressed in CAPITALS), count and rhyme letter. {where}\n\n{body}"
    if tips:
        text += "\n\n" + tips
    text += note + "\n\n_Say `rhymes for WORD`, or `export` to put the words in song.md and song.mid._"
    question = coach._question_text()
    return coach._reply(text + (f"\n\nBack to where we were: {question}" if question else ""))


def _craft(coach: Coach, reports: list) -> str:  # type: ignore[type-arg]
    """One or two craft points that this lyric invites, from the tips (with their sources)."""
    out: list[str] = []
    title = coach.song.title
    chorus = [r for r in reports if "chorus" in r.name or "hook" in r.name]
    if chorus and title and title != "Untitled" and not title.endswith(" sketch"):
        words = " ".join(line.text.lower() for r in chorus for line in r.lines)
        if title.lower() not in words:
            out.append(_tip(coach, "tip.lyrics.title-in-chorus", f"The chorus never sings the title “{title}”."))
    feeling = re.compile(r"\bi(?:'m| am| feel)\s+(?:so\s+)?(?:sad|happy|lonely|angry|lost|blue|broken)\b", re.I)
    if any(feeling.search(line.text) for r in reports for line in r.lines):
        out.append(_tip(coach, "tip.lyrics.show-dont-tell", "A line names the feeling outright."))
    return "\n\n".join(t for t in out if t)


def _tip(coach: Coach, tip_id: str, lead: str) -> str:
    try:
        tip = coach.kb.get(tip_id)
    except KeyError:
        return ""
    source = getattr(tip, "source", "")
    lead = lead or f"{getattr(tip, 'title', '')}."
    return (f"**{lead}** {getattr(tip, 'text', '')} _({tip_id}"
            + (f"; source: {source}" if source else "") + ")_")


# --- a melody shaped to the words ---------------------------------------------------------------
def _set(coach: Coach, text: str) -> Reply:
    """The sheet's melody reshaped to a lyric section: one note a syllable, stresses on beats."""
    from assistant.lyrics.setting import set_melody

    lyrics = [s for s in coach.song.lyrics if s.lines]
    if not lyrics:
        return coach._reply("There are no lyrics on the sheet yet: type them first, like "
                            "`lyrics for the chorus: first line / second line`.")
    named = _SECTION.search(text)
    wanted = named.group("name").lower() if named else ""
    section = next((s for s in lyrics if s.name == wanted), None) or next(
        (s for s in lyrics if "chorus" in s.name), lyrics[0])
    lines = section.lines[:16]
    had = coach.song.melody is not None and bool(coach.song.melody.notes)
    melody = set_melody(coach.song, lines, section.name)
    coach._apply({"melody": melody.model_dump(mode="json")},
                 [{"field": "melody", "value": melody.source,
                   "why": "each stressed syllable on a beat, one note a syllable", "rule_ids": ["prosody.stress"]}],
                 stage="composition")
    pitches = "the pitches of the melody you had" if had else "pitches from the melody generator"
    return _report(coach, [(section.name, lines)],
                   f"The melody, reshaped to the {section.name} words ({pitches}, a new rhythm)",
                   "\n\n_Say `undo` to get the previous melody back, `play` to hear it._")


# --- rhymes ------------------------------------------------------------------------------------
def _rhymes(coach: Coach, word: str) -> Reply:
    from assistant.lyrics.dictionary import load
    from assistant.lyrics.rhyme import rhymes_for

    if not re.search(r"[A-Za-z]", word or ""):
        return coach._reply(f"“{word}” is not a word I can rhyme: give an English word, like "
                            "`rhymes for home`.")
    found = rhymes_for(word, load(), limit=12)
    if not found.word:
        return coach._reply("Which word should I rhyme? Say `rhymes for home`.")
    note = "" if found.known else " — not in the dictionary, so these rhyme with its estimated sound"
    lines = [f"**Rhymes for “{found.word}”**{note}:"]
    for label, items in (("Perfect", found.perfect), ("Near", found.near), ("Multi-syllable", found.multi)):
        lines.append(f"- {label}: {', '.join(items) if items else '—'}")
    lines.append("\n_Near rhymes (same vowel, a kindred consonant) sound natural when sung "
                 "(tip.lyrics.near-rhymes)._")
    question = coach._question_text()
    return coach._reply("\n".join(lines) + (f"\n\nBack to where we were: {question}" if question else ""))


# --- help from the theme ----------------------------------------------------------------------
def _help(coach: Coach, text: str) -> Reply:
    """Images and words from the song's theme (or the one named) and the craft tips."""
    from assistant.lyrics.dictionary import preload

    preload()  # the dictionary loads while the user reads: their lines come next
    theme = _theme(coach, text)
    parts: list[str] = []
    if theme is not None:
        images = list(getattr(theme, "images", ()))
        parts.append(f"**For the verses — images for “{theme.name}”** (from the knowledge base, "
                     f"{theme.id}); the details tell the story:\n" + "\n".join(f"- {i}" for i in images[:10]))
        words = _words(images)
        if words:
            parts.append("**Words to build on** (say `rhymes for WORD`): " + ", ".join(words[:14]))
        feelings = _feelings(coach, theme)
        if feelings:
            parts.append("**For the chorus — the big idea in few words**, with the title in it: the "
                         f"feeling ({', '.join(feelings)}) said through one of those images, the same "
                         "words each time it comes back.")
        parts.append(f"_Theme tip:_ {theme.tip}")
    else:
        parts.append("Tell me what the song is about (\"help me write lyrics about leaving home\") "
                     "and I'll bring images and words for it.")
    for tip_id in ("tip.lyrics.show-dont-tell", "tip.lyrics.verse-detail-chorus-summary",
                   "tip.lyrics.title-in-chorus"):
        parts.append(_tip(coach, tip_id, ""))
    parts.append("Then type them in, several lines at once: `lyrics for the chorus: first line / "
                 "second line / third line` (or a new line for each, ending with an empty line).")
    question = coach._question_text()
    return coach._reply("\n\n".join(p for p in parts if p)
                        + (f"\n\nBack to where we were: {question}" if question else ""))


def _theme(coach: Coach, text: str):  # type: ignore[no-untyped-def]
    about = _ABOUT.search(text)
    if about:
        from assistant.understanding import lexicon
        from assistant.understanding.reader import best_theme
        from assistant.understanding.text import normalise, tokens

        try:
            theme_id = best_theme(tokens(normalise(about.group("about"))), lexicon(coach.kb))
            if theme_id:
                return coach.kb.get(theme_id)
        except (KeyError, ValueError):
            pass
    if coach.song.theme:
        wanted = coach.song.theme.lower()
        for theme in coach.kb.themes:
            if theme.name.lower() == wanted or theme.id == wanted:
                return theme
    moods = set(coach.song.moods)
    for theme in coach.kb.themes:  # no theme: one whose leading mood is the song's
        if moods and theme.moods and theme.moods[0] in {f"mood.{m}" for m in moods} | moods:
            return theme
    return None


def _feelings(coach: Coach, theme) -> list[str]:  # type: ignore[no-untyped-def]
    """The song's moods (else the theme's), as words: what the chorus sums up."""
    ids = [m if m.startswith("mood.") else f"mood.{m}" for m in coach.song.moods] or list(theme.moods[:3])
    names = []
    for mood_id in ids[:3]:
        try:
            names.append(str(getattr(coach.kb.get(mood_id), "name", mood_id.split(".")[-1])))
        except KeyError:
            names.append(mood_id.split(".")[-1])
    return names


def _words(images: list[str]) -> list[str]:
    """The content words of the images, the last word of each first (a line's end rhymes)."""
    from assistant.lyrics.phonetics import FUNCTION_WORDS

    ends, rest = [], []
    for image in images:
        ws = [w for w in re.findall(r"[a-z']+", image.lower()) if w not in FUNCTION_WORDS and len(w) > 2]
        if ws:
            ends.append(ws[-1])
            rest += ws[:-1]
    return list(dict.fromkeys(ends + rest))
