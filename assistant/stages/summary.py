"""The sheet in words: a stage's summary and checklist, the `status` sheet, the final recap."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assistant.song import STAGE_TITLES, STAGES, Song, StageName


def fmt_time(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def decisions_lines(song: Song, stage: StageName) -> list[str]:
    lines = []
    for d in song.decisions:
        if d.stage != stage:
            continue
        why = f" — {d.why}" if d.why else ""
        lines.append(f"- **{d.field}**: {d.value}{why}")
    return lines


def checklist_marks(song: Song, stage: StageName, checklist: Sequence[str],
                    ticked_by: Mapping[int, Sequence[str]] | None = None) -> list[bool]:
    """Per item: done? Ticked by the user, or settled on the sheet: a decision (made in any
    stage) on one of the fields `ticked_by` names for it."""
    ticked = set(song.stages[stage].checklist_done)
    decided = {d.field for d in song.decisions}
    rules = ticked_by or {}
    return [item in ticked or any(f in decided for f in rules.get(n, ()))
            for n, item in enumerate(checklist, 1)]


def checklist_lines(song: Song, stage: StageName, checklist: Sequence[str],
                    ticked_by: Mapping[int, Sequence[str]] | None = None, *,
                    numbered: bool = False) -> list[str]:
    marks = checklist_marks(song, stage, checklist, ticked_by)
    return [f"- [{'x' if done else ' '}] {f'{n}. ' if numbered else ''}{item}"
            for n, (item, done) in enumerate(zip(checklist, marks, strict=True), 1)]


def stage_summary(song: Song, stage: StageName, checklist: Sequence[str],
                  ticked_by: Mapping[int, Sequence[str]] | None = None) -> str:
    title = STAGE_TITLES[stage]
    lines = [f"### {title}: summary"]
    decided = decisions_lines(song, stage)
    lines += decided or ["- nothing decided here yet — you can come back any time"]
    notes = song.stages[stage].notes
    if notes:
        lines += ["", "Notes:"] + [f"- {n}" for n in notes]
    if checklist:
        lines += ["", f"**{title} checklist**",
                  *checklist_lines(song, stage, checklist, ticked_by)]
    return "\n".join(lines)


def chords(song: Song) -> str:
    from assistant.stages.music import chord_line

    return chord_line(song.progression, song.key) if song.progression else "—"


def sheet_rows(song: Song, *, full: bool = False) -> list[tuple[str, str]]:
    """The sheet's headline figures as (name, value) rows: for `status` and, with
    `full`, for the exported song.md (which adds the user's own words and the line-up)."""
    length = fmt_time(song.length_s) if song.length_s else "—"
    rows = [
        ("Mood", ", ".join(song.moods) or ("—" if full else song.mood_text or "—")),
        *([("In your words", song.mood_text or "—")] if full else []),
        ("Genre", song.genre or "—"),
        ("References", ", ".join(song.references) or "—"),
        ("Key", song.key.name if song.key else "—"),
        ("Tempo", f"{song.tempo:g} bpm" if song.tempo else "—"),
        ("Meter", song.meter),
        ("Length asked" if full else "Length", length),
        ("Progression", chords(song)),
    ]
    if full:
        line_up = ", ".join(f"{i.name} ({i.role})" for i in song.instrumentation)
        rows.append(("Line-up", line_up or "—"))
    return rows


def work_rows(song: Song) -> list[tuple[str, str]]:
    """What the user made or brought beyond the headline figures — section chords, the
    melody, lyrics, takes, a favourite song — as (name, value) rows, only those present."""
    from pathlib import PurePath

    from assistant.stages.music import chord_line

    rows: list[tuple[str, str]] = []
    own: dict[str, str] = {}
    for s in song.sections:
        base = s.name.split()[0] if s.name.split() else s.name
        if s.progression and s.progression != song.progression and base not in own:
            own[base] = chord_line(s.progression, song.key)
    for base, numerals in own.items():
        rows.append((f"{base[:1].upper()}{base[1:]} chords", numerals))
    line = next((m for m in (song.melody, song.motif) if m is not None and m.notes), None)
    if line is not None:
        what = "Melody" if line is song.melody else "Motif"
        rows.append((what, f"{len(line.notes)} notes" + (f" ({line.source})" if line.source else "")))
    if song.lyrics:
        rows.append(("Lyrics", ", ".join(f"{s.name} ({len(s.lines)} lines)" for s in song.lyrics)))
    if song.takes:
        scored = [t for t in song.takes if t.score is not None]
        best = max(scored, key=lambda t: t.score or 0.0) if scored else None
        text = f"{len(song.takes)}"
        if best is not None:
            text += f"; best {PurePath(best.path).name} ({best.score:.0f})"
        rows.append(("Takes", text))
    ref = song.reference
    if ref is not None:
        facts = [f for f in (ref.key, f"{ref.tempo_bpm:.0f} bpm" if ref.tempo_bpm else "") if f]
        rows.append(("Favourite", PurePath(ref.path).name + (f": {', '.join(facts)}" if facts else "")))
    return rows


def sheet_markdown(song: Song) -> str:
    """The Song sheet so far, for `status`."""
    lines = [f"**{song.title}**", ""]
    lines += [f"- {name}: {value}" for name, value in sheet_rows(song)]
    if song.sections:
        lines.append(f"- Structure ({song.total_bars} bars, {fmt_time(song.duration_s())}):")
        for s in song.sections:
            inst = "" if s.instruments is None else f" — {', '.join(s.instruments) or 'silence'}"
            lines.append(f"  - {s.name} · {s.bars} bars · energy {s.energy}/5{inst}")
    lines += [f"- {name}: {value}" for name, value in work_rows(song)]
    if song.instrumentation:
        lines.append("- Line-up: " + ", ".join(i.name for i in song.instrumentation))
    if song.recording.sources:
        lines.append("- Recording: " + ", ".join(song.recording.sources))
    if song.mix.platform:
        lines.append(f"- Release target: {song.mix.platform} ({song.mix.lufs:g} LUFS, "
                     f"{song.mix.true_peak_dbtp:g} dBTP)")
    marks = {"done": "✓", "active": "▶", "skipped": "–", "todo": "·"}
    lines.append("- Stages: " + "  ".join(
        f"{marks[song.stages[s].status]} {STAGE_TITLES[s]}" for s in STAGES))
    return "\n".join(lines)


def final_summary(song: Song) -> str:
    return ("## Done: all six stages\n\n" + sheet_markdown(song) + "\n\nExport everything "
            "(song.json, song.md, song.mid, preview.wav) with `coach sessions export ID --to DIR`"
            " — or Ctrl+S in the full-screen coach.")
