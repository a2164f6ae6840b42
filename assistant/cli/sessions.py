"""`coach sessions list|show|export`: the saved conversations and their songs."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sessions", help="list, show and export saved sessions",
        description="Every conversation with the coach is saved after each turn.",
    )
    sub = parser.add_subparsers(dest="sessions_command", metavar="ACTION",
                                parser_class=type(parser))
    sub.required = True
    listing = sub.add_parser("list", help="all sessions, newest first")
    listing.add_argument("--json", action="store_true", help="print one JSON object")
    show = sub.add_parser("show", help="one session's song sheet and stages")
    show.add_argument("id", metavar="ID")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    export = sub.add_parser(
        "export", help="write song.json, song.md, song.mid and preview.wav into a folder")
    export.add_argument("id", metavar="ID")
    export.add_argument("--to", required=True, metavar="DIR", help="folder to write into")
    export.add_argument("--soundfont", metavar="SF2", help="soundfont for preview.wav")
    export.add_argument("--force", action="store_true",
                        help="replace song files already in the folder (without it, the "
                        "export refuses and writes nothing)")
    export.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from assistant.store import Store

    store = Store()
    command = args.sessions_command
    if command == "list":
        return _list(store, args.json)
    if command == "show":
        return _show(store, args.id, args.json)
    return _export(store, args)


def _list(store: Any, as_json: bool) -> int:
    rows = store.list_sessions()
    sessions = [
        {"id": r["id"], "title": r["title"], "stage": r["stage"], "key": r["key"],
         "tempo": r["tempo"], "updated": r["updated"], "done": bool(r["done"])}
        for r in rows
    ]
    if as_json:
        print(json.dumps({"sessions": sessions}))
        return 0
    if not sessions:
        print("No sessions yet: run `coach` to start one.")
        return 0
    from assistant.safe_text import clean_text
    from assistant.song import STAGE_TITLES

    print(f"{'id':>4}  {'title':<28} {'stage':<20} {'key':<12} {'tempo':>6}  updated")
    for s in sessions:
        # a row damaged by hand (NULLs, odd types) is still listed, not a traceback
        tempo = f"{s['tempo']:g}" if isinstance(s["tempo"], (int, float)) and s["tempo"] else "—"
        stage = "done" if s["done"] else STAGE_TITLES.get(str(s["stage"]), str(s["stage"] or "—"))
        title = clean_text(str(s["title"])) if s["title"] else "(untitled)"
        print(f"{s['id']!s:>4}  {title[:28]:<28} {stage:<20} {clean_text(str(s['key'] or '—')):<12}"
              f" {tempo:>6}  {s['updated'] or '—'}")
    return 0


def _show(store: Any, session: str, as_json: bool) -> int:
    from assistant.stages.summary import sheet_markdown

    row = store.get(session)
    coach = store.load(row["id"])
    turns = store.turns(row["id"])
    if as_json:
        print(json.dumps({
            "id": row["id"], "title": row["title"], "stage": row["stage"], "key": row["key"],
            "tempo": row["tempo"], "updated": row["updated"], "done": bool(row["done"]),
            "turns": len(turns), "song": coach.song.model_dump(mode="json"),
        }))
        return 0
    from assistant.cli.chat import plain_text
    from assistant.safe_text import clean_text

    print(f"Session {row['id']} · {len(turns)} turns · updated {row['updated']}")
    print(plain_text(clean_text(sheet_markdown(coach.song), lines=True)))
    return 0


def _export(store: Any, args: argparse.Namespace) -> int:
    from assistant.export import export_song

    coach = store.load(store.get(args.id)["id"])
    result = export_song(coach.song, args.to, soundfont=args.soundfont, overwrite=args.force)
    if args.json:
        print(json.dumps(result))
        return 0
    for name, path in result["files"].items():
        print(f"{name:<12} {path}")
    if result["replaced"]:
        print(f"(--force: replaced {', '.join(result['replaced'])} in {result['folder']})",
              file=sys.stderr)
    if result["placeholders"]:
        print(f"(the demo uses placeholders for: {', '.join(result['placeholders'])})",
              file=sys.stderr)
    return 0
