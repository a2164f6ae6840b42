"""Evaluate next-chord suggestions on held-out songs: hit@1/3/5 and mean reciprocal rank.

    python benchmarks/eval_next_chord.py [DATA_DIR]     (default ../shared/data)

Each chord change of a held-out song is hidden in turn; the model gets the key (tonic and
mode family) and the chords before it, and ranks every chord class except the current one
(the data collapse repeated chords, so the next chord is always a change). A hit compares
root and triad quality. Two settings: only the last three chords known, or the whole song
so far.

Training data: the full folders (`billboard_890/`, 881 files with chords; `pop909_all/`,
909 songs) minus three test sets (see corpus.evaluation_split): the last 30 songs of the
100-song Billboard JSON (every file with the same title + artist left out), 100 more
distinct Billboard songs (title + artist, chosen by a hash), and the last 30 of the 100-song
POP909 JSON. One model is trained and scored on all three.

Baselines, measured in the same run: a fixed diatonic ranking (I V IV vi ii iii vii° in
major; i bVII bVI bIII iv v V ii° in minor), skipping the current chord; and a plain blend of
trigram/bigram/unigram relative frequencies (0.6/0.3/0.1) from the same training songs.

Section transitions: at every change of section kind in the Billboard test songs (verse ->
chorus, chorus -> bridge...) where the chord changes too, the first chord of the new section
is ranked by the full model (whole song so far, no section labels), by the section table
alone (knowledge/section_progressions.json's statistics: first chord given the previous
section's last chord and the two kinds), and by the two blended (weight chosen by
cross-validation on the training songs).

    python benchmarks/eval_next_chord.py --select [DATA_DIR]

cross-validates the candidate settings on the training songs only (5 folds by song, title +
artist for Billboard; each song's features from counts without its fold; weights fitted on
the other folds; scored on the held-out fold's Billboard songs). The rule, fixed before the
run: the highest whole-song MRR; among candidates within 0.002 of it, the highest last-three
MRR. The test sets play no part.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from assistant import theory  # noqa: E402
from assistant.composition.chords import (  # noqa: E402
    ALL_CLASSES,
    INDEX,
    ChordClass,
    from_numeral,
    parse_chord,
    symbol_of,
)
from assistant.composition.corpus import (  # noqa: E402
    SongChords,
    evaluation_split,
)
from assistant.composition.nextchord import FEATURES, NextChordModel  # noqa: E402
from assistant.composition.nextchord_train import (  # noqa: E402
    CV_FIT_EVENTS,
    DEFAULT_PARAMS,
    FIT_FEATURES,
    Events,
    cross_validate,
    events,
    fit_split,
    fit_subset,
    fold_events_cached,
    history,
    model_from_counts,
    rank_events,
    scores,
    song_fold,
)
from assistant.composition.sections import SectionModel, count_sections  # noqa: E402

SETTINGS = ("last3", "whole")
SETTING_NAMES = {"last3": "last 3 chords", "whole": "whole song so far"}
DIATONIC = {
    False: [from_numeral(n) for n in "I V IV vi ii iii vii°".split()],
    True: [from_numeral(n) for n in "i bVII bVI bIII iv v V ii°".split()],
}
HISTORY_FREE = ("ngram", "rule")
BEFORE = [f for f in FEATURES if f not in ("ngram_2", "ngram_3", "ngram_billboard",
                                           "ngram_pop909")]
"""The features of the previous release (42), for the selection table."""
BLEND = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
"""Weights of the section table's log-probability tried in the section-transition blend."""


def metrics(ranks: Sequence[int]) -> dict[str, float]:
    r = np.asarray(ranks, dtype=float)
    return {"n": len(r), "hit1": float((r <= 1).mean()), "hit3": float((r <= 3).mean()),
            "hit5": float((r <= 5).mean()), "mrr": float((1 / r).mean())}


def rank_of(target: ChordClass, ranking: Sequence[ChordClass]) -> int:
    """1-based rank; a class missing from the ranking counts as ranked after all 47."""
    return ranking.index(target) + 1 if target in ranking else len(ALL_CLASSES)


def baseline_diatonic(songs: Sequence[SongChords], setting: str) -> list[int]:
    ranks = []
    for song in songs:
        for t in range(len(song.chords) - 1):
            current = song.chords[t]
            ranking = [c for c in DIATONIC[song.minor[t]] if c != current]
            ranks.append(rank_of(song.chords[t + 1], ranking))
    return ranks


def baseline_counts(train: Sequence[SongChords], test: Sequence[SongChords],
                    setting: str) -> list[int]:
    uni: Counter[ChordClass] = Counter()
    bi: dict[ChordClass, Counter[ChordClass]] = {}
    tri: dict[tuple[ChordClass, ChordClass], Counter[ChordClass]] = {}
    for song in train:
        c = song.chords
        for i, chord in enumerate(c):
            uni[chord] += 1
            if i >= 1:
                bi.setdefault(c[i - 1], Counter())[chord] += 1
            if i >= 2:
                tri.setdefault((c[i - 2], c[i - 1]), Counter())[chord] += 1
    total = sum(uni.values())
    ranks = []
    for song in test:
        for t in range(len(song.chords) - 1):
            h = history(song, t, setting)
            b = bi.get(h[-1], Counter())
            tr = tri.get((h[-2], h[-1]), Counter()) if len(h) >= 2 else Counter()
            nb, nt = sum(b.values()), sum(tr.values())

            def score(c: ChordClass, b: Counter[ChordClass] = b, tr: Counter[ChordClass] = tr,
                      nb: int = nb, nt: int = nt) -> float:
                return (0.1 * uni[c] / total + (0.3 * b[c] / nb if nb else 0.0)
                        + (0.6 * tr[c] / nt if nt else 0.0))

            ranking = sorted((c for c in ALL_CLASSES if c != h[-1]),
                             key=lambda c: (-score(c), INDEX[c]))
            ranks.append(rank_of(song.chords[t + 1], ranking))
    return ranks


def model_ranks(data: Events, weights: dict[str, list[float]]) -> list[int]:
    return [int(r) for r in rank_events(data, weights)]


def check_transposition(model: NextChordModel, songs: Sequence[SongChords],
                        limit: int = 40) -> tuple[int, int]:
    """Rank the numerals after the first `limit` chords of each song in 12 keys, typed as
    chord symbols: (histories checked, histories whose ranking changed)."""
    checked = changed = 0
    for song in songs:
        minor = bool(song.minor and song.minor[0])
        mode = "minor" if minor else "major"
        for t in range(1, min(limit, len(song.chords))):
            h = song.chords[: t + 1]
            reference = [r.chord for r in model.rank(h, mode)]
            for tonic in range(12):
                key = theory.transpose_key(theory.parse_key("C " + mode), tonic)
                typed = [symbol_of(c, key) for c in h]
                back = [parse_chord(s, key) for s in typed]
                if [r.chord for r in model.rank(back, mode)] != reference:
                    changed += 1
                    break
            checked += 1
    return checked, changed




def boundaries(songs: Sequence[SongChords], data: Events) -> list[tuple[int, str, str]]:
    """(event index, previous kind, next kind) for the events whose next chord opens a
    section of another kind, in songs that carry section labels."""
    out = []
    for e in range(len(data.y)):
        song = songs[int(data.song[e])]
        t = int(data.position[e])
        if not song.starts or t + 1 >= len(song.starts) or not song.starts[t + 1]:
            continue
        before, kind = song.sections[t], song.sections[t + 1]
        if before and kind and before != kind:
            out.append((e, before, kind))
    return out


def table_scores(table: SectionModel, songs: Sequence[SongChords], data: Events,
                 where: list[tuple[int, str, str]]) -> Any:
    """(boundary events, classes) log-probabilities of the section table."""
    out = np.full((len(where), len(ALL_CLASSES)), np.log(1e-4))
    for row, (e, before, kind) in enumerate(where):
        song = songs[int(data.song[e])]
        t = int(data.position[e])
        fam = "minor" if song.minor[t] else "major"
        probs = table.first_chord_probs(fam, before, kind, song.chords[t])
        for numeral, p in probs.items():
            out[row, INDEX[from_numeral(numeral)]] = np.log(max(p, 1e-4))
    return out


def rank_scores(s: Any, y: Any) -> Any:
    target = s[np.arange(len(y)), y]
    idx = np.arange(s.shape[1])[None, :]
    better = (s > target[:, None]) | ((s == target[:, None]) & (idx < y[:, None]))
    return better.sum(axis=1) + 1


def log_softmax(s: Any) -> Any:
    top = s.max(axis=1, keepdims=True)
    return s - top - np.log(np.exp(s - top).sum(axis=1, keepdims=True))


def section_blend_cv(train: Sequence[SongChords], data: Events,
                     log: Callable[[str], None]) -> tuple[float, str]:
    """The blend weight of the section table, by cross-validation on the training songs'
    whole-song boundary events: model scores under weights fitted without the event's fold,
    the table counted without it too. (weight, markdown lines)"""
    whole = data.select((data.setting == "whole") | (data.setting == "both"))
    folds = int(whole.fold.max()) + 1 if len(whole.fold) else 5
    model_s = np.full(whole.mask.shape, -np.inf)
    for k in range(folds):
        held = whole.fold == k
        weights = fit_split(data.select(data.fold != k), max_events=CV_FIT_EVENTS)
        model_s[held] = scores(whole.select(held), weights)
    where = boundaries(train, whole)
    rows = np.asarray([e for e, _b, _k in where], dtype=int)
    table_s = np.zeros((len(where), len(ALL_CLASSES)))
    for k in range(folds):
        table = SectionModel({"format": 1, **count_sections(
            [s for s in train if s.corpus == "billboard" and song_fold(s, folds) != k])})
        mine = [i for i, (e, _b, _k) in enumerate(where) if whole.fold[e] == k]
        if mine:
            table_s[mine] = table_scores(table, train, whole, [where[i] for i in mine])
    y = whole.y[rows]
    base = log_softmax(model_s[rows])
    lines = ["| section table weight | boundaries | hit@1 | MRR |", "|---:|---:|---:|---:|"]
    best = (-1.0, 0.0)
    for weight in BLEND:
        s = np.where(whole.mask[rows], base + weight * table_s, -np.inf)
        m = metrics(rank_scores(s, y))
        lines.append(f"| {weight} | {m['n']} | {m['hit1']:.3f} | {m['mrr']:.3f} |")
        log(f"  section blend {weight}: MRR {m['mrr']:.4f}")
        if m["mrr"] > best[0] + 1e-9:
            best = (m["mrr"], weight)
    return best[1], "\n".join(lines)


def section_rows(name: str, test: Sequence[SongChords], data: Events,
                 weights: dict[str, list[float]], table: SectionModel,
                 weight: float) -> list[dict[str, Any]]:
    where = boundaries(test, data)
    if not where:
        return []
    rows = np.asarray([e for e, _b, _k in where], dtype=int)
    y = data.y[rows]
    mask = data.mask[rows]
    model_s = log_softmax(scores(data.select(rows), weights))
    table_s = table_scores(table, test, data, where)
    out = []
    for label, s in (("full model, no section labels", model_s),
                     ("section table alone", np.where(mask, table_s, -np.inf)),
                     (f"full model + section table (weight {weight})",
                      np.where(mask, model_s + weight * table_s, -np.inf))):
        out.append({"split": name, "setting": "first chord of the next section",
                    "model": label, **metrics(rank_scores(s, y))})
    return out


def evaluate(data_dir: Path, log: Callable[[str], None],
             cache: str | None = None) -> tuple[list[dict[str, Any]], str]:
    split = evaluation_split(data_dir)
    train = split.train
    params = dict(DEFAULT_PARAMS)
    log(f"{len(train)} training songs; test sets: "
        + ", ".join(f"{k} ({len(v)})" for k, v in split.tests.items()))
    fold_data, counts = fold_events_cached(train, params, log=log, fit=fit_subset(),
                                           cache=cache)
    weight, blend_table = section_blend_cv(train, fold_data, log)
    weights_full = fit_split(fold_data, features=FIT_FEATURES)
    weights_ngram = fit_split(fold_data, features=("ngram",))
    weights_rules = fit_split(fold_data, features=HISTORY_FREE)
    model = model_from_counts(counts, params, weights_full)
    table = SectionModel({"format": 1, **count_sections(
        [s for s in train if s.corpus == "billboard"])})
    rows: list[dict[str, Any]] = []
    notes = [f"- events fitted: {len(fold_data.y)}; section table weight chosen by "
             f"cross-validation: {weight}", "", blend_table, ""]
    for name, test in split.tests.items():
        for setting in SETTINGS:
            data = events(test, model, settings=(setting,))
            results = {
                "baseline: fixed diatonic ranking": metrics(baseline_diatonic(test, setting)),
                "baseline: trigram/bigram/unigram blend": metrics(
                    baseline_counts(train, test, setting)),
                "n-gram (backoff, mode family)": metrics(model_ranks(data, weights_ngram)),
                "n-gram + theory rules": metrics(model_ranks(data, weights_rules)),
                "full model (n-gram + rules + song history)": metrics(
                    model_ranks(data, weights_full)),
            }
            for label, m in results.items():
                rows.append({"split": name, "setting": SETTING_NAMES[setting], "model": label,
                             **m})
            if setting == "whole":
                rows += section_rows(name, test, data, weights_full, table, weight)
        checked, changed = check_transposition(model, test[:10])
        log(f"  {name}: transposition check, {checked} histories, {changed} changed")
        notes.append(f"- {name}: transposition check, {checked} histories in 12 keys (typed "
                     f"as chord symbols): {changed} rankings changed")
    return rows, "\n".join(notes)


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| data (held out) | setting | model | changes | hit@1 | hit@3 | hit@5 | MRR |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "model" not in r:
            continue
        lines.append(f"| {r['split']} | {r['setting']} | {r['model']} | {r['n']} | "
                     f"{r['hit1']:.3f} | {r['hit3']:.3f} | {r['hit5']:.3f} | {r['mrr']:.3f} |")
    return "\n".join(lines)


SELECTION: list[tuple[str, Sequence[str]]] = [
    # (label, features used; the n-gram order is the one the features were counted with)
    ("previous features (contexts of up to 3 chords)", BEFORE),
    ("previous features, contexts of up to 2 chords", [
        "ngram_3" if f == "ngram" else f for f in BEFORE]),
    ("+ bigram and 2-chord-context n-grams", [*BEFORE, "ngram_2", "ngram_3"]),
    ("+ per-corpus n-grams", [*BEFORE, "ngram_billboard", "ngram_pop909"]),
    ("all", FEATURES),
]


def select(train: Sequence[SongChords], log: Callable[[str], None],
           cache: str | None = None) -> str:
    """Cross-validate each SELECTION candidate on `train`; a markdown table, the choice last."""
    lines = ["| candidate | whole: hit@1 | whole: MRR | last 3: hit@1 | last 3: MRR |",
             "|---|---:|---:|---:|---:|"]
    scores_: list[tuple[str, dict[str, Any]]] = []
    data, _counts = fold_events_cached(train, dict(DEFAULT_PARAMS), log=log, fit=fit_subset(),
                                       cache=cache)
    billboard = data.corpus == "billboard"
    for label, features in SELECTION:
        ranks = cross_validate(data, features=features)
        row = {setting: metrics(ranks[billboard & data.in_setting(setting)])
               for setting in ("whole", "last3")}
        scores_.append((label, row))
        log(f"  {label}: whole MRR {row['whole']['mrr']:.4f}, "
            f"last-3 MRR {row['last3']['mrr']:.4f}")
        lines.append(f"| {label} | {row['whole']['hit1']:.3f} | {row['whole']['mrr']:.3f} | "
                     f"{row['last3']['hit1']:.3f} | {row['last3']['mrr']:.3f} |")
    best_whole = max(r["whole"]["mrr"] for _, r in scores_)
    near = [(label, r) for label, r in scores_ if r["whole"]["mrr"] >= best_whole - 0.002]
    chosen = max(near, key=lambda item: item[1]["last3"]["mrr"])[0]
    lines.append("")
    lines.append(f"Cross-validated on {len(train)} training songs ({len(data.y)} events of the "
                 f"fitting songs, 5 folds by song), scored on their Billboard songs. Chosen: "
                 f"**{chosen}**.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--select", action="store_true",
                        help="cross-validate the candidate settings on the training part only")
    parser.add_argument("--events-cache", metavar="PICKLE",
                        help="keep the training events in this file (a re-run skips them)")
    args = parser.parse_args(argv)
    data_dir = Path(args.data)
    started = time.perf_counter()

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    if args.select:
        print(select(evaluation_split(data_dir).train, log, args.events_cache))
        print(f"\n- run time {time.perf_counter() - started:.0f} s")
        return 0
    rows, notes = evaluate(data_dir, log, args.events_cache)
    print(table(rows))
    print()
    print(notes)
    print(f"- features: {len(FEATURES)}; run time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
