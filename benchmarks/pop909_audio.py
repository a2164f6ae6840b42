"""POP909 songs as audio: the MIDI piano arrangement rendered through FluidSynth, plus its labels.

Used by benchmarks/eval_audio_in_chords.py. A song's PIANO and BRIDGE tracks (the
accompaniment; the MELODY track left out) are rendered with one General MIDI sound, piano
(program 0) or steel-string acoustic guitar (program 25), through the coach's own offline
synth with the tempo set to 60 bpm so a beat is a second and MIDI seconds map straight
through. Renders are cached as 16-bit WAV under a cache folder (default /tmp).

`assemble_sections` builds songs whose section boundaries are known: bars cut from one
POP909 song (same key, tempo and sound, different material) and put together in a pop
form such as A B A B C B.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA = Path(os.environ.get("POP909_DIR", Path(__file__).resolve().parents[2] / "shared/data/pop909_all"))
CACHE = Path(os.environ.get("COACH_AUDIO_CACHE", "/tmp/coach-pop909-audio"))
RATE = 22050
PROGRAMS = {"piano": 0, "guitar": 25}


@dataclass
class Pop909Song:
    id: str
    notes: dict[str, list[tuple[float, float, int, int]]]  # track -> (start_s, end_s, pitch, velocity)
    tempo_changes: int
    beats: np.ndarray  # beat times (s)
    downbeats: np.ndarray
    chords: list[tuple[float, float, str]]
    keys: list[tuple[float, float, str]]


def read_song(song_id: str, data: Path = DATA) -> Pop909Song:
    import mido

    folder = data / song_id
    midi = mido.MidiFile(str(folder / f"{song_id}.mid"))
    tempos = sorted((tick, msg.tempo) for track in midi.tracks
                    for tick, msg in _absolute(track) if msg.type == "set_tempo")
    changes = len(tempos) - 1 if tempos else 0
    if not tempos or tempos[0][0] > 0:
        tempos.insert(0, (0, 500000))  # the MIDI default, 120 bpm, until the first tempo
    # A tempo map: tick -> seconds.
    marks: list[tuple[int, float, int]] = []
    seconds, last_tick, last_tempo = 0.0, 0, tempos[0][1]
    for tick, tempo in tempos:
        seconds += (tick - last_tick) * last_tempo / 1e6 / midi.ticks_per_beat
        marks.append((tick, seconds, tempo))
        last_tick, last_tempo = tick, tempo

    def to_s(tick: int) -> float:
        start_tick, start_s, tempo = marks[0]
        for mark in marks:
            if mark[0] <= tick:
                start_tick, start_s, tempo = mark
        return start_s + (tick - start_tick) * tempo / 1e6 / midi.ticks_per_beat

    notes: dict[str, list[tuple[float, float, int, int]]] = {}
    for track in midi.tracks[1:]:
        sounding: dict[int, tuple[int, int]] = {}
        out = notes.setdefault(track.name.strip().upper(), [])
        for tick, msg in _absolute(track):
            if msg.type == "note_on" and msg.velocity > 0:
                sounding[msg.note] = (tick, msg.velocity)
            elif msg.type in ("note_off", "note_on") and msg.note in sounding:
                start, vel = sounding.pop(msg.note)
                out.append((to_s(start), to_s(tick), msg.note, vel))
    beats = np.loadtxt(folder / "beat_midi.txt", ndmin=2)
    chords = [(float(a), float(b), c) for a, b, c in
              (line.split() for line in (folder / "chord_midi.txt").read_text().splitlines() if line.strip())]
    keys = [(float(a), float(b), c) for a, b, c in
            (line.split() for line in (folder / "key_audio.txt").read_text().splitlines() if line.strip())]
    return Pop909Song(song_id, notes, changes, beats[:, 0],
                      beats[beats[:, 2] == 1, 0], chords, keys)


def _absolute(track):  # type: ignore[no-untyped-def]
    tick = 0
    for msg in track:
        tick += msg.time
        yield tick, msg


def eligible_songs(count: int, data: Path = DATA) -> list[str]:
    """The first `count` songs (by id) with one key and one tempo: their labels hold all song long."""
    chosen = []
    for folder in sorted(data.iterdir()):
        keys = (folder / "key_audio.txt").read_text().split("\n")
        if len([k for k in keys if k.strip()]) != 1:
            continue
        song = read_song(folder.name, data)
        if song.tempo_changes:
            continue
        chosen.append(folder.name)
        if len(chosen) >= count:
            break
    return chosen


def render_notes(notes: list[tuple[float, float, int, int]], program: int, rate: int = RATE) -> np.ndarray:
    """Mono float32 audio of (start_s, end_s, pitch, velocity) notes played by one GM program."""
    from assistant.render.events import Arrangement, SectionSpan, Track
    from assistant.render.soundfont import find_soundfont
    from assistant.render.synth import render_audio

    track = Track(name="acc", role="chords", channel=0, program=program)
    for start, end, pitch, vel in notes:
        track.add(start, max(end - start, 0.02), pitch, vel)
    track.tidy()
    end = max((n[1] for n in notes), default=1.0)
    bars = max(1, math.ceil(end / 4))
    arr = Arrangement(title="pop909", tempo=60.0, meter="4/4", key_tonic="C", key_mode="major",
                      bar_beats=4.0, tracks=[track], sections=[SectionSpan("song", 0.0, bars, 3)])
    stereo = render_audio(arr, find_soundfont().path, rate=rate, tail_s=1.0, segments=1)
    mono = stereo.mean(axis=0)
    peak = float(np.max(np.abs(mono))) or 1.0
    return (mono * (0.5 / peak)).astype(np.float32)


def accompaniment(song: Pop909Song) -> list[tuple[float, float, int, int]]:
    return song.notes.get("PIANO", []) + song.notes.get("BRIDGE", [])


def cached_render(song: Pop909Song, sound: str, cache: Path = CACHE) -> Path:
    """The song's accompaniment rendered with `sound` ("piano" or "guitar"), as a cached WAV."""
    import soundfile as sf

    path = cache / f"{song.id}-{sound}.wav"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        audio = render_notes(accompaniment(song), PROGRAMS[sound])
        tmp = path.with_suffix(".part.wav")
        sf.write(str(tmp), audio, RATE, subtype="PCM_16")
        tmp.replace(path)
    return path


FORMS = ("ABABCB", "ABCABC", "ABACAB", "ABCBAB", "ABABCAB")  # no section follows itself


def assemble_sections(song: Pop909Song, form: str, bars_each: int = 8,
                      sound: str = "piano") -> tuple[list[tuple[float, float, int, int]], list[float], list[str]]:
    """Notes of a song assembled from sections of `song` (all tracks, melody included).

    Sections A, B, C are `bars_each` bars each, cut from the song at downbeats at least
    `bars_each` bars apart with different chords, then put in `form` order at the song's
    own bar length. Returns (notes, boundary times in seconds, labels).
    """
    down = song.downbeats
    bar_s = float(np.median(np.diff(down)))
    everything = [n for track in ("MELODY", "BRIDGE", "PIANO") for n in song.notes.get(track, [])]
    letters = sorted(set(form))
    # Candidate starts every 4 bars after the first 4; pick the most different chord content.
    starts: list[int] = []
    candidates = list(range(4, len(down) - bars_each - 1, 4))
    profiles = {i: _chord_profile(song, down[i], down[i] + bars_each * bar_s) for i in candidates}
    for _ in letters:
        best, best_score = None, -1.0
        for i in candidates:
            if any(abs(i - j) < bars_each for j in starts):
                continue
            score = min((_distance(profiles[i], profiles[j]) for j in starts), default=1.0)
            if score > best_score:
                best, best_score = i, score
        if best is None:
            raise ValueError(f"{song.id}: too short for {len(letters)} sections of {bars_each} bars")
        starts.append(best)
    cut = dict(zip(letters, starts, strict=True))
    notes: list[tuple[float, float, int, int]] = []
    boundaries: list[float] = []
    t = 0.0
    for letter in form:
        t0 = float(down[cut[letter]])
        t1 = t0 + bars_each * bar_s
        boundaries.append(t)
        for start, end, pitch, vel in everything:
            if t0 <= start < t1:
                notes.append((t + start - t0, t + min(end, t1) - t0, pitch, vel))
        t += t1 - t0
    boundaries.append(t)
    return notes, boundaries, list(form)


def _chord_profile(song: Pop909Song, t0: float, t1: float) -> np.ndarray:
    profile = np.zeros(12)
    for start, end, pitch, _ in [n for tr in ("PIANO", "BRIDGE") for n in song.notes.get(tr, [])]:
        overlap = min(end, t1) - max(start, t0)
        if overlap > 0:
            profile[pitch % 12] += overlap
    return profile / (np.linalg.norm(profile) or 1.0)


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(1.0 - a @ b)
