"""The reader on the held-out fifth of the labelled corpus: the issue's targets, in CI.

The held-out cases never train the intent model (`tools/train_understanding.py` skips them);
the committed weights must come from the corpus as it is now.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _eval_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("eval_understanding",
                                                  ROOT / "benchmarks" / "eval_understanding.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("eval_understanding", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def result() -> dict:  # type: ignore[type-arg]
    from assistant.understanding import Context, read

    module = _eval_module()
    cases = [c for c in module.corpus.load_cases() if module.corpus.held_out(c)]
    return module.evaluate(cases, read, Context)  # type: ignore[no-any-return]


def test_held_out_accuracy_meets_the_targets(result: dict) -> None:  # type: ignore[type-arg]
    assert result["cases"] >= 160
    assert result["accuracy"] >= 0.95, result["failures"]
    low = {k: v["accuracy"] for k, v in result["kinds"].items() if v["accuracy"] < 0.90}
    assert not low, low


def test_the_committed_model_was_trained_on_this_corpus() -> None:
    module = _eval_module()
    training = [c for c in module.corpus.load_cases() if not module.corpus.held_out(c)]
    model = json.loads((ROOT / "knowledge" / "intent_model.json").read_text())
    assert model["trained_on"]["corpus_cases"] == len(training), (
        "the corpus changed: run `python tools/train_understanding.py`")
