"""A favourite song: `coach analyze --reference`, its shape for the Arrangement, and a mix
compared against it in the Mixing stage. Real FluidSynth renders (TimGM6mb)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from test_audio_chords import render_progression

from assistant.analysis.reference_compare import compare_to_reference
from assistant.audio_in.reference import analyse, sections_for_song, shape_text
from assistant.coach import Coach
from assistant.kb.loader import knowledge
from assistant.song import ReferenceSection, ReferenceSong

VERSE = ["Am", "F", "Dm", "E"] * 2
CHORUS = ["C", "G", "F", "G"] * 2
BAR_S = 2.4  # 100 bpm


@pytest.fixture(scope="module")
def song_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Verse, chorus, verse, chorus: 8 bars each at 100 bpm (boundaries 19.2, 38.4, 57.6 s)."""
    return render_progression(tmp_path_factory.mktemp("ref") / "favourite.wav",
                              VERSE + CHORUS + VERSE + CHORUS, channels=2)


def test_sections_tempo_key_and_loop_of_a_song(song_file: Path) -> None:
    found = analyse(song_file)
    ref = found.song
    assert ref.key == "A minor" and abs((ref.tempo_bpm or 0) - 100) < 4
    assert set(ref.loop) <= {"Am", "F", "Dm", "E", "C", "G"} and len(ref.loop) >= 4
    starts = [s.start_s for s in ref.sections]
    truth = [8 * BAR_S, 16 * BAR_S, 24 * BAR_S]
    hits = sum(any(abs(t - s) <= 3.0 for s in starts) for t in truth)
    assert hits >= 2, starts
    labels = [s.label for s in ref.sections]
    assert labels[0] == "A" and len(set(labels)) < len(labels), labels  # something repeats
    assert {s.name for s in ref.sections} & {"verse", "chorus"}


def test_shape_text_and_sections_for_the_arrangement() -> None:
    ref = ReferenceSong(path="x.wav", tempo_bpm=92, key="E minor", loop=["Em", "C", "G", "D"],
                        sections=[ReferenceSection(start_s=0, end_s=20.9, label="A", name="intro"),
                                  ReferenceSection(start_s=20.9, end_s=62.6, label="B", name="verse"),
                                  ReferenceSection(start_s=62.6, end_s=83.5, label="C", name="chorus"),
                                  ReferenceSection(start_s=83.5, end_s=125.2, label="B", name="verse"),
                                  ReferenceSection(start_s=125.2, end_s=146.1, label="C", name="chorus")])
    assert shape_text(ref) == "intro 8 \u00b7 verse 16 \u00b7 chorus 8 \u00b7 verse 16 \u00b7 chorus 8 at 92 bpm"
    sections = sections_for_song(ref)
    assert [(s.name, s.bars) for s in sections] == [("intro", 8), ("verse", 16), ("chorus", 8),
                                                    ("verse 2", 16), ("chorus 2", 8)]
    assert sections[2].energy > sections[1].energy > sections[0].energy


def test_analyze_reference_json_is_the_contract(song_file: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "assistant", "analyze", str(song_file), "--reference",
                          "--json"], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["integrated_lufs"] is not None  # the mix analysis is still there
    ref = data["reference"]
    assert {"tempo_bpm", "key", "loop", "sections"} <= set(ref)
    assert ref["key"] == "A minor" and all(isinstance(s, str) for s in ref["loop"])
    assert all(set(s) == {"start_s", "end_s", "label", "name"} for s in ref["sections"])
    text = subprocess.run([sys.executable, "-m", "assistant", "analyze", str(song_file),
                           "--reference"], capture_output=True, text=True, timeout=180)
    assert text.returncode == 0 and "Reference  A minor" in text.stdout and "Shape" in text.stdout


def test_reference_on_midi_or_noise_is_one_line_exit_2(tmp_path: Path) -> None:
    noise = tmp_path / "noise.wav"
    sf.write(str(noise), 0.3 * np.random.default_rng(1).standard_normal((22050 * 40, 2)), 22050)
    midi = tmp_path / "x.mid"
    midi.write_bytes(b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0MTrk\x00\x00\x00\x04\x00\xff\x2f\x00")
    for path in (noise, midi):
        out = subprocess.run([sys.executable, "-m", "assistant", "analyze", str(path), "--reference",
                              "--json"], capture_output=True, text=True, timeout=180)
        assert out.returncode == 2 and out.stdout == "", (path.name, out.stdout)
        assert len(out.stderr.strip().splitlines()) == 1 and out.stderr.startswith("coach: ")


def _variant(source: Path, target: Path, gain_db: float, width: float) -> Path:
    data, rate = sf.read(str(source), always_2d=True)
    mid = data.mean(axis=1, keepdims=True)
    side = (data[:, :1] - data[:, 1:]) / 2
    rng = np.random.default_rng(2)
    side = side + 0.05 * rng.standard_normal(side.shape) * np.abs(mid).max()
    out = np.hstack([mid + width * side, mid - width * side]) * 10 ** (gain_db / 20)
    sf.write(str(target), out, rate)
    return target


def test_a_mix_compared_with_its_reference(song_file: Path, tmp_path: Path) -> None:
    reference = _variant(song_file, tmp_path / "reference.wav", 0.0, 1.0)
    quiet = compare_to_reference(_variant(song_file, tmp_path / "quiet.wav", -6.0, 1.0), reference)
    assert quiet.loudness_diff_lu is not None and abs(quiet.loudness_diff_lu + 6.0) < 0.3
    assert all(abs(b["diff_db"]) < 1.0 for b in quiet.bands), "same music, balance matched"
    text = " ".join(quiet.why)
    assert "6.0 LU quieter" in text and "every octave band" in text and "Stereo width matches" in text
    narrow = compare_to_reference(_variant(song_file, tmp_path / "narrow.wav", 0.0, 0.2), reference)
    assert narrow.mix_width is not None and narrow.reference_width is not None
    assert narrow.mix_width < narrow.reference_width - 0.1
    assert "narrower" in " ".join(narrow.why)
    data, rate = sf.read(str(reference), always_2d=True)
    bright = tmp_path / "bright.wav"
    sf.write(str(bright), np.diff(data, axis=0, prepend=0.0) * 4, rate)  # a treble tilt
    tilted = compare_to_reference(bright, reference)
    assert any("more" in line and "kHz" in line for line in tilted.why), tilted.why


def test_the_mixing_stage_compares_a_mix_with_the_song_reference(song_file: Path,
                                                                   tmp_path: Path) -> None:
    reference = _variant(song_file, tmp_path / "reference.wav", 0.0, 1.0)
    mix = _variant(song_file, tmp_path / "my mix.wav", -6.0, 0.2)
    coach = Coach(knowledge=knowledge(), seed=0)
    coach.start()
    coach.handle("sad pop in A minor at 100 bpm")
    coach.handle("1")
    assert coach.handle("let's do mixing").stage == "mixing"
    coach.song.reference = ReferenceSong(path=str(reference), tempo_bpm=100, key="A minor")
    coach.handle("Spotify")
    reply = coach.handle(str(mix))
    assert coach.last_error is None
    assert "Against your reference **reference.wav**" in reply.text
    assert "quieter than reference.wav" in reply.text and "narrower" in reply.text


def test_one_bridge_and_whole_phrases_in_the_shape_offered() -> None:
    """Sections heard once are not all bridges: one departure between choruses is; the
    others continue the section before them. The shape joins them and counts whole phrases."""
    from assistant.audio_in.sections import names

    labels = ["A", "B", "F", "C", "B", "C", "D", "G", "C", "E"]
    bars = [4, 9, 7, 8, 16, 9, 8, 3, 8, 4]
    levels = [0.2, 0.5, 0.5, 0.9, 0.5, 0.9, 0.6, 0.6, 0.9, 0.2]
    found = names(labels, bars, levels)
    assert found == ["intro", "verse", "verse", "chorus", "verse", "chorus", "bridge", "verse",
                     "chorus", "outro"], found
    starts = np.cumsum([0] + bars) * 2.4  # 100 bpm
    ref = ReferenceSong(path="x.wav", tempo_bpm=100, sections=[
        ReferenceSection(start_s=float(a), end_s=float(b), label=lab, name=name)
        for a, b, lab, name in zip(starts[:-1], starts[1:], labels, found, strict=True)])
    shape = [(s.name, s.bars) for s in sections_for_song(ref)]
    assert all(b == 2 or b % 4 == 0 for _, b in shape), shape
    assert all(a[0].split()[0] != b[0].split()[0] for a, b in zip(shape, shape[1:], strict=False)), shape
    assert shape_text(ref) == ("intro 4 \u00b7 verse 16 \u00b7 chorus 8 \u00b7 verse 16 \u00b7 chorus 8"
                               " \u00b7 bridge 8 \u00b7 verse 4 \u00b7 chorus 8 \u00b7 outro 4 at 100 bpm")


def test_bars_before_the_first_downbeat_found_count() -> None:
    """The tracker found its first downbeat at 5 s, but the music starts at 1 s: the bars at
    3 s and 1 s count too, so phrases are counted from the song's first bar; with silence
    until 5 s nothing is added in front of the music."""
    from types import SimpleNamespace

    from assistant.audio_in import sections

    hop, sr = 512, 22050
    times = np.arange(0, 20.0, hop / sr)
    down = np.arange(5.0, 19.0, 2.0)
    playing = SimpleNamespace(rms=(times >= 1.0).astype(float), hop=hop, sr=sr)
    found = sections.with_first_bar(playing, down)  # type: ignore[arg-type]
    assert np.allclose(found[:3], [1.0, 3.0, 5.0]) and np.all(np.diff(found) > 0)
    silent = SimpleNamespace(rms=(times >= 5.0).astype(float), hop=hop, sr=sr)
    late = sections.with_first_bar(silent, down)  # type: ignore[arg-type]
    assert late[0] >= 5.0 - sections.PICKUP_BAR * 2.0 - 1e-9 and np.allclose(late[-len(down):], down)


def test_a_held_tone_named_as_a_favourite_song_is_one_line(tmp_path: Path) -> None:
    """Two seconds of one tone has at most one beat: the beat tracker used to fail on it
    (ValueError: the chat's safety net answered); now it is the one-line answer."""
    from test_stage_tools import clean_take

    tone = clean_take(tmp_path / "tone.wav")
    coach = Coach(knowledge=knowledge(), seed=0)
    coach.start()
    for text in ("happy pop song", "1", "1", "next"):
        coach.handle(text)
    reply = coach.handle(f"my favourite song is {tone}")
    assert "tripped me up" not in reply.text
    assert "no steady beat" in reply.text, reply.text
    out = subprocess.run([sys.executable, "-m", "assistant", "chords", str(tone)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and out.stderr.strip().count("\n") == 0, out.stderr
