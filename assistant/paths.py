"""Where the coach keeps things. `$COACH_HOME` puts everything under one folder (tests use it)."""

from __future__ import annotations

import os
from pathlib import Path

APP = "coach"


def _home() -> Path | None:
    home = os.environ.get("COACH_HOME")
    return Path(home).expanduser() if home else None


def data_dir() -> Path:
    """Sessions, exports, previews and user soundfonts."""
    home = _home()
    if home:
        return home
    from platformdirs import user_data_path

    return user_data_path(APP, appauthor=False)


def config_dir() -> Path:
    """User knowledge files (`*.toml`) that extend or override the shipped ones."""
    home = _home()
    if home:
        return home / "config"
    from platformdirs import user_config_path

    return user_config_path(APP, appauthor=False)


def cache_dir() -> Path:
    """Rebuildable things: the SQLite knowledge index."""
    home = _home()
    if home:
        return home / "cache"
    from platformdirs import user_cache_path

    return user_cache_path(APP, appauthor=False)


def previews_dir() -> Path:
    return data_dir() / "previews"


def repo_root() -> Path | None:
    """The source checkout this package runs from, if any (editable installs, `make run`)."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").exists() else None


def shipped_knowledge_dir() -> Path:
    """The shipped knowledge base: inside the wheel, or `knowledge/` in a checkout."""
    inside = Path(__file__).resolve().parent / "knowledge"
    if inside.is_dir():
        return inside
    root = repo_root()
    if root and (root / "knowledge").is_dir():
        return root / "knowledge"
    return inside
