"""`coach render`: a Song sheet (a SONG.json file, or one made from --mood/--genre/...) to WAV and MIDI."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.render.result import RenderResult
    from assistant.render.synth import SynthLoader
    from assistant.song import Song


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """Output options shared with `coach click`."""
    parser.add_argument(
        "-o", "--output", metavar="OUT.wav", help="WAV to write (default: a new file in the previews folder)"
    )
    parser.add_argument("--midi", metavar="OUT.mid", help="also write a type-1 MIDI file")
    parser.add_argument(
        "--soundfont", metavar="PATH", help="a .sf2/.sf3 General MIDI soundfont (see soundfonts/README.md)"
    )
    parser.add_argument("--rate", type=int, default=44100, metavar="HZ", help="sample rate (default 44100)")
    parser.add_argument("--play", action="store_true", help="play the WAV when it is written")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def register(sub: argparse._SubParsersAction) -> None:
    from assistant.cli.suggest import add_song_options

    parser = sub.add_parser(
        "render",
        help="render a Song sheet (or a song made on the spot) to WAV and MIDI",
        description="Arrange a Song sheet (chords, bass, drums, melody) and render it with "
        "FluidSynth. Without SONG.json the song is made from the same options as `coach "
        "suggest`. Renders the first chorus (or 8 bars) unless --demo or --section is given.",
    )
    parser.add_argument("song", nargs="?", metavar="SONG.json", help="a saved Song sheet")
    add_song_options(parser)
    parser.add_argument("--section", metavar="NAME", help="render only this section (e.g. chorus)")
    parser.add_argument("--bars", type=int, metavar="N", help="render N bars (1-256)")
    parser.add_argument("--demo", action="store_true", help="the whole song: every section")
    parser.add_argument(
        "--backing", action="store_true", help="without the melody, with a count-in: a track to record over"
    )
    parser.add_argument("--click", action="store_true", help="add a click over the whole render")
    parser.add_argument(
        "--count-in", type=int, metavar="BARS", help="bars of click before the song (default 1 with --backing, else 0)"
    )
    add_output_options(parser)
    parser.set_defaults(func=run)


MAX_SONG_BYTES = 64 << 20  # a Song sheet with a long melody is well under 1 MB


def load_song_file(path: str | Path) -> Song:
    """Read a Song sheet; any problem becomes one line naming the file and the field."""
    from pydantic import ValidationError

    from assistant.errors import FileProblem
    from assistant.song import Song

    path = Path(path).expanduser()
    if path.exists() and not path.is_file():  # a FIFO or a device would hang or never end
        raise FileProblem(f"cannot read {path}: it is not a regular file")
    if path.is_file() and path.stat().st_size > MAX_SONG_BYTES:
        raise FileProblem(f"cannot read {path}: {path.stat().st_size / 2**20:.0f} MB is far "
                          "too big for a Song sheet")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileProblem(f"cannot read {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise FileProblem(f"cannot read {path}: {getattr(error, 'strerror', None) or error}") from None
    try:
        return Song.from_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        where = f"field '{field}': " if field else ""
        more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
        raise FileProblem(f"{path} is not a valid Song sheet: {where}{first['msg']}{more}") from None


def song_for(args: argparse.Namespace) -> Song:
    from assistant.errors import BadInput

    if args.song is None:
        from assistant.rules import song_from_options

        return song_from_options(args.mood, args.genre, args.key, args.tempo, args.meter, args.seed)
    if args.mood:
        raise BadInput("--mood makes a new song; it cannot change a SONG.json (drop one of them)")
    song = load_song_file(args.song)
    changes: dict[str, Any] = {}
    if args.tempo is not None:
        from assistant.rules import parse_tempo

        changes["tempo"] = parse_tempo(args.tempo)
    if args.meter is not None:
        from assistant.rules import parse_meter

        changes["meter"] = parse_meter(args.meter)
    if args.key is not None:
        from assistant.theory import parse_key

        changes["key"] = parse_key(args.key)
    if args.genre is not None:
        changes["genre"] = args.genre
    return song.model_copy(update=changes) if changes else song


def quiet_blas() -> None:
    """One BLAS thread: a render's matrix products are tiny, and OpenBLAS starting a
    thread per CPU costs ~40 ms of numpy's import (set before numpy loads; the user's
    own setting wins)."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def start_loader(args: argparse.Namespace) -> SynthLoader | None:
    """Start loading the synth and soundfont in the background, before the big imports.

    Any problem (no soundfont, bad rate) is left for the render to report at its moment:
    after the MIDI is written.
    """
    from assistant.errors import CoachError
    from assistant.render.soundfont import find_soundfont
    from assistant.render.synth import SynthLoader, check_rate

    try:
        check_rate(args.rate)
        return SynthLoader(find_soundfont(args.soundfont).path, args.rate)
    except CoachError:
        return None


def run(args: argparse.Namespace) -> int:
    quiet_blas()
    loader = start_loader(args)
    try:
        song = song_for(args)  # a bad SONG.json fails before the render imports load

        from assistant.render import default_preview_path
        from assistant.render.pipeline import render_song

        count_in = args.count_in if args.count_in is not None else (1 if args.backing else 0)
        wav = Path(args.output).expanduser() if args.output else default_preview_path(song.title)
        result = render_song(
            song,
            wav,
            Path(args.midi).expanduser() if args.midi else None,
            section=args.section,
            bars=args.bars,
            demo=args.demo,
            backing=args.backing,
            click=args.click,
            count_in=count_in,
            soundfont=args.soundfont,
            rate=args.rate,
            loader=loader,
        )
    finally:
        if loader is not None:
            loader.close()  # joins the thread: stderr is ours again before anything prints
    what = "the whole song" if args.demo else (args.section or "a preview")
    names = ", ".join(f"{s['name']} {s['bars']}" for s in result.sections)
    headline = (
        f"Rendered {what} ({names}; {result.key}, {result.tempo:g} bpm, {result.meter}) in {result.render_s:.2f} s"
    )
    report(result, args, headline)
    return 0


def report(result: RenderResult, args: argparse.Namespace, headline: str, extra: dict[str, Any] | None = None) -> None:
    """Print the result (text or one JSON object, with `extra` fields) and play it when asked."""
    outcome = None
    if args.play and result.wav is not None:
        from assistant.render.play import play

        outcome = play(result.wav)
    if args.json:
        data = {**result.to_json(), **(extra or {})}
        if args.play:
            data["played"] = outcome.player if outcome and outcome.played else None
        print(json.dumps(data, ensure_ascii=False, indent=2))
        if outcome is not None and not outcome.played:
            print(f"coach: {outcome.message}", file=sys.stderr)
        return
    print(headline)
    if result.wav is not None:
        levels = "silent"
        if result.lufs is not None and math.isfinite(result.lufs) and result.peak_dbfs is not None:
            levels = f"{result.lufs:.1f} LUFS, peak {result.peak_dbfs:.1f} dBFS"
            if result.true_peak_dbtp is not None:
                levels += f" ({result.true_peak_dbtp:.1f} dBTP)"
        print(f"  WAV        {result.wav}  ({result.duration_s:.1f} s, {levels})")
    if result.midi is not None:
        count = len(result.tracks)
        listed = ", ".join(result.tracks)
        print(f"  MIDI       {result.midi}  ({count} track{'s' if count != 1 else ''}: {listed})")
    if result.soundfont is not None:
        print(f"  soundfont  {result.soundfont}")
    for warning in result.warnings:
        print(f"  note: {warning}")
    if outcome is not None:
        print(f"  {outcome.message}")
