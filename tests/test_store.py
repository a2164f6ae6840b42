"""Sessions in SQLite: saved per turn, resumed, WAL, and refusing files it should not touch."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from assistant.coach import Coach
from assistant.errors import BadInput, FileProblem
from assistant.kb.loader import knowledge
from assistant.store import SCHEMA_VERSION, SaveFailed, Store, db_path


def test_lives_in_coach_home_with_wal_and_a_schema_version(coach_home: Path) -> None:
    store = Store()
    assert store.path == coach_home / "sessions.db" == db_path()
    store.resume()
    mode = store.conn.execute("pragma journal_mode").fetchone()[0]
    assert mode == "wal"
    version = store.conn.execute("select value from meta where key='schema_version'").fetchone()
    assert int(version[0]) == SCHEMA_VERSION


def test_every_turn_is_saved_and_resumed() -> None:
    store = Store()
    coach = store.resume(knowledge=knowledge())
    sid = store.session_id
    assert sid is not None
    coach.start()
    for text in ("something sad and slow", "1"):
        reply = coach.handle(text)
        store.save_turn(sid, coach, text, reply)
    store.close()

    again = Store()
    assert again.latest_unfinished() == sid
    back = again.resume(knowledge=knowledge())
    assert again.session_id == sid
    assert back.song == coach.song and back.stage == "composition"
    rows = again.list_sessions()
    assert rows[0]["id"] == sid and rows[0]["key"] == coach.song.key.name  # type: ignore[union-attr]
    assert rows[0]["tempo"] == coach.song.tempo and rows[0]["stage"] == "composition"
    turns = again.turns(sid)
    assert [t["user"] for t in turns] == ["something sad and slow", "1"]
    assert [t["n"] for t in turns] == [1, 2]


def test_new_starts_another_and_finished_sessions_are_not_resumed() -> None:
    store = Store()
    store.resume()
    first = store.session_id
    store.resume(new=True)
    second = store.session_id
    assert second != first
    assert store.latest_unfinished() == second
    coach = store.load(second)  # type: ignore[arg-type]
    coach.done = True
    store.save(second, coach)  # type: ignore[arg-type]
    assert store.latest_unfinished() == first


def test_a_turn_is_one_transaction(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure between the session update and the turn row leaves neither."""
    store = Store()
    coach = store.resume(knowledge=knowledge())
    sid = store.session_id
    reply = coach.handle("sad")
    store.save_turn(sid, coach, "sad", reply)
    before = (store.get(sid)["state"], len(store.turns(sid)))  # type: ignore[arg-type]
    reply = coach.handle("1")
    real_table = store.db.table

    class Broken:
        def insert(self, *args: object, **kwargs: object) -> None:
            raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store.db, "table",
                        lambda name: Broken() if name == "turns" else real_table(name))
    with pytest.raises(SaveFailed, match="kept"):  # said, and kept to save again
        store.save_turn(sid, coach, "1", reply)
    monkeypatch.undo()
    after = (store.get(sid)["state"], len(store.turns(sid)))  # type: ignore[arg-type]
    assert after == before and not store.conn.in_transaction


def test_unknown_and_bad_ids() -> None:
    store = Store()
    with pytest.raises(BadInput, match="no session 99"):
        store.get(99)
    with pytest.raises(BadInput, match="not a number"):
        store.get("abc")


def test_corrupt_file_is_refused_and_left_untouched(coach_home: Path) -> None:
    path = coach_home / "sessions.db"
    junk = b"this is not a database " * 200
    path.write_bytes(junk)
    with pytest.raises(FileProblem, match="not a readable sessions database"):
        Store()
    assert path.read_bytes() == junk


def test_foreign_sqlite_file_is_refused(coach_home: Path) -> None:
    path = coach_home / "sessions.db"
    con = sqlite3.connect(path)
    con.execute("create table photos (id integer)")
    con.commit()
    con.close()
    with pytest.raises(FileProblem, match="not a coach sessions database"):
        Store()


def test_newer_schema_is_refused_and_left_untouched(coach_home: Path) -> None:
    Store().resume()
    path = coach_home / "sessions.db"
    con = sqlite3.connect(path)
    con.execute("update meta set value = ? where key = 'schema_version'",
                [str(SCHEMA_VERSION + 1)])
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(FileProblem, match="newer coach"):
        Store()
    assert path.read_bytes() == before


def test_a_session_from_a_newer_coach_is_refused() -> None:
    store = Store()
    coach = store.resume()
    state = coach.snapshot()
    state["version"] = 99
    with pytest.raises(FileProblem, match="newer coach"):
        Coach.restore(state)
