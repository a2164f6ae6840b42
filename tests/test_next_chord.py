"""Next-chord suggestions: the model, the rules, the song's own history, the command line."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import paths, theory
from assistant.composition.chords import (
    ALL_CLASSES,
    ChordClass,
    class_numeral,
    display_numeral,
    from_numeral,
    parse_chord,
)
from assistant.composition.corpus import SongChords
from assistant.composition.moves import load_moves
from assistant.composition.nextchord import (
    FEATURES,
    NextChordModel,
    load_model,
    next_chords,
    suggest_classes,
)
from assistant.composition.nextchord_train import (
    DEFAULT_PARAMS,
    count_ngrams,
    cross_validate,
    events,
    fold_events,
    model_from_counts,
    train,
)
from assistant.errors import BadInput, KnowledgeError
from assistant.kb.loader import load_knowledge
from tests.conftest import REPO, run_coach

SHIPPED = paths.shipped_knowledge_dir()

# A made-up song: verse twice, chorus twice, a bridge, chorus (numerals in a major key).
VERSE = "I V vi IV I V IV V".split()
CHORUS = "vi IV I V vi IV V I".split()
SONG = VERSE + VERSE + CHORUS + CHORUS + "ii V/V V".split() + CHORUS


def _json(result: subprocess.CompletedProcess[str]) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_done_when_am_f_in_a_minor_ranks_c_or_g_in_top_three() -> None:
    data = _json(run_coach("next-chord", "Am", "F", "--key", "A minor", "--json"))
    assert set(data) == {"key", "suggestions"}
    assert data["key"] == "A minor"
    top3 = [s["symbol"] for s in data["suggestions"][:3]]
    assert {"C", "G"} & set(top3), top3
    moves = {m.rule.id: m.rule for m in load_moves()}
    for s in data["suggestions"]:
        assert set(s) == {"symbol", "numeral", "probability", "why", "rule_ids"}
        assert len(s["why"]) > 10
        for rule_id in s["rule_ids"]:  # the rules named are the ones the why quotes
            assert moves[rule_id].why in s["why"]
    assert data["suggestions"][0]["rule_ids"]  # G: bVI -> bVII, a theory rule
    probs = [s["probability"] for s in data["suggestions"]]
    assert probs == sorted(probs, reverse=True)
    assert sum(probs) <= 1.0


def test_done_when_repeated_progression_ranks_f_first() -> None:
    data = _json(run_coach("next-chord", *"C G Am F C G Am".split(), "--key", "C", "--json"))
    assert data["suggestions"][0]["symbol"] == "F"
    assert data["suggestions"][0]["numeral"] == "IV"


def test_transposing_a_song_never_changes_the_ranked_numerals() -> None:
    base = theory.parse_key("C major")
    symbols = [theory.numeral_to_symbol(n, base) for n in SONG]
    reference = None
    for shift in range(12):
        key = theory.transpose_key(base, shift)
        typed = [theory.transpose_symbol(s, shift, base) for s in symbols]
        for cut in (2, 9, len(typed)):
            found = [(s.numeral, s.probability) for s in next_chords(typed[:cut], key, top=8)]
            if shift == 0:
                reference = reference or {}
                reference[cut] = found
            else:
                assert reference is not None
                assert found == reference[cut], (shift, cut)


def test_minor_keys_transpose_too_and_symbols_equal_numerals() -> None:
    ranked = None
    for tonic in ("A", "C#", "Eb", "F#", "Bb"):
        key = theory.parse_key(f"{tonic} minor")
        typed = [theory.numeral_to_symbol(n, key) for n in ("i", "bVI", "bIII", "bVII", "i")]
        found = [s.numeral for s in next_chords(typed, key)]
        assert found == [s.numeral for s in next_chords(["i", "bVI", "bIII", "bVII", "i"], key)]
        ranked = ranked or found
        assert found == ranked


def test_the_song_history_is_context_an_unusual_loop_is_continued() -> None:
    key = theory.parse_key("C")
    # E major then F after C is rare in songs; a song that does it three times predicts it.
    loop = "C E F C E F C E F C".split()
    first = next_chords(loop, key)[0]
    assert first.symbol == "E"
    assert "your" in first.why  # the why names the song's own progression
    without_history = next_chords(["F", "C"], key)[0]
    assert without_history.symbol != "E"


def test_theory_rules_explain_cadences_borrowed_chords_and_secondary_dominants() -> None:
    key = theory.parse_key("C")
    after_v = {s.symbol: s for s in next_chords(["G"], key, top=10)}
    assert "deceptive" in after_v["Am"].why
    assert "authentic" in after_v["C"].why
    resolving = {s.symbol: s for s in next_chords(["C", "D"], key, top=10)}
    assert "secondary dominant resolves" in resolving["G"].why
    everything = {s.symbol: s for s in next_chords(["C"], key, top=47)}
    assert everything["D"].numeral == "V/V"
    assert "borrowed from the parallel minor" in everything["Bb"].why
    assert everything["Bb"].numeral == "bVII"


def test_probabilities_cover_every_class_but_the_current_chord() -> None:
    key = theory.parse_key("G major")
    found = next_chords(["G", "Em", "C", "D"], key, top=47)
    assert len(found) == 47
    assert "D" not in [s.symbol for s in found]  # the next chord is a change
    total = sum(s.probability for s in found)
    assert 0.95 < total <= 1.0


def test_modes_and_genres_change_the_suggestions() -> None:
    dorian = next_chords(["Dm"], theory.parse_key("D dorian"), top=10)
    assert any("Dorian" in s.why for s in dorian if s.symbol == "G")
    model = load_model()
    assert model.genre_corpus("rock") == "billboard"
    assert model.genre_corpus("C-Pop") == "pop909"
    assert model.genre_corpus("polka") is None
    key = theory.parse_key("C")
    rock = [s.probability for s in next_chords(["C", "Bb"], key, genre="rock")]
    plain = [s.probability for s in next_chords(["C", "Bb"], key)]
    assert rock != plain


def test_chord_parsing_symbols_numerals_and_applied_chords() -> None:
    key = theory.parse_key("C")
    assert parse_chord("G/B", key) == ChordClass(7, "maj")
    assert parse_chord("F#m7", key) == ChordClass(6, "min")
    assert parse_chord("Bdim", key) == ChordClass(11, "dim")
    assert parse_chord("V7/vi", key) == ChordClass(4, "maj")
    assert parse_chord("V/V", key) == from_numeral("II")
    assert parse_chord("Asus4", key) == ChordClass(9, "maj")
    for chord in ALL_CLASSES:  # every class's numeral reads back as itself
        assert from_numeral(class_numeral(chord)) == chord
        assert from_numeral(display_numeral(chord)) == chord
    with pytest.raises(BadInput, match="H7"):
        parse_chord("H7", key)


def test_model_file_carries_its_source_and_matches_the_features() -> None:
    data = json.loads((REPO / "knowledge" / "next_chord.json").read_text())
    assert "tools/build_next_chord.py" in data["built_by"]
    corpora = {s["corpus"]: s for s in data["sources"]}
    assert set(corpora) == {"billboard", "pop909"}
    assert "CC0" in corpora["billboard"]["licence"] and "MIT" in corpora["pop909"]["licence"]
    assert data["features"] == list(FEATURES)
    for weights in data["weights"].values():
        assert len(weights) == len(FEATURES)


def _song(numerals: str, minor: bool = False, corpus: str = "billboard") -> SongChords:
    chords = [from_numeral(n) for n in numerals.split()]
    return SongChords(id=numerals, corpus=corpus, chords=chords, minor=[minor] * len(chords))


def test_training_on_a_small_corpus_learns_its_moves() -> None:
    songs = [_song("I IV V I IV V vi IV I IV V I"), _song("I IV V vi ii V I IV V I"),
             _song("vi IV I V vi IV I V"), _song("I IV V I bVII IV I"),
             _song("i bVI bVII i bVI bVII i", minor=True),
             _song("i iv V i bVI bVII i", minor=True, corpus="pop909")]
    counts = count_ngrams(songs, 4)
    assert counts["billboard"]["major"]["I IV"]["V"] >= 4
    model = train(songs, folds=2)
    ranked = model.rank([from_numeral("I"), from_numeral("IV")], "major")
    assert ranked[0].chord == from_numeral("V")
    minor = model.rank([from_numeral("i"), from_numeral("bVI")], "minor")
    assert minor[0].chord == from_numeral("bVII")
    # features from the same code at run time and in training
    data = events(songs[:1], model_from_counts(counts), settings=("whole",))
    assert data.x.shape == (len(songs[0].chords) - 1, len(FEATURES), len(ALL_CLASSES))


def test_cross_validation_keeps_each_song_out_of_its_own_fit() -> None:
    songs = [_song("I IV V I IV V vi IV I IV V I"), _song("I IV V vi ii V I IV V I"),
             _song("vi IV I V vi IV I V"), _song("I IV V I bVII IV I"),
             _song("i bVI bVII i bVI bVII i", minor=True, corpus="pop909"),
             _song("i iv V i bVI bVII i", minor=True, corpus="pop909")]
    data, _counts = fold_events(songs, dict(DEFAULT_PARAMS), folds=3)
    assert sorted(set(data.song.tolist())) == list(range(len(songs)))
    for number, song in enumerate(songs):  # every change once per setting, early ones once
        changes = len(song.chords) - 1
        assert (data.song == number).sum() == changes + max(changes - 3, 0)
    assert set(data.setting.tolist()) == {"whole", "last3", "both"}
    ranks = cross_validate(data, folds=3)
    assert len(ranks) == len(data.y) and ranks.min() >= 1 and ranks.max() <= len(ALL_CLASSES) - 1
    # songs ranked by weights that never saw them: the next chord is mostly near the top
    assert (ranks[data.in_setting("whole")] <= 3).mean() > 0.5


def test_suggestions_collapse_repeated_chords_and_need_a_history() -> None:
    key = theory.parse_key("C")
    same = suggest_classes([from_numeral("I"), from_numeral("I"), from_numeral("IV")], key)
    assert [s.numeral for s in same] == [s.numeral for s in next_chords(["I", "IV"], key)]
    with pytest.raises(BadInput):
        next_chords([], key)
    with pytest.raises(BadInput):
        next_chords(["C"], key, top=0)


def test_moves_come_from_the_knowledge_base() -> None:
    kb = load_knowledge([SHIPPED])
    moves = load_moves(kb)
    assert len(moves) > 50 and len(moves) == kb.counts()["move"]
    assert all(m.rule.why and m.rule.id.startswith("move.") for m in moves)
    assert not (SHIPPED / "chord_moves.json").exists()  # the TOML collection replaced it
    deceptive = next(m for m in moves if m.rule.id == "move.deceptive-cadence")
    assert (deceptive.after, deceptive.to) == ((from_numeral("V"),), from_numeral("vi"))


def _moves_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    shutil.copytree(SHIPPED, folder, ignore=shutil.ignore_patterns("*.json"))
    return folder


@pytest.mark.parametrize("field, old, new", [
    ("to", 'to = "vi"', 'to = "H9"'),
    ("after", 'after = ["V"]', 'after = ["V", "Q"]'),
    ("weight", "weight = 2", "weight = 9"),
    ("modes", 'modes = ["major"]', 'modes = ["majestic"]'),
])
def test_kb_check_names_file_id_and_field_of_a_broken_move(
        tmp_path: Path, coach_cli, field: str, old: str, new: str) -> None:
    folder = _moves_copy(tmp_path)
    path = folder / "chord_moves.toml"
    text = path.read_text()
    start = text.index('id = "move.deceptive-cadence"')
    end = text.index("[[move]]", start)
    entry = text[start:end]
    assert old in entry
    path.write_text(text[:start] + entry.replace(old, new, 1) + text[end:])
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge([folder])
    assert caught.value.entry_id == "move.deceptive-cadence"
    assert caught.value.field is not None and caught.value.field.startswith(field)
    result = coach_cli("kb", "check", str(folder))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "chord_moves.toml" in lines[0] and "move.deceptive-cadence" in lines[0]
    assert field in lines[0]


def test_a_move_with_an_unknown_genre_name_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "moves.toml").write_text(
        '[[move]]\nid = "move.polka-step"\nafter = ["I"]\nto = "V"\nmodes = ["major"]\n'
        'weight = 1\ngenres = ["polka"]\nwhy = "I → V: the polka\'s oom-pah"\n')
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge([SHIPPED, folder])
    assert (caught.value.entry_id, caught.value.field) == ("move.polka-step", "genres")


def test_user_knowledge_overrides_and_adds_moves(coach_home: Path) -> None:
    user = paths.config_dir() / "knowledge"
    user.mkdir(parents=True)
    (user / "my_moves.toml").write_text(
        '[[move]]\nid = "move.deceptive-cadence"\nafter = ["V"]\nto = "vi"\nmodes = ["major"]\n'
        'weight = 2\nwhy = "V → vi: my own word for the deceptive cadence"\n\n'
        '[[move]]\nid = "move.my-chromatic-mediant"\nafter = ["V"]\nto = "bIII"\n'
        'modes = ["major"]\nweight = 5\nwhy = "V → bIII: my favourite surprise"\n')
    result = run_coach("next-chord", "G", "--key", "C", "--top", "47", "--json",
                       env={"COACH_HOME": str(coach_home)})
    found = {s["numeral"]: s for s in _json(result)["suggestions"]}
    assert "my own word" in found["vi"]["why"]
    assert "my favourite surprise" in found["bIII"]["why"]
    shipped = NextChordModel(load_model().data, moves=load_moves(load_knowledge([SHIPPED])))
    plain = {s.numeral: s for s in next_chords(["G"], theory.parse_key("C"), top=47,
                                               model=shipped)}
    assert found["bIII"]["probability"] > plain["bIII"].probability


def test_genres_resolve_through_the_knowledge_base() -> None:
    model = load_model()
    assert model.resolve_genre("blues rock").name == "rock"  # a knowledge-base alias
    assert model.resolve_genre("blues rock").corpus == "billboard"
    assert model.resolve_genre("Mandopop").corpus == "pop909"  # a corpus style
    assert model.resolve_genre("soul").name == "r&b"
    assert model.resolve_genre("polka").name is None  # lenient outside the command line
    with pytest.raises(BadInput, match="polka"):
        model.resolve_genre("polka", strict=True)


def test_unknown_genre_is_one_line_naming_it_and_the_accepted_ones() -> None:
    result = run_coach("next-chord", "Am", "F", "--key", "A minor", "--genre", "polka")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "'polka'" in lines[0] and "rock" in lines[0] and "c-pop" in lines[0]
    ok = run_coach("next-chord", "Am", "F", "--key", "A minor", "--genre", "classic rock",
                   "--json")
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize("args, token", [
    (["H7", "--key", "C"], "H7"),
    (["Am", "C##4/0", "--key", "A minor"], "C##4/0"),
    (["--key", "C"], "no chords"),
    (["", "--key", "C"], "no chords"),
    (["C", "--key", "H major"], "H major"),
    (["C", "--key", "C", "--top", "0"], "--top"),
])
def test_bad_input_is_one_line_and_exit_2(args: list[str], token: str) -> None:
    result = run_coach("next-chord", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and token in lines[0]
    assert "Traceback" not in result.stderr


def test_text_output_and_key_guess() -> None:
    result = run_coach("next-chord", "Am", "F", "C")
    assert result.returncode == 0, result.stderr
    assert "A minor" in result.stdout and "guessed" in result.stdout
    assert len(result.stdout.strip().splitlines()) == 6


def test_command_stays_light_no_numpy_or_music21() -> None:
    code = ("import sys; from assistant.cli import main; "
            "main(['next-chord', 'Am', 'F', '--key', 'A minor', '--json']); "
            "heavy = [m for m in ('numpy', 'music21', 'scipy', 'mido') if m in sys.modules]; "
            "print('HEAVY', heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout


def test_a_command_builds_only_its_own_parser_other_words_get_the_whole_one(
        coach_cli) -> None:
    code = ("import sys; from assistant.cli import main; "
            "main(['next-chord', 'Am', 'F', '--key', 'A minor']); "
            "print('CLI', sorted(m for m in sys.modules if m.startswith('assistant.cli.')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "CLI ['assistant.cli.next_chord']" in result.stdout  # no other command's module
    wrong = coach_cli("next_chord", "Am")  # not the command's spelling: the whole parser
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1
    assert "invalid choice: 'next_chord'" in wrong.stderr and "'next-chord'" in wrong.stderr


def test_probability_is_a_softmax_of_the_feature_scores() -> None:
    model = load_model()
    history = [from_numeral(n) for n in "I V vi".split()]
    ranked = model.rank(history, "major")
    weights = model.weights["short"]
    scores = [sum(w * f for w, f in zip(weights, r.features, strict=True)) for r in ranked]
    top = max(scores)
    z = sum(math.exp(s - top) for s in scores)
    for r, s in zip(ranked, scores, strict=True):
        assert r.probability == pytest.approx(math.exp(s - top) / z)


def test_moves_load_from_their_slice_until_a_knowledge_file_changes(
        coach_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.composition import moves as moves_module
    from assistant.kb import loader

    moves_module._BY_STAMP.clear()  # kept per process: this test starts as a new one
    first = load_moves()
    assert moves_module._slice_path().is_file()
    assert first == load_moves(load_knowledge([SHIPPED]))  # the same rules as a validated load
    moves_module._BY_STAMP.clear()  # as a new process: the slice, nothing validated
    with monkeypatch.context() as patch:
        patch.setattr(loader, "knowledge", lambda: pytest.fail("validated again"))
        assert load_moves() == first
    user = paths.config_dir() / "knowledge"  # a user's override is a changed knowledge base
    user.mkdir(parents=True)
    mine = user / "my_moves.toml"
    mine.write_text('[[move]]\nid = "move.deceptive-cadence"\nafter = ["V"]\nto = "vi"\n'
                    'modes = ["major"]\nweight = 2\nwhy = "V → vi: my own word for it"\n')
    rules = {m.rule.id: m.rule for m in load_moves()}
    assert rules["move.deceptive-cadence"].why == "V → vi: my own word for it"
    assert len(rules) == len(first)
    mine.write_text(mine.read_text().replace("weight = 2", "weight = 9"))  # validated again:
    with pytest.raises(KnowledgeError) as caught:  # the loader's error, never a stale slice
        load_moves()
    assert (caught.value.entry_id, caught.value.field) == ("move.deceptive-cadence", "weight")
    mine.unlink()
    assert load_moves() == first


def test_a_warm_next_chord_validates_no_knowledge_base() -> None:
    """pydantic alone costs a process ~0.15 s of the command's 0.25 s (benchmarks/
    RESULTS-next-chord.md, whole-process time): once the caches are warm it stays out."""
    code = ("import sys; from assistant.cli import main; "
            "main(['next-chord', 'Am', 'F', '--key', 'A minor', '--json']); "
            "print('LOADED', [m for m in ('assistant.kb.schema', 'assistant.song', 'pydantic') "
            "if m in sys.modules])")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           cwd=REPO, timeout=60) for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[-1].stderr
    assert "LOADED []" in runs[1].stdout  # the second run: moves and model from the cache
    assert json.loads(runs[0].stdout.rsplit("LOADED", 1)[0]) == json.loads(
        runs[1].stdout.rsplit("LOADED", 1)[0])
