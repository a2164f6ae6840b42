"""`coach lyrics FILE.txt [--melody song.mid] [--json]`: syllables, stress and rhyme scheme of
each section, and with a melody how each line fits its notes."""

from __future__ import annotations

import argparse
import json

MAX_BYTES = 5_000_000


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "lyrics",
        help="syllables, stress, rhyme scheme and melody fit of a lyric",
        description="Read a lyric text file (sections separated by blank lines or [Chorus]-style "
        "headers; '-' reads standard input) and show per line its syllables with the stressed "
        "ones in capitals, the stress pattern, the section's rhyme scheme (X: a line that rhymes "
        "with none) and words the CMU dictionary lacks with their estimate. With --melody, each "
        "line is set against its notes in the MIDI file (sections matched to its markers): too "
        "many or too few syllables, stresses on weak beats, long notes on weak syllables, each "
        "with a fix.",
    )
    parser.add_argument("file", metavar="FILE", help="a text file of lyrics ('-' for stdin)")
    parser.add_argument("--melody", metavar="MIDI", help="a MIDI file with the melody (e.g. song.mid)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from assistant.errors import BadInput, FileProblem
    from assistant.lyrics.report import analyse, as_json, as_text, parse_sections

    if args.file == "-":
        text = sys.stdin.read(MAX_BYTES)
    else:
        path = Path(args.file).expanduser()
        if not path.exists():
            raise FileProblem(f"{path}: no such file")
        if path.is_dir():
            raise FileProblem(f"{path} is a folder, not a lyric text file")
        try:
            data = path.read_bytes()[:MAX_BYTES]
        except OSError as error:
            raise FileProblem(f"cannot read {path}: {error.strerror or error}") from None
        if b"\x00" in data[:4096]:
            raise BadInput(f"{path.name} is not a text file (give the lyrics as plain text)")
        text = data.decode("utf-8", errors="replace")
    melody = None
    bar_beats, compound = 4.0, False
    if args.melody:
        from assistant.lyrics.melody import from_midi

        melody, bar_beats, compound = from_midi(args.melody)
    sections = parse_sections(text)
    reports = analyse(sections, melody, bar_beats, compound)
    if args.json:
        print(json.dumps(as_json(reports), ensure_ascii=False, indent=2))
        return 0
    print(as_text(reports, max_lines=10**9))
    return 0
