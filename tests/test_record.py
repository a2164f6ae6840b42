"""`coach record`: the file-writing side with real frames, one line where there is no input
device, and the real recording path against a virtual ALSA microphone (a file plugin that
plays a sung take into PortAudio)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.audio_in_helpers import TUNE, sung_wav


@pytest.fixture(scope="module")
def sung(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sung_wav(tmp_path_factory.mktemp("rec") / "sung.wav")


def test_save_take_writes_real_frames_whole(sung: Path, tmp_path: Path) -> None:
    from assistant.audio_in.load import load_mono
    from assistant.audio_in.record import save_take
    from assistant.errors import CoachError

    frames = load_mono(sung, 48000).samples
    out = save_take(tmp_path / "take.wav", frames)
    back, rate = sf.read(out, dtype="float32")
    info = sf.info(out)
    assert rate == 48000 and info.subtype == "PCM_24"
    assert np.max(np.abs(back - np.clip(frames, -1, 1))) < 1e-5
    # a folder that does not exist: one line, nothing left behind
    with pytest.raises(CoachError):
        save_take(tmp_path / "missing" / "take.wav", frames)
    with pytest.raises(CoachError):
        save_take(tmp_path / "empty.wav", np.zeros(0, np.float32))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.wav"]


def test_a_write_failing_halfway_keeps_the_take_before_it(sung: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Whole or not at all: the disk filling up halfway through a new take leaves the earlier
    take.wav as it was and no partial file, with one line to say so."""
    from assistant.audio_in.load import load_mono
    from assistant.audio_in.record import save_take
    from assistant.errors import FileProblem

    frames = load_mono(sung, 48000).samples
    out = save_take(tmp_path / "take.wav", frames)
    before = out.read_bytes()
    real_write = sf.write

    def disk_full(file: str, data: np.ndarray, rate: int, **kw: object) -> None:
        real_write(file, data[: len(data) // 2], rate, **kw)  # half the frames reach the disk
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sf, "write", disk_full)
    with pytest.raises(FileProblem, match="No space left on device") as raised:
        save_take(out, frames[::-1])
    assert "\n" not in str(raised.value)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.wav"]


def test_no_input_device_is_one_line(tmp_path: Path, coach_cli) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "take.wav"
    home = tmp_path / "home"
    home.mkdir()
    done = coach_cli("record", "-o", str(out), "--bars", "1",
                     env={"HOME": str(home), "AUDIODEV": "", "ALSA_CONFIG_PATH": ""})
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("coach: no audio input"), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not out.exists()


def _virtual_microphone(home: Path, raw: Path, rate: int) -> None:
    """~/.asoundrc with an ALSA capture device that reads `raw` (S16_LE mono)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / ".asoundrc").write_text(f"""
pcm.coachfile {{
    type file
    slave.pcm "null"
    file "/dev/null"
    infile "{raw}"
    format "raw"
}}
pcm.coachmic {{
    type plug
    slave {{ pcm "coachfile" format S16_LE rate {rate} channels 1 }}
    hint {{ show on description "coach test microphone" }}
}}
""")


def test_records_from_a_virtual_microphone(sung: Path, tmp_path: Path, coach_cli) -> None:  # type: ignore[no-untyped-def]
    from assistant.audio_in.load import load_mono

    rate = 16000
    voice = load_mono(sung, rate).samples
    raw = tmp_path / "mic.raw"
    (np.clip(voice, -1, 1) * 32767).astype("<i2").tofile(raw)
    home = tmp_path / "home"
    _virtual_microphone(home, raw, rate)
    out = tmp_path / "take.wav"
    done = coach_cli("record", "-o", str(out), "--device", "coachmic", "--bars", "2",
                     "--count-in", "1", "--click", "--tempo", "120",
                     env={"HOME": str(home)}, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "peak" in done.stdout  # the take check ran on the file written
    take, take_rate = sf.read(out, dtype="float32")
    assert take_rate == 48000
    # 2 bars at 120 bpm (4 s) plus a 1 s tail; the 1-bar count-in (2 s) was cut
    assert abs(len(take) / take_rate - 5.0) < 0.1
    # what the microphone "heard" is the sung take: ALSA's null device has no clock, so the
    # file plugin's blocks do not arrive sample-exact, but the tune's notes come through
    from assistant.audio_in.transcribe import transcribe

    pitches = [n.pitch for n in transcribe(out).notes]
    assert len(pitches) >= 3 and set(pitches) <= set(TUNE), pitches
    assert os.path.getsize(out) > 0
