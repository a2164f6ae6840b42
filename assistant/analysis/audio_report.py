"""`coach analyze` for audio: measure, compare with a target and a genre curve, advise.

Public API (the conversation and the TUI call these):

    analyze_audio(path, *, target=None, genre=None, stage="auto", kb=None) -> dict
    format_audio_report(result) -> str
    resolve_target(kb, name) / resolve_curve(kb, genre)

The result is one JSON-ready dict holding both contracts, the take check (recording) and
the mix analysis (mixing); `stage` only chooses which knowledge rules give advice.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from assistant.errors import BadInput, CoachError

if TYPE_CHECKING:
    from assistant.analysis.audio import AudioInfo, Measurement
    from assistant.kb.loader import Knowledge
    from assistant.kb.schema import SpectralCurve, Target

Stage = Literal["auto", "recording", "mixing"]
DEFAULT_TARGET = "spotify"
MIX_MIN_SECONDS = 30.0
TIMELINE_HOP_S = 0.5

STAGE_HELP = (
    "which knowledge rules give advice: 'recording' (a take: peaks, clipping, noise "
    "floor, DC), 'mixing' (a bounced mix: loudness against the target, true peak, "
    "dynamics, stereo, tonal balance). Default 'auto': mixing when --target or --genre "
    f"is given, else recording for a mono file or one shorter than {MIX_MIN_SECONDS:.0f} s, "
    "else mixing. Every figure is measured whatever the stage."
)


def choose_stage(stage: Stage, *, channels: int, duration_s: float, target: str | None,
                 genre: str | None) -> Literal["recording", "mixing"]:
    if stage != "auto":
        return stage
    if target or genre:
        return "mixing"
    if channels == 1 or duration_s < MIX_MIN_SECONDS:
        return "recording"
    return "mixing"


# --- knowledge look-ups ------------------------------------------------------------------

def resolve_target(kb: Knowledge, name: str | None) -> Target | None:
    """The release target called `name` (BadInput listing the known ones if unknown)."""
    if name is None:
        return kb.find_target(DEFAULT_TARGET) or (kb.targets[0] if kb.targets else None)
    found = kb.find_target(name)
    if found is None:
        known = ", ".join(t.id.split(".", 1)[1] for t in kb.targets) or "none in the knowledge base"
        raise BadInput(f"unknown target {name!r}; known targets: {known}")
    return found


def resolve_curve(kb: Knowledge, genre: str | None) -> tuple[str | None, SpectralCurve | None]:
    """(genre name, its spectral curve) for `genre`, by genre entry or by curve name."""
    if not genre:
        return None, None
    from assistant.kb.schema import SpectralCurve

    entry = kb.find_genre(genre)
    if entry is not None and entry.spectral_curve:
        curve = kb.get(entry.spectral_curve)
        if isinstance(curve, SpectralCurve):
            return entry.name, curve
    words = " ".join(genre.lower().replace("-", " ").replace("_", " ").split())
    for curve in kb.curves:
        names = {curve.name.lower(), curve.id.split(".", 1)[1].replace("-", " ")}
        if words in names or words.replace(" ", "") in {n.replace(" ", "") for n in names}:
            return curve.name, curve
    if entry is not None:
        return entry.name, None
    known = ", ".join(c.id.split(".", 1)[1] for c in kb.curves) or "none"
    raise BadInput(f"unknown genre {genre!r}; genres with a reference curve: {known}")


def _load_in_background() -> tuple[threading.Thread, dict[str, Any]]:
    """Load the knowledge base on a thread while numpy (which drops the GIL) measures."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            from assistant.kb.loader import knowledge

            box["kb"] = knowledge()
        except BaseException as error:  # handed to the caller's thread
            box["error"] = error

    thread = threading.Thread(target=work, name="coach-kb", daemon=True)
    thread.start()
    return thread, box


# --- the result --------------------------------------------------------------------------

def _num(value: float | None, digits: int = 2) -> float | None:
    """JSON-safe: None for unmeasured and for +-inf (the notes say which and why)."""
    if value is None or math.isinf(value) or math.isnan(value):
        return None
    return round(float(value), digits)


def _db(value: float) -> float:
    return 20 * math.log10(value) if value > 0 else -math.inf


def measurement_dict(info: AudioInfo, m: Measurement) -> dict[str, Any]:
    """The measured figures, JSON-ready, without target, curve or advice."""
    loud = m.loudness
    tp, sp, rms = _db(m.true_peak), _db(m.sample_peak), _db(m.rms)
    integrated = loud.integrated
    plr = tp - integrated if integrated is not None and math.isfinite(integrated) else None
    hop = max(1, round(TIMELINE_HOP_S / 0.01))
    timeline = [_num(v, 1) for v in loud.short_term[::hop]] if loud.short_term.size else []
    dc = max(m.dc, key=abs) if m.dc else 0.0
    stereo = None
    if m.stereo is not None:
        stereo = {key: _num(value, 3) for key, value in m.stereo.items()}
    return {
        "kind": "audio",
        "file": info.path,
        "format": info.format,
        "subtype": info.subtype,
        "sample_rate": info.sr,
        "channels": info.channels,
        "layout": m.layout,
        "duration_s": round(m.duration_s, 3),
        "integrated_lufs": _num(integrated),
        "short_term_max_lufs": _num(loud.short_term_max),
        "momentary_max_lufs": _num(loud.momentary_max),
        "loudness_range_lu": _num(loud.loudness_range),
        "true_peak_dbtp": _num(tp),
        "sample_peak_dbfs": _num(sp),
        "plr_db": _num(plr),
        "crest_db": _num(sp - rms if math.isfinite(sp) and math.isfinite(rms) else None),
        "rms_dbfs": _num(rms),
        "noise_floor_dbfs": _num(m.noise_floor_dbfs, 1),
        "headroom_db": _num(-sp),
        "dc_offset": round(abs(dc), 6),
        "clipped_samples": m.clipped_samples,
        "clips": m.clips[:50],
        "clip_events": len(m.clips),
        "silence_start_s": round(m.silence_start_s, 2),
        "silence_end_s": round(m.silence_end_s, 2),
        "stereo": stereo,
        "timeline": {"hop_s": TIMELINE_HOP_S, "short_term_lufs": timeline},
        "notes": list(m.notes),
    }


def analyze_audio(path: str | Path, *, target: str | None = None, genre: str | None = None,
                  stage: Stage = "auto", kb: Knowledge | None = None) -> dict[str, Any]:
    """Measure `path` and advise: the dict `coach analyze --json` prints."""
    from assistant.analysis import advice, spectrum
    from assistant.analysis.audio import audio_info, measure_file

    info = audio_info(path)  # fail fast on a bad file, before any waiting
    thread, box = (None, {"kb": kb}) if kb is not None else _load_in_background()
    info, m = measure_file(info)
    if thread is not None:
        thread.join()
    if "error" in box:
        error = box["error"]
        raise error if isinstance(error, CoachError) else BadInput(
            f"cannot load the knowledge base: {error}")
    knowledge: Knowledge = box["kb"]
    chosen = choose_stage(stage, channels=info.channels, duration_s=m.duration_s,
                          target=target, genre=genre)
    result = measurement_dict(info, m)
    result["stage"] = chosen
    tgt = resolve_target(knowledge, target) if (target or chosen == "mixing") else None
    genre_name, curve = resolve_curve(knowledge, genre)
    result["target"] = None if tgt is None else {
        "id": tgt.id, "name": tgt.name, "lufs": tgt.lufs, "true_peak_dbtp": tgt.true_peak_dbtp,
        "default": target is None,
    }
    result["genre"] = None if genre_name is None else {
        "name": genre_name, "curve": curve.id if curve else None,
        "source": curve.source if curve else None,
    }
    bands = spectrum.spectral_balance(m.spectrum_freqs, m.spectrum_power, m.sr,
                                      curve.bands if curve else None)
    result["spectral_balance"] = bands if m.spectrum_power.any() else []
    result["worst_band"] = spectrum.worst_band(result["spectral_balance"])
    metrics = advice.metrics_of(result)
    context = {"band": (result["worst_band"] or {}).get("band", "?")}
    if tgt is not None:
        context.update(target_name=tgt.name, target_lufs=tgt.lufs, target_tp=tgt.true_peak_dbtp)
    result["advice"] = advice.advise(metrics, knowledge.rules, chosen, context)
    return result


def add_reference(result: dict[str, Any], path: str | Path) -> dict[str, Any]:
    """Add `"reference"` (tempo, key, loop, sections) to a mix analysis of a favourite song."""
    from assistant.audio_in.reference import analyse, reference_json

    ref = analyse(path, lufs=result.get("integrated_lufs"))
    result["reference"] = reference_json(ref.song)
    return result


def format_reference(ref: dict[str, Any]) -> list[str]:
    """The reference song's lines of the text report."""
    lines = [f"Reference  {ref['key']} \u00b7 about {ref['tempo_bpm']:.0f} bpm \u00b7 loop "
             f"{' '.join(ref['loop']) or 'n/a'}",
             f"Shape      {ref['shape']}"]
    for s in ref["sections"]:
        lines.append(f"           {_time(s['start_s'])}\u2013{_time(s['end_s'])}  {s['label']}  "
                     f"{s['name']}")
    return lines


# --- text --------------------------------------------------------------------------------

def _f(value: Any, unit: str = "", digits: int = 1, inf: str = "-inf") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float) and math.isinf(value):
        return f"{inf} {unit}".strip()
    text = f"{value:.{digits}f}".replace("-", "\u2212")
    return f"{text} {unit}".strip()


def _time(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:04.1f}"


def format_audio_report(result: dict[str, Any]) -> str:
    """A plain-text report of an `analyze_audio` result (what `coach analyze` prints)."""
    r = result
    silent = r["integrated_lufs"] is None and any("silent" in n for n in r["notes"])
    lines = [
        f"{Path(r['file']).name} \u2014 {_time(r['duration_s'])}, {r['sample_rate'] / 1000:g} kHz, "
        f"{r['layout']}, {r['subtype']} \u00b7 advice for {r['stage']}",
    ]
    integrated = "-inf LUFS (silent)" if silent else _f(r["integrated_lufs"], "LUFS")
    lines.append(
        f"Loudness   integrated {integrated} \u00b7 short-term max "
        f"{_f(r['short_term_max_lufs'], 'LUFS')} \u00b7 momentary max "
        f"{_f(r['momentary_max_lufs'], 'LUFS')} \u00b7 range {_f(r['loudness_range_lu'], 'LU')}"
    )
    lines.append(
        f"Peaks      true peak {_f(r['true_peak_dbtp'], 'dBTP')} \u00b7 sample peak "
        f"{_f(r['sample_peak_dbfs'], 'dBFS', 2)} \u00b7 PLR {_f(r['plr_db'], 'dB')} \u00b7 "
        f"crest {_f(r['crest_db'], 'dB')}"
    )
    lines.append(
        f"Level      RMS {_f(r['rms_dbfs'], 'dBFS')} \u00b7 noise floor "
        f"{_f(r['noise_floor_dbfs'], 'dBFS')} \u00b7 headroom {_f(r['headroom_db'], 'dB', 2)} "
        f"\u00b7 DC offset {r['dc_offset']:.4f}"
    )
    if r["clipped_samples"]:
        where = ", ".join(
            f"{c['start_s']:.2f} s" if c["end_s"] - c["start_s"] < 0.01
            else f"{c['start_s']:.2f}\u2013{c['end_s']:.2f} s" for c in r["clips"][:6]
        )
        more = f" (+{r['clip_events'] - 6} more)" if r["clip_events"] > 6 else ""
        lines.append(f"Clipping   {r['clipped_samples']} clipped samples in {r['clip_events']} "
                     f"place{'s' if r['clip_events'] != 1 else ''}: {where}{more}")
    else:
        lines.append("Clipping   none")
    lines.append(f"Silence    {r['silence_start_s']:.2f} s at the start \u00b7 "
                 f"{r['silence_end_s']:.2f} s at the end")
    st = r.get("stereo")
    if st:
        bal = st["balance_db"]
        side = "" if bal is None else ("L" if bal > 0 else "R")
        lines.append(
            f"Stereo     correlation {_f(st['correlation'], '', 2)} \u00b7 width (side/mid) "
            f"{_f(st['width'], '', 2)} \u00b7 mono loss {_f(st['mono_loss_db'], 'dB')} \u00b7 "
            f"balance {side}{_f(None if bal is None else abs(bal), 'dB')}"
        )
    bands = r.get("spectral_balance") or []
    if bands:
        genre = r.get("genre") or {}
        head = "Spectrum   octave bands, dB vs the mean" + (
            f" (target: {genre['name']} curve)" if genre.get("curve") else "")
        lines.append(head)
        cells = []
        for b in bands:
            if b["db"] is None:
                continue
            cell = f"{b['band']:>7} {b['db']:+5.1f}"
            if b.get("target_db") is not None:
                cell += f" ({b['target_db']:+.1f})"
            cells.append(cell)
        for i in range(0, len(cells), 5):
            lines.append("           " + "  ".join(cells[i:i + 5]))
    tgt = r.get("target")
    if tgt:
        def versus(value: float | None, goal: float, unit: str) -> str:
            return "n/a" if value is None else f"{value - goal:+.1f} {unit}"

        lines.append(
            f"Target     {tgt['name']}{' (default)' if tgt.get('default') else ''}: "
            f"{tgt['lufs']:g} LUFS, \u2264 {tgt['true_peak_dbtp']:g} dBTP \u2192 loudness "
            f"{versus(r['integrated_lufs'], tgt['lufs'], 'LU')}, true peak "
            f"{versus(r['true_peak_dbtp'], tgt['true_peak_dbtp'], 'dB')} vs the ceiling"
        )
    if r.get("reference"):
        lines.extend(format_reference(r["reference"]))
    for note in r.get("notes", []):
        lines.append(f"Note       {note}")
    advice = r.get("advice") or []
    lines.append("")
    if advice:
        lines.append(f"Advice ({r['stage']} rules, most important first)")
        marks = {3: "!!", 2: "! ", 1: "\u00b7 "}
        for item in advice:
            lines.append(f" {marks.get(item['severity'], '  ')} {item['message']}")
            lines.append(f"    why: {item['why']}  [{item['id']}]")
    else:
        lines.append(f"Advice     nothing to fix by the {r['stage']} rules.")
    return "\n".join(lines)
