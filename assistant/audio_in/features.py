"""What the chord, beat, key and section finders listen to, computed once per file.

Numpy (plus scipy.ndimage's median filter), not librosa: importing librosa's constant-Q,
beat and feature modules costs ~9 s of CPU on this machine (numba start-up), the numpy
path ~0.8 s, and a 3-minute analysis must finish in 10 s whole process. The methods are
librosa's, in a few lines each:

- a semitone spectrogram (84 semitones, C1-B7): STFT magnitudes summed into semitone bands
  with a triangular weight, a long window (4096 samples at 11.025 kHz, 2.7 Hz resolution)
  for the two bass octaves and a shorter one (2048) above, like a constant-Q transform;
- harmonic/percussive separation by median filtering (Fitzgerald 2010, librosa's `hpss`):
  a median along time keeps sustained notes (the harmonic part), the rest is percussive;
- chroma: the harmonic part folded to 12 pitch classes, the treble (C2 up) and the bass
  (C1-B2, where the chord root usually sits) apart, log-compressed (log(1 + 100 x)) so a
  loud bass note does not drown the chord tones;
- onset strength: spectral flux of the log-magnitude STFT (2048-sample window), the local
  mean subtracted, as in librosa's `onset_strength`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.audio_in.load import Clip, load_mono
from assistant.errors import BadInput

SR = 22050
HOP = 512  # 23 ms frames
OCTAVES = 7
MIDI_LOW = 24  # C1
BASS_SEMITONES = 24  # C1-B2
SPLIT_MIDI = 48  # below C3 the long window
PITCH_SR = SR // 2
HOP_RATIO = 2
PITCH_HOP = HOP * HOP_RATIO // 2  # 46 ms at PITCH_SR
LONG_FFT, SHORT_FFT, ONSET_FFT = 4096, 2048, 2048  # 2.7 and 5.4 Hz resolution at PITCH_SR
BLOCK = 256  # frames per FFT batch (memory stays ~ a few MB)


@dataclass
class Features:
    sr: int
    hop: int
    duration_s: float
    onset: np.ndarray  # (frames,) onset strength
    chroma: np.ndarray  # (12, frames) harmonic treble chroma, C first
    bass: np.ndarray  # (12, frames) harmonic bass chroma
    semitones: np.ndarray  # (84, frames) log harmonic semitone spectrogram (for sections)
    rms: np.ndarray  # (frames,) level of the whole signal

    @property
    def frames(self) -> int:
        return int(self.onset.shape[0])

    def frame_times(self) -> np.ndarray:
        return np.arange(self.frames) * self.hop / self.sr

    def to_frames(self, times: np.ndarray) -> np.ndarray:
        return np.clip(np.round(np.asarray(times) * self.sr / self.hop).astype(int), 0, self.frames)


def semitone_filters(n_fft: int, sr: int, low: int, high: int) -> np.ndarray:
    """(bins, high-low) triangular weights from FFT bins to MIDI semitones low..high-1."""
    freqs = np.arange(n_fft // 2 + 1) * sr / n_fft
    with np.errstate(divide="ignore"):
        midi = 69.0 + 12.0 * np.log2(np.maximum(freqs, 1e-6) / 440.0)
    notes = np.arange(low, high)
    weights = np.maximum(0.0, 1.0 - np.abs(midi[:, None] - notes[None, :]))
    weights[freqs < 20.0] = 0.0
    return weights


def _stft_bands(y: np.ndarray, n_fft: int, hop: int, frames: int,
                filters: np.ndarray | None) -> np.ndarray:
    """|STFT| (centred frames every `hop` samples), optionally mapped through `filters`: (frames, k)."""
    from numpy.lib.stride_tricks import sliding_window_view

    pad = n_fft // 2
    padded = np.pad(y, (pad, pad + n_fft + hop * frames))
    windows = sliding_window_view(padded, n_fft)[::hop][:frames]
    window = np.hanning(n_fft).astype(np.float32)
    used = filters.shape[0] if filters is not None else n_fft // 2 + 1
    out = np.zeros((frames, filters.shape[1] if filters is not None else used), dtype=np.float32)
    for b in range(0, frames, BLOCK):
        chunk = windows[b:b + BLOCK] * window
        mag = np.abs(np.fft.rfft(chunk, axis=1)[:, :used]).astype(np.float32)
        out[b:b + len(chunk)] = mag @ filters if filters is not None else mag
    return out


def compute(clip: Clip) -> Features:
    """Features of a clip at SR Hz."""
    import soxr
    from scipy.ndimage import median_filter

    if clip.sr != SR:
        raise ValueError(f"features expect {SR} Hz audio, got {clip.sr}")
    y = clip.samples.astype(np.float32)
    peak = clip.peak
    if peak < 1e-4:  # -80 dBFS: nothing to hear
        raise BadInput(f"{clip.path or 'the take'} is silent: I heard nothing to analyse")
    y = y / peak
    frames = 1 + len(y) // HOP
    # Pitch at half the rate (C8 is 4.2 kHz) and half the frame rate: a quarter of the FFT work.
    y2 = soxr.resample(y, SR, PITCH_SR).astype(np.float32)
    pframes = 1 + len(y2) // PITCH_HOP
    long_f = semitone_filters(LONG_FFT, PITCH_SR, MIDI_LOW, SPLIT_MIDI)
    short_f = semitone_filters(SHORT_FFT, PITCH_SR, SPLIT_MIDI, MIDI_LOW + 12 * OCTAVES)
    long_f = long_f[: np.nonzero(long_f.any(axis=1))[0].max() + 1]
    short_f = short_f[: np.nonzero(short_f.any(axis=1))[0].max() + 1]
    semis = np.hstack([_stft_bands(y2, LONG_FFT, PITCH_HOP, pframes, long_f),
                       _stft_bands(y2, SHORT_FFT, PITCH_HOP, pframes, short_f)]).T  # (84, frames)
    # HPSS soft mask: harmonic = median along time (~0.4 s), percussive = along pitch.
    harm = median_filter(semis, size=(1, 9), mode="nearest")
    perc = median_filter(semis, size=(9, 1), mode="nearest")
    mask = harm**2 / (harm**2 + perc**2 + 1e-12)
    harmonic = semis * mask
    logh = np.log1p(100.0 * harmonic / (harmonic.max() or 1.0))
    logh = np.repeat(logh, HOP_RATIO, axis=1)[:, :frames]
    if logh.shape[1] < frames:
        logh = np.pad(logh, ((0, 0), (0, frames - logh.shape[1])), mode="edge")
    stack = logh.reshape(OCTAVES, 12, -1)
    chroma = stack[1:].sum(axis=0)
    bass = stack[: BASS_SEMITONES // 12].sum(axis=0)
    spec = _stft_bands(y, ONSET_FFT, HOP, frames, None)  # (frames, bins)
    logs = np.log1p(100.0 * spec / (spec.max() or 1.0))
    flux = np.maximum(0.0, np.diff(logs, axis=0, prepend=logs[:1])).mean(axis=1)
    onset = np.maximum(0.0, flux - np.convolve(flux, np.ones(16) / 16, mode="same"))
    power = np.mean(spec.astype(np.float64) ** 2, axis=1) * 2 / (np.hanning(ONSET_FFT) ** 2).sum()
    rms = np.sqrt(power) * peak
    return Features(sr=SR, hop=HOP, duration_s=clip.duration_s, onset=onset.astype(np.float64),
                    chroma=chroma.astype(np.float64), bass=bass.astype(np.float64),
                    semitones=logh.astype(np.float64), rms=rms)


def load_clip(path_or_clip: str | Path | Clip) -> Clip:
    """A file (or a Clip) as mono SR Hz, resampled with soxr (its import costs ~0.2 s of CPU
    where scipy.signal's, which load_mono uses to resample, costs ~2 s)."""
    import soxr

    if isinstance(path_or_clip, Clip):
        clip = path_or_clip
    else:
        import soundfile as sf

        try:
            native = int(sf.info(str(Path(path_or_clip).expanduser())).samplerate)
        except Exception:  # let the loader give its one-line reason
            native = SR
        clip = load_mono(path_or_clip, native if native >= 8000 else SR)
    if clip.sr == SR:
        return clip
    samples = soxr.resample(clip.samples, clip.sr, SR).astype(np.float32)
    return Clip(samples=samples, sr=SR, path=clip.path, source_sr=clip.source_sr or clip.sr,
                source_channels=clip.source_channels, notes=list(clip.notes))


def beat_sync(matrix: np.ndarray, frames: np.ndarray, how: str = "mean") -> np.ndarray:
    """Columns of `matrix` aggregated between consecutive frame indices `frames`."""
    out = np.zeros((matrix.shape[0], max(len(frames) - 1, 0)))
    for i, (a, b) in enumerate(zip(frames[:-1], frames[1:], strict=True)):
        chunk = matrix[:, a:max(b, a + 1)]
        if chunk.shape[1]:
            out[:, i] = np.median(chunk, axis=1) if how == "median" else chunk.mean(axis=1)
    return out
