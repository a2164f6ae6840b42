"""Writing files whole or not at all: write a temporary file beside the target, then rename."""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from assistant.errors import FileProblem


@functools.cache
def _umask() -> int:
    """Read once: os.umask can only be read by setting it, which races with other threads."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_writable(path: Path) -> Path:
    """Fail early, with one line, when `path` cannot be written (before any slow work)."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise FileProblem(f"cannot write {path}: it is a directory")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise FileProblem(f"cannot write {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise FileProblem(f"cannot write {path}: folder {parent} is not writable")
    return path


@contextlib.contextmanager
def atomic_path(path: Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it is renamed onto `path`.

    On any error the temporary file is removed and `path` is left as it was.
    `suffix` keeps the extension for libraries that choose the format by it.
    """
    path = check_writable(Path(path))
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=suffix if suffix is not None else path.suffix,
        dir=path.parent,
    )
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise FileProblem(f"cannot write {path}: {error.strerror or error}") from error
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: Path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def write_with(path: Path, writer: Callable[[Path], None]) -> Path:
    """Let `writer` fill a temporary path, then move it into place."""
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)
