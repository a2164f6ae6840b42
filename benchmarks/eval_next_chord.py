"""Evaluate next-chord suggestions on held-out songs: hit@1/3/5 and mean reciprocal rank.

    python benchmarks/eval_next_chord.py [DATA_DIR]     (default ../shared/data)

Each chord change of a held-out song is hidden in turn; the model gets the key (tonic and
mode family) and the chords before it, and ranks every chord class except the current one
(the data collapse repeated chords, so the next chord is always a change). A hit compares
root and triad quality. Two settings: only the last three chords known, or the whole song
so far. Splits (weights never see the reported songs):

- Billboard (expert): weights from all 100 POP909 songs + the first 70 Billboard songs
  (file order), report on the last 30 Billboard songs.
- POP909 (silver): weights from the first 70 POP909 + the first 70 Billboard songs, report on
  the last 30 POP909 songs.

Baselines, measured in the same run: a fixed diatonic ranking (I V IV vi ii iii vii° in
major; i bVII bVI bIII iv v V ii° in minor), skipping the current chord; and a plain blend of
trigram/bigram/unigram relative frequencies (0.6/0.3/0.1) from the same training songs.
The script also checks that transposing the test songs to all 12 keys (as chord symbols)
leaves every ranking unchanged.

    python benchmarks/eval_next_chord.py --select [DATA_DIR]

runs the model selection instead, on the Billboard split's *training* part only (all POP909
songs + the first 70 Billboard songs): 5-fold cross-validation by song (each song's features
from counts without its fold, weights fitted on the other four folds), scored on the
Billboard songs of the held-out fold, for each candidate setting in SELECTION. The rule,
fixed before the run: the highest whole-song MRR; among candidates within 0.002 of it, the
highest last-three MRR. The held-out 30 songs play no part.
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
from assistant.composition.corpus import SongChords, load_data_dir  # noqa: E402
from assistant.composition.nextchord import (  # noqa: E402
    FEATURES,
    NextChordModel,
)
from assistant.composition.nextchord_train import (  # noqa: E402
    DEFAULT_PARAMS,
    Events,
    cross_validate,
    events,
    fit_split,
    fold_events,
    history,
    model_from_counts,
    rank_events,
)

SETTINGS = ("last3", "whole")
SETTING_NAMES = {"last3": "last 3 chords", "whole": "whole song so far"}
DIATONIC = {
    False: [from_numeral(n) for n in "I V IV vi ii iii vii°".split()],
    True: [from_numeral(n) for n in "i bVII bVI bIII iv v V ii°".split()],
}
GENRE_FOR = {"billboard": "rock", "pop909": "c-pop"}
HISTORY_FREE = ("ngram", "rule")


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


def evaluate_split(name: str, train: Sequence[SongChords], test: Sequence[SongChords],
                   log: Callable[[str], None]) -> list[dict[str, Any]]:
    params = dict(DEFAULT_PARAMS)
    log(f"{name}: {len(train)} training songs, {len(test)} test songs")
    fold_data, counts = fold_events(train, params, log=log)
    weights_full = fit_split(fold_data)
    weights_ngram = fit_split(fold_data, features=("ngram",))
    weights_rules = fit_split(fold_data, features=HISTORY_FREE)
    model = model_from_counts(counts, params, weights_full)
    rows: list[dict[str, Any]] = []
    for setting in SETTINGS:
        data = events(test, model, settings=(setting,))
        genre_data = events(test, model, settings=(setting,),
                            genre_of=lambda s: GENRE_FOR[s.corpus])
        results = {
            "baseline: fixed diatonic ranking": metrics(baseline_diatonic(test, setting)),
            "baseline: trigram/bigram/unigram blend": metrics(
                baseline_counts(train, test, setting)),
            "n-gram (backoff, mode family)": metrics(model_ranks(data, weights_ngram)),
            "n-gram + theory rules": metrics(model_ranks(data, weights_rules)),
            "full model (n-gram + rules + song history)": metrics(model_ranks(data, weights_full)),
            f"full model, genre given (\"{GENRE_FOR[test[0].corpus]}\")": metrics(
                model_ranks(genre_data, weights_full)),
        }
        for label, m in results.items():
            rows.append({"split": name, "setting": SETTING_NAMES[setting], "model": label, **m})
    checked, changed = check_transposition(model, test[:10])
    log(f"  transposition check: {checked} histories x 12 keys, {changed} rankings changed")
    rows.append({"split": name, "transposition": (checked, changed)})
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| data (held out) | setting | model | changes | hit@1 | hit@3 | hit@5 | MRR |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        if "model" not in r:
            continue
        lines.append(f"| {r['split']} | {r['setting']} | {r['model']} | {r['n']} | "
                     f"{r['hit1']:.3f} | {r['hit3']:.3f} | {r['hit5']:.3f} | {r['mrr']:.3f} |")
    return "\n".join(lines)


SELECTION: list[tuple[str, dict[str, float], dict[str, float] | None]] = [
    # (label, n-gram parameters changed from the previous defaults, corpus weights of the fit)
    ("order 4, discount 0.75 (previous)", {"order": 4}, None),
    ("order 3", {"order": 3}, None),
    ("order 5", {"order": 5}, None),
    ("order 3, discount 0.5", {"order": 3, "discount": 0.5}, None),
    ("order 3, discount 0.9", {"order": 3, "discount": 0.9}, None),
    ("order 3, other mode family 0.05", {"order": 3, "other_family_weight": 0.05}, None),
    ("order 3, other mode family 0.5", {"order": 3, "other_family_weight": 0.5}, None),
    ("order 3, Billboard events x1 in the fit", {"order": 3}, {"billboard": 1.0}),
    ("order 3, Billboard events x10 in the fit", {"order": 3}, {"billboard": 10.0}),
]
PREVIOUS = {"order": 4, "discount": 0.75, "other_family_weight": 0.2, "genre_boost": 3.0}


def select(train: Sequence[SongChords], log: Callable[[str], None]) -> str:
    """Cross-validate each SELECTION candidate on `train`; a markdown table, the choice last."""
    lines = ["| candidate | whole: hit@1 | whole: MRR | last 3: hit@1 | last 3: MRR |",
             "|---|---:|---:|---:|---:|"]
    scores = []
    cache: dict[tuple[tuple[str, float], ...], Events] = {}
    for label, change, corpus_weight in SELECTION:
        params = {**PREVIOUS, **change}
        key = tuple(sorted(params.items()))
        if key not in cache:
            log(f"{label}: features")
            cache[key] = fold_events(train, params)[0]
        data = cache[key]
        ranks = cross_validate(data, corpus_weight=corpus_weight)
        billboard = data.corpus == "billboard"
        row = {setting: metrics(ranks[billboard & data.in_setting(setting)])
               for setting in ("whole", "last3")}
        scores.append((label, row))
        log(f"  {label}: whole MRR {row['whole']['mrr']:.4f}, last-3 MRR {row['last3']['mrr']:.4f}")
        lines.append(f"| {label} | {row['whole']['hit1']:.3f} | {row['whole']['mrr']:.3f} | "
                     f"{row['last3']['hit1']:.3f} | {row['last3']['mrr']:.3f} |")
    best_whole = max(r["whole"]["mrr"] for _, r in scores)
    near = [(label, r) for label, r in scores if r["whole"]["mrr"] >= best_whole - 0.002]
    chosen = max(near, key=lambda item: item[1]["last3"]["mrr"])[0]
    n = len(train)
    lines.append("")
    lines.append(f"Cross-validated on {n} training songs (5 folds by song), scored on their "
                 f"Billboard songs. Chosen: **{chosen}**.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--only", choices=("billboard", "pop909"),
                        help="evaluate one split only (quicker)")
    parser.add_argument("--select", action="store_true",
                        help="cross-validate the candidate settings on the training part only")
    args = parser.parse_args(argv)
    data_dir = Path(args.data)
    started = time.perf_counter()

    def log(text: str) -> None:
        print(text, file=sys.stderr)

    billboard, pop909, _meta = load_data_dir(data_dir)
    if args.select:
        print(select(pop909 + billboard[:70], log))
        print(f"\n- run time {time.perf_counter() - started:.0f} s")
        return 0
    rows = []
    if args.only in (None, "billboard"):
        rows += evaluate_split("Billboard last 30 (expert)", pop909 + billboard[:70],
                               billboard[70:], log)
    if args.only in (None, "pop909"):
        rows += evaluate_split("POP909 last 30 (silver)", pop909[:70] + billboard[:70],
                               pop909[70:], log)
    print(table(rows))
    print()
    for r in rows:
        if "transposition" in r:
            checked, changed = r["transposition"]
            print(f"- {r['split']}: transposition check, {checked} histories in 12 keys "
                  f"(typed as chord symbols): {changed} rankings changed")
    print(f"- features: {len(FEATURES)}; run time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
