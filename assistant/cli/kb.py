"""`coach kb check|search|stats`: validate, search and count the knowledge base."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("kb", help="check, search or count the rule knowledge base")
    kb_sub = parser.add_subparsers(dest="kb_command", metavar="ACTION", required=True)
    check = kb_sub.add_parser(
        "check",
        help="validate the knowledge files (exit 2 naming file, entry id and field)",
    )
    check.add_argument("dir", nargs="?", type=Path, help="a folder of *.toml files to check "
                       "(default: the shipped knowledge plus your own)")
    check.set_defaults(func=run_check)
    search = kb_sub.add_parser("search", help="find tips, e.g. `coach kb search vocal level`")
    search.add_argument("text", nargs="+")
    search.add_argument("--stage", help="only tips for this stage")
    search.add_argument("--limit", type=int, default=5)
    search.add_argument("--json", action="store_true")
    search.set_defaults(func=run_search)
    stats = kb_sub.add_parser("stats", help="count the entries per collection")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(func=run_stats)


def run_check(args: argparse.Namespace) -> int:
    from assistant.errors import FileProblem
    from assistant.kb.loader import load_knowledge

    if args.dir is not None and not args.dir.exists():
        raise FileProblem(f"no such folder: {args.dir}")
    kb = load_knowledge([args.dir] if args.dir is not None else None)
    total = sum(kb.counts().values())
    print(f"ok: {total} entries in {len(kb.files)} files")
    return 0


def run_search(args: argparse.Namespace) -> int:
    from assistant.kb.index import search_tips

    tips = search_tips(" ".join(args.text), limit=args.limit, stage=args.stage)
    if args.json:
        rows = [{"id": t.id, "stage": t.stage, "title": t.title, "text": t.text, "why": t.why}
                for t in tips]
        print(json.dumps({"tips": rows}, ensure_ascii=False, indent=2))
        return 0
    if not tips:
        print("No tips found. Try other words, e.g. `coach kb search compression vocals`.")
        return 0
    from assistant.safe_text import clean_text  # a knowledge file may hold escape sequences

    for tip in tips:
        print(f"{clean_text(tip.title)}  [{tip.id}]\n  {clean_text(tip.text)}\n"
              f"  why: {clean_text(tip.why)}\n")
    return 0


def run_stats(args: argparse.Namespace) -> int:
    from assistant.kb.loader import knowledge

    kb = knowledge()
    counts = kb.counts()
    if args.json:
        print(json.dumps(counts))
        return 0
    for name, count in counts.items():
        print(f"{name:12} {count}")
    return 0
