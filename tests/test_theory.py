"""assistant.theory against music21 as the oracle, the data files' chord labels, and itself."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from functools import cache
from pathlib import Path

import pytest

from assistant import theory
from assistant.errors import BadInput
from assistant.song import Key

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"

MODAL_KEYS = [
    ("C", "major"), ("A", "minor"), ("D", "dorian"), ("E", "phrygian"), ("F", "lydian"),
    ("G", "mixolydian"), ("B", "locrian"),
    ("F#", "major"), ("Bb", "minor"), ("C#", "dorian"), ("Eb", "mixolydian"), ("Ab", "lydian"),
    ("G#", "phrygian"), ("F", "locrian"), ("Db", "major"), ("E", "minor"),
]
ROMANS = ("I", "II", "III", "IV", "V", "VI", "VII")
# Major-key tonics spelled as in their key signature (no double accidentals below).
MAJOR_TONICS = ("C", "G", "D", "A", "E", "B", "F#", "F", "Bb", "Eb", "Ab", "Db")


# ------------------------------------------------------------------------- music21 oracle


@cache
def m21_key(tonic: str, mode: str):  # noqa: ANN201 - music21 objects
    import music21.key

    return music21.key.Key(tonic.replace("b", "-") if len(tonic) > 1 else tonic, mode)


def m21_roman(figure: str, tonic: str, mode: str) -> tuple[int, set[int], str]:
    """(root pc, pitch-class set, root name with b for flat) from music21.roman.RomanNumeral."""
    import music21.roman

    rn = music21.roman.RomanNumeral(figure.replace("°", "o"), m21_key(tonic, mode))
    return rn.root().pitchClass, set(rn.pitchClasses), rn.root().name.replace("-", "b")


def m21_symbol(symbol: str) -> tuple[set[int], int]:
    """(pitch-class set, bass pc) from music21.harmony.ChordSymbol (it writes flats as '-')."""
    import music21.harmony

    def flat(note: str) -> str:
        return note[0] + note[1:].replace("b", "-", 1) if note[1:2] == "b" else note

    head, _, bass = symbol.partition("/")
    text = flat(head) + ("/" + flat(bass) if bass else "")
    chord = music21.harmony.ChordSymbol(text)
    return {p.pitchClass for p in chord.pitches}, chord.bass().pitchClass


# ------------------------------------------------------------------------------- import


def test_import_does_not_load_music21_or_textual() -> None:
    code = (
        "import sys, assistant.theory as t; t.numeral_to_symbol('bVII', t.parse_key('A minor'));"
        "t.voice_progression(['I', 'vi', 'IV', 'V'], 'C');"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('music21', 'textual')))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------- keys


@pytest.mark.parametrize(
    ("text", "tonic", "mode"),
    [
        ("A minor", "A", "minor"), ("Am", "A", "minor"), ("a", "A", "minor"),
        ("F# major", "F#", "major"), ("F#", "F#", "major"), ("Bb", "Bb", "major"),
        ("D dorian", "D", "dorian"), ("c# phrygian", "C#", "phrygian"),
        ("C ionian", "C", "major"), ("A aeolian", "A", "minor"), ("Gb:maj", "Gb", "major"),
        ("A:min", "A", "minor"), ("bb", "Bb", "minor"), ("B flat minor", "Bb", "minor"),
        ("  e  Mixolydian ", "E", "mixolydian"), ("F♯m", "F#", "minor"), ("CM", "C", "major"),
        ("Eb Locrian", "Eb", "locrian"), ("G lydian", "G", "lydian"), ("key of D", "D", "major"),
    ],
)
def test_parse_key(text: str, tonic: str, mode: str) -> None:
    key = theory.parse_key(text)
    assert (key.tonic, key.mode) == (tonic, mode)


def test_parse_key_results_cannot_be_changed() -> None:
    first = theory.parse_key("A minor")
    with pytest.raises(dataclasses.FrozenInstanceError):  # so no caller can poison the cache
        first.mode = "dorian"  # type: ignore[misc]
    assert theory.parse_key("A minor").mode == "minor"
    with pytest.raises(ValueError, match="H"):
        Key(tonic="H")


@pytest.mark.parametrize(("tonic", "mode"), MODAL_KEYS)
def test_scale_spelling_matches_music21(tonic: str, mode: str) -> None:
    names = theory.scale_note_names(Key(tonic=tonic, mode=mode))
    expected = [p.name.replace("-", "b") for p in m21_key(tonic, mode).pitches[:7]]
    assert list(names) == expected
    assert theory.scale_pitch_classes(f"{tonic} {mode}") == tuple(
        p.pitchClass for p in m21_key(tonic, mode).pitches[:7]
    )


def test_spelling_examples() -> None:
    assert "E#" in theory.scale_note_names("F# major")
    assert "Gb" in theory.scale_note_names("Bb minor")
    assert theory.note_name(5, "F# major") == "E#"
    assert theory.note_name(6, "Bb minor") == "Gb"
    assert theory.numeral_to_symbol("bVI", "Bb minor") == "Gb"
    assert theory.numeral_to_symbol("vii°", "F# major") == "E#dim"
    assert theory.note_name(60, "C# major") == "B#3"  # the octave follows the letter
    assert theory.note_name(59, "Gb major") == "Cb4"


@pytest.mark.parametrize("semitones", range(-12, 13))
@pytest.mark.parametrize(("tonic", "mode"), MODAL_KEYS[:7])
def test_transpose_key(tonic: str, mode: str, semitones: int) -> None:
    key = Key(tonic=tonic, mode=mode)
    moved = theory.transpose_key(key, semitones)
    assert moved.mode == mode
    start = theory.scale_pitch_classes(key)
    assert theory.scale_pitch_classes(moved) == tuple((p + semitones) % 12 for p in start)
    assert abs(theory.key_signature(moved)) <= 6  # always the readable spelling


def test_relative_key_and_music21_conversion() -> None:
    assert theory.relative_key("A minor") == Key(tonic="C", mode="major")
    assert theory.relative_key("C major", "dorian") == Key(tonic="D", mode="dorian")
    m21 = theory.key_to_music21("Bb minor")
    assert m21.tonic.name == "B-" and m21.mode == "minor"
    assert theory.key_from_music21(m21) == Key(tonic="Bb", mode="minor")


# --------------------------------------------------------------------------------- notes


@pytest.mark.parametrize(
    ("name", "m21_name"),
    [("C4", "C4"), ("C#4", "C#4"), ("Bb3", "B-3"), ("B#3", "B#3"), ("Cb4", "C-4"),
     ("E#4", "E#4"), ("G9", "G9"), ("F##2", "F##2"), ("Ab0", "A-0")],
)
def test_parse_note_matches_music21(name: str, m21_name: str) -> None:
    import music21.pitch

    assert theory.parse_note(name) == music21.pitch.Pitch(m21_name).midi
    assert theory.parse_note("C-1") == 0  # (music21 would read "C-1" as C-flat 1)


def test_note_names_round_trip_every_midi_note() -> None:
    for key in (None, "C major", "F# major", "Bb minor", "D dorian"):
        for midi in range(128):
            assert theory.parse_note(theory.note_name(midi, key, octave=True)) == midi, (midi, key)
    assert theory.note_name(60) == "C4"
    assert theory.note_name(1) == "C#"  # 0..11 are pitch classes
    assert theory.note_name(1, octave=True) == "C#-1"
    assert theory.parse_note("E", default_octave=3) == 52


# ------------------------------------------------------------------------------ numerals


@pytest.mark.parametrize(("tonic", "mode"), MODAL_KEYS)
def test_diatonic_triads_match_music21_in_every_mode(tonic: str, mode: str) -> None:
    key = Key(tonic=tonic, mode=mode)
    numerals = theory.diatonic_numerals(key)
    for degree, numeral in enumerate(numerals):
        quality = theory.parse_numeral(numeral).quality
        figure = ROMANS[degree].lower() if quality in ("min", "dim") else ROMANS[degree]
        figure += "o" if quality == "dim" else ""
        root, pcs, name = m21_roman(figure, tonic, mode)  # music21 numbers the mode's own scale
        mine = theory.numeral_to_pitch_classes(numeral, key)
        assert mine[0] == root and set(mine) == pcs, (numeral, figure)
        assert theory.parse_symbol(theory.numeral_to_symbol(numeral, key)).root_name == name


@pytest.mark.parametrize(("tonic", "mode"), MODAL_KEYS)
def test_diatonic_sevenths_match_stacked_music21_scale(tonic: str, mode: str) -> None:
    key = Key(tonic=tonic, mode=mode)
    scale = [p.pitchClass for p in m21_key(tonic, mode).pitches[:7]]
    for degree, numeral in enumerate(theory.diatonic_numerals(key, sevenths=True)):
        stacked = [scale[(degree + 2 * i) % 7] for i in range(4)]
        assert list(theory.numeral_to_pitch_classes(numeral, key)) == stacked, numeral


def test_diatonic_numerals_in_the_convention() -> None:
    assert theory.diatonic_numerals("A minor") == ("i", "ii°", "bIII", "iv", "v", "bVI", "bVII")
    assert theory.diatonic_numerals("C major", sevenths=True) == (
        "Imaj7", "ii7", "iii7", "IVmaj7", "V7", "vi7", "viiø7")
    assert theory.diatonic_numerals("D dorian") == ("i", "ii", "bIII", "IV", "v", "vi°", "bVII")


# music21 reads these figures in a MAJOR key exactly as our convention does.
CHROMATIC_FIGURES = [
    "I", "ii", "iii", "IV", "V", "vi", "vii°", "bIII", "bVI", "bVII", "iv", "bII", "v", "i",
    "V/V", "V7/vi", "vii°/V", "V7/IV", "V/ii", "V7/V", "ii/V", "V7", "ii7", "viiø7", "vii°7",
    "I+", "V/3", "V7/3", "I/5", "V7/7",
]


@pytest.mark.parametrize("tonic", MAJOR_TONICS)
def test_borrowed_and_secondary_numerals_match_music21(tonic: str) -> None:
    key = Key(tonic=tonic, mode="major")
    for figure in CHROMATIC_FIGURES:
        m21_figure = {"V/3": "V6", "V7/3": "V65", "I/5": "I64", "V7/7": "V42"}.get(figure, figure)
        root, pcs, name = m21_roman(m21_figure, tonic, "major")
        mine = theory.numeral_to_pitch_classes(figure, key)
        assert mine[0] == root and set(mine) == pcs, (figure, tonic)
        symbol = theory.numeral_to_symbol(figure, key)
        if len(name) <= 2:  # music21 keeps double flats; we respell those plainly
            assert theory.parse_symbol(symbol).root_name == name, (figure, tonic, symbol)
        assert set(theory.parse_symbol(symbol).pitch_classes) == pcs


@pytest.mark.parametrize(("tonic", "mode"), MODAL_KEYS)
def test_numerals_count_from_the_major_scale_in_every_mode(tonic: str, mode: str) -> None:
    """Same numeral, same chord, whatever the mode: music21 in the tonic's MAJOR key agrees."""
    key = Key(tonic=tonic, mode=mode)
    for figure in ("i", "bIII", "iv", "v", "V", "bVI", "bVII", "bII", "V7/V", "ii°"):
        root, pcs, _ = m21_roman(figure, tonic, "major")
        mine = theory.numeral_to_pitch_classes(figure, key)
        assert mine[0] == root and set(mine) == pcs, (figure, tonic, mode)


def test_examples_from_the_brief() -> None:
    am, c = theory.parse_key("A minor"), theory.parse_key("C")
    assert [theory.numeral_to_symbol(n, am) for n in ("i", "bVI", "bVII", "V", "iv")] == [
        "Am", "F", "G", "E", "Dm"]
    assert [theory.numeral_to_symbol(n, c) for n in ("bVII", "iv", "bIII", "bVI")] == [
        "Bb", "Fm", "Eb", "Ab"]
    assert theory.numeral_to_symbol("V7/vi", c) == "E7"
    assert theory.numeral_to_symbol("vii°/V", c) == "F#dim"
    assert theory.numeral_to_symbol("V/3", c) == "G/B"
    assert theory.numeral_to_symbol("vi/3", c) == "Am/C"
    assert theory.numeral_to_symbol("V65", c) == "G7/B"
    assert theory.numeral_to_symbol("I/b7", c) == "C/Bb"
    assert theory.symbol_to_numeral("G/B", c) == "V/3"
    assert theory.symbol_to_numeral("Bb", c) == "bVII"
    assert theory.symbol_to_numeral("Fm", c) == "iv"
    assert theory.symbol_to_numeral("D", c) == "II"
    assert theory.parse_numeral("V/V").root_offset == theory.parse_numeral("II").root_offset == 2
    assert theory.symbol_to_numeral("F", am) == "bVI"
    assert theory.symbol_to_numeral("E7", am) == "V7"
    assert theory.numeral_to_pitch_classes("V7", c) == (7, 11, 2, 5)


@pytest.mark.parametrize(
    ("numeral", "quality", "root"),
    [
        ("I", "maj", 0), ("vi", "min", 9), ("vii°", "dim", 11), ("viio", "dim", 11),
        ("viidim", "dim", 11), ("III+", "aug", 4), ("IIIaug", "aug", 4), ("viiø", "hdim7", 11),
        ("V7", "7", 7), ("I7", "7", 0), ("Imaj7", "maj7", 0), ("ii7", "min7", 2),
        ("iim7", "min7", 2), ("I9", "9", 0), ("IV6", "maj6", 5), ("ii6", "min6", 2),
        ("Vsus2", "sus2", 7), ("Vsus4", "sus4", 7), ("Iadd9", "add9", 0), ("V7sus4", "7sus4", 7),
        ("vii°7", "dim7", 11), ("bVIImaj7", "maj7", 10), ("#iv°7", "dim7", 6), ("V5", "5", 7),
        ("I(maj(9))", "add9", 0), ("bVII(sus4(b7,9))", "9sus4", 10), ("♭VI", "maj", 8),
    ],
)
def test_parse_numeral_qualities(numeral: str, quality: str, root: int) -> None:
    parsed = theory.parse_numeral(numeral)
    assert (parsed.quality, parsed.root_offset) == (quality, root)


# ------------------------------------------------------------------------------- symbols

BRIEF_SYMBOLS = ["Am", "F#m7", "Bb", "Cmaj7", "G/B", "Bdim", "Bm7b5", "Caug", "Dsus4", "E7",
                 "A7sus4", "C6", "Cadd9", "Ebm", "Amaj7", "D9"]
# Our canonical suffixes that music21's ChordSymbol also reads.
M21_SUFFIXES = ["", "m", "dim", "aug", "5", "sus2", "sus4", "7", "maj7", "m7", "dim7", "m7b5",
                "7#5", "6", "m6", "add9", "madd9", "9", "m9", "7b9", "7#9", "11", "m11", "13",
                "m13"]


@pytest.mark.parametrize("symbol", BRIEF_SYMBOLS + ["C/Bb", "Am/C", "D/F#", "Gb", "F#dim7"])
def test_symbols_match_music21(symbol: str) -> None:
    chord = theory.parse_symbol(symbol)
    pcs, bass = m21_symbol(symbol)
    assert set(chord.pitch_classes) == pcs
    assert (chord.bass if chord.bass is not None else chord.root) == bass


@pytest.mark.parametrize("root", ["C", "Db", "F#", "A", "Bb"])
def test_every_canonical_suffix_matches_music21(root: str) -> None:
    for suffix in M21_SUFFIXES:
        symbol = root + suffix
        chord = theory.parse_symbol(symbol)
        assert chord.name == symbol
        assert set(chord.pitch_classes) == m21_symbol(symbol)[0], symbol


@pytest.mark.parametrize(
    ("harte", "plain"),
    [
        ("A:min", "Am"), ("F#:maj7/5", "F#maj7/C#"), ("C:7", "C7"), ("D:maj/f+", "D/F#"),
        ("Bb:min7/b7", "Bbm7/Ab"), ("G:hdim7", "Gm7b5"), ("E:sus4(b7)", "E7sus4"),
        ("C:maj(9)", "Cadd9"), ("A:min/b3", "Am/C"), ("Eb:maj6", "Eb6"), ("B:dim7", "Bdim7"),
        ("C:maj/9", "C/D"), ("G:7/3", "G7/B"), ("F:aug", "Faug"), ("D:sus2", "Dsus2"),
        ("A:7(#9)", "A7#9"), ("C", "C"), ("E:min/g", "Em/G"), ("D:7/c+", "D7/C#"),
    ],
)
def test_harte_labels(harte: str, plain: str) -> None:
    chord = theory.parse_symbol(harte)
    assert chord.name == plain
    assert not chord.approximate
    pcs, bass = m21_symbol(plain)
    assert set(chord.pitch_classes) == pcs
    assert (chord.bass if chord.bass is not None else chord.root) == bass


def test_harte_outside_the_table_snaps_to_the_nearest_quality() -> None:
    assert theory.parse_symbol("C:1").name == "C5"
    assert theory.parse_symbol("C:9(13,#11)").quality == "9"
    assert theory.parse_symbol("C:9(13,#11)").approximate


def _songs(name: str, table: str) -> list[dict]:
    path = SHARED_DATA / name
    assert path.exists(), f"evaluation data missing: {path}"
    return json.loads(path.read_text())[table]


def _numeral_head(numeral: str) -> str:
    """Accidental + Roman letters: the part the data files and we must agree on."""
    import re

    match = re.match(r"^[b#]?[IViv]+", numeral)
    assert match, numeral
    return match[0]


@pytest.mark.parametrize(
    ("file", "table", "tonic_of"),
    [
        ("billboard_100_tonic_chords.json", "songs",
         lambda s: s["tonic"] if len(s["tonic_changes"]) == 1 else None),
        ("pop909_100_key_chords.json", "songs",
         lambda s: None if s["modulates"] else s["key"].split(":")[0]),
        ("nottingham_key_chords.json", "tunes", lambda s: s["tonic"]),
    ],
)
def test_every_chord_in_the_data_files_parses_and_agrees_with_their_numerals(
    file: str, table: str, tonic_of
) -> None:
    """Real third-party labels: every Harte chord parses (junk raises BadInput), and our numeral's
    root and case agree with the files' derived roman_sequence (same major-scale convention)."""
    checked = junk = 0
    for song in _songs(file, table):
        tonic = tonic_of(song)
        for chord, numeral in zip(song["chord_sequence"], song["roman_sequence"], strict=False):
            try:
                parsed = theory.parse_symbol(chord)
            except BadInput as error:
                assert "?" in chord, (chord, str(error))  # the Nottingham extract's junk labels
                junk += 1
                continue
            if tonic is None:
                continue
            mine = theory.symbol_to_numeral(parsed, tonic)
            head, ours = _numeral_head(numeral), _numeral_head(mine)
            if parsed.approximate:  # snapped qualities may change case: compare the roots
                head, ours = head.upper(), ours.upper()
            assert ours == head, (chord, tonic, numeral, mine)
            assert theory.numeral_to_pitch_classes(mine, tonic) == parsed.pitch_classes
            checked += 1
    assert checked > 1000 and junk < 30


# ---------------------------------------------------------------- transposition, round trips

C_SYMBOLS = ["C", "Am", "F", "G7", "Bb", "Fm", "Eb", "Ab", "D", "E7", "G/B", "Am/C", "Bdim",
             "Bm7b5", "Dsus4", "Cadd9", "F#dim7", "Db", "Cmaj7", "Em7", "C/Bb", "D9", "A7sus4"]
SHARPS = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
FLATS = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")


def _shift(symbol: str, semitones: int, names: tuple[str, ...]) -> str:
    """Transpose a symbol with plain arithmetic (independent of theory's own transposition)."""
    def move(note: str) -> str:
        pc = {n: i for i, n in enumerate(SHARPS)} | {n: i for i, n in enumerate(FLATS)}
        return names[(pc[note] + semitones) % 12]

    head, _, bass = symbol.partition("/")
    root = head[:2] if head[1:2] in ("#", "b") else head[:1]
    moved = move(root) + head[len(root):]
    return moved + ("/" + move(bass) if bass else "")


@pytest.mark.parametrize("semitones", range(12))
@pytest.mark.parametrize("mode", ["major", "minor", "dorian"])
def test_numerals_are_transposition_invariant(semitones: int, mode: str) -> None:
    home = Key(tonic="C", mode=mode)
    for names in (SHARPS, FLATS):
        key = Key(tonic=names[semitones], mode=mode)
        for symbol in C_SYMBOLS:
            numeral = theory.symbol_to_numeral(symbol, home)
            assert theory.symbol_to_numeral(_shift(symbol, semitones, names), key) == numeral
            moved = theory.numeral_to_pitch_classes(numeral, key)
            assert moved == tuple((p + semitones) % 12 for p in
                                  theory.chord_pitch_classes(symbol))


@pytest.mark.parametrize("tonic", FLATS)
def test_symbol_numeral_round_trip_for_every_quality_root_and_bass(tonic: str) -> None:
    key = Key(tonic=tonic, mode="minor")
    for quality in theory.QUALITIES.values():
        for root in FLATS:
            for bass in (None, *dict.fromkeys(SHARPS[(FLATS.index(root) + i) % 12]
                                              for i in (quality.intervals[1], 10, 2))):
                symbol = f"{root}{quality.symbol}" + (f"/{bass}" if bass and bass != root else "")
                chord = theory.parse_symbol(symbol)
                numeral = theory.symbol_to_numeral(symbol, key)
                back = theory.parse_symbol(theory.numeral_to_symbol(numeral, key))
                assert (back.root, back.quality, back.bass) == (
                    chord.root, chord.quality, chord.bass), (symbol, numeral)
                assert theory.parse_numeral(numeral).canonical == numeral


def test_numeral_symbol_numeral_round_trip() -> None:
    for key in ("C major", "Eb minor", "F# dorian"):
        for numeral in CHROMATIC_FIGURES + ["bVII9", "iv6", "IIsus4", "bIIImaj7", "vi/3"]:
            canonical = theory.format_numeral(numeral)
            assert theory.symbol_to_numeral(theory.numeral_to_symbol(numeral, key), key) == (
                canonical), (numeral, key)


def test_transpose_symbol_and_numeral() -> None:
    assert theory.transpose_symbol("F#m7", 1) == "Gm7"
    assert theory.transpose_symbol("G/B", -2) == "F/A"
    assert theory.transpose_symbol("Bb", 2, "C major") == "C"  # bVII of D
    assert theory.transpose_symbol("E7", 5, "A minor") == "A7"  # V7 of D minor
    assert theory.transpose_numeral("V", 2) == "VI"
    assert theory.transpose_numeral("V/3", 5) == "I/3"


def test_chord_pitch_classes_takes_symbols_and_numerals() -> None:
    assert theory.chord_pitch_classes("G7") == (7, 11, 2, 5)
    assert theory.chord_pitch_classes("V7", "C") == (7, 11, 2, 5)
    assert theory.chord_pitch_classes("bVII", "A minor") == (7, 11, 2)
    assert theory.chord_pitch_classes("C/Bb") == (0, 4, 7, 10)
    assert theory.is_diatonic("bVII", "A minor") and not theory.is_diatonic("V", "A minor")


# -------------------------------------------------------------------------------- voicing


def _moves(voicings: list[list[int]]) -> list[list[int]]:
    pairs = zip(voicings, voicings[1:], strict=False)
    return [[abs(b - a) for a, b in zip(x, y, strict=True)] for x, y in pairs]


@pytest.mark.parametrize(
    ("chords", "key"),
    [
        (["I", "vi", "IV", "V"], "C major"), (["i", "bVI", "bIII", "bVII"], "A minor"),
        (["ii7", "V7", "Imaj7", "vi7"], "Eb major"), (["i", "IV", "v", "bVII"], "D dorian"),
        (["Am", "F", "C", "G/B"], None), ([(0, 4, 7), (9, 0, 4), (5, 9, 0), (7, 11, 2, 5)], None),
        (["I9", "IV13", "V7#9", "I"], "F major"), (["I", "V/V", "V", "I"], "G major"),
    ],
)
@pytest.mark.parametrize(("low", "high", "voices"), [(52, 72, 4), (48, 67, 3), (40, 76, 4)])
def test_voicings_stay_in_register_and_hold_the_chord(chords, key, low, high, voices) -> None:
    voicings = theory.voice_progression(chords, key, low=low, high=high, voices=voices)
    assert len(voicings) == len(chords)
    for chord, voicing in zip(chords, voicings, strict=True):
        pcs = (set(chord) if isinstance(chord, tuple) else set(theory.chord_pitch_classes(chord,
                                                                                       key)))
        assert len(voicing) == voices and voicing == sorted(voicing)
        assert all(low <= m <= high for m in voicing)
        assert {m % 12 for m in voicing} <= pcs
        if len(pcs) <= voices:
            assert {m % 12 for m in voicing} == pcs  # every chord tone is there
    for moves in _moves(voicings):
        assert max(moves) <= 7  # no leap past a fifth when the register allows smooth moves
    again = theory.voice_progression(chords, key, low=low, high=high, voices=voices)
    assert again == voicings  # deterministic


def test_pop_progression_moves_smoothly() -> None:
    voicings = theory.voice_progression(["I", "vi", "IV", "V"], "C major")
    for moves in _moves(voicings):
        assert max(moves[1:]) <= 3  # upper voices move by step or a third at most
        assert max(moves) <= 5  # the bass by a fourth at most
        assert sum(moves) <= 8


def test_voicing_is_optimal_against_brute_force() -> None:
    """The dynamic programme finds the cheapest path over every candidate voicing."""
    import itertools

    chords, key = ["I", "vi", "IV", "V"], "C major"
    specs = tuple(theory._chord_spec(c, key) for c in chords)
    layers = [theory._candidates(s, 52, 72, 4, False) for s in specs]

    def cost(path) -> float:
        total = 2.0 * path[0][1] + sum(c for _, c in path[1:])
        steps = zip(path, path[1:], strict=False)
        return total + sum(theory._movement(a[0], b[0]) for a, b in steps)

    best = min(cost(p) for p in itertools.product(*layers))
    chosen = theory.voice_progression(chords, key)
    chosen_path = [next(c for c in layer if list(c[0]) == v)
                   for layer, v in zip(layers, chosen, strict=True)]
    assert cost(chosen_path) == pytest.approx(best)


def test_root_in_bass_puts_the_bass_note_lowest() -> None:
    chords = ["I", "vi", "IV", "V/3", "ii7"]
    voicings = theory.voice_progression(chords, "G major", root_in_bass=True)
    assert [v[0] % 12 for v in voicings] == [7, 4, 0, 6, 9]  # G, Em, C, D/F#, Am7


def test_narrow_register_gets_fewer_voices_not_an_error() -> None:
    voicings = theory.voice_progression(["I", "V", "vi", "IV"], "C", low=60, high=72, voices=4)
    assert all(len(v) == 3 and 60 <= min(v) and max(v) <= 72 for v in voicings)


def test_voicing_bad_input() -> None:
    with pytest.raises(BadInput, match="narrow"):
        theory.voice_progression(["I"], "C", low=60, high=63)
    with pytest.raises(BadInput, match="voices"):
        theory.voice_progression(["I"], "C", voices=9)
    with pytest.raises(BadInput, match="needs a key"):
        theory.voice_progression(["V7"], None)


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("function", "token"),
    [
        (theory.parse_key, "H minor"), (theory.parse_key, "C blues"), (theory.parse_key, ""),
        (theory.parse_key, "C## major"), (theory.parse_note, "H4"), (theory.parse_note, "C#10"),
        (theory.parse_note, "C"), (theory.parse_numeral, "IIX"), (theory.parse_numeral, "Vi"),
        (theory.parse_numeral, "V/X"), (theory.parse_numeral, "Vblah"),
        (theory.parse_numeral, "vmaj9"), (theory.parse_numeral, "V65/3"),
        (theory.parse_symbol, "Hm7"), (theory.parse_symbol, "Cxyz"), (theory.parse_symbol, "N"),
        (theory.parse_symbol, "C:blah"), (theory.parse_symbol, "C:maj/zz"),
        (theory.parse_symbol, "?(E7)"), (theory.chord_pitch_classes, "hello"),
        (theory.parse_pitch_class, "Q"),
    ],
)
def test_bad_input_names_the_token_on_one_line(function, token: str) -> None:
    with pytest.raises(BadInput) as caught:
        function(token)
    message = str(caught.value)
    assert repr(token.strip()) in message or repr(token) in message
    assert "\n" not in message


def test_numeral_without_a_key_is_bad_input() -> None:
    with pytest.raises(BadInput, match="needs a key"):
        theory.chord_pitch_classes("V7")


def test_bad_key_through_the_cli_is_one_line_and_exit_2(coach_home: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COACH_HOME": str(coach_home)}
    out = subprocess.run([sys.executable, "-m", "assistant", "suggest", "--key", "H minor"],
                         capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("coach:")]
    assert len(errors) == 1 and "'H minor'" in errors[0]


# ---------------------------------------------------------------------------------- speed


def test_numeral_to_symbol_is_fast_without_music21() -> None:
    progressions = [["I", "V", "vi", "IV"], ["i", "bVI", "bIII", "bVII"], ["ii7", "V7", "Imaj7"],
                    ["I", "bVII", "IV", "I"], ["vi", "IV", "I", "V"], ["i", "iv", "v", "i"],
                    ["I", "vi", "ii", "V7"], ["i", "bVII", "bVI", "V7"], ["I", "V/V", "V", "I"],
                    ["IV", "iv", "I", "I"]]
    keys = [theory.parse_key(k) for k in ("A minor", "F# major", "Bb dorian")]
    for key in keys:  # warm-up
        [[theory.numeral_to_symbol(n, key) for n in p] for p in progressions]
    times = []
    for _ in range(50):
        start = time.perf_counter()
        for key in keys:
            [[theory.numeral_to_symbol(n, key) for n in p] for p in progressions]
        times.append(time.perf_counter() - start)
    times.sort()
    assert times[int(0.95 * len(times))] < 0.005  # 3 keys x 10 progressions, p95
