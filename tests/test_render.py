"""The arranger, the MIDI export and real FluidSynth renders (TimGM6mb), in-process."""

from __future__ import annotations

import io
import math
from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile

from assistant.analysis.truepeak import true_peak
from assistant.errors import BadInput, FileProblem
from assistant.render import preview
from assistant.render import synth as synth_module
from assistant.render.arrange import RELEASE_TIMECENTS, arrange, choose_sections, sf2_nrpn
from assistant.render.events import DRUM_CHANNEL, Arrangement, SectionSpan, Track
from assistant.render.level import (
    BlockStats,
    integrated_lufs,
    limit,
    measure,
    normalise,
    padded_length,
    peak_dbfs,
    plan_levels,
    write_wav,
)
from assistant.render.midi import encode_smf, key_signature_name, to_midi, write_midi
from assistant.render.pipeline import render_song
from assistant.render.synth import event_list, plan_segments, render_audio
from assistant.song import Instrument, Key, Melody, Note, Section, Song

TIMGM = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
LINE_UP = [
    Instrument(name="Piano", role="chords", program=0),
    Instrument(name="Bass", role="bass", program=33),
    Instrument(name="Drums", role="drums", program=0),
    Instrument(name="Strings", role="pad", program=48),
]


def make_song(**changes: object) -> Song:
    """Short, fast to render: 8 bars at 150 bpm in E minor with every section type."""
    song = Song(
        title="Test song",
        key=Key(tonic="E", mode="minor"),
        tempo=150,
        meter="4/4",
        progression=["i", "bVI", "bIII", "bVII"],
        sections=[
            Section(name="intro", bars=2, energy=1),
            Section(name="verse", bars=2, energy=3),
            Section(name="chorus", bars=2, energy=5),
            Section(name="outro", bars=2, energy=2),
        ],
        instrumentation=list(LINE_UP),
        melody=Melody(notes=[Note(pitch=71, start=0, duration=1), Note(pitch=67, start=1, duration=3)]),
    )
    return song.model_copy(update=changes)


def bar_levels_db(audio: np.ndarray, rate: int, arr_or_song: Arrangement | Song, bars: int) -> list[float]:
    """RMS level (dBFS) of each bar."""
    tempo = arr_or_song.tempo or 100
    beats = arr_or_song.bar_beats if isinstance(arr_or_song, Arrangement) else arr_or_song.beats_per_bar
    size = round(beats * 60 / tempo * rate)
    levels = []
    for bar in range(bars):
        chunk = audio[bar * size : (bar + 1) * size]
        rms = float(np.sqrt(np.mean(chunk.astype(np.float64) ** 2)))
        levels.append(20 * math.log10(rms) if rms > 0 else -math.inf)
    return levels


def true_peak_dbtp(audio: np.ndarray, rate: int) -> float:
    """The mix analyser's true-peak meter (8x oversampling) on (frames, channels) audio."""
    return 20 * math.log10(float(true_peak(np.ascontiguousarray(audio.T, dtype=np.float32), rate).max()))


def reference_lufs(path: Path) -> float:
    """An independent loudness reading: the mix analyser, which passes the EBU Tech 3341 cases."""
    from assistant.analysis.audio import measure_file

    integrated = measure_file(path)[1].loudness.integrated
    assert integrated is not None
    return integrated


# ----------------------------------------------------------------------- arrangement


def test_default_preview_is_the_first_chorus() -> None:
    chosen = choose_sections(make_song())
    assert [(s.name, s.bars, i) for s, i in chosen] == [("chorus", 2, 2)]
    assert [s.name for s, _ in choose_sections(make_song(), demo=True)] == ["intro", "verse", "chorus", "outro"]
    assert sum(s.bars for s, _ in choose_sections(make_song(), demo=True, bars=3)) == 3
    assert choose_sections(make_song(), section="Verse", bars=5)[0][0].bars == 5
    no_chorus = make_song(sections=[Section(name="verse", bars=4)])
    assert [(s.name, s.bars) for s, _ in choose_sections(no_chorus)] == [("preview", 8)]


@pytest.mark.parametrize("kwargs", [{"section": "bridge"}, {"bars": 0}, {"bars": 257}])
def test_bad_section_or_bars_is_bad_input(kwargs: dict) -> None:
    with pytest.raises(BadInput):
        choose_sections(make_song(), **kwargs)


def test_energy_shapes_the_sections_and_drums_sit_on_channel_10() -> None:
    arr = arrange(make_song(), demo=True, use_knowledge=False)
    drums = arr.track("drums")
    assert drums is not None and drums.channel == DRUM_CHANNEL == 9
    bar = arr.bar_beats

    def hits(track_role: str, first_bar: int, last_bar: int) -> int:
        track = arr.track(track_role)
        assert track is not None
        return sum(1 for n in track.notes if first_bar * bar <= n.start < last_bar * bar)

    assert hits("drums", 0, 2) == 0, "an energy-1 intro has no drums"
    assert hits("drums", 4, 6) > hits("drums", 2, 4) > hits("drums", 6, 8) > 0
    assert hits("chords", 0, 2) == 2 * 4, "the sparse intro holds one chord per bar"
    assert hits("chords", 2, 4) > hits("chords", 0, 2)
    crash = [n for n in drums.notes if n.pitch == 49]
    assert any(abs(n.start - 4 * bar) < 1e-9 for n in crash), "the energy-5 chorus opens on a crash"
    fills = [n for n in drums.notes if n.pitch in (50, 48, 47, 45, 43, 41)]
    assert fills and all(3 * bar < n.start < 4 * bar or 5 * bar < n.start < 6 * bar for n in fills)
    melody = arr.track("melody")
    assert melody is not None and all(2 * bar <= n.start < 6 * bar for n in melody.notes), "no melody in intro/outro"


def test_chords_are_voiced_smoothly_in_register_and_bass_plays_roots() -> None:
    arr = arrange(make_song(), section="verse", bars=4, use_knowledge=False)
    chords = arr.track("chords")
    bass = arr.track("bass")
    assert chords is not None and bass is not None
    bar = arr.bar_beats
    voicings = []
    for b in range(4):
        notes = sorted({n.pitch for n in chords.notes if b * bar <= n.start < (b + 1) * bar})
        assert len(notes) == 4 and 48 <= notes[0] and notes[-1] <= 76
        voicings.append(notes)
    for before, after in zip(voicings, voicings[1:], strict=False):
        assert sum(abs(a - b) for a, b in zip(before, after, strict=True)) <= 10, "smooth voice leading"
    roots = {4: "E", 0: "C", 7: "G", 2: "D"}  # i bVI bIII bVII in E minor
    for b, pc in enumerate(roots):
        downbeat = [n for n in bass.notes if abs(n.start - b * bar) < 1e-9]
        assert downbeat and downbeat[0].pitch % 12 == pc and downbeat[0].pitch <= 57


def test_section_instruments_and_levels_are_honoured() -> None:
    sections = [
        Section(name="intro", bars=2, energy=4, instruments=["Piano"]),
        Section(name="drop", bars=2, energy=4, instruments=["drums"]),
        Section(name="chorus", bars=2, energy=4, levels={"Piano": 0.5, "Bass": 1.0}),
    ]
    arr = arrange(make_song(sections=sections), demo=True, use_knowledge=False)
    bar = arr.bar_beats
    by_name = {t.name: t for t in arr.tracks}
    assert all(n.start >= 2 * bar for n in by_name["Drums"].notes), "no drums in the piano-only intro"
    assert all(not 2 * bar <= n.start < 4 * bar for n in by_name["Piano"].notes), "drums only in the drop"
    assert any(2 * bar <= n.start < 4 * bar for n in by_name["Drums"].notes)
    expression = [(c.time, c.value) for c in by_name["Piano"].controls if c.control == 11]
    assert expression[0] == (0.0, 127)
    ramp = [(t, v) for t, v in expression if t >= 4 * bar]
    assert ramp[-1][1] == 64 and ramp[-1][0] <= 4 * bar + 1.0, "a one-beat ramp down to half"
    assert [v for _, v in ramp] == sorted((v for _, v in ramp), reverse=True) and len(ramp) > 2
    assert [c.value for c in by_name["Bass"].controls if c.control == 11] == [127]


def test_backing_drops_the_melody_and_counts_in() -> None:
    arr = arrange(make_song(), backing=True, count_in=1, use_knowledge=False)
    roles = [t.role for t in arr.tracks]
    assert "melody" not in roles and "click" in roles
    click = arr.track("click")
    assert click is not None and len(click.notes) == 4 and all(n.start < arr.bar_beats for n in click.notes)
    assert arr.sections[0].start == arr.bar_beats and arr.total_bars == 3
    assert min(n.start for t in arr.tracks if t.role != "click" for n in t.notes) >= arr.bar_beats
    with_click = arrange(make_song(), backing=True, click=True, count_in=2, use_knowledge=False)
    assert len(with_click.track("click").notes) == 4 * 4  # type: ignore[union-attr]


@pytest.mark.parametrize("meter", ["3/4", "6/8", "7/8", "12/8", "5/4"])
def test_every_meter_arranges_inside_its_bars(meter: str) -> None:
    song = make_song(meter=meter)
    arr = arrange(song, demo=True, use_knowledge=False)
    assert arr.total_beats == pytest.approx(8 * song.beats_per_bar)
    for track in arr.tracks:
        assert all(
            0 <= n.start < arr.total_beats and n.start + n.duration <= arr.total_beats + 1e-6 for n in track.notes
        )
    midi = to_midi(arr)
    sig = next(m for m in midi.tracks[0] if m.type == "time_signature")
    assert f"{sig.numerator}/{sig.denominator}" == meter


def test_no_same_pitch_overlaps_and_events_are_ordered() -> None:
    arr = arrange(make_song(), demo=True, use_knowledge=False)
    for track in arr.tracks:
        ends: dict[int, float] = {}
        for note in track.notes:
            assert note.start >= ends.get(note.pitch, -1) - 1e-9
            ends[note.pitch] = note.start + note.duration
    events = event_list(arr, 44100)
    assert events == sorted(events)
    pad = next(t for t in arr.tracks if t.role == "pad")
    nrpn = [(c.control, c.value) for c in pad.controls if c.control in (99, 98, 38, 6)]
    assert nrpn == sf2_nrpn(38, RELEASE_TIMECENTS["pad"]), "the NRPN's four controllers stay in order"


def test_bad_numeral_is_one_line_bad_input() -> None:
    with pytest.raises(BadInput):
        arrange(make_song(progression=["i", "Q7"]), use_knowledge=False)


# ----------------------------------------------------------------------- MIDI


@pytest.mark.parametrize(
    ("tonic", "mode", "name"),
    [
        ("E", "minor", "Em"),
        ("A", "minor", "Am"),
        ("F#", "major", "F#"),
        ("Bb", "major", "Bb"),
        ("D", "dorian", "Am"),
        ("G", "mixolydian", "C"),
        ("C#", "minor", "C#m"),
        ("G#", "major", "Ab"),
    ],
)
def test_key_signature_names(tonic: str, mode: str, name: str) -> None:
    assert key_signature_name(tonic, mode) == name


def test_midi_round_trips_through_mido_and_music21(tmp_path: Path) -> None:
    song = make_song(tempo=96, meter="6/8", key=Key(tonic="B", mode="minor"))
    arr = arrange(song, demo=True, use_knowledge=False)
    path = write_midi(arr, tmp_path / "song.mid")
    midi = mido.MidiFile(str(path))
    assert midi.type == 1 and len(midi.tracks) == 1 + len(arr.tracks)
    meta = {m.type: m for m in midi.tracks[0] if m.is_meta}
    assert mido.tempo2bpm(meta["set_tempo"].tempo) == pytest.approx(96, abs=0.01)
    assert (meta["time_signature"].numerator, meta["time_signature"].denominator) == (6, 8)
    assert meta["key_signature"].key == "Bm"
    names = [next(m.name for m in t if m.type == "track_name") for t in midi.tracks[1:]]
    assert names == [t.name for t in arr.tracks]
    for track, inst in zip(
        midi.tracks[1:], [*LINE_UP, Instrument(name="Melody", role="melody", program=73)], strict=True
    ):
        program = next(m for m in track if m.type == "program_change")
        channels = {m.channel for m in track if not m.is_meta}
        if inst.role == "drums":
            assert channels == {9}
        else:
            assert program.program == inst.program and 9 not in channels
    notes_in = sum(len(t.notes) for t in arr.tracks)
    assert sum(1 for t in midi.tracks for m in t if m.type == "note_on" and m.velocity > 0) == notes_in
    assert midi.length == pytest.approx(song.duration_s(), abs=0.05)

    from music21 import converter, key, meter, tempo

    score = converter.parse(str(path))
    assert score.recurse().getElementsByClass(meter.TimeSignature)[0].ratioString == "6/8"
    assert score.recurse().getElementsByClass(key.KeySignature)[0].sharps == 2
    assert score.recurse().getElementsByClass(tempo.MetronomeMark)[0].number == pytest.approx(96)
    assert len(score.parts) >= 4


# ----------------------------------------------------------------------- audio


def test_render_duration_level_peak_and_no_silent_bar(tmp_path: Path) -> None:
    song = make_song()
    result = render_song(
        song, tmp_path / "demo.wav", tmp_path / "demo.mid", demo=True, soundfont=TIMGM, use_knowledge=False
    )
    audio, rate = soundfile.read(str(result.wav), dtype="float32")
    assert rate == 44100 and audio.shape[1] == 2
    expected = 8 * 4 * 60 / 150
    assert result.song_s == pytest.approx(expected)
    assert expected <= len(audio) / rate <= expected + 2.0
    assert result.duration_s == pytest.approx(len(audio) / rate)
    assert peak_dbfs(audio) <= -1.0
    assert true_peak_dbtp(audio, rate) <= -1.0, "inter-sample peaks stay under -1 dBTP too"
    assert result.true_peak_dbtp is not None and result.true_peak_dbtp <= -1.0
    assert np.all(np.abs(audio.astype(np.float64).mean(axis=0)) < 0.001), "no DC offset"
    measured = reference_lufs(result.wav)  # type: ignore[arg-type]
    assert -18.0 <= measured <= -12.0
    assert abs(measured - integrated_lufs(audio.T, rate)) < 0.2, "the render's quick meter agrees with the analyser"
    assert result.lufs == pytest.approx(measured, abs=0.2), "the reported loudness is the file's"
    assert all(level > -45 for level in bar_levels_db(audio, rate, song, 8)), "a bar is silent"
    assert result.soundfont == TIMGM and result.midi is not None and result.midi.exists()
    assert not list(tmp_path.glob(".*")), "no temporary files left behind"


def test_drums_alone_are_audible(tmp_path: Path) -> None:
    song = make_song(
        sections=[
            Section(name="nothing", bars=1, energy=1, instruments=[]),
            Section(name="drums only", bars=2, energy=4, instruments=["Drums"]),
        ]
    )
    result = render_song(song, tmp_path / "d.wav", demo=True, soundfont=TIMGM, rate=22050, use_knowledge=False)
    audio, rate = soundfile.read(str(result.wav), dtype="float32")
    levels = bar_levels_db(audio, rate, song, 3)
    assert levels[1] > -40 and levels[2] > -40
    assert levels[0] < -60, "before the drums come in there is nothing"
    arr = arrange(song, demo=True, use_knowledge=False)
    assert [t.name for t in arr.tracks if t.notes] == ["Drums"]


def test_preview_defaults_to_the_previews_folder(coach_home: Path) -> None:
    result = preview(make_song(), bars=1, soundfont=TIMGM, rate=22050)
    assert result.wav is not None and result.wav.parent == coach_home / "previews"
    basics = [{k: s[k] for k in ("name", "start_s", "bars", "energy")} for s in result.sections]
    assert basics == [{"name": "chorus", "start_s": 0.0, "bars": 1, "energy": 5}]
    assert result.sections[0]["drums"] and result.sections[0]["rule_ids"]  # what was played, and why
    assert soundfile.info(str(result.wav)).samplerate == 22050


def test_corrupt_soundfont_is_one_line_and_leaves_no_wav(tmp_path: Path) -> None:
    bad = tmp_path / "broken.sf2"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00not a soundfont at all")
    with pytest.raises(FileProblem, match="cannot load soundfont"):
        render_song(make_song(), tmp_path / "out.wav", soundfont=bad, use_knowledge=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.sf2"]


def test_unwritable_output_fails_before_rendering(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="does not exist"):
        render_song(make_song(), tmp_path / "missing" / "out.wav", soundfont=TIMGM, use_knowledge=False)


# ----------------------------------------------------------------------- levels


def test_limiter_keeps_every_sample_under_the_ceiling() -> None:
    rng = np.random.default_rng(7)
    audio = (rng.standard_normal((2, 44100 * 3)) * 0.05).astype(np.float32)  # channel-first
    audio[0, 10000:10100] *= 40  # a burst far over full scale in one channel
    audio[:, -50:] = 3.0  # and a partial block at the very end
    quiet_before = audio[:, 60000:80000].copy()
    near = float(np.abs(audio[1, 10000:10100]).max())
    limit(audio, 44100, -1.0)
    assert peak_dbfs(audio) <= -1.0 + 1e-4
    assert np.array_equal(audio[:, 60000:80000], quiet_before), "far from peaks nothing changes"
    assert float(np.abs(audio[1, 10000:10100]).max()) < near, "both channels share one gain (no image shift)"


def test_normalise_hits_the_target_and_reports_it_honestly() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(44100 * 4) / 44100
    tone = 0.01 * np.sin(2 * np.pi * 220 * t) * (1 + (t % 0.5 < 0.01) * 30)  # quiet, with spikes
    noise = rng.standard_normal((2, len(t))) * 1e-4
    audio = (np.stack([tone, tone]) + noise).astype(np.float32)
    out, lufs, peak = normalise(audio, 44100, target_lufs=-14.0)
    assert peak <= -1.2 + 1e-4
    assert lufs == pytest.approx(integrated_lufs(out, 44100), abs=0.1)
    assert -18 <= lufs <= -12


def test_loudness_meter_matches_the_analyser_on_a_sine(tmp_path: Path) -> None:
    t = np.arange(48000 * 5) / 48000
    sine = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    stereo = np.stack([sine, sine])
    soundfile.write(str(tmp_path / "sine.wav"), stereo.T, 48000, subtype="FLOAT")
    ours = integrated_lufs(stereo, 48000)
    assert ours == pytest.approx(reference_lufs(tmp_path / "sine.wav"), abs=0.1)
    # BS.1770: a full-scale 1 kHz sine in one channel reads -3.01; two channels +3.01; -6.02 dB
    assert ours == pytest.approx(-6.02, abs=0.1)


def test_dc_offset_is_removed_and_the_music_kept(tmp_path: Path) -> None:
    """A pad whose sample carries DC (FluidR3_GM's "Pad 2 (warm)" is mostly DC) comes and
    goes over a tone: the file has no DC, the tone's level is untouched, peaks stay low."""
    rate = 44100
    t = np.arange(rate * 12) / rate
    tone = 0.05 * np.sin(2 * np.pi * 110 * t) + 0.02 * np.sin(2 * np.pi * 1500 * t)
    pad_on = ((t > 2) & (t < 5)) | ((t > 7) & (t < 10.5))
    offset = 0.04 * np.convolve(pad_on, np.ones(441) / 441, mode="same")  # 10 ms fades, like a pad's
    left, right = tone + offset, 0.8 * tone + 0.7 * offset
    raw = np.stack([left, right]).astype(np.float32)
    assert abs(raw[0].mean()) > 0.01
    padded, stats = measure(raw, rate)
    plan = plan_levels(padded, stats, raw.shape[1], None, target_lufs=-15.0)
    write_wav(tmp_path / "dc.wav", padded, plan, rate)
    audio, _ = soundfile.read(str(tmp_path / "dc.wav"), dtype="float64")
    assert np.all(np.abs(audio.mean(axis=0)) < 0.001)
    # each second too: what is left is a ~5 Hz bump at each step of the offset
    assert np.all(np.abs(audio[: 12 * rate].reshape(12, -1, 2).mean(axis=1)) < 0.004)
    # the tone alone (no pad) at 0.5-1.5 s and inside the pad (3-4 s): same level after DC removal
    quiet, during = audio[rate // 2 : rate * 3 // 2, 0], audio[3 * rate : 4 * rate, 0]
    assert 20 * math.log10(np.std(during) / np.std(quiet)) == pytest.approx(0.0, abs=0.1)
    assert peak_dbfs(audio) <= -1.0 and true_peak_dbtp(audio, rate) <= -1.0


def test_true_peak_limiting_catches_inter_sample_overs(tmp_path: Path) -> None:
    """A quarter-rate tone sampled 45 degrees off its crest peaks 3 dB between samples."""
    rate = 44100
    n = np.arange(rate * 6)
    x = np.sin(np.pi / 2 * n + np.pi / 4) * (0.1 + 0.1 * (n > 3 * rate))  # louder second half
    raw = np.stack([x, x]).astype(np.float32)
    before = raw * np.float32(10 ** (-1.2 / 20) / np.abs(raw).max())
    assert true_peak_dbtp(before.T, rate) > 1.0, "scaling sample peaks alone would leave +1.8 dBTP"
    out, _, peak = normalise(raw.copy(), rate, target_lufs=-12.0)
    assert peak <= -1.2 + 1e-4 and true_peak_dbtp(out.T, rate) <= -1.0


def test_block_stats_measured_in_stretches_equal_one_pass() -> None:
    rng = np.random.default_rng(5)
    rate = 22050
    frames = padded_length(rate * 5 + 123, rate)
    audio = (rng.standard_normal((2, frames)) * 0.1).astype(np.float32)
    whole = BlockStats(2, frames, rate)
    whole.measure(audio, 0, whole.subs)
    whole.finish(audio)
    parts = BlockStats(2, frames, rate)
    for first, last in [(7, 20), (0, 3), (31, parts.subs), (20, 31)]:
        parts.measure(audio, first, last)
    parts.measure_rest(audio)
    for name in ("top", "bottom", "bend"):
        assert np.array_equal(getattr(whole, name), getattr(parts, name)), name
    for name in ("power", "total", "energy"):
        assert np.allclose(getattr(whole, name), getattr(parts, name), rtol=1e-6), name
    d2 = np.abs(np.diff(audio, 2, axis=1))
    assert np.isclose(parts.bend.max(), d2.max()), "every second difference is counted, edges included"


def test_wav_writer_threads_write_the_same_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    rate = 44100
    raw = (rng.standard_normal((2, rate * 9)) * 0.1).astype(np.float32)
    padded, stats = measure(raw, rate)
    plan = plan_levels(padded, stats, raw.shape[1], end=rate * 8)
    peaks = [write_wav(tmp_path / f"t{n}.wav", padded, plan, rate, threads=n) for n in (1, 3)]
    assert (tmp_path / "t1.wav").read_bytes() == (tmp_path / "t3.wav").read_bytes()
    audio, read_rate = soundfile.read(str(tmp_path / "t1.wav"), dtype="float32")
    assert read_rate == rate and audio.shape == (plan.stop, 2)
    assert peaks[0] == peaks[1] == pytest.approx(peak_dbfs(audio), abs=1e-6)
    assert np.abs(audio[-20:]).max() < 0.01, "the tail fades out"


@pytest.mark.parametrize(
    ("meter", "key", "extra"),
    [
        ("4/4", Key(tonic="E", mode="minor"), {}),
        ("6/8", Key(tonic="B", mode="minor"), {"backing": True, "click": True, "count_in": 1}),
        ("7/8", Key(tonic="D", mode="dorian"), {}),
        ("3/4", Key(tonic="F#", mode="major"), {"section": "verse", "bars": 3}),
    ],
)
def test_fast_midi_writer_matches_mido_byte_for_byte(meter: str, key: Key, extra: dict) -> None:
    song = make_song(meter=meter, key=key, tempo=131.5)
    arr = arrange(song, demo=not extra.get("section"), use_knowledge=False, **extra)
    buffer = io.BytesIO()
    to_midi(arr).save(file=buffer)
    assert encode_smf(arr) == buffer.getvalue()


def test_midi_title_outside_latin_1_is_written_not_fatal(tmp_path: Path) -> None:
    arr = arrange(make_song(title="Nuit \u2615 blanche"), use_knowledge=False)
    path = write_midi(arr, tmp_path / "t.mid")
    midi = mido.MidiFile(str(path))
    assert next(m.name for m in midi.tracks[0] if m.type == "track_name") == "Nuit ? blanche"


# ----------------------------------------------------------------------- parallel render


def choke_arrangement(bars: int = 24) -> Arrangement:
    """Open hi-hats choked by closed ones half a beat later, pads held across bar lines."""
    drums = Track("Drums", "drums", DRUM_CHANNEL, 0)
    pad = Track("Pad", "pad", 0, 48)
    keys = Track("Keys", "chords", 1, 0)
    for bar in range(bars):
        start = bar * 4.0
        for beat in range(4):
            drums.add(start + beat, 0.1, 36 if beat % 2 == 0 else 38, 110)
            drums.add(start + beat, 0.4, 46, 90)
            drums.add(start + beat + 0.5, 0.1, 42, 80)
        root = 48 + (bar % 4) * 2
        for pitch in (root, root + 4, root + 7):
            pad.add(start, 8.0 if bar % 2 == 0 else 4.0, pitch, 70)
            keys.add(start + 1.5, 0.5, pitch + 12, 80)
    for track in (drums, pad, keys):
        track.tidy()
    return Arrangement("Choke", 120.0, "4/4", "C", "major", 4.0, [drums, pad, keys], [SectionSpan("all", 0.0, bars, 4)])


def test_segments_start_early_enough_for_every_note_sounding_at_the_join() -> None:
    arr = choke_arrangement()
    rate, quantum = 44100, 4410
    frames = round(arr.duration_s * rate) + 2 * rate
    for count in (2, 3, 4):
        plan = plan_segments(arr, frames, rate, count, quantum)
        assert 2 <= len(plan) <= count
        assert plan[0].start == plan[0].keep == 0 and plan[-1].stop == frames
        scale = 60.0 * rate / arr.tempo
        for before, seg in zip(plan, plan[1:], strict=False):
            assert before.stop == seg.keep and seg.keep % quantum == 0 and seg.start % 64 == 0
            assert seg.keep - seg.start >= synth_module.PREROLL_S * rate
            for track in arr.tracks:
                for note in track.notes:
                    begin, end = round(note.start * scale), round((note.start + note.duration) * scale)
                    if begin < seg.keep < end + synth_module.RING_S * rate:
                        assert begin >= seg.start, "a note still sounding at the join is replayed"
    assert plan_segments(arr, frames, 11025, 2, 1103) == [synth_module.Segment(0, 0, frames)], "no reverb period"


def test_split_render_sounds_like_one_synth() -> None:
    """Two synths rendering halves (with pre-roll, replayed controllers and the reverb's
    modulation in phase) against one synth: identical up to the join; after it, only
    FluidSynth's first-block gain ramp of newly started voices differs (it ramps from
    whatever its voice slot last held). A join without all that is far off: a missing
    pre-roll loses held pads and hi-hat chokes."""
    arr = choke_arrangement()
    rate = 44100
    one = render_audio(arr, Path(TIMGM), rate, segments=1)
    two = render_audio(arr, Path(TIMGM), rate, segments=2)
    frames = one.shape[1]
    plan = plan_segments(arr, frames, rate, 2, round(rate * 0.1))
    assert len(plan) == 2
    join = plan[1].keep - round(synth_module.JOIN_S * rate)
    assert np.array_equal(one[:, :join], two[:, :join])

    def difference_db(other: np.ndarray) -> float:
        return float(10 * np.log10(((other - one) ** 2).sum() / (one**2).sum()))

    assert difference_db(two) < -40.0
    # the same join without pre-roll (the previous renderer's attempt)
    naive = np.zeros_like(one)
    events = event_list(arr, rate)
    for seg in (synth_module.Segment(0, 0, plan[1].keep), synth_module.Segment(plan[1].keep, plan[1].keep, frames)):
        loaded = synth_module.load_synth(Path(TIMGM), rate)
        process = synth_module._processor(loaded.fs)
        synth_module._select_programs(loaded.synth, loaded.sfid, arr, synth_module.SynthReport())
        synth_module._play(loaded, process, seg, events, naive, np.zeros((2, 0), np.float32), None, frames)
        loaded.delete()
    assert difference_db(naive) > -25.0
