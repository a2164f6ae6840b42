"""Offline audio with FluidSynth: no audio driver, one synth per render, deleted after.

Like pretty-midi, the arrangement becomes one time-sorted event list; the synth is
stepped from event to event straight into a preallocated numpy buffer. We call
`fluid_synth_process` through ctypes instead of pyfluidsynth's `get_samples`, which
returns int16 (quantised, and clipped at full scale before we can normalise) and copies
every chunk twice. `fluid_synth_process` renders many 64-sample blocks per call, so
FluidSynth's worker threads (`synth.cpu-cores`) share the voices with less
synchronisation than `fluid_synth_write_float` allows; the reverb's buffers alias the
dry ones, so the mix is the same. Chorus is off (speed); reverb stays (it makes a GM
preview sound like a room). Dynamic sample loading would cut FluidR3_GM's load from
~0.6 s to ~0.02 s, but libfluidsynth 2.3.1 then puts audible spikes at the end of
unlooped samples (TimGM6mb's woodblock), so it stays off. C-level stderr is captured
for the synth's whole life, so nothing prints over a TUI.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import BadInput, FileProblem
from assistant.render.events import Arrangement

if TYPE_CHECKING:  # numpy is imported where it is used: `SynthLoader` must start cheaply
    import numpy as np

RATE_LIMITS = (8000, 96000)
TAIL_S = 2.0
GAIN = 0.2  # FluidSynth's default; levels are set afterwards in float, so it only needs headroom
POLYPHONY = 256
CONTROL, NOTE_OFF, NOTE_ON = 0, 1, 2  # order at one instant: controls, note-offs, note-ons


@dataclass
class SynthReport:
    """What happened inside the synth, for the render result."""

    warnings: list[str] = field(default_factory=list)
    max_voices: int = 0


@contextlib.contextmanager
def captured_stderr() -> Iterator[Callable[[], str]]:
    """Point file descriptor 2 at a temporary file; yields a function reading what it got.

    C libraries (FluidSynth, ALSA, libsndfile) write straight to fd 2, under Python's
    `sys.stderr`; redirecting the descriptor is the only way to keep them off the screen.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no usable fd 2 (embedded, closed)
        yield lambda: ""
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)

        def read() -> str:
            sink.flush()
            sink.seek(0)
            return sink.read().decode("utf-8", "replace")

        try:
            yield read
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _fluidsynth():  # type: ignore[no-untyped-def]
    """Import pyfluidsynth, turning a missing library into one clear line."""
    # pyfluidsynth prints "'fluidsynth' was found at ..." on stdout at import when $CI is set,
    # which would corrupt `--json` output: hide the variable while it loads.
    ci = os.environ.pop("CI", None)
    try:
        import fluidsynth
    except (ImportError, OSError) as error:
        raise FileProblem(
            f"the FluidSynth library is not available ({error}); install it: "
            "`sudo apt-get install --no-install-recommends libfluidsynth3` or `brew install fluid-synth`"
        ) from None
    finally:
        if ci is not None:
            os.environ["CI"] = ci
    return fluidsynth


def _processor(fs) -> Callable[..., int]:  # type: ignore[no-untyped-def]
    """`fluid_synth_process(synth, len, nfx, fx[], nout, out[])`: adds audio into the buffers."""
    process = fs._fl.fluid_synth_process
    process.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    process.restype = ctypes.c_int
    return process


def event_list(arr: Arrangement, rate: int) -> list[tuple[int, int, int, int, int, int]]:
    """(sample, kind, seq, channel, a, b), sorted: every note and controller in the render.

    At one instant controllers come first, then note-offs, then note-ons; `seq` keeps
    controllers in the order they were written (an NRPN is four CCs in a fixed order).
    """
    scale = 60.0 * rate / arr.tempo  # samples per beat
    events: list[tuple[int, int, int, int, int, int]] = []
    seq = 0
    for track in arr.tracks:
        ch = track.channel
        for c in track.controls:
            events.append((round(c.time * scale), CONTROL, seq, ch, c.control, c.value))
            seq += 1
        for n in track.notes:
            start = round(n.start * scale)
            end = max(start + 1, round((n.start + n.duration) * scale))
            events.append((start, NOTE_ON, 0, ch, n.pitch, n.velocity))
            events.append((end, NOTE_OFF, 0, ch, n.pitch, 0))
    events.sort()
    return events


def check_rate(rate: int) -> int:
    if not RATE_LIMITS[0] <= rate <= RATE_LIMITS[1]:
        raise BadInput(f"--rate must be between {RATE_LIMITS[0]} and {RATE_LIMITS[1]} Hz, not {rate}")
    return rate


@dataclass
class LoadedSynth:
    """A synth with the soundfont loaded, owned by whoever holds it (it must be deleted)."""

    fs: Any
    synth: Any
    sfid: int
    soundfont: Path
    rate: int

    def delete(self) -> None:
        if self.synth is not None:
            self.synth.delete()
            self.synth = None


def load_synth(soundfont: Path, rate: int) -> LoadedSynth:
    """A new synth for one render, with `soundfont` loaded; FluidSynth's chatter is captured."""
    fs = _fluidsynth()
    settings = {
        "synth.cpu-cores": max(1, min(4, os.cpu_count() or 1)),
        "synth.chorus.active": 0,
        "synth.reverb.active": 1,
        "synth.polyphony": POLYPHONY,
    }
    with captured_stderr() as stderr_text:
        synth = fs.Synth(gain=GAIN, samplerate=float(rate), channels=16, **settings)
        sfid = synth.sfload(str(soundfont))
        if sfid < 0:
            synth.delete()
            # the first error is the specific one ("Not a RIFF file"); later ones are the
            # DLS fallback's and the generic "Failed to load SoundFont"
            said = [ln.split("error:", 1)[1].strip() for ln in stderr_text().splitlines() if "error:" in ln]
            detail = said[0] if said else "not a valid SF2/SF3 file"
            raise FileProblem(f"cannot load soundfont {soundfont}: {detail}")
    return LoadedSynth(fs, synth, sfid, Path(soundfont), rate)


class SynthLoader:
    """Loads the synth in a background thread while the caller imports and arranges.

    A 148 MB soundfont takes ~0.6 s to load, about what Python spends importing pydantic,
    numpy and the arranger: the command line starts this first and overlaps the two.
    `take()` waits and hands the synth over; `close()` (always call it) waits and frees
    it if nobody took it. Until then file descriptor 2 may be redirected: join before
    printing anything to stderr.
    """

    def __init__(self, soundfont: Path, rate: int) -> None:
        self.soundfont, self.rate = Path(soundfont), rate
        self._loaded: LoadedSynth | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="coach-synth-loader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._loaded = load_synth(self.soundfont, self.rate)
        except BaseException as error:  # handed to the caller by take()
            self._error = error

    def take(self) -> LoadedSynth:
        self._thread.join()
        if self._error is not None:
            raise self._error
        loaded, self._loaded = self._loaded, None
        assert loaded is not None
        return loaded

    def close(self) -> None:
        self._thread.join()
        if self._loaded is not None:
            self._loaded.delete()
            self._loaded = None


def render_audio(
    arr: Arrangement,
    soundfont: Path,
    rate: int = 44100,
    tail_s: float = TAIL_S,
    report: SynthReport | None = None,
    loaded: LoadedSynth | None = None,
) -> np.ndarray:
    """Render to float32 stereo shaped (2, frames), channel-first: the song plus `tail_s` of release.

    `loaded` is a synth from `load_synth`/`SynthLoader` for this soundfont and rate; it is
    used and deleted. Without it one is made here.
    """
    import numpy as np

    check_rate(rate)
    report = report if report is not None else SynthReport()
    end = round(arr.total_beats * 60.0 * rate / arr.tempo)
    frames = end + round(tail_s * rate)
    events = event_list(arr, rate)
    if loaded is None or loaded.rate != rate or loaded.soundfont != Path(soundfont):
        if loaded is not None:
            loaded.delete()
        loaded = load_synth(Path(soundfont), rate)
    fs = loaded.fs
    process = _processor(fs)
    planes = np.zeros((2, frames), dtype=np.float32)  # left and right, each contiguous
    left, right = planes[0].ctypes.data, planes[1].ctypes.data
    # out[] = (L, R); fx[] = the reverb's (L, R), aliased onto out so it is mixed in
    pointers = (ctypes.c_void_p * 2)()
    handle = loaded.synth.synth

    def render(pos: int, count: int) -> None:
        pointers[0], pointers[1] = left + pos * 4, right + pos * 4
        if process(handle, count, 2, pointers, 2, pointers) != 0:
            raise FileProblem("FluidSynth failed while rendering")

    try:
        with captured_stderr():
            _select_programs(loaded.synth, loaded.sfid, arr, report)
            noteon, noteoff, cc = fs.fluid_synth_noteon, fs.fluid_synth_noteoff, fs.fluid_synth_cc
            voices = fs.fluid_synth_get_active_voice_count
            pos = 0
            max_voices = 0
            for sample, kind, _, ch, a, b in events:
                if sample > pos:
                    sample = min(sample, frames)
                    render(pos, sample - pos)
                    pos = sample
                    max_voices = max(max_voices, voices(handle))
                if kind == NOTE_ON:
                    noteon(handle, ch, a, b)
                elif kind == NOTE_OFF:
                    noteoff(handle, ch, a)
                else:
                    cc(handle, ch, a, b)
            if frames > pos:
                render(pos, frames - pos)
            report.max_voices = max_voices
    finally:
        loaded.delete()
    return planes


def _select_programs(synth, sfid: int, arr: Arrangement, report: SynthReport) -> None:  # type: ignore[no-untyped-def]
    for track in arr.tracks:
        bank = 128 if track.is_drums else 0
        if synth.program_select(track.channel, sfid, bank, track.program) == 0:
            continue
        # the soundfont lacks that preset: fall back to its first one in the bank
        report.warnings.append(
            f"{track.name}: the soundfont has no {'kit' if track.is_drums else 'program'} "
            f"{track.program}; using {bank}:0"
        )
        if synth.program_select(track.channel, sfid, bank, 0) != 0 and not track.is_drums:
            report.warnings.append(f"{track.name}: no usable preset; it will be silent")


def trim_tail(audio: np.ndarray, end: int, rate: int, floor_dbfs: float = -66.0) -> np.ndarray:
    """Cut (channels, frames) audio's release tail where it falls under `floor_dbfs`,
    with a 20 ms fade-out."""
    import numpy as np

    threshold = 10 ** (floor_dbfs / 20)
    frames = audio.shape[-1]
    tail = np.max(np.abs(audio[:, end:]), axis=0) if frames > end else np.zeros(0)
    loud = np.nonzero(tail > threshold)[0]
    stop = min(frames, end + (int(loud[-1]) + 1 if loud.size else 0) + round(0.02 * rate))
    audio = audio[:, :stop]
    fade = min(stop, round(0.02 * rate))
    if fade:
        audio[:, stop - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return audio


def to_pcm16(audio: np.ndarray) -> np.ndarray:
    """Channel-first float audio -> interleaved (frames, channels) int16, rounded and clipped.

    Converted in ~1 s chunks: a small scratch buffer stays in cache and is reused, instead
    of several song-sized temporaries (fresh pages cost more than the arithmetic).
    """
    import numpy as np

    frames = audio.shape[-1]
    pcm = np.empty((frames, audio.shape[0]), dtype=np.int16)
    step = 1 << 16
    for start in range(0, frames, step):
        chunk = audio[:, start : start + step] * np.float32(32767.0)
        np.rint(chunk, out=chunk)
        np.clip(chunk, -32768.0, 32767.0, out=chunk)
        pcm[start : start + step] = chunk.T
    return pcm
