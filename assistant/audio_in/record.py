"""Recording a take from the default input (sounddevice / PortAudio) while a click or the
backing track plays, and writing it whole or not at all.

The count-in bars are played and recorded, then cut, so the saved take starts on bar 1 (the
grid `coach takes` and the melody use). Where the machine has no PortAudio library or no
input device (a server, CI) `input_problem()` says so in one line before anything plays.
PortAudio's ALSA back end prints to the C-level stderr; it is captured (it would draw over
the TUI).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import BadInput, FileProblem

RATE = 48000
TAIL_S = 1.0  # keep recording a moment after the last bar: the last note rings
MAX_SECONDS = 20 * 60


@dataclass
class Plan:
    tempo: float
    meter: str
    bars: int
    count_in: int

    @property
    def bar_s(self) -> float:
        from assistant.song import meter_parts

        num, den = meter_parts(self.meter)
        return num * 4 / den * 60.0 / self.tempo

    @property
    def count_in_s(self) -> float:
        return self.count_in * self.bar_s

    @property
    def seconds(self) -> float:
        return (self.count_in + self.bars) * self.bar_s + TAIL_S


def _sounddevice() -> Any:
    from assistant.render.synth import captured_stderr

    with captured_stderr():
        import sounddevice

    return sounddevice


def input_problem(device: str | None = None) -> str | None:
    """None when a take can be recorded; else one line saying why not."""
    try:
        sd = _sounddevice()
    except OSError:
        return ("no audio input here: the PortAudio library is missing (install libportaudio2, "
                "or record in your DAW and give the coach the WAV)")
    from assistant.render.synth import captured_stderr

    try:
        with captured_stderr():
            info = sd.query_devices(device, kind="input")
    except Exception:  # PortAudioError or ValueError: no such device / no default input
        where = f"called {device!r}" if device else ""
        return (f"no audio input device {where}found on this machine: plug in a microphone, "
                "or record in your DAW and give the coach the WAV").replace("  ", " ")
    if int(info.get("max_input_channels", 0)) < 1:
        return f"the device {info.get('name', device)!r} has no input channels"
    return None


def record(seconds: float, *, rate: int = RATE, playback: np.ndarray | None = None,
           device: str | None = None) -> np.ndarray:
    """Mono float32 frames from the input, `playback` (mono, at `rate`) playing meanwhile."""
    if not 0 < seconds <= MAX_SECONDS:
        raise BadInput(f"a take of {seconds:.0f} s is out of range (up to {MAX_SECONDS // 60} "
                       "minutes)")
    problem = input_problem(device)
    if problem:
        raise FileProblem(problem)
    sd = _sounddevice()
    from assistant.render.synth import captured_stderr

    frames = int(round(seconds * rate))
    try:
        with captured_stderr():
            if playback is not None:
                out = np.zeros((frames, 1), np.float32)
                n = min(frames, len(playback))
                out[:n, 0] = playback[:n]
                data = sd.playrec(out, samplerate=rate, channels=1, dtype="float32",
                                  device=device, blocking=True)
            else:
                data = sd.rec(frames, samplerate=rate, channels=1, dtype="float32",
                              device=device, blocking=True)
    except Exception as error:  # PortAudioError: the device went away, busy, bad rate
        raise FileProblem(f"recording failed: {error}") from None
    take = np.asarray(data, dtype=np.float32).reshape(-1)
    return np.where(np.isfinite(take), take, np.float32(0.0)).astype(np.float32)


def save_take(path: str | Path, frames: np.ndarray, rate: int = RATE) -> Path:
    """A 24-bit mono WAV, written whole or not at all."""
    import soundfile as sf

    from assistant.fileio import write_with

    if len(frames) == 0:
        raise BadInput("the take is empty: nothing was recorded")
    data = np.clip(np.asarray(frames, dtype=np.float32), -1.0, 1.0)
    return write_with(Path(path), lambda tmp: sf.write(str(tmp), data, rate, subtype="PCM_24",
                                                       format="WAV"))


def playback_audio(song: Any, plan: Plan, *, backing: bool, click: bool,
                   rate: int = RATE) -> np.ndarray:
    """What plays while recording: the backing track (with its click) or the click alone;
    a count-in of clicks even when neither was asked for (silence would give no tempo)."""
    import tempfile

    from assistant.audio_in.load import load_mono
    from assistant.dialogue import PreviewRequest, render_request

    with tempfile.TemporaryDirectory(prefix="coach-record-") as folder:
        wav = Path(folder) / "playback.wav"
        if backing:
            request = PreviewRequest(song, None, plan.bars, "the backing track",
                                     kind="backing track", count_in=plan.count_in, wav=str(wav))
        else:
            bars = plan.bars if click else 0
            request = PreviewRequest(song, None, max(1, bars), "the click", kind="click",
                                     count_in=plan.count_in, wav=str(wav))
        render_request(request)
        audio = load_mono(wav, rate).samples
    if not backing and not click:  # only the count-in clicks
        audio = audio[: int(plan.count_in_s * rate)]
    return audio


def record_take(path: str | Path, song: Any, plan: Plan, *, click: bool = False,
                backing: bool = False, device: str | None = None) -> Path:
    """Play, record, cut the count-in, write the take. Returns the path written."""
    problem = input_problem(device)
    if problem:
        raise FileProblem(problem)
    playback = playback_audio(song, plan, backing=backing, click=click) \
        if (plan.count_in or click or backing) else None
    frames = record(plan.seconds, playback=playback, device=device)
    start = int(round(plan.count_in_s * RATE))
    return save_take(path, frames[start:])
