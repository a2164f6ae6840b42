"""Mixing & Mastering: the release target, the bounced mix measured against it, the advice
walked through most important first, a master preview, and the release checklist.

The bounced mix (named at any turn of the stage, or as the answer to the mix question) is
measured by `analysis.audio_report.analyze_audio` against the platform's target and the
genre's spectral curve; the reply carries the result as `Reply.analysis`, which the TUI draws
as a loudness meter and a spectral-balance chart. The advice comes a couple of items at a
time ("next" for more). "master it" (or the option) runs `analysis.master.master_file` into
a new file next to the mix (or the data folder's exports when that folder is read-only) —
the mix itself is only read — and shows before/after; the release checklist ends the stage.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.song import Song
from assistant.stages.base import (
    Choice,
    Ctx,
    PathHandler,
    SlotHandler,
    StageFlow,
    Step,
    ToolHook,
    decision,
    examples_line,
    register_tool,
)
from assistant.stages.files import find_file, kind_of, output_beside, slug

if TYPE_CHECKING:
    from assistant.dialogue import Parsed
    from assistant.kb.schema import Question


def target_choices(ctx: Ctx) -> list[Choice]:
    genre = ctx.kb.find_genre(ctx.song.genre) if ctx.song.genre else None
    choices = []
    for target in ctx.kb.targets:
        why = target.why
        if genre:
            why += (f" {genre.name} masters often sit near {genre.loudness_lufs:g} LUFS; "
                    f"louder than the platform just gets turned down.")
        choices.append(Choice(
            label=f"{target.name}: {target.lufs:g} LUFS · {target.true_peak_dbtp:g} dBTP",
            why=why, rule_ids=(target.id,),
            patch={"mix.platform": target.name, "mix.lufs": target.lufs,
                   "mix.true_peak_dbtp": target.true_peak_dbtp},
            decisions=[decision("target", f"{target.name} {target.lufs:g} LUFS, "
                                f"{target.true_peak_dbtp:g} dBTP", target.why, [target.id])],
        ))
    return choices


class PlatformHandler:
    def filled(self, song: Song) -> bool:
        return song.mix.platform is not None

    def ask(self, ctx: Ctx, question: Question) -> Step:
        return Step(f"{question.text}{examples_line(question)}", choices=target_choices(ctx))

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        for choice in target_choices(ctx):
            name = str(choice.patch["mix.platform"])
            if name.lower() in parsed.text.lower() or (
                ctx.kb.find_target(parsed.text) and ctx.kb.find_target(parsed.text).name == name  # type: ignore[union-attr]
            ):
                return Step(f"{choice.label}.", patch=choice.patch, decisions=choice.decisions,
                            answered=True)
        return None


MIX = "mix"
"""Memo: the mix analysed last: path, target, genre, figures, advice and how much is shown."""
OFFER = "~mix.offer"
"""Memo: the master preview is offered and waits for a yes or a no."""
ADVICE_PAGE = 2
FIGURES = ("integrated_lufs", "short_term_max_lufs", "loudness_range_lu", "true_peak_dbtp",
           "sample_peak_dbfs", "plr_db", "clipped_samples", "silence_start_s",
           "silence_end_s", "sample_rate", "subtype", "channels", "duration_s")


def _db(value: float | None, unit: str, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f} {unit}".replace("-", "−")


def target_of(ctx: Ctx, text: str = "") -> tuple[str, bool]:
    """The knowledge-base target to measure against (its short id) and whether the user chose
    it: one named in `text`, else the sheet's platform, else Spotify's as a reference."""
    kb = ctx.kb
    low = text.lower()
    for target in kb.targets:
        short = target.id.split(".", 1)[1]
        if target.name.lower() in low or re.search(rf"\b{re.escape(short)}\b", low):
            return short, True
    if ctx.song.mix.platform:
        found = kb.find_target(ctx.song.mix.platform)
        if found is not None:
            return found.id.split(".", 1)[1], True
    return "spotify", False


def _genre_of(ctx: Ctx, genre: str | None = None) -> str | None:
    """The genre (the sheet's by default) when the knowledge base has a curve for it."""
    genre = genre or ctx.song.genre
    if not genre:
        return None
    from assistant.analysis.audio_report import resolve_curve
    from assistant.errors import CoachError

    try:
        name, curve = resolve_curve(ctx.kb, genre)
    except CoachError:
        return None
    return genre if curve is not None else None


def for_the_face(result: dict[str, Any]) -> dict[str, Any]:
    """The analysis as the TUI draws it (the per-0.5 s timeline and clip list left out)."""
    return {k: v for k, v in result.items() if k not in ("timeline", "clips")}


def _advice_items(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": a["id"], "message": a["message"], "why": a["why"],
             "severity": a["severity"]} for a in result.get("advice", [])]


def _summary_lines(result: dict[str, Any]) -> list[str]:
    r = result
    target = r.get("target") or {}
    lines = []
    loud = _db(r["integrated_lufs"], "LUFS")
    if r["integrated_lufs"] is not None and target:
        diff = f"{r['integrated_lufs'] - target['lufs']:+.1f}".replace("-", "−")
        loud += f" ({diff} LU from the target)"
    lines.append(f"- loudness {loud} integrated · short-term max "
                 f"{_db(r['short_term_max_lufs'], 'LUFS')} · range "
                 f"{_db(r['loudness_range_lu'], 'LU')}")
    clips = (f"{r['clipped_samples']} clipped samples" if r["clipped_samples"]
             else "no clipping")
    lines.append(f"- true peak {_db(r['true_peak_dbtp'], 'dBTP')} (ceiling "
                 f"{_db(target.get('true_peak_dbtp'), 'dBTP')}) · PLR {_db(r['plr_db'], 'dB')} "
                 f"· {clips}")
    stereo = r.get("stereo")
    if stereo:
        lines.append(f"- stereo correlation {_db(stereo['correlation'], '', 2).strip()} · mono "
                     f"loss {_db(stereo['mono_loss_db'], 'dB')} · balance "
                     f"{_db(stereo['balance_db'], 'dB')}")
    worst = r.get("worst_band")
    genre = (r.get("genre") or {}).get("name")
    if worst and worst.get("deviation_db") is not None and genre:
        lines.append(f"- tonal balance: furthest from the {genre} curve at {worst['band']} "
                     f"({worst['deviation_db']:+.1f} dB)".replace("-", "−"))
    for note in r.get("notes", [])[:2]:
        lines.append(f"- note: {note}")
    return lines


def _advice_text(advice: list[dict[str, Any]], start: int) -> tuple[str, int]:
    """The next page of advice and where the following page starts."""
    end = min(len(advice), start + ADVICE_PAGE)
    head = (f"**Advice, most important first** ({start + 1}–{end} of {len(advice)}):"
            if end - start > 1 else f"**Advice** ({end} of {len(advice)}):")
    lines = [head]
    for n, item in enumerate(advice[start:end], start + 1):
        mark = {3: "fix before release", 2: "worth fixing", 1: "a nudge"}[int(item["severity"])]
        lines.append(f"{n}. {item['message']} ({mark})\n   _Why: {item['why']}_")
    return "\n".join(lines), end


def _next_hint(remaining: int, mastered: bool) -> str:
    parts = []
    if remaining:
        parts.append(f"`next` for {'the last piece' if remaining == 1 else 'more'} of advice "
                     f"({remaining} left)")
    if not mastered:
        parts.append("“master it” for a loudness-matched master preview")
    parts.append("“checklist” for the release checklist")
    return "Say " + ", ".join(parts[:-1]) + (" or " if len(parts) > 1 else "") + parts[-1] + "."


def mix_choices(target_name: str, lufs: float, tp: float) -> list[Choice]:
    return [
        Choice(label=f"Master preview for {target_name} ({lufs:g} LUFS, {tp:g} dBTP)",
               why="Gain to the target's loudness, a gentle EQ nudge toward the genre curve "
                   "(at most ±3 dB) and a true-peak limiter; written next to your mix.",
               action="mix:master"),
        Choice(label="Release checklist", why="What to check before you upload: the figures "
               "against the target, the file, and the rest.", action="mix:checklist"),
    ]


def analyse(ctx: Ctx, path: Path, target: str, genre: str | None = None) -> dict[str, Any]:
    from assistant.analysis.audio_report import analyze_audio

    return analyze_audio(path, target=target, genre=_genre_of(ctx, genre), stage="mixing",
                         kb=ctx.kb)


def tonal_step(ctx: Ctx, genre: str, step: Step) -> Step:
    """The genre answered after a mix was measured: measure its tonal balance against the
    genre's curve and add that (and the picture) to the genre's step."""
    mix = ctx.memo.get(MIX)
    if not mix or mix.get("genre") or _genre_of(ctx, genre) is None:
        return step
    from assistant.errors import CoachError

    try:
        result = analyse(ctx, Path(mix["path"]), mix["target"], genre)
    except CoachError:
        return step
    worst = result.get("worst_band")
    if worst and worst.get("deviation_db") is not None:
        step.text += (f" Your mix is furthest from the {genre} curve at {worst['band']} "
                      f"({worst['deviation_db']:+.1f} dB).").replace("-", "−")
    step.analysis = for_the_face(result)
    step.memo = {MIX: {**mix, "genre": _genre_of(ctx, genre)}}
    return step


def mix_step(ctx: Ctx, text: str) -> Step:
    """Measure the mix the text names: figures, the first advice, the master offered."""
    path, exists = find_file(text)
    kind = kind_of(path)
    if kind == "compressed":
        return Step(f"`{path.name}` is compressed audio: bounce the mix as WAV or FLAC at full "
                    "resolution and give me that file.", keep_choices=True)
    if kind == "midi":
        return Step(f"`{path.name}` is a MIDI file: bounce the mix to audio (WAV or FLAC) in "
                    "your DAW and give me that.", keep_choices=True)
    if not exists:
        return Step(f"I can't find `{path}`. Give the path of your bounced mix (WAV, FLAC or "
                    "AIFF), relative to the folder you started the coach in, or say “skip”.",
                    keep_choices=True)
    from assistant.errors import CoachError

    target, chosen = target_of(ctx, "")
    try:
        result = analyse(ctx, path, target)
    except CoachError as error:
        return Step(f"I couldn't measure that mix: {error}.", keep_choices=True)
    tgt = result["target"]
    genre = (result.get("genre") or {}).get("name")
    against = f"**{tgt['name']}** ({tgt['lufs']:g} LUFS, true peak ≤ {tgt['true_peak_dbtp']:g} " \
              "dBTP)" + ("" if chosen else " — no platform chosen yet, so Spotify's as a reference")
    if genre:
        against += f" and the **{genre}** curve"
    minutes, seconds = divmod(round(result["duration_s"]), 60)
    lines = [f"**{path.name}** — {minutes}:{seconds:02d}, {result['layout']}, "
             f"{result['sample_rate'] / 1000:g} kHz, measured against {against}:", "",
             *_summary_lines(result), ""]
    advice = _advice_items(result)
    shown = 0
    if advice:
        page, shown = _advice_text(advice, 0)
        lines.append(page)
    else:
        lines.append("Nothing to fix by the mixing rules: it meets the target as it is.")
    lines += reference_lines(ctx, path)
    lines += ["", _next_hint(len(advice) - shown, mastered=False)]
    figures = {k: result.get(k) for k in FIGURES}
    memo = {MIX: {"path": str(path), "target": target, "genre": _genre_of(ctx),
                  "advice": advice, "shown": shown, "figures": figures, "master": None,
                  "checklist": False},
            OFFER: True}
    verdict = (f"{_db(result['integrated_lufs'], 'LUFS')}, "
               f"{_db(result['true_peak_dbtp'], 'dBTP')} true peak")
    return Step("\n".join(lines), choices=mix_choices(tgt["name"], tgt["lufs"],
                                                       tgt["true_peak_dbtp"]),
                analysis=for_the_face(result), memo=memo,
                patch={"+notes": f"Mix: {path}"},
                decisions=[decision("mix analysis", f"{path.name}: {verdict}",
                                    f"Against {tgt['name']}.",
                                    [a["id"] for a in advice])])


def reference_lines(ctx: Ctx, path: Path) -> list[str]:
    """The mix against the song's reference (when one was analysed), matched in loudness."""
    ref = ctx.song.reference
    if ref is None or not Path(ref.path).is_file():
        return []
    from assistant.analysis.reference_compare import compare_to_reference
    from assistant.errors import CoachError

    try:
        found = compare_to_reference(path, ref.path)
    except CoachError as error:
        return ["", f"I couldn't compare it with your reference {Path(ref.path).name}: {error}."]
    return ["", f"Against your reference **{Path(ref.path).name}** (matched in loudness, "
            "like a reference-track plug-in):", *(f"- {line}" for line in found.why)]


def more_advice(ctx: Ctx) -> Step:
    mix = ctx.memo[MIX]
    advice, start = mix["advice"], int(mix["shown"])
    page, end = _advice_text(advice, start)
    text = page + "\n\n" + _next_hint(len(advice) - end, mastered=bool(mix.get("master")))
    return Step(text, keep_choices=True, memo={MIX: {**mix, "shown": end}})


def master_step(ctx: Ctx, text: str = "") -> Step:
    """Write the master preview next to the mix, show before/after, end with the checklist."""
    mix = ctx.memo.get(MIX)
    if not mix:
        return Step("Give me the path of your bounced mix first; then I can master it.",
                    keep_choices=True)
    source = Path(mix["path"])
    target, _ = target_of(ctx, text)
    from assistant.analysis.master import master_file
    from assistant.errors import CoachError

    suffix = source.suffix.lower() if source.suffix.lower() in (".wav", ".flac", ".aif",
                                                                ".aiff") else ".wav"
    try:
        output = output_beside(source, f"{source.stem}-master-{slug(target)}{suffix}",
                               "exports")
        result = master_file(source, output, target=target, genre=mix.get("genre"), kb=ctx.kb)
    except CoachError as error:
        return Step(f"I couldn't make the master: {error}.", keep_choices=True)
    tgt, before, after = result["target"], result["before"], result["after"]
    rows = [("integrated loudness", "integrated_lufs", "LUFS"),
            ("true peak", "true_peak_dbtp", "dBTP"),
            ("short-term max", "short_term_max_lufs", "LUFS"),
            ("loudness range", "loudness_range_lu", "LU"), ("PLR", "plr_db", "dB")]
    lines = [f"Master preview for **{tgt['name']}** written to `{output}` — your mix is "
             "untouched.", "", "| | mix | master |", "|---|---|---|"]
    for label, key, unit in rows:
        lines.append(f"| {label} | {_db(before.get(key), unit)} | {_db(after.get(key), unit)} |")
    if before.get("worst_band") and after.get("worst_band"):
        wb, wa = before["worst_band"], after["worst_band"]
        lines.append(f"| furthest band | {wb['band']} {wb['deviation_db']:+.1f} dB | "
                     f"{wa['band']} {wa['deviation_db']:+.1f} dB |")
    eq = ", ".join(f"{g['band']} {g['gain_db']:+.1f}" for g in result["eq"]
                   if abs(g["gain_db"]) >= 0.1)
    done = [f"gain {result['gain_db']:+.1f} dB"]
    if eq:
        done.append(f"EQ toward the {result['genre']['name']} curve (dB): {eq}")
    lim = result["limiter"]
    done.append(f"a true-peak limiter at {lim['ceiling_dbtp']:.2f} dBTP (at most "
                f"{lim['max_reduction_db']:.1f} dB of gain reduction)")
    lines += ["", "What it did: " + "; ".join(done) + ".",
              "A preview, not a replacement for mastering by ear: compare it with the mix at "
              "matched loudness."]
    figures = {**mix["figures"], **{k: after.get(k) for k in FIGURES if k in after}}
    lines += ["", release_checklist(ctx, figures, tgt, mastered=True)]
    picture = {**after, "target": tgt, "genre": result.get("genre"), "notes": result["notes"],
               "spectral_balance": result["spectral_balance"]["after"]}
    return Step("\n".join(lines), answered=ctx.slot == "mix", then_ask=ctx.slot != "mix",
                analysis=picture,
                memo={MIX: {**mix, "master": str(output), "checklist": True}, OFFER: None},
                patch={"+notes": f"Master preview: {output}"},
                decisions=[decision("master preview", f"{output.name}: "
                                    f"{_db(after.get('integrated_lufs'), 'LUFS')}, "
                                    f"{_db(after.get('true_peak_dbtp'), 'dBTP')}",
                                    f"Loudness-matched to {tgt['name']}.")])


def _limit(ctx: Ctx, metric: str, default: float) -> float:
    for rule in ctx.kb.rules:
        if rule.stage == "mixing" and rule.metric == metric and rule.max is not None:
            return float(rule.max)
    return default


def release_checklist(ctx: Ctx, f: dict[str, Any], tgt: dict[str, Any], *,
                      mastered: bool) -> str:
    """The release checklist, ticked from the measured figures where figures can say."""
    def item(ok: bool, text: str) -> str:
        return f"- [{'x' if ok else ' '}] {text}"

    lufs, tp = f.get("integrated_lufs"), f.get("true_peak_dbtp")
    lines = [f"**Release checklist — {tgt['name']}**"]
    if lufs is not None:
        ok = abs(lufs - tgt["lufs"]) <= 1.0
        lines.append(item(ok, f"Loudness {_db(lufs, 'LUFS')} — within 1 LU of "
                              f"{_db(tgt['lufs'], 'LUFS', 0)}" + ("" if ok else
                              " (use the master preview, or your limiter)")))
    if tp is not None:
        ok = tp <= tgt["true_peak_dbtp"]
        lines.append(item(ok, f"True peak {_db(tp, 'dBTP')} — at or under "
                              f"{_db(tgt['true_peak_dbtp'], 'dBTP', 0)}"))
    clipped = f.get("clipped_samples") or 0
    lines.append(item(clipped == 0, "No clipped samples" if clipped == 0
                      else f"{clipped} clipped samples: bounce again with the master fader down"))
    start, end = f.get("silence_start_s"), f.get("silence_end_s")
    start_max = _limit(ctx, "silence_start_s", 0.5)
    end_max = _limit(ctx, "silence_end_s", 3.0)
    if start is not None:
        lines.append(item(start <= start_max, f"{start:.1f} s of silence at the start "
                          f"(at most {start_max:g} s)"))
    if end is not None:
        lines.append(item(end <= end_max, f"{end:.1f} s of silence at the end (at most "
                          f"{end_max:g} s; keep the reverb tail)"))
    deep = f.get("subtype") in ("PCM_24", "PCM_32", "FLOAT", "DOUBLE")
    rate = f.get("sample_rate") or 0
    lines.append(item(deep and rate in (44100, 48000),
                      f"Full resolution: 24-bit WAV or FLAC at 44.1/48 kHz (this file: "
                      f"{f.get('subtype', '?')}, {rate / 1000:g} kHz)"))
    if not mastered:
        lines.append(item(False, "Master it (say “master it” for a preview) or have it "
                                 "mastered"))
    lines += [item(False, "Listen to the whole master on headphones, a phone speaker and in "
                          "a car"),
              item(False, "Metadata: title, artist, songwriter credits, ISRC, cover art"),
              item(False, "Back up the session, the stems, the mix and the master")]
    return "\n".join(lines)


def checklist_step(ctx: Ctx) -> Step:
    mix = ctx.memo.get(MIX)
    if not mix:
        return Step("Give me your bounced mix first and I'll tick the checklist from its "
                    "figures.", keep_choices=True)
    target, _ = target_of(ctx)
    tgt_entry = ctx.kb.find_target(target)
    tgt = {"name": tgt_entry.name, "lufs": tgt_entry.lufs,
           "true_peak_dbtp": tgt_entry.true_peak_dbtp} if tgt_entry else {
        "name": target, "lufs": -14.0, "true_peak_dbtp": -1.0}
    text = release_checklist(ctx, mix["figures"], tgt, mastered=bool(mix.get("master")))
    return Step(text, answered=ctx.slot == "mix", then_ask=ctx.slot != "mix",
                memo={MIX: {**mix, "checklist": True}, OFFER: None})


_MASTER = re.compile(r"\bmaster(?:ing|ed)?\b.*|\bmake (?:the |a )?master\b")
_CHECKLIST = re.compile(r"\b(?:checklist|check list|release list)\b")
_MORE = re.compile(r"^(?:next|more|more advice|next advice|go on|continue|what else|"
                   r"anything else|next one|next tip)$")


def run_mix(ctx: Ctx, parsed: Parsed) -> Step | None:
    text = " ".join(parsed.text.lower().strip(" .!?").split())
    intent = parsed.intent
    if parsed.slots.path and intent in ("answer", "question", "change", "tool"):
        return mix_step(ctx, parsed.slots.path)
    mix = ctx.memo.get(MIX)
    if not mix:
        return None
    remaining = len(mix["advice"]) - int(mix["shown"])
    if intent in ("next", "more") or _MORE.match(text):
        if remaining > 0:
            return more_advice(ctx)
        if intent == "more":
            return None
        if not mix.get("checklist"):
            return checklist_step(ctx)
        return None
    if _CHECKLIST.search(text):
        return checklist_step(ctx)
    if ctx.memo.get(OFFER) and intent == "yes":
        return master_step(ctx, text)
    if ctx.memo.get(OFFER) and intent == "no":
        return checklist_step(ctx)
    if intent in ("answer", "question", "tool") and _MASTER.search(text) and not _is_tip_question(text):
        return master_step(ctx, text)
    return None


def _is_tip_question(text: str) -> bool:
    """"how loud should the master be?": a question for the tips, not an order."""
    return bool(re.match(r"^(how|what|why|when|which|should|is|are|does|do)\b", text))


def act_mix(ctx: Ctx, argument: str) -> Step:
    return master_step(ctx) if argument == "master" else checklist_step(ctx)


class MixHandler(PathHandler):
    """The bounced mix: measured on the spot (the same as naming it at any turn)."""

    prompt = "Give the path of your bounced mix (WAV, FLAC or AIFF), or say “skip”."

    def ask(self, ctx: Ctx, question: Question) -> Step:
        mix = ctx.memo.get(MIX)
        if not mix:
            return super().ask(ctx, question)
        # measured already (named before this question came up): say so, keep the offers
        name = Path(mix["path"]).name
        target, _ = target_of(ctx)
        again = "" if target == mix["target"] else (
            f" (against {mix['target']}: name it again to measure it for your platform)")
        entry = ctx.kb.find_target(target)
        choices = mix_choices(entry.name, entry.lufs, entry.true_peak_dbtp) if entry else []
        return Step(f"{question.text} I measured `{name}` already{again}. Give a new bounce, "
                    "or pick below, or say “skip”.", choices=choices)

    def on_path(self, ctx: Ctx, path: str) -> Step:
        return mix_step(ctx, path)


class CurveGenreHandler:
    """The genre whose reference spectral curve the mix is compared with."""

    def filled(self, song: Song) -> bool:
        return song.genre is not None

    def ask(self, ctx: Ctx, question: Question) -> Step:
        return Step(f"{question.text}{examples_line(question)}")

    def answer(self, ctx: Ctx, question: Question, parsed: Parsed) -> Step | None:
        genre_id = parsed.slots.genre
        genre = ctx.kb.find_genre(genre_id.split(".", 1)[-1]) if genre_id else None
        if genre is None:
            genre = ctx.kb.find_genre(parsed.text)
        if genre is None:
            return None
        why = (f"The mix is compared with {genre.name}'s average tonal balance; its masters "
               f"sit near {genre.loudness_lufs:g} LUFS.")
        step = Step(f"{genre.name} it is. {why}", patch={"genre": genre.name}, answered=True,
                    decisions=[decision("genre", genre.name, why, [genre.id])])
        return tonal_step(ctx, genre.name, step)


register_tool("mixing", ToolHook(
    "mix", run_mix, act=act_mix, intents=frozenset({"next", "more", "yes", "no", "checklist"}),
    help="name your bounced mix (“mixes/song_v3.wav”) — loudness, true peak, stereo and tonal "
         "balance against the target; `next` for more advice; “master it”; “checklist”",
))


class Mixing(StageFlow):
    name = "mixing"
    handlers: dict[str, SlotHandler] = {
        "platform": PlatformHandler(), "mix": MixHandler(), "genre": CurveGenreHandler(),
    }
    aliases = {"mix.platform": "platform", "target": "platform", "targets": "platform",
               "loudness": "platform", "mix.file": "mix", "bounce": "mix", "mixdown": "mix"}
