"""The production tools inside the conversation, with real files: takes synthesized with
numpy + soundfile, MIDI takes built with mido, a mix rendered by the render pipeline."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

import mido
import numpy as np
import pytest
import soundfile as sf

from assistant.coach import Coach, Reply, render_request
from assistant.kb.loader import Knowledge, knowledge

SMALL_SOUNDFONT = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
SR = 48000


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return knowledge()


@pytest.fixture
def small_soundfont(monkeypatch: pytest.MonkeyPatch) -> None:
    assert SMALL_SOUNDFONT.exists(), "install timgm6mb-soundfont (see the Makefile)"
    monkeypatch.setenv("COACH_SOUNDFONT", str(SMALL_SOUNDFONT))


def clean_take(path: Path, peak_dbfs: float = -9.0) -> Path:
    """Two seconds of a sung-like tone peaking at `peak_dbfs`, then a second of room noise
    at about -80 dBFS (the noise floor the check reads from the quietest stretch)."""
    rng = np.random.default_rng(1)
    t = np.arange(2 * SR) / SR
    tone = np.sin(2 * np.pi * 220 * t) * np.hanning(t.size) ** 0.2
    tone *= 10 ** (peak_dbfs / 20) / np.abs(tone).max()
    quiet = rng.normal(0, 10 ** (-80 / 20), SR)
    sf.write(path, np.concatenate([tone, quiet]).astype(np.float32), SR, subtype="PCM_24")
    return path


def clipped_take(path: Path) -> Path:
    t = np.arange(2 * SR) / SR
    tone = 0.5 * np.sin(2 * np.pi * 220 * t)
    tone[SR: SR + SR // 4] = np.clip(3 * tone[SR: SR + SR // 4], -1, 1)  # clips at 1.0-1.25 s
    sf.write(path, tone.astype(np.float32), SR, subtype="PCM_24")
    return path


def midi_take(path: Path, jitter_ticks: int = 40, bpm: float = 90, notes: int = 48) -> Path:
    """Eighth notes at `bpm`, onsets moved up to ±jitter_ticks (480 per beat) at random."""
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm)))
    track.append(mido.MetaMessage("time_signature", numerator=4, denominator=4))
    rng = random.Random(3)
    events = []
    for i in range(notes):
        on = max(0, i * 240 + (rng.randint(-jitter_ticks, jitter_ticks) if i else 0))
        pitch = (57, 60, 64, 62)[i % 4]
        events += [(on, 1, pitch), (on + 200, 0, pitch)]
    last = 0
    for tick, is_on, pitch in sorted(events):
        track.append(mido.Message("note_on", note=pitch, velocity=90 if is_on else 0,
                                  time=tick - last))
        last = tick
    midi.save(path)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from assistant.render import preview
    from assistant.song import Key, Song

    folder = tmp_path_factory.mktemp("takes")
    song = Song(key=Key(tonic="A", mode="minor"), tempo=90, progression=["i", "bVI", "bIII",
                                                                          "bVII"], genre="pop")
    mix = folder / "mix.wav"
    preview(song, mix, bars=12, soundfont=SMALL_SOUNDFONT)
    return {
        "clean": clean_take(folder / "vocal_test.wav"),
        "clipped": clipped_take(folder / "hot take.wav"),
        "midi": midi_take(folder / "piano_take.mid"),
        "mix": mix,
    }


def coach_at(kb: Knowledge, stage: str, vibe: str = "sad lo-fi in A minor at 80 bpm") -> Coach:
    coach = Coach(knowledge=kb, seed=0)
    coach.start()
    coach.handle(vibe)
    reply = coach.handle("1")
    assert reply.stage == "composition", reply.text
    if stage != "composition":
        assert coach.handle(f"let's do {stage}").stage == stage
    return coach


def clean_reply(coach: Coach, text: str) -> Reply:
    reply = coach.handle(text)
    assert coach.last_error is None, repr(coach.last_error)
    assert "tripped me up" not in reply.text
    return reply


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- Composition -------------------------------------------------------------------------------
def test_next_chords_are_ranked_with_why_and_a_pick_grows_the_progression(kb: Knowledge) -> None:
    coach = coach_at(kb, "composition")
    assert coach.song.key is not None and coach.song.key.name == "A minor"
    reply = clean_reply(coach, "what comes after Am F?")
    assert "After Am–F" in reply.text and reply.stage == "composition"
    labels = [o.label for o in reply.options]
    assert any(label.startswith(("C ", "G ")) for label in labels), labels  # issue 5's check
    assert all(o.why for o in reply.options)
    why = clean_reply(coach, "why 1")
    assert reply.options[0].why in why.text
    assert reply.options[0].rule_ids  # the theory rule behind it, named by its id
    assert f"`{reply.options[0].rule_ids[0]}`" in why.text
    heard = clean_reply(coach, "play 1")
    assert heard.preview is not None
    first = reply.options[0].label.split(" (")[1].split(")")[0]  # its numeral
    assert heard.preview.song.progression == ["i", "bVI", first]
    assert coach.song.progression != heard.preview.song.progression  # playing is not picking
    grown = clean_reply(coach, "1")
    assert coach.song.progression == ["i", "bVI", first]
    assert grown.options and "After" in grown.text  # ranked again after the new chord
    clean_reply(coach, "2")
    assert len(coach.song.progression) == 4
    kept = clean_reply(coach, "keep it")
    assert "Keeping" in kept.text
    question = coach._question()
    assert question is not None and question.slot == "melody"


def test_next_chords_and_harmonizing_answer_in_any_stage(kb: Knowledge) -> None:
    coach = Coach(knowledge=kb, seed=0)
    coach.start()
    coach.handle("a sad song about leaving home")
    assert coach.stage == "conception"
    question = coach._question()
    reply = clean_reply(coach, "what comes after Am F?")
    assert reply.stage == "conception" and "After Am–F" in reply.text
    assert reply.options and reply.options[0].label.startswith("G ")  # bVII, as in composition
    clean_reply(coach, "1")
    assert coach.song.progression == ["i", "bVI", "bVII"]
    assert coach.song.key is not None and coach.song.key.name == "A minor"
    harmonized = clean_reply(coach, "harmonize C4 E4 G4 C5 B3 D4 G4 B4")
    assert "bar 1" in harmonized.text and "bar 2" in harmonized.text
    assert coach.stage == "conception" and coach._question() == question
    for bad, named in (("C##4/0", "'C##4/0'"), ("C4 H4", "'H4'")):  # issue 5's bad input
        refused = clean_reply(coach, f"harmonize {bad}")
        assert named in refused.text.splitlines()[0] and coach.song.melody is None
    helped = clean_reply(coach, "help")
    assert "ranked next chords" not in helped.text  # a tool listed where it belongs:
    coach.handle("let's do composition")
    assert "ranked next chords" in clean_reply(coach, "help").text  # in Composition


def test_next_chord_reads_chords_only_and_names_a_bad_one(kb: Knowledge) -> None:
    coach = coach_at(kb, "composition")
    progression = list(coach.song.progression)
    chorus = clean_reply(coach, "what comes after the chorus?")
    assert "After" not in chorus.text  # a question for the tips, not for the chord model
    bad = clean_reply(coach, "what comes after Am H7?")
    assert "H7" in bad.text and not any("%" in o.label for o in bad.options)
    # no chords typed: the song's own progression is the history
    coach.handle("i bVI bIII bVII")
    ours = clean_reply(coach, "what comes after that?")
    assert "After Am–F–C–G" in ours.text and ours.options
    assert coach.song.progression != progression


def test_harmonize_a_typed_melody_puts_chords_and_melody_on_the_sheet(kb: Knowledge) -> None:
    from assistant import theory

    coach = coach_at(kb, "composition", vibe="happy pop in C major at 100 bpm")
    reply = clean_reply(coach, "harmonize C4 E4 G4 C5 B3 D4 G4 B4")
    assert "C major" in reply.text and "bar 2" in reply.text
    assert reply.options[0].label.startswith("Use ")
    heard = clean_reply(coach, "play 1")
    assert heard.preview is not None and heard.preview.song.melody is not None
    clean_reply(coach, "1")
    song = coach.song
    assert song.melody is not None and [n.pitch for n in song.melody.notes] == [
        60, 64, 67, 72, 59, 62, 67, 71]
    assert len(song.progression) == 2
    key = song.key
    assert key is not None
    for bar, numeral in enumerate(song.progression):
        tones = set(theory.numeral_to_pitch_classes(numeral, key))
        strong = [n.pitch % 12 for n in song.melody.notes
                  if n.start in (bar * 4.0, bar * 4.0 + 2.0)]
        assert set(strong) <= tones, (numeral, strong)
    # durations are read too: E4/2 is a half note
    again = coach_at(kb, "composition")
    clean_reply(again, "harmonize E4 D4 C4 D4 E4 E4 E4/2")
    clean_reply(again, "2")  # the melody only
    assert again.song.melody is not None and again.song.melody.notes[-1].duration == 2.0


def test_motif_ideas_play_and_the_sheet_keeps_the_motif(kb: Knowledge) -> None:
    coach = coach_at(kb, "composition")
    coach.handle("1")  # a progression
    reply = clean_reply(coach, "sketch a melody")
    assert len(reply.options) == 3 and all(o.label.startswith("Motif") for o in reply.options)
    explained = clean_reply(coach, "why 2")  # each development device in plain words
    from assistant.composition.melody import DEVICE_WHY

    assert f"**sequence**: {DEVICE_WHY['sequence']}" in explained.text
    assert f"**cadence**: {DEVICE_WHY['cadence']}" in explained.text
    heard = clean_reply(coach, "play 2")
    assert heard.preview is not None and heard.preview.bars == 8
    assert heard.preview.song.motif is not None and heard.preview.song.melody is not None
    clean_reply(coach, "2")
    song = coach.song
    assert song.motif is not None and song.melody is not None
    assert song.motif.notes and len(song.melody.notes) > len(song.motif.notes)
    assert all(60 <= n.pitch <= 72 for n in song.melody.notes)  # the default middle range
    again = clean_reply(coach, "give me more motif ideas")
    assert {o.label for o in again.options} != {o.label for o in reply.options}
    played = clean_reply(coach, "play")  # the song so far plays the kept melody
    assert played.preview is not None and played.preview.song.melody == song.melody


def test_the_range_checks_the_melody_and_offers_to_move_it(kb: Knowledge) -> None:
    coach = coach_at(kb, "composition")
    coach.handle("1")
    clean_reply(coach, "A4 C5 E5 D5/2")
    assert coach.song.melody is not None and coach.song.melody.notes[-1].duration == 2
    reply = clean_reply(coach, "my range is A2 to E4")
    assert coach.song.singer_range == (45, 64)
    assert "above the top of the range" in reply.text
    assert reply.options and "down an octave" in reply.options[0].label
    clean_reply(coach, "1")
    assert coach.song.melody is not None
    assert all(45 <= n.pitch <= 64 for n in coach.song.melody.notes)
    fits = clean_reply(coach, "let's do composition")
    assert fits.stage == "composition"
    check = clean_reply(coach, "does the melody fit my range?")
    assert "sits inside" in check.text


def test_sketches_stay_inside_the_singers_range(kb: Knowledge) -> None:
    coach = coach_at(kb, "composition")
    coach.handle("1")
    clean_reply(coach, "my range is G3 to D4")
    assert coach.song.singer_range == (55, 62)
    reply = clean_reply(coach, "sketch a melody")
    assert "your range" in reply.text and len(coach.choices) == 3
    for choice in coach.choices:
        pitches = [n["pitch"] for n in choice.patch["melody"]["notes"]]
        assert pitches and all(55 <= p <= 62 for p in pitches)


# --- Recording ---------------------------------------------------------------------------------
def test_click_and_backing_track_are_written_to_the_data_folder(
    kb: Knowledge, coach_home: Path, small_soundfont: None
) -> None:
    coach = coach_at(kb, "arrangement")
    coach.handle("about 1 minute")
    coach.handle("1")
    coach.handle("let's do recording")
    offer = clean_reply(coach, "vocals and acoustic guitar")
    assert [o.label.split(":")[0] for o in offer.options] == ["Click", "Backing track"]
    click = clean_reply(coach, "1")
    request = click.preview
    assert request is not None and request.kind == "click" and request.count_in == 2
    assert request.wav is not None and str(coach_home / "recordings") in request.wav
    assert request.wav in click.text and click.options  # said where; the other stays offered
    result = render_request(request)
    bars = coach.song.total_bars
    bar_s = 4 * 60 / 80
    assert result.wav is not None and result.wav.exists()
    assert result.duration_s == pytest.approx((bars + 2) * bar_s, abs=1.0)
    clicks = [m for m in mido.MidiFile(result.wav.with_suffix(".mid")).tracks[1]
              if m.type == "note_on" and m.velocity]
    assert len(clicks) == (bars + 2) * 4
    backing = clean_reply(coach, "2")
    request = backing.preview
    assert request is not None and request.kind == "backing track"
    result = render_request(request)
    assert result.wav is not None and result.wav.parent == coach_home / "recordings"
    assert "Click" in result.tracks and not any(
        "melody" in t.lower() or "lead" in t.lower() for t in result.tracks)
    assert result.duration_s >= (bars + 1) * bar_s
    # "play 1" renders the click again (it is something to hear)
    assert clean_reply(coach, "play 1").preview is not None


def test_a_clean_take_passes_and_a_clipped_one_says_where(kb: Knowledge,
                                                          files: dict[str, Path]) -> None:
    coach = coach_at(kb, "recording")
    coach.handle("vocals")
    coach.handle("a USB mic")
    question = coach._question()
    assert question is not None and question.slot == "take"
    clipped = clean_reply(coach, f"here: {files['clipped']}")  # a name with a space
    assert "hot take.wav" in clipped.text and "clipped samples at 1.00 s" in clipped.text
    assert "Why:" in clipped.text and clipped.stage == "recording"  # ask for another take
    before = digest(files["clean"])
    clean = clean_reply(coach, str(files["clean"]))
    assert "peak −9.0 dBFS" in clean.text and "no clipping" in clean.text
    assert "Levels are right" in clean.text
    assert clean.stage == "editing"  # a good take settles the question and the stage
    assert digest(files["clean"]) == before
    notes = " ".join(coach.song.stages["recording"].notes)
    assert "vocal_test.wav" in notes and "hot take.wav" in notes


def test_bad_take_files_get_an_answer_not_an_error(kb: Knowledge, tmp_path: Path,
                                                   files: dict[str, Path]) -> None:
    coach = coach_at(kb, "recording")
    missing = clean_reply(coach, "takes/nothing_here.wav")
    assert "can't find" in missing.text and missing.stage == "recording"
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF but not really")
    assert "couldn't check" in clean_reply(coach, str(junk)).text
    midi = clean_reply(coach, str(files["midi"]))
    assert "Editing" in midi.text
    mp3 = clean_reply(coach, "song.mp3")
    assert mp3.stage == "recording"


# --- Editing -----------------------------------------------------------------------------------
def test_a_midi_take_is_analysed_and_quantized_to_a_copy_on_yes(kb: Knowledge, tmp_path: Path) -> None:
    take = midi_take(tmp_path / "piano.mid")
    before = digest(take)
    coach = coach_at(kb, "editing")
    genre = kb.find_genre("lo-fi")
    assert genre is not None and coach.song.genre == genre.name
    reply = clean_reply(coach, str(take))
    assert "A minor" in reply.text and "90 bpm" in reply.text and "grid 1/8" in reply.text
    first = reply.options[0].label
    # the genre's feel from the knowledge base: lo-fi's strength and swing
    assert f"{round(genre.quantize_strength * 100)}%" in first
    assert f"swing {genre.swing:.2f}" in first
    question = coach._question()
    assert question is not None and question.slot == "quantize"
    done = clean_reply(coach, "yes")
    out = tmp_path / "piano-quantized.mid"
    assert out.exists() and digest(take) == before  # a new file; the take untouched
    assert str(out) in done.text and "| mean distance" in done.text
    from assistant.analysis.midi_take import take_timing

    # the figures are against the very grid and swing of the edit
    was = take_timing(mido.MidiFile(take), "1/8", genre.swing)
    now = take_timing(mido.MidiFile(out), "1/8", genre.swing)
    assert now["mean_abs_deviation_ms"] < was["mean_abs_deviation_ms"] / 2
    assert f"| {was['mean_abs_deviation_ms']:.1f} ms | {now['mean_abs_deviation_ms']:.1f} ms |" \
        in done.text
    assert done.stage == "mixing"  # the quantize question was settled
    assert any(d.field == "quantize" and "piano-quantized.mid" in d.value
               for d in coach.song.decisions)


def test_explicit_quantize_settings_put_every_onset_on_the_grid(kb: Knowledge,
                                                               tmp_path: Path) -> None:
    take = midi_take(tmp_path / "keys.mid", jitter_ticks=60)
    coach = coach_at(kb, "editing")
    clean_reply(coach, str(take))
    reply = clean_reply(coach, "quantize 1/8 at 100% straight")
    out = tmp_path / "keys-quantized.mid"
    assert out.exists() and "100%" in reply.text
    onsets = []
    now = 0
    for message in mido.MidiFile(out).tracks[0]:
        now += message.time
        if message.type == "note_on" and message.velocity:
            onsets.append(now)
    assert onsets and all(t % 240 == 0 for t in onsets)
    # a second take opens the quantize question again, and its copy gets a new name
    coach.handle("let's do editing")
    clean_reply(coach, str(take))
    question = coach._question()
    assert question is not None and question.slot == "quantize"
    clean_reply(coach, "2")
    assert (tmp_path / "keys-quantized-2.mid").exists()
    assert coach.song.meter == "4/4"  # "1/8" is a grid, not a meter
    coach.handle("let's do editing")
    bad = clean_reply(coach, "quantize 1/8 at 50% swing 0.9")
    assert "0.5..0.75" in bad.text


def test_an_audio_take_in_editing_gets_the_level_check(kb: Knowledge,
                                                       files: dict[str, Path]) -> None:
    coach = coach_at(kb, "editing")
    reply = clean_reply(coach, str(files["clean"]))
    assert "peak −9.0 dBFS" in reply.text and "crossfade" in reply.text
    question = coach._question()
    assert question is not None and question.slot == "quantize"


def test_arrangement_edits_reach_the_rendered_midi(kb: Knowledge, tmp_path: Path) -> None:
    from assistant.render.pipeline import render_song

    coach = coach_at(kb, "arrangement", vibe="sad pop in A minor at 80 bpm")
    coach.handle("about 3 minutes")
    coach.handle("1")
    names = [s.name for s in coach.song.sections]
    assert {"intro", "verse", "chorus"} <= set(names)
    if "bridge" not in names:
        coach.handle("add a bridge")
    coach.handle("let's do editing")  # the edits work in any stage once there is a structure
    choruses = [s.name for s in coach.song.sections].count("chorus")
    reply = clean_reply(coach, "duplicate the chorus")
    assert [s.name for s in coach.song.sections].count("chorus") == choruses + 1
    assert "Now:" in reply.text
    clean_reply(coach, "make the bridge 4 bars")
    assert all(s.bars == 4 for s in coach.song.sections if s.name == "bridge")
    clean_reply(coach, "no drums in the intro")
    level = clean_reply(coach, "bring the bass down to 60% in the verse")
    assert "60%" in level.text
    bass = [i.name for i in coach.song.instrumentation if i.role == "bass"]
    assert bass
    for section in coach.song.sections:
        if section.name == "verse":
            assert section.levels == {bass[0]: 0.6}
        else:
            assert not section.levels
    clean_reply(coach, "turn the bass down in the chorus")
    assert all(s.levels == {bass[0]: 0.75} for s in coach.song.sections if s.name == "chorus")
    midi_path = tmp_path / "demo.mid"
    render_song(coach.song, None, midi_path, demo=True)
    midi = mido.MidiFile(midi_path)
    tracks = {str(t.name): t for t in midi.tracks}
    expression = [m.value for m in tracks[bass[0]] if m.type == "control_change" and m.control == 11]
    assert 76 in expression and 95 in expression  # 60% and 75% of 127
    # the drums are silent in the intro: no drum note before the first verse's marker
    markers, now = {}, 0
    for message in midi.tracks[0]:
        now += message.time
        if message.type == "marker":
            markers.setdefault(message.text, now)
    drums = next(t for t in midi.tracks if any(getattr(m, "channel", None) == 9 for m in t))
    now, first_hit = 0, None
    for message in drums:
        now += message.time
        if message.type == "note_on" and message.velocity and first_hit is None:
            first_hit = now
    assert first_hit is not None and first_hit >= markers["verse"]


# --- Mixing & Mastering ------------------------------------------------------------------------
def test_mix_analysis_advice_walk_master_and_release_checklist(
    kb: Knowledge, files: dict[str, Path], tmp_path: Path
) -> None:
    from assistant.analysis.audio_report import analyze_audio

    mix = tmp_path / "my mix.wav"
    mix.write_bytes(files["mix"].read_bytes())
    before = digest(mix)
    coach = coach_at(kb, "mixing", vibe="sad pop in A minor at 90 bpm")
    clean_reply(coach, "Spotify")
    reply = clean_reply(coach, str(mix))
    expected = analyze_audio(mix, target="spotify", genre="pop", stage="mixing", kb=kb)
    assert reply.analysis is not None
    assert reply.analysis["integrated_lufs"] == expected["integrated_lufs"]
    assert reply.analysis["spectral_balance"] and reply.analysis["target"]["name"] == "Spotify"
    assert f"{expected['integrated_lufs']:.1f}".replace("-", "−") in reply.text
    assert "pop curve" in reply.text
    advice = expected["advice"]
    assert advice, "a -15 LUFS render should draw advice against -14 LUFS"
    assert advice[0]["message"] in reply.text  # most important first
    shown = min(2, len(advice))
    while shown < len(advice):
        page = clean_reply(coach, "next")
        assert advice[shown]["message"] in page.text and page.stage == "mixing"
        shown += 2
    mastered = clean_reply(coach, "master it")
    out = tmp_path / "my mix-master-spotify.wav"
    assert out.exists() and digest(mix) == before
    assert str(out) in mastered.text and "Release checklist" in mastered.text
    measured = analyze_audio(out, target="spotify", stage="mixing", kb=kb)
    assert measured["integrated_lufs"] == pytest.approx(-14.0, abs=0.5)
    assert measured["true_peak_dbtp"] <= -1.0
    assert mastered.analysis is not None and mastered.analysis["integrated_lufs"] == pytest.approx(
        measured["integrated_lufs"], abs=0.2)
    assert "- [x] True peak" in mastered.text
    assert mastered.done  # the mix question was the last open one: the song is through
    assert any(d.field == "master preview" for d in coach.song.decisions)


def test_no_master_gives_the_checklist_and_state_survives_a_restore(
    kb: Knowledge, files: dict[str, Path]
) -> None:
    coach = coach_at(kb, "mixing", vibe="sad pop in A minor at 90 bpm")
    coach.handle("Apple Music")
    reply = clean_reply(coach, str(files["mix"]))
    assert "Apple Music" in reply.text
    data = json.loads(json.dumps(coach.snapshot()))
    again = Coach.restore(data, knowledge=kb)
    assert again.memo == coach.memo  # the tools' memory is part of the session
    walk: list[str] = []
    for _ in range(6):
        step = again.handle("next")
        walk.append(step.text)
        if "Release checklist" in step.text:
            break
    assert "Release checklist — Apple Music" in walk[-1]
    assert "- [ ] Master it" in walk[-1]
    assert not (files["mix"].parent / "mix-master-apple-music.wav").exists()


def test_a_silent_or_missing_mix_is_explained(kb: Knowledge, tmp_path: Path) -> None:
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros((SR * 2, 2), dtype=np.float32), SR)
    coach = coach_at(kb, "mixing")
    reply = clean_reply(coach, str(silent))
    assert "silent" in reply.text.lower()
    assert "couldn't make the master" in clean_reply(coach, "master it").text
    assert "can't find" in clean_reply(coach, "mixes/nope.flac").text
    assert "compressed" in clean_reply(coach, "final.mp3").text


def test_outputs_go_to_the_data_folder_when_the_take_folder_is_read_only(
    coach_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.stages import files as files_module

    monkeypatch.setattr(files_module.os, "access", lambda *_: False)
    out = files_module.output_beside(tmp_path / "take.mid", "take-quantized.mid", "edits")
    assert out == coach_home / "edits" / "take-quantized.mid"
    out.write_bytes(b"x")
    assert files_module.output_beside(tmp_path / "take.mid", "take-quantized.mid",
                                      "edits").name == "take-quantized-2.mid"


def test_tools_list_in_help(kb: Knowledge) -> None:
    coach = coach_at(kb, "mixing")
    helped: Any = clean_reply(coach, "help")
    assert "master it" in helped.text and "Tools in this stage" in helped.text


def test_a_mix_named_before_its_question_is_remembered_there(kb: Knowledge,
                                                           files: dict[str, Path]) -> None:
    coach = coach_at(kb, "mixing")
    question = coach._question()
    assert question is not None and question.slot == "mix.platform"
    measured = clean_reply(coach, str(files["mix"]))
    assert "no platform chosen yet" in measured.text and measured.analysis is not None
    asked = clean_reply(coach, "YouTube")
    assert "I measured `mix.wav` already" in asked.text
    assert asked.options and asked.options[0].label.startswith("Master preview for YouTube")


def test_next_chords_without_a_key_read_the_chords_in_a_guessed_one(kb: Knowledge) -> None:
    coach = Coach(knowledge=kb)
    coach.start()
    coach.handle("let's do composition")
    assert coach.song.key is None
    reply = clean_reply(coach, "what comes after C G Am?")
    assert "C major" in reply.text and "No key on the sheet yet" in reply.text
    assert reply.options and reply.options[0].label.startswith("F ")
    clean_reply(coach, "1")
    assert coach.song.key is not None and coach.song.key.name == "C major"
    assert coach.song.progression == ["I", "V", "vi", "IV"]


def test_notes_typed_at_another_question_become_the_melody(kb: Knowledge) -> None:
    coach = coach_at(kb, "composition")
    reply = clean_reply(coach, "A4 G4 F4 E4/2")
    assert "Kept that as your melody" in reply.text and "Which chord progression" in reply.text
    assert coach.song.meter == "4/4"  # "E4/2" is a half note, not a meter
    assert coach.song.melody is not None and coach.song.melody.notes[-1].duration == 2
    harmonized = clean_reply(coach, "harmonize it")
    assert "bar 2" in harmonized.text and harmonized.options
    assert "first" in clean_reply(coach, "does it fit my range?").text  # no range yet


def test_a_midi_file_answers_the_melody_question(kb: Knowledge, tmp_path: Path) -> None:
    coach = coach_at(kb, "composition")
    coach.handle("1")
    question = coach._question()
    assert question is not None and question.slot == "melody"
    reply = clean_reply(coach, str(midi_take(tmp_path / "tune.mid", jitter_ticks=0, notes=8)))
    assert "Kept the melody of tune.mid: 8 notes" in reply.text
    assert coach.song.melody is not None and coach.song.melody.notes[0].pitch == 57


def test_checklist_in_mixing_is_the_stages_until_a_mix_is_measured(
    kb: Knowledge, files: dict[str, Path]
) -> None:
    coach = coach_at(kb, "mixing", vibe="sad pop in A minor at 90 bpm")
    before = clean_reply(coach, "checklist")
    assert "Mixing & Mastering checklist" in before.text
    assert kb.stage("mixing").checklist[0] in before.text
    clean_reply(coach, "Spotify")
    clean_reply(coach, str(files["mix"]))
    after = clean_reply(coach, "checklist")
    assert "Release checklist — Spotify" in after.text
