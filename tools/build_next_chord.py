"""Rebuild knowledge/next_chord.json from the public chord data.

    python tools/build_next_chord.py [DATA_DIR] [-o knowledge/next_chord.json]

DATA_DIR holds billboard_100_tonic_chords.json and pop909_100_key_chords.json (default:
../shared/data next to the project). Counts come from all 200 songs; the log-linear weights
are fitted on 5 held-out folds. Only derived counts and weights are written, with the
sources and licences of the data.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.composition.corpus import load_data_dir  # noqa: E402
from assistant.composition.nextchord_train import model_document, train  # noqa: E402
from assistant.errors import CoachError  # noqa: E402
from assistant.fileio import write_text  # noqa: E402


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _format(doc: dict[str, object]) -> str:
    """Readable provenance at the top, one compact line per count table below."""
    lines = []
    for name, value in doc.items():
        if name == "counts" and isinstance(value, dict):
            inner = ",\n".join(
                f"    {json.dumps(corpus)}: {_compact(table)}" for corpus, table in value.items())
            lines.append(f'  "counts": {{\n{inner}\n  }}')
        else:
            lines.append(f"  {json.dumps(name)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", default=str(ROOT.parent / "shared" / "data"),
                        help="folder with the Billboard and POP909 JSON files")
    parser.add_argument("-o", "--output", default=str(ROOT / "knowledge" / "next_chord.json"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        billboard, pop909, meta = load_data_dir(Path(args.data))
        songs = billboard + pop909
        print(f"{len(billboard)} Billboard + {len(pop909)} POP909 songs from {args.data}")
        model = train(songs, log=print)
        command = "python tools/build_next_chord.py ../shared/data"
        doc = model_document(model, songs, meta, command)
        write_text(Path(args.output), _format(doc))
    except CoachError as error:
        print(f"build_next_chord: {error}", file=sys.stderr)
        return 2
    size = Path(args.output).stat().st_size
    print(f"wrote {args.output} ({size / 1024:.0f} KiB) in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
