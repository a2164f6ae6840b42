"""The edit commands through the real command line: results, summaries, and bad input
(one line on stderr, exit 2, no traceback, the input untouched, no half-written output)."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_edit_builders import (
    TPB,
    N,
    conductor,
    jittered_sixteenths,
    midi_file,
    note_ons,
    to_bytes,
    track_from,
)

from assistant.edit.midifile import load_midi

REPO = Path(__file__).resolve().parent.parent


def coach(*args: str | Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COACH_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.fixture
def take(tmp_path: Path) -> Path:
    notes, _ = jittered_sixteenths(max_ms=30.0)
    drums = [N(36, i * TPB, 60, channel=9) for i in range(4, 20)]
    path = tmp_path / "take.mid"
    path.write_bytes(
        to_bytes(midi_file(conductor(), track_from(notes, "Keys"), track_from(drums, "Drums")))
    )
    return path


def test_quantize_cli_writes_the_result_and_a_json_summary(take: Path, tmp_path: Path) -> None:
    before = take.read_bytes()
    out = tmp_path / "q.mid"
    done = coach(
        "quantize",
        take,
        "-o",
        out,
        "--grid",
        "1/16",
        "--swing",
        "0.66",
        "--tracks",
        "Keys",
        "--json",
        home=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["tracks"] == ["Keys"] and summary["notes"] == 64 and summary["moved"] > 40
    assert summary["timing_after"]["on_grid_ratio"] == 1.0
    assert take.read_bytes() == before
    ticks = np.array([t for t, *_ in note_ons(load_midi(out), 1)])
    assert set((ticks % (TPB // 2)).tolist()) == {0, TPB // 3}


def test_transpose_and_humanize_cli_print_a_summary(take: Path, tmp_path: Path) -> None:
    done = coach("transpose", take, "-o", tmp_path / "t.mid", "--semitones", "-2", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "by -2 semitones" in done.stdout and "16 drum notes" in done.stdout
    first = coach("humanize", take, "-o", tmp_path / "h1.mid", "--seed", "3", home=tmp_path)
    second = coach("humanize", take, "-o", tmp_path / "h2.mid", "--seed", "3", home=tmp_path)
    assert first.returncode == second.returncode == 0
    assert "Humanized 80 notes" in first.stdout
    assert (tmp_path / "h1.mid").read_bytes() == (tmp_path / "h2.mid").read_bytes()


def _wav_bytes() -> bytes:
    data = b"\x00\x00" * 100
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(data))
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, 44100, 88200, 2, 16)
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )


BAD_FILES = {
    "truncated": lambda good: good[: len(good) // 2],
    "header only": lambda good: good[:14],
    "not midi": lambda good: b"this is a text file, not music\n",
    "wav": lambda good: _wav_bytes(),
    "empty": lambda good: b"",
}


@pytest.mark.parametrize("command", [["quantize"], ["transpose", "--semitones", "2"], ["humanize"]])
@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_files_are_one_line_exit_2(
    command: list[str], kind: str, take: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.mid"
    bad.write_bytes(BAD_FILES[kind](take.read_bytes()))
    before = bad.read_bytes()
    out = tmp_path / "out.mid"
    done = coach(command[0], bad, "-o", out, *command[1:], home=tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert "bad.mid" in done.stderr
    assert bad.read_bytes() == before and not out.exists()


def test_a_directory_and_a_missing_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.mid"
    folder.mkdir()
    for source, words in ((folder, "directory"), (tmp_path / "nope.mid", "no such file")):
        done = coach("quantize", source, "-o", tmp_path / "out.mid", home=tmp_path)
        assert done.returncode == 2 and words in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "out.mid").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--grid", "1/12"],
        ["--grid", "16"],
        ["--strength", "1.5"],
        ["--strength", "-0.2"],
        ["--strength", "nan"],
        ["--swing", "0.8"],
        ["--swing", "0.45"],
        ["--grid", "1/16t", "--swing", "0.6"],
        ["--strength", "strong"],
        ["--tracks", "Tuba"],
        ["--lengths", "long"],
    ],
)
def test_out_of_range_settings_are_one_line_exit_2(
    args: list[str], take: Path, tmp_path: Path
) -> None:
    before = take.read_bytes()
    out = tmp_path / "out.mid"
    done = coach("quantize", take, "-o", out, *args, home=tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert take.read_bytes() == before and not out.exists()


@pytest.mark.parametrize(
    "command",
    [
        ["transpose", "--semitones", "80"],
        ["transpose", "--semitones", "70"],
        ["humanize", "--timing-ms", "-5"],
        ["humanize", "--velocity", "200"],
    ],
)
def test_other_bad_settings_are_one_line_exit_2(
    command: list[str], take: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.mid"
    done = coach(command[0], take, "-o", out, *command[1:], home=tmp_path)
    assert done.returncode == 2, done.stdout
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not out.exists()


def test_output_over_the_input_or_into_a_missing_folder_is_refused(
    take: Path, tmp_path: Path
) -> None:
    before = take.read_bytes()
    for target in (take, tmp_path / "missing" / "out.mid", tmp_path):
        done = coach("quantize", take, "-o", target, home=tmp_path)
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    assert take.read_bytes() == before
