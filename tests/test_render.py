"""The arranger, the MIDI export and real FluidSynth renders (TimGM6mb), in-process."""

from __future__ import annotations

import math
from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile

from assistant.errors import BadInput, FileProblem
from assistant.render import preview
from assistant.render.arrange import arrange, choose_sections, sf2_nrpn
from assistant.render.events import DRUM_CHANNEL, Arrangement
from assistant.render.level import integrated_lufs, limit, normalise, peak_dbfs
from assistant.render.midi import key_signature_name, to_midi, write_midi
from assistant.render.pipeline import render_song
from assistant.render.synth import event_list
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
    assert nrpn == sf2_nrpn(38, -2400), "the NRPN's four controllers stay in order"


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
    measured = reference_lufs(result.wav)  # type: ignore[arg-type]
    assert -18.0 <= measured <= -12.0
    assert abs(measured - integrated_lufs(audio.T, rate)) < 0.2, "the render's quick meter agrees with the analyser"
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
    assert result.sections == [{"name": "chorus", "start_s": 0.0, "bars": 1, "energy": 5}]
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
