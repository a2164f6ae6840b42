"""Read any audio file the coach accepts into one mono float32 signal at the rate asked for.

Takes are phone recordings: any channel count (mixed down), any rate from 8 kHz up
(resampled with soxr), WAV/FLAC/AIFF/OGG/MP3 through libsndfile, and what phones record
(M4A/AAC, AMR, Opus…) through PyAV. Problems are one line (`FileProblem`
or `BadInput`, exit 2) before any work starts; non-finite samples are zeroed with a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.audio_in.formats import HEARD, PYAV_DECODES
from assistant.errors import BadInput, FileProblem

MAX_SECONDS = 20 * 60  # longer than any song; a 2-hour file is a mistake, not a take
MIN_SECONDS = 0.25
BLOCK_FRAMES = 1 << 18


@dataclass
class Clip:
    """A mono signal and where it came from."""

    samples: np.ndarray  # float32, mono
    sr: int
    path: str = ""
    source_sr: int = 0
    source_channels: int = 1
    notes: list[str] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sr if self.sr else 0.0

    @property
    def peak(self) -> float:
        return float(np.max(np.abs(self.samples))) if len(self.samples) else 0.0


def _resample(samples: np.ndarray, source_sr: int, sr: int) -> np.ndarray:
    """soxr's high-quality resampler (librosa's own choice; a tenth of scipy.signal's
    import time, which matters when a whole analysis must finish in seconds)."""
    if source_sr == sr or len(samples) == 0:
        return samples
    import soxr

    return np.asarray(soxr.resample(samples, source_sr, sr, quality="HQ"), dtype=np.float32)


def load_mono(path: str | Path, sr: int = 22050, max_seconds: float = MAX_SECONDS) -> Clip:
    """The file as mono float32 at `sr` Hz; one-line errors for what cannot be used."""
    import soundfile as sf

    path = Path(path).expanduser()
    if not path.exists():
        raise FileProblem(f"{path}: no such file")
    if not path.is_file():
        raise FileProblem(f"{path} is not a regular audio file")
    if path.stat().st_size == 0:
        raise FileProblem(f"{path} is empty (0 bytes)")
    try:
        info = sf.info(str(path))
    except Exception as error:  # soundfile raises its own RuntimeError subclasses
        reason = str(error).split(":")[-1].strip() or "unknown format"
        if path.suffix.lower() in PYAV_DECODES:  # a phone's voice memo: M4A/AAC, AMR, Opus…
            return _decode_compressed(path, sr, max_seconds)
        raise FileProblem(f"{path} is not audio the coach can read ({HEARD}): {reason}") from None
    if info.frames <= 0 or info.samplerate <= 0:
        raise FileProblem(f"{path} holds no audio samples")
    _check_rate(path, info.samplerate)
    _check_length(path, info.frames / info.samplerate, max_seconds)
    notes: list[str] = []
    parts: list[np.ndarray] = []
    bad = 0
    try:
        with sf.SoundFile(str(path)) as handle:
            for block in handle.blocks(blocksize=BLOCK_FRAMES, dtype="float32", always_2d=True):
                mono, nonfinite = _silence_nonfinite(block.mean(axis=1, dtype=np.float32))
                bad += nonfinite
                parts.append(mono)
    except Exception as error:
        if isinstance(error, MemoryError):
            raise
        reason = str(error).split(":")[-1].strip()
        if not parts:
            raise FileProblem(f"{path} cannot be decoded ({reason}): it may be truncated "
                              "or corrupt") from None
        notes.append(f"the file is damaged after {sum(map(len, parts)) / info.samplerate:.1f} s; "
                     "listened to what comes before")
    if bad:
        notes.append(_nonfinite_note(bad))
    samples = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    samples = _resample(samples, int(info.samplerate), sr)
    return Clip(samples=np.ascontiguousarray(samples, dtype=np.float32), sr=sr, path=str(path),
                source_sr=int(info.samplerate), source_channels=int(info.channels), notes=notes)


def _decode_compressed(path: Path, sr: int, max_seconds: float) -> Clip:
    """A compressed recording decoded by PyAV, mixed to mono and resampled by FFmpeg."""
    try:
        import av
    except ImportError:
        raise FileProblem(f"{path} is a compressed recording the coach cannot decode here: "
                          "`pip install av` adds the decoders, or export it as WAV") from None
    parts: list[np.ndarray] = []
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise FileProblem(f"{path} has no sound in it (no audio stream)")
            stream = container.streams.audio[0]
            source_sr = int(stream.sample_rate or 0)
            channels = int(stream.channels or 1)
            if source_sr:
                _check_rate(path, source_sr)
            if container.duration:  # before decoding it all: too long is known from the header
                _check_length(path, container.duration / 1e6, max_seconds, shortest=0.0)
            resampler = av.AudioResampler(format="flt", layout="mono", rate=sr)
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    parts.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                parts.append(out.to_ndarray().reshape(-1))
    except (FileProblem, BadInput):
        raise
    except Exception as error:  # FFmpeg's errors: a truncated or foreign file
        if isinstance(error, MemoryError):
            raise
        raise FileProblem(f"{path} cannot be decoded: {error}") from None
    samples = np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)
    samples, bad = _silence_nonfinite(samples)
    _check_length(path, len(samples) / sr, max_seconds)
    return Clip(samples=np.ascontiguousarray(samples), sr=sr, path=str(path),
                source_sr=source_sr or sr, source_channels=channels,
                notes=[_nonfinite_note(bad)] if bad else [])


def _check_rate(path: Path, rate: int) -> None:
    if rate < 8000:
        raise BadInput(f"{path}: sample rate {rate} Hz is too low to hear pitch (8 kHz at least)")


def _check_length(path: Path, seconds: float, max_seconds: float,
                  shortest: float = MIN_SECONDS) -> None:
    if seconds > max_seconds:
        raise BadInput(f"{path} is {seconds / 60:.0f} minutes long: the coach listens to "
                       f"takes and songs up to {max_seconds / 60:.0f} minutes; trim it first")
    if seconds < shortest:
        raise BadInput(f"{path} is only {seconds * 1000:.0f} ms long: too short to hear anything")


def _silence_nonfinite(samples: np.ndarray) -> tuple[np.ndarray, int]:
    """The samples with NaN and Inf zeroed, and how many there were."""
    finite = np.isfinite(samples)
    if finite.all():
        return samples, 0
    return np.where(finite, samples, np.float32(0.0)), int((~finite).sum())


def _nonfinite_note(bad: int) -> str:
    return f"{bad} samples were not numbers (NaN or Inf) and were treated as silence"


def from_array(samples: np.ndarray, source_sr: int, sr: int = 22050) -> Clip:
    """A Clip from samples already in memory (tests, benchmarks, the recorder)."""
    data = np.asarray(samples, dtype=np.float32)
    channels = 1 if data.ndim == 1 else data.shape[1]
    if data.ndim == 2:
        data = data.mean(axis=1, dtype=np.float32)
    data = np.where(np.isfinite(data), data, np.float32(0.0)).astype(np.float32)
    return Clip(samples=_resample(data, source_sr, sr), sr=sr, source_sr=source_sr,
                source_channels=channels)
