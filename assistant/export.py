"""Session export: song.json, song.md (a readable sheet with every decision and its why, the
checklists and the structure), song.mid and preview.wav — written as a whole or not at all
(into a hidden folder first, then moved into place), and never over the user's own files
unless asked to."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant import fileio
from assistant.errors import FileProblem
from assistant.song import STAGE_TITLES, STAGES, Song

if TYPE_CHECKING:
    from assistant.kb.loader import Knowledge
    from assistant.kb.schema import Stage
    from assistant.render import RenderResult

FILES = ("song.json", "song.md", "song.mid", "preview.wav")


def _stages(kb: Knowledge | None) -> dict[str, Stage]:
    """The knowledge base's stage entries (their checklists), by stage name."""
    if kb is None:
        try:
            from assistant.kb.loader import knowledge

            kb = knowledge()
        except Exception:  # the sheet is still worth writing without the checklists
            return {}
    entries: dict[str, Stage] = {}
    for stage in STAGES:
        try:
            entries[stage] = kb.stage(stage)
        except KeyError:
            continue
    return entries


def song_markdown(song: Song, kb: Knowledge | None = None, render: RenderResult | None = None,
                  placeholders: list[str] | None = None) -> str:
    """The whole song sheet as Markdown."""
    from assistant.stages.summary import checklist_lines, fmt_time, sheet_rows

    lines = [f"# {song.title}", ""]
    rows = sheet_rows(song, full=True)
    lines += ["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]

    lines += ["", "## Structure", ""]
    if song.sections:
        lines += ["| # | section | bars | energy | playing | chords |",
                  "|---|---|---|---|---|---|"]
        for n, s in enumerate(song.sections, 1):
            playing = "everyone" if s.instruments is None else (", ".join(s.instruments) or "—")
            prog = " ".join(s.progression) if s.progression else "song's"
            lines.append(f"| {n} | {s.name} | {s.bars} | {'▮' * s.energy} {s.energy}/5 | "
                         f"{playing} | {prog} |")
        lines.append(f"\n{song.total_bars} bars, {fmt_time(song.duration_s())} at "
                     f"{song.tempo or 100:g} bpm.")
    else:
        lines.append("No structure yet.")

    if song.lyrics:
        from assistant.lyrics.sheet import lyrics_markdown

        lines += ["", *lyrics_markdown(song)]

    stages = _stages(kb)
    lines += ["", "## Decisions, stage by stage"]
    for stage in STAGES:
        state = song.stages[stage]
        lines += ["", f"### {STAGE_TITLES[stage]} ({state.status})", ""]
        decided = [d for d in song.decisions if d.stage == stage]
        for d in decided:
            rules = f" _(rules: {', '.join(d.rule_ids)})_" if d.rule_ids else ""
            lines.append(f"- **{d.field}**: {d.value} — {d.why or 'your choice'}{rules}")
        if not decided:
            lines.append("- nothing decided yet")
        if state.notes:
            lines += ["", "Notes:"] + [f"- {n}" for n in state.notes]
        entry = stages.get(stage)
        if entry is not None and entry.checklist:
            lines += ["", "Checklist:"]
            lines += checklist_lines(song, stage, entry.checklist, entry.ticked_by)

    lines += ["", "## Targets", "",
              f"- Recording: peaks {song.recording.peak_min_dbfs:g} to "
              f"{song.recording.peak_max_dbfs:g} dBFS, noise floor below "
              f"{song.recording.noise_floor_max_dbfs:g} dBFS, {song.recording.sample_rate} Hz / "
              f"{song.recording.bit_depth}-bit"
              + (f"; sources: {', '.join(song.recording.sources)}" if song.recording.sources
                 else "")]
    if song.mix.platform:
        lines.append(f"- Release: {song.mix.platform}, {song.mix.lufs:g} LUFS integrated, "
                     f"true peak {song.mix.true_peak_dbtp:g} dBTP")
    lines += ["", "## Files", "",
              "- `song.json`: the sheet (open it again with the coach's tools)",
              "- `song.mid`: the arrangement as a type-1 MIDI file — drag it into your DAW",
              "- `preview.wav`: the demo rendered with FluidSynth"]
    if placeholders:
        lines.append(f"- the demo used placeholders for what is not decided yet: "
                     f"{', '.join(placeholders)}")
    if render is not None:
        lines.append(f"- demo: {render.bars} bars, {render.duration_s:.1f} s"
                     + (f", {render.lufs:.1f} LUFS" if render.lufs is not None else ""))
    return "\n".join(lines) + "\n"


def default_folder(session_id: Any = None) -> Path:
    """Where "export" (Ctrl+S, or said in the chat without a folder) writes a session's files."""
    from assistant import paths

    return paths.data_dir() / "exports" / f"session-{session_id or 'current'}"


class ExportExists(FileProblem):
    """The folder already holds some of the files an export writes."""

    def __init__(self, folder: Path, existing: list[str]) -> None:
        super().__init__(f"{folder} already has {', '.join(existing)}; nothing was written — "
                         "add --force to replace them, or export to another folder")
        self.folder, self.existing = folder, existing


def export_song(song: Song, folder: str | Path, *, kb: Knowledge | None = None,
                soundfont: str | Path | None = None, overwrite: bool = False) -> dict[str, Any]:
    """Write the four files into `folder` (created if needed). Returns their paths, and under
    "replaced" the names of files that were there before (only with `overwrite`; without it
    `ExportExists` is raised and nothing is written).

    All four are made in a hidden folder inside `folder` and moved into place at the end, so
    a failure (a full disk, a missing soundfont) leaves nothing behind."""
    from assistant.render import preview
    from assistant.stages.music import renderable

    folder = Path(folder).expanduser()
    if folder.exists() and not folder.is_dir():
        raise FileProblem(f"cannot export to {folder}: it is a file, not a folder")
    existing = [name for name in FILES if (folder / name).exists()]
    if existing and not overwrite:
        raise ExportExists(folder, existing)
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".export-", dir=folder))
    except OSError as error:
        raise FileProblem(f"cannot create {folder}: {error.strerror or error}") from None
    placeholders = [name for name, missing in (
        ("key", song.key is None), ("tempo", song.tempo is None),
        ("progression", not song.progression)) if missing]
    demo = renderable(song)
    try:
        # MIDI and WAV first (the slow, failure-prone part), then the sheet that describes them
        result = preview(demo, staging / "preview.wav", staging / "song.mid",
                         demo=bool(demo.sections), bars=None if demo.sections else 8,
                         soundfont=soundfont)
        fileio.write_text(staging / "song.json", song.to_json() + "\n")
        fileio.write_text(staging / "song.md", song_markdown(song, kb, result, placeholders))
        for name in FILES:
            os.replace(staging / name, folder / name)
    except OSError as error:
        raise FileProblem(f"cannot export to {folder}: {error.strerror or error}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not any(folder.iterdir()):
            folder.rmdir()
    return {
        "folder": str(folder),
        "files": {name: str(folder / name) for name in FILES},
        "demo_s": round(result.duration_s, 2),
        "placeholders": placeholders,
        "replaced": existing,
    }


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "song"


def export_where_said(song: Song, folder: str | Path | None, session_id: Any = None,
                      **kw: Any) -> dict[str, Any]:
    """The export the chat and the TUI make ("export [to DIR]", Ctrl+S). The session's own
    default folder is brought up to date; a folder the user named that already has song files
    keeps them, and these go into a new sub-folder named after the song (result["subfolder"]
    is True then)."""
    if folder is None:
        return export_song(song, default_folder(session_id), overwrite=True, **kw)
    target = Path(folder).expanduser()
    try:
        return {**export_song(song, target, **kw), "subfolder": False}
    except ExportExists:
        pass
    base = _slug(song.title)
    for n in range(1, 1000):
        inner = target / (base if n == 1 else f"{base}-{n}")
        if not inner.exists():
            return {**export_song(song, inner, **kw), "subfolder": True}
    raise FileProblem(f"cannot export to {target}: it is full of earlier exports")
