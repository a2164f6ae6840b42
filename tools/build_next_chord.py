"""Rebuild knowledge/next_chord.json and knowledge/section_progressions.json from the public
chord data.

    python tools/build_next_chord.py [DATA_DIR] [-o knowledge/next_chord.json]

DATA_DIR holds billboard_890/ (the McGill Billboard salami_chords.txt files, with section
labels) and pop909_all/ (POP909: chord_midi.txt and key_audio.txt per song); default
../shared/data next to the project. The n-gram counts come from every song; the log-linear
weights are fitted on 5 held-out folds (by title + artist for Billboard) over a subset of
the songs (one file per Billboard song, every 10th POP909 song), each song's features coming
from counts without its fold. The section statistics come from the Billboard section labels.
Only derived counts and weights are written, with the sources and licences of the data.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.composition.corpus import load_full_data  # noqa: E402
from assistant.composition.nextchord_train import fit_subset, model_document, train  # noqa: E402
from assistant.composition.sections import (  # noqa: E402
    MODEL_FILE as SECTION_FILE,
)
from assistant.composition.sections import (  # noqa: E402
    count_sections,
    section_document,
)
from assistant.errors import CoachError  # noqa: E402
from assistant.fileio import write_text  # noqa: E402

META = {
    "billboard": {
        "source": "McGill Billboard chord annotations: all 890 salami_chords.txt files "
                  "(739 distinct title + artist pairs), copy in corpusmusic/billboardcorpus "
                  "(GitHub) McGill-Billboard/<id>/salami_chords.txt",
        "licence": "Annotations released by McGill DDMAL under CC0 (cite Burgoyne, Wild & "
                   "Fujinaga, ISMIR 2011). No code taken.",
    },
    "pop909": {
        "source": "POP909: all 909 songs' chord_midi.txt and key_audio.txt, "
                  "music-x-lab/POP909-Dataset (Wang et al., ISMIR 2020)",
        "licence": "MIT",
    },
}


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
                        help="folder with billboard_890/ and pop909_all/")
    parser.add_argument("-o", "--output", default=str(ROOT / "knowledge" / "next_chord.json"))
    parser.add_argument("--events-cache", metavar="PICKLE",
                        help="keep the training events in this file (a re-fit skips them)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    output = Path(args.output)
    sections_out = output.with_name(SECTION_FILE)
    try:
        billboard, pop909 = load_full_data(Path(args.data))
        songs = billboard + pop909
        print(f"{len(billboard)} Billboard files ({len({s.group() for s in billboard})} "
              f"distinct songs) + {len(pop909)} POP909 songs from {args.data}")
        model = train(songs, log=print, fit=fit_subset(), cache=args.events_cache)
        command = "python tools/build_next_chord.py ../shared/data"
        doc = model_document(model, songs, META, command)
        sections = section_document(count_sections(billboard), len(billboard), command,
                                    META["billboard"])
        write_text(output, _format(doc))
        write_text(sections_out, json.dumps(sections, ensure_ascii=False, indent=1) + "\n")
    except CoachError as error:
        print(f"build_next_chord: {error}", file=sys.stderr)
        return 2
    for path in (output, sections_out):
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")
    print(f"in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
