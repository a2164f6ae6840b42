"""The reader: free text in its context -> a typed command, over the shipped knowledge base."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.dialogue import Command
from assistant.understanding import Context, lexicon, read
from assistant.understanding.text import fix_digits
from assistant.understanding.values import find_chords, find_key, find_length

VIBE = Context("conception", "vibe", 0)
OPTIONS = Context("composition", "key", 3)
TEMPO = Context("composition", "tempo", 0)
LINE_UP = Context("arrangement", "instrumentation", 1)


def r(text: str, context: Context = VIBE) -> Command:
    return read(text, context, lexicon())


def test_negation_is_scoped_to_its_clause() -> None:
    command = r("not sad but slow")
    assert "mood.sad" in command.not_moods and "mood.sad" not in command.moods
    assert command.tempo_word == "slow"
    assert r("sad, not slow").moods[:1] == ("mood.sad",)
    assert r("I don't want it sad").not_moods == ("mood.sad",)


def test_too_and_less_move_away_and_toward_the_opposite() -> None:
    command = r("these are way too gloomy", OPTIONS)
    assert command.intent == "feedback"
    assert command.not_moods and not set(command.not_moods) & set(command.moods)
    assert "mood.hopeful" in command.moods  # somewhere brighter
    less = r("less sad", OPTIONS)
    assert less.not_moods == ("mood.sad",)


def test_comparatives_and_degrees() -> None:
    brighter = r("NO, brighter", OPTIONS)
    assert brighter.intent == "feedback" and "mood.hopeful" in brighter.moods
    slower, a_bit, much = (r(t, TEMPO).tempo_delta for t in ("slower", "a bit slower",
                                                               "much slower"))
    assert slower is not None and a_bit is not None and much is not None
    assert much < slower < a_bit < 0
    assert (r("even slower", TEMPO).tempo_delta or 0) < 0
    assert (r("feels rushed", TEMPO).tempo_delta or 0) < 0


def test_hate_negates_instead_of_reading_as_anger() -> None:
    command = r("I hate slow songs", TEMPO)
    assert "mood.angry" not in command.moods
    assert command.tempo_word in ("fast", "medium") or (command.tempo_delta or 0) > 0


def test_instruments_added_removed_and_swapped() -> None:
    no_drums = r("no drums", LINE_UP)
    assert no_drums.intent == "instruments" and no_drums.remove == ("inst.drums",)
    assert not no_drums.add
    swap = r("swap the piano for a rhodes", LINE_UP)
    assert swap.remove == ("inst.piano",) and swap.add == ("inst.electric-piano",)
    instead = r("electric guitar instead of acoustic", LINE_UP)
    assert "inst.acoustic-guitar" in instead.remove and instead.add
    assert not set(instead.add) & set(instead.remove)
    assert r("add a rhodes", Context("recording", "sources", 0)).intent == "instruments"


def test_numbers_are_read_in_context() -> None:
    assert r("around 100", TEMPO).tempo == 100
    assert r("2", OPTIONS).intent == "pick"
    picked = r("number 2 sounds good", OPTIONS)
    assert picked.intent == "pick" and picked.number == 2
    at_tempo = r("120 bpm", OPTIONS)
    assert at_tempo.intent != "pick" and at_tempo.tempo == 120
    assert r("in 3/4", OPTIONS).meter == "3/4"
    assert r("4 bars", OPTIONS).intent != "pick"
    assert r("3", Context("arrangement", "length", 0)).length_s == 180
    assert r("2:30", Context("arrangement", "length", 0)).length_s == 150


def test_typos_are_corrected_against_the_vocabulary() -> None:
    command = r("hapy and chil")
    assert set(command.moods) >= {"mood.happy", "mood.chill"}
    assert r("tempo 9O", TEMPO).tempo == 90
    assert fix_digits("tempo 9O") == "tempo 90"
    assert r("skp", Context("recording", "gear", 0)).intent == "skip"


def test_chord_names_are_read_as_chords_not_as_a_key() -> None:
    command = r("G D Em C", Context("composition", "progression", 3))
    assert command.intent == "chords" and command.chords == ("G", "D", "Em", "C")
    assert command.key is None
    assert find_chords("lets use am f c g") == ("am", "f", "c", "g")
    assert find_chords("I am sad") == ()


def test_stories_name_their_theme() -> None:
    assert r("a song for my uncle's memorial").theme == "theme.memorial"
    assert r("we're getting married in june").theme == "theme.wedding"
    assert r("my best friend passed away").theme in ("theme.grief", "theme.memorial")


def test_stage_jumps_and_commands() -> None:
    assert r("let's do mixing").intent == "goto"
    assert r("let's do mixing").stage == "mixing"
    assert r("you choose", Context("composition", "melody", 0)).intent == "yes"
    assert r("export it to ~/songs").intent == "export"
    assert r("export it to ~/songs").path == "~/songs"


@pytest.mark.parametrize(
    ("text", "key"),
    [("A minor", ("A", "minor")), ("Am", ("A", "minor")), ("in F#", ("F#", "")),
     ("key of Bb", ("Bb", "")), ("c# phrygian", ("C#", "phrygian")),
     ("E flat major", ("Eb", "major")), ("D", ("D", "")), ("in D", ("D", ""))],
)
def test_keys(text: str, key: tuple[str, str]) -> None:
    assert find_key(text) == key


def test_lengths() -> None:
    assert find_length("about 3 minutes") == 180
    assert find_length("a minute and a half") == 90
    assert find_length("2:30") == 150


def test_every_reading_says_why() -> None:
    command = r("no drums", LINE_UP)
    assert "instruments" in command.why and "drums" in command.why


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gets_a_reading(text: str) -> None:
    command = r(text, OPTIONS)
    assert isinstance(command, Command)
    assert command.intent


def test_huge_and_hostile_text() -> None:
    assert r("a" * 100_000).intent
    assert r("\x1b[31mred\x1b[0m [bold]x[/bold] \x00").intent
