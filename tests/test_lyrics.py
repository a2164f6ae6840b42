"""The lyric core: syllables and stress (dictionary and estimates), rhymes, rhyme schemes,
prosody flags with their fixes, the report's JSON contract and lyric events in song.mid."""

from __future__ import annotations

import io

import pytest

from assistant.lyrics.dictionary import load
from assistant.lyrics.line import analyse_line, shown, split_spelling
from assistant.lyrics.phonetics import lookup
from assistant.lyrics.prosody import NoteSpan, fit_line, shape_rhythm, split_notes, strength
from assistant.lyrics.report import analyse, as_json, as_text, parse_sections
from assistant.lyrics.rhyme import rhymes_for, scheme, words_rhyme


@pytest.fixture(scope="module")
def d():  # type: ignore[no-untyped-def]
    return load()


def test_dictionary_words_have_syllables_and_stress(d) -> None:  # type: ignore[no-untyped-def]
    word = lookup("beginning", d)
    assert (word.syllables, word.stress, word.known) == (3, "010", True)
    assert lookup("home", d).rhyme == "OW1 M"


@pytest.mark.parametrize(("word", "count"), [
    ("doomscrolling", 3), ("frenemies", 3), ("vibing", 2), ("gaslighting", 3), ("o'er", 1),
    ("situationship", 5), ("photobombed", 3), ("1969", 5), ("24", 3),
])
def test_words_the_dictionary_lacks_are_estimated_and_named(d, word: str, count: int) -> None:  # type: ignore[no-untyped-def]
    assert not d.phones(word)
    found = lookup(word, d)
    assert found.syllables == count
    if not word.isdigit():
        assert not found.known and found.how


def test_a_line_has_stresses_one_digit_a_syllable_and_small_words_unstressed(d) -> None:  # type: ignore[no-untyped-def]
    line = analyse_line("We begin again tonight", d)
    assert line.count == 7
    assert line.stress == "0010101"
    assert shown(line) == "we be-GIN a-GAIN to-NIGHT"


def test_spelling_splits_into_one_chunk_a_syllable() -> None:
    assert split_spelling("begin", 2) == ["be", "gin"]
    assert split_spelling("happy", 2) == ["hap", "py"]
    # endings apart, letter pairs on the side a singer reads them
    assert split_spelling("singing", 2) == ["sing", "ing"]
    assert split_spelling("running", 2) == ["run", "ning"]
    assert split_spelling("highway", 2) == ["high", "way"]
    assert split_spelling("lightning", 2) == ["light", "ning"]
    assert split_spelling("homeless", 2) == ["home", "less"]
    assert split_spelling("everything", 3) == ["eve", "ry", "thing"]
    assert "".join(split_spelling("underneath", 3)) == "underneath"
    assert len(split_spelling("xyz", 3)) == 3


def test_rhymes_perfect_near_and_multi(d) -> None:  # type: ignore[no-untyped-def]
    home = rhymes_for("home", d)
    assert "dome" in home.perfect and "home" not in home.perfect
    assert "alone" in home.near or "stone" in home.near
    ocean = rhymes_for("ocean", d)
    assert "motion" in ocean.perfect and "devotion" in ocean.multi
    assert rhymes_for("  ", d).perfect == []


def test_rhymes_judge_sound_not_spelling(d) -> None:  # type: ignore[no-untyped-def]
    assert words_rhyme("eyes", "skies", d)
    assert words_rhyme("time", "line", d)  # a family rhyme: m / n
    assert not words_rhyme("love", "prove", d)
    assert words_rhyme("pony", "macaroni", d)


@pytest.mark.parametrize(("ends", "expected"), [
    (["star", "are", "high", "sky"], "AABB"),
    (["sound", "me", "found", "see"], "ABAB"),
    (["lamb", "snow", "went", "go"], "XAXA"),
    (["bells", "way", "ride", "sleigh"], "XAXA"),
])
def test_rhyme_scheme(d, ends: list[str], expected: str) -> None:  # type: ignore[no-untyped-def]
    assert scheme(ends, d) == expected


def test_beat_strength_follows_the_meter() -> None:
    assert [strength(p, 4.0) for p in (0, 1, 2, 3, 0.5)] == [3, 1, 2, 1, 0]
    assert [strength(p, 3.0, compound=True) for p in (0, 1.5, 0.5)] == [3, 2, 0]


def _notes(start: float, durations: list[float]) -> list[NoteSpan]:
    out, at = [], start
    for dur in durations:
        out.append(NoteSpan(at, dur))
        at += dur
    return out


def test_a_well_set_line_gets_no_flags(d) -> None:  # type: ignore[no-untyped-def]
    line = analyse_line("Twinkle twinkle little star", d)
    assert fit_line(1, line, _notes(0, [1, 1, 1, 1, 1, 1, 2])) == []


def test_too_many_syllables_says_how_many_to_cut(d) -> None:  # type: ignore[no-untyped-def]
    line = analyse_line("Underneath the neon light tonight", d)
    fits = fit_line(2, line, _notes(3, [0.5, 0.5, 1, 1, 1, 1, 2]))
    count = [f for f in fits if f.rule == "prosody.count"]
    assert count and count[0].problem == "line 2 has 9 syllables for 7 notes"
    assert count[0].suggestion.startswith("cut 2 syllables or split the long note")


def test_a_stress_on_a_weak_beat_names_the_word_and_the_beat(d) -> None:  # type: ignore[no-untyped-def]
    line = analyse_line("We begin again tonight", d)
    fits = fit_line(1, line, _notes(3, [1, 1, 1, 1, 1, 1, 2]))
    stress = [f for f in fits if f.rule == "prosody.stress"]
    assert stress, fits
    assert "“be-GIN” lands its stress (GIN) on beat 2" in stress[0].problem
    assert stress[0].suggestion.startswith("move “GIN” to beat")


def test_a_long_note_on_a_small_word(d) -> None:  # type: ignore[no-untyped-def]
    line = analyse_line("Walking down the road we know", d)
    fits = fit_line(1, line, _notes(0, [1, 1, 1, 3, 1, 1, 2]))
    assert [f.rule for f in fits] == ["prosody.long-weak"]
    assert "“the” is held for 3 beats" in fits[0].problem


def test_shaped_rhythm_puts_every_stress_on_a_beat_and_fits(d) -> None:  # type: ignore[no-untyped-def]
    for text in ("We begin again tonight", "Twinkle twinkle little star", "Amazing grace how sweet the sound"):
        line = analyse_line(text, d)
        rhythm = shape_rhythm(line)
        assert len(rhythm) == line.count
        assert [f.rule for f in fit_line(1, line, rhythm) if f.rule != "prosody.long-weak"] == []


def test_notes_are_shared_among_lines_by_bars() -> None:
    notes = [NoteSpan(b * 4 + i, 1) for b in range(4) for i in range(4)]
    parts = split_notes(notes, 2, 4.0)
    assert [len(p) for p in parts] == [8, 8]


def test_sections_split_at_blank_lines_and_headers() -> None:
    text = "[Verse 1]\nline one\nline two\n\n[Chorus]\nhook line\n\nloose line\nChorus:\nagain"
    names = [n for n, _ in parse_sections(text)]
    assert names == ["verse 1", "chorus", "section 1", "chorus"]


def test_report_json_keeps_the_contract_names(d) -> None:  # type: ignore[no-untyped-def]
    sections = parse_sections("[Chorus]\nTwinkle twinkle little star\nHow I wonder what you are\n")
    data = as_json(analyse(sections, {"": _notes(0, [1] * 14)}, d=d))
    section = data["sections"][0]
    assert section["name"] == "chorus" and section["scheme"] == "AA"
    line = section["lines"][0]
    assert {"text", "syllables", "stress", "rhyme", "notes", "fit"} <= set(line)
    assert line["syllables"] == 7 and len(line["stress"]) == 7 and line["rhyme"] == "A"
    assert all(set(f) >= {"problem", "suggestion"} for f in line["fit"])


@pytest.mark.parametrize("text", ["", "   \n\n", "🌟🌟🌟", "Wie geht es dir mein Schatz", "x" * 5000])
def test_odd_input_gives_a_report_not_an_error(d, text: str) -> None:  # type: ignore[no-untyped-def]
    reports = analyse(parse_sections(text), d=d)
    assert isinstance(as_text(reports), str)
    assert isinstance(as_json(reports)["sections"], list)


def test_unknown_words_are_named_with_their_estimate(d) -> None:  # type: ignore[no-untyped-def]
    data = as_json(analyse(parse_sections("Doomscrolling through the night"), d=d))
    assert data["unknown_words"][0]["word"] == "Doomscrolling"
    assert data["unknown_words"][0]["syllables"] == 3
    assert "Doomscrolling" in as_text(analyse(parse_sections("Doomscrolling through the night"), d=d))


def test_ten_thousand_lines_stay_linear(d) -> None:  # type: ignore[no-untyped-def]
    text = "\n".join(["the night is long", "and we belong"] * 5000)
    data = as_json(analyse(parse_sections(text), d=d))
    assert sum(len(s["lines"]) for s in data["sections"]) == 10000


def test_lyric_events_ride_on_the_melody_in_song_mid() -> None:
    import mido

    from assistant.lyrics.karaoke import attach
    from assistant.render.arrange import arrange
    from assistant.render.midi import encode_smf, to_midi
    from assistant.song import Key, LyricSection, Section, Song

    song = Song(title="T", key=Key(tonic="C"), tempo=100, progression=["I", "V", "vi", "IV"],
                sections=[Section(name="Verse 1", bars=4), Section(name="Chorus", bars=4)],
                lyrics=[LyricSection(name="chorus", lines=["We begin again tonight"])])
    arrangement = arrange(song, demo=True)
    assert attach(song, arrangement) == 7
    data = encode_smf(arrangement)
    saved = io.BytesIO()
    to_midi(arrangement).save(file=saved)
    assert saved.getvalue() == data  # both encoders write the lyrics the same
    midi = mido.MidiFile(file=io.BytesIO(data))
    melody = next(t for t in midi.tracks if any(m.type == "lyrics" for m in t))
    texts = [m.text for m in melody if m.type == "lyrics"]
    assert texts == ["We ", "be-", "gin ", "a-", "gain ", "to-", "night\r"]
    # each syllable sits on a note-on of the melody, at the chorus (bar 5 on)
    now, ons, lyric_ticks = 0, set(), []
    for msg in melody:
        now += msg.time
        if msg.type == "note_on" and msg.velocity:
            ons.add(now)
        elif msg.type == "lyrics":
            lyric_ticks.append(now)
    assert set(lyric_ticks) <= ons and min(lyric_ticks) >= 4 * 4 * midi.ticks_per_beat


def test_rhyme_lists_leave_out_names_places_and_abbreviations() -> None:
    """CMU's dictionary holds names and places; a songwriter asking for rhymes wants words
    ("rome", "jerome", "spain", "ukraine", "bart" used to lead the lists)."""
    from assistant.lyrics.dictionary import load
    from assistant.lyrics.rhyme import rhymes_for

    d = load()
    home, rain, heart = (rhymes_for(w, d) for w in ("home", "rain", "heart"))
    offered = set(home.perfect + home.multi + rain.perfect + rain.multi + heart.perfect)
    assert not offered & {"rome", "jerome", "spain", "ukraine", "bart"}, offered
    assert {"dome", "foam", "pain", "train", "part", "start"} <= offered
    assert "i'm" in rhymes_for("time", d).perfect  # contractions are words
    assert "july" in rhymes_for("night", d).near  # months stay: songs rhyme on them
