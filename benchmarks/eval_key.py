"""Key and tempo of MIDI takes: the coach (mido + numpy) against music21's analyze('key').

Data, all read in place (nothing is copied into the project):
- the 20 Bach chorales with human Roman-numeral analyses in music21's own corpus
  (bach/choraleAnalyses/riemenschneider*.rntxt), each score rendered to MIDI in memory with
  music21 and read back with mido. The reference key is the analysis's first key. Two
  analyses were made on a transposition of the corpus score (BWV 184.5 analysed in G, the
  score is in D; BWV 145.5 analysed in e, the score is in f#): "as analysed" keeps the
  labels, "aligned" moves each label by the transposition that best matches the analysis's
  chord pitches to the score's notes (correlation 0.72 -> 0.99 and 0.46 -> 1.00 for those two,
  0 semitones for the other 18). One score (BWV 277) has repeat marks music21 cannot expand;
  its repeats are dropped before rendering.
- POP909: ../shared/data/pop909_midi, 25 songs, ground_truth.csv (key_first; silver labels).
- with --all-chorales: every chorale in the corpus with a key and mode in its MusicXML
  (346 distinct scores). Those labels come from the encoding, not an analysis: chorales
  written in the old "Dorian" signature (one flat fewer) are labelled a fourth off, so the
  figures there compare the two systems rather than measure truth.

Scores: exact accuracy and the MIREX weighted score (1.0 exact, 0.5 a fifth above, 0.3
relative, 0.2 parallel). Tempo: the main tempo the analysis reports, and an estimate from
note onsets alone (the tempo map ignored), within ±4%, strictly and allowing half/double.

Run: `.venv/bin/python benchmarks/eval_key.py [path/to/shared/data] [--all-chorales]
[--no-music21] [--cli]` (--cli runs `coach analyze FILE --json` in a subprocess per file
instead of calling the same function in process).
"""

from __future__ import annotations

import csv
import io
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.analysis.midi_smf import parse_take  # noqa: E402
from assistant.analysis.midi_take import analyze_take  # noqa: E402
from assistant.analysis.midi_tempo import estimate_tempo  # noqa: E402
from assistant.edit.midifile import TempoMap, extract_notes  # noqa: E402

PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def pitch_class(name: str) -> int:
    return (PC[name[0].upper()] + sum({"#": 1, "b": -1, "-": -1}[c] for c in name[1:])) % 12


def mirex(est: tuple[int, str], ref: tuple[int, str]) -> float:
    (et, em), (rt, rm) = est, ref
    if (et, em) == (rt, rm):
        return 1.0
    if em == rm and (et - rt) % 12 == 7:
        return 0.5
    if rm == "major" and em == "minor" and (et - rt) % 12 == 9:
        return 0.3
    if rm == "minor" and em == "major" and (et - rt) % 12 == 3:
        return 0.3
    if et == rt:
        return 0.2
    return 0.0


def key_text(key: tuple[int, str]) -> str:
    return f"{NAMES[key[0]]} {key[1]}"


@dataclass
class Item:
    name: str
    data: bytes
    key: tuple[int, str]
    aligned_key: tuple[int, str] | None = None
    ref_bpm: float | None = None


@dataclass
class Outcome:
    item: Item
    ours: tuple[int, str]
    theirs: tuple[int, str] | None
    ours_s: float
    theirs_s: float | None
    tempo_reported: float
    tempo_estimated: float | None
    ref_bpm: float


# --- data -----------------------------------------------------------------------------------


def _render(score: object) -> bytes:
    from music21 import bar
    from music21.midi import translate

    try:
        return bytes(translate.streamToMidiFile(score).writestr())
    except Exception:  # repeats music21 cannot expand: drop the repeat marks and retry
        for measure in score.recurse().getElementsByClass("Measure"):  # type: ignore[attr-defined]
            if isinstance(measure.leftBarline, bar.Repeat):
                measure.leftBarline = bar.Barline()
            if isinstance(measure.rightBarline, bar.Repeat):
                measure.rightBarline = bar.Barline()
        return bytes(translate.streamToMidiFile(score).writestr())


def _pc_histogram(stream: object) -> np.ndarray:
    hist = np.zeros(12)
    for element in stream.recurse().notes:  # type: ignore[attr-defined]
        for pitch in element.pitches:
            hist[pitch.pitchClass] += float(element.quarterLength)
    return hist


def analysed_chorales() -> list[Item]:
    import music21
    from music21 import converter, corpus, roman

    folder = Path(music21.__file__).parent / "corpus" / "bach" / "choraleAnalyses"
    items = []
    for path in sorted(folder.glob("riemenschneider*.rntxt")):
        text = path.read_text()
        bwv = re.search(r"^BWV:\s*(\S+)", text, re.M)
        assert bwv, path
        # "248(2).12" is bwv248.12-2 in the corpus; "41.6s" is bwv41.6.
        name = "bwv" + re.sub(r"\((\d)\)\.(\d+)", r".\2-\1", bwv.group(1)).rstrip("s")
        analysis = converter.parse(path, format="romantext")
        numerals = list(analysis.recurse().getElementsByClass(roman.RomanNumeral))
        first = numerals[0].key
        label = (first.tonic.pitchClass, first.mode)
        score = corpus.parse(f"bach/{name}")
        chords = np.zeros(12)
        for numeral in numerals:
            for pitch in numeral.pitches:
                chords[pitch.pitchClass] += float(numeral.quarterLength)
        notes = _pc_histogram(score)
        fit = [np.corrcoef(np.roll(chords, t), notes)[0, 1] for t in range(12)]
        shift = int(np.argmax(fit))
        aligned = ((label[0] + shift) % 12, label[1])
        items.append(Item(f"{path.stem} ({name})", _render(score), label, aligned))
    return items


def all_chorales() -> list[Item]:
    from music21 import corpus, key

    items, seen = [], set()
    for name in corpus.chorales.Iterator(returnType="filename"):
        if name in seen:
            continue
        seen.add(name)
        score = corpus.parse(name)
        signature = score.recurse().getElementsByClass(key.KeySignature).first()
        if not isinstance(signature, key.Key):
            continue
        label = (signature.tonic.pitchClass, signature.mode)
        items.append(Item(str(name).split("/")[-1], _render(score), label))
    return items


def pop909(data: Path) -> list[Item]:
    folder = data / "pop909_midi"
    items = []
    with (folder / "ground_truth.csv").open() as handle:
        for row in csv.DictReader(handle):
            tonic, mode = row["key_first"].split(":")
            items.append(Item(
                row["id"], (folder / row["id"] / f"{row['id']}.mid").read_bytes(),
                (pitch_class(tonic), "major" if mode == "maj" else "minor"),
                ref_bpm=float(row["beat_midi_median_bpm"]),
            ))
    return items


# --- running ----------------------------------------------------------------------------------


def through_cli(data: bytes) -> dict[str, object]:
    """`coach analyze FILE --json` in a subprocess, on the bytes written to a temporary file."""
    import json
    import os
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "take.mid"
        path.write_bytes(data)
        env = {**os.environ, "PYTHONPATH": str(REPO), "COACH_HOME": folder}
        done = subprocess.run([sys.executable, "-m", "assistant", "analyze", str(path), "--json"],
                              capture_output=True, text=True, env=env, check=True)
    return dict(json.loads(done.stdout))


def run(items: list[Item], with_music21: bool, cli: bool = False) -> list[Outcome]:
    import mido

    outcomes = []
    for item in items:
        start = time.perf_counter()
        result = through_cli(item.data) if cli else analyze_take(parse_take(item.data))
        ours_s = time.perf_counter() - start
        key = result["key"]
        assert isinstance(key, dict)
        ours = (pitch_class(key["tonic"]), key["mode"])
        midi = mido.MidiFile(file=io.BytesIO(item.data))

        theirs, theirs_s = None, None
        if with_music21:
            from music21 import converter

            start = time.perf_counter()
            found = converter.parse(item.data, format="midi").analyze("key")
            theirs_s = time.perf_counter() - start
            theirs = (found.tonic.pitchClass, found.mode)

        notes = extract_notes(midi)
        tempo_map = TempoMap.from_midi(midi)
        ref = item.ref_bpm or tempo_map.main_bpm(int(notes.end.max()))
        onsets = tempo_map.to_seconds(notes.start)
        estimate = estimate_tempo(onsets, notes.velocity.astype(float))
        tempo = result["tempo_bpm"]
        assert isinstance(tempo, float)
        outcomes.append(Outcome(item, ours, theirs, ours_s, theirs_s, tempo,
                                estimate.bpm if estimate else None, ref))
    return outcomes


def _tempo_ok(bpm: float | None, ref: float, octave: bool) -> bool:
    if bpm is None:
        return False
    factors = (0.5, 1.0, 2.0) if octave else (1.0,)
    return any(abs(bpm * f / ref - 1.0) <= 0.04 for f in factors)


def key_rows(title: str, outcomes: list[Outcome], aligned: bool = False) -> list[str]:
    def ref(o: Outcome) -> tuple[int, str]:
        return (o.item.aligned_key or o.item.key) if aligned else o.item.key

    n = len(outcomes)
    rows = []
    ours = [mirex(o.ours, ref(o)) for o in outcomes]
    rows.append(f"| {title} | coach | {n} | {sum(s == 1 for s in ours)} "
                f"({sum(s == 1 for s in ours) / n:.0%}) | **{np.mean(ours):.3f}** |")
    if outcomes and outcomes[0].theirs is not None:
        theirs = [mirex(o.theirs, ref(o)) for o in outcomes if o.theirs is not None]
        rows.append(f"| {title} | music21 `analyze('key')` | {n} | {sum(s == 1 for s in theirs)} "
                    f"({sum(s == 1 for s in theirs) / n:.0%}) | {np.mean(theirs):.3f} |")
    return rows


def misses(outcomes: list[Outcome], aligned: bool = False) -> list[str]:
    lines = []
    for o in outcomes:
        ref = (o.item.aligned_key or o.item.key) if aligned else o.item.key
        if o.ours != ref or (o.theirs is not None and o.theirs != ref):
            theirs = key_text(o.theirs) if o.theirs else "-"
            lines.append(f"| {o.item.name} | {key_text(ref)} | {key_text(o.ours)} | {theirs} |")
    return lines


def tempo_rows(title: str, outcomes: list[Outcome]) -> list[str]:
    n = len(outcomes)
    rows = []
    for what, values in (("reported (tempo map)", [o.tempo_reported for o in outcomes]),
                         ("onsets only (map ignored)", [o.tempo_estimated for o in outcomes])):
        strict = sum(_tempo_ok(v, o.ref_bpm, False) for v, o in zip(values, outcomes, strict=True))
        octave = sum(_tempo_ok(v, o.ref_bpm, True) for v, o in zip(values, outcomes, strict=True))
        rows.append(f"| {title} | {what} | {n} | {strict} ({strict / n:.0%}) | "
                    f"{octave} ({octave / n:.0%}) |")
    return rows


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    data = Path(args[0]) if args else REPO.parent / "shared" / "data"
    with_music21 = "--no-music21" not in argv
    cli = "--cli" in argv
    sets: list[tuple[str, list[Outcome]]] = []
    started = time.perf_counter()
    chorales = run(analysed_chorales(), with_music21, cli)
    sets.append(("Bach chorales, human analyses", chorales))
    pop = run(pop909(data), with_music21, cli)
    sets.append(("POP909 (25 songs)", pop))
    if "--all-chorales" in argv:
        sets.append(("all corpus chorales (encoded keys)",
                     run(all_chorales(), with_music21, cli)))

    print("| data | system | items | exact | MIREX weighted |")
    print("|---|---|---|---|---|")
    for line in key_rows("Bach chorales, as analysed", chorales):
        print(line)
    for line in key_rows("Bach chorales, labels aligned to the score", chorales, aligned=True):
        print(line)
    for title, outcomes in sets[1:]:
        for line in key_rows(title, outcomes):
            print(line)

    print("\nDisagreements with the reference (chorales: aligned labels; as analysed, both "
          "systems also \"miss\" BWV 184.5 and 145.5, analysed in another transposition):\n")
    print("| item | reference | coach | music21 |")
    print("|---|---|---|---|")
    for line in misses(chorales, aligned=True) + misses(pop):
        print(line)

    print("\n| data | tempo | items | within ±4% | allowing half/double |")
    print("|---|---|---|---|---|")
    for title, outcomes in sets:
        for line in tempo_rows(title, outcomes):
            print(line)

    what = "`coach analyze --json` whole process" if cli else "read + analysis in process"
    print(f"\n| data | coach: {what}, median | music21: parse + analyze('key') in process, "
          "median |")
    print("|---|---|---|")
    for title, outcomes in sets:
        ours = np.median([o.ours_s for o in outcomes]) * 1000
        theirs = [o.theirs_s for o in outcomes if o.theirs_s is not None]
        their_text = f"{np.median(theirs) * 1000:.0f} ms" if theirs else "-"
        print(f"| {title} | {ours:.0f} ms | {their_text} |")
    print(f"\n(whole evaluation: {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
