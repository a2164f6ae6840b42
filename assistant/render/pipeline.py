"""Song sheet -> arrangement -> MIDI file -> audio -> WAV, each output written whole or not at all."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.fileio import atomic_path, check_writable
from assistant.render.arrange import arrange
from assistant.render.events import Arrangement
from assistant.render.result import RenderResult
from assistant.render.soundfont import SoundfontMissing, find_soundfont
from assistant.song import Song

if TYPE_CHECKING:
    from assistant.render.synth import SynthLoader


def render_arrangement(
    arrangement: Arrangement,
    wav_path: Path | None,
    midi_path: Path | None = None,
    soundfont: str | Path | None = None,
    rate: int = 44100,
    started: float | None = None,
    loudness: bool = True,
    loader: SynthLoader | None = None,
) -> RenderResult:
    """Write the MIDI (when asked) first, then find a soundfont and render the WAV.

    The MIDI is written before the soundfont search, so "no soundfont" still leaves the
    user a file for their DAW. `wav_path=None` writes only the MIDI. `loudness=False`
    scales to the peak ceiling instead of a loudness target (a click is all transients:
    limiting it to a loudness would blunt every click). `loader` is a synth already
    loading in the background (`synth.SynthLoader`): its soundfont is used.
    """
    started = time.perf_counter() if started is None else started
    from assistant.render.synth import check_rate

    check_rate(rate)
    if wav_path is not None:
        wav_path = check_writable(Path(wav_path))
    if midi_path is not None:
        midi_path = check_writable(Path(midi_path))
        if wav_path is not None and midi_path.resolve() == wav_path.resolve():
            from assistant.errors import BadInput

            raise BadInput("the WAV and the MIDI file must be different paths")
        from assistant.render.midi import write_midi

        write_midi(arrangement, midi_path)
    result = RenderResult(
        wav=None,
        midi=midi_path,
        duration_s=0.0,
        render_s=0.0,
        soundfont=None,
        sections=[
            {"name": s.name, "start_s": round(arrangement.seconds(s.start), 3), "bars": s.bars, "energy": s.energy}
            | s.details  # patterns, devices and rule ids chosen for the section (styled demos)
            for s in arrangement.sections
        ],
        song_s=arrangement.duration_s,
        bars=arrangement.total_bars,
        tempo=arrangement.tempo,
        meter=arrangement.meter,
        key=f"{arrangement.key_tonic} {arrangement.key_mode}",
        sample_rate=rate,
        tracks=[t.name for t in arrangement.tracks],
        warnings=list(arrangement.warnings),
    )
    if wav_path is not None:
        if loader is not None:
            font = loader.soundfont
        else:
            try:
                font = find_soundfont(soundfont).path
            except SoundfontMissing as error:
                if midi_path is not None:
                    raise SoundfontMissing(error.searched, f"the MIDI file was written to {midi_path}") from None
                raise
        _render_wav(arrangement, wav_path, font, rate, result, loudness, loader)
    result.render_s = time.perf_counter() - started
    return result


def _render_wav(
    arrangement: Arrangement,
    wav_path: Path,
    soundfont: Path,
    rate: int,
    result: RenderResult,
    loudness: bool,
    loader: SynthLoader | None,
) -> None:
    from assistant.render.level import TARGET_LUFS, BlockStats, plan_levels, write_wav
    from assistant.render.synth import TAIL_S, SynthReport, parallelism, render_audio, song_frames

    synth_started = time.perf_counter()
    report = SynthReport()
    loaded = loader.take() if loader is not None and loader.rate == rate else None
    end = song_frames(arrangement, rate)
    frames = end + round(TAIL_S * rate)
    stats = BlockStats(2, frames, rate)  # filled by the synth threads as they render
    audio = render_audio(arrangement, soundfont, rate, report=report, loaded=loaded, stats=stats)
    result.synth_s = time.perf_counter() - synth_started
    plan = plan_levels(audio, stats, frames, end, TARGET_LUFS if loudness else None)
    with atomic_path(wav_path, suffix=".wav") as tmp:
        peak = write_wav(tmp, audio, plan, rate, threads=parallelism())
    result.wav, result.soundfont = wav_path, soundfont
    result.duration_s = plan.stop / rate
    result.lufs, result.peak_dbfs = plan.lufs, peak
    result.true_peak_dbtp = plan.true_peak_dbtp if math.isfinite(plan.true_peak_dbtp) else None
    result.warnings += report.warnings


def render_song(
    song: Song,
    wav_path: Path | None,
    midi_path: Path | None = None,
    *,
    section: str | None = None,
    bars: int | None = None,
    demo: bool = False,
    backing: bool = False,
    click: bool = False,
    count_in: int = 0,
    soundfont: str | Path | None = None,
    rate: int = 44100,
    use_knowledge: bool = True,
    loader: SynthLoader | None = None,
) -> RenderResult:
    """Arrange `song` (see `arrange.arrange`) and render it; returns paths, timings, levels.

    `use_knowledge=False` skips the knowledge base (meter-default grooves, role registers).
    """
    started = time.perf_counter()
    arrangement = arrange(
        song,
        section=section,
        bars=bars,
        demo=demo,
        backing=backing,
        click=click,
        count_in=count_in,
        use_knowledge=use_knowledge,
    )
    if song.lyrics and midi_path is not None:  # the words ride on the melody in song.mid
        from assistant.lyrics.karaoke import attach

        attach(song, arrangement)
    return render_arrangement(arrangement, wav_path, midi_path, soundfont, rate, started, loader=loader)
