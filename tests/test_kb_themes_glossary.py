"""Themes and the glossary: the shipped entries are sane, cross-references resolve, and a
broken entry is named by file, id and field like the rest of the knowledge base."""

from __future__ import annotations

import re
import shutil
from functools import cache
from pathlib import Path

import pytest

from assistant import paths
from assistant.errors import KnowledgeError
from assistant.kb.loader import Knowledge, load_knowledge
from assistant.song import MODES

SHIPPED = paths.shipped_knowledge_dir()

# The ids the understanding corpus and the reader refer to: they must stay.
REQUIRED_THEMES = """grief memorial wedding first-dance proposal anniversary new-baby lullaby birthday
breakup-sad breakup-angry breakup-relieved falling-in-love crush unrequited-love missing-someone
long-distance moving-away homesickness friendship family parents faith protest night-drive summer
road-trip party workout study sleep christmas holidays new-year hometown growing-up graduation
childhood self-love overcoming mental-health loneliness city-life nature ocean rain winter autumn
spring travel freedom ambition hustle revenge betrayal jealousy regret forgiveness pets hope war
heroes sports new-beginnings""".split()

REQUIRED_TERMS = """lufs bpm tempo key mode scale chord progression cadence verse chorus pre-chorus
bridge hook intro outro riff motif melody harmony quantize velocity swing groove compression eq reverb
delay sidechain headroom true-peak stems daw midi mixing mastering limiter gain-staging clipping
dynamic-range lra panning stereo-width mono saturation distortion chorus-effect automation bus send
plugin sample-rate bit-depth latency buffer-size audio-interface condenser-mic dynamic-mic pop-filter
phantom-power preamp take comping punch-in overdub click-track count-in time-signature bar beat
downbeat syncopation arpeggio inversion voicing relative-minor major minor dorian mixolydian transpose
modulation borrowed-chord roman-numerals tonic dominant subdominant seventh-chord power-chord
sus-chord octave interval semitone pitch timbre frequency sub-bass 808 hi-hat snare kick fill drop
build-up breakdown reference-track normalization dithering fade noise-floor de-esser
high-pass-filter low-pass-filter attack release threshold ratio parallel-compression soundfont
synthesizer arrangement topline lyrics rhyme-scheme prosody demo bounce wav sample loop""".split()


@cache
def _kb() -> Knowledge:
    return load_knowledge([SHIPPED])


def _words(text: str) -> str:
    """Whole words on normalised lower-case text, as the reader matches cues."""
    text = re.sub(r"[-_/]+", " ", text.lower().replace("’", "'"))
    return " " + " ".join(re.sub(r"[^a-z0-9&'#+ ]+", " ", text).split()) + " "


def _themes_matching(text: str) -> set[str]:
    words = _words(text)
    return {t.id for t in _kb().themes if any(f" {cue} " in words for cue in t.cues)}


def test_the_promised_themes_and_terms_are_there() -> None:
    kb = _kb()
    themes = [t.id for t in kb.themes]
    assert len(themes) >= 60
    assert themes[: len(REQUIRED_THEMES)] == [f"theme.{name}" for name in REQUIRED_THEMES]
    terms = {t.id for t in kb.glossary}
    assert len(terms) >= 100
    assert {f"term.{name}" for name in REQUIRED_TERMS} <= terms
    assert kb.counts()["theme"] == len(themes) and kb.counts()["term"] == len(terms)


def test_every_theme_leans_somewhere_sensible() -> None:
    kb = _kb()
    moods = {m.id for m in kb.moods}
    genres = {g.id for g in kb.genres}
    for theme in kb.themes:
        assert set(theme.moods) <= moods and set(theme.avoid_moods) <= moods, theme.id
        assert not set(theme.moods) & set(theme.avoid_moods), theme.id
        assert set(theme.genres) <= genres and theme.genres, theme.id
        assert set(theme.modes) <= set(MODES), theme.id
        low, high = theme.tempo
        assert 40 <= low < high <= 200 and high - low >= 10, theme.id
        assert len(theme.cues) >= 15, theme.id
        assert 8 <= len(theme.images) <= 12, theme.id
        assert theme.tip.strip() and theme.why.strip(), theme.id
        first = kb.get(theme.moods[0])  # the leading mood's tempo and the theme's must meet
        assert low <= first.tempo[1] and high >= first.tempo[0], (theme.id, first.id)  # type: ignore[attr-defined]


def test_themes_lean_the_way_a_musician_would() -> None:
    kb = _kb()
    memorial = kb.get("theme.memorial")
    assert "mood.danceable" in memorial.avoid_moods and "mood.playful" in memorial.avoid_moods
    assert memorial.tempo[1] <= 90
    workout = kb.get("theme.workout")
    assert workout.tempo[0] >= 110 and "mood.energetic" in workout.moods[:2]
    lullaby = kb.get("theme.lullaby")
    assert lullaby.tempo[1] <= 90 and lullaby.meters[0] in ("6/8", "3/4") and lullaby.source
    assert "mood.energetic" in lullaby.avoid_moods


@pytest.mark.parametrize(("text", "theme"), [
    ("a song for my uncle's memorial", "theme.memorial"),
    ("my grandma passed away last week", "theme.grief"),
    ("for my sister's wedding", "theme.wedding"),
    ("we're getting married in june", "theme.wedding"),
    ("a song about moving to a new city and missing my friends", "theme.moving-away"),
    ("a song about moving to a new city and missing my friends", "theme.missing-someone"),
    ("song about my dog", "theme.pets"),
    ("something to sing my baby to sleep", "theme.lullaby"),
    ("she dumped me last night", "theme.breakup-sad"),
    ("a gym song to pump me up", "theme.workout"),
    ("it's about being homesick at college", "theme.homesickness"),
    ("a song for our first dance", "theme.first-dance"),
    ("driving at night with the city lights", "theme.night-drive"),
])
def test_beginners_words_reach_their_theme(text: str, theme: str) -> None:
    assert theme in _themes_matching(text)


def test_common_words_do_not_set_off_a_theme() -> None:
    for text in ("make it slower", "change the key to D", "start over", "what is a hook?",
                 "the drums are too loud in the mix", "add a choir", "play 2", "why 1",
                 "i want to make it more catchy"):
        assert not _themes_matching(text), text


def test_every_glossary_reference_resolves_and_aliases_are_unique() -> None:
    kb = _kb()
    terms = {t.id for t in kb.glossary}
    seen: dict[str, str] = {}
    for term in kb.glossary:
        assert set(term.see_also) <= terms and term.id not in term.see_also, term.id
        assert set(term.differs_from) <= terms, term.id
        assert term.see_also, term.id
        for word in {term.term.lower().replace("-", " "), *term.aliases}:
            assert seen.setdefault(word, term.id) == term.id, (word, term.id, seen[word])
        sentences = len(re.findall(r"[.!?](?:\s|$)", term.definition))
        assert 2 <= sentences <= 4, (term.id, sentences)


def test_the_common_confusions_are_explained_both_ways_or_one() -> None:
    kb = _kb()
    pairs = [("compression", "limiter"), ("reverb", "delay"), ("mixing", "mastering"),
             ("major", "minor"), ("tempo", "bpm"), ("key", "scale"), ("verse", "chorus"),
             ("eq", "compression"), ("condenser-mic", "dynamic-mic"),
             ("sample-rate", "bit-depth"), ("lufs", "dbfs")]
    for a, b in pairs:
        first, second = kb.get(f"term.{a}"), kb.get(f"term.{b}")
        assert (f"term.{b}" in first.differs_from  # type: ignore[attr-defined]
                or f"term.{a}" in second.differs_from), (a, b)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("words", "term", "idea"), [
    ("side chain", "term.sidechain", r"kick"),
    ("ducking", "term.sidechain", r"duck"),
    ("LUFS", "term.lufs", r"loud"),
    ("loudness units", "term.lufs", r"-14 LUFS"),
    ("equalizer", "term.eq", r"frequenc"),
    ("digital audio workstation", "term.daw", r"software"),
    ("dbtp", "term.true-peak", r"-1 dBTP"),
    ("compressor", "term.compression", r"threshold"),
    ("middle 8", "term.bridge", r"contrast"),
    ("autotune", "term.pitch-correction", r"pitch"),
    ("48v", "term.phantom-power", r"48"),
    ("Sample Rate", "term.sample-rate", r"44\.1 kHz"),
    ("relative minor", "term.relative-minor", r"same notes"),
])
def test_a_word_finds_its_term_and_the_definition_says_the_key_idea(
    words: str, term: str, idea: str
) -> None:
    found = _kb().find_term(words)
    assert found is not None and found.id == term, words
    assert re.search(idea, found.definition, re.IGNORECASE), (term, idea)


def test_outside_figures_come_with_a_source() -> None:
    kb = _kb()
    for name in ("lufs", "true-peak", "lra", "sample-rate", "bit-depth", "midi", "normalization",
                 "phantom-power"):
        assert kb.get(f"term.{name}").source.strip(), name
    for term in kb.glossary:
        if re.search(r"-\d+ LUFS|dBTP", term.definition):
            assert term.source.strip() or term.id in ("term.mastering", "term.limiter"), term.id


# --- broken entries are named by file, id and field ---

# The files a theme's references reach (moods, genres and what those name); the glossary
# refers only to itself. Copying just these keeps each broken-entry test well under 0.2 s.
THEME_FILES = ("themes.toml", "moods.toml", "genres.toml", "progressions.toml",
               "instruments.toml", "structures.toml", "curves.toml")


def _copy(tmp_path: Path, files: tuple[str, ...] = THEME_FILES) -> Path:
    folder = tmp_path / "kb"
    folder.mkdir(parents=True)
    for name in files:
        shutil.copy(SHIPPED / name, folder / name)
    return folder


def _break(folder: Path, filename: str, old: str, new: str) -> None:
    path = folder / filename
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _error(folder: Path) -> KnowledgeError:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge([folder])
    return caught.value


def test_a_theme_with_an_unknown_mood_is_named(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _break(folder, "themes.toml", 'moods = ["mood.romantic"', 'moods = ["mood.romantik"')
    error = _error(folder)
    assert error.file.endswith("themes.toml") and error.field == "moods"
    assert error.entry_id and error.entry_id.startswith("theme.")
    assert "mood.romantik" in str(error)


def test_a_theme_with_an_unknown_genre_or_a_bad_cue_is_named(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _break(folder, "themes.toml", 'genres = ["genre.ballad", "genre.folk", "genre.country", '
           '"genre.cinematic"]', 'genres = ["genre.hymn"]')
    error = _error(folder)
    assert (error.entry_id, error.field) == ("theme.memorial", "genres")

    folder = _copy(tmp_path / "again")
    _break(folder, "themes.toml", 'cues = ["memorial"', 'cues = ["Memorial!"')
    error = _error(folder)
    assert error.file.endswith("themes.toml")
    assert (error.entry_id, error.field) == ("theme.memorial", "cues")


def test_a_see_also_to_a_missing_term_is_named(tmp_path: Path) -> None:
    folder = _copy(tmp_path, ("glossary.toml",))
    _break(folder, "glossary.toml", 'see_also = ["term.true-peak"', 'see_also = ["term.nope"')
    error = _error(folder)
    assert error.file.endswith("glossary.toml")
    assert (error.entry_id, error.field) == ("term.lufs", "see_also")
    assert "term.nope" in str(error)


def test_an_alias_shared_by_two_terms_is_named(tmp_path: Path) -> None:
    folder = _copy(tmp_path, ("glossary.toml",))
    _break(folder, "glossary.toml", 'aliases = ["true peaks"', 'aliases = ["loudness units"')
    error = _error(folder)
    assert error.file.endswith("glossary.toml")
    assert (error.entry_id, error.field) == ("term.true-peak", "aliases")
    assert "term.lufs" in str(error)


def test_a_differs_from_to_a_missing_term_and_a_two_paragraph_definition_are_named(
    tmp_path: Path,
) -> None:
    folder = _copy(tmp_path, ("glossary.toml",))
    _break(folder, "glossary.toml", 'differs_from = { "term.true-peak"',
           'differs_from = { "term.true-peek"')
    error = _error(folder)
    assert (error.entry_id, error.field) == ("term.lufs", "differs_from")

    folder = _copy(tmp_path / "again", ("glossary.toml",))
    _break(folder, "glossary.toml", 'definition = "LUFS (Loudness', 'definition = "LUFS.\\n\\n(Loudness')
    error = _error(folder)
    assert (error.entry_id, error.field) == ("term.lufs", "definition")


# --- the glossary and the themes must not hide what the reader needs from a sentence ---

@pytest.mark.parametrize(("text", "kind", "value"), [
    ("play the chorus", "section", "chorus"),
    ("make the intro shorter", "section", "intro"),
    ("cut the bridge", "section", "bridge"),
    ("the drop needs more energy", "section", "drop"),
    ("not in a minor key", "mode", "minor"),
    ("something in a major key", "mode", "major"),
    ("add an 808 bass", "instrument", "inst.808"),
    ("add some jingle bells", "instrument", None),
    ("more bass drum", "instrument", None),
    ("let's work on the song structure", "stage", "arrangement"),
    ("make it like lofi beats", "genre", "genre.lo-fi"),
    ("add a synth pad", "instrument", None),
    ("the bass line is too busy", "role", "bass"),
    ("slow it down with some triplet hi hats", "instrument", None),
])
def test_a_longer_alias_or_cue_does_not_swallow_a_word_the_reader_needs(
    text: str, kind: str, value: str | None
) -> None:
    from assistant.understanding.lexicon import build
    from assistant.understanding.mentions import tag
    from assistant.understanding.text import normalise, tokens

    lex = build(_kb())
    found = tag(tokens(normalise(text)), lex)
    values = [m.value(kind) for m in found if m.has(kind)]
    assert values, (text, [(m.text, m.senses) for m in found])
    assert value is None or value in values, (text, values)


@pytest.mark.parametrize(("text", "not_theme"), [
    ("a song about high school", "theme.graduation"),
    ("boss battle music for my game", "theme.war"),
    ("a tribute to my teacher", "theme.memorial"),
    ("my mom has cancer and i want to write her a song", "theme.grief"),
    ("a love song for my baby", "theme.lullaby"),
    ("a song about my daughter growing up", "theme.new-baby"),
    ("my best friend lied to me", "theme.breakup-angry"),
    ("i have to say goodbye to my coworker", "theme.moving-away"),
    ("a song about rising up", "theme.protest"),
    ("music to help me go to sleep", "theme.lullaby"),
    ("my girlfriend lives in another country", "theme.falling-in-love"),
])
def test_a_life_event_is_only_read_from_words_about_that_event(text: str, not_theme: str) -> None:
    """The reader lets a life event (a funeral, a wedding, a birth...) outrank a subject, so an
    event's cues must not be everyday words that turn up in other stories."""
    assert not_theme not in _themes_matching(text)
