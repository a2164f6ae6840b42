"""Soundfont discovery: --soundfont > $COACH_SOUNDFONT > soundfonts/ folders > system paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import FileProblem
from assistant.render.soundfont import INSTALL_HINT, SoundfontMissing, find_soundfont, folder_dirs


def font(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF")
    return path


def test_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = font(tmp_path / "explicit.sf2")
    from_env = font(tmp_path / "env.sf3")
    folder = tmp_path / "folder"
    in_folder = font(folder / "b.sf2")
    font(folder / "a_notes.txt")
    system_dir = tmp_path / "system"
    in_system = font(system_dir / "GM.sf3")
    monkeypatch.setenv("COACH_SOUNDFONT_DIRS", str(folder))
    monkeypatch.setenv("COACH_SOUNDFONT_SYSTEM_DIRS", str(system_dir))
    monkeypatch.setenv("COACH_SOUNDFONT", str(from_env))

    assert find_soundfont(explicit).path == explicit
    assert find_soundfont(explicit).how == "--soundfont"
    assert find_soundfont().path == from_env
    monkeypatch.delenv("COACH_SOUNDFONT")
    assert (find_soundfont().path, find_soundfont().how) == (in_folder, "folder")
    first = font(folder / "a.SF2")
    assert find_soundfont().path == first, "name order inside a folder"
    first.unlink()
    in_folder.unlink()
    assert (find_soundfont().path, find_soundfont().how) == (in_system, "system")


def test_explicit_or_env_path_that_is_missing_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(FileProblem, match="does not exist"):
        find_soundfont(tmp_path / "nope.sf2")
    monkeypatch.setenv("COACH_SOUNDFONT", str(tmp_path / "gone.sf2"))
    with pytest.raises(FileProblem, match=r"\$COACH_SOUNDFONT"):
        find_soundfont()


def test_nothing_found_lists_every_place_and_the_install_command(tmp_path: Path) -> None:
    dangling = tmp_path / "default-GM.sf3"
    dangling.symlink_to(tmp_path / "missing-target.sf3")  # like Debian's unset alternative
    with pytest.raises(SoundfontMissing) as caught:
        find_soundfont(folders=[tmp_path / "mine"], system=[dangling, tmp_path / "sf2"], env="")
    message = str(caught.value)
    assert str(tmp_path / "mine") in message and str(dangling) in message and str(tmp_path / "sf2") in message
    assert INSTALL_HINT in message and "\n" not in message
    assert caught.value.searched[:2] == ["--soundfont (not given)", "$COACH_SOUNDFONT (not set)"]


def test_default_folders_are_the_repo_and_the_data_folder(coach_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COACH_SOUNDFONT_DIRS", raising=False)
    dirs = folder_dirs()
    assert dirs[-1] == coach_home / "soundfonts"
    assert dirs[0].name == "soundfonts" and (dirs[0] / "README.md").exists()
