"""Load and validate the knowledge base: shipped files, then the user's own, later ids win.

Errors name the file, the entry id and the field (`KnowledgeError`), so a typo in a
user's rule file is one clear line, not a traceback.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from assistant import paths
from assistant.errors import KnowledgeError
from assistant.kb.files import (
    MAX_FILE_BYTES,
    check_file,
    default_dirs,
    knowledge_files,
    knowledge_stamp,
    read_cache,
    write_cache,
)
from assistant.kb.files import fingerprint as fingerprint  # re-exported for kb.index
from assistant.kb.schema import (
    COLLECTIONS,
    AdviceRule,
    Entry,
    Genre,
    GlossaryTerm,
    Instrument,
    Mood,
    Progression,
    Reference,
    SpectralCurve,
    Stage,
    Structure,
    Target,
    Theme,
    Tip,
)
from assistant.kb.style_schema import STYLE_COLLECTIONS, Groove, Style, check_styles

# The groove vocabulary (`[[groove]]`, `[[style]]`) subclasses `Entry`, so its models live in
# their own module; registering them here keeps `schema` free of an import cycle.
COLLECTIONS.update(STYLE_COLLECTIONS)

E = TypeVar("E", bound=Entry)

# Collections whose facts come from outside: their entries must say where from.
NEEDS_SOURCE = ("genre", "target", "curve", "reference")


def _norm(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").replace("-", " ").split())


@dataclass(frozen=True, eq=False)  # identity equality and hash: entries are immutable
class Knowledge:
    """The validated knowledge base: entries by collection, in load order, with their files."""

    entries: dict[str, dict[str, Entry]]
    origin: dict[str, Path] = field(default_factory=dict)
    """Entry id -> the file it was (last) loaded from."""
    files: tuple[Path, ...] = ()

    def _all(self, collection: str, kind: type[E]) -> tuple[E, ...]:
        return tuple(e for e in self.entries.get(collection, {}).values() if isinstance(e, kind))

    @property
    def moods(self) -> tuple[Mood, ...]:
        return self._all("mood", Mood)

    @property
    def genres(self) -> tuple[Genre, ...]:
        return self._all("genre", Genre)

    @property
    def progressions(self) -> tuple[Progression, ...]:
        return self._all("progression", Progression)

    @property
    def structures(self) -> tuple[Structure, ...]:
        return self._all("structure", Structure)

    @property
    def stages(self) -> tuple[Stage, ...]:
        return self._all("stage", Stage)

    @property
    def tips(self) -> tuple[Tip, ...]:
        return self._all("tip", Tip)

    @property
    def instruments(self) -> tuple[Instrument, ...]:
        return self._all("instrument", Instrument)

    @property
    def targets(self) -> tuple[Target, ...]:
        return self._all("target", Target)

    @property
    def curves(self) -> tuple[SpectralCurve, ...]:
        return self._all("curve", SpectralCurve)

    @property
    def rules(self) -> tuple[AdviceRule, ...]:
        return self._all("rule", AdviceRule)

    @property
    def themes(self) -> tuple[Theme, ...]:
        return self._all("theme", Theme)

    @property
    def glossary(self) -> tuple[GlossaryTerm, ...]:
        return self._all("term", GlossaryTerm)

    def find_term(self, text: str) -> GlossaryTerm | None:
        """The glossary term `text` names: its display name, id or one of its aliases."""
        return _lookup(self._term_words, text)

    @cached_property
    def _term_words(self) -> dict[str, GlossaryTerm]:
        return _word_table(self.glossary, lambda t: (t.term, t.id.split(".", 1)[1], *t.aliases))

    @property
    def styles(self) -> tuple[Style, ...]:
        return self._all("style", Style)

    @property
    def grooves(self) -> tuple[Groove, ...]:
        return self._all("groove", Groove)

    def get(self, entry_id: str) -> Entry:
        for table in self.entries.values():
            if entry_id in table:
                return table[entry_id]
        raise KeyError(entry_id)

    def counts(self) -> dict[str, int]:
        return {name: len(self.entries.get(name, {})) for name in COLLECTIONS}

    # --- look-ups by the words people use ---
    def find_genre(self, text: str) -> Genre | None:
        return _lookup(self._genre_words, text)

    def find_mood(self, text: str) -> Mood | None:
        return _lookup(self._mood_words, text)

    def find_target(self, name: str) -> Target | None:
        return _lookup(self._target_words, name)

    def stage(self, name: str) -> Stage:
        for stage in self.stages:
            if stage.stage == name:
                return stage
        raise KeyError(name)

    def instrument(self, name_or_id: str) -> Instrument | None:
        """By id, name, General MIDI name or alias ("rhodes", "Synths", "uke"), plural or not."""
        known = self.entries.get("instrument", {}).get(name_or_id.strip())
        if isinstance(known, Instrument):
            return known
        found = _lookup(self._instrument_words, name_or_id)
        if found is None:
            key = _norm(name_or_id)
            if _singular(key) != key:
                found = _lookup(self._instrument_words, _singular(key))
        return found

    def instrument_words(self) -> dict[str, Instrument]:
        """Every instrument word and phrase (normalised, simple plurals too) -> its instrument."""
        return self._instrument_words

    @cached_property
    def _instrument_words(self) -> dict[str, Instrument]:
        table: dict[str, Instrument] = {}
        insts = self.instruments
        passes = (
            lambda i: (i.name, i.id.split(".", 1)[1]),
            lambda i: (i.gm_name,) if i.gm_name else (),
            lambda i: i.aliases,
        )
        for words_of in passes:  # names win over General MIDI names, those over aliases
            for inst in insts:
                for word in words_of(inst):
                    for key in _variants(word):
                        table.setdefault(key, inst)
        for key, inst in list(table.items()):  # "synths", "pads", "congas"
            if key[-1:].isalnum() and not key.endswith("s"):  # "808s" too
                table.setdefault(key + "s", inst)
        return table

    @property
    def references(self) -> tuple[Reference, ...]:
        return self._all("reference", Reference)

    def reference_words(self) -> dict[str, Reference]:
        """Every artist and song name and alias (normalised) -> its reference."""
        return self._reference_words

    def find_reference(self, text: str) -> Reference | None:
        return _lookup(self._reference_words, _loose(text))

    @cached_property
    def _reference_words(self) -> dict[str, Reference]:
        table: dict[str, Reference] = {}
        for ref in self.references:
            for word in (ref.name, *ref.aliases):
                for key in _variants(word):
                    table.setdefault(key, ref)
        return table

    @cached_property
    def _genre_words(self) -> dict[str, Genre]:
        return _word_table(self.genres, lambda g: (g.name, g.id.split(".", 1)[1], *g.aliases))

    @cached_property
    def _mood_words(self) -> dict[str, Mood]:
        return _word_table(self.moods, lambda m: (m.name, m.id.split(".", 1)[1], *m.synonyms))

    @cached_property
    def _target_words(self) -> dict[str, Target]:
        return _word_table(self.targets, lambda t: (t.name, t.id.split(".", 1)[1]))

    def mood_words(self) -> dict[str, Mood]:
        """Every mood word and phrase (normalised) -> its mood."""
        return self._mood_words

    def genre_words(self) -> dict[str, Genre]:
        return self._genre_words


def _word_table(entries: Iterable[E], words_of) -> dict[str, E]:  # type: ignore[no-untyped-def]
    table: dict[str, E] = {}
    for entry in entries:
        for word in words_of(entry):
            table.setdefault(_norm(word), entry)
    return table


def _loose(text: str) -> str:
    """Normalised, without accents and the punctuation people drop ("Beyoncé" -> "beyonce",
    "Stayin' Alive" -> "stayin alive", "AC/DC" -> "ac dc")."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    for mark in "'’.!?":
        plain = plain.replace(mark, "")
    for mark in ",/&()":
        plain = plain.replace(mark, " ")
    return _norm(plain)


def _variants(word: str) -> tuple[str, ...]:
    """The keys a word is filed under: as written (normalised) and loosely."""
    return tuple(dict.fromkeys(k for k in (_norm(word), _loose(word)) if k))


def _singular(key: str) -> str:
    """"synths" -> "synth", "string pads" -> "string pad"; "bass", "brass" stay."""
    if len(key) > 3 and key.endswith("s") and not key.endswith(("ss", "us", "is")):
        return key[:-1]
    return key


def _lookup(table: dict[str, E], text: str) -> E | None:
    key = _norm(text)
    if key in table:
        return table[key]
    key = key.replace(" ", "")
    for word, entry in table.items():
        if word.replace(" ", "") == key:
            return entry
    return None


def _read_limited(path: Path) -> str:
    """The file's text, reading at most MAX_FILE_BYTES + 1 (it may have grown since)."""
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise KnowledgeError(str(path), None, None,
                             f"a knowledge file may hold at most {MAX_FILE_BYTES >> 20} MB")
    return data.decode("utf-8")


def _field_of(error: ValidationError) -> tuple[str, str]:
    first = error.errors()[0]
    loc = ".".join(str(part) for part in first["loc"]) or None
    return loc or "", first["msg"]


def _load_file(path: Path, into: dict[str, dict[str, Entry]], origin: dict[str, Path]) -> None:
    name = str(path)
    try:
        data = tomllib.loads(_read_limited(check_file(path)))
    except tomllib.TOMLDecodeError as error:
        raise KnowledgeError(name, None, None, f"not valid TOML: {error}") from None
    except RecursionError:
        raise KnowledgeError(name, None, None, "not valid knowledge: tables or arrays nested "
                             "too deeply") from None
    except (OSError, UnicodeDecodeError) as error:
        raise KnowledgeError(name, None, None, f"cannot read it: {error}") from None
    for table, items in data.items():
        if table == "meta":
            continue
        model = COLLECTIONS.get(table)
        if model is None:
            known = ", ".join(f"[[{n}]]" for n in COLLECTIONS)
            raise KnowledgeError(name, None, table, f"unknown table; use one of {known}")
        if not isinstance(items, list):
            raise KnowledgeError(name, None, table, f"write entries as [[{table}]] tables")
        for index, item in enumerate(items):
            entry_id = item.get("id") if isinstance(item, dict) else None
            label = str(entry_id) if entry_id else f"#{index + 1} of [[{table}]]"
            try:
                entry = model.model_validate(item)
            except ValidationError as error:
                where, problem = _field_of(error)
                raise KnowledgeError(name, label, where or None, problem) from None
            except RecursionError:
                raise KnowledgeError(name, label, None, "nested too deeply") from None
            if table in NEEDS_SOURCE and not entry.source.strip():
                raise KnowledgeError(name, entry.id, "source", "say where this fact comes from")
            if entry.id in into[table] and origin.get(entry.id) == path:
                raise KnowledgeError(name, entry.id, "id", "this id appears twice in the file")
            into[table][entry.id] = entry  # a later file overrides by id
            origin[entry.id] = path


def _check_references(kb: Knowledge) -> None:
    """Every id or name one entry refers to must exist."""
    ids = {c: set(t) for c, t in kb.entries.items()}
    mood_names = {_norm(m.name) for m in kb.moods}
    genre_names = {_norm(g.name) for g in kb.genres}

    def fail(entry: Entry, fld: str, ref: str, what: str) -> None:
        raise KnowledgeError(str(kb.origin[entry.id]), entry.id, fld, f"unknown {what} {ref!r}")

    for mood in kb.moods:
        for ref in mood.progressions:
            if ref not in ids["progression"]:
                fail(mood, "progressions", ref, "progression id")
        for ref in mood.instruments:
            if ref not in ids["instrument"]:
                fail(mood, "instruments", ref, "instrument id")
    for genre in kb.genres:
        for ref in genre.structures:
            if ref not in ids["structure"]:
                fail(genre, "structures", ref, "structure id")
        for ref in genre.progressions:
            if ref not in ids["progression"]:
                fail(genre, "progressions", ref, "progression id")
        for ref in genre.instruments:
            if ref not in ids["instrument"]:
                fail(genre, "instruments", ref, "instrument id")
        if genre.spectral_curve and genre.spectral_curve not in ids["curve"]:
            fail(genre, "spectral_curve", genre.spectral_curve, "curve id")
    for prog in kb.progressions:
        for ref in prog.moods:
            if _norm(ref) not in mood_names:
                fail(prog, "moods", ref, "mood name")
        for ref in prog.genres:
            if _norm(ref) not in genre_names:
                fail(prog, "genres", ref, "genre name")
    for move in kb.entries.get("move", {}).values():
        for ref in getattr(move, "genres", ()):
            if _norm(ref) not in genre_names:
                fail(move, "genres", ref, "genre name")
    _check_themes_and_glossary(kb)
    _check_instruments_and_references(kb)
    _check_numerals(kb)
    check_styles(kb.entries, kb.origin, genre_names | {_norm(a) for g in kb.genres for a in g.aliases})


def _check_instruments_and_references(kb: Knowledge) -> None:
    """An instrument alias leads to one instrument; a reference names a real genre, real moods
    and instruments, and none of its words leads to another reference."""

    def fail(entry: Entry, fld: str, problem: str) -> None:
        raise KnowledgeError(str(kb.origin[entry.id]), entry.id, fld, problem)

    owner: dict[str, Entry] = {}
    for inst in kb.instruments:  # names, id tails and General MIDI names first
        for word in (inst.name, inst.id.split(".", 1)[1], inst.gm_name):
            for key in _variants(word):
                owner.setdefault(key, inst)
    for inst in kb.instruments:
        for alias in inst.aliases:
            for key in _variants(alias):
                other = owner.setdefault(key, inst)
                if other is not inst:
                    fail(inst, "aliases", f"{alias!r} already names {other.id}")
    ids = {c: set(t) for c, t in kb.entries.items()}
    owner = {}
    for ref in kb.references:
        if ref.genre not in ids["genre"]:
            fail(ref, "genre", f"unknown genre id {ref.genre!r}")
        for fld, refs, what in (("moods", ref.moods, "mood"), ("instruments", ref.instruments,
                                                                "instrument")):
            for one in refs:
                if one not in ids[what]:
                    fail(ref, fld, f"unknown {what} id {one!r}")
        for word in dict.fromkeys((ref.name, *ref.aliases)):
            for key in _variants(word):
                other = owner.setdefault(key, ref)
                if other is not ref:
                    fld = "name" if word == ref.name else "aliases"
                    fail(ref, fld, f"{word!r} already names {other.id}")


def _check_themes_and_glossary(kb: Knowledge) -> None:
    """Themes name real moods and genres; glossary cross-references name real terms, and no
    word or alias leads to two terms."""

    def fail(entry: Entry, fld: str, problem: str) -> None:
        raise KnowledgeError(str(kb.origin[entry.id]), entry.id, fld, problem)

    moods, genres = kb.entries.get("mood", {}), kb.entries.get("genre", {})
    for theme in kb.themes:
        for fld, refs, known, what in (
            ("moods", theme.moods, moods, "mood id"),
            ("avoid_moods", theme.avoid_moods, moods, "mood id"),
            ("genres", theme.genres, genres, "genre id"),
        ):
            for ref in refs:
                if ref not in known:
                    fail(theme, fld, f"unknown {what} {ref!r}")
    terms = kb.entries.get("term", {})
    owner: dict[str, str] = {}
    for term in kb.glossary:
        for ref in term.see_also:
            if ref not in terms:
                fail(term, "see_also", f"unknown term id {ref!r}")
            if ref == term.id:
                fail(term, "see_also", "a term cannot see itself")
        for ref in term.differs_from:
            if ref not in terms:
                fail(term, "differs_from", f"unknown term id {ref!r}")
        for word in dict.fromkeys((term.term, term.id.split(".", 1)[1], *term.aliases)):
            key = _norm(word)
            if owner.setdefault(key, term.id) != term.id:
                fld = "aliases" if word in term.aliases else "term"
                fail(term, fld, f"{word!r} already names {owner[key]}")


def _check_numerals(kb: Knowledge) -> None:
    from assistant import theory
    from assistant.errors import BadInput

    for prog in kb.progressions:
        for numeral in prog.numerals:
            try:
                theory.parse_numeral(numeral)
            except BadInput as error:
                raise KnowledgeError(
                    str(kb.origin[prog.id]), prog.id, "numerals", str(error)
                ) from None
    for move in kb.entries.get("move", {}).values():  # chord moves: `after` and `to`
        for fld in ("after", "to"):
            value = getattr(move, fld)
            for numeral in (value,) if isinstance(value, str) else value:
                try:
                    theory.parse_numeral(numeral)
                except BadInput as error:
                    raise KnowledgeError(str(kb.origin[move.id]), move.id, fld, str(error)) from None


def load_knowledge(dirs: Sequence[Path] | None = None) -> Knowledge:
    """Load and validate every `*.toml` in `dirs` (default: `default_dirs()`), in order."""
    files = knowledge_files(list(dirs) if dirs is not None else default_dirs())
    if not files:
        where = ", ".join(str(d) for d in (dirs or default_dirs()))
        raise KnowledgeError(where, None, None, "no knowledge files (*.toml) found")
    entries: dict[str, dict[str, Entry]] = {name: {} for name in COLLECTIONS}
    origin: dict[str, Path] = {}
    for path in files:
        _load_file(path, entries, origin)
    kb = Knowledge(entries=entries, origin=origin, files=tuple(files))
    _check_references(kb)
    return kb


CACHE_FORMAT = 3  # 3: the stamp shared with the chord-move slice (kb.files)


def cache_path() -> Path:
    return paths.cache_dir() / "knowledge.pickle"


@cache
def _cached(key: tuple[tuple[str, float, int], ...]) -> Knowledge:
    """Parsing and validating every TOML file costs ~40 ms a process; a pickle of the result,
    kept while no file (and no line of the loader or schema) changes, loads in ~3 ms."""
    import pickle

    def decode(blob: bytes) -> Knowledge | None:
        kb = pickle.loads(blob)
        return kb if isinstance(kb, Knowledge) else None

    files = [Path(p) for p, _, _ in key]
    stamp = f"coach-knowledge {CACHE_FORMAT} {knowledge_stamp(files)}"
    kb = read_cache(cache_path(), stamp, decode)
    if kb is None:
        kb = load_knowledge(files)
        write_cache(cache_path(), stamp, pickle.dumps(kb, pickle.HIGHEST_PROTOCOL))
    return kb


def knowledge() -> Knowledge:
    """The default knowledge base, loaded once per process and reloaded if a file changes."""
    key = tuple(
        (str(f), f.stat().st_mtime, f.stat().st_size) for f in knowledge_files(default_dirs())
    )
    if not key:
        return load_knowledge()
    return _cached(key)
