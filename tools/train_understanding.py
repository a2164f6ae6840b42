"""Train the intent model from labelled sentences and write `knowledge/intent_model.json`.

Training data: the example sentences of `knowledge/language.toml` (no context) and the
training part of the corpus in `tests/understanding/` (every case that is not held out:
the held-out fifth is what `benchmarks/eval_understanding.py` scores). Deterministic.

    python tools/train_understanding.py [--check]   # --check: also report training accuracy
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "understanding"))

from corpus import held_out, load_cases  # noqa: E402

from assistant.kb.loader import load_knowledge  # noqa: E402
from assistant.understanding import reader  # noqa: E402
from assistant.understanding.features import Context  # noqa: E402
from assistant.understanding.lexicon import MODEL_FILE, build  # noqa: E402
from assistant.understanding.model import scores, train  # noqa: E402


def featurise(text: str, context: Context, lex) -> list[str]:  # type: ignore[no-untyped-def]
    seen = reader.analyse(text, context, lex)
    return seen.feats if seen is not None else ["bias"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    kb = load_knowledge()
    lex = build(kb)
    samples: list[tuple[list[str], str]] = []
    for sentence, intent in lex.examples:
        for context in (Context("conception", "", 0), Context("composition", "", 3)):
            samples.append((featurise(sentence, context, lex), intent))
    cases = [c for c in load_cases() if not held_out(c)]
    for case in cases:
        context = Context(case.stage, case.question, case.options)
        samples.append((featurise(case.text, context, lex), case.intent))
    start = time.perf_counter()
    model = train(samples)
    took = time.perf_counter() - start
    out = ROOT / "knowledge" / MODEL_FILE
    model["trained_on"] = {"examples": len(lex.examples), "corpus_cases": len(cases)}
    out.write_text(json.dumps(model, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(samples)} samples, {len(model['weights'])} features, "
          f"{len(model['intents'])} intents, trained in {took:.1f} s -> {out}")
    if args.check:
        right = sum(1 for feats, label in samples
                    if max(scores(model, feats).items(), key=lambda kv: kv[1])[0] == label)
        print(f"training accuracy {right / len(samples):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
