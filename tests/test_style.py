"""The groove vocabulary (knowledge/grooves.toml, styles.toml) and the band that plays it:
real sheets arranged into real events, checked for the musical properties issue 12 asks for."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from assistant import theory
from assistant.errors import KnowledgeError
from assistant.kb.loader import knowledge, load_knowledge
from assistant.render.arrange import arrange
from assistant.render.events import Arrangement, Track
from assistant.rules import song_from_options
from assistant.song import Instrument, Key, Section, Song

KICK, SNARES = 36, (37, 38, 39, 40)


def _track(arr: Arrangement, role: str) -> Track:
    found = next((t for t in arr.tracks if t.role == role), None)
    assert found is not None, f"no {role} track"
    return found


def _in(track: Track, start: float, end: float) -> list:
    return [n for n in track.notes if start - 0.05 <= n.start < end - 0.05]


def _span(arr: Arrangement, name: str):  # type: ignore[no-untyped-def]
    return next(s for s in arr.sections if s.name == name)


def _song(genre: str, meter: str = "4/4", sections: list[Section] | None = None, **extra: object) -> Song:
    return Song(
        title=f"test {genre}", genre=genre, key=Key(tonic="C", mode="major"), tempo=110, meter=meter,
        progression=["I", "V", "vi", "IV"],
        sections=sections or [
            Section(name="intro", bars=4, energy=1), Section(name="verse", bars=8, energy=3),
            Section(name="chorus", bars=8, energy=4), Section(name="outro", bars=4, energy=2),
        ],
        **extra,  # type: ignore[arg-type]
    )


def test_every_style_loads_and_covers_its_grooves() -> None:
    kb = knowledge()
    genres = {g.name for g in kb.genres}
    covered = {name for style in kb.styles for name in style.genres}
    assert genres <= covered, genres - covered
    meters = {style.meter for style in kb.styles if not style.genres}
    assert {"3/4", "6/8", "12/8"} <= meters


def test_a_malformed_style_entry_names_file_id_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[groove]]\nid = "groove.drums.broken"\nkind = "drums"\nkick = "x..x"\nsnare = "x.z."\n'
        'why = "broken on purpose"\n'
    )
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge([bad])
    text = str(caught.value)
    assert "bad.toml" in text and "groove.drums.broken" in text and "snare" in text


def test_swing_on_a_compound_meter_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "swung.toml"
    bad.write_text(
        '[[groove]]\nid = "groove.drums.swung"\nkind = "drums"\nmeter = "12/8"\nswing = 0.66\n'
        'kick = "x.....x....."\nwhy = "swing on top of triplets"\n'
    )
    with pytest.raises(KnowledgeError, match="compound"):
        load_knowledge([bad])


def test_house_keeps_four_on_the_floor_at_energy_one() -> None:
    arr = arrange(_song("house"), demo=True)
    intro = _span(arr, "intro")
    drums = _track(arr, "drums")
    for bar in range(intro.bars):
        start = intro.start + bar * arr.bar_beats
        kicks = {round(n.start - start) for n in _in(drums, start, start + arr.bar_beats) if n.pitch == KICK}
        assert {0, 1, 2, 3} <= kicks, (bar, kicks)


def test_twelve_eight_bass_sits_on_the_triplet_grid_with_no_swing() -> None:
    song = _song("blues", "12/8", [Section(name="verse", bars=12, energy=3), Section(name="outro", bars=4, energy=2)])
    arr = arrange(song, demo=True)
    bass = _track(arr, "bass")
    offsets_ms = []
    for note in bass.notes:
        eighths = note.start / 0.5
        offsets_ms.append((eighths - round(eighths)) * 0.5 * 60000 / arr.tempo)
    # humanized by a few ms around the eighth-note grid, never the 122 ms of swing on top
    assert max(abs(o) for o in offsets_ms) < 40
    assert abs(statistics.fmean(offsets_ms)) < 10


def test_the_last_bar_lands_on_the_tonic_after_a_cadence() -> None:
    for genre, mode in (("pop", "major"), ("rock", "mixolydian"), ("jazz", "major"), ("pop", "minor")):
        song = _song(genre).model_copy(update={"key": Key(tonic="D", mode=mode)})
        arr = arrange(song, demo=True)
        bass = _track(arr, "bass")
        last = arr.total_beats - arr.bar_beats
        final = [n for n in bass.notes if n.start >= last - 0.05]
        assert final and final[0].pitch % 12 == theory.parse_pitch_class("D"), genre
        before = [n for n in bass.notes if last - arr.bar_beats - 0.05 <= n.start < last - arr.bar_beats + 0.5]
        interval = (before[0].pitch - theory.parse_pitch_class("D")) % 12
        assert interval in (7, 5, 10), (genre, mode, interval)  # V, IV or bVII


def test_the_chorus_is_denser_than_the_verse_and_has_a_melody() -> None:
    arr = arrange(_song("pop"), demo=True)
    verse, chorus = _span(arr, "verse"), _span(arr, "chorus")

    def per_bar(span) -> float:  # type: ignore[no-untyped-def]
        end = span.start + span.bars * arr.bar_beats
        return sum(len(_in(t, span.start, end)) for t in arr.tracks) / span.bars

    assert per_bar(chorus) >= 1.3 * per_bar(verse)
    melody = next(t for t in arr.tracks if t.role in ("melody", "lead"))
    for span in (verse, chorus):
        assert len(_in(melody, span.start, span.start + span.bars * arr.bar_beats)) >= 2 * span.bars


def test_a_breakdown_has_no_kick_and_no_bass() -> None:
    song = _song("house", sections=[
        Section(name="groove", bars=8, energy=3), Section(name="breakdown", bars=8, energy=2),
        Section(name="drop", bars=8, energy=5), Section(name="outro", bars=4, energy=2),
    ])
    arr = arrange(song, demo=True)
    span = _span(arr, "breakdown")
    end = span.start + span.bars * arr.bar_beats
    assert not _in(_track(arr, "bass"), span.start, end)
    assert not [n for n in _in(_track(arr, "drums"), span.start, end) if n.pitch == KICK]
    assert "breakdown: no kick, no bass" in span.details["devices"]


def test_velocity_spread_and_timing_feel_are_human_and_reproducible() -> None:
    song = _song("funk")
    one, two = arrange(song, demo=True), arrange(song, demo=True)
    for a, b in zip(one.tracks, two.tracks, strict=True):
        assert [(n.start, n.pitch, n.velocity) for n in a.notes] == [(n.start, n.pitch, n.velocity) for n in b.notes]
    for track in one.tracks:
        if track.is_drums or len(track.notes) < 20:
            continue
        sd = statistics.pstdev(n.velocity for n in track.notes)
        assert 5 <= sd <= 16, (track.name, sd)
    off = [abs(n.start * 4 - round(n.start * 4)) / 4 * 60000 / one.tempo for t in one.tracks for n in t.notes]
    assert 2 < statistics.fmean(off) < 15


def test_distorted_guitar_plays_power_chords() -> None:
    song = _song("rock").model_copy(update={"instrumentation": [
        Instrument(name="drums", role="drums"), Instrument(name="bass", role="bass", program=34),
        Instrument(name="distortion guitar", role="chords", program=30),
    ]})
    arr = arrange(song, demo=True)
    guitar = next(t for t in arr.tracks if t.name == "distortion guitar")
    by_onset: dict[float, set[int]] = {}
    for note in guitar.notes:
        by_onset.setdefault(round(note.start, 2), set()).add(note.pitch % 12)
    chords = [pcs for pcs in by_onset.values() if len(pcs) >= 2]
    assert chords
    for pcs in chords:
        assert len(pcs) == 2, pcs  # root and fifth, no third
        a, b = sorted(pcs)
        assert (b - a) % 12 in (5, 7)


def test_every_instrument_of_the_line_up_plays() -> None:
    for genre in ("folk", "blues", "cinematic", "edm"):
        song = song_from_options("happy", genre)
        arr = arrange(song, demo=True)
        silent = [t.name for t in arr.tracks if not t.notes]
        assert not silent, (genre, silent)


def test_jazz_waltz_rides_instead_of_snare_on_two_and_three() -> None:
    arr = arrange(_song("jazz", "3/4"), demo=True)
    drums = _track(arr, "drums")
    verse = _span(arr, "verse")
    notes = _in(drums, verse.start, verse.start + verse.bars * arr.bar_beats)
    assert any(n.pitch == 51 for n in notes)  # the ride
    loud_snares = [n for n in notes if n.pitch == 38 and n.velocity > 70 and abs(n.start % 1) < 0.05
                   and round(n.start - verse.start) % 3 in (1, 2)]
    assert len(loud_snares) < verse.bars  # no backbeat on 2 and 3


def test_six_eight_ballad_keeps_its_arpeggio_and_jazz_ballad_its_tempo() -> None:
    song = song_from_options("sad", "ballad", meter="6/8")
    arr = arrange(song, demo=True)
    comp = [s.details.get("comp", {}) for s in arr.sections]
    assert any("68-arp" in v or "68-piano" in v for c in comp for v in c.values())
    ballad = song_from_options("romantic", "jazz ballad")
    assert 50 <= (ballad.tempo or 0) <= 70
    arr = arrange(ballad, demo=True)
    assert all("walk" not in b for s in arr.sections for b in s.details.get("bass", []))


def test_the_demo_json_explains_each_section() -> None:
    arr = arrange(_song("pop"), demo=True)
    for span in arr.sections:
        details = span.details
        assert details["drums"] and details["rule_ids"][0] == "style.pop"
        assert "progression" in details and "devices" in details
    assert "melody" in _span(arr, "verse").details


@pytest.mark.parametrize(("mood", "genre"), [("energetic", "jazz ballad"), ("sad", "edm"), ("calm", "punk")])
def test_the_genre_tempo_range_wins_unless_the_user_sets_the_tempo(mood: str, genre: str) -> None:
    kb = knowledge()
    found = kb.find_genre(genre)
    assert found is not None
    song = song_from_options(mood, genre)
    assert found.tempo[0] <= (song.tempo or 0) <= found.tempo[1]
    assert song_from_options(mood, genre, tempo=97).tempo == 97


def test_a_style_naming_an_unknown_groove_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "styles.toml"
    bad.write_text(
        '[[style]]\nid = "style.mine"\nmeter = "4/4"\ndrums = ["groove.drums.nope", "groove.drums.nope2"]\n'
        'fills = ["a", "b", "c"]\nbass = ["x", "y"]\ncomp = ["z"]\nwhy = "a typo in a groove id"\n'
    )
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge([bad])
    text = str(caught.value)
    assert "styles.toml" in text and "style.mine" in text and "drums" in text and "groove.drums.nope" in text


def test_the_sheets_own_melody_is_played_where_it_was_before() -> None:
    from assistant.song import Melody, Note

    melody = Melody(notes=[Note(pitch=72, start=0, duration=1), Note(pitch=74, start=1, duration=1)])
    arr = arrange(_song("pop", melody=melody), demo=True)
    line = next(t for t in arr.tracks if t.role in ("melody", "lead"))
    verse = _span(arr, "verse")
    sung = _in(line, verse.start, verse.start + verse.bars * arr.bar_beats)
    assert sung and {n.pitch for n in sung} == {72, 74}  # the sheet's notes, not a generated line


def test_chorus_and_bridge_take_their_own_progression_unless_the_sheet_sets_one() -> None:
    sections = [Section(name="verse", bars=8, energy=3), Section(name="chorus", bars=8, energy=4),
                Section(name="bridge", bars=4, energy=3), Section(name="outro", bars=4, energy=2)]
    arr = arrange(_song("pop", sections=sections), demo=True)
    verse, chorus, bridge = (_span(arr, n).details for n in ("verse", "chorus", "bridge"))
    assert chorus["progression_from"].startswith("prog.") and chorus["progression"] != verse["progression"]
    assert bridge["progression"] != verse["progression"] and bridge["progression"] != chorus["progression"]
    mine = [*sections[:1], sections[1].model_copy(update={"progression": ["IV", "I"]}), *sections[2:]]
    arr = arrange(_song("pop", sections=mine), demo=True)
    assert _span(arr, "chorus").details["progression"] == ["IV", "I"]


def test_a_twelve_bar_blues_is_never_cut_and_a_short_intro_plays_its_turnaround() -> None:
    blues = ["I7", "IV7", "I7", "I7", "IV7", "IV7", "I7", "I7", "V7", "IV7", "I7", "V7"]
    song = _song("blues", sections=[Section(name="intro", bars=4, energy=2), Section(name="verse", bars=8, energy=3),
                                    Section(name="outro", bars=4, energy=2)])
    arr = arrange(song.model_copy(update={"progression": blues}), demo=True)
    assert [s.bars for s in arr.sections] == [4, 12, 4]
    assert _span(arr, "intro").details["progression"] == blues[-4:]
