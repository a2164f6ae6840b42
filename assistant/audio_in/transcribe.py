"""A hummed or sung take -> notes (onset, duration, pitch, confidence), the tempo and key they
imply, and the same notes on the song's grid.

The pitch track (`pitch.track`, pYIN) is cut into notes where the voice stops, where the
pitch settles on another semitone for at least 50 ms (vibrato and drift stay inside one
note), and where a new syllable starts on the same pitch (a rise in spectral flux after a
dip in level). Pitches are named after removing the singer's overall tuning offset (a take
sung 30 cents flat is still in tune with itself); the offset is reported. The tempo comes
from the note onsets (autocorrelation with a prior around 100 bpm, librosa's estimator) and
the key from the notes' pitch classes weighted by duration (Krumhansl-Kessler).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.audio_in import pitch as pitch_mod
from assistant.audio_in.load import Clip, load_mono
from assistant.errors import BadInput
from assistant.song import Key, Melody, Note

NO_PITCH = "I heard no clear pitch in this take"
MIN_NOTE_S = 0.06
CHANGE_SEMITONES = 0.55  # a new note when the pitch sits this far from the current one...
CHANGE_FRAMES = 5  # ...for this many frames (50 ms): vibrato swings back sooner
DRIFT_BAND, DRIFT_RATE = 0.45, 0.1  # a note's pitch follows slow drift inside this band
MIN_NOTES = 3
MIN_VOICED_S = 0.6
ONSET_SHIFT_S = 0.014  # the voiced onset's measured lag behind the note (dev songs, not the eval set)
CHANGE_SHIFT_S = 0.03  # the same lag for a note that starts by a change of pitch
GLIDE_S = 0.12  # a note shorter than this sliding into a longer neighbour is a scoop
GRID = 0.25  # quarter-note beats: a sixteenth
DIP_DB = 3.0  # a fall and rise of the level this deep between two notes...
SPLIT_DB = 7.0  # ...and this deep to split one pitch into two notes (a new syllable)
SNAP_BEFORE, SNAP_AFTER = 0, 0  # frames: where a pitch change looks for a dip (measured: none is best)


@dataclass
class HeardNote:
    onset_s: float
    duration_s: float
    pitch: int
    cents: float
    """How far the sung pitch sat from `pitch` (after the take's tuning offset), median."""
    confidence: float
    start_beats: float | None = None
    duration_beats: float | None = None

    def as_dict(self, key: Key | None) -> dict[str, Any]:
        from assistant import theory

        out: dict[str, Any] = {
            "onset_s": round(self.onset_s, 3), "duration_s": round(self.duration_s, 3),
            "pitch": self.pitch, "name": theory.note_name(self.pitch, key),
            "confidence": round(self.confidence, 2), "cents": round(self.cents, 1),
        }
        if self.start_beats is not None:
            out["start_beats"] = self.start_beats
            out["duration_beats"] = self.duration_beats
        return out


@dataclass
class Transcription:
    notes: list[HeardNote]
    key: Key
    key_fit: float
    tempo_bpm: float
    tuning_cents: float
    duration_s: float
    meter: str = "4/4"
    grid_tempo: float | None = None
    """The tempo the notes were quantized at (the song's, else the detected one)."""
    file: str = ""
    notes_said: list[str] = field(default_factory=list)
    track: pitch_mod.PitchTrack | None = None
    """The frame-by-frame pitch the notes came from (not in the JSON)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "key": self.key.name, "tempo_bpm": round(self.tempo_bpm, 1),
            "meter": self.meter, "tuning_cents": round(self.tuning_cents, 1),
            "duration_s": round(self.duration_s, 2), "key_fit": round(self.key_fit, 2),
            "grid_tempo_bpm": self.grid_tempo,
            "notes": [n.as_dict(self.key) for n in self.notes],
            "warnings": self.notes_said,
        }

    def melody(self, source: str) -> Melody:
        """The notes as a Song melody (beats from the start of the first bar)."""
        quantize(self, self.grid_tempo or self.tempo_bpm, self.meter)
        out = [Note(pitch=n.pitch, start=n.start_beats or 0.0,
                    duration=max(GRID, n.duration_beats or GRID),
                    velocity=max(40, min(110, int(60 + 50 * n.confidence))))
               for n in self.notes]
        return Melody(notes=out, source=source)

    def summary(self) -> str:
        return (f"{len(self.notes)} notes in {self.key.name} at about "
                f"{self.tempo_bpm:.0f} bpm")


# --- notes from the pitch track ---------------------------------------------------------------
def _tuning(midi: np.ndarray) -> float:
    """The take's overall offset from equal temperament in semitones (-0.5..0.5): the
    circular mean of each voiced frame's distance from the nearest semitone."""
    if len(midi) == 0:
        return 0.0
    angle = 2 * np.pi * (midi - np.round(midi))
    return float(np.angle(np.mean(np.exp(1j * angle))) / (2 * np.pi))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True (end exclusive)."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _smooth(values: np.ndarray, width: int = 5) -> np.ndarray:
    if len(values) < width:
        return values.copy()
    half = width // 2
    padded = np.pad(values, half, mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, width), axis=1)


def _pitch_segments(midi: np.ndarray) -> list[tuple[int, int]]:
    """Split one voiced run where the pitch settles on another semitone."""
    smooth = _smooth(midi)
    cuts = [0]
    current = float(np.median(smooth[: min(len(smooth), CHANGE_FRAMES)]))
    i = 0
    while i < len(smooth):
        if abs(smooth[i] - current) > CHANGE_SEMITONES:
            window = smooth[i:i + CHANGE_FRAMES]
            target = float(np.median(window))
            if len(window) == CHANGE_FRAMES and np.all(np.abs(window - target) < 0.5) \
                    and abs(target - current) > CHANGE_SEMITONES:
                # the note starts where the glide towards it began (half way there)
                start = i
                while start > cuts[-1] + 1 and abs(smooth[start - 1] - target) < \
                        abs(smooth[start - 1] - current) and start > i - 4:
                    start -= 1
                cuts.append(start)
                current = target
                i += CHANGE_FRAMES
                continue
        elif abs(smooth[i] - current) < DRIFT_BAND:
            # follow slow drift inside a note (not a slow glide to the next one)
            current += DRIFT_RATE * (float(smooth[i]) - current)
        i += 1
    cuts.append(len(smooth))
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]


def level_dips(level_db: np.ndarray, depth_db: float) -> np.ndarray:
    """Frames where the level falls and rises again by `depth_db` within 100 ms each side:
    where one sung note hands over to the next (a breath, a consonant, a new syllable)."""
    n = len(level_db)
    if n < 5:
        return np.zeros(0, dtype=int)
    smooth = np.convolve(np.pad(level_db, 1, mode="edge"), np.ones(3) / 3, mode="valid")
    reach = 10
    padded = np.pad(smooth, reach, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1)
    before = windows[:, :reach].max(axis=1)
    after = windows[:, reach + 1:].max(axis=1)
    local = windows[:, reach - 4:reach + 5].min(axis=1)
    is_dip = (smooth <= local) & (before - smooth >= depth_db) & (after - smooth >= depth_db)
    found = np.flatnonzero(is_dip)
    keep: list[int] = []
    for i in found:  # one frame per dip
        if keep and i - keep[-1] <= 4:
            continue
        keep.append(int(i))
    return np.array(keep, dtype=int)


def _snap(frame: int, dips: np.ndarray) -> int:
    """The dip nearest a pitch change (the change shows after the new note's attack)."""
    if len(dips) == 0:
        return frame
    near = dips[(dips >= frame - SNAP_BEFORE) & (dips <= frame + SNAP_AFTER)]
    if len(near) == 0:
        return frame
    return int(near[np.argmin(np.abs(near - frame))])


def notes_from_track(track: pitch_mod.PitchTrack, *,
                     tuning: float | None = None) -> tuple[list[HeardNote], float]:
    """Notes and the tuning offset (cents) they were named after."""
    midi = track.midi
    voiced = np.isfinite(midi)
    offset = _tuning(midi[voiced]) if tuning is None else tuning
    hop = track.hop_s
    min_frames = max(1, int(round(MIN_NOTE_S / hop)))
    level_db = 20 * np.log10(np.maximum(track.rms, 1e-6))
    dips = level_dips(level_db, DIP_DB)
    deep = level_dips(level_db, SPLIT_DB)
    notes: list[HeardNote] = []
    # a gap of one or two unvoiced frames inside a note is a glitch, not a new note
    filled = voiced.copy()
    for a, b in _runs(~voiced):
        if b - a <= 2 and a > 0 and b < len(voiced):
            filled[a:b] = True
    previous_end = -1000
    for a, b in _runs(filled):
        run = midi[a:b].copy()
        holes = ~np.isfinite(run)
        if holes.all():
            continue
        if holes.any():
            idx = np.arange(len(run))
            run[holes] = np.interp(idx[holes], idx[~holes], run[~holes])
        run = run - offset
        # a short unvoiced gap while the level stays up: the new note began when the voice
        # lost its pitch (two notes overlapping), not when it found the new one
        start_frame = a
        gap = a - previous_end
        if 0 < gap <= 12 and a > 0 and \
                float(level_db[previous_end:a].min()) > float(level_db[a:b].max()) - 12:
            start_frame = previous_end
        previous_end = b
        bounds = [0]
        for s, _ in _pitch_segments(run)[1:]:
            bounds.append(max(bounds[-1] + 1, _snap(a + s, dips) - a))
        bounds.append(b - a)
        # same pitch, new syllable: a dip well inside a note
        cuts: list[int] = []
        at_dip: set[int] = set()
        for s, e in zip(bounds[:-1], bounds[1:], strict=True):
            cuts.append(s)
            for d in deep[(deep >= a + s + min_frames) & (deep <= a + e - min_frames)]:
                cuts.append(int(d) - a)
                at_dip.add(int(d) - a)
        cuts.append(b - a)
        for index, (s, e) in enumerate(zip(cuts[:-1], cuts[1:], strict=True)):
            if e - s < min_frames:
                continue
            body = run[s:e]
            trim = len(body) // 5
            core = body[trim: len(body) - trim] if len(body) >= 5 else body
            centre = float(np.median(core))
            note_pitch = int(round(centre))
            if not 0 <= note_pitch <= 127:
                continue
            steady = float(np.mean(np.abs(core - centre) < 0.5))
            prob = float(np.mean(track.voiced_prob[a + s:a + e]))
            first = start_frame if index == 0 else a + s
            # a pitch change shows once the new note's pitch dominates, after its attack
            shift = ONSET_SHIFT_S if index == 0 or s in at_dip else CHANGE_SHIFT_S
            notes.append(HeardNote(
                onset_s=max(0.0, float(track.times[first]) - shift),
                duration_s=(a + e - first) * hop, pitch=note_pitch,
                cents=100.0 * (centre - note_pitch),
                confidence=max(0.0, min(1.0, 0.5 * prob + 0.5 * steady))))
    return _merge_glides(notes), offset * 100.0


def _merge_glides(notes: list[HeardNote]) -> list[HeardNote]:
    """A very short note right before a longer one a semitone away is the glide into it."""
    out: list[HeardNote] = []
    for note in notes:
        if out:
            prev = out[-1]
            touching = note.onset_s - (prev.onset_s + prev.duration_s) < 0.03
            if touching and prev.duration_s < GLIDE_S and abs(prev.pitch - note.pitch) <= 2 \
                    and note.duration_s > prev.duration_s:
                out[-1] = HeardNote(prev.onset_s, note.onset_s + note.duration_s - prev.onset_s,
                                    note.pitch, note.cents, note.confidence)
                continue
        out.append(note)
    return out


# --- tempo, key and grid ------------------------------------------------------------------------
def tempo_from_onsets(onsets: list[float], durations: list[float] | None = None) -> float:
    """Beats per minute implied by the onsets: the autocorrelation of an onset envelope (each
    onset a short pulse weighted by its note's length), weighed by a log-normal prior around
    100 bpm (an octave wide), as librosa's tempo estimator does; 55-160 bpm."""
    if len(onsets) < 3:
        return 100.0
    rate = 100.0
    length = int((max(onsets) + 2.0) * rate)
    env = np.zeros(length)
    for i, onset in enumerate(onsets):
        weight = 1.0 + min(1.0, (durations[i] if durations else 0.3))
        index = int(round(onset * rate))
        if 0 <= index < length:
            env[index] += weight
    kernel = np.exp(-0.5 * (np.arange(-3, 4) / 1.5) ** 2)
    env = np.convolve(env, kernel, mode="same")
    env -= env.mean()
    size = 1 << int(np.ceil(np.log2(2 * length)))
    spectrum = np.fft.rfft(env, size)
    ac = np.fft.irfft(spectrum * np.conj(spectrum), size)[:length]
    lags = np.arange(int(60 * rate / 200), int(60 * rate / 50) + 1)
    lags = lags[lags < length]
    if len(lags) < 3:
        return 100.0
    bpm = 60 * rate / lags
    score = np.maximum(ac[lags], 0) * np.exp(-0.5 * np.log2(bpm / 100.0) ** 2)
    best = int(np.argmax(score))
    lag = float(lags[best])
    if 0 < best < len(lags) - 1:  # parabolic peak between lags
        left, mid, right = score[best - 1], score[best], score[best + 1]
        denom = left - 2 * mid + right
        if denom < 0:
            lag += 0.5 * (left - right) / denom
    tempo = 60 * rate / lag
    while tempo > 160:
        tempo /= 2
    while tempo < 55:
        tempo *= 2
    return float(tempo)


def key_of(notes: list[HeardNote]) -> tuple[Key, float]:
    from assistant.composition.keyfind import key_from_notes

    pitches = [n.pitch for n in notes]
    weights = [n.duration_s * (0.5 + n.confidence) for n in notes]
    return key_from_notes(pitches, weights, last=pitches[-1] if pitches else None)


def quantize(result: Transcription, tempo: float, meter: str = "4/4") -> None:
    """Put every note on a sixteenth grid at `tempo`, the grid's phase fitted to the onsets,
    the first note's bar starting at beat 0. Sets start_beats/duration_beats in place."""
    from assistant.song import meter_parts

    notes = result.notes
    if not notes:
        return
    beat = 60.0 / tempo
    num, den = meter_parts(meter)
    bar = num * 4 / den
    onsets = np.array([n.onset_s for n in notes])
    # the phase that puts the onsets nearest to eighth notes
    best, best_cost = 0.0, np.inf
    for phase in np.arange(0.0, beat / 2, 0.005):
        pos = (onsets - phase) / (beat / 2)
        cost = float(np.sum((pos - np.round(pos)) ** 2))
        if cost < best_cost:
            best, best_cost = float(phase), cost
    starts = np.round((onsets - best) / beat / GRID) * GRID
    durations = np.array([n.duration_s for n in notes]) / beat
    first_bar = starts[0] - _pickup(starts - starts[0], durations, num, bar)
    starts = starts - first_bar
    for i, note in enumerate(notes):
        end = note.onset_s + note.duration_s
        length = max(GRID, round((end - best) / beat / GRID) * GRID - first_bar - starts[i])
        if i + 1 < len(notes):
            length = min(length, max(GRID, float(starts[i + 1] - starts[i])))
        if i > 0 and starts[i] <= (notes[i - 1].start_beats or 0.0):
            starts[i] = (notes[i - 1].start_beats or 0.0) + GRID
        note.start_beats = float(starts[i])
        note.duration_beats = float(length)
    result.grid_tempo = round(tempo, 2)
    result.meter = meter


def _pickup(starts: np.ndarray, durations: np.ndarray, beats: int, bar: float) -> float:
    """Where in its bar the first note starts (in beats). The silence before a phone take is
    chance, so the first note is taken as beat 1 unless starting it later in the bar puts
    clearly more of the tune's weight — its long notes, its last note — on the strong beats
    (a pickup like "and-ONE")."""
    def weight(offset: float) -> float:
        pos = (starts + offset) % bar
        on_one = np.isclose(pos, 0.0)
        on_half = np.isclose(pos, bar / 2) if beats % 2 == 0 else np.zeros_like(on_one)
        score = float(np.sum(durations * (on_one + 0.5 * on_half)))
        return score + (durations.max() if on_one[-1] else 0.0)  # the tune lands on a one

    plain = weight(0.0)
    offsets = [float(k) for k in range(1, beats)]
    best = max(offsets, key=weight, default=0.0)
    return best if offsets and weight(best) > 1.5 * plain + 0.5 else 0.0


def _percussive_share(notes: list[HeardNote], track: pitch_mod.PitchTrack) -> float:
    """Share of notes that die away like a hit (a click, a drum, a plucked string's
    transient): the level 150 ms in sits more than 12 dB under the onset's peak. A sung or
    hummed note holds its level."""
    held = [n for n in notes if n.duration_s >= 0.3]  # short notes end before 150 ms
    if len(held) < MIN_NOTES:
        return 0.0
    level = 20 * np.log10(np.maximum(track.rms, 1e-6))
    hop = track.hop_s
    hits = 0
    for note in held:
        start = int(round(note.onset_s / hop))
        peak = float(level[start:start + max(1, int(0.06 / hop))].max(initial=-120.0))
        later = level[start + int(0.15 / hop):start + int(note.duration_s / hop)]
        if len(later) and peak - float(np.median(later)) > 12.0:
            hits += 1
    return hits / len(held)


# --- the whole take -------------------------------------------------------------------------------
def transcribe_clip(clip: Clip, *, tempo: float | None = None, meter: str = "4/4",
                    key: Key | None = None) -> Transcription:
    """Notes of a mono clip at `pitch.SR`. `tempo`/`meter`: the open song's grid (else the
    detected tempo's). Raises BadInput(NO_PITCH) when no melody can be heard."""
    if clip.sr != pitch_mod.SR:
        raise ValueError(f"transcribe_clip wants {pitch_mod.SR} Hz audio")
    samples = clip.samples
    if clip.peak < 1e-3:
        raise BadInput(f"{NO_PITCH}: it is silent")
    track = pitch_mod.track(samples)
    notes, tuning = notes_from_track(track)
    voiced_s = sum(n.duration_s for n in notes)
    if len(notes) < MIN_NOTES or voiced_s < MIN_VOICED_S:
        raise BadInput(f"{NO_PITCH} (a hummed or sung melody, one note at a time)")
    confident = [n for n in notes if n.confidence >= 0.5]
    if len(confident) < max(MIN_NOTES, len(notes) // 3):
        raise BadInput(f"{NO_PITCH}: it sounds like noise or several sounds at once")
    if _percussive_share(notes, track) > 0.6:
        raise BadInput(f"{NO_PITCH}: it sounds like a click or drums (short hits that die "
                       "away, not sung notes)")
    found_key, fit = key_of(notes)
    detected = tempo_from_onsets([n.onset_s for n in notes], [n.duration_s for n in notes])
    result = Transcription(notes=notes, key=key or found_key, key_fit=fit, tempo_bpm=detected,
                           tuning_cents=tuning, duration_s=clip.duration_s, meter=meter,
                           file=clip.path, notes_said=list(clip.notes), track=track)
    if abs(tuning) > 20:
        result.notes_said.append(f"sung {abs(tuning):.0f} cents {'sharp' if tuning > 0 else 'flat'}"
                                 " of concert pitch overall; notes named relative to that")
    quantize(result, tempo or detected, meter)
    return result


def transcribe(path: str | Path, *, tempo: float | None = None, meter: str = "4/4",
               key: Key | None = None) -> Transcription:
    """`coach transcribe`: a take's file -> its notes (see the module docstring)."""
    clip = load_mono(path, pitch_mod.SR)
    return transcribe_clip(clip, tempo=tempo, meter=meter, key=key)
