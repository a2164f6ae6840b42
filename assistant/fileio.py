"""Writing files whole or not at all: write a temporary file beside the target, then rename.

Two kinds of output path are not plain files, and renaming onto them would destroy
something (as root, `-o /dev/null` would replace the system's /dev/null):

* a symlink: the file it points to is replaced (atomically, beside that file), the link
  stays;
* an existing non-regular file (a device such as /dev/null, a FIFO, a terminal): the
  finished file is streamed into it. Block devices, sockets and folders are refused.

A process killed mid-write (kill -9) leaves its hidden temporary file behind; the next
write to the same target removes those whose process is gone (the pid is in the name).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from assistant.errors import FileProblem

STALE_UNKNOWN_S = 24 * 3600  # a temporary file without a readable pid is stale after a day


@functools.cache
def _umask() -> int:
    """Read once: os.umask can only be read by setting it, which races with other threads."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _existing_kind(path: Path) -> str | None:
    """None when `path` does not exist (or is a broken link), else 'file', 'dir', 'stream'
    (a character device or FIFO: written as a stream) or 'other' (refused)."""
    try:
        mode = os.stat(path).st_mode  # follows links
    except FileNotFoundError:
        return None
    except OSError as error:  # a loop of links, a folder we may not enter
        raise FileProblem(f"cannot write {path}: {error.strerror or error}") from None
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return "stream"
    return "other"


def real_target(path: Path) -> Path:
    """The file a write to `path` replaces: `path` itself, or what its symlinks point to."""
    path = Path(path).expanduser()
    if not path.is_symlink():
        return path
    return Path(os.path.realpath(path))


def check_writable(path: Path) -> Path:
    """Fail early, with one line, when `path` cannot be written (before any slow work)."""
    path = Path(path).expanduser()
    kind = _existing_kind(path)
    if kind == "dir":
        raise FileProblem(f"cannot write {path}: it is a directory")
    if kind == "other":
        raise FileProblem(f"cannot write {path}: it is not a regular file "
                          "(a block device or socket); give a file name")
    if kind == "stream":
        if not os.access(path, os.W_OK):
            raise FileProblem(f"cannot write {path}: permission denied")
        return path
    target = real_target(path)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.exists():
        raise FileProblem(f"cannot write {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise FileProblem(f"cannot write {path}: folder {parent} is not writable")
    return path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


_OURS = re.compile(r"^\.(?P<name>.+)\.p(?P<pid>\d+)\.[a-z0-9_]{8}")  # mkstemp: 8 characters


def clean_stale(path: Path) -> list[Path]:
    """Remove the hidden temporary files killed writers left in `path`'s folder: any whose
    writer (the pid in its name) is gone, and ones from before names carried a pid that
    were meant for `path` and are over a day old."""
    removed: list[Path] = []
    old_prefix = f".{path.name}."
    try:
        candidates = [p for p in path.parent.iterdir() if p.name.startswith(".")]
    except OSError:
        return removed
    for tmp in candidates:
        ours = _OURS.match(tmp.name)
        if ours is None and not tmp.name.startswith(old_prefix):
            continue
        try:
            info = tmp.lstat()
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        if ours is not None:
            stale = not _pid_alive(int(ours["pid"]))
        else:
            stale = time.time() - info.st_mtime > STALE_UNKNOWN_S
        if stale:
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed.append(tmp)
    return removed


@contextlib.contextmanager
def atomic_path(path: Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path; on success it becomes `path` (see the module).

    On any error the temporary file is removed and `path` is left as it was.
    `suffix` keeps the extension for libraries that choose the format by it.
    """
    path = check_writable(Path(path))
    suffix = suffix if suffix is not None else path.suffix
    if _existing_kind(path) == "stream":
        with _streamed(path, suffix) as tmp:
            yield tmp
        return
    target = real_target(path)
    clean_stale(target)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.p{os.getpid()}.", suffix=suffix,
                                    dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, _mode_for(target))
        yield tmp
        os.replace(tmp, target)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise FileProblem(f"cannot write {path}: {error.strerror or error}") from error
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _mode_for(target: Path) -> int:
    """Keep the permissions of a file being replaced; new files get the usual ones
    (mkstemp makes 0600)."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return 0o666 & ~_umask()


@contextlib.contextmanager
def _streamed(path: Path, suffix: str) -> Iterator[Path]:
    """Fill a private temporary file, then copy it into the device or FIFO `path`."""
    with tempfile.TemporaryDirectory(prefix="coach-out-") as folder:
        tmp = Path(folder) / f"out{suffix}"
        yield tmp
        try:
            with tmp.open("rb") as src, open(path, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        except OSError as error:
            raise FileProblem(f"cannot write {path}: {error.strerror or error}") from error


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
