"""A voice-like performance of a melody, rendered for real with FluidSynth (for the audio-in
evaluation and tests).

A melody (onset s, duration s, MIDI pitch) is sung by a General MIDI voice (Choir Aahs /
Voice Oohs) the way a person hums it into a phone: vibrato that sets in after the attack,
a slow pitch drift, timing jitter on every onset, a room (FluidSynth's reverb plus a
decaying-noise impulse response) and background noise at a chosen SNR. Pitch moves are
pitch-bend messages; the synth is stepped to each event's exact sample, so onsets are where
the returned ground truth says. The notes *performed* (after jitter and any per-note
detuning) come back with the audio: that is what a transcription is scored against.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CHOIR_AAHS, VOICE_OOHS = 52, 53  # General MIDI programs, 0-based
BEND_RANGE_CENTS = 200.0  # the GM default pitch-bend range: ±2 semitones
BEND_STEP_S = 0.005


@dataclass(frozen=True)
class Sung:
    onset_s: float
    duration_s: float
    pitch: int
    cents: float = 0.0
    """How far off the note was sung (per-note detuning, plus the drift at its onset)."""


def soundfont_path() -> str:
    from assistant.render.soundfont import find_soundfont

    found = find_soundfont()
    return str(getattr(found, "path", found))


def sing(notes: Sequence[tuple[float, float, int]], *, sr: int = 22050, program: int = CHOIR_AAHS,
         vibrato_cents: float = 25.0, vibrato_hz: float = 5.5, drift_cents: float = 10.0,
         jitter_ms: float = 15.0, detune_cents: Sequence[float] | None = None,
         timing_ms: Sequence[float] | None = None, room: float = 0.25,
         snr_db: float | None = 25.0, velocity: int = 100, seed: int = 0,
         tail_s: float = 1.0) -> tuple[np.ndarray, list[Sung]]:
    """Mono float32 audio of `notes` sung, and the notes as performed.

    `detune_cents` / `timing_ms` (one value a note) add known errors on top of the random
    jitter (the takes evaluation); a note is cut where the next one starts (a voice is
    monophonic)."""
    rng = np.random.default_rng(seed)
    order = sorted(notes, key=lambda n: n[0])
    performed: list[Sung] = []
    drift_phase = rng.uniform(0, 2 * np.pi)
    drift_hz = rng.uniform(0.02, 0.06)

    def drift(t: float) -> float:
        return drift_cents * float(np.sin(2 * np.pi * drift_hz * t + drift_phase))

    for i, (onset, duration, pitch) in enumerate(order):
        shift = rng.normal(0.0, jitter_ms / 1000.0) if jitter_ms else 0.0
        if timing_ms is not None:
            shift += timing_ms[i] / 1000.0
        start = max(0.0, onset + shift)
        cents = detune_cents[i] if detune_cents is not None else 0.0
        performed.append(Sung(start, duration, int(pitch), cents))
    # monophonic: each note ends before the next starts (keep a breath of 10 ms)
    cut: list[Sung] = []
    for i, note in enumerate(performed):
        end = note.onset_s + note.duration_s
        if i + 1 < len(performed):
            end = min(end, performed[i + 1].onset_s - 0.01)
        if end - note.onset_s >= 0.04:
            cut.append(Sung(note.onset_s, end - note.onset_s, note.pitch,
                            note.cents + drift(note.onset_s)))
    performed = cut
    total_s = (max(n.onset_s + n.duration_s for n in performed) if performed else 0.0) + tail_s
    audio = _render(performed, sr, program, velocity, vibrato_cents, vibrato_hz, drift,
                    total_s, room)
    audio = _room(audio, sr, room, rng)
    if snr_db is not None:
        audio = _noise(audio, snr_db, rng)
    peak = float(np.max(np.abs(audio))) or 1.0
    return (audio * (0.5 / peak)).astype(np.float32), performed


def _render(notes: list[Sung], sr: int, program: int, velocity: int, vib_cents: float,
            vib_hz: float, drift, total_s: float, room: float) -> np.ndarray:  # type: ignore[no-untyped-def]
    from assistant.render.synth import _fluidsynth, captured_stderr

    fluidsynth = _fluidsynth()
    frames = int(total_s * sr)
    # events: (sample, kind, value): kind 0 bend, 1 note-off, 2 note-on
    events: list[tuple[int, int, int]] = []
    for note in notes:
        on, off = int(note.onset_s * sr), int((note.onset_s + note.duration_s) * sr)
        events.append((on, 2, note.pitch))
        events.append((off, 1, note.pitch))
    step = max(1, int(BEND_STEP_S * sr))
    starts = [n.onset_s for n in notes]
    index = 0
    for pos in range(0, frames, step):
        t = pos / sr
        while index + 1 < len(starts) and starts[index + 1] <= t:
            index += 1
        cents = drift(t)
        if notes and starts[index] <= t:
            note = notes[index]
            age = t - note.onset_s
            depth = vib_cents * min(1.0, max(0.0, (age - 0.15) / 0.25))  # vibrato sets in late
            cents = note.cents + depth * float(np.sin(2 * np.pi * vib_hz * age))
        events.append((pos, 0, int(np.clip(cents / BEND_RANGE_CENTS * 8192, -8192, 8191))))
    events.sort()
    out = np.zeros(frames, np.float32)
    with captured_stderr():
        synth = fluidsynth.Synth(samplerate=float(sr), gain=0.5)
        try:
            sfid = synth.sfload(soundfont_path())
            synth.program_select(0, sfid, 0, program)
            synth.set_reverb(roomsize=0.4, damping=0.4, width=0.8, level=min(0.9, room * 2))
            pos = 0
            for at, kind, value in events:
                at = min(at, frames)
                if at > pos:
                    block = np.asarray(synth.get_samples(at - pos), np.float32)
                    out[pos:at] = block.reshape(-1, 2).mean(axis=1) / 32768.0
                    pos = at
                if kind == 2:
                    synth.noteon(0, value, 100)
                elif kind == 1:
                    synth.noteoff(0, value)
                else:
                    synth.pitch_bend(0, value)
            if frames > pos:
                block = np.asarray(synth.get_samples(frames - pos), np.float32)
                out[pos:] = block.reshape(-1, 2).mean(axis=1) / 32768.0
        finally:
            synth.delete()
    return out


def _room(audio: np.ndarray, sr: int, wet: float, rng: np.random.Generator) -> np.ndarray:
    """A small room: exponentially decaying noise (RT60 0.4 s) mixed under the dry sound."""
    if wet <= 0:
        return audio
    from scipy.signal import fftconvolve

    n = int(0.5 * sr)
    t = np.arange(n) / sr
    ir = rng.standard_normal(n) * np.exp(-6.9 * t / 0.4)
    ir[: int(0.01 * sr)] *= np.linspace(0, 1, int(0.01 * sr))  # early reflections arrive later
    ir /= np.sqrt(np.sum(ir**2))
    reverb = fftconvolve(audio, ir)[: len(audio)]
    return ((1 - wet) * audio + wet * reverb).astype(np.float32)


def _noise(audio: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Pinkish noise (1/f power) scaled so the take's signal-to-noise ratio is `snr_db`."""
    n = len(audio)
    spectrum = rng.standard_normal(n // 2 + 1) + 1j * rng.standard_normal(n // 2 + 1)
    freqs = np.arange(n // 2 + 1, dtype=np.float64)
    freqs[0] = 1.0
    noise = np.fft.irfft(spectrum / np.sqrt(freqs), n)
    active = audio[np.abs(audio) > 1e-4]
    power = float(np.mean(active**2)) if len(active) else 1e-8
    noise *= np.sqrt(power / 10 ** (snr_db / 10) / float(np.mean(noise**2)))
    return (audio + noise).astype(np.float32)


def write_wav(path: str | os.PathLike[str], audio: np.ndarray, sr: int) -> None:
    import soundfile as sf

    sf.write(str(path), audio, sr, subtype="PCM_16")
