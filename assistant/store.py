"""Sessions in SQLite (sqlite-utils): one row per session, one per turn, a transaction per turn.

The database lives in `paths.data_dir()/sessions.db` ($COACH_HOME respected), in WAL mode so
a killed process loses at most the turn being typed: every turn's session row (the whole
coach snapshot) and its turn row are committed together before the reply is shown.

Several coach processes may write one home at once (a TUI beside a plain chat, two plain
chats). Every write transaction starts with `BEGIN IMMEDIATE`: it takes the write lock
before reading, so the busy timeout applies and a commit by another process in between
cannot fail it at once (a deferred transaction that read first got "database is locked").
A turn that still cannot be saved (the lock held too long, a full disk) is said, kept, and
saved with the next turn.

The schema version is kept in the `meta` table. A file that is not a SQLite database, or one
written by a newer coach, is reported as a `FileProblem` and never touched.
"""

from __future__ import annotations

import contextlib
import json
import random
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant import paths
from assistant.errors import BadInput, FileProblem

if TYPE_CHECKING:
    import sqlite_utils

    from assistant.coach import Coach, Reply

SCHEMA_VERSION = 1
DB_NAME = "sessions.db"
USER_LIMIT = 4000
"""Characters of a typed line kept in the turn log (the coach reads the whole line)."""
REPLY_LIMIT = 20000


def db_path() -> Path:
    return paths.data_dir() / DB_NAME


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def log_text(text: str, limit: int = USER_LIMIT) -> str:
    """`text` as the turn log keeps it: cut at `limit` characters, saying so."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]} … [cut: {len(text):,} characters in all]"


class SaveFailed(FileProblem):
    """A turn or a session could not be written; the store keeps unsaved turns to retry."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message
        """Why, in a few words ("the disk is full: free some space")."""


def _busy(error: sqlite3.Error) -> bool:
    name = getattr(error, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(error)


def _damaged(error: sqlite3.Error) -> bool:
    name = getattr(error, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")) or any(
        words in str(error) for words in ("not a database", "malformed"))


def reason(error: sqlite3.Error, path: Path) -> str:
    """What went wrong, in words that point the right way (a full disk is not a damaged file)."""
    name = getattr(error, "sqlite_errorname", "") or ""
    text = str(error)
    if name.startswith("SQLITE_FULL") or "disk is full" in text:
        return "the disk is full: free some space"
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return f"{path} is read-only"
    if _busy(error):
        return "another coach kept the database busy (database is locked)"
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")) or "unable to open" in text:
        return (f"{path} cannot be opened for writing: its folder {path.parent} is read-only "
                "or not a folder (set COACH_HOME to a writable folder)")
    if name.startswith("SQLITE_IOERR"):
        return f"the disk would not write {path} ({text})"
    return text


class Store:
    """The sessions database. Use one `Store` per thread (or hand it between threads whole)."""

    def __init__(self, path: Path | None = None, *, busy_timeout: float = 5.0,
                 retry_for: float = 30.0) -> None:
        self.path = Path(path) if path else db_path()
        self.session_id: int | None = None
        """The session this process is working on (set by `resume`)."""
        self.retry_for = retry_for
        """Seconds a write waits in all for another process's lock (the busy timeout each try)."""
        self._db: sqlite_utils.Database | None = None
        self._pending: list[dict[str, Any]] = []  # turns not saved yet, oldest first
        self._pending_row: tuple[int | None, dict[str, Any]] | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise FileProblem(f"cannot create {self.path.parent}: {error.strerror}") from None
        existed = self.path.exists() and self.path.stat().st_size > 0
        try:
            # one connection, used by one thread at a time but maybe not the one that opened
            # it (the TUI runs the core in a worker thread); autocommit: every write is one
            # explicit BEGIN IMMEDIATE ... COMMIT (`_write`)
            self.conn = sqlite3.connect(str(self.path), check_same_thread=False,
                                        timeout=busy_timeout, isolation_level=None)
            self._retry(lambda: self._check(existed))  # another first run may be making it
            self._retry(lambda: self.conn.execute("PRAGMA journal_mode=wal"))
            self.conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable per commit
        except sqlite3.DatabaseError as error:
            if _damaged(error):
                raise FileProblem(
                    f"{self.path} is not a readable sessions database ({error}); move it away "
                    "to start fresh — it was left untouched"
                ) from None
            raise FileProblem(f"cannot use the sessions database: "
                              f"{reason(error, self.path)}") from None

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over the same connection, loaded on first use (it is not cheap)."""
        if self._db is None:
            import sqlite_utils

            db = sqlite_utils.Database(self.conn)
            try:
                self._create(db)
            except sqlite3.Error as error:
                raise self._problem(error, "cannot set up the sessions database") from None
            self._db = db
        return self._db

    # --- transactions -----------------------------------------------------------------------
    def _retry(self, action: Any) -> Any:
        """Run `action`, again while another process holds the lock, up to `retry_for` s."""
        deadline = time.monotonic() + self.retry_for
        while True:
            try:
                return action()
            except sqlite3.OperationalError as error:
                if not _busy(error) or time.monotonic() >= deadline:
                    raise
                time.sleep(random.uniform(0.01, 0.05))  # jitter: two waiters do not collide

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction holding the write lock from its start (BEGIN IMMEDIATE)."""
        self._retry(lambda: self.conn.execute("BEGIN IMMEDIATE"))
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def _problem(self, error: sqlite3.Error, what: str) -> FileProblem:
        if _damaged(error):
            return FileProblem(f"{what}: {self.path} is damaged ({error}); move it away to "
                               "start fresh — it was left untouched")
        why = reason(error, self.path)
        return SaveFailed(f"{what}: {why}", why)

    # --- schema ------------------------------------------------------------------------------
    def _check(self, existed: bool) -> None:
        """Refuse a file that is not ours or is newer; plain sqlite3, so it is fast."""
        names = {r[0] for r in self.conn.execute(
            "select name from sqlite_master where type = 'table'")}
        if not existed:
            return
        if names and "meta" not in names:
            raise FileProblem(
                f"{self.path} is not a coach sessions database; it was left untouched")
        if "meta" in names:
            row = self.conn.execute(
                "select value from meta where key = 'schema_version'").fetchone()
            try:
                version = int(row[0]) if row else 0
            except (TypeError, ValueError):
                version = SCHEMA_VERSION + 1
            if version > SCHEMA_VERSION:
                raise FileProblem(
                    f"{self.path} was written by a newer coach (schema {version}, this one "
                    f"knows {SCHEMA_VERSION}); update the coach — the file was left untouched"
                )

    def _create(self, db: sqlite_utils.Database) -> None:
        """The tables, made in one write transaction: processes racing on an empty home
        see either none of them or all (each checks again once it holds the lock)."""
        names = {"meta", "sessions", "turns"}
        if names <= set(db.table_names()):
            return
        with self._write():
            tables = set(db.table_names())
            if "meta" not in tables:
                db.table("meta").insert(
                    {"key": "schema_version", "value": str(SCHEMA_VERSION)}, pk="key")
            if "sessions" not in tables:
                db.table("sessions").create(
                    {
                        "id": int, "title": str, "stage": str, "key": str, "tempo": float,
                        "done": int, "created": str, "updated": str, "state": str,
                    },
                    pk="id",
                )
                db.table("sessions").create_index(["updated"])
            if "turns" not in tables:
                db.table("turns").create(
                    {"id": int, "session_id": int, "n": int, "user": str, "reply": str,
                     "stage": str, "at": str},
                    pk="id", foreign_keys=[("session_id", "sessions", "id")],
                )
                db.table("turns").create_index(["session_id", "n"])

    # --- sessions ------------------------------------------------------------------------------
    @staticmethod
    def _row(coach: Coach) -> dict[str, Any]:
        song = coach.song
        return {
            "title": song.title,
            "stage": coach.stage,
            "key": song.key.name if song.key else None,
            "tempo": song.tempo,
            "done": int(coach.done),
            "updated": _now(),
            "state": json.dumps(coach.snapshot()),
        }

    def create(self, coach: Coach) -> int:
        db = self.db
        try:
            with self._write():
                row = {**self._row(coach), "created": _now()}
                table = db.table("sessions").insert(row)
                return int(table.last_rowid or 0)
        except sqlite3.Error as error:
            raise self._problem(error, "cannot start a new session") from None

    def resume(self, *, new: bool = False, session: int | str | None = None, **kw: Any) -> Coach:
        """The coach of `session`, else the last unfinished one (unless `new`), else a new one.

        Sets `self.session_id`.
        """
        from assistant.coach import Coach

        target = int(self.get(session)["id"]) if session is not None else (
            None if new else self.latest_unfinished())
        if target is not None:
            try:
                coach = self.load(target, **kw)
            except FileProblem as error:  # the way on: a new session works
                raise FileProblem(f"{error}; `coach --new` starts a new session (this one is "
                                  "kept as it is)") from None
            self.session_id = target
            return coach
        coach = Coach(**kw)
        self.session_id = self.create(coach)
        return coach

    @property
    def unsaved(self) -> int:
        """Turns this store could not save yet (kept; each save tries them again first)."""
        return len(self._pending)

    def save_turn(self, session_id: int | None, coach: Coach, text: str, reply: Reply) -> int:
        """Save the coach after one turn, with the turn itself, in one transaction (with the
        session row too when there is none yet).

        Raises `SaveFailed` if it cannot; the turn is kept and saved (in order) with the next
        one, or by `flush`."""
        if session_id is None:
            session_id = self.session_id
        row = self._row(coach)
        self._pending.append({
            "session_id": session_id, "user": log_text(text),
            "reply": log_text(reply.text, REPLY_LIMIT), "stage": reply.stage,
            "at": row["updated"],
        })
        self._pending_row = (session_id, row)
        self.flush()
        if session_id is None:
            session_id = self.session_id  # made by flush with the first turn
        assert session_id is not None
        return session_id

    def flush(self) -> None:
        """Write the turns kept from failed saves (and the latest session row)."""
        if not self._pending and self._pending_row is None:
            return
        db = self.db
        new_id: int | None = None
        try:
            with self._write():
                if self._pending_row is not None:
                    session_id, row = self._pending_row
                    if session_id is None:  # the first turn of a session never saved yet
                        table = db.table("sessions").insert({**row, "created": row["updated"]})
                        new_id = int(table.last_rowid or 0)
                    else:
                        db.table("sessions").update(session_id, row)
                for turn in self._pending:
                    turn = {**turn, "session_id": turn["session_id"] or new_id}
                    n = db.execute(
                        "select coalesce(max(n), 0) + 1 from turns where session_id = ?",
                        [turn["session_id"]]).fetchone()[0]
                    db.table("turns").insert({**turn, "n": n})
        except sqlite3.Error as error:
            count = len(self._pending)
            what = "this turn was" if count == 1 else f"{count} turns were"
            why = reason(error, self.path)
            raise SaveFailed(f"{what} not saved ({why}); kept, and saved with the next turn",
                             why) from None
        if new_id is not None:
            self.session_id = new_id
        self._pending.clear()
        self._pending_row = None

    def save(self, session_id: int, coach: Coach) -> None:
        db = self.db
        try:
            with self._write():
                db.table("sessions").update(session_id, self._row(coach))
        except sqlite3.Error as error:
            raise self._problem(error, f"cannot save session {session_id}") from None

    def _query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Rows of a read; a damaged or unreadable file is one line, not a traceback."""
        db = self.db
        try:
            return [dict(row) for row in db.query(sql, params or [])]
        except sqlite3.Error as error:
            raise self._problem(error, "cannot read the sessions database") from None

    def latest_unfinished(self) -> int | None:
        rows = self._query(
            "select id from sessions where done = 0 order by updated desc, id desc limit 1")
        return int(rows[0]["id"]) if rows else None

    def get(self, session_id: int | str) -> dict[str, Any]:
        try:
            number = int(session_id)
        except (TypeError, ValueError):
            raise BadInput(f"session id {session_id!r} is not a number; see `coach sessions "
                           "list`") from None
        rows = self._query("select * from sessions where id = ?", [number])
        if not rows:
            raise BadInput(f"no session {number}; see `coach sessions list`")
        return rows[0]

    def state(self, session_id: int | str) -> dict[str, Any]:
        row = self.get(session_id)
        try:
            data = json.loads(row["state"])
        except (TypeError, ValueError):
            raise FileProblem(f"session {row['id']} is damaged in {self.path}") from None
        if not isinstance(data, dict):
            raise FileProblem(f"session {row['id']} is damaged in {self.path}")
        return data

    def load(self, session_id: int | str, **kw: Any) -> Coach:
        from pydantic import ValidationError

        from assistant.coach import Coach

        data = self.state(session_id)
        try:
            return Coach.restore(data, **kw)
        except (ValidationError, KeyError, TypeError, ValueError) as error:
            raise FileProblem(f"session {session_id} cannot be read back: "
                              f"{str(error).splitlines()[0]}") from None

    def list_sessions(self) -> list[dict[str, Any]]:
        return self._query(
            "select id, title, stage, key, tempo, done, updated from sessions "
            "order by updated desc, id desc"
        )

    def turns(self, session_id: int | str) -> list[dict[str, Any]]:
        number = int(self.get(session_id)["id"])
        return self._query(
            "select n, user, reply, stage, at from turns where session_id = ? order by n",
            [number])

    def close(self) -> None:
        self.conn.close()


def open_store(path: Path | None = None) -> Store:
    return Store(path)
