"""The chat hears audio: real text piped through the real Coach with real rendered WAVs.

The beginner's path of issue 14: a hummed tune (rendered by FluidSynth as a voice) named in
the chat becomes the melody on the sheet, the coach offers chords under it, and the
harmonized song renders to a preview WAV. Takes named in Recording stay on the sheet and
are ranked; a silent "hum" gets the one-line answer.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.audio_in_helpers import TUNE, sung_wav


@pytest.fixture(scope="module")
def hum(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sung_wav(tmp_path_factory.mktemp("chat") / "my hum.wav")


def _coach():  # type: ignore[no-untyped-def]
    from assistant.coach import Coach

    coach = Coach()
    coach.start()
    return coach


def test_hummed_tune_to_harmonized_preview(hum: Path, tmp_path: Path) -> None:
    from assistant.dialogue import render_request

    coach = _coach()
    coach.handle("let's do composition")
    reply = coach.handle(f"here's me humming the tune: {hum}")
    assert re.search(r"I heard \d+ notes in [A-G][#b]? (major|minor) at about \d+ bpm — want "
                     r"chords under it\?", reply.text), reply.text
    melody = coach.song.melody
    assert melody is not None and len(melody.notes) >= len(TUNE) - 2
    assert [n.pitch for n in melody.notes][:3] == TUNE[:3]
    assert coach.song.key is not None and coach.song.key.name in ("E minor", "G major")
    reply = coach.handle("yes")
    assert "Chords for your melody" in reply.text, reply.text
    assert any(o.label.startswith("Use ") for o in reply.options)
    reply = coach.handle("1")
    assert coach.song.progression, reply.text
    reply = coach.handle("play")
    assert reply.preview is not None
    from dataclasses import replace

    request = replace(reply.preview, wav=str(tmp_path / "preview.wav"))
    assert request.song.melody is not None and request.song.progression
    result = render_request(request)
    assert result.wav is not None
    audio, _ = sf.read(str(result.wav))
    assert len(audio) > 0 and np.max(np.abs(audio)) > 0.01


def test_silent_hum_is_one_line(tmp_path: Path) -> None:
    silent = tmp_path / "hum.wav"
    sf.write(silent, np.zeros(22050 * 2, np.float32), 22050)
    coach = _coach()
    reply = coach.handle(f"i hummed the melody: {silent}")
    assert "I heard no clear pitch in this take" in reply.text
    assert coach.song.melody is None


def test_takes_kept_and_ranked_in_recording(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    clean = sung_wav(tmp_path / "take1.wav", seed=1, jitter_ms=0.0)
    flat = sung_wav(tmp_path / "take2.wav", seed=2, jitter_ms=0.0,
                    detune=list(rng.normal(-40, 10, len(TUNE))))
    coach = _coach()
    coach.handle("let's do recording")
    gear = coach.handle("which mic is best for vocal takes?")  # advice, not a ranking
    assert "at least two takes" not in gear.text, gear.text
    early = coach.handle("rank em")  # no takes yet: asked for, not taken as what to record
    assert "at least two takes" in early.text and not coach.song.recording.sources, early.text
    coach.handle(f"{flat}")
    reply = coach.handle(f"{clean}")
    assert [Path(t.path).name for t in coach.song.takes] == ["take2.wav", "take1.wav"]
    assert any(o.label == "Rank the 2 takes" for o in reply.options), reply.text
    assert "best first" in coach.handle("rank em").text
    reply = coach.handle("rank my takes")
    assert "best first" in reply.text, reply.text
    first = re.search(r"1\. \*\*(\S+)\*\*", reply.text)
    assert first and first.group(1) == "take1.wav", reply.text
    assert all(t.score is not None and t.why for t in coach.song.takes)


def test_strummed_idea_offered_as_the_progression(tmp_path: Path) -> None:
    """A played progression (rendered by the coach's own synth) named with "chords": the
    chord chart (assistant.audio_in.chords) is offered, and picking it sets the sheet."""
    from assistant.render import preview
    from assistant.song import Key, Song

    played = tmp_path / "guitar idea.wav"
    preview(Song(key=Key(tonic="A", mode="minor"), tempo=96,
                 progression=["i", "bVI", "bIII", "bVII"]), played, bars=8)
    coach = _coach()
    coach.handle("let's do composition")
    reply = coach.handle(f"here are my guitar chords: {played}")
    assert re.search(r"I heard \d+ bars in [A-G][#b]? (major|minor) at about \d+ bpm; the "
                     r"loop is", reply.text), reply.text
    offer = reply.options[0].label
    assert offer.startswith("Use ") and "as the progression" in offer
    key_said = re.search(r"in ([A-G][#b]? (?:major|minor))", reply.text)
    coach.handle("1")
    assert coach.song.progression
    assert key_said and coach.song.key is not None and coach.song.key.name == key_said.group(1)


def test_record_a_take_without_a_microphone_is_one_line(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.asoundrc: no virtual microphone
    coach = _coach()
    coach.handle("let's do recording")
    reply = coach.handle("record a take")
    assert reply.text.startswith("I can't record here: no audio input"), reply.text
    assert len(reply.text.splitlines()) == 1
    assert coach.song.takes == []


def test_favourite_song_offers_its_shape(tmp_path: Path) -> None:
    """A rendered song with sections named as a favourite: its shape is offered and picking
    it sets the sheet's sections (assistant.audio_in.reference hears it)."""
    from assistant.render import preview
    from assistant.song import Key, Section, Song

    favourite = tmp_path / "favourite.wav"
    preview(Song(key=Key(tonic="A", mode="minor"), tempo=120, genre="pop",
                 progression=["i", "bVI", "bIII", "bVII"],
                 sections=[Section(name="verse", bars=8, energy=2),
                           Section(name="chorus", bars=8, energy=5),
                           Section(name="verse", bars=8, energy=2),
                           Section(name="chorus", bars=8, energy=5)]), favourite, demo=True)
    coach = _coach()
    coach.handle("let's do arrangement")
    reply = coach.handle(f"this is my favourite song: {favourite}")
    assert "Your favourite song (favourite.wav):" in reply.text, reply.text
    assert coach.song.reference is not None and coach.song.reference.sections
    assert "Want the same shape?" in reply.text
    offered = len(coach.song.reference.sections)
    coach.handle("1")
    assert len(coach.song.sections) == offered


def test_a_harmonized_hum_is_still_said_to_be_hummed(hum: Path) -> None:
    """The sheet and the decisions keep where the melody came from through the harmonizer
    (it used to say 'typed, harmonized' and 'You typed it.' of a hummed take)."""
    coach = _coach()
    coach.handle("let's do composition")
    coach.handle(f"here's me humming the tune: {hum}")
    coach.handle("yes")
    coach.handle("1")
    melody = coach.song.melody
    assert melody is not None and melody.source == "hummed: my hum.wav, harmonized"
    said = [d.why for d in coach.song.decisions if d.field == "melody"]
    assert said and "typed" not in said[-1], said
