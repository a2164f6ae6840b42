"""Lyrics in the conversation: typed through the real reader and coach, several lines at once,
reported against the melody with fixes, rhymes, help from the theme, the melody reshaped to
the words, and exported inside song.md and song.mid; the plain chat joins the lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.coach import Coach
from assistant.kb.loader import knowledge
from assistant.song import Key, Melody, Note
from tests.conftest import run_coach

CHORUS = ("lyrics for the chorus:\nHer garden waits for spring again\nThe roses that she planted grow\n"
          "I hear her humming in the rain\nShe never really had to go")


@pytest.fixture()
def coach() -> Coach:
    c = Coach(knowledge=knowledge(), seed=0)
    c.start()
    return c


def test_typed_lines_go_on_the_sheet_with_a_report(coach: Coach) -> None:
    reply = coach.handle(CHORUS)
    assert [s.name for s in coach.song.lyrics] == ["chorus"]
    assert coach.song.lyrics[0].lines[0] == "Her garden waits for spring again"
    assert "rhyme scheme ABAB" in reply.text
    assert "her GAR-den WAITS for SPRING a-GAIN" in reply.text
    assert "No melody on the sheet yet" in reply.text


def test_slashes_split_lines_and_a_melody_brings_fixes(coach: Coach) -> None:
    coach.song = coach.song.model_copy(update={"key": Key(tonic="C"), "melody": Melody(
        notes=[Note(pitch=64, start=float(i), duration=1.0) for i in range(16)])})
    reply = coach.handle("lyrics for verse 1: Underneath the neon light tonight my love / Twinkle twinkle")
    assert coach.song.lyrics[0].name == "verse 1" and len(coach.song.lyrics[0].lines) == 2
    assert "line 1 has 11 syllables for 8 notes: cut 3 syllable" in reply.text
    assert "line 2 has 4 syllables for 8 notes: add 4 syllables" in reply.text


def test_rhymes_and_help_from_the_theme(coach: Coach) -> None:
    reply = coach.handle("rhymes for home")
    assert "Perfect:" in reply.text and "dome" in reply.text
    reply = coach.handle("help me write lyrics about my grandma passing away")
    assert "images for" in reply.text and "tip.lyrics.show-dont-tell" in reply.text
    assert "For the chorus" in reply.text
    assert "source:" in reply.text


def test_check_my_lyrics_and_the_title_tip(coach: Coach) -> None:
    coach.song = coach.song.model_copy(update={"title": "Paper Planes"})
    coach.handle(CHORUS)
    reply = coach.handle("check my lyrics")
    assert "Your lyrics" in reply.text
    assert "never sings the title “Paper Planes”" in reply.text and "tip.lyrics.title-in-chorus" in reply.text


def test_the_melody_reshaped_to_the_words_fits_them(coach: Coach) -> None:
    coach.song = coach.song.model_copy(update={"key": Key(tonic="A", mode="minor"),
                                               "progression": ["i", "bVI", "bIII", "bVII"]})
    coach.handle(CHORUS)
    reply = coach.handle("fit the melody to the lyrics")
    assert coach.song.melody is not None and len(coach.song.melody.notes) == 32
    assert "prosody." not in reply.text  # no problem left to flag
    assert "[8 syl / 8 notes, A]" in reply.text
    coach.handle("undo")
    assert coach.song.melody is None or not coach.song.melody.notes


def test_bad_lyric_messages_get_a_reply(coach: Coach) -> None:
    for text in ("lyrics for the chorus:", "lyrics for the chorus: 🌟🌟🌟", "rhymes for 🌟",
                 "lyrics: " + " / ".join(["la la la"] * 2000), "fit the melody to the lyrics"):
        reply = coach.handle(text)
        assert reply.text and "Sorry — that tripped me up" not in reply.text, text
    assert coach.last_error is None


def test_plain_chat_joins_lines_and_exports_them(tmp_path: Path) -> None:
    script = ("something sad and slow\n1\nlets do composition\n1\n" + CHORUS + "\n\nexport\n")
    result = run_coach("chat", "--plain", "--new", input=script, env={"COACH_NO_PLAY": "1"}, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "rhyme scheme ABAB" in result.stdout
    folder = next(Path(p) for p in result.stdout.split() if "exports" in p)
    folder = Path(str(folder).rstrip("."))
    md = (folder / "song.md").read_text(encoding="utf-8")
    assert "## Lyrics" in md and "Her garden waits for spring again" in md
    import mido

    midi = mido.MidiFile(str(folder / "song.mid"))
    texts = [m.text for t in midi.tracks for m in t if m.type == "lyrics"]
    assert texts[:4] == ["Her ", "gar-", "den ", "waits "] and len(texts) >= 30


def test_lyrics_read_from_a_text_file_named_in_the_chat(coach: Coach, tmp_path: Path) -> None:
    path = tmp_path / "grandma.txt"
    path.write_text("[Verse 1]\nI wake up early in the morning light\n\n[Chorus]\nWe begin again tonight\n"
                    "Underneath the neon light\n", encoding="utf-8")
    reply = coach.handle(f"my lyrics are in {path}")
    assert [s.name for s in coach.song.lyrics] == ["verse 1", "chorus"]
    assert "Chorus — rhyme scheme AA" in reply.text
    missing = coach.handle(f"lyrics from {tmp_path / 'nope.txt'}")
    assert "couldn't read" in missing.text and coach.last_error is None


def test_the_song_sheet_shows_each_line_with_its_count_and_rhyme() -> None:
    from assistant.lyrics.sheet import lyrics_markdown
    from assistant.song import LyricSection, Song

    md = lyrics_markdown(Song(lyrics=[LyricSection(name="chorus", lines=["We begin again tonight",
                                                                         "Underneath the neon light"])]))
    assert "**chorus** — rhyme scheme AA" in md
    assert "We begin again tonight _(7 syl, A)_  " in md


def test_a_section_note_with_a_colon_is_not_taken_for_lyrics(coach: Coach) -> None:
    from assistant.understanding.reader import lyric_message

    for text in ("chorus: 8 bars", "verse: make it quieter", "bridge: no drums"):
        assert not lyric_message(text), text
    assert lyric_message("chorus: we begin / again tonight")
    coach.handle("chorus:\nWe begin again tonight\nUnderneath the neon light")
    assert [s.lines for s in coach.song.lyrics] == [["We begin again tonight", "Underneath the neon light"]]
