"""Offline audio with FluidSynth: no audio driver, synths made for one render and deleted after.

Like pretty-midi, the arrangement becomes one time-sorted event list; a synth is stepped
from event to event straight into a preallocated numpy buffer. We call
`fluid_synth_process` through ctypes instead of pyfluidsynth's `get_samples`, which
returns int16 (quantised, and clipped at full scale before we can normalise) and copies
every chunk twice; the reverb's buffers alias the dry ones, so the mix is the same.
Chorus is off (speed); reverb stays (it makes a GM preview sound like a room). Dynamic
sample loading would cut FluidR3_GM's load from ~0.6 s to ~0.02 s, but libfluidsynth
2.3.1 then puts audible spikes at the end of unlooped samples (TimGM6mb's woodblock), so
it stays off.

Parallel rendering: a song is cut into segments, one synth (one thread, GIL released
in every FluidSynth call) each. A segment starts early enough to replay everything that
can still sound where its part begins: every note sounding then (and any that stopped
less than RING_S before), and at least PREROLL_S of music, so reverb, hi-hat chokes and
releases have settled; controllers before it are replayed first, and silence before
that brings its reverb's modulation into phase (`reverb_period`). Joins are crossfaded
over JOIN_S. Against one synth the render is identical up to the first join; after it,
only FluidSynth's first-block ramp of a new voice's pan/send gains (from whatever its
voice slot held before) differs, for notes that land in other slots: a few onsets in
the seconds after a join differ in their first 64 samples (-15 to -38 dB under the
peak in our tests), and their reverb a little. One synth has the same ramps at other
notes; `segments=1` gives its exact output. This is faster than `synth.cpu-cores`,
whose worker threads synchronise every 64 samples. The extra synths cost little:
FluidSynth's sample cache shares the loaded sample data between synths of one process.

C-level stderr is captured for the synths' whole life, so nothing prints over a TUI.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
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
MAX_SEGMENTS = 4  # synths rendering at once, at most
PREROLL_S = 3.0  # a segment starts at least this long before the part it writes...
RING_S = 4.0  # ...and before the start of any note sounding there or stopped less than this before
JOIN_S = 0.01  # crossfade at each join
FRESH_SYNTHS_S = 30.0  # shorter renders use only synths already loaded (a load costs 15-80 ms)
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


def song_frames(arr: Arrangement, rate: int) -> int:
    """Frames of the arranged music, without the release tail."""
    return round(arr.total_beats * 60.0 * rate / arr.tempo)


WAV_DATA_LIMIT = 0xFFFFFFFF - 36  # a RIFF header counts the bytes in 32 bits: 4 GiB


def check_wav_length(frames: int, rate: int, channels: int = 2, width: int = 2) -> None:
    """One line before any rendering when the audio cannot fit a WAV file (16-bit stereo:
    6 h 45 min at 44.1 kHz), saying how long it is and what fits."""
    if frames * channels * width <= WAV_DATA_LIMIT:
        return
    fits = WAV_DATA_LIMIT // (channels * width) / rate

    def hms(seconds: float) -> str:
        minutes = int(seconds // 60)
        return f"{minutes // 60} h {minutes % 60:02d} min"

    raise BadInput(
        f"this render is {hms(frames / rate)} long, and a WAV file holds at most "
        f"{hms(fits)} at {rate} Hz (4 GiB): render a part of it (--section, --bars) or use a "
        "lower --rate")


def check_rate(rate: int) -> int:
    if not RATE_LIMITS[0] <= rate <= RATE_LIMITS[1]:
        raise BadInput(f"--rate must be between {RATE_LIMITS[0]} and {RATE_LIMITS[1]} Hz, not {rate}")
    return rate


def reverb_period(rate: int) -> int | None:
    """Frames after which a synth's state that depends only on elapsed time repeats.

    FluidSynth renders in 64-frame blocks, and its FDN reverb modulates each delay line
    with a 1 Hz sine stepped every 50 frames (fluid_rev.c: MOD_FREQ, MOD_RATE), a period
    of exactly `rate` frames when `rate` is a multiple of 50. A synth that starts at frame
    S first renders S modulo this period of silence, so its reverb is in the same phase
    as one that started at 0. None when no such period exists (e.g. 11025 Hz).
    """
    if rate % 50:
        return None
    return math.lcm(64, rate)


def parallelism() -> int:
    """How many synths may render at once: the CPUs this process may use, up to MAX_SEGMENTS."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_SEGMENTS, cpus))


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


def _new_synth(soundfont: Path, rate: int, stderr_text: Callable[[], str]) -> LoadedSynth:
    """A synth on one thread (`synth.cpu-cores` 1: parallelism comes from segments)."""
    fs = _fluidsynth()
    settings = {
        "synth.cpu-cores": 1,
        "synth.chorus.active": 0,
        "synth.reverb.active": 1,
        "synth.polyphony": POLYPHONY,
    }
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


def load_synth(soundfont: Path, rate: int) -> LoadedSynth:
    """A new synth for one render, with `soundfont` loaded; FluidSynth's chatter is captured."""
    with captured_stderr() as stderr_text:
        return _new_synth(soundfont, rate, stderr_text)


class SynthLoader:
    """Loads the synths in a background thread while the caller imports and arranges.

    A 148 MB soundfont takes ~0.2-0.6 s to load, about what Python spends importing
    pydantic, numpy and the arranger: the command line starts this first and overlaps
    the two. The first synth loads the soundfont; the others (`count`, one per segment
    that may render at once) reuse its samples from FluidSynth's cache. `take()` waits
    and hands them over; `close()` (always call it) waits and frees what nobody took.
    Until then file descriptor 2 may be redirected: join before printing to stderr.
    """

    def __init__(self, soundfont: Path, rate: int, count: int | None = None) -> None:
        self.soundfont, self.rate = Path(soundfont), rate
        self.count = count if count is not None else parallelism()
        self._loaded: list[LoadedSynth] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="coach-synth-loader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with captured_stderr() as stderr_text:
                for _ in range(self.count):
                    self._loaded.append(_new_synth(self.soundfont, self.rate, stderr_text))
        except BaseException as error:  # handed to the caller by take()
            self._error = error

    def take(self) -> list[LoadedSynth]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        loaded, self._loaded = self._loaded, []
        return loaded

    def close(self) -> None:
        self._thread.join()
        for loaded in self._loaded:
            loaded.delete()
        self._loaded = []


# ---------------------------------------------------------------- segments


@dataclass
class Segment:
    """One synth's share of the render."""

    start: int
    """First frame it renders (a multiple of 64, FluidSynth's block, as for the first synth)."""
    keep: int
    """First frame it writes to the output; before it (the pre-roll) goes to scratch."""
    stop: int
    """Frame after the last one it writes."""


def _note_spans(arr: Arrangement, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and end frames of every note, as the event list times them."""
    import numpy as np

    scale = 60.0 * rate / arr.tempo
    starts = [round(n.start * scale) for t in arr.tracks for n in t.notes]
    ends = [round((n.start + n.duration) * scale) for t in arr.tracks for n in t.notes]
    return np.array(starts, dtype=np.int64), np.maximum(np.array(ends, dtype=np.int64), np.array(starts) + 1)


def plan_segments(arr: Arrangement, frames: int, rate: int, count: int, quantum: int) -> list[Segment]:
    """Cut `frames` into at most `count` segments of about equal work, joins on multiples of
    `quantum` (the level meter's sub-block, so each thread can measure what it wrote).

    Work is estimated per quantum as a few voices' worth for the reverb and mixing plus
    one per sounding note. A join at frame J makes its segment start at the earliest note
    still sounding at J (or that stopped less than RING_S before), and PREROLL_S before J
    at least: that pre-roll is paid twice, so joins land where few long notes cross them.
    Falls back to one segment when splitting would save less than 15 %.
    """
    import numpy as np

    whole = [Segment(0, 0, frames)]
    quanta = frames // quantum
    if count < 2 or quanta < 4 or frames < 2 * quantum or reverb_period(rate) is None:
        return whole
    starts, ends = _note_spans(arr, rate)
    active = np.zeros(quanta + 2)
    if starts.size:
        ring = round(0.25 * rate)  # a typical release, for the work estimate only
        np.add.at(active, np.minimum(starts // quantum, quanta + 1), 1.0)
        np.add.at(active, np.minimum((ends + ring) // quantum + 1, quanta + 1), -1.0)
    work = np.cumsum(active)[:quanta] + 3.0
    done = np.concatenate(([0.0], np.cumsum(work)))  # done[q]: work before quantum q
    # earliest start of the notes that may sound at each quantum's first frame: with notes
    # sorted by start, the first one whose end (plus RING_S) reaches q, if it began by then
    grid = np.arange(quanta + 1, dtype=np.int64)
    earliest = grid * quantum
    if starts.size:
        order = np.argsort(starts, kind="stable")
        s_sorted = starts[order]
        reach = np.maximum.accumulate((ends[order] + round(RING_S * rate)) // quantum)
        first = np.minimum(np.searchsorted(reach, grid), len(order) - 1)
        covers = (reach[first] >= grid) & (s_sorted[first] < grid * quantum)
        earliest = np.where(covers, np.minimum(earliest, s_sorted[first]), earliest)
    preroll = round(PREROLL_S * rate)
    begin = np.minimum(earliest, np.arange(quanta + 1) * quantum - preroll)
    begin = np.maximum(0, begin // 64 * 64)
    begin_q = begin // quantum  # pre-roll work counted from the quantum it starts in

    def cost(join_a: int, join_b: int) -> float:
        """Work of the segment written from quantum join_a to join_b (pre-roll included)."""
        first = int(begin_q[join_a]) if join_a else 0
        return float(done[join_b] - done[first])

    best = whole
    best_cost = float(done[quanta])
    for n in range(2, count + 1):
        targets = np.searchsorted(done, done[quanta] * np.arange(1, n) / n)
        joins = [0, *np.clip(targets, 1, quanta - 1).tolist(), quanta]
        if len(set(joins)) != len(joins):
            continue
        for _ in range(3):  # move each join to even out its two neighbours
            for k in range(1, n):
                lo, hi = joins[k - 1] + 1, joins[k + 1] - 1
                if hi < lo:
                    continue
                cand = np.arange(lo, hi + 1)
                left = done[cand] - (done[begin_q[joins[k - 1]]] if k > 1 else 0.0)
                right = done[joins[k + 1]] - done[begin_q[cand]]
                joins[k] = int(cand[np.argmin(np.maximum(left, right))])
        worst = max(cost(joins[k], joins[k + 1]) for k in range(n))
        if worst < best_cost * 0.97:
            best_cost = worst
            best = [
                Segment(int(begin[joins[k]]) if k else 0, joins[k] * quantum, joins[k + 1] * quantum) for k in range(n)
            ]
    if best_cost > 0.85 * float(done[quanta]):
        return whole
    best[-1].stop = frames
    return best


# ---------------------------------------------------------------- rendering


def render_audio(
    arr: Arrangement,
    soundfont: Path,
    rate: int = 44100,
    tail_s: float = TAIL_S,
    report: SynthReport | None = None,
    loaded: LoadedSynth | list[LoadedSynth] | None = None,
    stats: Any = None,
    segments: int | None = None,
) -> np.ndarray:
    """Render to float32 stereo shaped (2, frames), channel-first: the song plus `tail_s` of release.

    `loaded` is one or more synths from `load_synth`/`SynthLoader` for this soundfont and
    rate; they are used and deleted (more are made if the render has more segments).
    `stats` (a `level.BlockStats` for these frames) is filled as the audio is rendered;
    the buffer is then `stats.length` long (zeros past the tail). `segments` caps the
    number of synths rendering at once (default: `parallelism()`).
    """
    import numpy as np

    check_rate(rate)
    report = report if report is not None else SynthReport()
    frames = song_frames(arr, rate) + round(tail_s * rate)
    check_wav_length(frames, rate)
    if stats is not None and stats.length < frames:
        raise ValueError(f"block statistics for {stats.length} frames, the render has {frames}")
    synths = [loaded] if isinstance(loaded, LoadedSynth) else list(loaded or [])
    for s in [s for s in synths if s.rate != rate or s.soundfont != Path(soundfont)]:
        s.delete()
        synths.remove(s)
    quantum = stats.sub if stats is not None else max(64, round(rate * 0.1))
    count = segments if segments is not None else parallelism()
    if segments is None and frames < FRESH_SYNTHS_S * rate:
        count = min(count, max(1, len(synths)))  # a short render: only the synths already loaded
    plan = plan_segments(arr, frames, rate, count, quantum)
    events = event_list(arr, rate)
    planes = np.zeros((2, stats.length if stats is not None else frames), dtype=np.float32)
    while len(synths) > len(plan):
        synths.pop().delete()
    own: list[LoadedSynth | None] = [*synths, *([None] * (len(plan) - len(synths)))]
    cancel = threading.Event()
    try:
        with captured_stderr() as stderr_text:
            if own[0] is None:
                own[0] = _new_synth(Path(soundfont), rate, stderr_text)
            first = own[0]
            assert first is not None
            process = _processor(first.fs)
            _select_programs(first.synth, first.sfid, arr, report)
            scratch = [np.zeros((2, seg.keep - seg.start), dtype=np.float32) for seg in plan]
            voices = [0] * len(plan)
            errors: list[BaseException] = []

            def run(k: int) -> None:
                try:
                    if own[k] is None:  # a cache hit: only the presets are parsed again
                        own[k] = _new_synth(Path(soundfont), rate, stderr_text)
                    synth = own[k]
                    assert synth is not None
                    if k:
                        _select_programs(synth.synth, synth.sfid, arr, SynthReport())
                    voices[k] = _play(synth, process, plan[k], events, planes, scratch[k], stats, frames, cancel)
                except BaseException as error:  # re-raised in the caller's thread
                    cancel.set()
                    errors.append(error)

            helpers = [
                threading.Thread(target=run, args=(k,), name=f"coach-synth-{k}", daemon=True)
                for k in range(1, len(plan))
            ]
            try:
                for thread in helpers:
                    thread.start()
                run(0)
            finally:  # even on Ctrl-C: no synth is deleted while a thread still renders with it
                if errors or sys.exc_info()[0] is not None:
                    cancel.set()
                _join_all(helpers, cancel)
            if errors:
                raise errors[0]
            _join(plan, planes, scratch, rate)
            if stats is not None:
                stats.measure_rest(planes)
            report.max_voices = max(voices)
    finally:
        for synth in own:
            if synth is not None:
                synth.delete()
    return planes


def _join_all(threads: list[threading.Thread], cancel: threading.Event) -> None:
    """Wait for every thread; a Ctrl-C meanwhile cancels them, is held until they stop, then raised."""
    interrupted: BaseException | None = None
    for thread in threads:
        while thread.is_alive():
            try:
                thread.join()
            except KeyboardInterrupt as stop:
                cancel.set()
                interrupted = stop
    if interrupted is not None:
        raise interrupted


def _play(
    loaded: LoadedSynth,
    process: Callable[..., int],
    seg: Segment,
    events: list[tuple[int, int, int, int, int, int]],
    planes: np.ndarray,
    scratch: np.ndarray,
    stats: Any,
    frames: int,
    cancel: threading.Event | None = None,
) -> int:
    """Render one segment; returns the most voices that sounded at once (stops early,
    returning 0, when `cancel` is set: another segment failed).

    Controllers before the segment are replayed at its start (an NRPN is four CCs in a
    fixed order); the pre-roll goes to `scratch`. As the output fills, finished stretches
    are measured into `stats`, all but the last sub-block before the next join (the
    crossfade changes it later).
    """
    import bisect

    fs, handle = loaded.fs, loaded.synth.synth
    noteon, noteoff, cc = fs.fluid_synth_noteon, fs.fluid_synth_noteoff, fs.fluid_synth_cc
    voices = fs.fluid_synth_get_active_voice_count
    # out[] = (L, R); fx[] = the reverb's (L, R), aliased onto out so it is mixed in
    pointers = (ctypes.c_void_p * 2)()
    out_l, out_r = planes[0].ctypes.data, planes[1].ctypes.data
    pre_l, pre_r = scratch[0].ctypes.data, scratch[1].ctypes.data
    last = seg.stop >= frames
    stop = frames if last else seg.stop
    sub = stats.sub if stats is not None else 0
    measured = seg.keep // sub if sub else 0
    measure_to = (stats.length if last else seg.stop - sub) // sub if sub else 0
    batch = 16  # sub-blocks (~1.6 s) measured at once: still in cache, few numpy calls

    def render(pos: int, count: int) -> None:
        nonlocal measured
        while count > 0:
            if pos < seg.keep:
                n = min(count, seg.keep - pos)
                offset = (pos - seg.start) * 4
                pointers[0], pointers[1] = pre_l + offset, pre_r + offset
            else:
                n = count
                pointers[0], pointers[1] = out_l + pos * 4, out_r + pos * 4
            if process(handle, n, 2, pointers, 2, pointers) != 0:
                raise FileProblem("FluidSynth failed while rendering")
            pos += n
            count -= n
        if sub and min(pos // sub, measure_to) - measured >= batch:
            ready = min(pos // sub, measure_to)
            stats.measure(planes, measured, ready)
            measured = ready

    period = reverb_period(loaded.rate)
    if seg.start and period:  # silence first, to bring the reverb's modulation into phase
        import numpy as np

        warm = seg.start % period
        junk = np.zeros((2, 8192), dtype=np.float32)
        pointers[0], pointers[1] = junk[0].ctypes.data, junk[1].ctypes.data
        while warm > 0:
            n = min(warm, junk.shape[1])
            if process(handle, n, 2, pointers, 2, pointers) != 0:
                raise FileProblem("FluidSynth failed while rendering")
            warm -= n
    for _, kind, _, ch, a, b in events[: bisect.bisect_left(events, (seg.start,))]:
        if kind == CONTROL:
            cc(handle, ch, a, b)
    pos, most = seg.start, 0
    for sample, kind, _, ch, a, b in events[bisect.bisect_left(events, (seg.start,)) :]:
        if sample >= stop:
            break
        if sample > pos:
            if cancel is not None and cancel.is_set():
                return 0
            render(pos, sample - pos)
            pos = sample
            most = max(most, voices(handle))
        if kind == NOTE_ON:
            noteon(handle, ch, a, b)
        elif kind == NOTE_OFF:
            noteoff(handle, ch, a)
        else:
            cc(handle, ch, a, b)
    if stop > pos:
        render(pos, stop - pos)
    if sub:
        stats.measure(planes, measured, measure_to)
    return most


def _join(plan: list[Segment], planes: np.ndarray, scratch: list[np.ndarray], rate: int) -> None:
    """Crossfade into each later segment over the last JOIN_S of its pre-roll."""
    import numpy as np

    for seg, pre in zip(plan[1:], scratch[1:], strict=True):
        fade = min(round(JOIN_S * rate), pre.shape[1])
        if not fade:
            continue
        rise = (np.arange(fade, dtype=np.float32) + 0.5) / fade
        part = planes[:, seg.keep - fade : seg.keep]
        part *= 1 - rise
        part += pre[:, -fade:] * rise


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
