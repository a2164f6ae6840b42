"""The intent model: a linear score per intent over the reader's features (multinomial
logistic regression), trained by `tools/train_understanding.py` from labelled sentences and
committed as `knowledge/intent_model.json`, like the next-chord counts.

Scoring is a sparse sum in plain Python (no numpy on the chat's path); training uses numpy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any


def scores(model: dict[str, Any], feats: Iterable[str]) -> dict[str, float]:
    """Probabilities per intent (softmax of the linear scores)."""
    bias: dict[str, float] = model.get("bias", {})
    weights: dict[str, dict[str, float]] = model.get("weights", {})
    total = dict(bias)
    for feat in feats:
        row = weights.get(feat)
        if row:
            for intent, weight in row.items():
                total[intent] += weight
    if not total:
        return {}
    top = max(total.values())
    exps = {k: math.exp(v - top) for k, v in total.items()}
    norm = sum(exps.values())
    return {k: v / norm for k, v in exps.items()}


def explain(model: dict[str, Any], feats: Iterable[str], intent: str, top: int = 3) -> list[str]:
    """The features that pushed hardest toward `intent` (for `why`)."""
    weights: dict[str, dict[str, float]] = model.get("weights", {})
    pushes = [(weights.get(f, {}).get(intent, 0.0), f) for f in feats if f != "bias"]
    return [f for w, f in sorted(pushes, reverse=True)[:top] if w > 0]


def train(samples: Sequence[tuple[list[str], str]], *, l2: float = 1e-3, epochs: int = 300,
          rate: float = 0.5) -> dict[str, Any]:
    """Fit the weights by full-batch gradient descent on the log loss (numpy)."""
    import numpy as np

    intents = sorted({label for _, label in samples})
    vocab = sorted({f for feats, _ in samples for f in feats if f != "bias"})
    index = {f: i for i, f in enumerate(vocab)}
    x = np.zeros((len(samples), len(vocab)), dtype=np.float32)
    y = np.zeros((len(samples), len(intents)), dtype=np.float32)
    for n, (feats, label) in enumerate(samples):
        for f in feats:
            if f in index:
                x[n, index[f]] = 1.0
        y[n, intents.index(label)] = 1.0
    # rarer intents weigh more, so a few examples of "export" are not drowned by "answer"
    counts = y.sum(axis=0)
    sample_weight = (y @ (len(samples) / (len(intents) * np.maximum(counts, 1)))).astype(np.float32)
    w = np.zeros((len(vocab), len(intents)), dtype=np.float32)
    b = np.zeros(len(intents), dtype=np.float32)
    m_w, v_w = np.zeros_like(w), np.zeros_like(w)
    m_b, v_b = np.zeros_like(b), np.zeros_like(b)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, epochs + 1):  # Adam: converges in a few hundred full batches
        logits = x @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        grad = (p - y) * sample_weight[:, None] / len(samples)
        g_w = x.T @ grad + l2 * w
        g_b = grad.sum(axis=0)
        m_w = beta1 * m_w + (1 - beta1) * g_w
        v_w = beta2 * v_w + (1 - beta2) * g_w * g_w
        m_b = beta1 * m_b + (1 - beta1) * g_b
        v_b = beta2 * v_b + (1 - beta2) * g_b * g_b
        lr = rate * 0.1 * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
        w -= lr * m_w / (np.sqrt(v_w) + eps)
        b -= lr * m_b / (np.sqrt(v_b) + eps)
    weights: dict[str, dict[str, float]] = {}
    for f, i in index.items():
        row = {intents[j]: round(float(w[i, j]), 3) for j in range(len(intents))
               if abs(w[i, j]) >= 0.02}
        if row:
            weights[f] = row
    del index
    return {"intents": intents, "bias": {k: round(float(v), 3) for k, v in zip(intents, b, strict=True)},
            "weights": weights}
