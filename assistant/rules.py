"""The rule engine: match knowledge rules against what the user said and the Song sheet.

Each suggestion carries a score, the ids of the rules that produced it and their `why`.
Given the same inputs and seed, the results are the same: ties are broken by a seeded
random order, never by dictionary or set order.
"""

from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass, field

from assistant import theory
from assistant.errors import BadInput
from assistant.kb.loader import Knowledge, knowledge
from assistant.kb.schema import Genre, Mood, Progression, Structure
from assistant.song import MODES, Instrument, Key, Mode, Section, Song

TEMPO_LIMITS = (20, 400)

# Words that carry no mood of their own in "melancholic but hopeful, like a night drive".
_FILLER = frozenset(
    """a an and but or yet with like kind of kinda sort somewhat little bit very really quite
    something song track tune feel feeling vibe vibes mood the that this it is its
    i want wanna make sound sounds more less too so just also maybe bit mostly super""".split()
)
_SLOW = frozenset({"slow", "slower", "slowly", "laid-back", "laidback", "downtempo", "sluggish"})
_FAST = frozenset({"fast", "faster", "quick", "rapid", "speedy", "driving", "uptempo"})
# Tonics to offer for a mode when the genre names none: common, easy keys first.
_DEFAULT_TONICS: dict[str, tuple[str, ...]] = {
    "major": ("C", "G", "D", "F", "E", "A"),
    "minor": ("A", "E", "D", "C", "G", "B"),
    "dorian": ("D", "A", "E", "G"),
    "phrygian": ("E", "A", "B"),
    "lydian": ("F", "C", "G"),
    "mixolydian": ("G", "D", "A"),
    "locrian": ("B", "E"),
}
# Modes close enough in colour to borrow each other's progressions.
_RELATED: dict[str, tuple[Mode, ...]] = {
    "major": ("lydian", "mixolydian"),
    "minor": ("dorian", "phrygian"),
    "dorian": ("minor", "mixolydian"),
    "phrygian": ("minor", "locrian"),
    "lydian": ("major", "mixolydian"),
    "mixolydian": ("major", "dorian"),
    "locrian": ("phrygian", "minor"),
}
_MODE_WEIGHTS = (1.0, 0.6, 0.4, 0.25, 0.15, 0.1, 0.05)


@dataclass(frozen=True)
class KeyChoice:
    tonic: str
    mode: Mode
    name: str
    score: float
    why: str
    rule_ids: tuple[str, ...]


@dataclass(frozen=True)
class TempoChoice:
    bpm: int
    range: tuple[int, int]
    why: str
    rule_ids: tuple[str, ...]


@dataclass(frozen=True)
class ProgressionChoice:
    id: str
    name: str
    numerals: tuple[str, ...]
    symbols: tuple[str, ...]
    score: float
    why: str
    rule_ids: tuple[str, ...]
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class StructureChoice:
    id: str
    name: str
    sections: tuple[dict[str, object], ...]
    why: str
    rule_ids: tuple[str, ...]


@dataclass(frozen=True)
class MoodReading:
    """What the free text said: moods found, genre named, tempo leaning, words not understood."""

    moods: tuple[Mood, ...] = ()
    genre: Genre | None = None
    tempo_bias: int = 0
    """-1 for "slow", +1 for "fast"."""
    unknown_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suggestions:
    moods: tuple[str, ...]
    genre: str | None
    keys: tuple[KeyChoice, ...]
    tempo: TempoChoice
    meter: str
    meter_why: str
    progressions: tuple[ProgressionChoice, ...]
    structure: StructureChoice
    seed: int
    notes: tuple[str, ...] = field(default=())
    unknown_words: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["tempo"]["range"] = list(self.tempo.range)
        return data


# --- reading the user's words ---
def read_mood_text(text: str, kb: Knowledge | None = None) -> MoodReading:
    """Find moods (and their synonyms, longest phrase first), a genre, and tempo words."""
    kb = kb or knowledge()
    words = re.findall(r"[a-z0-9&'+-]+", text.lower())
    mood_table = kb.mood_words()
    genre_table = kb.genre_words()
    longest = max((len(k.split()) for k in [*mood_table, *genre_table]), default=1)
    moods: list[Mood] = []
    genre: Genre | None = None
    unknown: list[str] = []
    bias = 0
    i = 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + size]).replace("-", " ")
            if phrase in mood_table:
                if mood_table[phrase] not in moods:
                    moods.append(mood_table[phrase])
                break
            if phrase in genre_table or phrase.replace(" ", "") in genre_table:
                genre = genre or genre_table.get(phrase) or genre_table[phrase.replace(" ", "")]
                break
        else:
            size = 1
            word = words[i]
            if word in _SLOW:
                bias -= 1
            elif word in _FAST:
                bias += 1
            elif word not in _FILLER and not word.isdigit():
                unknown.append(word)
        i += size
    return MoodReading(tuple(moods), genre, max(-1, min(1, bias)), tuple(unknown))


def parse_tempo(value: float | str) -> int:
    try:
        bpm = float(str(value).lower().removesuffix("bpm").strip())
    except ValueError:
        raise BadInput(f"tempo {value!r} is not a number: give beats per minute, like 90") from None
    low, high = TEMPO_LIMITS
    if not low <= bpm <= high:
        raise BadInput(f"tempo {value} is out of range: use {low}-{high} bpm")
    return round(bpm)


def parse_meter(value: str) -> str:
    from pydantic import ValidationError

    try:
        return Song(meter=value).meter
    except ValidationError:
        raise BadInput(f"meter {value!r} is not like 4/4, 3/4, 6/8 or 7/8") from None


def find_genre(name: str, kb: Knowledge) -> Genre:
    genre = kb.find_genre(name)
    if genre is None:
        known = ", ".join(g.name for g in kb.genres)
        raise BadInput(f"unknown genre {name!r}: use one of {known}")
    return genre


# --- the rules ---
def _rank_modes(moods: tuple[Mood, ...], genre: Genre | None) -> list[tuple[Mode, float, list]]:
    """Score each mode by the moods (and genre) that ask for it; keep who asked."""
    scores: dict[Mode, float] = {}
    askers: dict[Mode, list] = {}
    for mood in moods:
        for rank, mode in enumerate(mood.modes):
            scores[mode] = scores.get(mode, 0.0) + _MODE_WEIGHTS[min(rank, 6)]
            askers.setdefault(mode, []).append(mood)
    if genre:
        weight = 0.5 if moods else 1.0
        for rank, mode in enumerate(genre.modes):
            scores[mode] = scores.get(mode, 0.0) + weight * _MODE_WEIGHTS[min(rank, 6)]
            askers.setdefault(mode, []).append(genre)
    if not scores:  # nothing said: a neutral start
        scores = {"major": 1.0, "minor": 0.9}
    order = sorted(scores, key=lambda m: (-scores[m], MODES.index(m)))
    return [(mode, scores[mode], askers.get(mode, [])) for mode in order]


# What each mode sounds like, in a phrase (the theory behind "why this mode").
MODE_COLOUR: dict[str, str] = {
    "major": "major's bright major third sounds open and settled",
    "minor": "minor's lowered third sounds darker and heavier",
    "dorian": "Dorian is minor with a raised sixth: moody, with a glimmer of light",
    "phrygian": "Phrygian's flat second sounds tense, exotic and dark",
    "lydian": "Lydian's raised fourth floats: bright, dreamy, full of possibility",
    "mixolydian": "Mixolydian is major with a flat seventh: bright but earthy and relaxed",
    "locrian": "Locrian's diminished tonic never settles: unstable and unsettling",
}


def _key_why(mode: Mode, tonic: str, askers: list, genre: Genre | None) -> str:
    name = f"{tonic} {mode}"
    if not askers:
        return f"{name}: a neutral, easy key to start from while the mood is still open."
    moods = [w.name for w in askers if isinstance(w, Mood)]
    why = f"{name}: {MODE_COLOUR[mode]}"
    if moods:
        why += f"; it fits {' and '.join(moods)}"
    if genre and genre in askers:
        why += f"; {mode} is common in {genre.name}"
    if genre and tonic in genre.keys:
        why += f"; {tonic} is a comfortable, common key in {genre.name}"
    return why + "."


def suggest_keys(
    reading: MoodReading, genre: Genre | None, rng: random.Random, count: int = 5
) -> list[KeyChoice]:
    ranked = _rank_modes(reading.moods, genre)
    choices: list[KeyChoice] = []
    for mode, score, askers in ranked:
        tonics = list(_DEFAULT_TONICS[mode])
        if genre and genre.keys:
            # The genre's common tonics first; for locrian only those among its usual few.
            preferred = genre.keys if mode != "locrian" else [t for t in genre.keys if t in tonics]
            tonics = list(dict.fromkeys([*preferred, *tonics]))
        head = tonics[:3]
        rng.shuffle(head)  # seed varies the tonic, never the mode ranking
        per_mode = 2 if mode == ranked[0][0] else 1
        for rank, tonic in enumerate(head[:per_mode]):
            key = theory.parse_key(f"{tonic} {mode}")
            ids = tuple(w.id for w in askers)
            choices.append(
                KeyChoice(
                    key.tonic, key.mode, key.name, round(score - 0.05 * rank, 3),
                    _key_why(key.mode, key.tonic, askers, genre), ids,
                )
            )
        if len(choices) >= count:
            break
    return sorted(choices, key=lambda c: -c.score)[:count]


def suggest_tempo(
    reading: MoodReading, genre: Genre | None, rng: random.Random, given: int | None = None
) -> TempoChoice:
    sources: list[Mood | Genre] = [*reading.moods, *([genre] if genre else [])]
    ranges = [s.tempo for s in sources]
    if ranges:
        low = max(r[0] for r in ranges)
        high = min(r[1] for r in ranges)
        if low > high:  # the moods disagree: meet in the middle of all of them
            low = round(sum(r[0] for r in ranges) / len(ranges))
            high = round(sum(r[1] for r in ranges) / len(ranges))
        if genre is not None:  # ...but inside the genre's own range: a jazz ballad stays slow
            g_low, g_high = genre.tempo
            low, high = min(max(low, g_low), g_high), max(min(high, g_high), g_low)
    else:
        low, high = 90, 120
    ids = tuple(s.id for s in sources)
    names = ", ".join(getattr(s, "name", s.id) for s in sources) or "no mood yet"
    if given is not None:
        return TempoChoice(given, (low, high), f"{given} bpm: the tempo you chose.", ids)
    third = max(1, (high - low) // 3)
    if reading.tempo_bias < 0:
        low, high = low, max(low, low + third)
    elif reading.tempo_bias > 0:
        low, high = min(high, high - third), high
    bpm = round((low + high) / 2 + rng.uniform(-0.15, 0.15) * (high - low))
    bpm = max(low, min(high, bpm))
    lean = {-1: " leaning slow as you asked", 1: " leaning fast as you asked"}.get(
        reading.tempo_bias, ""
    )
    why = f"{bpm} bpm sits in the {low}-{high} bpm range that fits {names}{lean}."
    return TempoChoice(bpm, (low, high), why, ids)


def suggest_meter(reading: MoodReading, genre: Genre | None) -> tuple[str, str]:
    if genre:
        return genre.meters[0], f"{genre.meters[0]} is the usual meter in {genre.name}."
    votes: dict[str, int] = {}
    for mood in reading.moods:
        for rank, meter in enumerate(mood.meters):
            votes[meter] = votes.get(meter, 0) + (2 if rank == 0 else 1)
    if votes:
        meter = max(votes, key=lambda m: (votes[m], m == "4/4"))
        return meter, f"{meter} is the natural pulse for this mood."
    return "4/4", "4/4 is the most common meter in popular music and the easiest to start with."


def _fits_mode(prog: Progression, mode: Mode) -> float:
    if mode in prog.modes:
        return 1.0
    if any(m in _RELATED[mode] for m in prog.modes):
        return 0.4
    return 0.0


def _root(numeral: str) -> str:
    """The degree of a numeral without its quality: "bVII7" -> "bVII", "imaj7" -> "I"."""
    match = re.match(r"[b#]?[ivIV]+", numeral)
    return match.group(0).upper() if match else numeral


def suggest_progressions(
    reading: MoodReading,
    genre: Genre | None,
    key: Key,
    rng: random.Random,
    kb: Knowledge,
    count: int = 5,
) -> list[ProgressionChoice]:
    mood_names = {m.name.lower() for m in reading.moods}
    mood_refs = {ref: m for m in reading.moods for ref in m.progressions}
    scored: list[tuple[float, float, Progression, list[str], list[str]]] = []
    for prog in kb.progressions:
        fit = _fits_mode(prog, key.mode)
        if not fit:
            continue
        score, ids, whys = fit, [], [prog.why]
        if prog.id in mood_refs:
            score += 2.0
            ids.append(mood_refs[prog.id].id)
        matched = mood_names & {m.lower() for m in prog.moods}
        score += 1.0 * len(matched)
        if matched and not ids:
            ids += [m.id for m in reading.moods if m.name.lower() in matched]
        if genre and (prog.id in genre.progressions or genre.name in prog.genres):
            score += 1.5
            ids.append(genre.id)
            whys.append(f"Common in {genre.name}.")
        elif genre and prog.genres and len(prog.numerals) > 8:
            score -= 1.0  # a 12-bar blues form belongs to its own genres, not to a ballad
        # among equals, a loop whose bass moves carries a whole song better than a static one
        score += 0.05 * min(4, len({_root(n) for n in prog.numerals})) / 4
        if fit < 1.0:
            whys.append(f"Borrowed from a mode close to {key.mode}.")
        scored.append((score, rng.random(), prog, ids, whys))
    scored.sort(key=lambda s: (-s[0], s[1]))
    choices = []
    for score, _, prog, ids, whys in scored[:count]:
        symbols = tuple(theory.numeral_to_symbol(n, key) for n in prog.numerals)
        choices.append(
            ProgressionChoice(
                prog.id, prog.name, prog.numerals, symbols, round(score, 3),
                " ".join(whys), (prog.id, *dict.fromkeys(ids)), prog.examples,
            )
        )
    return choices


def suggest_structure(
    reading: MoodReading, genre: Genre | None, rng: random.Random, kb: Knowledge
) -> StructureChoice:
    structure: Structure | None = None
    why = ""
    ids: tuple[str, ...] = ()
    if genre:
        entry = kb.get(genre.structures[0])
        assert isinstance(entry, Structure)
        structure = entry
        why = f"The typical form in {genre.name}: {entry.why}"
        ids = (entry.id, genre.id)
    else:
        # No genre yet: a pop form, a ballad form when the mood is quiet.
        energy = sum(m.energy for m in reading.moods) / max(1, len(reading.moods))
        wanted = "ballad" if reading.moods and energy <= 2 else "pop"
        pool = [s for s in kb.structures if wanted in s.genres][:2] or list(kb.structures[:2])
        structure = pool[rng.randrange(len(pool))]
        why = f"A well-worn {wanted} form to start from: {structure.why}"
        ids = (structure.id, *(m.id for m in reading.moods))
    sections = tuple(
        {"name": s.name, "bars": s.bars, "energy": s.energy} for s in structure.sections
    )
    return StructureChoice(structure.id, structure.name, sections, why, ids)


def suggest(
    mood_text: str | None = None,
    genre: str | None = None,
    key: str | Key | None = None,
    tempo: float | str | None = None,
    meter: str | None = None,
    seed: int = 0,
    kb: Knowledge | None = None,
) -> Suggestions:
    """Keys, tempo, meter, progressions and a structure for what the user described."""
    # The user's own values first: a typo fails fast, before any knowledge is loaded.
    given_key = key if isinstance(key, Key) else theory.parse_key(key) if key else None
    given_tempo = parse_tempo(tempo) if tempo is not None else None
    given_meter = parse_meter(meter) if meter else None
    kb = kb or knowledge()
    rng = random.Random(seed)
    reading = read_mood_text(mood_text, kb) if mood_text else MoodReading()
    notes: list[str] = []
    if mood_text and not reading.moods and not reading.genre:
        examples = ", ".join(m.name for m in kb.moods[:8])
        bad = reading.unknown_words[0] if reading.unknown_words else mood_text
        raise BadInput(f"no mood I know in {bad!r}: try words like {examples}")
    if reading.unknown_words:
        notes.append("Not understood (ignored): " + ", ".join(reading.unknown_words))
    the_genre = find_genre(genre, kb) if genre else reading.genre

    if given_key:
        keys = [
            KeyChoice(given_key.tonic, given_key.mode, given_key.name, 1.0,
                      f"{given_key.name}: the key you chose.", ())
        ]
    else:
        keys = suggest_keys(reading, the_genre, rng)
    top_key = Key(tonic=keys[0].tonic, mode=keys[0].mode)
    tempo_choice = suggest_tempo(reading, the_genre, rng, given_tempo)
    if given_meter:
        meter_value, meter_why = given_meter, f"{given_meter}: the meter you chose."
    else:
        meter_value, meter_why = suggest_meter(reading, the_genre)
    progressions = suggest_progressions(reading, the_genre, top_key, rng, kb)
    structure = suggest_structure(reading, the_genre, rng, kb)
    return Suggestions(
        moods=tuple(m.name for m in reading.moods),
        genre=the_genre.name if the_genre else None,
        keys=tuple(keys),
        tempo=tempo_choice,
        meter=meter_value,
        meter_why=meter_why,
        progressions=tuple(progressions),
        structure=structure,
        seed=seed,
        notes=tuple(notes),
        unknown_words=reading.unknown_words,
    )


def instruments_for(genre: Genre | None, moods: tuple[Mood, ...], kb: Knowledge) -> list[Instrument]:
    """The song's line-up: the genre's, else the moods' hints, always with chords, bass, drums."""
    ids: list[str] = list(genre.instruments) if genre else []
    if not ids:
        for mood in moods:
            ids += [i for i in mood.instruments if i not in ids]
    line_up = [e for e in (kb.instrument(i) for i in ids) if e is not None]
    roles = {inst.role for inst in line_up}
    for role, fallback in (("chords", "piano"), ("bass", "bass"), ("drums", "drums")):
        if role not in roles and not (role == "chords" and "pad" in roles):
            found = kb.instrument(fallback) or next(
                (i for i in kb.instruments if i.role == role), None
            )
            if found:
                line_up.append(found)
    return [Instrument(name=i.name, role=i.role, program=i.program) for i in line_up]


def song_from_options(
    mood: str | None = None,
    genre: str | None = None,
    key: str | Key | None = None,
    tempo: float | str | None = None,
    meter: str | None = None,
    seed: int = 0,
    kb: Knowledge | None = None,
) -> Song:
    """A complete Song sheet from the top suggestion for these options."""
    kb = kb or knowledge()
    found = suggest(mood, genre, key, tempo, meter, seed, kb)
    top_key = found.keys[0]
    progression = list(found.progressions[0].numerals) if found.progressions else ["I", "V", "vi", "IV"]
    the_genre = kb.find_genre(found.genre) if found.genre else None
    moods = tuple(m for m in (kb.find_mood(n) for n in found.moods) if m is not None)
    sections = [
        Section(name=str(s["name"]), bars=int(str(s["bars"])), energy=int(str(s["energy"])))
        for s in found.structure.sections
    ]
    return Song(
        title=(mood or found.genre or "Sketch").strip().capitalize()[:60],
        mood_text=mood or "",
        moods=list(found.moods),
        genre=found.genre,
        key=Key(tonic=top_key.tonic, mode=top_key.mode),
        tempo=found.tempo.bpm,
        meter=found.meter,
        progression=progression,
        structure=found.structure.id,
        sections=sections,
        instrumentation=instruments_for(the_genre, moods, kb),
    )


def parse_mood_text(text: str, kb: Knowledge | None = None) -> tuple[list[Mood], list[str]]:
    """The moods found in `text` and the words that meant nothing to the coach."""
    reading = read_mood_text(text, kb)
    return list(reading.moods), list(reading.unknown_words)
