"""Measure an audio file in one streaming pass: loudness, peaks, clipping, noise, stereo, spectrum.

The file is read in chunks of a few seconds into buffers that are reused, and every
measurement is accumulated chunk by chunk. Nothing file-sized is ever allocated: on this
kind of machine touching fresh memory costs ~1.5 ms per MB, more than the maths.

`measure_file(path)` / `measure_array(samples, sr)` -> `Measurement` (figures, no advice);
`assistant.analysis.report.analyze_audio` turns it into the `coach analyze` result.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from assistant.analysis.loudness import (
    LAYOUTS,
    Loudness,
    choose_block,
    kfilter,
    loudness_from_subblocks,
)
from assistant.analysis.truepeak import BLOCK as TP_BLOCK
from assistant.analysis.truepeak import interpolator, oversampling_factor
from assistant.errors import BadInput, FileProblem

CLIP_LEVEL = 0.99  # |sample| at or above this, held flat over 2+ samples, counts as clipped
SILENCE_DBFS = -60.0  # leading/trailing audio quieter than this counts as silence
NOISE_WINDOW_S = 0.3  # the noise floor is the quietest stretch of this length...
NOISE_MIN_GAP_DB = 20.0  # ...if it is this far below the loud parts (else there is no gap)
CLIP_GAP_S = 0.01  # clipped samples closer than this form one clip event
SPECTRUM_FRAMES = 96  # FFT frames averaged for the spectral balance (fewer on short files)
MIN_RATE, MAX_RATE = 8000, 384000
AUDIO_SUFFIXES = {".wav", ".wave", ".flac", ".aif", ".aiff", ".aifc", ".ogg", ".w64", ".rf64"}


def db(value: float) -> float:
    """Amplitude -> dB (20 log10); 0 -> -inf."""
    return 20 * math.log10(value) if value > 0 else -math.inf


@dataclass(frozen=True)
class AudioInfo:
    path: str
    sr: int
    channels: int
    frames: int
    format: str
    subtype: str

    @property
    def duration_s(self) -> float:
        return self.frames / self.sr if self.sr else 0.0


@dataclass
class Measurement:
    """Every figure `coach analyze` reports, before targets and advice are applied."""

    sr: int
    channels: int
    frames: int
    layout: str
    loudness: Loudness
    true_peak: float  # linear, max over channels
    sample_peaks: list[float]  # linear, per channel
    rms: float  # linear, all channels together (full-scale square wave = 1)
    dc: list[float]  # mean per channel
    clipped_samples: int
    clips: list[dict[str, float]]
    noise_floor_dbfs: float | None
    silence_start_s: float
    silence_end_s: float
    stereo: dict[str, float | None] | None
    spectrum_freqs: np.ndarray
    spectrum_power: np.ndarray  # mean power per FFT bin of the channel average
    notes: list[str] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return self.frames / self.sr

    @property
    def sample_peak(self) -> float:
        return max(self.sample_peaks) if self.sample_peaks else 0.0


# --- BLAS threads ------------------------------------------------------------------------

@cache
def _openblas() -> tuple[object, object] | None:
    """(get, set) for the thread count of the OpenBLAS numpy loaded, if it is OpenBLAS."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:
        return None
    names = [("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
             ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
             ("openblas_get_num_threads", "openblas_set_num_threads")]
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for get, put in names:
            if hasattr(lib, get) and hasattr(lib, put):
                return getattr(lib, get), getattr(lib, put)
    return None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run small matrix products on one thread: on two busy cores BLAS threads spin and
    wait for each other, which made the meter several times slower."""
    funcs = _openblas()
    if funcs is None:
        yield
        return
    get, put = funcs
    before = int(get())  # type: ignore[operator]
    put(1)  # type: ignore[operator]
    try:
        yield
    finally:
        put(before)  # type: ignore[operator]


# --- opening files -----------------------------------------------------------------------

def _soundfile():  # type: ignore[no-untyped-def]
    import soundfile

    return soundfile


def audio_info(path: str | Path) -> AudioInfo:
    """Check that `path` is audio soundfile can read; one-line FileProblem otherwise."""
    path = Path(path).expanduser()
    if not path.exists():
        raise FileProblem(f"{path}: no such file")
    if path.is_dir():
        raise FileProblem(f"{path} is a folder, not an audio file")
    try:
        size = path.stat().st_size
    except OSError as error:
        raise FileProblem(f"cannot read {path}: {error.strerror}") from None
    if size == 0:
        raise FileProblem(f"{path} is empty (0 bytes)")
    sf = _soundfile()
    try:
        info = sf.info(str(path))
    except Exception as error:  # soundfile raises its own RuntimeError subclasses
        reason = str(error).split(":")[-1].strip() or "unknown format"
        raise FileProblem(
            f"{path} is not audio the coach can read (WAV, FLAC, AIFF): {reason}"
        ) from None
    if info.frames <= 0:
        raise FileProblem(f"{path} holds no audio samples")
    if not MIN_RATE <= info.samplerate <= MAX_RATE:
        raise BadInput(f"{path}: sample rate {info.samplerate} Hz is outside "
                       f"{MIN_RATE}-{MAX_RATE} Hz")
    if info.channels not in LAYOUTS:
        known = ", ".join(str(n) for n in LAYOUTS)
        raise BadInput(
            f"{path} has {info.channels} channels: BS.1770 defines no layout for that; "
            f"export it as {known} channels (stereo for a mix)"
        )
    return AudioInfo(str(path), int(info.samplerate), int(info.channels), int(info.frames),
                     str(info.format), str(info.subtype))


def declared_wav_frames(path: str | Path, channels: int, subtype: str) -> int | None:
    """Frames a WAV header promises (libsndfile silently reads a cut file as a short one)."""
    width = {"PCM_U8": 1, "PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4, "DOUBLE": 8}
    if subtype not in width:
        return None
    try:
        with open(path, "rb") as handle:
            head = handle.read(1 << 16)
    except OSError:
        return None
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos = 12
    while pos + 8 <= len(head):
        chunk_id, size = head[pos:pos + 4], struct.unpack("<I", head[pos + 4:pos + 8])[0]
        if chunk_id == b"data":
            return int(size // (width[subtype] * channels))
        pos += 8 + size + (size & 1)
    return None


def iter_chunks(info: AudioInfo, frames: int, notes: list[str]) -> Iterator[np.ndarray]:
    """Float32 (n, channels) chunks of the file, in one reused buffer; notes a truncation."""
    sf = _soundfile()
    buffer = np.empty((frames, info.channels), dtype=np.float32)
    got = 0
    try:
        with sf.SoundFile(info.path) as handle:
            while True:
                block = handle.read(frames, dtype="float32", always_2d=True, out=buffer)
                if len(block) == 0:
                    break
                got += len(block)
                yield block
    except Exception as error:
        if isinstance(error, (GeneratorExit, KeyboardInterrupt, MemoryError)):
            raise
        reason = str(error).split(":")[-1].strip()
        if got == 0:
            raise FileProblem(f"{info.path} cannot be decoded ({reason}): "
                              "it may be truncated or corrupt") from None
        notes.append(f"the file is damaged after {got / info.sr:.1f} s ({reason}); "
                     "only the audio before that was measured")
    declared = declared_wav_frames(info.path, info.channels, info.subtype)
    if declared is not None and declared > got:
        notes.append(
            f"the file is truncated: its header promises {declared / info.sr:.1f} s but "
            f"only {got / info.sr:.1f} s of audio is there; measured what is there"
        )


# --- the streaming meter -----------------------------------------------------------------

def block_peaks(data: np.ndarray, block: int, work: np.ndarray) -> np.ndarray:
    """max|x| over consecutive blocks of `block` (a power of two) samples of each row.

    Pairwise halving in a reused buffer: numpy's .max(axis=-1) over short rows is several
    times slower, and fresh temporaries cost page faults.
    """
    rows, n = data.shape
    absolute = np.abs(data, out=work[:rows, :n]).reshape(rows, n // block, block)
    width = block // 2
    np.maximum(absolute[..., :width], absolute[..., width:], out=absolute[..., :width])
    while width > 1:
        half = width // 2
        np.maximum(absolute[..., :half], absolute[..., half:width], out=absolute[..., :half])
        width = half
    return np.array(absolute[..., 0])


class Meter:
    """Feed float32 (n, channels) chunks in order with `feed`, then call `finish`."""

    def __init__(self, sr: int, channels: int, expected_frames: int | None = None) -> None:
        if channels not in LAYOUTS:
            raise BadInput(f"{channels} channels: BS.1770 defines no layout for that")
        self.sr, self.channels = sr, channels
        self.layout, weights = LAYOUTS[channels]
        self.weights = np.array(weights)
        self.sub = max(1, round(sr * 0.01))  # samples per 10 ms sub-block
        self.unit = math.lcm(self.sub, TP_BLOCK)
        self.chunk = self.unit * max(1, round((1 << 17) / self.unit))
        self.kf = kfilter(sr, choose_block(self.sub))
        self.kstate = np.zeros((channels, 6))
        self.kwork = [self.kf.buffers(self.chunk) for _ in range(channels)]
        self.planar = np.zeros((channels, TP_BLOCK + self.chunk), dtype=np.float32)
        self.ones = np.ones(self.sub, dtype=np.float32)
        self.abs_work = np.empty((channels, self.chunk), dtype=np.float32)
        self.frames = 0
        self.sub_y2: list[np.ndarray] = []  # K-weighted sums of squares per sub-block
        self.sub_x2: list[np.ndarray] = []
        self.sub_x: list[np.ndarray] = []
        self.sub_xy: list[np.ndarray] = []  # stereo cross products, raw and K-weighted
        self.sub_yy: list[np.ndarray] = []
        self.block_peaks: list[np.ndarray] = []  # (channels, blocks of TP_BLOCK)
        self.last_peak = np.zeros(channels, dtype=np.float32)
        self.interp = interpolator(oversampling_factor(sr))
        self.tp = np.zeros(channels)
        self.best = 0.0
        self.clip_at: list[np.ndarray] = []  # global sample index of each clipped sample
        self.nfft = 1 << max(8, round(math.log2(sr / 5.4)))  # ~5 Hz bins
        self.window = np.hanning(self.nfft).astype(np.float32)
        self.power = np.zeros(self.nfft // 2 + 1)
        self.spectra = 0
        # ~SPECTRUM_FRAMES frames spread over the file are plenty for a long-term balance
        total = expected_frames or 0
        self.spectrum_stride = max(self.nfft, total // SPECTRUM_FRAMES)
        self.next_frame = 0  # global sample index where the next spectrum frame starts
        self.nonfinite = 0  # NaN or infinite samples seen (measured as 0)
        self.first_nonfinite: tuple[int, int] | None = None  # (frame, channel) of the first

    def feed(self, chunk: np.ndarray) -> None:
        """Measure `chunk` (at most `self.chunk` frames); the last one may be shorter."""
        real = chunk.shape[0]
        if real == 0:
            return
        if not math.isfinite(float(chunk.sum())):  # one cheap pass; exact look only if needed
            chunk = self._finite(chunk)
        n = -(-real // self.unit) * self.unit
        planar = self.planar[:, : TP_BLOCK + n]
        planar[:, TP_BLOCK:TP_BLOCK + real] = chunk.T
        if n > real:
            planar[:, TP_BLOCK + real:] = 0.0
        data = planar[:, TP_BLOCK:]
        nsub = n // self.sub
        per_sub = self.sub // self.kf.block
        ys, x_rows, y_rows = [], [], []
        for c in range(self.channels):
            y, self.kstate[c] = self.kf.process(data[c], self.kstate[c], self.kwork[c])
            ys.append(y)
            y_rows.append(np.einsum("ij,ij->i", y, y).reshape(nsub, per_sub).sum(axis=1))
            xv = data[c].reshape(nsub, self.sub)
            x_rows.append(np.einsum("ij,ij->i", xv, xv))
            self.sub_x.append(xv @ self.ones)
        if self.channels == 2:
            x0, x1 = data[0].reshape(nsub, self.sub), data[1].reshape(nsub, self.sub)
            self.sub_xy.append(np.einsum("ij,ij->i", x0, x1))
            self.sub_yy.append(np.einsum("ij,ij->i", ys[0], ys[1]).reshape(nsub, per_sub)
                               .sum(axis=1))
        self.sub_y2.append(np.array(y_rows, dtype=np.float64))
        self.sub_x2.append(np.array(x_rows, dtype=np.float64))
        peaks = block_peaks(data, TP_BLOCK, self.abs_work)
        self.block_peaks.append(peaks)
        self._true_peak(planar, peaks)
        self._clipping(planar, peaks, real)
        self._spectrum(data, real)
        planar[:, :TP_BLOCK] = planar[:, n:n + TP_BLOCK]  # history for the next chunk
        self.frames += real

    def _finite(self, chunk: np.ndarray) -> np.ndarray:
        """`chunk` with NaN and infinite samples counted, the first one noted, and set to 0."""
        bad = ~np.isfinite(chunk)
        count = int(bad.sum())
        if count == 0:  # the sum overflowed on huge finite values
            return chunk
        if self.first_nonfinite is None:
            frame, channel = np.argwhere(bad)[0]
            self.first_nonfinite = (self.frames + int(frame), int(channel))
        self.nonfinite += count
        return np.where(bad, np.float32(0), chunk)

    def check_finite(self, name: str) -> None:
        """One line (BadInput) when any sample was NaN or infinite: such audio has no
        loudness, and a master of it would be NaN throughout."""
        if not self.nonfinite or self.first_nonfinite is None:
            return
        frame, channel = self.first_nonfinite
        seconds = frame / self.sr
        where = f"{int(seconds // 60)}:{seconds % 60:06.3f}"
        many = "sample that is" if self.nonfinite == 1 else "samples that are"
        raise BadInput(
            f"{name} has {self.nonfinite} {many} not a number (NaN) or infinite, the first "
            f"at {where} (channel {channel + 1}): the file is damaged; export it again "
            "(nothing was measured or written)")

    def _true_peak(self, planar: np.ndarray, peaks: np.ndarray) -> None:
        interp = self.interp
        self.best = max(self.best, float(peaks.max()))
        if interp.h.shape[0] == 1:
            return
        taps = interp.h.shape[1]
        cols = np.arange(TP_BLOCK - (taps - 1), 2 * TP_BLOCK)
        for c in range(self.channels):
            reach = np.maximum(peaks[c], np.concatenate(([self.last_peak[c]], peaks[c, :-1])))
            self.last_peak[c] = peaks[c, -1]
            bound = reach * interp.l1
            cand = np.flatnonzero(bound > self.best)
            if cand.size == 0:
                continue
            rows = planar[c][cand[:, None] * TP_BLOCK + cols]
            d2 = rows[:, 2:] - 2 * rows[:, 1:-1] + rows[:, :-2]
            tight = interp.alpha * np.abs(rows).max(axis=1) + interp.c2 * np.abs(d2).max(axis=1)
            rows = rows[tight > self.best]
            if rows.shape[0]:
                y = rows @ interp.weights
                top = float(max(y.max(), -y.min()))
                self.tp[c] = max(self.tp[c], top)
                self.best = max(self.best, top)

    def _clipping(self, planar: np.ndarray, peaks: np.ndarray, real: int) -> None:
        hot = np.flatnonzero(peaks.max(axis=0) >= CLIP_LEVEL)
        if hot.size == 0:
            return
        idx = (hot[:, None] * TP_BLOCK + np.arange(TP_BLOCK)).reshape(-1)
        idx = idx[idx < real] + TP_BLOCK
        found = []
        for c in range(self.channels):
            row = planar[c]
            here = row[idx]
            level = np.abs(here)
            after = np.minimum(idx + 1, TP_BLOCK + real - 1)
            flat = (here == row[idx - 1]) | ((here == row[after]) & (after > idx))
            clipped = ((level >= CLIP_LEVEL) & flat) | (level > 1.0)
            found.append(idx[clipped])
        at = np.concatenate(found) - TP_BLOCK + self.frames
        if at.size:
            self.clip_at.append(at)

    def _spectrum(self, data: np.ndarray, real: int) -> None:
        first = self.next_frame - self.frames  # frame starts, relative to this chunk
        starts = np.arange(max(0, first), real - self.nfft + 1, self.spectrum_stride)
        if starts.size == 0:
            if first < real:  # a frame would straddle the chunks: take the next chunk's start
                self.next_frame = self.frames + real
            return
        self.next_frame = self.frames + int(starts[-1]) + self.spectrum_stride
        idx = starts[:, None] + np.arange(self.nfft)
        frames = data[0][idx]
        for c in range(1, self.channels):
            frames += data[c][idx]
        frames *= self.window / self.channels
        spectra = np.fft.rfft(frames, axis=1)
        self.power += (spectra.real ** 2 + spectra.imag ** 2).sum(axis=0)
        self.spectra += len(starts)

    # --- the figures ---------------------------------------------------------------------
    def finish(self, notes: list[str] | None = None) -> Measurement:
        notes = list(notes or [])
        if self.frames == 0:
            raise FileProblem("no audio samples to measure")
        sub, ch = self.sub, self.channels
        full = self.frames // sub
        y2 = np.concatenate(self.sub_y2, axis=1)[:, :full] / sub
        x2 = np.concatenate(self.sub_x2, axis=1)
        weighted = (self.weights[:, None] * y2).sum(axis=0)
        loud = loudness_from_subblocks(weighted)
        sample_peaks = np.concatenate(self.block_peaks, axis=1).max(axis=1)
        true_peak = max(float(self.tp.max()), float(sample_peaks.max()))
        total = self.frames
        dc = self._per_channel_sums(self.sub_x) / total
        rms = math.sqrt(float(x2.sum()) / (total * ch))
        duration = total / self.sr
        if loud.integrated is None:
            notes.append(f"the file is only {duration:.2f} s long: integrated loudness needs at "
                         "least 0.4 s, so it could not be measured")
        elif loud.integrated == -math.inf:
            notes.append("the file is silent (nothing above the -70 LUFS gate): "
                         "its loudness is -inf LUFS")
        if loud.short_term_max is None:
            notes.append(f"short-term loudness and loudness range need at least 3 s of audio; "
                         f"the file has {duration:.2f} s, so they were not measured")
        clip_at = np.unique(np.concatenate(self.clip_at)) if self.clip_at else np.zeros(0, int)
        clipped = int(sum(a.size for a in self.clip_at))
        return Measurement(
            sr=self.sr, channels=ch, frames=total, layout=self.layout, loudness=loud,
            true_peak=true_peak, sample_peaks=[float(p) for p in sample_peaks],
            rms=rms, dc=[float(v) for v in dc],
            clipped_samples=clipped, clips=self._clip_events(clip_at),
            noise_floor_dbfs=self._noise_floor(x2[:, :full], notes),
            silence_start_s=self._silence(first=True), silence_end_s=self._silence(first=False),
            stereo=self._stereo(y2, loud, full) if ch == 2 else None,
            spectrum_freqs=np.fft.rfftfreq(self.nfft, 1 / self.sr),
            spectrum_power=self.power / max(1, self.spectra),
            notes=notes,
        )

    def _per_channel_sums(self, parts: list[np.ndarray]) -> np.ndarray:
        # parts hold one array per channel per chunk, in order
        out = np.zeros(self.channels)
        for i, part in enumerate(parts):
            out[i % self.channels] += float(part.sum())
        return out

    def _noise_floor(self, x2: np.ndarray, notes: list[str]) -> float | None:
        width = max(1, round(NOISE_WINDOW_S / 0.01))
        energy = x2.mean(axis=0) / self.sub
        if energy.size < width:
            notes.append("too short to measure a noise floor (needs 0.3 s)")
            return None
        csum = np.concatenate(([0.0], np.cumsum(energy)))
        windows = (csum[width:] - csum[:-width]) / width
        silent = np.concatenate(([0], np.cumsum(energy <= 1e-20)))
        usable = (silent[width:] - silent[:-width]) == 0  # no digital silence inside
        if not usable.any() or windows[usable].max() <= 0:
            notes.append("no noise floor: the quiet parts are digital silence")
            return None
        with np.errstate(divide="ignore"):
            levels = 10 * np.log10(windows[usable])
        floor, loud = float(levels.min()), float(np.percentile(levels, 95))
        if loud - floor < NOISE_MIN_GAP_DB:
            notes.append("no quiet stretch to read the noise floor from: leave a second or two "
                         "of room tone before or after the performance")
            return None
        return floor

    def _silence(self, first: bool) -> float:
        peaks = np.concatenate(self.block_peaks, axis=1).max(axis=0)
        loud = np.flatnonzero(peaks >= 10 ** (SILENCE_DBFS / 20))
        if loud.size == 0:
            return self.frames / self.sr
        if first:
            return min(self.frames, int(loud[0]) * TP_BLOCK) / self.sr
        end = min(self.frames, (int(loud[-1]) + 1) * TP_BLOCK)
        return (self.frames - end) / self.sr

    def _clip_events(self, at: np.ndarray) -> list[dict[str, float]]:
        if at.size == 0:
            return []
        gap = max(1, round(CLIP_GAP_S * self.sr))
        breaks = np.flatnonzero(np.diff(at) > gap) + 1
        events = []
        for group in np.split(at, breaks):
            events.append({"start_s": round(int(group[0]) / self.sr, 4),
                           "end_s": round((int(group[-1]) + 1) / self.sr, 4),
                           "samples": int(group.size)})
        return events

    def _stereo(self, y2: np.ndarray, loud: Loudness, full: int) -> dict[str, float | None]:
        x2 = self._per_channel_sums_2d(self.sub_x2)
        xy = float(sum(float(a.sum()) for a in self.sub_xy))
        e_l, e_r = x2
        corr = xy / math.sqrt(e_l * e_r) if e_l > 0 and e_r > 0 else None
        mid, side = (e_l + e_r + 2 * xy) / 4, (e_l + e_r - 2 * xy) / 4
        width = side / mid if mid > 1e-30 else None
        yy = np.concatenate(self.sub_yy)[:full] / self.sub
        mask = loud.gated_subs if loud.gated_subs.any() else np.ones(full, dtype=bool)
        kl, kr, klr = float(y2[0][mask].sum()), float(y2[1][mask].sum()), float(yy[mask].sum())
        mono_loss = None
        balance = None
        if kl + kr > 0:
            ratio = (kl + kr + 2 * klr) / (2 * (kl + kr))
            mono_loss = min(60.0, -10 * math.log10(ratio)) if ratio > 1e-6 else 60.0
        if kl > 0 and kr > 0:
            balance = 10 * math.log10(kl / kr)
        return {"correlation": corr, "width": width, "mono_loss_db": mono_loss,
                "balance_db": balance}

    def _per_channel_sums_2d(self, parts: list[np.ndarray]) -> tuple[float, float]:
        total = np.concatenate(parts, axis=1).sum(axis=1)
        return float(total[0]), float(total[1])


# --- entry points ------------------------------------------------------------------------

def measure_file(path: str | Path | AudioInfo) -> tuple[AudioInfo, Measurement]:
    info = path if isinstance(path, AudioInfo) else audio_info(path)
    meter = Meter(info.sr, info.channels, info.frames)
    notes: list[str] = []
    with one_blas_thread():
        for chunk in iter_chunks(info, meter.chunk, notes):
            meter.feed(chunk)
    if meter.frames == 0:
        raise FileProblem(f"{info.path} holds no audio samples")
    meter.check_finite(info.path)
    return info, meter.finish(notes)


def measure_array(samples: np.ndarray, sr: int) -> Measurement:
    """Measure in-memory audio shaped (frames, channels) or (frames,)."""
    data = np.asarray(samples)
    if data.ndim == 1:
        data = data[:, None]
    meter = Meter(int(sr), data.shape[1], data.shape[0])
    with one_blas_thread():
        for start in range(0, data.shape[0], meter.chunk):
            meter.feed(np.asarray(data[start:start + meter.chunk], dtype=np.float32))
    meter.check_finite("the audio")
    return meter.finish()
