"""Scripted beginner conversations: the TOML format, the check vocabulary, and the checks.

Each `tests/conversations/*.toml` holds `[[conversation]]` tables:

    [[conversation]]
    name = "memorial-too-gloomy"          # unique across all files; the test id
    persona = "grieving nephew, types in lowercase"
    tui = true                            # also run through the real TUI (Pilot, key by key)
    xfail = "reason"                      # a known misreading (strict: remove when fixed)
    [[conversation.steps]]
    say = "a song for my uncle's memorial"
    expect = { theme = "memorial", options = true }
    [[conversation.steps]]
    say = "these are way too gloomy"
    expect = { moods_exclude = ["sad", "dark"] }

`say` is typed as one line (plain chat: a line on stdin; TUI: key by key, then Enter; ""
is a lone Enter). `{export}` in `say` is replaced by a fresh temporary folder (see `files`);
`{audio:hum}`, `{audio:clean-take}`, `{audio:flat-take}` by the path of a real sung WAV
(`audio_file`).

Run them: `pytest tests/test_conversations.py` (plain chat, in process through
`assistant.cli.chat.plain_chat`, the loop of `coach chat --plain`),
`pytest tests/test_conversations_tui.py` (the `tui = true` ones), and
`python -m tests.conversations.report [--tui] [--write] [-v] [NAME...]` for the list of
failing steps with how the reader took each message (`--write`: FAILING.md; `-v`: the
transcripts).

After every step the SAVED session is read back from the sessions database (a second
`Store` on the same file: what `coach sessions show` reads), and `expect` is checked
against it. `before` below is the saved session just before the step.

The check vocabulary (every key optional; one `name = example value` a line):

- stage = "composition": the saved stage is this one
- question = "tempo": the open question's id (knowledge/stages.toml) is this; "" = none
- key = "G major": the sheet's key is exactly this (tonic and mode)
- key_set = true/false: the sheet has a key / has none
- mode_in = ["major", "lydian"]: the key's mode is one of these
- mode_not = ["minor"]: the key (if any) is in none of these modes
- tempo = 120: the tempo is this (within 0.5 bpm)
- tempo_min, tempo_max = 90: the tempo is set and at least / at most this
- tempo_set = true/false: the sheet has a tempo / has none
- tempo_change = [-15, -5]: percent change from `before`'s tempo lies in this range
- meter = "3/4": the meter is this
- length_s = 180: the length asked for is this many seconds (within 5 s)
- moods_include = ["hopeful"]: every one of these moods is on the sheet
- moods_exclude = ["sad"]: none of these moods is on the sheet
- moods_any = ["happy", "hopeful"]: at least one of these moods is on the sheet
- theme = "memorial": the theme contains this text (case-insensitive)
- theme_set = true/false: the sheet has a theme / has none
- genre = "lo-fi": the genre contains this text (case-insensitive)
- genre_not = "rock": the genre (if any) does not contain this text
- references_include = ["taylor swift"]: each is contained in some reference (case-
    insensitive)
- progression_symbols = ["G", "D", "Em", "C"]: the main progression, turned into chord
    SYMBOLS in the sheet's key (`assistant.stages.music.symbols`), is exactly this (a symbol
    spelled differently with the same pitch classes counts)
- progression_set = true/false: the sheet has a main progression / has none
- progression_fits_key = true: the progression's home chords have the key's third (no C
    major home chord in C minor: it was suggested for this key, not the one before)
- instruments_include = ["electric piano"]: each is contained in some line-up instrument's
    name ("a|b": either)
- instruments_exclude = ["drums"]: no line-up instrument is named exactly this or has it as
    its role ("piano" is out when only "electric piano" is left)
- instruments_set = true/false: the line-up is non-empty / empty
- instruments_max = 3: the line-up has 1 to 3 instruments
- sources_include = ["vocal|voice"]: each is contained in some recording source ("a|b":
    either)
- sources_exclude = ["rhodes"]: none is contained in any recording source
- silent_in = ["verse", "synth"]: in every section whose name contains the first word, no
    instrument whose name contains the second (or whose role it is) plays (or its level is 0)
- energy_down_in = "bridge": every section of that name has less energy than `before`
- picked = 3: the sheet has what option 3 of `before`'s offer sets (-1: the last one shown)
- title = "Leaving": the title is exactly this
- platform = "spotify": the release platform contains this (case-insensitive)
- sections_include = ["bridge"]: each is contained in some section name of the arrangement
- sections_exclude = ["intro"]: no section name contains any of these
- section_bars = ["chorus", 16]: every section named so (or "chorus 2"...; not "pre-chorus")
    has this many bars
- decided = ["key"]: a decision with each of these fields is on the sheet
- not_decided = ["melody idea"]: no decision has any of these fields
- no_new_decision = true: the decisions (field, value) are the same as `before`'s
- unchanged = true: the whole saved Song is the same as `before`'s
- sheet_excludes = "you choose": the text (or each text of a list) is nowhere in the saved
    Song's JSON (case-insensitive) but `mood_text` (the vibe as typed): free text was not
    stored as an answer
- options = true/false: the saved session has numbered options on offer / has none
- reply_contains = "sidechain": the reply shown for this step contains it (or each of a
    list), case-insensitive
- reply_excludes = "didn't catch": the reply contains none of these
- answer_contains = "E minor": what the reply says to this message (its paragraphs before
    any options, the question asked again or "Back to where we were") contains it (or each
    of a list)
- new_session = true: the step opened a new session (start over with a new song)
- files = ["song.json", "song.mid"]: each file exists, non-empty, in the `{export}` folder
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.song import Song

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Step:
    say: str
    expect: dict[str, Any]


@dataclass(frozen=True)
class Conversation:
    name: str
    persona: str
    steps: tuple[Step, ...]
    tui: bool = False
    xfail: str | None = None
    source: str = ""


@dataclass
class Saved:
    """What was saved after a step, read back from the database, and the reply shown."""

    session_id: int | None
    state: dict[str, Any]
    song: Song
    reply: str = ""
    question: str = ""
    export_dir: Path | None = None

    @property
    def stage(self) -> str:
        return str(self.state.get("stage", "conception"))


@dataclass
class Failure:
    conversation: str
    step: int
    say: str
    problems: list[str] = field(default_factory=list)
    reading: str = ""
    """How the reader took the message in its context (intent, slots, why)."""

    def __str__(self) -> str:
        return f"{self.conversation} step {self.step} ({self.say!r}): " + "; ".join(self.problems)


def load_conversations(folder: Path = HERE) -> list[Conversation]:
    """Every conversation of every TOML file in `folder`, in file then file order."""
    found: list[Conversation] = []
    for path in sorted(folder.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for item in data.get("conversation", []):
            steps = tuple(Step(str(s["say"]), dict(s.get("expect", {}))) for s in item["steps"])
            found.append(Conversation(
                name=item["name"], persona=item["persona"], steps=steps,
                tui=bool(item.get("tui", False)), xfail=item.get("xfail"), source=path.name,
            ))
    names = [c.name for c in found]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, f"conversation names used twice: {sorted(duplicates)}"
    return found


# --- reading the saved session ---------------------------------------------------------------
def question_id(state: dict[str, Any]) -> str:
    """The id of the open question of a saved coach state ("" when none)."""
    from assistant.kb.loader import knowledge

    try:
        questions = knowledge().stage(str(state.get("stage", "conception"))).questions
    except KeyError:
        return ""
    index = int(state.get("qindex", -1))
    return questions[index].id if 0 <= index < len(questions) and not state.get("done") else ""


def saved(store: Any, session_id: int | None, reply: str = "",
          export_dir: Path | None = None) -> Saved:
    """The session as saved: `store` is a `Store` of its own on the chat's database."""
    state: dict[str, Any] = {}
    if session_id is not None:
        try:
            state = store.state(session_id)
        except Exception:  # nothing saved yet
            state = {}
    song = Song.model_validate(state["song"]) if "song" in state else Song()
    return Saved(session_id, state, song, reply, question_id(state) if state else "",
                 export_dir)


# --- the checks ------------------------------------------------------------------------------
def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _low(value: Any) -> str:
    return str(value).strip().lower()


def _same_chord(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        from assistant import theory

        return set(theory.chord_pitch_classes(a)) == set(theory.chord_pitch_classes(b))
    except Exception:
        return False


def _symbols(song: Song) -> list[str]:
    from assistant.stages.music import symbols

    return symbols(song.progression, song.key)


def _instruments(song: Song) -> list[tuple[str, str]]:
    return [(i.name.lower(), i.role) for i in song.instrumentation]


def _decisions(song: Song) -> set[tuple[str, str]]:
    return {(d.field, d.value) for d in song.decisions}


def _check_key(want: Any, now: Saved, before: Saved) -> str | None:
    have = now.song.key.name if now.song.key else None
    return None if have and _low(have) == _low(want) else f"key {have!r}, expected {want!r}"


def _check_mode_in(want: Any, now: Saved, before: Saved) -> str | None:
    mode = now.song.key.mode if now.song.key else None
    return None if mode in _list(want) else f"key {now.song.key and now.song.key.name!r}, " \
        f"expected a mode in {_list(want)}"


def _check_mode_not(want: Any, now: Saved, before: Saved) -> str | None:
    key = now.song.key
    return None if key is None or key.mode not in _list(want) else \
        f"key {key.name!r}, expected none of the modes {_list(want)}"


def _check_tempo(want: Any, now: Saved, before: Saved) -> str | None:
    tempo = now.song.tempo
    ok = tempo is not None and abs(tempo - float(want)) <= 0.5
    return None if ok else f"tempo {tempo}, expected {want}"


def _check_tempo_min(want: Any, now: Saved, before: Saved) -> str | None:
    tempo = now.song.tempo
    return None if tempo is not None and tempo >= float(want) else \
        f"tempo {tempo}, expected at least {want}"


def _check_tempo_max(want: Any, now: Saved, before: Saved) -> str | None:
    tempo = now.song.tempo
    return None if tempo is not None and tempo <= float(want) else \
        f"tempo {tempo}, expected at most {want}"


def _check_tempo_change(want: Any, now: Saved, before: Saved) -> str | None:
    low, high = (float(x) for x in want)
    old, new = before.song.tempo, now.song.tempo
    if old is None or new is None:
        return f"tempo {old} -> {new}, expected a change of {low:g}..{high:g} %"
    change = (new - old) / old * 100
    return None if low <= change <= high else \
        f"tempo {old:g} -> {new:g} ({change:+.1f} %), expected {low:+g}..{high:+g} %"


def _check_length(want: Any, now: Saved, before: Saved) -> str | None:
    have = now.song.length_s
    return None if have is not None and abs(have - int(want)) <= 5 else \
        f"length {have} s, expected {want} s"


def _check_moods_include(want: Any, now: Saved, before: Saved) -> str | None:
    moods = [_low(m) for m in now.song.moods]
    missing = [m for m in _list(want) if _low(m) not in moods]
    return f"moods {now.song.moods}, missing {missing}" if missing else None


def _check_moods_exclude(want: Any, now: Saved, before: Saved) -> str | None:
    moods = [_low(m) for m in now.song.moods]
    there = [m for m in _list(want) if _low(m) in moods]
    return f"moods {now.song.moods}, should not have {there}" if there else None


def _check_moods_any(want: Any, now: Saved, before: Saved) -> str | None:
    moods = [_low(m) for m in now.song.moods]
    return None if any(_low(m) in moods for m in _list(want)) else \
        f"moods {now.song.moods}, expected one of {_list(want)}"


def _contains(name: str, get: Callable[[Song], str | None]) -> Callable[..., str | None]:
    def check(want: Any, now: Saved, before: Saved) -> str | None:
        have = get(now.song)
        return None if have and _low(want) in _low(have) else f"{name} {have!r}, expected {want!r}"
    return check


def _check_genre_not(want: Any, now: Saved, before: Saved) -> str | None:
    genre = now.song.genre
    return None if not genre or _low(want) not in _low(genre) else \
        f"genre {genre!r}, expected not {want!r}"


def _is_set(name: str, get: Callable[[Song], Any]) -> Callable[..., str | None]:
    def check(want: Any, now: Saved, before: Saved) -> str | None:
        have = get(now.song)
        return None if bool(have) == bool(want) else \
            f"{name} {have!r}, expected {'something' if want else 'nothing'}"
    return check


def _check_references(want: Any, now: Saved, before: Saved) -> str | None:
    refs = [_low(r) for r in now.song.references]
    missing = [w for w in _list(want) if not any(_low(w) in r for r in refs)]
    return f"references {now.song.references}, missing {missing}" if missing else None


def _check_progression(want: Any, now: Saved, before: Saved) -> str | None:
    have = _symbols(now.song)
    want = [str(w) for w in _list(want)]
    ok = len(have) == len(want) and all(_same_chord(a, b) for a, b in zip(have, want, strict=True))
    key = now.song.key.name if now.song.key else None
    return None if ok else (f"progression plays {have} ({' '.join(now.song.progression)} in "
                            f"{key}), expected {want}")


def _found(want: Any, haystack: list[str]) -> bool:
    """Is `want` ("vocal|voice": any of these) contained in one of `haystack`?"""
    return any(_low(alt) in item for alt in str(want).split("|") for item in haystack)


def _check_fits_key(want: Any, now: Saved, before: Saved) -> str | None:
    """The tonic chords of the progression have the key's third (no C major chord as the
    home chord of C minor): suggestions were made for this key, not the one before."""
    from assistant import theory

    song = now.song
    if not want or song.key is None or not song.progression:
        return None if not want else "no key or no progression"
    minor = song.key.mode in ("minor", "dorian", "phrygian", "locrian")
    tonic = theory.parse_pitch_class(song.key.tonic)
    for numeral in song.progression:
        parsed = theory.parse_numeral(numeral)
        if parsed.root_offset != 0 or parsed.secondary:
            continue
        pcs = set(theory.numeral_to_pitch_classes(numeral, song.key))
        wrong = (tonic + 4) % 12 if minor else (tonic + 3) % 12
        if wrong in pcs and (tonic + (3 if minor else 4)) % 12 not in pcs:
            return (f"progression {_symbols(song)} ({' '.join(song.progression)}) has the home "
                    f"chord {numeral} against the key {song.key.name}")
    return None


def _check_instruments_include(want: Any, now: Saved, before: Saved) -> str | None:
    names = [n for n, _ in _instruments(now.song)]
    missing = [w for w in _list(want) if not _found(w, names)]
    return f"line-up {names}, missing {missing}" if missing else None


def _check_instruments_exclude(want: Any, now: Saved, before: Saved) -> str | None:
    lineup = _instruments(now.song)
    there = [w for w in _list(want) if any(_low(w) in (n, r) for n, r in lineup)]
    return f"line-up {[n for n, _ in lineup]}, should not have {there}" if there else None


def _check_sources(want: Any, now: Saved, before: Saved) -> str | None:
    sources = [_low(s) for s in now.song.recording.sources]
    missing = [w for w in _list(want) if not _found(w, sources)]
    return f"recording sources {now.song.recording.sources}, missing {missing}" if missing \
        else None


def _check_sources_exclude(want: Any, now: Saved, before: Saved) -> str | None:
    sources = [_low(s) for s in now.song.recording.sources]
    there = [w for w in _list(want) if any(_low(w) in s for s in sources)]
    return f"recording sources {now.song.recording.sources}, should not have {there}" if there \
        else None


def _check_sections(want: Any, now: Saved, before: Saved) -> str | None:
    names = [_low(s.name) for s in now.song.sections]
    missing = [w for w in _list(want) if not any(_low(w) in n for n in names)]
    return f"sections {names}, missing {missing}" if missing else None


def _check_silent_in(want: Any, now: Saved, before: Saved) -> str | None:
    section, instrument = (_low(x) for x in want)
    roles = {i.name.lower(): i.role for i in now.song.instrumentation}
    sections = [s for s in now.song.sections if section in s.name.lower()]
    if not sections:
        return f"no {section!r} section: {[s.name for s in now.song.sections]}"
    loud = []
    for part in sections:
        playing = [n.lower() for n in (part.instruments if part.instruments is not None
                                       else roles)]
        for name in playing:
            if (instrument in name or roles.get(name) == instrument) and \
                    part.levels.get(name, 1.0) > 0:
                loud.append(f"{name} in {part.name}")
    return f"still playing: {', '.join(loud)}" if loud else None


def _check_sections_exclude(want: Any, now: Saved, before: Saved) -> str | None:
    names = [_low(s.name) for s in now.song.sections]
    there = [w for w in _list(want) if any(_low(w) in n for n in names)]
    return f"sections {names}, should not have {there}" if there else None


def _check_section_bars(want: Any, now: Saved, before: Saved) -> str | None:
    section, bars = _low(want[0]), int(want[1])
    found = [(s.name, s.bars) for s in now.song.sections
             if re.fullmatch(re.escape(section) + r"( ?\d+)?", s.name.lower())]
    if not found or any(b != bars for _, b in found):
        return f"{section} bars {found or 'no such section'}, expected {bars}"
    return None


def _check_energy_down(want: Any, now: Saved, before: Saved) -> str | None:
    section = _low(want)
    old = [x.energy for x in before.song.sections if x.name.lower() == section]
    new = [x.energy for x in now.song.sections if x.name.lower() == section]
    if not new or len(old) != len(new) or not all(b < a for a, b in zip(old, new, strict=True)):
        return f"{section} energy {old} -> {new}, expected every one lower"
    return None


def _check_picked(want: Any, now: Saved, before: Saved) -> str | None:
    from assistant.coach import PAGE

    choices = before.state.get("choices", [])
    page = int(before.state.get("page", 0))
    shown = choices[page * PAGE:page * PAGE + PAGE]
    number = int(want)
    option = (shown[-1] if shown else None) if number == -1 else \
        (choices[number - 1] if 0 < number <= len(choices) else None)
    if option is None:
        return f"no option {number} was on offer"
    sheet = now.song.model_dump(mode="json")
    differ = []
    for path, value in (option.get("patch") or {}).items():
        if path.startswith("+"):
            continue
        have: Any = sheet
        for part in path.split("."):
            have = have.get(part) if isinstance(have, dict) else None
        if have != value:
            differ.append(f"{path} {have!r} (option: {value!r})")
    return f"option {number} ({option.get('label')}) not applied: {'; '.join(differ)}" \
        if differ else None


def _check_title(want: Any, now: Saved, before: Saved) -> str | None:
    return None if now.song.title == want else f"title {now.song.title!r}, expected {want!r}"


def _check_decided(want: Any, now: Saved, before: Saved) -> str | None:
    fields = {f for f, _ in _decisions(now.song)}
    missing = [w for w in _list(want) if w not in fields]
    return f"decisions {sorted(fields)}, missing {missing}" if missing else None


def _check_not_decided(want: Any, now: Saved, before: Saved) -> str | None:
    there = [(f, v) for f, v in _decisions(now.song) if f in _list(want)]
    return f"decided {there}, expected no decision on {_list(want)}" if there else None


def _check_no_new_decision(want: Any, now: Saved, before: Saved) -> str | None:
    if not want:
        return None
    new = _decisions(now.song) - _decisions(before.song)
    return f"new decisions {sorted(new)}, expected none" if new else None


def _check_unchanged(want: Any, now: Saved, before: Saved) -> str | None:
    if not want:
        return None
    a, b = before.song.model_dump(mode="json"), now.song.model_dump(mode="json")
    diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return f"the sheet changed ({', '.join(diff)}), expected it unchanged" if diff else None


def _check_sheet_excludes(want: Any, now: Saved, before: Saved) -> str | None:
    sheet = now.song.model_dump(mode="json")
    sheet.pop("mood_text", None)  # the vibe in the user's own words, kept as typed
    text = json.dumps(sheet, ensure_ascii=False).lower()
    there = [w for w in _list(want) if _low(w) in text]
    if not there:
        return None
    where = [d.field + "=" + repr(d.value) for d in now.song.decisions
             if any(_low(w) in d.value.lower() for w in there)]
    notes = [n for s in now.song.stages.values() for n in s.notes
             if any(_low(w) in n.lower() for w in there)]
    return f"the sheet stores {there} ({', '.join(where + notes) or 'somewhere'})"


def _check_options(want: Any, now: Saved, before: Saved) -> str | None:
    has = bool(now.state.get("choices"))
    return None if has == bool(want) else f"options on offer: {has}, expected {bool(want)}"


def _reply(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("’", "'")).lower()


def _check_reply_contains(want: Any, now: Saved, before: Saved) -> str | None:
    reply = _reply(now.reply)
    missing = [w for w in _list(want) if _reply(str(w)) not in reply]
    return f"reply lacks {missing}: {now.reply.strip()[:300]!r}" if missing else None


def _question_texts() -> list[str]:
    from assistant.kb.loader import knowledge
    from assistant.song import STAGES

    texts = []
    for stage in STAGES:
        try:
            texts += [q.text for q in knowledge().stage(stage).questions]
        except KeyError:
            continue
    return texts


def _answer(text: str) -> str:
    """What the coach said to this message: the reply's paragraphs before the options, the
    question it asks again, "Back to where we were" or its examples (the plain chat's echo of
    the message left out)."""
    lines = [line for line in text.strip().splitlines() if not line.startswith("> ")]
    questions = [q.lower() for q in _question_texts()]
    kept = []
    for paragraph in "\n".join(lines).strip().split("\n\n"):
        plain = paragraph.strip().strip("*").lower()
        if (re.match(r"^\s*\d+[.)]\s", paragraph) or plain.startswith(
                ("back to", "for example", "pick a number")) or
                any(plain.startswith(q[:40]) for q in questions)):
            break
        kept.append(paragraph)
    return "\n\n".join(kept)


def _check_answer_contains(want: Any, now: Saved, before: Saved) -> str | None:
    answer = _reply(_answer(now.reply))
    missing = [w for w in _list(want) if _reply(str(w)) not in answer]
    return f"the answer lacks {missing}: {_answer(now.reply)[:300]!r}" if missing else None


def _check_reply_excludes(want: Any, now: Saved, before: Saved) -> str | None:
    reply = _reply(now.reply)
    there = [w for w in _list(want) if _reply(str(w)) in reply]
    return f"reply has {there}: {now.reply.strip()[:300]!r}" if there else None


def _check_new_session(want: Any, now: Saved, before: Saved) -> str | None:
    new = now.session_id != before.session_id
    return None if new == bool(want) else \
        f"session {before.session_id} -> {now.session_id}, expected new={bool(want)}"


def _check_files(want: Any, now: Saved, before: Saved) -> str | None:
    folder = now.export_dir
    if folder is None:
        return "no {export} folder in this conversation"
    missing = [f for f in _list(want) if not (folder / f).is_file()
               or (folder / f).stat().st_size == 0]
    have = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else "no folder"
    return f"{folder} has {have}, missing {missing}" if missing else None


CHECKS: dict[str, Callable[[Any, Saved, Saved], str | None]] = {
    "stage": lambda want, now, before: None if now.stage == want else
    f"stage {now.stage!r}, expected {want!r}",
    "question": lambda want, now, before: None if now.question == want else
    f"question {now.question!r}, expected {want!r}",
    "key": _check_key,
    "key_set": _is_set("key", lambda s: s.key and s.key.name),
    "mode_in": _check_mode_in,
    "mode_not": _check_mode_not,
    "tempo": _check_tempo,
    "tempo_min": _check_tempo_min,
    "tempo_max": _check_tempo_max,
    "tempo_set": _is_set("tempo", lambda s: s.tempo),
    "tempo_change": _check_tempo_change,
    "meter": lambda want, now, before: None if now.song.meter == want else
    f"meter {now.song.meter!r}, expected {want!r}",
    "length_s": _check_length,
    "moods_include": _check_moods_include,
    "moods_exclude": _check_moods_exclude,
    "moods_any": _check_moods_any,
    "theme": _contains("theme", lambda s: s.theme),
    "theme_set": _is_set("theme", lambda s: s.theme),
    "genre": _contains("genre", lambda s: s.genre),
    "genre_not": _check_genre_not,
    "references_include": _check_references,
    "progression_symbols": _check_progression,
    "progression_fits_key": _check_fits_key,
    "progression_set": _is_set("progression", lambda s: s.progression),
    "instruments_include": _check_instruments_include,
    "instruments_exclude": _check_instruments_exclude,
    "instruments_max": lambda want, now, before: None
    if 0 < len(now.song.instrumentation) <= int(want) else
    f"line-up {[i.name for i in now.song.instrumentation]}, expected 1 to {want} instruments",
    "instruments_set": _is_set("line-up", lambda s: [i.name for i in s.instrumentation]),
    "sources_include": _check_sources,
    "sources_exclude": _check_sources_exclude,
    "silent_in": _check_silent_in,
    "energy_down_in": _check_energy_down,
    "picked": _check_picked,
    "title": _check_title,
    "platform": _contains("release platform", lambda s: s.mix.platform),
    "sections_include": _check_sections,
    "sections_exclude": _check_sections_exclude,
    "section_bars": _check_section_bars,
    "decided": _check_decided,
    "not_decided": _check_not_decided,
    "no_new_decision": _check_no_new_decision,
    "unchanged": _check_unchanged,
    "sheet_excludes": _check_sheet_excludes,
    "options": _check_options,
    "reply_contains": _check_reply_contains,
    "reply_excludes": _check_reply_excludes,
    "answer_contains": _check_answer_contains,
    "new_session": _check_new_session,
    "files": _check_files,
}


def check(expect: dict[str, Any], now: Saved, before: Saved) -> list[str]:
    """The problems of one step (empty: it passed)."""
    problems = []
    for name, want in expect.items():
        if name not in CHECKS:
            problems.append(f"unknown check {name!r} (see tests/conversations/checks.py)")
            continue
        problem = CHECKS[name](want, now, before)
        if problem:
            problems.append(problem)
    return problems


def reading(text: str, before: Saved) -> str:
    """The understanding's reading of `text` where it was said: for the failure list."""
    try:
        from assistant.coach import PAGE
        from assistant.understanding import Context, read

        shown = len(before.state.get("choices", [])[:PAGE])
        command = read(text, Context(stage=before.stage, question=before.question,
                                     options=shown))
        slots = {name: value for name, value in vars(command.slots).items()
                 if value and name != "words"}
        return f"{command.intent} {slots} — {command.why}"
    except Exception as error:  # the list is still worth having without it
        return f"(could not read: {error!r})"


def say_text(step: Step, export_dir: Path | None) -> str:
    text = step.say.replace("{export}", str(export_dir)) if export_dir else step.say
    return _AUDIO.sub(lambda m: str(audio_file(m.group(1))), text)


# `{audio:NAME}` in `say`: a real recording, sung by FluidSynth as a voice (the audio-in
# tests' tune: tests/audio_in_helpers.py), rendered once per test process; names with spaces
# on purpose, as phone recordings have them.
_AUDIO = re.compile(r"\{audio:([\w-]+)\}")
_AUDIO_FILES: dict[str, Path] = {}


def audio_file(name: str) -> Path:
    """"hum": the tune hummed; "clean-take" / "flat-take": two takes of it, the second about
    40 cents flat (ranked below the first)."""
    if name in _AUDIO_FILES:
        return _AUDIO_FILES[name]
    import atexit
    import shutil
    import tempfile

    import numpy as np

    from tests.audio_in_helpers import TUNE, sung_wav

    folder = Path(tempfile.mkdtemp(prefix="coach-audio-"))
    atexit.register(shutil.rmtree, folder, True)
    if name == "hum":
        path = sung_wav(folder / "my hum.wav")
    elif name == "clean-take":
        path = sung_wav(folder / "clean take.wav", seed=1, jitter_ms=0.0)
    elif name == "flat-take":
        detune = list(np.random.default_rng(5).normal(-40, 10, len(TUNE)))
        path = sung_wav(folder / "flat take.wav", seed=2, jitter_ms=0.0, detune=detune)
    else:
        raise KeyError(f"no audio fixture {name!r} (see checks.audio_file)")
    _AUDIO_FILES[name] = path
    return path


def needs_export_dir(conversation: Conversation) -> bool:
    return any("{export}" in s.say for s in conversation.steps)


# --- the plain chat, in process: `coach chat --plain`'s own loop ----------------------------
class ScriptedStdin:
    """stdin for `plain_chat`: hands it one line per step and, each time it asks for the next
    line (the previous turn is saved by then), reads the saved session back and checks it."""

    def __init__(self, conversation: Conversation, chat_store: Any, reader: Any, out: Any,
                 export_dir: Path | None) -> None:
        self.conversation = conversation
        self.chat_store = chat_store
        self.reader = reader
        self.out = out
        self.export_dir = export_dir
        self.index = 0
        self.mark = 0
        self.checked = 0
        self.before: Saved | None = None
        self.failures: list[Failure] = []

    def isatty(self) -> bool:
        return False

    def _snapshot(self) -> Saved:
        text = self.out.getvalue()
        reply, self.mark = text[self.mark:], len(text)
        return saved(self.reader, self.chat_store.session_id, reply, self.export_dir)

    def finish(self) -> None:
        """Check the step just sent (when it was not checked yet: a "quit" ends the chat)."""
        now = self._snapshot()
        if self.index > self.checked:
            assert self.before is not None
            step = self.conversation.steps[self.index - 1]
            problems = check(step.expect, now, self.before)
            if problems:
                said = say_text(step, self.export_dir)
                self.failures.append(Failure(self.conversation.name, self.index, step.say,
                                             problems, reading(said, self.before)))
            self.checked = self.index
        self.before = now

    def readline(self) -> str:
        self.finish()
        if self.index >= len(self.conversation.steps):
            return ""
        step = self.conversation.steps[self.index]
        self.index += 1
        return say_text(step, self.export_dir) + "\n"


def run_plain(conversation: Conversation, home: Path) -> tuple[list[Failure], str]:
    """Run one conversation through the plain chat with its data in `home` ($COACH_HOME must
    point there). Returns the failures and the whole transcript."""
    import io

    from assistant.cli.chat import plain_chat
    from assistant.store import Store

    export_dir = home / "export-here" if needs_export_dir(conversation) else None
    chat_store = Store()
    reader = Store(chat_store.path)
    out = io.StringIO()
    stdin = ScriptedStdin(conversation, chat_store, reader, out, export_dir)
    try:
        code = plain_chat(chat_store, stdin=stdin, stdout=out)
        stdin.finish()
    finally:
        chat_store.close()
        reader.close()
    failures = stdin.failures
    if code != 0:
        failures.append(Failure(conversation.name, len(conversation.steps), "(end)",
                                [f"the chat ended with {code}"]))
    if stdin.index < len(conversation.steps):
        failures.append(Failure(conversation.name, stdin.index, "(end)",
                                ["the chat stopped reading before the script ended"]))
    return failures, out.getvalue()
