"""Which files make the knowledge base, checked, and their fingerprint: no pydantic here.

`assistant.kb.loader` validates the files; caches derived from them (its own pickle, the
chord-move slice of `assistant.composition.moves`) are stamped with `knowledge_stamp`, so a
start-up path can tell whether a cache still holds without importing the loader and its schema.
`read_cache` / `write_cache` keep any such cache (the parsed next-chord model too) behind its
stamp line; `read_json` reads the JSON models tools/build_next_chord.py builds.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from assistant import paths
from assistant.errors import KnowledgeError

T = TypeVar("T")


def default_dirs() -> list[Path]:
    """Shipped knowledge, then the user's config folder, then `$COACH_KNOWLEDGE` folders."""
    dirs = [paths.shipped_knowledge_dir(), paths.config_dir() / "knowledge"]
    extra = os.environ.get("COACH_KNOWLEDGE", "")
    dirs += [Path(p).expanduser() for p in extra.split(os.pathsep) if p]
    return dirs


MAX_FILE_BYTES = 4 << 20  # the largest shipped file is ~0.2 MB; this is far beyond any real one


def knowledge_files(dirs: Sequence[Path]) -> list[Path]:
    """Every `*.toml` in `dirs`, each checked to be a regular file of a sane size (a broken
    or looping link, a FIFO or a device is one clear line naming it, never a hang)."""
    files: list[Path] = []
    for folder in dirs:
        if folder.suffix == ".toml" and (folder.is_file() or folder.is_symlink()):
            files.append(check_file(folder))
        elif folder.is_dir():
            files += [check_file(f) for f in sorted(folder.glob("*.toml"))]
    return files


def check_file(path: Path) -> Path:
    """`path` if it is a readable regular file under MAX_FILE_BYTES, else KnowledgeError."""
    import errno
    import stat

    try:
        info = path.stat()  # follows links
    except OSError as error:
        if error.errno == errno.ELOOP:
            why = "it is a symlink that loops; remove it"
        elif error.errno == errno.ENOENT and path.is_symlink():
            why = f"it is a broken symlink (to {os.readlink(path)}); remove it or fix it"
        else:
            why = f"cannot read it: {error.strerror or error}"
        raise KnowledgeError(str(path), None, None, why) from None
    if not stat.S_ISREG(info.st_mode):
        kind = ("a FIFO" if stat.S_ISFIFO(info.st_mode) else "a device"
                if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else "not a file")
        raise KnowledgeError(str(path), None, None,
                             f"it is {kind}: knowledge is read only from regular files")
    if info.st_size > MAX_FILE_BYTES:
        raise KnowledgeError(str(path), None, None, f"it is {info.st_size / 2**20:.1f} MB; a "
                             f"knowledge file may hold at most {MAX_FILE_BYTES >> 20} MB")
    return path


def fingerprint(files: Iterable[Path]) -> str:
    """Changes whenever a knowledge file is added, removed or edited."""
    import hashlib

    digest = hashlib.sha1()
    for f in files:
        stat = f.stat()
        digest.update(f"{f}:{stat.st_mtime_ns}:{stat.st_size};".encode())
    return digest.hexdigest()


def validating_code() -> list[Path]:
    """The code that reads and checks the files: the loader, the schemas (with the Song
    vocabulary and the modes they use) and the numeral parser that checks progressions and
    moves (a cache made by other code is stale)."""
    here = Path(__file__).parent
    return [here / "loader.py", here / "schema.py", here / "style_schema.py",
            here.parent / "song.py", here.parent / "keys.py", here.parent / "theory.py"]


def read_json(path: Path) -> Any:
    """A JSON knowledge file built by tools/build_next_chord.py, parsed; unreadable or not
    JSON is a KnowledgeError naming the file (and, unreadable, how to rebuild it)."""
    import json

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise KnowledgeError(path.name, None, None,
                             f"cannot read: {error.strerror or error}; rebuild it with "
                             "tools/build_next_chord.py") from error
    except ValueError as error:
        raise KnowledgeError(path.name, None, None, f"not valid JSON: {error}") from error


def knowledge_stamp(files: Sequence[Path]) -> str:
    """Changes with the knowledge files, the code that checks them, this Python and pydantic
    (found by its version file, not imported: a start-up path checks the stamp without it)."""
    import sys
    from importlib.util import find_spec

    spec = find_spec("pydantic")
    library = [Path(spec.origin).parent / "version.py"] if spec and spec.origin else []
    return f"{sys.version} {fingerprint([*files, *validating_code(), *library])}"


def read_cache(path: Path, stamp: str, decode: Callable[[bytes], T | None]) -> T | None:
    """`decode` of the cache file at `path` after its first line, if that line is `stamp`
    (checked before a byte is decoded); None when it is missing, stale, from another version
    or damaged: the caller then builds the data again."""
    header = _header(stamp)
    try:
        blob = path.read_bytes()
        return decode(blob[len(header):]) if blob.startswith(header) else None
    except Exception:
        return None


def write_cache(path: Path, stamp: str, payload: bytes) -> None:
    """Keep `payload` at `path` under the line `stamp`, written whole or not at all (a cache
    that cannot be written only costs time, so a failure is silent)."""
    try:
        from assistant import fileio

        path.parent.mkdir(parents=True, exist_ok=True)
        fileio.write_bytes(path, _header(stamp) + payload)
    except Exception:
        pass


def _header(stamp: str) -> bytes:
    return (" ".join(stamp.split()) + "\n").encode()  # one line, whatever sys.version holds
