"""`coach click`: the right number of clicks, accents by meter, count-in, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile

from assistant.analysis.truepeak import true_peak
from assistant.errors import BadInput
from assistant.render.click import ACCENTS, click_arrangement, click_pulses
from assistant.render.level import peak_dbfs
from assistant.render.pipeline import render_arrangement

TIMGM = "/usr/share/sounds/sf2/TimGM6mb.sf2"


def onsets(audio: np.ndarray, rate: int, floor_db: float = -20.0) -> list[float]:
    """Times where the 5 ms envelope rises through `floor_db` under the loudest point."""
    hop = round(rate * 0.005)
    mono = np.max(np.abs(audio.reshape(len(audio), -1)), axis=1)
    frames = len(mono) // hop
    env = mono[: frames * hop].reshape(frames, hop).max(axis=1)
    db = 20 * np.log10(env / env.max() + 1e-12)
    loud = db > floor_db
    rises = np.nonzero(loud[1:] & ~loud[:-1])[0] + 1
    if loud[0]:
        rises = np.insert(rises, 0, 0)
    return [float(i * hop / rate) for i in rises]


def test_cli_click_90_bpm_4_bars_with_a_bar_of_count_in(coach_cli, tmp_path: Path) -> None:
    wav, mid = tmp_path / "click.wav", tmp_path / "click.mid"
    done = coach_cli(
        "click",
        "--tempo",
        "90",
        "--bars",
        "4",
        "--count-in",
        "1",
        "-o",
        str(wav),
        "--midi",
        str(mid),
        "--json",
        env={"COACH_SOUNDFONT": TIMGM},
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["clicks"] == 20 and result["wav"] == str(wav)
    audio, rate = soundfile.read(str(wav), dtype="float32")
    five_bars = 5 * 4 * 60 / 90
    assert five_bars <= len(audio) / rate <= five_bars + 1.0
    found = onsets(audio, rate)
    assert len(found) == 20
    beat = 60 / 90
    assert max(abs(t - i * beat) for i, t in enumerate(found)) < 0.012, "each click on its beat"
    assert peak_dbfs(audio) <= -1.0
    assert float(true_peak(np.ascontiguousarray(audio.T), rate).max()) <= 10 ** (-1.0 / 20), "true peak too"
    midi = mido.MidiFile(str(mid))
    assert mido.tempo2bpm(next(m.tempo for m in midi.tracks[0] if m.type == "set_tempo")) == pytest.approx(90)
    assert sum(1 for t in midi.tracks for m in t if m.type == "note_on" and m.velocity) == 20


def test_downbeats_are_accented_and_6_8_groups_in_threes(tmp_path: Path) -> None:
    assert click_pulses("4/4") == [0, 2, 2, 2]
    assert click_pulses("6/8") == [0, 2, 2, 1, 2, 2]
    assert click_pulses("7/8") == [0, 2, 1, 2, 1, 2, 2]
    assert click_pulses("12/8") == [0, 2, 2, 1, 2, 2, 1, 2, 2, 1, 2, 2]
    arr = click_arrangement(120, "6/8", bars=2)
    notes = arr.tracks[0].notes
    assert len(notes) == 12 and [n.start for n in notes[:3]] == [0.0, 0.5, 1.0]
    assert [n.velocity for n in notes[:6]] == [ACCENTS[level][1] for level in (0, 2, 2, 1, 2, 2)]
    result = render_arrangement(arr, tmp_path / "c.wav", soundfont=TIMGM, rate=22050, loudness=False)
    audio, rate = soundfile.read(str(result.wav), dtype="float32")
    found = onsets(audio, rate, floor_db=-24.0)
    assert len(found) == 12
    size = round(0.1 * rate)
    strength = [float(np.abs(audio[round(t * rate) : round(t * rate) + size]).max()) for t in found]
    assert strength[0] > strength[1] and strength[3] > strength[4], "downbeat and group start are louder"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--tempo", "5"], "tempo"),
        (["--tempo", "90", "--bars", "0"], "--bars"),
        (["--tempo", "90", "--count-in", "-1"], "--count-in"),
        (["--tempo", "90", "--meter", "4/5"], "meter"),
        (["--bars", "4"], "--tempo"),
    ],
)
def test_click_bad_input(coach_cli, tmp_path: Path, args: list[str], expected: str) -> None:
    done = coach_cli("click", *args, "-o", str(tmp_path / "c.wav"), env={"COACH_SOUNDFONT": TIMGM})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0]
    assert not list(tmp_path.iterdir())


def test_click_arrangement_rejects_out_of_range_values() -> None:
    with pytest.raises(BadInput):
        click_arrangement(401)
    with pytest.raises(BadInput):
        click_arrangement(100, "0/4")


def test_json_stays_clean_when_ci_is_set(coach_cli, tmp_path: Path) -> None:
    """pyfluidsynth prints a line on stdout at import when $CI is set; --json must not carry it."""
    done = coach_cli(
        "click",
        "--tempo",
        "120",
        "--bars",
        "1",
        "-o",
        str(tmp_path / "c.wav"),
        "--json",
        env={"CI": "true", "COACH_SOUNDFONT": TIMGM},
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["clicks"] == 4
