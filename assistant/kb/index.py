"""The knowledge base compiled into SQLite: a cache rebuilt whenever a knowledge file changes.

Tips are searchable with FTS5 (porter tokenizer, so "compress" finds "compression").
User input goes through `quote_fts`, so no typed text can break the query.

Being a cache, the index is never repaired or reported: a damaged or stale file is replaced.
A rebuild writes a new file beside it and moves it into place, so `coach` processes reading
or rebuilding it at the same time only ever see a whole index (rebuilding in place dropped
the tables first: a reader in between got "no such table: tips").
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import sqlite3
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from assistant import paths
from assistant.kb.loader import Knowledge, fingerprint, knowledge
from assistant.kb.schema import Tip

if TYPE_CHECKING:
    import sqlite_utils

INDEX_VERSION = 1

# Words too common to help find a tip ("how loud should my vocals be" -> "loud", "vocals").
_STOPWORDS = frozenset(
    """a an and are as at be by can could do does for from how i in is it me my of on or our
    should so that the this to was what when where which who why will with would you your
    i'm im it's its get make much many any some about should've they them there their
    come comes came after before next then""".split()
)


def index_path() -> Path:
    return paths.cache_dir() / "knowledge.db"


def _build(db: sqlite_utils.Database, kb: Knowledge, stamp: str) -> None:
    """Fill an empty database with the index."""
    db.table("meta").insert_all(
        [
            {"key": "fingerprint", "value": stamp},
            {"key": "version", "value": str(INDEX_VERSION)},
        ],
        pk="key",
    )
    db.table("entries").insert_all(
        (
            {
                "id": entry.id,
                "collection": collection,
                "file": str(kb.origin.get(entry.id, "")),
                "why": entry.why,
                "source": entry.source,
                "data": json.dumps(entry.model_dump(mode="json")),
            }
            for collection, table in kb.entries.items()
            for entry in table.values()
        ),
        pk="id",
    )
    db.table("tips").insert_all(
        (
            {
                "id": tip.id,
                "stage": tip.stage,
                "title": tip.title,
                "text": tip.text,
                "why": tip.why,
                "tags": " ".join(tip.tags),
            }
            for tip in kb.tips
        ),
        pk="id",
    )
    db.table("tips").enable_fts(["title", "text", "why", "tags"], tokenize="porter", create_triggers=False)


def _stamp_of(path: Path) -> str | None:
    """The fingerprint the index at `path` was built for; None if it is missing or damaged."""
    if not path.is_file():
        return None
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = con.execute("select value from meta where key = 'fingerprint'").fetchone()
            con.execute("select count(*) from tips_fts").fetchone()
        finally:
            con.close()
    except sqlite3.Error:  # not a database, half a database, no meta: rebuild it
        return None
    return str(row[0]) if row else None


def _rebuild(path: Path, kb: Knowledge, stamp: str) -> sqlite_utils.Database:
    """Build the index in a new file beside `path`, then move it into place (atomic)."""
    import sqlite_utils

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError:  # no writable cache folder: an index in memory still answers
        db = sqlite_utils.Database(memory=True)
        with db.conn:
            _build(db, kb, stamp)
        return db
    os.close(fd)
    tmp = Path(name)
    try:
        db = sqlite_utils.Database(tmp)
        with db.conn:
            _build(db, kb, stamp)
        db.close()
        with contextlib.suppress(OSError):  # a crashed writer's journal must not meet the new file
            Path(f"{path}-journal").unlink()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return sqlite_utils.Database(path)


def open_index(kb: Knowledge | None = None) -> sqlite_utils.Database:
    """Open the index, rebuilding it first if the knowledge files changed since it was built
    (or the file is missing or damaged)."""
    import sqlite_utils

    kb = kb or knowledge()
    stamp = f"{INDEX_VERSION}:{fingerprint(kb.files)}"
    path = index_path()
    if _stamp_of(path) != stamp:
        return _rebuild(path, kb, stamp)
    return sqlite_utils.Database(path)


def _query_words(text: str) -> list[str]:
    """The question's meaningful words, once each, in order."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return list(dict.fromkeys(w for w in words if len(w) > 1 and w not in _STOPWORDS))


def search_tips(
    text: str, limit: int = 3, stage: str | None = None, kb: Knowledge | None = None,
    prefer: str | None = None,
) -> list[Tip]:
    """Tips that answer `text`, best first; only tips of `stage` when given, the tips of
    `prefer` (the stage the user is in) first among equally good answers.

    A tip answers when a word of the question is in its title or tags, or when at least two
    of the question's words are anywhere in it: one common word in a tip's body ("write"
    in "write volume automation") does not answer "how do I write a hook?"."""
    kb = kb or knowledge()
    db = open_index(kb)
    words = _query_words(text)
    if not words:
        return []
    select = "select tips.id from tips join tips_fts on tips.rowid = tips_fts.rowid "
    where = "where tips_fts match ? " + ("and tips.stage = ? " if stage else "")
    extra: list[object] = [stage] if stage else []
    head: dict[str, float] = {}
    anywhere: dict[str, float] = {}
    matched: dict[str, int] = {}
    total = max(len(kb.tips), 1)
    for word in words:  # porter stems both sides: "compress" finds "compression"
        quoted = db.quote_fts(word)
        found = [row["id"] for row in db.query(select + where, [quoted, *extra])]
        # a rare word ("reverb") says more about the topic than a common one ("vocals")
        weight = math.log(1 + total / max(len(found), 1))
        for tip_id in found:
            anywhere[tip_id] = anywhere.get(tip_id, 0.0) + weight
            matched[tip_id] = matched.get(tip_id, 0) + 1
        for row in db.query(select + where, [f"{{title tags}} : {quoted}", *extra]):
            head[row["id"]] = head.get(row["id"], 0.0) + weight
    need = min(2, len(words))
    tips = {tip_id: entry for tip_id, n in matched.items()
            if (head.get(tip_id) or n >= need)
            and isinstance(entry := kb.entries["tip"].get(tip_id), Tip)}
    if not tips:
        return []
    bm25 = {row["id"]: i for i, row in enumerate(db.query(
        select + where + "order by bm25(tips_fts, 10.0, 2.0, 1.0, 5.0)",
        [" OR ".join(db.quote_fts(w) for w in words), *extra]))}

    def rank(tip_id: str) -> tuple[float, float, bool, int]:
        return (-head.get(tip_id, 0.0), -anywhere[tip_id], tips[tip_id].stage != prefer,
                bm25.get(tip_id, len(bm25)))

    return [tips[tip_id] for tip_id in sorted(tips, key=rank)][:limit]
