"""`coach render` through the real command line: the issue's "done when" lines and bad input."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile

from assistant.analysis.truepeak import true_peak
from assistant.render.level import peak_dbfs
from assistant.song import Instrument, Key, Melody, Note, Section, Song

REPO = Path(__file__).resolve().parent.parent
TIMGM = "/usr/share/sounds/sf2/TimGM6mb.sf2"
FAST = {"COACH_SOUNDFONT": TIMGM}  # the small soundfont: quick loads in every test
NOWHERE = {"COACH_SOUNDFONT_DIRS": "", "COACH_SOUNDFONT_SYSTEM_DIRS": ""}


def reference_lufs(path: Path) -> float:
    """An independent loudness reading: the mix analyser, which passes the EBU Tech 3341 cases."""
    from assistant.analysis.audio import measure_file

    integrated = measure_file(path)[1].loudness.integrated
    assert integrated is not None
    return integrated


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("coach: ")
    return lines[0]


def small_song(path: Path, **changes: object) -> Path:
    song = Song(
        title="Small",
        key=Key(tonic="D", mode="major"),
        tempo=140,
        progression=["I", "V", "vi", "IV"],
        sections=[Section(name="verse", bars=2, energy=3), Section(name="chorus", bars=2, energy=4)],
        instrumentation=[
            Instrument(name="Piano", role="chords", program=0),
            Instrument(name="Bass", role="bass", program=33),
            Instrument(name="Drums", role="drums"),
        ],
        melody=Melody(notes=[Note(pitch=74, start=0, duration=2)]),
    ).model_copy(update=changes)
    path.write_text(song.to_json())
    return path


def test_demo_for_a_sad_mood_meets_the_issue(coach_cli, tmp_path: Path) -> None:
    wav, mid = tmp_path / "demo.wav", tmp_path / "demo.mid"
    done = coach_cli("render", "--demo", "--mood", "sad", "-o", str(wav), "--midi", str(mid), "--json", env=FAST)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert {"wav", "midi", "duration_s", "render_s", "soundfont", "sections"} <= result.keys()
    assert result["wav"] == str(wav) and result["midi"] == str(mid) and result["soundfont"] == TIMGM

    midi = mido.MidiFile(str(mid))
    tempo_bpm = mido.tempo2bpm(next(m.tempo for m in midi.tracks[0] if m.type == "set_tempo"))
    sig = next(m for m in midi.tracks[0] if m.type == "time_signature")
    assert any(m.type == "key_signature" for m in midi.tracks[0])
    bar_s = sig.numerator * 4 / sig.denominator * 60 / tempo_bpm
    bars = sum(s["bars"] for s in result["sections"])
    assert len(midi.tracks) >= 1 + 3
    drum_notes = [m for t in midi.tracks for m in t if m.type == "note_on" and m.channel == 9]
    assert drum_notes, "drums on channel 10"

    audio, rate = soundfile.read(str(wav), dtype="float32")
    assert abs(len(audio) / rate - bars * bar_s) <= 2.5
    assert result["duration_s"] == pytest.approx(len(audio) / rate, abs=0.01)
    assert peak_dbfs(audio) <= -1.0
    tp = float(true_peak(np.ascontiguousarray(audio.T), rate).max())
    assert 20 * math.log10(tp) <= -1.0 and result["true_peak_dbtp"] <= -1.0
    assert np.all(np.abs(audio.astype(np.float64).mean(axis=0)) < 0.001), "no DC offset"
    assert -18.0 <= reference_lufs(wav) <= -12.0
    size = round(bar_s * rate)
    for bar in range(bars):
        chunk = audio[bar * size : (bar + 1) * size]
        rms = float(np.sqrt(np.mean(chunk.astype(np.float64) ** 2)))
        assert rms > 0 and 20 * math.log10(rms) > -50, f"bar {bar + 1} is silent"


def test_preview_of_a_song_file_in_text(coach_cli, tmp_path: Path) -> None:
    song = small_song(tmp_path / "song.json")
    done = coach_cli("render", str(song), "-o", str(tmp_path / "p.wav"), "--tempo", "100", env=FAST)
    assert done.returncode == 0, done.stderr
    assert "chorus 2" in done.stdout and "100 bpm" in done.stdout and "LUFS" in done.stdout
    assert (tmp_path / "p.wav").exists()
    info = soundfile.info(str(tmp_path / "p.wav"))
    assert 2 * 4 * 60 / 100 <= info.duration <= 2 * 4 * 60 / 100 + 2


def test_backing_track_has_count_in_and_no_melody(coach_cli, tmp_path: Path) -> None:
    song = small_song(tmp_path / "song.json")
    mid = tmp_path / "b.mid"
    done = coach_cli(
        "render",
        str(song),
        "--demo",
        "--backing",
        "--click",
        "-o",
        str(tmp_path / "b.wav"),
        "--midi",
        str(mid),
        "--rate",
        "22050",
        "--json",
        env=FAST,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    bar_s = 4 * 60 / 140
    assert result["sections"][0]["start_s"] == pytest.approx(bar_s, abs=0.001)
    assert "Melody" not in result["tracks"] and "Click" in result["tracks"]
    assert result["sample_rate"] == 22050
    midi = mido.MidiFile(str(mid))
    click = next(t for t in midi.tracks if t.name == "Click")
    assert sum(1 for m in click if m.type == "note_on" and m.velocity) == 4 * 5


def test_no_soundfont_anywhere_exits_2_and_still_writes_the_midi(coach_cli, tmp_path: Path) -> None:
    song = small_song(tmp_path / "song.json")
    wav, mid = tmp_path / "x.wav", tmp_path / "x.mid"
    done = coach_cli("render", str(song), "-o", str(wav), "--midi", str(mid), env={**NOWHERE, "COACH_SOUNDFONT": ""})
    line = one_line_error(done)
    assert "no soundfont found" in line and "--soundfont" in line and "$COACH_SOUNDFONT" in line
    assert "apt-get install --no-install-recommends timgm6mb-soundfont" in line and "brew install fluid-synth" in line
    assert str(mid) in line
    assert mid.exists() and mido.MidiFile(str(mid)).type == 1
    assert not wav.exists()


def test_no_soundfont_names_the_folders_it_searched(coach_cli, tmp_path: Path) -> None:
    song = small_song(tmp_path / "song.json")
    empty, system = tmp_path / "mine", tmp_path / "sys.sf2"
    empty.mkdir()
    env = {"COACH_SOUNDFONT": "", "COACH_SOUNDFONT_DIRS": str(empty), "COACH_SOUNDFONT_SYSTEM_DIRS": str(system)}
    line = one_line_error(coach_cli("render", str(song), "-o", str(tmp_path / "x.wav"), env=env))
    assert f"{empty}/*.sf2" in line and str(system) in line


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["render", "{missing}"], "no such file"),
        (["render", "{corrupt}"], "is not a valid Song sheet"),
        (["render", "{bad_tempo}"], "field 'tempo'"),
        (["render", "{song}", "-o", "{tmp}/no/such/dir/out.wav"], "does not exist"),
        (["render", "{song}", "-o", "{tmp}/out.wav", "--soundfont", "{bad_sf}"], "cannot load soundfont"),
        (["render", "{song}", "-o", "{tmp}/out.wav", "--soundfont", "{tmp}/nope.sf2"], "does not exist"),
        (["render", "--tempo", "1000", "-o", "{tmp}/out.wav"], "tempo"),
        (["render", "{song}", "--tempo", "5", "-o", "{tmp}/out.wav"], "tempo"),
        (["render", "{song}", "--bars", "0", "-o", "{tmp}/out.wav"], "--bars"),
        (["render", "{song}", "--bars", "999", "-o", "{tmp}/out.wav"], "--bars"),
        (["render", "{song}", "--section", "bridge", "-o", "{tmp}/out.wav"], "no section named"),
        (["render", "{song}", "--rate", "1000", "-o", "{tmp}/out.wav"], "--rate"),
        (["render", "{song}", "--count-in", "99", "-o", "{tmp}/out.wav"], "--count-in"),
        (["render", "{song}", "--mood", "sad", "-o", "{tmp}/out.wav"], "--mood"),
        (["render", "{song}", "--bars", "two"], "invalid int"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    coach_cli, tmp_path: Path, args: list[str], expected: str
) -> None:
    song = small_song(tmp_path / "song.json")
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text('{"title": "half a file", "tempo": ')
    bad_tempo = tmp_path / "bad_tempo.json"
    data = json.loads(song.read_text())
    data["tempo"] = 1000
    bad_tempo.write_text(json.dumps(data))
    bad_sf = tmp_path / "bad.sf2"
    bad_sf.write_bytes(b"RIFF....sfbk" + os.urandom(64))
    names = {
        "missing": tmp_path / "missing.json",
        "corrupt": corrupt,
        "bad_tempo": bad_tempo,
        "song": song,
        "tmp": tmp_path,
        "bad_sf": bad_sf,
    }
    before = set(tmp_path.iterdir())
    done = coach_cli(*[a.format(**names) for a in args], env=FAST)
    line = one_line_error(done)
    assert expected in line
    assert set(tmp_path.iterdir()) == before, "nothing half-written is left behind"


def test_play_without_a_player_says_where_the_wav_is(coach_cli, tmp_path: Path) -> None:
    song = small_song(tmp_path / "song.json")
    empty_path = tmp_path / "bin"
    empty_path.mkdir()
    done = coach_cli(
        "render",
        str(song),
        "--bars",
        "1",
        "-o",
        str(tmp_path / "p.wav"),
        "--play",
        env={**FAST, "PATH": str(empty_path)},
    )
    assert done.returncode == 0, done.stderr
    assert "no audio player found" in done.stdout and str(tmp_path / "p.wav") in done.stdout


def test_render_and_click_commands_import_nothing_heavy() -> None:
    code = (
        "import sys, json, assistant.cli.render, assistant.cli.click, assistant.render, "
        "assistant.render.soundfont, assistant.render.play\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    ).stdout
    loaded = set(json.loads(out.strip().splitlines()[-1]))
    for heavy in ("numpy", "pydantic", "mido", "fluidsynth", "soundfile", "music21", "scipy"):
        assert heavy not in loaded, heavy
