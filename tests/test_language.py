"""language.parse: free text -> intent and slots, with a small vocabulary built here."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.language import Parsed, Vocabulary, find_key, find_length, parse

VOCAB = Vocabulary.build(
    {
        "sad": "mood.sad", "melancholic": "mood.sad", "blue": "mood.sad",
        "hopeful": "mood.hopeful", "dark": "mood.dark", "danceable": "mood.danceable",
        "dance": "mood.danceable", "chill": "mood.chill", "dreamy": "mood.dreamy",
    },
    {"lo-fi": "genre.lo-fi", "lofi hip hop": "genre.lo-fi", "hip hop": "genre.hip-hop",
     "pop": "genre.pop", "synthwave": "genre.synthwave"},
)


def p(text: str) -> Parsed:
    return parse(text, VOCAB)


def test_several_moods_at_once_and_negation() -> None:
    assert p("dark but danceable").slots.moods == ("mood.dark", "mood.danceable")
    parsed = p("melancholic but hopeful, slow, like a night drive")
    assert parsed.intent == "answer"
    assert parsed.slots.moods == ("mood.sad", "mood.hopeful")
    assert parsed.slots.tempo_word == "slow"
    assert parsed.slots.references == ("night drive",)
    assert p("I don't like sad songs").slots.not_moods == ("mood.sad",)
    assert p("not fast but sad").slots.moods == ("mood.sad",)
    negated = p("not too sad, more chill")
    assert negated.slots.moods == ("mood.chill",)
    assert negated.slots.not_moods == ("mood.sad",)
    # light stemming: "sadness" is sad, "dreaminess" is not invented
    assert p("full of sadness").slots.moods == ("mood.sad",)


def test_genres_and_references() -> None:
    parsed = p("like a lo-fi study beat")
    assert parsed.slots.genre == "genre.lo-fi"
    assert parsed.slots.references == ("lo-fi study beat",)
    assert p("some lofi hip hop").slots.genre == "genre.lo-fi"
    assert p("in the style of Radiohead").slots.references == ("Radiohead",)
    assert p("I like sad songs").slots.references == ()  # "I like" is not a reference


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("A minor", ("A", "minor")), ("Am", ("A", "minor")), ("in F#", ("F#", "")),
        ("key of Bb", ("Bb", "")), ("c# phrygian", ("C#", "phrygian")),
        ("E flat major", ("Eb", "major")), ("F#m", ("F#", "minor")), ("D", ("D", "")),
        ("Cmaj", ("C", "major")),
        ("let's go with G dorian", ("G", "dorian")), ("in D", ("D", "")),
    ],
)
def test_keys(text: str, key: tuple[str, str]) -> None:
    assert find_key(text) == key


@pytest.mark.parametrize("text", ["A sad song", "a bit faster", "I am here", "in a minute"])
def test_articles_are_not_keys(text: str) -> None:
    assert find_key(text) is None


def test_mode_without_tonic() -> None:
    parsed = p("something in a minor key")
    assert parsed.slots.key is None and parsed.slots.mode == "minor"


@pytest.mark.parametrize(
    ("text", "slot", "value"),
    [
        ("90 bpm", "tempo", 90.0), ("at 120", "tempo", 120.0), ("tempo 72", "tempo", 72.0),
        ("slow", "tempo_word", "slow"), ("really slow", "tempo_word", "very slow"),
        ("upbeat", "tempo_word", "fast"), ("6/8", "meter", "6/8"), ("waltz", "meter", "3/4"),
        ("in 7/8", "meter", "7/8"), ("about 3 minutes", "length_s", 180),
        ("2:30", "length_s", 150), ("three and a half minutes", "length_s", 210),
        ("a minute and a half", "length_s", 90), ("90 seconds", "length_s", 90),
    ],
)
def test_tempo_meter_length(text: str, slot: str, value: object) -> None:
    assert getattr(p(text).slots, slot) == value


def test_a_minor_is_not_a_length() -> None:
    assert find_length("A minor") is None
    assert p("A minor").slots.length_s is None


@pytest.mark.parametrize(
    ("text", "number"),
    [("2", 2), ("the second one", 2), ("option 3", 3), ("#1", 1), ("I'll take 2", 2),
     ("number two", 2), ("the last one", -1), ("first", 1), ("let's go with 3", 3)],
)
def test_picks(text: str, number: int) -> None:
    parsed = p(text)
    assert parsed.intent == "pick" and parsed.number == number


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("more", "more"), ("something else", "more"), ("back", "back"), ("go back", "back"),
        ("skip", "skip"), ("not sure", "skip"), ("next", "next"), ("move on", "next"),
        ("undo", "undo"), ("help", "help"), ("?", "help"), ("status", "status"),
        ("show me the sheet", "status"), ("quit", "quit"), ("yes", "yes"), ("nope", "no"),
        ("", "empty"), ("   ", "empty"), ("Help!", "help"), ("more please", "more"),
        ("I don't like any of these", "more"), ("idk", "skip"), ("start over", "restart"),
        ("what do you suggest?", "suggest"), ("surprise me", "yes"), ("can we go back?", "back"),
        ("could you play 2?", "play"), ("can you play it?", "play"), ("please skip", "skip"),
    ],
)
def test_commands(text: str, intent: str) -> None:
    assert p(text).intent == intent


def test_why_and_play_with_numbers() -> None:
    assert (p("why 2").intent, p("why 2").number) == ("why", 2)
    assert (p("why the first one").intent, p("why the first one").number) == ("why", 1)
    assert (p("why?").intent, p("why?").number) == ("why", None)
    assert (p("play 2").intent, p("play 2").number) == ("play", 2)
    assert (p("play the second one").number, p("preview 3").number) == (2, 3)
    assert (p("play").intent, p("play").number) == ("play", None)
    assert p("play the chorus").stage == "chorus"


@pytest.mark.parametrize(
    ("text", "stage"),
    [("let's do mixing", "mixing"), ("go to arrangement", "arrangement"),
     ("mastering", "mixing"), ("back to composition", "composition"),
     ("let's talk about recording", "recording"), ("jump to editing", "editing"),
     ("take me to the mix", "mixing")],
)
def test_goto_stage(text: str, stage: str) -> None:
    parsed = p(text)
    assert parsed.intent == "goto" and parsed.stage == stage


def test_changes() -> None:
    key = p("change the key to D")
    assert key.intent == "change" and key.slots.key == ("D", "")
    assert p("make it faster").slots.tempo_delta == 10.0
    assert p("a bit faster").slots.tempo_delta == 6.0
    assert p("much slower").slots.tempo_delta == -20.0
    assert p("slow it down").slots.tempo_delta == -10.0
    assert p("transpose up 2").slots.transpose == 2
    assert p("transpose down a fifth").slots.transpose == -7
    assert p("transpose up a whole step").slots.transpose == 2
    assert p("set the tempo to 100").slots.tempo == 100.0
    assert p("make it 6/8").slots.meter == "6/8"
    assert p("make it longer").slots.length_delta == 30
    assert p("a bit shorter").slots.length_delta == -15
    titled = p("call it Night Drive")
    assert titled.intent == "change" and titled.slots.title == "Night Drive"


@pytest.mark.parametrize(
    ("text", "action", "section", "extra"),
    [
        ("add a pre-chorus", "add", "pre-chorus", None),
        ("add a pre chorus", "add", "pre-chorus", None),
        ("make the verse 16 bars", "bars", "verse", 16),
        ("verses should be 12 bars", "bars", "verse", 12),
        ("drop the bridge", "remove", "bridge", None),
        ("no bridge", "remove", "bridge", None),
        ("no drums in the intro", "mute", "intro", "drums"),
        ("take the bass out of the intro", "mute", "intro", "bass"),
        ("the outro without drums", "mute", "outro", "drums"),
        ("bring the drums back in the outro", "unmute", "outro", "drums"),
        ("add a solo after the bridge", "add", "solo", ("after", "bridge")),
        ("make the chorus bigger", "energy", "chorus", 1),
        ("louder chorus", "energy", "chorus", 1),
        ("make the intro shorter", "bars", "intro", None),
        ("add a drop", "add", "drop", None),
    ],
)
def test_arrangement_edits(text: str, action: str, section: str, extra: object) -> None:
    parsed = p(text)
    assert parsed.intent == "arrange", text
    edit = parsed.edits[0]
    assert (edit.action, edit.section) == (action, section)
    if action == "bars":
        assert edit.bars == extra and (extra is not None or edit.delta < 0)
    elif action in ("mute", "unmute"):
        assert edit.instrument == extra
    elif action == "energy":
        assert edit.delta == extra
    elif extra is not None:
        assert edit.where == extra


def test_questions() -> None:
    parsed = p("how loud should my vocals be?")
    assert parsed.intent == "question"
    assert p("what is sidechain compression").intent == "question"
    # "what about D minor?" is an answer, not a question for the tips
    assert p("what about D minor?").intent in ("answer", "change")


def test_paths_and_sources() -> None:
    parsed = p("here it is: ~/takes/vocal take 3.wav")
    assert parsed.slots.path == "~/takes/vocal take 3.wav"
    assert set(p("vocals and acoustic guitar").slots.sources) == {"vocals", "acoustic guitar"}


def test_nonsense_is_an_answer_with_no_slots() -> None:
    parsed = p("asdfgh qwrtz")
    assert parsed.intent == "answer" and not parsed.slots.any()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_parse_never_raises(text: str) -> None:
    parsed = parse(text, VOCAB)
    assert parsed.intent


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(
    ["play", "2", "the", "key", "to", "D", "minor", "bpm", "90", "add", "a", "bridge", "no",
     "drums", "in", "intro", "why", "make", "it", "faster", "transpose", "up", "6/8",
     "about", "3", "minutes", "sad", "lo-fi", "like", "?", "let's", "do", "mixing", "#"]),
    max_size=10))
def test_parse_never_raises_on_word_salad(words: list[str]) -> None:
    assert parse(" ".join(words), VOCAB).intent


@pytest.mark.parametrize(
    ("text", "action", "section", "instrument", "level", "delta"),
    [
        ("bring the bass down to 60% in the verse", "level", "verse", "bass", 0.6, 0),
        ("Bring the bass down to 60% in the verse.", "level", "verse", "bass", 0.6, 0),
        ("bass at 60% in the verses", "level", "verse", "bass", 0.6, 0),
        ("set the drums to 0.5 in the intro", "level", "intro", "drums", 0.5, 0),
        ("in the chorus, bring the pads up to 80%", "level", "chorus", "pad", 0.8, 0),
        ("turn the drums down in the verse", "level", "verse", "drums", None, -1),
        ("make the bass quieter in the chorus", "level", "chorus", "bass", None, -1),
        ("turn up the strings during the bridge", "level", "bridge", "pad", None, 1),
        ("duplicate the chorus", "duplicate", "chorus", None, None, 0),
        ("repeat the last chorus", "duplicate", "chorus", None, None, 0),
    ],
)
def test_level_and_duplicate_edits(text: str, action: str, section: str, instrument: str | None,
                                   level: float | None, delta: int) -> None:
    parsed = p(text)
    assert parsed.intent == "arrange", text
    edit = parsed.edits[0]
    assert (edit.action, edit.section, edit.instrument) == (action, section, instrument)
    assert edit.level == level and edit.delta == delta


def test_a_quantize_grid_is_not_a_meter() -> None:
    assert p("quantize 1/16 at 70%").slots.meter is None
    assert p("make it 6/8").slots.meter == "6/8"


@pytest.mark.parametrize(("text", "intent", "numbers"), [
    ("tick 2", "tick", (2,)), ("tick 1 and 3", "tick", (1, 3)), ("check off 4", "tick", (4,)),
    ("mark 2 as done", "tick", (2,)), ("tick 1, 2, 3", "tick", (1, 2, 3)),
    ("untick 2", "untick", (2,)), ("checklist", "checklist", ()), ("what's left", "checklist", ()),
])
def test_checklist_commands(text: str, intent: str, numbers: tuple[int, ...]) -> None:
    parsed = parse(text)
    assert parsed.intent == intent and parsed.numbers == numbers
