"""Faults around the files the coach writes and reads (issue 16, items 3, 4, 9 and 12):
outputs that are links or devices, temporary files a kill -9 left behind, non-finite
samples, and renders too long for a WAV header."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from assistant.fileio import atomic_path, write_bytes

REPO = Path(__file__).resolve().parent.parent
TIMGM = "/usr/share/sounds/sf2/TimGM6mb.sf2"
FAST = {"COACH_SOUNDFONT": TIMGM}


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


# --- item 3: -o onto a symlink or a device ----------------------------------------------

def test_writing_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real" / "song.txt"
    real.parent.mkdir()
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_bytes(link, b"new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() == b"new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640, "the target keeps its permissions"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.txt", "real"]
    assert sorted(p.name for p in real.parent.iterdir()) == ["song.txt"], "no temporary left"


def test_a_dangling_symlink_is_written_through_to_the_file_it_names(tmp_path: Path) -> None:
    link = tmp_path / "out.mid"
    link.symlink_to(tmp_path / "made.mid")
    write_bytes(link, b"MThd")
    assert link.is_symlink()
    assert (tmp_path / "made.mid").read_bytes() == b"MThd"


def test_a_looping_symlink_is_one_line(tmp_path: Path) -> None:
    from assistant.errors import FileProblem

    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    a.symlink_to(b)
    b.symlink_to(a)
    with pytest.raises(FileProblem, match="a.wav"):
        write_bytes(a, b"x")
    assert a.is_symlink() and b.is_symlink()


def _drain(fifo: Path, got: list[bytes]) -> threading.Thread:
    def read() -> None:
        with open(fifo, "rb") as handle:
            got.append(handle.read())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def test_a_fifo_is_written_as_a_stream_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = _drain(fifo, got)
    with atomic_path(fifo, suffix=".wav") as tmp:
        tmp.write_bytes(b"RIFF....WAVE" * 1000)
    reader.join(10)
    assert stat.S_ISFIFO(fifo.lstat().st_mode), "the FIFO was replaced by a regular file"
    assert got == [b"RIFF....WAVE" * 1000]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe.wav"]


def test_a_character_device_is_written_to_not_replaced(tmp_path: Path) -> None:
    """As root (CI): a second /dev/null made with mknod. Anyone else cannot make a device
    node, so the output is a link to /dev/null: written through to the device, the link kept
    (a wrong write would replace only the link in tmp_path, never the real /dev/null)."""
    node = tmp_path / "null"
    if os.geteuid() == 0:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    else:
        node.symlink_to("/dev/null")
    write_bytes(node, b"a whole song")
    kept = node.stat()  # the node itself, or what the link points to
    assert stat.S_ISCHR(kept.st_mode), "the device node was replaced by a file"
    assert os.major(kept.st_rdev) == 1 and os.minor(kept.st_rdev) == 3
    assert os.geteuid() == 0 or node.is_symlink(), "the link was replaced by a file"


def test_render_to_a_fifo_and_through_a_symlink(coach_cli, tmp_path: Path) -> None:
    fifo = tmp_path / "live.wav"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = _drain(fifo, got)
    done = coach_cli("render", "--mood", "happy", "--bars", "1", "-o", str(fifo), env=FAST)
    reader.join(30)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert got and got[0][:4] == b"RIFF" and len(got[0]) > 44
    real = tmp_path / "takes" / "demo.wav"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "demo.wav"
    link.symlink_to(real)
    done = coach_cli("render", "--mood", "happy", "--bars", "1", "-o", str(link), env=FAST)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink()
    assert sf.info(str(real)).frames > 0


def test_a_block_device_or_socket_is_refused_with_one_line(coach_cli, tmp_path: Path) -> None:
    import socket

    path = tmp_path / "sock.wav"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    try:
        done = coach_cli("render", "--mood", "happy", "--bars", "1", "-o", str(path), env=FAST)
        assert "not a regular file" in one_line_error(done)
        assert stat.S_ISSOCK(path.lstat().st_mode)
    finally:
        server.close()


# --- item 12: kill -9 during a write leaves a hidden temporary file ---------------------

KILLED_WRITER = """
import os, sys
from pathlib import Path
from assistant.fileio import atomic_path
with atomic_path(Path(sys.argv[1]), suffix=".wav") as tmp:
    tmp.write_bytes(b"RIFF half a song")
    os.kill(os.getpid(), 9)
"""


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True)
    return int(done.stdout)


def test_a_render_cleans_the_temporary_a_killed_render_left(coach_cli, tmp_path: Path) -> None:
    out = tmp_path / "song.wav"
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(out)], cwd=REPO,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert killed.returncode == -9
    left = [p for p in tmp_path.iterdir() if p.name.startswith(".song.wav.")]
    assert len(left) == 1, "the killed writer leaves its temporary file"
    old_style = tmp_path / ".song.wav.k2j4h5g6.wav"  # named before the pid was in the name
    old_style.write_bytes(b"RIFF")
    os.utime(old_style, (0, 0))
    live = tmp_path / f".song.wav.p{os.getpid()}.abcdefgh.wav"  # a writer still running
    live.write_bytes(b"RIFF")
    other = tmp_path / f".{left[0].name.split('.p')[0][1:]}x.p{_dead_pid()}.zyxwvuts.wav"
    other.write_bytes(b"RIFF")  # a killed render of another name in the same folder
    mine = tmp_path / ".notes.txt"  # the user's own hidden file
    mine.write_text("keep")
    done = coach_cli("render", "--mood", "happy", "--bars", "1", "-o", str(out), env=FAST)
    assert done.returncode == 0, done.stderr
    hidden = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
    assert hidden == sorted([live.name, mine.name]), "stale temporaries go, others stay"
    assert sf.info(str(out)).frames > 0


# --- item 4: non-finite samples ----------------------------------------------------------

def _float_wav(path: Path, seconds: float = 4.0, sr: int = 44100) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    x = 0.3 * np.sin(2 * np.pi * 220 * t)
    return np.stack([x, x * 0.8], axis=1)


@pytest.mark.parametrize("bad", ["nan", "inf", "all-nan"])
def test_non_finite_samples_are_found_and_never_mastered(coach_cli, tmp_path: Path,
                                                         bad: str) -> None:
    x = _float_wav(tmp_path)
    if bad == "nan":
        x[int(2.5 * 44100), 1] = np.nan
    elif bad == "inf":
        x[int(1.25 * 44100), 0] = -np.inf
    else:
        x[:] = np.nan
    mix = tmp_path / "mix.wav"
    sf.write(mix, x, 44100, subtype="FLOAT")
    out = tmp_path / "master.wav"
    line = one_line_error(coach_cli("master", str(mix), "-o", str(out)))
    assert "not a number" in line or "infinite" in line
    where = {"nan": "0:02.500", "inf": "0:01.250", "all-nan": "0:00.000"}[bad]
    assert where in line, line
    assert not out.exists(), "no master is written from non-finite audio"
    line = one_line_error(coach_cli("analyze", str(mix)))
    assert where in line and "silent" not in line


# --- item 9: renders too long for a WAV, melodies too long to harmonize --------------------

def test_a_render_longer_than_a_wav_can_hold_stops_before_rendering(coach_cli,
                                                                    tmp_path: Path) -> None:
    from assistant.rules import song_from_options

    song = json.loads(song_from_options("sad", None, None, "20", "4/4", 1).to_json())
    song["sections"] = [{"name": "verse", "bars": 256, "energy": 2} for _ in range(4)]
    path = tmp_path / "long.json"
    path.write_text(json.dumps(song))
    out, midi = tmp_path / "long.wav", tmp_path / "long.mid"
    done = coach_cli("render", str(path), "--demo", "--rate", "96000", "-o", str(out),
                     "--midi", str(midi), env=FAST, timeout=60)
    line = one_line_error(done)
    assert "3 h 24 min" in line and "at most 3 h 06 min at 96000 Hz" in line, line
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert midi.exists(), "the MIDI file is still written for the DAW"


def _midi_of(path: Path, notes: int) -> None:
    """A one-track MIDI file of `notes` quarter notes, written byte by byte (fast)."""
    import struct

    one = b"\x00\x90\x3c\x64" + b"\x83\x60\x80\x3c\x00"  # note on; 480 ticks later, off
    events = one * notes + b"\x00\xff\x2f\x00"
    path.write_bytes(b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480)
                     + b"MTrk" + struct.pack(">I", len(events)) + events)


def test_harmonize_of_a_200000_note_file_is_refused_at_once(coach_cli, tmp_path: Path) -> None:
    import time

    path = tmp_path / "huge.mid"
    _midi_of(path, 200_000)
    started = time.monotonic()
    line = one_line_error(coach_cli("harmonize", str(path), "--key", "C", timeout=120))
    assert time.monotonic() - started < 20
    assert "huge.mid is 1.7 MB of MIDI" in line and "8,192 notes" in line, line
    long = tmp_path / "long.mid"
    _midi_of(long, 10_000)  # small enough to read, too long to harmonize
    line = one_line_error(coach_cli("harmonize", str(long), "--key", "C", timeout=120))
    assert "2,500 bars and 10,000 notes" in line and "at most 512 bars" in line, line
    small = tmp_path / "small.mid"
    _midi_of(small, 64)  # 16 bars: fine
    done = coach_cli("harmonize", str(small), "--key", "C", "--json")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["bars"]) == 16


def test_master_into_a_fifo_streams_the_master_and_reports_it(coach_cli, tmp_path: Path) -> None:
    mix = tmp_path / "mix.wav"
    sf.write(mix, _float_wav(tmp_path, seconds=5.0) * 0.3, 44100, subtype="PCM_24")
    fifo = tmp_path / "master.wav"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = _drain(fifo, got)
    done = coach_cli("master", str(mix), "-o", str(fifo), "--json")
    reader.join(30)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert got and got[0][:4] == b"RIFF"
    assert json.loads(done.stdout)["after"]["integrated_lufs"] == pytest.approx(-14, abs=0.5)


@pytest.mark.parametrize("case", ["fifo", "zero"])
def test_a_song_sheet_that_is_not_a_file_is_one_line(coach_cli, tmp_path: Path,
                                                     case: str) -> None:
    song = tmp_path / "song.json"
    if case == "fifo":
        os.mkfifo(song)  # reading it would wait forever for a writer
    else:
        song.symlink_to("/dev/zero")
    done = coach_cli("render", str(song), "-o", str(tmp_path / "out.wav"), env=FAST, timeout=60)
    assert "not a regular file" in one_line_error(done)
