"""Advice from the knowledge base's rules: a rule fires when its metric is outside [min, max].

Metric names are a contract with knowledge/rules_*.toml:
recording: sample_peak_dbfs, clipped_samples, noise_floor_dbfs, dc_offset, rms_dbfs;
mixing: lufs_over_target, true_peak_over_ceiling, plr_db, loudness_range_lu,
stereo_correlation, mono_loss_db, balance_db, band_deviation_db, clipped_samples,
dc_offset, silence_start_s, silence_end_s, sample_peak_dbfs.
A metric that could not be measured (None) fires nothing. When several rules on one metric
fire (a "hot" and a "near clipping" peak rule), only the most severe is kept.
"""

from __future__ import annotations

import math
import string
from collections.abc import Iterable, Mapping
from typing import Any, Protocol


class Rule(Protocol):
    """What advice needs of a rule (assistant.kb.schema.AdviceRule has it all)."""

    @property
    def id(self) -> str: ...
    @property
    def why(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def stage(self) -> str: ...
    @property
    def metric(self) -> str: ...
    @property
    def min(self) -> float | None: ...
    @property
    def max(self) -> float | None: ...
    @property
    def severity(self) -> int: ...
    @property
    def message(self) -> str: ...


def metrics_of(result: Mapping[str, Any]) -> dict[str, float | None]:
    """The flat metric values advice rules test, from a `coach analyze` result."""
    target = result.get("target") or {}
    stereo = result.get("stereo") or {}
    worst = result.get("worst_band") or {}

    def diff(a: Any, b: Any) -> float | None:
        return None if a is None or b is None else float(a) - float(b)

    def absolute(v: Any) -> float | None:
        return None if v is None else abs(float(v))

    values: dict[str, Any] = {
        "sample_peak_dbfs": result.get("sample_peak_dbfs"),
        "true_peak_dbtp": result.get("true_peak_dbtp"),
        "integrated_lufs": result.get("integrated_lufs"),
        "short_term_max_lufs": result.get("short_term_max_lufs"),
        "momentary_max_lufs": result.get("momentary_max_lufs"),
        "clipped_samples": result.get("clipped_samples"),
        "noise_floor_dbfs": result.get("noise_floor_dbfs"),
        "dc_offset": absolute(result.get("dc_offset")),
        "rms_dbfs": result.get("rms_dbfs"),
        "headroom_db": result.get("headroom_db"),
        "crest_db": result.get("crest_db"),
        "plr_db": result.get("plr_db"),
        "loudness_range_lu": result.get("loudness_range_lu"),
        "lufs_over_target": diff(result.get("integrated_lufs"), target.get("lufs")),
        "true_peak_over_ceiling": diff(result.get("true_peak_dbtp"),
                                       target.get("true_peak_dbtp")),
        "stereo_correlation": stereo.get("correlation"),
        "stereo_width": stereo.get("width"),
        "mono_loss_db": stereo.get("mono_loss_db"),
        "balance_db": absolute(stereo.get("balance_db")),
        "band_deviation_db": absolute(worst.get("deviation_db")),
        "silence_start_s": result.get("silence_start_s"),
        "silence_end_s": result.get("silence_end_s"),
    }
    out: dict[str, float | None] = {}
    for name, value in values.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            out[name] = None
        else:
            out[name] = float(value)
    return out


class _Blank(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "?"


def _message(rule: Rule, value: float, context: Mapping[str, Any]) -> str:
    fields = _Blank(context)
    fields.update(value=value, min=rule.min, max=rule.max)
    try:
        return string.Formatter().vformat(rule.message, (), fields)
    except (ValueError, TypeError, IndexError, KeyError):
        return f"{rule.message} ({rule.metric} = {value:g})"


def _excess(rule: Rule, value: float) -> float:
    if rule.min is not None and value < rule.min:
        return rule.min - value
    if rule.max is not None and value > rule.max:
        return value - rule.max
    return 0.0


def advise(metrics: Mapping[str, float | None], rules: Iterable[Rule], stage: str,
           context: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Advice items (most severe first) from the rules of `stage` that fire on `metrics`."""
    best: dict[str, tuple[Rule, float]] = {}
    order: list[str] = []
    for rule in rules:
        if rule.stage != stage:
            continue
        value = metrics.get(rule.metric)
        if value is None or _excess(rule, value) <= 0:
            continue
        if rule.metric not in best:
            order.append(rule.metric)
            best[rule.metric] = (rule, value)
        elif rule.severity > best[rule.metric][0].severity:
            best[rule.metric] = (rule, value)
    items = []
    for metric in order:
        rule, value = best[metric]
        item: dict[str, Any] = {
            "id": rule.id,
            "why": rule.why,
            "message": _message(rule, value, context or {}),
            "severity": rule.severity,
            "metric": metric,
            "value": round(value, 3),
        }
        if rule.source:
            item["source"] = rule.source
        items.append(item)
    items.sort(key=lambda i: -int(i["severity"]))  # stable: knowledge order within a level
    return items
