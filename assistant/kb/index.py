"""The knowledge base compiled into SQLite: a cache rebuilt whenever a knowledge file changes.

Tips are searchable with FTS5 (porter tokenizer, so "compress" finds "compression").
User input goes through `quote_fts`, so no typed text can break the query.
"""

from __future__ import annotations

import json
import re
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
    i'm im it's its get make much many any some about should've they them there their""".split()
)


def index_path() -> Path:
    return paths.cache_dir() / "knowledge.db"


def _build(db: sqlite_utils.Database, kb: Knowledge, stamp: str) -> None:
    for name in db.table_names():
        if not name.startswith("tips_fts"):
            db[name].drop(ignore=True)
    if "tips_fts" in db.table_names():
        db["tips_fts"].drop(ignore=True)
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


def open_index(kb: Knowledge | None = None) -> sqlite_utils.Database:
    """Open the index, rebuilding it first if the knowledge files changed since it was built."""
    import sqlite_utils

    kb = kb or knowledge()
    stamp = f"{INDEX_VERSION}:{fingerprint(kb.files)}"
    path = index_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    current = None
    if "meta" in db.table_names():
        rows = list(db.query("select value from meta where key = 'fingerprint'"))
        current = rows[0]["value"] if rows else None
    if current != stamp:
        with db.conn:
            _build(db, kb, stamp)
    return db


def _fts_query(db: sqlite_utils.Database, text: str) -> str:
    """Any of the meaningful words, each quoted (bm25 ranks tips matching more words first)."""
    words = [w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 1 and w not in _STOPWORDS]
    if not words:
        return ""
    return " OR ".join(db.quote_fts(word) for word in dict.fromkeys(words))


def search_tips(
    text: str, limit: int = 3, stage: str | None = None, kb: Knowledge | None = None
) -> list[Tip]:
    """Tips that best answer `text`, best first."""
    kb = kb or knowledge()
    db = open_index(kb)
    query = _fts_query(db, text)
    if not query:
        return []
    sql = (
        "select tips.id from tips join tips_fts on tips.rowid = tips_fts.rowid "
        "where tips_fts match ? " + ("and tips.stage = ? " if stage else "")
        + "order by bm25(tips_fts, 10.0, 2.0, 1.0, 5.0) limit ?"
    )
    params: list[object] = [query] + ([stage] if stage else []) + [limit]
    found: list[Tip] = []
    for row in db.query(sql, params):
        entry = kb.entries["tip"].get(row["id"])
        if isinstance(entry, Tip):
            found.append(entry)
    return found
