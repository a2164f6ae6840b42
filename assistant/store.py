"""Sessions in SQLite (sqlite-utils): one row per session, one per turn, a transaction per turn.

The database lives in `paths.data_dir()/sessions.db` ($COACH_HOME respected), in WAL mode so
a killed process loses at most the turn being typed: every turn's session row (the whole
coach snapshot) and its turn row are committed together before the reply is shown.

The schema version is kept in the `meta` table. A file that is not a SQLite database, or one
written by a newer coach, is reported as a `FileProblem` and never touched.
"""

from __future__ import annotations

import json
import sqlite3
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


def db_path() -> Path:
    return paths.data_dir() / DB_NAME


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """The sessions database. Use one `Store` per thread (or hand it between threads whole)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else db_path()
        self.session_id: int | None = None
        """The session this process is working on (set by `resume`)."""
        self._db: sqlite_utils.Database | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise FileProblem(f"cannot create {self.path.parent}: {error.strerror}") from None
        existed = self.path.exists() and self.path.stat().st_size > 0
        try:
            # one connection, used by one thread at a time but maybe not the one that opened
            # it (the TUI runs the core in a worker thread)
            self.conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=5)
            self._check(existed)
            self.conn.execute("PRAGMA journal_mode=wal")
            self.conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable per commit
        except sqlite3.DatabaseError as error:
            raise FileProblem(
                f"{self.path} is not a readable sessions database ({error}); move it away to "
                "start fresh — it was left untouched"
            ) from None

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over the same connection, loaded on first use (it is not cheap)."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn)
            self._create()
        return self._db

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

    def _create(self) -> None:
        db = self._db
        assert db is not None
        with db.atomic():
            if "meta" not in db.table_names():
                db.table("meta").insert(
                    {"key": "schema_version", "value": str(SCHEMA_VERSION)}, pk="key")
            if "sessions" not in db.table_names():
                db.table("sessions").create(
                    {
                        "id": int, "title": str, "stage": str, "key": str, "tempo": float,
                        "done": int, "created": str, "updated": str, "state": str,
                    },
                    pk="id",
                )
                db.table("sessions").create_index(["updated"])
            if "turns" not in db.table_names():
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
        with self.db.atomic():
            row = {**self._row(coach), "created": _now()}
            table = self.db.table("sessions").insert(row)
            return int(table.last_rowid or 0)

    def resume(self, *, new: bool = False, session: int | str | None = None, **kw: Any) -> Coach:
        """The coach of `session`, else the last unfinished one (unless `new`), else a new one.

        Sets `self.session_id`.
        """
        from assistant.coach import Coach

        target = int(self.get(session)["id"]) if session is not None else (
            None if new else self.latest_unfinished())
        if target is not None:
            coach = self.load(target, **kw)
            self.session_id = target
            return coach
        coach = Coach(**kw)
        self.session_id = self.create(coach)
        return coach

    def save_turn(self, session_id: int | None, coach: Coach, text: str, reply: Reply) -> int:
        """Save the coach after one turn, with the turn itself, in one transaction."""
        if session_id is None:
            session_id = self.session_id
        if session_id is None:
            self.session_id = session_id = self.create(coach)
        with self.db.atomic():
            row = self._row(coach)
            self.db.table("sessions").update(session_id, row)
            n = self.db.execute(
                "select coalesce(max(n), 0) + 1 from turns where session_id = ?", [session_id]
            ).fetchone()[0]
            self.db.table("turns").insert({
                "session_id": session_id, "n": n, "user": text[:4000],
                "reply": reply.text[:20000], "stage": reply.stage, "at": row["updated"],
            })
        return session_id

    def save(self, session_id: int, coach: Coach) -> None:
        with self.db.atomic():
            self.db.table("sessions").update(session_id, self._row(coach))

    def latest_unfinished(self) -> int | None:
        rows = list(self.db.query(
            "select id from sessions where done = 0 order by updated desc, id desc limit 1"))
        return int(rows[0]["id"]) if rows else None

    def get(self, session_id: int | str) -> dict[str, Any]:
        try:
            number = int(session_id)
        except (TypeError, ValueError):
            raise BadInput(f"session id {session_id!r} is not a number; see `coach sessions "
                           "list`") from None
        rows = list(self.db.query("select * from sessions where id = ?", [number]))
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
        rows = self.db.query(
            "select id, title, stage, key, tempo, done, updated from sessions "
            "order by updated desc, id desc"
        )
        return [dict(r) for r in rows]

    def turns(self, session_id: int | str) -> list[dict[str, Any]]:
        number = int(self.get(session_id)["id"])
        return [dict(r) for r in self.db.query(
            "select n, user, reply, stage, at from turns where session_id = ? order by n",
            [number])]

    def close(self) -> None:
        self.conn.close()


def open_store(path: Path | None = None) -> Store:
    return Store(path)
