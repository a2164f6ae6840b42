"""Building the next-chord model from songs: n-gram counts, then log-linear weights.

Used by `tools/build_next_chord.py` and `benchmarks/eval_next_chord.py` (never at run time;
numpy and scipy are imported inside the functions). The weights are fitted on held-out folds:
each training song's features come from counts that did not see that song, so the weights
learn how far to trust the corpus against the song's own history, as on a new song.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from assistant.composition.chords import INDEX, class_numeral
from assistant.composition.corpus import SongChords
from assistant.composition.moves import load_moves
from assistant.composition.nextchord import (
    FEATURES,
    FORMAT,
    WEIGHT_SETS,
    NextChordModel,
    weight_set,
)

DEFAULT_PARAMS: dict[str, float] = {
    "order": 4,
    "discount": 0.9,
    "other_family_weight": 0.2,
    "genre_boost": 3.0,
}
"""Selected by cross-validation on the training songs only (`benchmarks/eval_next_chord.py
--select`): with the full folders (10x the Billboard songs), contexts of up to three
previous chords beat two (with 170 songs, two were better)."""
GENRES: dict[str, dict[str, Any]] = {
    "billboard": {
        "style": "US chart pop, rock, soul and R&B, 1958-1991",
        "aliases": ["rock", "classic rock", "rock and roll", "rock & roll", "soul", "funk",
                    "r&b", "rnb", "motown", "disco", "blues", "country", "folk", "oldies",
                    "doo-wop", "gospel", "singer-songwriter", "americana"],
    },
    "pop909": {
        "style": "Chinese pop songs and ballads (piano arrangements)",
        "aliases": ["c-pop", "cpop", "mandopop", "cantopop", "chinese pop", "ballad",
                    "pop ballad", "k-pop", "j-pop", "anime", "asian pop"],
    },
}
L2 = 1e-3
FIT_SONGS = 10
"""Every FIT_SONGS-th POP909 song gives weight-fitting events (all of them give counts)."""
CORPUS_WEIGHT = {"billboard": 3.0, "pop909": 1.0}
"""Events from the expert-labelled songs count more when fitting the weights: POP909's
automatic labels flicker, which would teach the model to distrust the song's history."""


def count_ngrams(songs: Iterable[SongChords], order: int) -> dict[str, Any]:
    """{corpus: {family: {context: {next: count}}}}, contexts of 0..order-1 chords."""
    counts: dict[str, Any] = {}
    for song in songs:
        numerals = [class_numeral(c) for c in song.chords]
        for i, target in enumerate(numerals):
            fam = "minor" if song.minor[i] else "major"
            table = counts.setdefault(song.corpus, {}).setdefault(fam, {})
            for n in range(0, order):
                if i - n < 0:
                    break
                context = " ".join(numerals[i - n:i])
                row = table.setdefault(context, {})
                row[target] = row.get(target, 0) + 1
    return counts


def merge_counts(*tables: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for table in tables:
        for corpus, by_family in table.items():
            for fam, contexts in by_family.items():
                dest = out.setdefault(corpus, {}).setdefault(fam, {})
                for context, row in contexts.items():
                    drow = dest.setdefault(context, {})
                    for numeral, count in row.items():
                        drow[numeral] = drow.get(numeral, 0) + count
    return out


def model_from_counts(counts: dict[str, Any], params: dict[str, float] | None = None,
                      weights: dict[str, list[float]] | None = None) -> NextChordModel:
    data = {
        "format": FORMAT,
        "params": dict(params or DEFAULT_PARAMS),
        "genres": GENRES,
        "counts": counts,
        "weights": weights or {},
    }
    return NextChordModel(data, moves=load_moves())


Setting = str  # "whole" (the song so far) or "last3" (only the last three chords)


def history(song: SongChords, t: int, setting: Setting) -> list[Any]:
    return song.chords[: t + 1] if setting == "whole" else song.chords[max(0, t - 2): t + 1]


@dataclass
class Events:
    """Feature tensors for chord changes (numpy arrays)."""

    x: Any
    """(events, features, classes) feature values."""
    y: Any
    """Index of the chord that came next."""
    mask: Any
    """(events, classes): False on the current chord, which is never a change."""
    corpus: Any
    """Corpus name of each event's song."""
    length: Any
    """Number of chords in the history."""
    song: Any
    """Index of each event's song in the list of songs given."""
    setting: Any
    """"whole", "last3", or "both" (a change near the start: its last three chords are the
    whole song so far)."""
    fold: Any = None
    """Cross-validation fold of each event's song (fold_events sets it)."""
    position: Any = None
    """Index of the current chord in its song (the next chord is position + 1)."""

    FIELDS: ClassVar[tuple[str, ...]] = ("x", "y", "mask", "corpus", "length", "song", "setting",
                                         "fold", "position")

    def select(self, which: Any) -> Events:
        return Events(*(getattr(self, f)[which] for f in self.FIELDS))

    def in_setting(self, setting: Setting) -> Any:
        """Mask of the events a model is scored on in `setting`."""
        return (self.setting == setting) | (self.setting == "both")

    @staticmethod
    def concat(parts: Sequence[Events]) -> Events:
        import numpy as np

        return Events(*(np.concatenate([getattr(p, f) for p in parts]) for f in Events.FIELDS))


def events(
    songs: Sequence[SongChords],
    model: NextChordModel,
    settings: Sequence[Setting] = ("whole", "last3"),
    genre_of: Callable[[SongChords], str | None] | None = None,
) -> Events:
    """Every chord change of the songs in each setting. A last-3 history of a change near the
    start is the whole song so far: when both settings are asked for, it appears once."""
    import numpy as np

    xs, ys, masks, corpora, lengths, ids, kinds, places = [], [], [], [], [], [], [], []
    for number, song in enumerate(songs):
        genre = model.resolve_genre(genre_of(song) if genre_of else None)
        for t in range(len(song.chords) - 1):
            for setting in settings:
                if setting == "last3" and t < 3 and "whole" in settings:
                    continue
                ids.append(number)
                places.append(t)
                kinds.append("both" if t < 3 and len(settings) > 1 else setting)
                h = history(song, t, setting)
                rows = model.features(h, "minor" if song.minor[t] else "major", genre)
                xs.append(np.asarray(rows, dtype=np.float32))
                ys.append(INDEX[song.chords[t + 1]])
                mask = np.ones(len(INDEX), dtype=bool)
                mask[INDEX[h[-1]]] = False
                masks.append(mask)
                corpora.append(song.corpus)
                lengths.append(len(h))
    n_classes = len(INDEX)
    if not xs:
        return Events(np.zeros((0, len(FEATURES), n_classes), np.float32), np.zeros(0, int),
                      np.zeros((0, n_classes), bool), np.zeros(0, str), np.zeros(0, int),
                      np.zeros(0, int), np.zeros(0, str), np.zeros(0, int), np.zeros(0, int))
    return Events(np.stack(xs), np.asarray(ys), np.stack(masks), np.asarray(corpora),
                  np.asarray(lengths), np.asarray(ids), np.asarray(kinds),
                  np.zeros(len(ys), int), np.asarray(places))


def fit_weights(data: Events, l2: float = L2, features: Sequence[str] | None = None,
                corpus_weight: dict[str, float] | None = None) -> list[float]:
    """Maximum-likelihood log-linear weights (softmax over the allowed classes), L2-penalised.
    With `features`, only those are used (the others get weight 0): for ablations.
    `corpus_weight` weighs each event by its song's corpus (default 1)."""
    import numpy as np
    from scipy.optimize import minimize

    names = list(features or FEATURES)
    used = [FEATURES.index(f) for f in names]
    if not len(data.y):  # no history this long in the songs: the n-gram alone
        return [1.0 if f == "ngram" and f in names else 0.0 for f in FEATURES]
    # (events, classes, features) float32, contiguous: the scores are one matrix-vector
    # product, which keeps a fit over 100k+ events to seconds
    x = np.ascontiguousarray(data.x[:, used, :].transpose(0, 2, 1), dtype=np.float32)
    flat = x.reshape(-1, len(used))
    y, mask = data.y, data.mask
    rows = np.arange(len(y))
    sample = np.asarray([(corpus_weight or {}).get(str(c), 1.0) for c in data.corpus])
    sample = sample / sample.sum()
    target_x = x[rows, y, :].astype(np.float64)

    def loss(w: Any) -> tuple[float, Any]:
        s = (flat @ w.astype(np.float32)).reshape(len(y), -1).astype(np.float64)
        s = np.where(mask, s, -1e9)
        top = s.max(axis=1, keepdims=True)
        e = np.exp(s - top)
        z = e.sum(axis=1)
        logp = s[rows, y] - top[:, 0] - np.log(z)
        p = (e / z[:, None]) * sample[:, None]
        expected = p.reshape(-1).astype(np.float32) @ flat
        grad = -(target_x * sample[:, None]).sum(axis=0) + expected.astype(np.float64)
        return float(-(logp * sample).sum() + l2 * (w @ w)), grad + 2 * l2 * w

    w0 = np.zeros(len(used))
    if "ngram" in names:
        w0[names.index("ngram")] = 1.0
    result = minimize(loss, w0, jac=True, method="L-BFGS-B",
                      options={"maxiter": 200, "ftol": 1e-8})
    full = [0.0] * len(FEATURES)
    for i, value in zip(used, result.x, strict=True):
        full[i] = round(float(value), 5)
    return full


def fit_subset() -> Callable[[SongChords], bool]:
    """The songs whose events fit the weights: one file per Billboard song, every other
    song by a hash of title + artist, and every FIT_SONGS-th POP909 song. The counts come
    from all the songs; 42-odd weights need far fewer events than the counts."""
    import zlib

    seen: set[str] = set()

    def accept(song: SongChords) -> bool:
        if song.corpus != "billboard":
            digits = "".join(ch for ch in song.id if ch.isdigit())
            return int(digits or 0) % FIT_SONGS == 0
        group = song.group()
        if group in seen or zlib.crc32(group.encode("utf-8")) % 2:
            return False
        seen.add(group)
        return True

    return accept


def song_fold(song: SongChords, folds: int) -> int:
    """A song's fold, by title + artist for Billboard (a song in several files stays in one
    fold), by id otherwise; stable across runs."""
    import zlib

    name = song.group() if song.corpus == "billboard" and song.title else song.id
    return zlib.crc32(name.encode("utf-8")) % folds


def fold_events(
    songs: Sequence[SongChords],
    params: dict[str, float],
    folds: int = 5,
    log: Callable[[str], None] | None = None,
    fit: Callable[[SongChords], bool] | None = None,
) -> tuple[Events, dict[str, Any]]:
    """Training events whose features come from counts without their own fold's songs, and
    the counts of all the songs. With `fit`, only the songs it accepts give events (the
    counts still come from every song): the weights need far fewer events than the counts."""
    order = int(params["order"])
    started = time.perf_counter()
    fold_of = [song_fold(song, folds) for song in songs]
    fold_counts = [count_ngrams([s for s, f in zip(songs, fold_of, strict=True) if f == i],
                                order) for i in range(folds)]
    parts = []
    for i in range(folds):
        others = merge_counts(*(c for j, c in enumerate(fold_counts) if j != i))
        members = [n for n, f in enumerate(fold_of) if f == i and (fit is None or fit(songs[n]))]
        part = events([songs[n] for n in members], model_from_counts(others, params))
        part.song = _np_take(members, part.song)  # back to the song's index in `songs`
        part.fold[:] = i
        parts.append(part)
        if log:
            log(f"  fold {i + 1}/{folds}: {len(parts[-1].y)} events "
                f"({time.perf_counter() - started:.0f} s)")
    return Events.concat(parts), merge_counts(*fold_counts)


def _np_take(members: list[int], local: Any) -> Any:
    import numpy as np

    return np.asarray(members, dtype=int)[local] if len(local) else np.zeros(0, int)


def rank_events(data: Events, weights: dict[str, list[float]]) -> Any:
    """1-based rank of the chord that came next, per event, under `weights` (ties broken by
    class order, as NextChordModel.rank does)."""
    import numpy as np

    if not len(data.y):
        return np.zeros(0, int)
    s = scores(data, weights)
    target = s[np.arange(len(data.y)), data.y]
    idx = np.arange(s.shape[1])[None, :]
    better = (s > target[:, None]) | ((s == target[:, None]) & (idx < data.y[:, None]))
    return better.sum(axis=1) + 1


def scores(data: Events, weights: dict[str, list[float]]) -> Any:
    """(events, classes) log-linear scores, -inf on the current chord."""
    import numpy as np

    bands = np.asarray([weight_set(int(n)) for n in data.length])
    s = np.zeros(data.mask.shape, dtype=np.float64)
    for name in set(bands.tolist()):
        rows = bands == name
        w = np.asarray(weights[name], dtype=np.float64)
        s[rows] = np.einsum("efc,f->ec", data.x[rows].astype(np.float64), w)
    return np.where(data.mask, s, -np.inf)


def cross_validate(data: Events, folds: int = 5, features: Sequence[str] | None = None,
                   corpus_weight: dict[str, float] | None = None) -> Any:
    """Ranks of every event under weights fitted on the other folds' songs (the folds of
    `fold_events`, so an event's features never saw its own song's counts either)."""
    import numpy as np

    ranks = np.zeros(len(data.y), dtype=int)
    fold = data.fold
    for k in range(folds):
        held = fold == k
        weights = fit_split(data.select(~held), features=features, corpus_weight=corpus_weight,
                            max_events=CV_FIT_EVENTS)
        ranks[held] = rank_events(data.select(held), weights)
    return ranks


MAX_FIT_EVENTS = 20000
"""Per weight band: a fit on more events than this uses a random sample of them (the ~50
weights settle long before)."""
CV_FIT_EVENTS = 6000
"""The same cap inside cross-validation, which fits five times per candidate."""


def fit_split(data: Events, features: Sequence[str] | None = None,
              corpus_weight: dict[str, float] | None = None,
              max_events: int = MAX_FIT_EVENTS) -> dict[str, list[float]]:
    """A weight set per history length band (see nextchord.weight_set)."""
    import numpy as np

    bands = np.asarray([weight_set(int(n)) for n in data.length])
    rng = np.random.default_rng(0)
    for name in WEIGHT_SETS:
        rows = np.flatnonzero(bands == name)
        if len(rows) > max_events:
            drop = rng.choice(rows, len(rows) - max_events, replace=False)
            bands[drop] = ""
    weight = CORPUS_WEIGHT if corpus_weight is None else corpus_weight
    return {name: fit_weights(data.select(bands == name), features=features,
                              corpus_weight=weight) for name in WEIGHT_SETS}


def fold_events_cached(songs: Sequence[SongChords], params: dict[str, float],
                       log: Callable[[str], None] | None = None,
                       fit: Callable[[SongChords], bool] | None = None,
                       cache: str | None = None,
                       folds: int = 5) -> tuple[Events, dict[str, Any]]:
    """fold_events, kept in a pickle at `cache` when given (a re-fit with other features or
    settings then skips the minutes of feature computation; delete it when the songs, the
    folds or the features change)."""
    import pickle
    from pathlib import Path

    if cache and Path(cache).is_file():
        with open(cache, "rb") as handle:
            loaded: tuple[Events, dict[str, Any]] = pickle.load(handle)  # our own temp file
        if log:
            log(f"  fold events from {cache}")
        return loaded
    result = fold_events(songs, params, folds, log=log, fit=fit)
    if cache:
        with open(cache, "wb") as handle:
            pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return result


FIT_FEATURES: tuple[str, ...] | None = tuple(
    f for f in FEATURES if f not in ("ngram_2", "ngram_3"))
"""The features the shipped weights use (None: all of FEATURES), chosen by
cross-validation (`benchmarks/eval_next_chord.py --select`): the previous 42 plus the
per-corpus n-grams; the shorter-context n-grams (ngram_2, ngram_3) get weight 0."""


def train(
    songs: Sequence[SongChords],
    params: dict[str, float] | None = None,
    folds: int = 5,
    log: Callable[[str], None] | None = None,
    corpus_weight: dict[str, float] | None = None,
    fit: Callable[[SongChords], bool] | None = None,
    cache: str | None = None,
) -> NextChordModel:
    """Counts from all `songs`; weights fitted on features computed fold by fold (on the
    songs `fit` accepts, all by default)."""
    params = dict(params or DEFAULT_PARAMS)
    data, counts = fold_events_cached(songs, params, log, fit=fit, cache=cache, folds=folds)
    weights = fit_split(data, corpus_weight=corpus_weight, features=FIT_FEATURES)
    if log:
        log(f"  fitted on {len(data.y)} events")
    return model_from_counts(counts, params, weights)


def model_document(model: NextChordModel, songs: Sequence[SongChords],
                   meta: dict[str, dict[str, Any]], command: str) -> dict[str, Any]:
    """The JSON written to knowledge/next_chord.json: provenance first, then the numbers."""
    sources = []
    for corpus, info in meta.items():
        these = [s for s in songs if s.corpus == corpus]
        sources.append({
            "corpus": corpus,
            "source": info.get("source", ""),
            "licence": info.get("licence", ""),
            "songs": len(these),
            "chord_changes": sum(max(len(s.chords) - 1, 0) for s in these),
            "minor_songs": sum(1 for s in these if s.minor and s.minor[0]),
        })
    doc = {
        "format": FORMAT,
        "about": (
            "Next-chord model for `coach next-chord`: chord n-gram counts (chord classes as "
            "Roman numerals relative to the tonic, numbered against the major scale; "
            f"consecutive repeats collapsed; contexts of 0-{model.order - 1} previous chords; "
            "by corpus and "
            "by mode family) and log-linear feature weights fitted on held-out folds. "
            "Derived statistics only: the songs themselves are not included."
        ),
        "built_by": command,
        "rebuild": "python tools/build_next_chord.py [DATA_DIR]  (default ../shared/data)",
        "mode_family": ("Billboard gives only the tonic: a song is minor-family when its "
                        "tonic chords are more often minor than major. POP909 uses its "
                        "key labels (silver standard), per key segment."),
        "sources": sources,
        "genres": copy.deepcopy(model.data.get("genres", GENRES)),
        "params": model.data["params"],
        "features": list(FEATURES),
        "weights": model.weights,
        "counts": model.counts,
    }
    return doc
