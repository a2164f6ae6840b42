"""Phone recordings: a voice memo is an M4A (AAC) more often than a WAV. The sung test tune,
encoded as real AAC with PyAV (FFmpeg's encoder), is heard by `coach transcribe` and in the
chat; a broken one is one line and exit 2."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.audio_in_helpers import TUNE, sung_wav


def _aac(wav: Path, out: Path, rate: int = 44100) -> Path:
    import av
    import soxr

    samples, sr = sf.read(str(wav), dtype="float32")
    samples = np.asarray(soxr.resample(samples, sr, rate), dtype=np.float32)
    with av.open(str(out), "w") as container:
        stream = container.add_stream("aac", rate=rate)
        stream.layout = "mono"  # type: ignore[union-attr]
        for at in range(0, len(samples), 1024):
            frame = av.AudioFrame.from_ndarray(samples[None, at:at + 1024], format="flt",
                                               layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):  # type: ignore[union-attr]
                container.mux(packet)
        for packet in stream.encode(None):  # type: ignore[union-attr]
            container.mux(packet)
    return out


@pytest.fixture(scope="module")
def memo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("phone")
    return _aac(sung_wav(folder / "tune.wav"), folder / "voice memo 3.m4a")


def test_an_m4a_voice_memo_is_heard_like_the_wav(memo: Path) -> None:
    from assistant.audio_in.transcribe import transcribe

    result = transcribe(memo)
    assert [n.pitch for n in result.notes][:6] == TUNE[:6]
    assert result.key.name in ("E minor", "G major")


def test_the_chat_takes_a_voice_memo_with_spaces_in_its_name(memo: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from assistant.coach import Coach

    monkeypatch.chdir(memo.parent)
    coach = Coach()
    coach.start()
    coach.handle("let's do composition")
    reply = coach.handle("here's me singing the chorus idea: voice memo 3.m4a")
    assert re.search(r"I heard \d+ notes in", reply.text), reply.text
    assert coach.song.melody is not None and len(coach.song.melody.notes) >= len(TUNE) - 2


def test_a_broken_m4a_is_one_line_and_exit_2(tmp_path: Path, coach_cli) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "memo.m4a"
    broken.write_bytes(b"\x00\x00\x00\x18ftypM4A " + bytes(range(256)) * 8)
    out = tmp_path / "m.mid"
    done = coach_cli("transcribe", str(broken), "-o", str(out))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "memo.m4a" in done.stderr
    assert not out.exists()


def test_the_chat_names_every_phone_format_the_loader_reads() -> None:
    """One table (audio_in/formats.py): a memo.amr or voice.opus named in the chat is read as
    a file, as the loader can decode it."""
    from assistant.understanding.values import _PATH

    for name in ("memo.amr", "voice note.opus", "idea.3gp", "song.mp3", "take.m4a"):
        found = _PATH.search(f"here is me humming: {name}")
        assert found and found.group(1).strip().endswith(name), name
