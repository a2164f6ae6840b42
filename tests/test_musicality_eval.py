"""benchmarks/eval_musicality.py: the criteria computed right on hand-built arrangements,
and the evaluation running end to end on a few demos."""

from __future__ import annotations

from assistant.render.events import DRUM_CHANNEL, Arrangement, SectionSpan, TimedNote, Track
from benchmarks import eval_musicality as ev


def _arrangement(meter: str = "4/4", bar: float = 4.0, tempo: float = 120.0) -> Arrangement:
    sections = [SectionSpan("verse", 0.0, 4, 3, 0), SectionSpan("chorus", 4 * bar, 4, 4, 1)]
    return Arrangement(title="t", tempo=tempo, meter=meter, key_tonic="C", key_mode="major", bar_beats=bar,
                       tracks=[], sections=sections)


def _track(name: str, role: str, notes: list[tuple[float, float, int, int]], channel: int = 0) -> Track:
    return Track(name, role, channel, 0, [TimedNote(*n) for n in notes])


def _song_like() -> Arrangement:
    arr = _arrangement()
    # the melody: four notes a bar in the verse around E4, eight in the chorus five semitones up
    verse = [(b * 4 + i, 0.9, 64 + (i % 2), 90) for b in range(4) for i in range(4)]
    chorus = [(16 + b * 4 + i * 0.5, 0.45, 69 + (i % 2), 90) for b in range(4) for i in range(8)]
    # bass: C C G C ... the last bar's root C reached from G (V-I); an F# leads into each G
    bass = []
    roots = [48, 43, 48, 43, 48, 43, 43, 48]
    for b, root in enumerate(roots):
        bass.append((b * 4, 3.0, root, 100))
        nxt = roots[b + 1] if b + 1 < len(roots) else None
        bass.append((b * 4 + 3, 1.0, 42 if nxt == 43 else root, 90))
    chords = [(b * 4, 4.0, p, 80) for b, root in enumerate(roots)
              for p in ((60, 64, 67) if root == 48 else (59, 62, 67))]
    drums = [(b * 4 + beat, 0.25, 36 if beat % 2 == 0 else 38, 100) for b in range(8) for beat in range(4)]
    drums += [(b * 4 + 1.75, 0.1, 38, 40) for b in range(8)]  # a ghost snare a bar
    drums += [(16 + k * 0.5, 0.1, 42, 70) for k in range(32)]  # eighth-note hats in the chorus
    arr.tracks = [_track("Lead", "melody", verse + chorus, 1), _track("Bass", "bass", bass, 2),
                  _track("Keys", "chords", chords, 3), _track("Drums", "drums", drums, DRUM_CHANNEL)]
    for t in arr.tracks:
        t.tidy()
    return arr


def test_ending_density_lift_and_bass_approach() -> None:
    arr = _song_like()
    end = ev.check_ending(arr)
    assert end.ok and end.value == "V-I"
    dens = ev.check_chorus_density(arr)
    assert dens.ok and dens.value.startswith("1.")
    lift = ev.check_chorus_lift(arr)
    assert lift.ok and lift.value == "+5.0 st"
    approached, changes = ev.bass_approach_share(arr, arr.tracks[1])
    assert changes == 6 and approached == 3  # an F# into each new G, nothing into the Cs
    assert ev.check_ghosts(arr, "funk").ok and ev.check_ghosts(arr, "pop").ok is None
    assert ev.check_plays(arr).ok
    # ending on the IV instead fails
    arr.tracks[1].notes[-2:] = [TimedNote(28, 3, 41, 100), TimedNote(31, 1, 41, 90)]
    assert not ev.check_ending(arr).ok


def test_melody_figures() -> None:
    line = [TimedNote(s, d, p, 90) for s, d, p in [
        (0, 1, 60), (1, 1, 62), (2, 1, 67), (3, 0.5, 65),  # a leap up turned back by step; a rest
        (4, 1, 64), (5, 1, 64), (6, 1, 62), (8, 1, 64),  # a repeat; a rest in bar 2
        (9, 1, 65), (10, 1, 64), (11, 1, 71), (12, 1, 67),  # a leap not turned back: the climax
        (13, 1, 65), (14, 1, 64), (15, 1, 60)]]
    fig = ev.melody_figures(line, 16.0, 4.0)
    assert fig["changes"] == 13 and fig["steps"] == 9
    assert fig["leaps"] == 2 and fig["recovered"] == 1  # 62-67 turned back, 64-71 not
    assert fig["climax"] == 1.0  # 71 once, at beat 11 >= 2/3 of 16
    assert fig["longest"] == 2.0  # sung from beat 8 to 16 without a rest: 2 bars


def test_velocity_timing_voice_leading_and_sync() -> None:
    arr = _song_like()
    vel = ev.check_velocity(arr)
    assert not vel.ok  # every part is played at one velocity
    # onsets +-10 ms around the grid: an SD of 10 ms
    beat_ms = 60000 / arr.tempo
    for k, note in enumerate(arr.tracks[0].notes):
        note.start += (10 if k % 2 else -10) / beat_ms
    assert abs(ev.timing_spread(arr) - ev.timing_spread(arr)) < 1e-9
    spread = ev.timing_spread(_only(arr, "Lead"))
    assert 9.5 <= spread <= 10.5
    # C major (60 64 67) -> G (59 62 67): each voice moves 1 semitone on average
    assert abs(ev.voice_movement(arr, arr.tracks[2]) - 1.0) < 1e-9
    # 12/8: a bass 60 ms late against the drums on every dotted quarter is out of time
    late = _arrangement("12/8", 6.0, 100.0)
    drums = [(k * 1.5, 0.2, 36, 100) for k in range(32)]
    bass = [(k * 1.5 + 0.1, 1.0, 40, 100) for k in range(32)]  # 0.1 beat = 60 ms at 100 bpm
    late.tracks = [_track("Drums", "drums", drums, DRUM_CHANNEL), _track("Bass", "bass", bass, 1)]
    sync = ev.check_sync(late)
    assert sync.ok is False and sync.value == "+60 ms"
    late.tracks[1].notes = [TimedNote(k * 1.5, 1.0, 40, 100) for k in range(32)]
    assert ev.check_sync(late).ok
    assert ev.check_sync(_song_like()).ok is None  # 4/4: does not apply


def test_strong_beats_against_the_bars_chord() -> None:
    arr = _song_like()
    # E on beats 1 and 3 of the verse: a C chord tone in bars 1 and 3, not over G; the chorus
    # sings A on its strong beats, over C and G
    check = ev.check_chord_tones(arr)
    assert check.ok is False and check.value == "0.25"
    # a power chord (E and B) stands for either third
    power = [TimedNote(0, 4, 40, 90), TimedNote(0, 4, 47, 90)]
    assert ev._harmony_at(power, [], 0.0, 4.0) == {4, 11, 7, 8}
    # a skank on the off-beats still names the bar's chord
    skank = [TimedNote(1, 0.3, 60, 80), TimedNote(1, 0.3, 64, 80), TimedNote(3, 0.3, 67, 80)]
    assert ev._harmony_at(skank, [TimedNote(0, 1, 36, 90)], 0.0, 4.0) == {0, 4, 7}


def _only(arr: Arrangement, name: str) -> Arrangement:
    return Arrangement(arr.title, arr.tempo, arr.meter, arr.key_tonic, arr.key_mode, arr.bar_beats,
                       [t for t in arr.tracks if t.name == name], arr.sections)


def test_evaluation_runs_on_demos() -> None:
    demos = (ev.Demo("pop", "happy"), ev.Demo("blues", "lonely", "12/8"))
    results = ev.evaluate(demos)
    assert [r.meter for r in results] == ["4/4", "12/8"]
    for r in results:
        assert set(r.checks) == set(ev.COLUMNS)
        assert 0 < r.applicable <= len(ev.COLUMNS) and 0 <= r.met <= r.applicable
    assert results[1].checks["sync"].ok is not None and results[0].checks["sync"].ok is None
    text = ev.markdown(results, 0.1)
    assert "Share of criteria met" in text and "| pop · happy · 4/4 |" in text
    summary = ev.summary(results)
    assert summary["demos"] == 2 and 0.0 <= float(summary["share"]) <= 1.0  # type: ignore[arg-type]
    assert len(ev.DEMOS) >= 24
    assert {d.meter for d in ev.DEMOS} >= {None, "3/4", "6/8", "12/8"}


def test_measured_from_the_midi_file_as_written() -> None:
    from assistant.render.midi import encode_smf

    arr = _song_like()
    back = ev.from_midi(encode_smf(arr), arr)
    assert [s.start for s in back.sections] == [s.start for s in arr.sections]
    for a, b in zip(arr.tracks, back.tracks, strict=True):
        assert (a.name, a.role, a.channel) == (b.name, b.role, b.channel)
        assert [(n.pitch, n.velocity) for n in a.notes] == [(n.pitch, n.velocity) for n in b.notes]
        assert all(abs(x.start - y.start) <= 1 / 480 and abs(x.duration - y.duration) <= 2 / 480
                   for x, y in zip(a.notes, b.notes, strict=True))
    assert ev.measure(back, "funk").keys() == ev.measure(arr, "funk").keys()
    assert ev.check_ending(back).value == ev.check_ending(arr).value
