"""Next-chord suggestions: corpus n-grams, theory rules and the song's own history, blended.

The model ranks the 48 chord classes (12 roots x major/minor/diminished/augmented, as Roman
numerals relative to the tonic) as the next *change* of chord. Each candidate gets features:

- `ngram`: log-probability from chord n-grams counted in real songs (Billboard, POP909;
  `knowledge/next_chord.json`), conditioned on up to two previous chords (the order was
  chosen by cross-validation), the mode family (major-like or minor-like) and, when the
  genre matches a corpus, weighted toward it;
  interpolated absolute discounting backs off to shorter contexts;
- `rule`: log-probability from the hand-written theory rules (the knowledge base's `[[move]]`
  collection, shipped in `knowledge/chord_moves.toml`) on top of the mode's scale;
- the song's own history: how recently the chord was played, what followed the longest
  earlier match of the progression's end (a copy model: songs repeat their sections), what
  followed the current chord before, and whether a repeating loop is due to end.

A log-linear model (weights fitted by `tools/build_next_chord.py` on held-out folds) turns the
features into probabilities, with one weight set for short histories (up to 4 chords), one for
5-24 chords and one for longer ones. Everything is relative to the tonic, so transposing a song changes nothing.
Pure Python: `coach next-chord` never imports numpy or music21.
"""

from __future__ import annotations

import marshal
import math
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant import paths
from assistant.composition.chords import (
    ALL_CLASSES,
    INDEX,
    MINOR_FAMILY,
    ChordClass,
    class_numeral,
    display_numeral,
    parse_chord,
    symbol_of,
)
from assistant.composition.moves import Move, diatonic, explain, load_moves, norm_genre, rule_prior
from assistant.errors import BadInput, KnowledgeError
from assistant.kb.files import read_cache, read_json, write_cache
from assistant.keys import Key

MODEL_FILE = "next_chord.json"
FORMAT = 1
N = len(ALL_CLASSES)
SHORT_HISTORY = 4
LONG_HISTORY = 24
WEIGHT_SETS = ("short", "mid", "long")


def weight_set(length: int) -> str:
    """Which weights rank after a history of `length` chords: the more of the song there
    is, the more its own repetitions can be trusted."""
    if length <= SHORT_HISTORY:
        return "short"
    return "mid" if length <= LONG_HISTORY else "long"

_MATCH_BUCKETS = (1, 2, 3, 4, 6, 8, 12, 16, 24)
FEATURES: tuple[str, ...] = (
    "ngram", "rule",
    "recent_2", "recent_3", "recent_4", "recent_5_8", "recent_9_16", "recent_far",
    "song_share",
    *(f"match_{b}" for b in _MATCH_BUCKETS),
    "is_longest", "longest_recent", "match_ratio", "near_share",
    "longest_recent_long", "is_longest_long", "near_share_long",
    "after_1", "after_2", "after_3", "after_4", "last_after", "log_after_count",
    "loop_next", "loop_repeats", "loop_exit_same", "loop_before_exit", "loop_exit_due",
    "loop_overdue",
    "adapted_1", "adapted_2", "adapted_3", "adapted_4", "adapted_6",
    "ngram_2", "ngram_3", "ngram_billboard", "ngram_pop909",
)
F_INDEX = {name: i for i, name in enumerate(FEATURES)}
_NUMERAL_INDEX = {class_numeral(c): i for i, c in enumerate(ALL_CLASSES)}


@dataclass(frozen=True)
class Suggestion:
    symbol: str
    numeral: str
    probability: float
    why: str
    rule_ids: tuple[str, ...] = ()
    """The knowledge base's `[[move]]` rules behind the why (none when it comes from the
    reference songs' statistics or the song's own history)."""

    def as_dict(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "numeral": self.numeral,
                "probability": self.probability, "why": self.why,
                "rule_ids": list(self.rule_ids)}


@dataclass
class Ranked:
    chord: ChordClass
    probability: float
    features: list[float]
    """This candidate's feature values, FEATURES order."""


def family(mode: str) -> str:
    return "minor" if mode in MINOR_FAMILY else "major"


@dataclass(frozen=True)
class GenreChoice:
    """What a typed genre means to the model."""

    name: str | None = None
    """The knowledge base's genre name (move rules with `genres` match it)."""
    corpus: str | None = None
    """The reference corpus whose counts the genre boosts."""


NO_GENRE = GenreChoice()


class NextChordModel:
    """The counts and weights of `knowledge/next_chord.json`, plus the rules, ready to rank."""

    def __init__(self, data: dict[str, Any], moves: tuple[Move, ...] | None = None) -> None:
        if data.get("format") != FORMAT:
            raise KnowledgeError(MODEL_FILE, None, "format",
                                 f"expected format {FORMAT}, found {data.get('format')!r}: "
                                 "rebuild it with tools/build_next_chord.py")
        self.data = data
        self.counts: dict[str, dict[str, dict[str, dict[str, float]]]] = data["counts"]
        params = data.get("params", {})
        self.order = int(params.get("order", 3))
        self.discount = float(params.get("discount", 0.9))
        self.other_family = float(params.get("other_family_weight", 0.2))
        self.genre_boost = float(params.get("genre_boost", 3.0))
        weights = data.get("weights", {})
        self.weights: dict[str, list[float]] = {
            name: [float(w) for w in weights.get(name, [])] for name in WEIGHT_SETS
        }
        for name, vector in self.weights.items():
            if vector and len(vector) != len(FEATURES):
                raise KnowledgeError(MODEL_FILE, None, f"weights.{name}",
                                     f"has {len(vector)} weights for {len(FEATURES)} features: "
                                     "rebuild it with tools/build_next_chord.py")
        self.styles: dict[str, list[str]] = {
            corpus: [str(a) for a in info.get("aliases", [])]
            for corpus, info in data.get("genres", {}).items()
        }
        """Per corpus, the genre words that name its style, as written."""
        self.genres: dict[str, list[str]] = {
            corpus: [norm_genre(a) for a in aliases] for corpus, aliases in self.styles.items()
        }
        self._moves = moves

    @property
    def moves(self) -> tuple[Move, ...]:
        """The move rules given at construction, else the knowledge base's (its own cache)."""
        return load_moves() if self._moves is None else self._moves

    # ------------------------------------------------------------------ corpus n-grams

    def corpus_weights(self, corpus: str | None) -> dict[str, float]:
        """Each corpus counts once; the corpus of the song's genre, when known, is boosted."""
        weights = {name: 1.0 for name in self.counts}
        if corpus in weights:
            weights[corpus] = self.genre_boost
        return weights

    def genre_corpus(self, genre: str | None) -> str | None:
        """The corpus whose style list holds this genre word, if any."""
        if not genre:
            return None
        wanted = norm_genre(genre)
        for corpus, aliases in self.genres.items():
            if wanted in aliases:
                return corpus
        return None

    def resolve_genre(self, genre: str | None, strict: bool = False) -> GenreChoice:
        """A typed genre -> its knowledge-base name and reference corpus. The corpus styles
        (`rock`, `c-pop`, `mandopop`...) and every genre name or alias of the knowledge base
        are accepted; anything else is a BadInput naming the accepted genres when `strict`,
        else no genre at all."""
        if genre is None or not genre.strip():
            return NO_GENRE
        from assistant.kb.loader import knowledge

        kb = knowledge()
        found = kb.find_genre(genre)
        name = found.name if found is not None else None
        corpus = self.genre_corpus(genre) or (self.genre_corpus(name) if name else None)
        if name is None and corpus is None:
            if strict:
                raise BadInput(f"unknown genre {genre.strip()!r}: use one of "
                               f"{', '.join(self.genre_names(kb))}")
            return NO_GENRE
        return GenreChoice(name, corpus)

    def genre_names(self, kb: Any) -> list[str]:
        """The genres --genre accepts, shortest list: knowledge-base names, then the corpus
        styles they do not already cover."""
        names = [g.name for g in kb.genres]
        extra = [a for aliases in self.styles.values() for a in aliases
                 if kb.find_genre(a) is None]
        return names + list(dict.fromkeys(extra))

    def _merged(self, context: str, fam: str, weights: dict[str, float]) -> dict[str, float]:
        out: dict[str, float] = {}
        for corpus, by_family in self.counts.items():
            cw = weights.get(corpus, 1.0)
            if not cw:
                continue
            for name, table in by_family.items():
                row = table.get(context)
                if not row:
                    continue
                w = cw * (1.0 if name == fam else self.other_family)
                for numeral, count in row.items():
                    out[numeral] = out.get(numeral, 0.0) + w * count
        return out

    def ngram_probs(self, history: Sequence[ChordClass], mode: str,
                    genre: GenreChoice = NO_GENRE, order: int | None = None,
                    only: str | None = None) -> list[float]:
        """P(next class | up to order-1 previous chords), interpolated absolute discounting.
        `order` caps the context below the model's; `only` counts one corpus alone."""
        fam = family(mode)
        weights = self.corpus_weights(genre.corpus)
        if only is not None:
            weights = {name: (1.0 if name == only else 0.0) for name in weights}
        order = min(order or self.order, self.order)
        probs = [1.0 / N] * N
        numerals = [class_numeral(c) for c in history[-(order - 1):]] if history else []
        for n in range(0, order):
            if n > len(numerals):
                break
            context = " ".join(numerals[len(numerals) - n:]) if n else ""
            row = self._merged(context, fam, weights)
            total = sum(row.values())
            if total <= 0:
                continue
            d = self.discount
            backoff = min(1.0, d * len(row) / total)
            new = [backoff * p for p in probs]
            for numeral, count in row.items():
                index = _NUMERAL_INDEX.get(numeral)
                if index is not None:
                    new[index] += max(count - d, 0.0) / total
            norm = sum(new)
            probs = [p / norm for p in new]
        return probs

    def move_share(self, previous: ChordClass, target: ChordClass,
                   mode: str) -> tuple[float, float]:
        """(share of moves from `previous` that went to `target`, number of such moves) in
        the corpora, for the mode family."""
        row = self._merged(class_numeral(previous), family(mode), self.corpus_weights(None))
        total = sum(row.values())
        count = row.get(class_numeral(target), 0.0)
        return (count / total if total else 0.0), count

    # ------------------------------------------------------------------ features

    def features(self, history: Sequence[ChordClass], mode: str,
                 genre: GenreChoice = NO_GENRE) -> list[list[float]]:
        """Feature rows (FEATURES order), each a value per class (ALL_CLASSES order)."""
        hist = list(history)
        rows = [[0.0] * N for _ in FEATURES]
        ngram = self.ngram_probs(hist, mode, genre)
        rows[F_INDEX["ngram"]] = [math.log(max(p, 1e-12)) for p in ngram]
        # the same counts seen through shorter contexts and one corpus at a time: the fitted
        # weights decide how far to trust each (more data made longer contexts worth it)
        for name, order, only in (("ngram_2", 2, None), ("ngram_3", 3, None),
                                  ("ngram_billboard", None, "billboard"),
                                  ("ngram_pop909", None, "pop909")):
            if only is not None and only not in self.counts:
                continue
            probs = self.ngram_probs(hist, mode, genre, order=order, only=only)
            rows[F_INDEX[name]] = [math.log(max(p, 1e-12)) for p in probs]
        prior = rule_prior(hist, mode, genre.name, self.moves)
        rows[F_INDEX["rule"]] = [math.log(max(p, 1e-12)) for p in prior]
        _history_features(hist, rows)
        _adapted(hist, ngram, rows)
        return rows

    def rank(self, history: Sequence[ChordClass], mode: str,
             genre: GenreChoice = NO_GENRE) -> list[Ranked]:
        """Every class except the current chord, most probable first."""
        if not history:
            raise BadInput("give at least one chord: the progression so far, oldest first")
        rows = self.features(history, mode, genre)
        weights = self.weights[weight_set(len(history))]
        if not weights:
            weights = [1.0 if name == "ngram" else 0.0 for name in FEATURES]
        current = INDEX[history[-1]]
        scores = []
        for c in range(N):
            if c == current:
                continue
            scores.append((sum(w * rows[f][c] for f, w in enumerate(weights) if w), c))
        top = max(s for s, _ in scores)
        exps = [(math.exp(s - top), c) for s, c in scores]
        total = sum(e for e, _ in exps)
        ranked = [
            Ranked(ALL_CLASSES[c], e / total, [rows[f][c] for f in range(len(FEATURES))])
            for e, c in exps
        ]
        ranked.sort(key=lambda r: (-r.probability, INDEX[r.chord]))
        return ranked


# ---------------------------------------------------------------------- history features


def _bucket(value: int, edges: Sequence[int]) -> int:
    out = 0
    for i, edge in enumerate(edges):
        if value >= edge:
            out = i
    return out


def _run_length(h: Sequence[ChordClass], end: int, period: int) -> int:
    """How many positions ending at `end` repeat the chord `period` places before."""
    m = 0
    while end - m - period >= 0 and h[end - m] == h[end - m - period]:
        m += 1
    return m


def _history_features(h: list[ChordClass], rows: list[list[float]]) -> None:
    t = len(h) - 1
    n = len(h)
    # how long ago each chord was last played (1 = the current chord)
    last_seen: dict[int, int] = {}
    share = [0.0] * N
    for j, chord in enumerate(h):
        last_seen[INDEX[chord]] = t - j + 1
        share[INDEX[chord]] += 1.0 / n
    rows[F_INDEX["song_share"]] = share
    for c, distance in last_seen.items():
        if distance <= 1:
            continue
        name = {2: "recent_2", 3: "recent_3", 4: "recent_4"}.get(
            distance, "recent_5_8" if distance <= 8 else "recent_9_16" if distance <= 16
            else "recent_far")
        rows[F_INDEX[name]][c] = 1.0

    # the copy model: every earlier position whose progression ends like ours now
    matches: list[tuple[int, int, int]] = []  # (match length, position, class that followed)
    longest = 0
    for j in range(t - 1, -1, -1):
        k = 0
        while k <= j and h[j - k] == h[t - k]:
            k += 1
        if k:
            matches.append((k, j, INDEX[h[j + 1]]))
            longest = max(longest, k)
    best = [0] * N
    for k, _j, c in matches:
        best[c] = max(best[c], k)
    long = longest >= 8
    for c in range(N):
        if best[c]:
            rows[F_INDEX[f"match_{_MATCH_BUCKETS[_bucket(best[c], _MATCH_BUCKETS)]}"]][c] = 1.0
            rows[F_INDEX["match_ratio"]][c] = best[c] / longest
            if best[c] == longest:
                rows[F_INDEX["is_longest"]][c] = 1.0
                rows[F_INDEX["is_longest_long"]][c] = 1.0 if long else 0.0
    for k, _j, c in matches:  # matches run from the most recent position backwards
        if k == longest:
            rows[F_INDEX["longest_recent"]][c] = 1.0
            rows[F_INDEX["longest_recent_long"]][c] = 1.0 if long else 0.0
            break
    near = [c for k, _j, c in matches if k >= max(1, longest // 2)]
    for c in near:
        rows[F_INDEX["near_share"]][c] += 1.0 / len(near)
        if long:
            rows[F_INDEX["near_share_long"]][c] += 1.0 / len(near)
    # what followed the last k chords, as a share, for k = 1..4
    for k in range(1, 5):
        followers = [c for length, _j, c in matches if length >= k]
        row = rows[F_INDEX[f"after_{k}"]]
        for c in followers:
            row[c] += 1.0 / len(followers)
    after_current = [c for _k, _j, c in matches]  # k >= 1: positions on the current chord
    if after_current:
        rows[F_INDEX["last_after"]][after_current[0]] = 1.0
        counts: dict[int, int] = {}
        for c in after_current:
            counts[c] = counts.get(c, 0) + 1
        for c, count in counts.items():
            rows[F_INDEX["log_after_count"]][c] = math.log1p(count)
    _loop_features(h, rows)


ADAPT_PRIOR = 2.0


def _adapted(h: list[ChordClass], corpus: list[float], rows: list[list[float]]) -> None:
    """The corpus distribution updated with what followed the last k chords in this song:
    (song count + prior * corpus probability) / (song total + prior), as log-probabilities."""
    t = len(h) - 1
    for k in (1, 2, 3, 4, 6):
        counts = [0.0] * N
        total = 0.0
        if t >= k:
            suffix = h[t - k + 1:]
            for j in range(k - 1, t):
                if h[j - k + 1: j + 1] == suffix:
                    counts[INDEX[h[j + 1]]] += 1
                    total += 1
        rows[F_INDEX[f"adapted_{k}"]] = [
            math.log((counts[c] + ADAPT_PRIOR * corpus[c]) / (total + ADAPT_PRIOR) + 1e-12)
            for c in range(N)
        ]


def _loop_features(h: list[ChordClass], rows: list[list[float]]) -> None:
    """A loop (a period of 2-8 chords repeated at least once) either goes round again or
    exits; earlier runs of the same loop in the song tell how long it usually lasts."""
    t = len(h) - 1
    for period in range(2, 9):
        run = _run_length(h, t, period)
        if run >= period:
            break
    else:
        return
    going_on = INDEX[h[t - period + 1]]
    rows[F_INDEX["loop_next"]][going_on] = 1.0
    rows[F_INDEX["loop_repeats"]][going_on] = min(run / period, 4.0)
    exits: list[tuple[int, int]] = []
    for u in range(t - run - 1, period - 1, -1):
        if u + 1 <= t and all(h[u - i] == h[t - i] for i in range(period)) and (
            h[u + 1] != h[u + 1 - period]
        ):
            exits.append((_run_length(h, u, period), INDEX[h[u + 1]]))
    if not exits:
        return
    for length, c in exits:
        if length == run:
            rows[F_INDEX["loop_exit_same"]][c] = 1.0
    if run < min(length for length, _ in exits):
        rows[F_INDEX["loop_before_exit"]][going_on] = 1.0
    if run >= max(length for length, _ in exits):
        for _length, c in exits:
            rows[F_INDEX["loop_exit_due"]][c] = 1.0
        rows[F_INDEX["loop_overdue"]][going_on] = 1.0


# ---------------------------------------------------------------------- loading


def default_path() -> Path:
    return paths.shipped_knowledge_dir() / MODEL_FILE


CACHE_FORMAT = 1


def _cache_file(path: Path) -> Path:
    return paths.cache_dir() / f"{path.stem}.marshal"


def _cache_stamp(path: Path) -> str:
    import sys

    stat = path.stat()
    return (f"coach-next-chord {CACHE_FORMAT} {path.resolve()} {stat.st_size} "
            f"{stat.st_mtime_ns} {sys.version}")


def _read_cached(path: Path) -> dict[str, Any] | None:
    """The parsed model from the cache folder, if it was written from this very file by this
    Python: the order-4 counts (26k cells) take ~13 ms to parse as JSON, ~6 ms from marshal
    (CPython's own format for plain data)."""
    def decode(blob: bytes) -> dict[str, Any] | None:
        data = marshal.loads(blob)
        return data if isinstance(data, dict) else None

    try:
        stamp = _cache_stamp(path)
    except OSError:  # no model file: _load names the problem
        return None
    return read_cache(_cache_file(path), stamp, decode)


@lru_cache(maxsize=2)
def _load(path_text: str) -> NextChordModel:
    path = Path(path_text)
    cached = _read_cached(path)
    if cached is not None:
        return NextChordModel(cached)
    data = read_json(path)
    if not isinstance(data, dict) or "counts" not in data:
        raise KnowledgeError(path.name, None, "counts", "missing: not a next-chord model")
    model = NextChordModel(data)  # checked before the cache keeps it
    with suppress(OSError):  # the file gone since: the cache only costs time
        write_cache(_cache_file(path), _cache_stamp(path), marshal.dumps(data))
    return model


def load_model(path: Path | None = None) -> NextChordModel:
    """The shipped model (read once per process)."""
    return _load(str(path or default_path()))


# ---------------------------------------------------------------------- the public API


def parse_progression(chords: Sequence[str], key: Key) -> list[ChordClass]:
    """Typed chords (symbols or numerals; a single string may hold several, space or
    dash separated) -> classes relative to `key`. Raises BadInput naming a bad token."""
    tokens: list[str] = []
    for item in chords:
        tokens.extend(item.replace(",", " ").replace("–", " ").replace(" - ", " ").split())
    if not tokens:
        raise BadInput("no chords given: type the progression so far, like \"Am F\" or \"vi IV\"")
    return [parse_chord(token, key) for token in tokens]


def next_chords(
    history: Sequence[str],
    key: Key,
    genre: str | None = None,
    top: int = 5,
    *,
    model: NextChordModel | None = None,
) -> list[Suggestion]:
    """The `top` most likely next chords after `history` (oldest first, symbols or numerals,
    all of it context), in `key`; probabilities are each chord's share of the whole
    distribution (they sum to at most 1), most probable first, each with its `why`."""
    if top < 1:
        raise BadInput(f"--top must be at least 1, not {top}")
    classes = parse_progression(history, key)
    return suggest_classes(classes, key, genre, top, model=model)


def suggest_classes(
    classes: Sequence[ChordClass],
    key: Key,
    genre: str | None = None,
    top: int = 5,
    *,
    model: NextChordModel | None = None,
) -> list[Suggestion]:
    """As next_chords, for a progression already parsed into classes."""
    model = model or load_model()
    choice = model.resolve_genre(genre)
    # Repeating the current chord is not a change: the model ranks the next *change*.
    hist = [c for i, c in enumerate(classes) if i == 0 or c != classes[i - 1]]
    ranked = model.rank(hist, key.mode, choice)[:top]
    minor = key.mode in MINOR_FAMILY
    moves = model.moves  # once: each look-up checks the knowledge files' stamp
    out = []
    for item in ranked:
        probability = math.floor(item.probability * 1000) / 1000  # rounding down keeps sum <= 1
        why, rule_ids = _why(model, moves, hist, item, key, choice)
        out.append(Suggestion(
            symbol=symbol_of(item.chord, key, minor),
            numeral=_display(item.chord, key),
            probability=probability,
            why=why,
            rule_ids=rule_ids,
        ))
    return out


def _display(chord: ChordClass, key: Key) -> str:
    if key.mode == "lydian" and chord == ChordClass(2, "maj"):
        return "II"  # diatonic in Lydian, not an applied dominant
    return display_numeral(chord, key.mode in MINOR_FAMILY)


def _why(model: NextChordModel, moves: tuple[Move, ...], hist: list[ChordClass], item: Ranked,
         key: Key, genre: GenreChoice) -> tuple[str, tuple[str, ...]]:
    """At most two reasons, and the ids of the rules they come from: the theory rule for the
    move (or, without one, how often the reference songs make it), the song's own history
    when it backs the chord, and the colour of a chord from outside the key."""
    move, colour = explain(hist, item.chord, key.mode, genre.name, moves)
    current, target = _display(hist[-1], key), _display(item.chord, key)
    # (reason, the id of the rule it comes from, if one does)
    theory: tuple[str, str | None] = (move.rule.why, move.rule.id) if move else ("", None)
    if move is None:
        share, count = model.move_share(hist[-1], item.chord, key.mode)
        if count >= 1 and share >= 0.01:
            theory = (f"{current} → {target}: {share:.0%} of the moves from {current} "
                      "in the reference songs", None)
    history = (_history_reason(hist, item, key), None)
    # a repeat of the song's own progression matters more than corpus statistics
    reasons = [history, theory] if move is None and history[0] else [theory, history]
    reasons = [r for r in reasons if r[0]]
    if colour is not None and len(reasons) < 2 and item.chord not in diatonic(key.mode):
        reasons.append((colour.rule.why, colour.rule.id))
    if not reasons:
        reasons.append((colour.rule.why, colour.rule.id) if colour is not None
                       else (f"{current} → {target}: a rarer move, for colour", None))
    shown = reasons[:2]
    return "; ".join(text for text, _ in shown), tuple(i for _, i in shown if i)


def _history_reason(hist: list[ChordClass], item: Ranked, key: Key) -> str:
    f = item.features
    t = len(hist) - 1
    if f[F_INDEX["loop_next"]] and f[F_INDEX["loop_repeats"]] >= 1:
        return "keeps your loop going"
    if f[F_INDEX["longest_recent"]] and f[F_INDEX["match_ratio"]] >= 1:
        # the longest earlier match of the progression's end
        for j in range(t - 1, -1, -1):
            k = 0
            while k <= j and hist[j - k] == hist[t - k]:
                k += 1
            if k and hist[j + 1] == item.chord:
                shown = [_display(c, key) for c in hist[t - min(k, 4) + 1:]]
                if k >= 2:
                    return f"repeats your progression: {' '.join(shown)} went to " \
                           f"{_display(item.chord, key)} before"
                break
    if f[F_INDEX["log_after_count"]]:
        return f"you played {_display(hist[-1], key)} → {_display(item.chord, key)} before"
    return ""
