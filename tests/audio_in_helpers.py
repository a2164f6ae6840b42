"""Real sung audio for the audio-in tests: a short tune rendered by FluidSynth as a voice."""

from __future__ import annotations

from pathlib import Path

from benchmarks.audio_voice import sing, write_wav

# E minor, a note every 0.6 s (100 bpm quarters), one repeated pitch
TUNE = [64, 67, 71, 69, 67, 66, 64, 64, 62, 64]
BEAT_S = 0.6


def tune_notes(pitches: list[int] = TUNE, beat: float = BEAT_S) -> list[tuple[float, float, int]]:
    return [(0.5 + i * beat, beat * 0.9, p) for i, p in enumerate(pitches)]


def sung_wav(path: Path, *, seed: int = 0, detune=None, timing=None, snr_db: float = 30.0,
             sr: int = 22050, jitter_ms: float = 5.0) -> Path:  # type: ignore[no-untyped-def]
    audio, _ = sing(tune_notes(), sr=sr, seed=seed, detune_cents=detune, timing_ms=timing,
                    snr_db=snr_db, jitter_ms=jitter_ms, drift_cents=0.0)
    write_wav(path, audio, sr)
    return path
