"""The rule engine and `coach suggest`, in text and JSON, and its bad input."""

from __future__ import annotations

import json

import pytest

from assistant import theory
from assistant.errors import BadInput
from assistant.kb.loader import knowledge
from assistant.rules import read_mood_text, song_from_options, suggest

MINORISH = {"minor", "dorian", "phrygian", "locrian"}
BRIGHT = {"major", "lydian", "mixolydian"}


def test_sad_and_slow_gives_a_minor_key_and_a_slow_tempo() -> None:
    found = suggest("sad and slow")
    assert found.keys[0].mode in MINORISH
    assert found.tempo.bpm < 100
    assert "sad" in found.moods


def test_cheerful_gives_a_bright_key_and_at_least_100_bpm() -> None:
    found = suggest("cheerful")
    assert found.keys[0].mode in BRIGHT
    assert found.tempo.bpm >= 100


def test_every_suggestion_carries_rules_and_why() -> None:
    found = suggest("melancholic but hopeful, like a night drive", genre="pop")
    assert len(found.progressions) >= 3
    for item in (*found.keys, *found.progressions, found.tempo, found.structure):
        assert item.why.strip()
    for prog in found.progressions:
        assert prog.rule_ids and prog.rule_ids[0] == prog.id
        key = theory.parse_key(found.keys[0].name)
        assert list(prog.symbols) == [theory.numeral_to_symbol(n, key) for n in prog.numerals]
    assert found.structure.sections and all(s["bars"] for s in found.structure.sections)


def test_several_moods_at_once_and_synonyms() -> None:
    reading = read_mood_text("dark but danceable, heartbroken")
    names = {m.name for m in reading.moods}
    assert "sad" in names and len(names) >= 3
    assert not reading.unknown_words


def test_given_key_tempo_and_meter_are_respected() -> None:
    found = suggest("cheerful", key="D dorian", tempo=77, meter="6/8")
    assert found.keys[0].name == "D dorian"
    assert found.tempo.bpm == 77
    assert found.meter == "6/8"
    # progressions fit the given mode, written in the given key
    assert found.progressions and all(p.symbols for p in found.progressions)


def test_same_seed_same_answer_and_seeds_vary() -> None:
    a = suggest("dreamy", seed=3).to_json()
    assert a == suggest("dreamy", seed=3).to_json()
    answers = {json.dumps(suggest("dreamy", seed=s).to_json(), sort_keys=True) for s in range(6)}
    assert len(answers) > 1


def test_genre_shapes_tempo_and_structure() -> None:
    kb = knowledge()
    genre = kb.find_genre("lo-fi") or kb.genres[0]
    found = suggest(None, genre=genre.name)
    low, high = genre.tempo
    assert low <= found.tempo.bpm <= high
    assert found.structure.id == genre.structures[0]
    assert genre.id in found.structure.rule_ids


def test_unknown_words_are_reported_not_fatal_when_something_matched() -> None:
    found = suggest("sad flibbertigibbet")
    assert "flibbertigibbet" in found.unknown_words
    assert any("flibbertigibbet" in note for note in found.notes)


@pytest.mark.parametrize(
    "kwargs, token",
    [
        ({"mood_text": "zzxq qqxz"}, "zzxq"),
        ({"mood_text": "sad", "key": "H minor"}, "H minor"),
        ({"mood_text": "sad", "tempo": 0}, "0"),
        ({"mood_text": "sad", "tempo": 900}, "900"),
        ({"mood_text": "sad", "genre": "polka-core"}, "polka-core"),
        ({"mood_text": "sad", "meter": "4/5"}, "4/5"),
    ],
)
def test_bad_input_names_the_token(kwargs: dict, token: str) -> None:
    with pytest.raises(BadInput, match=token):
        suggest(**kwargs)


def test_song_from_options_is_a_complete_sheet() -> None:
    song = song_from_options(mood="sad", genre="pop", seed=1)
    assert song.key is not None and song.tempo and song.progression
    assert song.sections and song.total_bars >= 16
    roles = {inst.role for inst in song.instrumentation}
    assert {"bass", "drums"} <= roles and roles & {"chords", "pad"}


def test_cli_json_contract(coach_cli) -> None:
    result = coach_cli("suggest", "--mood", "sad and slow", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["keys"][0]["mode"] in MINORISH
    assert data["tempo"]["bpm"] < 100
    for key in data["keys"]:
        assert {"tonic", "mode", "name", "why"} <= key.keys() and key["why"]
    assert {"bpm", "range", "why"} <= data["tempo"].keys() and data["tempo"]["why"]
    assert data["meter"] and data["meter_why"]
    assert len(data["progressions"]) >= 3
    for prog in data["progressions"]:
        assert {"numerals", "symbols", "name", "why"} <= prog.keys() and prog["why"]
    assert {"name", "sections", "why"} <= data["structure"].keys()
    assert all({"name", "bars"} <= s.keys() for s in data["structure"]["sections"])
    cheerful = json.loads(coach_cli("suggest", "--mood", "cheerful", "--json").stdout)
    assert cheerful["keys"][0]["mode"] in BRIGHT and cheerful["tempo"]["bpm"] >= 100


def test_cli_text_output_is_readable(coach_cli) -> None:
    result = coach_cli("suggest", "--mood", "sad", "--key", "Am")
    assert result.returncode == 0, result.stderr
    assert "A minor" in result.stdout and "why:" in result.stdout


@pytest.mark.parametrize(
    "args, token",
    [
        (["--key", "H minor"], "H minor"),
        (["--mood", "qwzx"], "qwzx"),
        (["--tempo", "0"], "0"),
        (["--tempo", "900"], "900"),
        (["--tempo", "fast-ish"], "fast-ish"),
        (["--meter", "9/7"], "9/7"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(coach_cli, args: list[str], token: str) -> None:
    result = coach_cli("suggest", *args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and token in lines[0]


def test_cli_broken_user_knowledge_is_one_line(coach_cli, coach_home) -> None:
    user = coach_home / "config" / "knowledge"
    user.mkdir(parents=True)
    (user / "broken.toml").write_text("[[genre]]\nid = 'genre.x'\nwhy = 'y'\n")
    result = coach_cli("suggest", "--mood", "sad")
    assert result.returncode == 2
    assert "broken.toml" in result.stderr and "genre.x" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [["suggest", "--bogus"], ["no-such-command"], ["suggest", "--seed", "x"]])
def test_usage_errors_are_one_line_exit_2(coach_cli, args: list[str]) -> None:
    result = coach_cli(*args)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("coach: error:")
