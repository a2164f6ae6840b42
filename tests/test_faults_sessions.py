"""Issue 16, nothing lost under faults: the sessions database, the plain chat, export and the
knowledge index under concurrent writers, full disks, read-only files, damaged rows and
hostile text. Faults that cannot be made for real in a test (a full disk, a read-only file
for root) are made by SQLite itself: `PRAGMA max_page_count` gives a real SQLITE_FULL, a
`mode=ro` connection a real SQLITE_READONLY; an ENOSPC is raised with its real errno."""

from __future__ import annotations

import errno
import io
import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from assistant import store as store_module
from assistant.cli import main
from assistant.cli.chat import export_files, plain_chat
from assistant.errors import FileProblem
from assistant.kb.loader import knowledge
from assistant.song import Song
from assistant.store import SaveFailed, Store, db_path
from tests.conftest import REPO

ESC = "\x1b"


def turn_count(path: Path, session: int | None = None) -> int:
    con = sqlite3.connect(path)
    try:
        if session is None:
            return int(con.execute("select count(*) from turns").fetchone()[0])
        return int(con.execute("select count(*) from turns where session_id = ?",
                               [session]).fetchone()[0])
    finally:
        con.close()


def hold_write_lock(path: Path) -> sqlite3.Connection:
    """Another process in the middle of a write: it holds the database's write lock."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


# --- item 1: concurrent writers --------------------------------------------------------------
def writer(path: Path, turns: int, errors: list[BaseException], start: threading.Barrier) -> None:
    try:
        store = Store(path)
        coach = store.resume(new=True, knowledge=knowledge())
        reply = coach.start()
        start.wait(timeout=30)
        for n in range(turns):
            store.save_turn(store.session_id, coach, f"turn {n}", reply)
        store.close()
    except BaseException as error:  # noqa: BLE001 -- the test reports it
        errors.append(error)


@pytest.mark.parametrize("writers", [2, 3])
def test_concurrent_writers_save_every_turn(coach_home: Path, writers: int) -> None:
    """Writers on one (empty) home, each its own connection, like coach processes: every
    turn of every writer is saved (a deferred transaction that read first failed at once
    with "database is locked" when the other committed in between)."""
    knowledge()
    for attempt in range(2):
        path = coach_home / f"race{attempt}" / "sessions.db"
        errors: list[BaseException] = []
        start = threading.Barrier(writers)
        threads = [threading.Thread(target=writer, args=(path, 120, errors, start), daemon=True)
                   for _ in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not errors, errors
        assert turn_count(path) == writers * 120


def test_a_lock_held_past_the_busy_timeout_is_waited_for(coach_home: Path) -> None:
    store = Store(busy_timeout=0.1, retry_for=5)
    coach = store.resume(knowledge=knowledge())
    reply = coach.handle("something sad and slow")
    other = hold_write_lock(store.path)
    threading.Timer(0.5, other.rollback).start()  # the other writer finishes its turn
    store.save_turn(store.session_id, coach, "something sad and slow", reply)
    assert turn_count(store.path) == 1


def test_a_turn_that_cannot_be_saved_is_said_and_kept_to_save_again(coach_home: Path) -> None:
    store = Store(busy_timeout=0.05, retry_for=0.2)
    coach = store.resume(knowledge=knowledge())
    sid = store.session_id
    first = coach.handle("something sad and slow")
    other = hold_write_lock(store.path)
    with pytest.raises(SaveFailed, match="kept") as raised:
        store.save_turn(sid, coach, "something sad and slow", first)
    assert "locked" in str(raised.value) or "busy" in str(raised.value)
    assert store.unsaved == 1
    other.rollback()
    second = coach.handle("1")
    store.save_turn(sid, coach, "1", second)
    assert store.unsaved == 0
    assert [t["user"] for t in store.turns(sid)] == ["something sad and slow", "1"]
    assert [t["n"] for t in store.turns(sid)] == [1, 2]


def test_plain_chat_says_a_turn_was_not_saved_and_saves_it_later(coach_home: Path) -> None:
    store = Store(busy_timeout=0.05, retry_for=0.2)
    lines = iter(["something sad and slow\n", "1\n", "120 bpm\n"])
    holder: dict[str, sqlite3.Connection] = {}

    class Input(io.StringIO):
        def readline(self, *args: Any) -> str:  # type: ignore[override]
            line = next(lines, "")
            if line == "something sad and slow\n":
                holder["other"] = hold_write_lock(store.path)
            elif "other" in holder:
                holder.pop("other").rollback()
            return line

    out = io.StringIO()
    assert plain_chat(store, stdin=Input(), stdout=out) == 0
    text = out.getvalue()
    assert "not saved" in text and "kept" in text
    assert [t["user"] for t in store.turns(store.session_id)] == [
        "something sad and slow", "1", "120 bpm"]


# --- item 5: one line, exit 2, no traceback --------------------------------------------------
def test_invalid_utf8_on_stdin_is_replaced_and_said(coach_home: Path) -> None:
    env = {**os.environ, "COACH_HOME": str(coach_home), "COACH_NO_PLAY": "1",
           "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-m", "assistant", "chat", "--plain"],
                            input=b"caf\xe9 music, something sad\n1\n", capture_output=True,
                            env=env, cwd=REPO, timeout=120)
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert "Traceback" not in err
    assert "UTF-8" in result.stdout.decode()
    assert turn_count(db_path()) == 2


def read_only_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every sessions connection read-only, as a file without write permission gives."""
    real = sqlite3.connect

    def connect(path: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        return real(f"file:{path}?mode=ro", *args, uri=True, **kwargs)

    monkeypatch.setattr(store_module.sqlite3, "connect", connect)


def test_read_only_sessions_database_is_one_line(
    coach_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    Store().resume(knowledge=knowledge())  # a database with one session
    read_only_connect(monkeypatch)
    monkeypatch.setattr(sys, "stdin", io.StringIO("something sad and slow\n"))
    code = main(["chat", "--plain"])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "read-only" in err
    assert "move it away" not in err


def test_a_read_only_folder_is_not_called_a_damaged_database(
    coach_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_only_connect(monkeypatch)  # no file yet, and none can be made
    with pytest.raises(FileProblem) as raised:
        Store().resume(knowledge=knowledge())
    message = str(raised.value)
    assert "move it away" not in message and "not a readable" not in message
    assert "cannot" in message and str(coach_home) in message


def full_after(monkeypatch: pytest.MonkeyPatch, pages: int | None = None) -> None:
    """SQLite's own SQLITE_FULL: the database may not grow past its size (+ `pages`)."""
    real = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        con = real(*args, **kwargs)
        size = con.execute("pragma page_count").fetchone()[0]
        con.execute(f"pragma max_page_count = {max(size + (pages or 0), 1)}")
        return con

    monkeypatch.setattr(store_module.sqlite3, "connect", connect)


def test_a_full_disk_at_the_start_says_the_disk_is_full(
    coach_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full_after(monkeypatch)
    with pytest.raises(FileProblem) as raised:
        Store().resume(knowledge=knowledge())
    assert "disk is full" in str(raised.value)
    assert "move it away" not in str(raised.value)


def test_a_disk_filling_up_during_a_chat(
    coach_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The turns saved before the disk filled survive; the chat says the disk is full and
    ends with one line and exit 2 naming the turns it could not save."""
    store = Store()
    store.resume(knowledge=knowledge())
    store.close()
    store = Store()
    script = ["something sad and slow", "1"] + ["make it faster", "why 1", "more"] * 30
    lines = iter(line + "\n" for line in script)
    saved_at_full: list[int] = []

    class Input(io.StringIO):
        def readline(self, *args: Any) -> str:  # type: ignore[override]
            line = next(lines, "")
            if line == "make it faster\n" and not saved_at_full:
                saved_at_full.append(turn_count(store.path))
                size = store.conn.execute("pragma page_count").fetchone()[0]
                store.conn.execute(f"pragma max_page_count = {size}")
            return line

    out = io.StringIO()
    with pytest.raises(FileProblem) as raised:
        plain_chat(store, stdin=Input(), stdout=out)
    assert "disk is full" in out.getvalue()
    assert "disk is full" in str(raised.value) and "not saved" in str(raised.value)
    assert saved_at_full == [2]
    assert turn_count(store.path) >= 2


def test_null_title_in_sessions_list(coach_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = Store()
    store.resume(knowledge=knowledge())
    store.conn.execute("update sessions set title = null, stage = null, key = null")
    store.conn.commit() if store.conn.in_transaction else None
    store.close()
    assert main(["sessions", "list"]) == 0
    out = capsys.readouterr().out
    assert "untitled" in out


# --- item 10: messages that send users the right way -----------------------------------------
def test_a_damaged_latest_session_hints_at_coach_new(
    coach_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store()
    store.resume(knowledge=knowledge())
    store.conn.execute("update sessions set state = '{not json'")
    store.conn.commit() if store.conn.in_transaction else None
    store.close()
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["chat", "--plain"]) == 2
    err = capsys.readouterr().err
    assert "coach --new" in err and len(err.strip().splitlines()) == 1
    monkeypatch.setattr(sys, "stdin", io.StringIO("something sad\n"))
    assert main(["chat", "--plain", "--new"]) == 0


def test_a_long_line_cut_in_the_log_is_said(coach_home: Path) -> None:
    store = Store()
    out = io.StringIO()
    line = "la " * 5000
    assert plain_chat(store, stdin=io.StringIO(line + "\n"), stdout=out) == 0
    assert "4,000" in out.getvalue()
    saved = store.turns(store.session_id)[-1]["user"]
    assert saved.startswith("la la") and "cut" in saved and len(saved) < 4100


# --- item 12: terminal escapes in the plain chat ---------------------------------------------
def test_plain_chat_prints_no_escape_sequences(coach_home: Path) -> None:
    store = Store()
    out = io.StringIO()
    said = f"call it {ESC}]0;owned{chr(7)}Night {ESC}[31mDrive{ESC}[0m\n1\n"
    assert plain_chat(store, stdin=io.StringIO(said), stdout=out) == 0
    text = out.getvalue()
    assert ESC not in text and chr(7) not in text
    assert "Drive" in text


# --- items 2 and 12: export never overwrites, and is written whole ---------------------------
def test_export_refuses_to_overwrite_without_force(
    coach_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store()
    store.resume(knowledge=knowledge())
    store.close()
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "song.json").write_text("my own song")
    assert main(["sessions", "export", "1", "--to", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "--force" in err and "song.json" in err and len(err.strip().splitlines()) == 1
    assert (folder / "song.json").read_text() == "my own song"
    assert sorted(p.name for p in folder.iterdir()) == ["song.json"]
    assert main(["sessions", "export", "1", "--to", str(folder), "--force"]) == 0
    out = capsys.readouterr()
    assert "replaced" in out.err + out.out
    assert json.loads((folder / "song.json").read_text())["title"]


def test_export_said_in_the_chat_goes_to_a_new_subfolder(tmp_path: Path) -> None:
    folder = tmp_path / "songs"
    folder.mkdir()
    (folder / "song.md").write_text("notes I care about")
    said = export_files(Song(title="Night Drive"), str(folder))
    assert (folder / "song.md").read_text() == "notes I care about"
    written = [p for p in folder.iterdir() if p.is_dir()]
    assert len(written) == 1 and (written[0] / "song.md").exists()
    assert str(written[0]) in said and "already" in said


def test_an_export_that_fails_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.export import export_song

    real = Path.write_bytes

    def write_bytes(self: Path, data: bytes) -> int:
        if "song.md" in self.name:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    folder = tmp_path / "out"
    with pytest.raises(FileProblem, match="No space left"):
        export_song(Song(), folder)
    assert not folder.exists() or list(folder.iterdir()) == []
    existing = tmp_path / "old"
    existing.mkdir()
    (existing / "song.mid").write_bytes(b"MThd old")
    with pytest.raises(FileProblem):
        export_song(Song(), existing, overwrite=True)
    assert sorted(p.name for p in existing.iterdir()) == ["song.mid"]
    assert (existing / "song.mid").read_bytes() == b"MThd old"


def test_a_coach_with_unsaved_turns_is_told_at_the_end(coach_home: Path) -> None:
    """EOF with a turn still unsaved: one more try, then one line naming what was lost."""
    store = Store(busy_timeout=0.05, retry_for=0.1)
    other: list[sqlite3.Connection] = []

    class Input(io.StringIO):
        def readline(self, *args: Any) -> str:  # type: ignore[override]
            if not other:
                other.append(hold_write_lock(store.path))
                return "something sad and slow\n"
            return ""

    with pytest.raises(SaveFailed, match="1 turn"):
        plain_chat(store, stdin=Input(), stdout=io.StringIO())
    other[0].rollback()


# --- item 7: the knowledge index is a cache --------------------------------------------------
def test_a_damaged_knowledge_index_is_rebuilt() -> None:
    from assistant.kb.index import index_path, search_tips

    path = index_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database at all " * 100)
    tips = search_tips("vocal level")
    assert tips
    con = sqlite3.connect(path)
    assert con.execute("select count(*) from tips").fetchone()[0] == len(knowledge().tips)
    con.close()


def test_a_rebuild_is_built_aside_so_readers_never_see_it_half_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While one process rebuilds the index, another reading it sees the whole old one
    (in-place rebuilds dropped the tables first: "no such table: tips")."""
    import sqlite_utils

    from assistant.kb.index import index_path, open_index, search_tips

    search_tips("vocal level")  # built
    con = sqlite3.connect(index_path())
    con.execute("update meta set value = 'stale' where key = 'fingerprint'")
    con.commit()
    con.close()
    seen: list[Any] = []
    real = sqlite_utils.db.Table.enable_fts

    def enable_fts(self: Any, *args: Any, **kwargs: Any) -> Any:
        reader = sqlite3.connect(index_path(), timeout=0.2)
        try:
            seen.append(reader.execute(
                "select count(*) from tips join tips_fts on tips.rowid = tips_fts.rowid "
                "where tips_fts match 'vocal'").fetchone()[0])
        except sqlite3.Error as error:
            seen.append(str(error))
        finally:
            reader.close()
        return real(self, *args, **kwargs)

    monkeypatch.setattr(sqlite_utils.db.Table, "enable_fts", enable_fts)
    open_index()
    assert len(seen) == 1 and isinstance(seen[0], int) and seen[0] > 0, seen
    assert [p.name for p in index_path().parent.iterdir() if p.name.startswith(".")] == []


def test_concurrent_first_searches_all_answer() -> None:
    from assistant.kb.index import search_tips

    kb = knowledge()
    results: list[Any] = []
    start = threading.Barrier(4)

    def search() -> None:
        try:
            start.wait(timeout=30)
            results.append(len(search_tips("compression vocals", kb=kb)))
        except BaseException as error:  # noqa: BLE001 -- the test reports it
            results.append(error)

    threads = [threading.Thread(target=search, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 4 and all(isinstance(r, int) and r > 0 for r in results), results


# --- item 12: `kb search` prints no escape sequences from a knowledge file -------------------
def test_kb_search_strips_escape_sequences(
    coach_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = coach_home / "config" / "knowledge"
    folder.mkdir(parents=True)
    (folder / "mine.toml").write_text(
        '[[tip]]\nid = "tip.mixing.sneaky"\nstage = "mixing"\n'
        'title = "Sneaky \\u001b[2J reverb tip"\n'
        'text = "Reverb \\u001b]0;owned\\u0007 on a send keeps vocals clear."\n'
        'why = "A send \\u001b[31mshares\\u001b[0m one reverb."\ntags = ["reverb", "sneaky"]\n')
    assert main(["kb", "search", "sneaky", "reverb"]) == 0
    out = capsys.readouterr().out
    assert "Sneaky" in out and "reverb tip" in out
    assert ESC not in out and chr(7) not in out
