"""Issue 13: the full Billboard and POP909 folders, section labels, and a chorus or bridge
progression that follows the verse (knowledge/section_progressions.json)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.coach import Coach
from assistant.composition.chords import from_numeral
from assistant.composition.corpus import (
    load_pop909_song,
    parse_salami,
    section_kind,
    song_group,
)
from assistant.composition.moves import load_moves
from assistant.composition.nextchord import default_path as next_chord_path
from assistant.composition.nextchord import load_model as next_chord_load_model
from assistant.composition.nextchord_train import song_fold
from assistant.composition.sections import (
    RULES,
    SectionModel,
    count_sections,
    default_path,
    load_sections,
    plan_sections,
    suggest_section,
)
from assistant.errors import KnowledgeError
from assistant.kb.loader import Knowledge, knowledge
from assistant.render.arrange import arrange

SALAMI = """# title: Test Song
# artist: The Testers
# metre: 4/4
# tonic: C

0.0\tsilence
0.5\tA, intro, | C:maj | G:maj |
4.0\tB, verse, | C:maj | . | A:min | F:maj |, (voice
8.0\t| C:maj G:maj | N | F:maj |, x2
16.0\tC, chorus, | F:maj | G:maj | C:maj | C:maj |
# tonic: D
20.0\tD, bridge, | E:min7 | A:7 | D:maj | &pause |
24.0\tZ, fadeout, | D:maj |
26.0\tsilence
27.0\tend
"""


def _numerals(chords: list) -> str:  # type: ignore[type-arg]
    return " ".join(c.numeral for c in chords)


def test_salami_files_give_chords_sections_and_tonic_changes() -> None:
    song = parse_salami(SALAMI, "0001")
    assert (song.title, song.artist, song.id) == ("Test Song", "The Testers", "billboard:0001")
    # '.' repeats, N and &pause are skipped, x2 repeats the line, repeats collapse,
    # the second tonic (D) renumbers the bridge: E:min7 in D is ii
    assert _numerals(song.chords) == "I V I vi IV I V IV I V IV V I ii V I"
    assert [k for k, _c in song.parts] == ["intro", "verse", "chorus", "bridge", "outro"]
    assert _numerals(song.parts[2][1]) == "IV V I"
    assert _numerals(song.parts[3][1]) == "ii V I"
    starts = [i for i, s in enumerate(song.starts) if s]
    assert [song.sections[i] for i in starts] == ["intro", "verse", "chorus", "bridge"]
    assert section_kind("pre-chorus two") == "pre-chorus" and section_kind("noise") is None


def test_billboard_songs_split_by_title_and_artist_not_by_file() -> None:
    a = parse_salami(SALAMI, "0001")
    b = parse_salami(SALAMI.replace("Test Song", "TEST SONG"), "0777")
    assert a.group() == b.group() == song_group("test song", "the testers")
    assert song_fold(a, 5) == song_fold(b, 5)  # never one copy training, one scored


def test_pop909_folders_read_with_their_local_key(tmp_path: Path) -> None:
    folder = tmp_path / "001"
    folder.mkdir()
    (folder / "chord_midi.txt").write_text(
        "0.0\t1.0\tN\n1.0\t2.0\tA:min\n2.0\t3.0\tF:maj\n3.0\t4.0\tF:maj\n4.0\t5.0\tG:maj\n"
        "5.0\t6.0\tD:maj\n")
    (folder / "key_audio.txt").write_text("0.5\t4.5\tA:min\n4.5\t9.0\tD:maj\n")
    song = load_pop909_song(folder)
    assert _numerals(song.chords) == "i bVI bVII I"
    assert song.minor == [True, True, True, False]


def _song(parts: list[tuple[str, str]]) -> object:
    text = "# title: T\n# artist: A\n# tonic: C\n"
    for n, (kind, chords) in enumerate(parts):
        bars = " | ".join(chords.split())
        text += f"{n}.0\t{chr(65 + n)}, {kind}, | {bars} |\n"
    return parse_salami(text, f"{len(parts):04d}")


def test_section_statistics_suggest_a_chorus_that_follows_the_verse() -> None:
    songs = [_song([("verse", "C:maj A:min F:maj G:maj"), ("chorus", "F:maj C:maj G:maj A:min")]),
             _song([("verse", "C:maj F:maj C:maj G:maj"), ("chorus", "F:maj C:maj G:maj A:min")]),
             _song([("verse", "C:maj A:min F:maj G:maj"), ("chorus", "C:maj A:min F:maj G:maj")]),
             _song([("verse", "C:maj G:maj"), ("chorus", "A:min F:maj C:maj G:maj")])]
    tables = count_sections(songs)
    assert tables["follows"]["major"]["verse"]["chorus"] == 4
    assert tables["first_chord"]["major"]["verse>chorus"]["V"] == {"IV": 2, "I": 1, "vi": 1}
    assert tables["same_as_verse"]["chorus"] == {"same": 1, "songs": 4}
    model = SectionModel({"format": 1, **tables})
    verse = [from_numeral(n) for n in "I vi IV V".split()]
    ideas = model.suggest(verse, "chorus", minor=False)
    assert ideas[0].numerals == ("IV", "I", "V", "vi")  # the common chorus, its usual start
    assert all(i.numerals != ("I", "vi", "IV", "V") for i in ideas)  # never the verse again
    # the same loop started elsewhere is the verse again too
    assert not model.suggest([from_numeral(n) for n in "I V vi IV".split()], "chorus",
                             minor=False)
    assert "opens 2 choruses" in ideas[0].why and "50% of choruses start on IV" in ideas[0].why
    assert set(ideas[0].rule_ids) <= {r["id"] for r in RULES}


def test_the_shipped_section_knowledge_carries_its_source_and_suggests() -> None:
    data = json.loads(default_path().read_text(encoding="utf-8"))
    assert data["sources"][0]["corpus"] == "billboard" and "CC0" in data["sources"][0]["licence"]
    assert data["sources"][0]["songs"] > 800
    assert {r["id"] for r in data["rules"]} == {r["id"] for r in RULES}
    for verse, mode in ((["I", "V", "vi", "IV"], "major"), (["i", "bVI", "bIII", "bVII"], "minor")):
        for kind in ("chorus", "bridge", "pre-chorus"):
            ideas = suggest_section(verse, kind, mode, top=3)
            assert len(ideas) == 3, (verse, kind)
            rotations = {tuple(verse[i:] + verse[:i]) for i in range(4)}
            assert not any(i.numerals in rotations for i in ideas)
            assert all("Billboard" in i.why and i.rule_ids for i in ideas)


def test_plan_fills_chorus_and_bridge_keeps_the_verse_and_the_users_pick() -> None:
    sections = [{"name": n, "bars": 8} for n in ("intro", "verse", "chorus", "verse", "chorus",
                                                  "bridge", "chorus")]
    made = plan_sections(sections, ["I", "V", "vi", "IV"], "major",
                         chosen={"chorus": ["IV", "I", "V", "vi"]})
    assert [kind for kind, _s in made] == ["bridge"]
    assert all(s["progression"] == ["IV", "I", "V", "vi"] for s in sections
               if s["name"] == "chorus")
    assert "progression" not in sections[1] and "progression" not in sections[0]
    bridge = sections[5]["progression"]
    assert bridge and bridge != ["IV", "I", "V", "vi"] and bridge != ["I", "V", "vi", "IV"]


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return knowledge()


def _composed(kb: Knowledge, vibe: str) -> Coach:
    """A chat that has picked the first vibe and the first progression for `vibe`."""
    coach = Coach(knowledge=kb, seed=0)
    coach.start()
    coach.handle(vibe)
    coach.handle("1")
    coach.handle("1")  # Composition: the first progression
    assert coach.song.progression
    return coach


def test_arrangement_gives_the_chorus_its_own_progression_and_the_demo_plays_it(
        kb: Knowledge) -> None:
    coach = _composed(kb, "happy pop song in C major")
    coach.handle("let's do arrangement")
    coach.handle("about 3 minutes")
    reply = coach.handle("1")
    assert coach.last_error is None
    song = coach.song
    verse = next(s for s in song.sections if s.name == "verse")
    chorus = next(s for s in song.sections if s.name == "chorus")
    assert not verse.progression and chorus.progression
    assert chorus.progression != song.progression[:len(chorus.progression)]
    made = [d for d in song.decisions if d.field == "chorus progression"]
    assert made and made[0].rule_ids and "Billboard" in made[0].why
    assert "Chorus" in reply.text or any("Chorus" in d.why for d in song.decisions)
    # the rendered demo: the chorus's chords are not the verse's
    arrangement = arrange(song, demo=True, kb=kb)
    spans = {s.name: s for s in arrangement.sections}
    chords = next(t for t in arrangement.tracks if t.role == "chords")

    def pitch_classes(span: object) -> list[frozenset[int]]:
        start, beats = span.start, arrangement.bar_beats  # type: ignore[attr-defined]
        out = []
        for bar in range(4):
            lo, hi = start + bar * beats, start + (bar + 1) * beats
            out.append(frozenset(n.pitch % 12 for n in chords.notes if lo <= n.start < hi))
        return out

    assert pitch_classes(spans["verse"]) != pitch_classes(spans["chorus"])


def test_chat_offers_chorus_chords_after_the_verse(kb: Knowledge) -> None:
    coach = _composed(kb, "sad slow song in A minor")
    reply = coach.handle("chords for the chorus")
    assert coach.last_error is None
    assert reply.text.startswith("A chorus after your verse"), reply.text
    assert len(reply.options) == 3 and all(o.rule_ids and o.why for o in reply.options)
    picked = reply.options[1]
    assert "`section.opening`" in coach.handle("why 2").text  # the rule ids are shown
    coach.handle("2")
    kept = [d for d in coach.song.decisions if d.field == "chorus progression"]
    assert kept and kept[-1].value in picked.label


def test_the_model_file_says_it_came_from_the_full_folders() -> None:
    data = json.loads(next_chord_path().read_text(encoding="utf-8"))
    songs = {s["corpus"]: s["songs"] for s in data["sources"]}
    assert songs["billboard"] > 800 and songs["pop909"] == 909
    assert load_sections() is load_sections()  # read once per process


def test_the_parsed_model_is_cached_and_a_changed_file_is_read_again(tmp_path: Path) -> None:
    from assistant.composition import nextchord

    path = tmp_path / "next_chord.json"
    data = json.loads(next_chord_path().read_text(encoding="utf-8"))
    path.write_text(json.dumps(data), encoding="utf-8")
    first = nextchord.load_model(path)
    assert nextchord._cache_file(path).is_file()  # written in the test's own cache folder
    assert nextchord._read_cached(path) == data
    data["weights"]["long"][0] = 9.5
    path.write_text(json.dumps(data), encoding="utf-8")
    nextchord._load.cache_clear()
    assert nextchord._read_cached(path) is None  # stale: the file changed
    assert nextchord.load_model(path).weights["long"][0] == 9.5 != first.weights["long"][0]
    nextchord._load.cache_clear()


@pytest.mark.parametrize("question", ["what chords should the bridge have?",
                                      "which progression would work for the bridge"])
def test_asked_in_arrangement_the_bridge_gets_chords_not_a_definition(kb: Knowledge,
                                                                       question: str) -> None:
    coach = Coach(knowledge=kb, seed=0)
    coach.start()
    for text in ("happy pop song", "1", "1", "next"):
        coach.handle(text)
    assert coach.stage == "arrangement"
    reply = coach.handle(question)
    assert reply.text.startswith("A bridge after your verse"), reply.text
    assert len(reply.options) == 3 and all(o.label.startswith("Bridge: ") for o in reply.options)


@pytest.mark.parametrize("load", [load_sections, next_chord_load_model])
@pytest.mark.parametrize(("content", "problem"), [
    (None, "cannot read"), ("{not json", "not valid JSON"), ("[1, 2]", "not a ")])
def test_a_missing_or_damaged_model_file_is_one_clear_error_naming_it(
        tmp_path: Path, load: Callable[[Path], object], content: str | None,
        problem: str) -> None:
    path = tmp_path / "built_model.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load(path)
    message = str(caught.value)
    assert message.startswith("built_model.json") and problem in message
    assert "\n" not in message
    if content is None:
        assert "tools/build_next_chord.py" in message  # how to get it back


def test_a_damaged_cache_is_read_past_and_written_again_whole(tmp_path: Path) -> None:
    from assistant.composition import moves as moves_module
    from assistant.composition import nextchord

    path = tmp_path / "next_chord.json"
    data = json.loads(next_chord_path().read_text(encoding="utf-8"))
    path.write_text(json.dumps(data), encoding="utf-8")
    first = nextchord.load_model(path)
    moves_module._BY_STAMP.clear()
    rules = load_moves()
    for cache in (nextchord._cache_file(path), moves_module._slice_path()):
        blob = cache.read_bytes()
        cache.write_bytes(blob[:len(blob) // 2])  # the stamp line intact, the data cut short
    nextchord._load.cache_clear()
    moves_module._BY_STAMP.clear()
    assert nextchord._read_cached(path) is None
    assert nextchord.load_model(path).weights == first.weights
    assert nextchord._read_cached(path) == data  # rewritten whole
    assert load_moves() == rules
    moves_module._BY_STAMP.clear()
    with pytest.MonkeyPatch.context() as patch:  # the slice is whole again: nothing validated
        patch.setattr("assistant.kb.loader.knowledge", lambda: pytest.fail("validated again"))
        assert load_moves() == rules
    nextchord._load.cache_clear()


@pytest.mark.parametrize(("verse", "mode"), [(["IV", "i"], "dorian"), (["I", "V"], "major"),
                                             (["vi", "IV", "I", "V"], "major")])
def test_a_chorus_is_never_the_verse_loop_turned_or_repeated(verse: list[str], mode: str) -> None:
    """A two-chord verse IV–i used to get the chorus i–IV–i–IV: the same loop started on its
    other chord. Loops are compared by their shortest repeating cycle, in every rotation."""
    from assistant.composition.sections import suggest_section

    def turns(chords: list[str]) -> set[tuple[str, ...]]:
        return {tuple(chords[i:] + chords[:i]) for i in range(len(chords))}

    own = turns(verse)
    for idea in suggest_section(verse, "chorus", mode, top=5):
        numerals = list(idea.numerals)
        half = numerals[:len(numerals) // 2]
        loop = half if numerals == half * 2 else numerals
        assert tuple(loop) not in own, (verse, idea.numerals)
