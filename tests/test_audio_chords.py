"""`coach chords`: chords, key, tempo and downbeats heard in real FluidSynth renders (TimGM6mb)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from assistant.audio_in.chords import ChordChart, ChordSpan, chord_chart, find_loop, numeral
from assistant.errors import BadInput, FileProblem
from assistant.render.events import Arrangement, SectionSpan, Track
from assistant.render.synth import load_synth, render_audio

SOUNDFONT = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
RATE = 22050
TRIADS = {"Am": (57, 60, 64), "F": (53, 57, 60), "C": (48, 52, 55), "G": (55, 59, 62),
          "Dm": (50, 53, 57), "E": (52, 56, 59), "Em": (52, 55, 59), "D": (50, 54, 57)}
ROOTS = {"Am": 45, "F": 41, "C": 36, "G": 43, "Dm": 38, "E": 40, "Em": 40, "D": 38}


def render_progression(path: Path, bars: list[str], bpm: float = 100.0, program: int = 0,
                       strum: bool = False, channels: int = 1, rate: int = RATE) -> Path:
    """Chords a bar each, on every beat (strummed: eighth notes, low to high), plus a bass root."""
    chords = Track(name="chords", role="chords", channel=0, program=program)
    bass = Track(name="bass", role="bass", channel=1, program=32)
    for bar, name in enumerate(bars):
        bass.add(bar * 4.0, 3.9, ROOTS[name], 90)
        steps = 8 if strum else 4
        for step in range(steps):
            start = bar * 4.0 + step * 4.0 / steps
            for k, pitch in enumerate(TRIADS[name] + (TRIADS[name][0] + 12,)):
                offset = 0.02 * k if strum else 0.0
                chords.add(start + offset, 4.0 / steps - offset, pitch, 60 + 35 * (step % 2 == 0))
    arr = Arrangement(title="t", tempo=bpm, meter="4/4", key_tonic="C", key_mode="major",
                      bar_beats=4.0, tracks=[chords, bass],
                      sections=[SectionSpan("loop", 0.0, len(bars), 3)])
    audio = render_audio(arr, SOUNDFONT, rate=rate, tail_s=0.5,
                         loaded=load_synth(SOUNDFONT, rate), segments=1)
    data = audio.T * (0.5 / max(1e-9, float(np.abs(audio).max())))
    if channels == 1:
        data = data.mean(axis=1)
    elif channels > 2:
        data = np.repeat(data[:, :1], channels, axis=1)
    sf.write(str(path), data, rate, subtype="PCM_16")
    return path


LOOP = ["Am", "F", "Dm", "E"]  # i bVI iv V: the E major chord's G# makes it A minor, not C major


@pytest.fixture(scope="module")
def piano_take(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_progression(tmp_path_factory.mktemp("chords") / "piano.wav", LOOP * 3)


def agreement(found: list[str], expected: list[str]) -> float:
    """The best share of bars that match, allowing the first downbeat to be off by up to 3 beats
    (a bar-long shift of the whole chart)."""
    best = 0.0
    for shift in range(-1, 2):
        pairs = [(found[i + shift], e) for i, e in enumerate(expected) if 0 <= i + shift < len(found)]
        if pairs:
            best = max(best, sum(f == e for f, e in pairs) / len(expected))
    return best


def test_a_piano_loop_gives_its_chords_key_tempo_and_bars(piano_take: Path) -> None:
    chart = chord_chart(piano_take)
    assert chart.key == "A minor"
    assert abs(chart.tempo_bpm - 100) < 4
    assert agreement(chart.bar_symbols(), LOOP * 3) >= 0.75, chart.bar_symbols()
    assert chart.loop_symbols() == LOOP
    assert chart.progression() == ["i", "bVI", "iv", "V"]
    assert chart.as_key().name == "A minor"
    downbeats = np.array(chart.downbeats_s)
    assert len(downbeats) >= 10 and np.allclose(np.diff(downbeats), 2.4, atol=0.1)
    held = [c for c in chart.chords if c.symbol != "N"]
    assert all(0 <= c.confidence <= 1 for c in held)
    assert np.mean([c.confidence for c in held]) > 0.5


def test_a_strummed_guitar_in_another_key_and_stereo_44k(tmp_path: Path) -> None:
    bars = ["G", "D", "Em", "C"] * 3
    path = render_progression(tmp_path / "guitar.wav", bars, bpm=120, program=25, strum=True,
                              channels=2, rate=44100)
    chart = chord_chart(path)
    assert chart.key in ("G major", "E minor")  # relatives share every note; G is right
    assert agreement(chart.bar_symbols(), bars) >= 0.7, chart.bar_symbols()
    assert abs(chart.tempo_bpm - 120) < 5 or abs(chart.tempo_bpm - 60) < 3


def test_json_is_the_contract(piano_take: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "assistant", "chords", str(piano_take), "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {"key", "tempo_bpm", "downbeats_s", "chords"} <= set(data)
    assert data["key"] == "A minor" and isinstance(data["tempo_bpm"], float)
    first = data["chords"][0]
    assert set(first) == {"start_s", "end_s", "symbol", "numeral", "confidence"}
    symbols = {c["symbol"] for c in data["chords"]}
    assert {"Am", "F", "Dm", "E"} <= symbols
    numerals = {c["symbol"]: c["numeral"] for c in data["chords"] if c["symbol"] != "N"}
    assert numerals["Am"] == "i" and numerals["F"] == "bVI" and numerals["E"] == "V"
    text = subprocess.run([sys.executable, "-m", "assistant", "chords", str(piano_take)],
                          capture_output=True, text=True, timeout=120)
    assert text.returncode == 0 and "A minor" in text.stdout and "The loop: Am F Dm E" in text.stdout


def _bad(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assistant", "chords", str(path), "--json"],
                          capture_output=True, text=True, timeout=120)


def test_unusable_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    silence = tmp_path / "silence.wav"
    sf.write(str(silence), np.zeros(RATE * 5, np.float32), RATE)
    noise = tmp_path / "noise.wav"
    sf.write(str(noise), (0.3 * rng.standard_normal(RATE * 8)).astype(np.float32), RATE)
    click = tmp_path / "click.wav"
    clicks = np.zeros(RATE * 8, np.float32)
    blip = np.sin(2 * np.pi * 1000 * np.arange(400) / RATE) * np.hanning(400)
    for start in range(0, len(clicks) - 400, RATE // 2):
        clicks[start:start + 400] = blip
    sf.write(str(click), clicks, RATE)
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage")
    low = tmp_path / "low.wav"
    sf.write(str(low), np.zeros(1000, np.float32), 4000)
    for path in (silence, noise, click, corrupt, low, tmp_path / "missing.wav"):
        out = _bad(path)
        assert out.returncode == 2, (path.name, out.stdout, out.stderr)
        assert out.stdout == "" and len(out.stderr.strip().splitlines()) == 1, (path.name, out.stderr)
        assert out.stderr.startswith("coach: ") and "Traceback" not in out.stderr


def test_8khz_mono_and_six_channels_still_work(tmp_path: Path) -> None:
    six = render_progression(tmp_path / "six.wav", LOOP * 2, channels=6)
    assert chord_chart(six).key == "A minor"
    narrow = render_progression(tmp_path / "narrow.wav", LOOP * 2, rate=8000)
    chart = chord_chart(narrow)
    assert chart.key == "A minor" and agreement(chart.bar_symbols(), LOOP * 2) >= 0.6


def test_silence_and_missing_files_raise_the_coach_errors(tmp_path: Path) -> None:
    silence = tmp_path / "s.wav"
    sf.write(str(silence), np.zeros(RATE * 2, np.float32), RATE)
    with pytest.raises(BadInput, match="silent"):
        chord_chart(silence)
    with pytest.raises(FileProblem):
        chord_chart(tmp_path / "nope.wav")


def test_loops_numerals_and_bars_from_a_chart() -> None:
    assert find_loop(["I", "V", "vi", "IV"] * 3 + ["I"], tonic="I") == ["I", "V", "vi", "IV"]
    eight = ["i", "bVI", "bIII", "bVII", "i", "iv", "V", "V"] * 2
    assert find_loop(eight, tonic="i") == eight[:8]
    assert numeral(0, "maj", 9) == "bIII" and numeral(7, "maj", 9) == "bVII"
    assert numeral(4, "maj", 9) == "V" and numeral(2, "min", 9) == "iv"
    chart = ChordChart(key="C major", tempo_bpm=120, downbeats_s=[0.0, 2.0, 4.0],
                       chords=[ChordSpan(0.0, 2.5, "C", "I", 0.9, 0, "maj"),
                               ChordSpan(2.5, 6.0, "G", "V", 0.8, 7, "maj")], duration_s=6.0)
    assert chart.bar_symbols() == ["C", "G", "G"]
    assert chart.bar_numerals() == ["I", "V", "V"]
    assert set(chart.to_json()) >= {"key", "tempo_bpm", "downbeats_s", "chords"}
