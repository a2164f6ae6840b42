"""The knowledge base: the shipped files validate; broken ones give file + id + field."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from assistant import paths
from assistant.errors import KnowledgeError
from assistant.kb.index import search_tips
from assistant.kb.loader import knowledge, load_knowledge

SHIPPED = paths.shipped_knowledge_dir()


def test_shipped_knowledge_has_the_promised_counts() -> None:
    kb = load_knowledge([SHIPPED])
    counts = kb.counts()
    assert counts["mood"] >= 16
    assert counts["genre"] >= 12
    assert counts["progression"] >= 50
    assert counts["structure"] >= 10
    assert {s.stage for s in kb.stages} == {
        "conception", "composition", "arrangement", "recording", "editing", "mixing"
    }
    for stage in ("recording", "editing"):
        assert len([t for t in kb.tips if t.stage == stage]) >= 12
    mixing = [t for t in kb.tips if t.stage == "mixing"]
    assert len([t for t in mixing if "mastering" in t.tags]) >= 12
    assert len([t for t in mixing if "mastering" not in t.tags]) >= 12


def test_every_entry_explains_itself_and_outside_facts_have_sources() -> None:
    kb = load_knowledge([SHIPPED])
    for table in kb.entries.values():
        for entry in table.values():
            assert entry.why.strip(), entry.id
    for entry in (*kb.genres, *kb.targets, *kb.curves):
        assert entry.source.strip(), entry.id


def test_synonyms_reach_their_mood() -> None:
    kb = knowledge()
    for word in ("melancholic", "blue", "heartbroken"):
        mood = kb.find_mood(word)
        assert mood is not None and mood.name == "sad", word


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(SHIPPED, target)
    return target


def _break(folder: Path, filename: str, pattern: str, new: str) -> None:
    path = folder / filename
    text, count = re.subn(pattern, new, path.read_text(), count=1, flags=re.MULTILINE)
    assert count == 1
    path.write_text(text)


def test_a_broken_entry_names_file_id_and_field(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    mood = load_knowledge([SHIPPED]).moods[0]
    origin = load_knowledge([SHIPPED]).origin[mood.id].name
    text = (folder / origin).read_text()
    # give the first mood a tempo range that runs backwards
    start = text.index(f'id = "{mood.id}"')
    tempo_at = text.index("tempo", start)
    line_end = text.index("\n", tempo_at)
    text = text[:tempo_at] + "tempo = [150, 60]" + text[line_end:]
    (folder / origin).write_text(text)
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge([folder])
    error = caught.value
    assert error.file.endswith(origin)
    assert error.entry_id == mood.id
    assert error.field == "tempo"


def test_unknown_field_and_bad_reference_are_named(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "extra.toml").write_text(
        '[[tip]]\nid = "tip.mixing.mine"\nstage = "mixing"\ntitle = "t"\ntext = "x"\n'
        'why = "because"\ncolour = "red"\n'
    )
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge([SHIPPED, folder])
    assert caught.value.entry_id == "tip.mixing.mine"
    assert caught.value.field == "colour"

    (folder / "extra.toml").write_text(
        '[[mood]]\nid = "mood.custom"\nname = "custom"\nmodes = ["minor"]\ntempo = [60, 80]\n'
        'energy = 2\nvalence = -0.5\nwhy = "mine"\nprogressions = ["prog.does-not-exist"]\n'
    )
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge([SHIPPED, folder])
    assert (caught.value.entry_id, caught.value.field) == ("mood.custom", "progressions")


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "bad.toml").write_text("[[mood]\nid = ")
    with pytest.raises(KnowledgeError, match="bad.toml"):
        load_knowledge([folder])


def test_user_files_override_shipped_entries_by_id(
    coach_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = paths.config_dir() / "knowledge"
    user.mkdir(parents=True)
    sad = knowledge().find_mood("sad")
    assert sad is not None
    (user / "mine.toml").write_text(
        f'[[mood]]\nid = "{sad.id}"\nname = "sad"\nsynonyms = ["gutted"]\nmodes = ["phrygian"]\n'
        'tempo = [50, 70]\nenergy = 1\nvalence = -0.9\nwhy = "my own take on sad"\n'
    )
    kb = knowledge()
    mood = kb.find_mood("gutted")
    assert mood is not None and mood.modes == ("phrygian",) and mood.why == "my own take on sad"
    # $COACH_KNOWLEDGE folders load last
    extra = coach_home / "extra"
    extra.mkdir()
    (extra / "x.toml").write_text(
        f'[[mood]]\nid = "{sad.id}"\nname = "sad"\nmodes = ["dorian"]\ntempo = [50, 70]\n'
        'energy = 1\nvalence = -0.9\nwhy = "from COACH_KNOWLEDGE"\n'
    )
    monkeypatch.setenv("COACH_KNOWLEDGE", str(extra))
    assert knowledge().get(sad.id).why == "from COACH_KNOWLEDGE"


def test_tip_search_uses_stemming_and_survives_any_text() -> None:
    tips = search_tips("how loud should my vocals be?")
    assert tips, "a vocal-level tip should answer this"
    assert any("vocal" in (t.title + t.text).lower() for t in tips)
    assert search_tips("compress")  # porter: compress -> compression
    for nasty in ('"', "AND OR NOT", "*", "(", "NEAR(", "", "???", "drop table tips;"):
        search_tips(nasty)  # never raises


def test_index_is_rebuilt_when_a_knowledge_file_changes(
    coach_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = coach_home / "extra"
    extra.mkdir()
    monkeypatch.setenv("COACH_KNOWLEDGE", str(extra))
    assert not search_tips("zanzibarquux")
    (extra / "t.toml").write_text(
        '[[tip]]\nid = "tip.mixing.zanzibar"\nstage = "mixing"\ntitle = "Zanzibarquux"\n'
        'text = "a very rare word"\nwhy = "test"\n'
    )
    assert [t.id for t in search_tips("zanzibarquux")] == ["tip.mixing.zanzibar"]


def test_kb_cli(coach_cli, tmp_path: Path) -> None:
    ok = coach_cli("kb", "check")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("ok:")
    folder = _copy(tmp_path)
    _break(folder, "targets.toml", r"^lufs\s*=\s*-14(\.0)?\s*$", 'lufs = "loud"')
    bad = coach_cli("kb", "check", str(folder))
    assert bad.returncode == 2
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in bad.stderr
    assert "targets.toml" in lines[0] and "target." in lines[0] and "'lufs'" in lines[0]
    stats = coach_cli("kb", "stats", "--json")
    assert stats.returncode == 0 and '"mood"' in stats.stdout
    found = coach_cli("kb", "search", "vocal", "level")
    assert found.returncode == 0 and "why:" in found.stdout


def test_kb_check_of_a_missing_folder_is_one_line(coach_cli, tmp_path: Path) -> None:
    result = coach_cli("kb", "check", str(tmp_path / "nowhere"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "nowhere" in lines[0]


def test_every_stage_has_tips_to_answer_questions() -> None:
    kb = load_knowledge([SHIPPED])
    for stage in ("conception", "composition", "arrangement", "recording", "editing", "mixing"):
        assert len([t for t in kb.tips if t.stage == stage]) >= 4, stage


@pytest.mark.parametrize(("question", "expected"), [
    ("what is a bridge?", "tip.composition.bridge"),
    ("how do I write a catchy hook?", "tip.composition.hook"),
    ("what's a pre-chorus", "tip.composition.pre-chorus"),
    ("which key should I sing in", "tip.conception.key-for-voice"),
    ("how do I make the last chorus bigger", "tip.arrangement.final-chorus"),
    ("should I use reverb on vocals", "tip.mixing.reverb-delay"),
    ("how do I record vocals", "tip.recording.vocal-mic-distance"),
])
def test_tip_search_answers_the_topic_first(question: str, expected: str) -> None:
    assert search_tips(question, limit=2)[0].id == expected


def test_one_common_word_in_a_tips_body_is_not_an_answer() -> None:
    # "write" and "after" sit in the bodies of mixing tips; neither is what this asks about
    assert search_tips("what comes after Am F?") == []
    assert all(t.stage != "mixing" for t in search_tips("how do I write a catchy hook?"))


def test_tip_search_prefers_the_stage_the_user_is_in() -> None:
    # both a Conception and a Mixing tip are about reference tracks
    assert search_tips("reference tracks", limit=1, prefer="conception")[0].stage == "conception"
    assert search_tips("reference tracks", limit=1, prefer="mixing")[0].stage == "mixing"
    assert {t.stage for t in search_tips("reference tracks", stage="mixing")} == {"mixing"}


def test_a_checklist_tick_rule_must_name_an_item_and_a_decision_field(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "stages.toml"
    text = path.read_text()
    broken = text.replace('ticked_by = { 1 = ["key"]', 'ticked_by = { 1 = ["keys"]', 1)
    assert broken != text
    path.write_text(broken)
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge([folder])
    assert caught.value.file.endswith("stages.toml")
    assert (caught.value.entry_id, caught.value.field) == ("stage.composition", "ticked_by")
    assert "'keys'" in str(caught.value)
    path.write_text(text.replace('ticked_by = { 1 = ["key"]', 'ticked_by = { 9 = ["key"]', 1))
    with pytest.raises(KnowledgeError, match="item 9 is not on the checklist"):
        load_knowledge([folder])


def test_every_decision_the_coach_makes_is_a_known_field() -> None:
    """Checklists tick themselves by decision field: the names must not drift apart."""
    import assistant
    from assistant.song import DECISION_FIELDS

    used = set()
    for path in Path(assistant.__file__).parent.rglob("*.py"):
        used |= set(re.findall(r'decision\(\s*"([^"]+)"', path.read_text()))
    assert used and used <= DECISION_FIELDS, sorted(used - DECISION_FIELDS)
    kb = load_knowledge([SHIPPED])
    assert all(stage.ticked_by for stage in kb.stages)


def test_the_parsed_knowledge_is_cached_on_disk_until_a_file_changes(
    coach_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.kb import loader

    extra = coach_home / "extra"
    extra.mkdir()
    tip = extra / "t.toml"
    tip.write_text('[[tip]]\nid = "tip.mixing.cached"\nstage = "mixing"\ntitle = "Cached"\n'
                   'text = "one"\nwhy = "test"\n')
    monkeypatch.setenv("COACH_KNOWLEDGE", str(extra))

    def key() -> tuple[tuple[str, float, int], ...]:
        return tuple((str(f), f.stat().st_mtime, f.stat().st_size)
                     for f in loader.knowledge_files(loader.default_dirs()))

    first = loader._cached.__wrapped__(key())
    assert loader.cache_path().is_file()

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(loader, "load_knowledge", no_parsing)
    again = loader._cached.__wrapped__(key())  # from the pickle: nothing parsed
    assert again.counts() == first.counts() and again.get("tip.mixing.cached").text == "one"

    tip.write_text(tip.read_text().replace('"one"', '"two, longer"'))
    with pytest.raises(AssertionError, match="parsed again"):  # a changed file is read again
        loader._cached.__wrapped__(key())
    monkeypatch.undo()
    monkeypatch.setenv("COACH_KNOWLEDGE", str(extra))
    assert loader._cached.__wrapped__(key()).get("tip.mixing.cached").text == "two, longer"

    loader.cache_path().write_bytes(b"not a pickle")  # a damaged cache is just parsed over
    assert loader._cached.__wrapped__(key()).get("tip.mixing.cached").text == "two, longer"
    tip.write_text('[[tip]]\nid = "tip.mixing.cached"\nstage = "nowhere"\n')
    with pytest.raises(KnowledgeError):  # and a broken file is never hidden by the cache
        loader._cached.__wrapped__(key())


def test_a_cache_that_cannot_be_written_does_not_stop_the_knowledge_loading(
    coach_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant import fileio
    from assistant.errors import FileProblem
    from assistant.kb import loader

    def refuse(path: Path, data: bytes) -> Path:
        raise FileProblem(f"cannot write {path}: read-only file system")

    monkeypatch.setattr(fileio, "write_bytes", refuse)
    key = tuple((str(f), f.stat().st_mtime, f.stat().st_size)
                for f in loader.knowledge_files(loader.default_dirs()))
    kb = loader._cached.__wrapped__(key)
    assert kb.counts()["tip"] >= 60 and not loader.cache_path().exists()
