"""`coach analyze` on audio: the take check, the mix analysis, advice, bad input, the picture."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from assistant.analysis.advice import advise, metrics_of
from assistant.analysis.audio import measure_array
from assistant.analysis.audio_report import analyze_audio, choose_stage, format_audio_report
from assistant.analysis.spectrum import band_label, octave_bands

SR = 48000


def sine(seconds: float, peak_dbfs: float, freq: float = 440.0, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return 10 ** (peak_dbfs / 20) * np.sin(2 * np.pi * freq * t)


def room_tone(seconds: float, rms_dbfs: float, seed: int = 0, sr: int = SR) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(int(seconds * sr)) * 10 ** (rms_dbfs / 20)


def write(path: Path, x: np.ndarray, sr: int = SR, subtype: str = "PCM_24") -> Path:
    sf.write(path, x, sr, subtype=subtype)
    return path


def analyze_json(coach_cli, *args: str) -> dict:  # type: ignore[no-untyped-def]
    done = coach_cli("analyze", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def assert_one_line_error(done) -> None:  # type: ignore[no-untyped-def]
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("coach: ")


# --- the take check (issue 6) ------------------------------------------------------------

def test_a_clipped_take_reports_the_clipped_samples_and_when(tmp_path: Path, coach_cli) -> None:
    take = np.concatenate([room_tone(1.0, -70), sine(1.0, -12.0)])
    burst = slice(int(1.30 * SR), int(1.45 * SR))
    take[burst] = np.clip(take[burst] * 10 ** (18 / 20), -1.0, 1.0)  # driven into the ceiling
    path = write(tmp_path / "take.wav", take)
    result = analyze_json(coach_cli, str(path))
    assert result["kind"] == "audio" and result["stage"] == "recording"  # mono: a take
    assert result["clipped_samples"] > 500
    assert result["clips"], "where the clipping happens"
    assert result["clips"][0]["start_s"] == pytest.approx(1.30, abs=0.01)
    assert result["clips"][-1]["end_s"] == pytest.approx(1.45, abs=0.01)
    assert sum(c["samples"] for c in result["clips"]) == result["clipped_samples"]
    assert result["sample_peak_dbfs"] == pytest.approx(0.0, abs=0.01)
    metrics = {a["metric"] for a in result["advice"]}
    assert "clipped_samples" in metrics
    assert result["advice"][0]["severity"] == max(a["severity"] for a in result["advice"])
    assert all(a["why"] and a["id"] and a["message"] for a in result["advice"])
    text = coach_cli("analyze", str(path)).stdout
    assert "clipped samples" in text and "1.30" in text


def test_a_clean_take_at_minus_9_reports_no_clipping_and_the_right_peak(
        tmp_path: Path, coach_cli) -> None:
    take = np.concatenate([room_tone(1.5, -72), sine(4.0, -9.0) + room_tone(4.0, -72, 1)])
    take *= 10 ** (-9 / 20) / np.abs(take).max()  # peak exactly -9 dBFS
    path = write(tmp_path / "clean.flac", take)
    result = analyze_json(coach_cli, str(path), "--stage", "recording")
    assert result["clipped_samples"] == 0 and result["clips"] == []
    assert result["sample_peak_dbfs"] == pytest.approx(-9.0, abs=0.1)
    assert result["headroom_db"] == pytest.approx(9.0, abs=0.1)
    assert result["noise_floor_dbfs"] == pytest.approx(-72.0, abs=1.5)
    assert result["rms_dbfs"] < -9.0
    assert {"clipped_samples", "noise_floor_dbfs"}.isdisjoint(
        a["metric"] for a in result["advice"])
    # peaks at -9 sit inside the -12..-6 window: no peak advice either
    assert "sample_peak_dbfs" not in {a["metric"] for a in result["advice"]}


def test_dc_offset_and_silence_at_the_ends() -> None:
    x = np.concatenate([np.zeros(SR), sine(3.0, -6.0) + 0.02, np.zeros(2 * SR)])
    m = measure_array(x, SR)
    assert max(abs(v) for v in m.dc) == pytest.approx(0.02 * 3 / 6, rel=0.05)
    assert m.silence_start_s == pytest.approx(1.0, abs=0.01)
    assert m.silence_end_s == pytest.approx(2.0, abs=0.01)


def test_float_overs_count_as_clipping() -> None:
    x = sine(1.0, 0.0)
    x[1000:1003] = [1.2, 1.3, 1.1]
    assert measure_array(x, SR).clipped_samples >= 3


def test_a_normalised_peak_is_not_clipping() -> None:
    # one sample reaching full scale after normalising is a peak, not a flat-topped clip
    x = sine(2.0, 0.0, freq=50.0)
    assert measure_array(x, SR).clipped_samples == 0


# --- the mix analysis (issue 7) ----------------------------------------------------------

def test_stereo_figures() -> None:
    mono = sine(5.0, -12.0)
    same = measure_array(np.stack([mono, mono], axis=1), SR).stereo
    assert same is not None
    assert same["correlation"] == pytest.approx(1.0, abs=1e-6)
    assert same["width"] == pytest.approx(0.0, abs=1e-6)
    assert same["mono_loss_db"] == pytest.approx(0.0, abs=0.01)
    assert same["balance_db"] == pytest.approx(0.0, abs=0.01)
    flipped = measure_array(np.stack([mono, -mono], axis=1), SR).stereo
    assert flipped is not None and flipped["correlation"] == pytest.approx(-1.0, abs=1e-6)
    assert flipped["mono_loss_db"] > 40
    rng = np.random.default_rng(5)
    noise = rng.standard_normal((5 * SR, 2)) * 0.1
    loose = measure_array(noise, SR).stereo
    assert loose is not None and abs(loose["correlation"]) < 0.05
    assert loose["mono_loss_db"] == pytest.approx(3.0, abs=0.2)
    left_heavy = measure_array(np.stack([mono, mono * 10 ** (-6 / 20)], axis=1), SR).stereo
    assert left_heavy is not None and left_heavy["balance_db"] == pytest.approx(6.0, abs=0.05)


def test_spectral_balance_finds_the_band_that_stands_out(tmp_path: Path) -> None:
    from assistant.kb.loader import knowledge

    kb = knowledge()
    curve = kb.get("curve.pop")
    rng = np.random.default_rng(1)
    n = 8 * SR
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / SR)
    shaped = spectrum / np.sqrt(np.maximum(freqs, 20.0))  # pink: equal energy per octave
    for band in curve.bands:  # then the curve's shape, and 10 dB too much around 2 kHz
        boost = band.db + (10.0 if band.low_hz == 1420 else 0.0)
        shaped[(freqs >= band.low_hz) & (freqs < band.high_hz)] *= 10 ** (boost / 20)
    x = np.fft.irfft(shaped, n)
    x *= 0.3 / np.abs(x).max()
    path = write(tmp_path / "mix.wav", np.stack([x, x], axis=1))
    result = analyze_audio(path, genre="pop", kb=kb)
    assert result["stage"] == "mixing"
    bands = {b["band"]: b for b in result["spectral_balance"]}
    assert result["worst_band"]["band"] == "2 kHz"
    # +10 dB in one of ten bands lifts their mean by 1 dB: 2 kHz sits +9, the rest -1
    assert bands["2 kHz"]["deviation_db"] == pytest.approx(9.0, abs=1.0)
    others = [b["deviation_db"] for name, b in bands.items() if name != "2 kHz"]
    assert max(abs(d + 1.0) for d in others) < 1.0
    assert all(b["target_db"] is not None for b in bands.values())
    advice = [a for a in result["advice"] if a["metric"] == "band_deviation_db"]
    assert advice and "2 kHz" in advice[0]["message"]


def test_mix_analysis_json_holds_both_contracts(tmp_path: Path, coach_cli) -> None:
    t = np.arange(6 * SR) / SR
    left = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * np.sin(2 * np.pi * 3000 * t)
    right = 0.25 * np.sin(2 * np.pi * 220 * t + 0.3)
    path = write(tmp_path / "mix.wav", np.stack([left, right], axis=1), 44100, "PCM_16")
    result = analyze_json(coach_cli, str(path), "--target", "apple-music", "--genre", "rock")
    take_keys = {"kind", "sample_peak_dbfs", "clipped_samples", "clips", "rms_dbfs",
                 "noise_floor_dbfs", "headroom_db", "dc_offset", "advice"}
    mix_keys = {"integrated_lufs", "short_term_max_lufs", "momentary_max_lufs",
                "loudness_range_lu", "true_peak_dbtp", "plr_db", "crest_db", "stereo",
                "spectral_balance", "target"}
    assert take_keys | mix_keys <= set(result)
    assert set(result["stereo"]) == {"correlation", "width", "mono_loss_db", "balance_db"}
    assert {"low_hz", "high_hz", "db", "target_db"} <= set(result["spectral_balance"][0])
    assert result["target"]["name"] == "Apple Music" and result["target"]["lufs"] == -16.0
    assert result["stage"] == "mixing"
    assert result["plr_db"] == pytest.approx(
        result["true_peak_dbtp"] - result["integrated_lufs"], abs=0.02)
    over = result["integrated_lufs"] - (-16.0)
    lufs_advice = [a for a in result["advice"] if a["metric"] == "lufs_over_target"]
    assert lufs_advice and lufs_advice[0]["value"] == pytest.approx(over, abs=0.01)
    assert "Apple Music" in lufs_advice[0]["message"]


@pytest.mark.parametrize("name, sr, subtype", [
    ("mix.aiff", 44100, "PCM_16"), ("mix.flac", 96000, "PCM_24"), ("mix.wav", 48000, "FLOAT"),
])
def test_formats_depths_and_rates(tmp_path: Path, name: str, sr: int, subtype: str) -> None:
    from assistant.kb.loader import knowledge

    tone = sine(4.0, -20.0, 1000.0, sr)
    path = write(tmp_path / name, np.stack([tone, tone], axis=1), sr, subtype)
    result = analyze_audio(path, target="spotify", kb=knowledge())
    assert result["sample_rate"] == sr and result["subtype"] == subtype
    assert result["sample_peak_dbfs"] == pytest.approx(-20.0, abs=0.05)
    assert result["integrated_lufs"] == pytest.approx(-20.0, abs=0.1)  # stereo 1 kHz sine
    assert result["true_peak_dbtp"] == pytest.approx(-20.0, abs=0.05)
    assert result["target"]["lufs"] == -14.0


def test_stage_choice() -> None:
    assert choose_stage("auto", channels=1, duration_s=200, target=None, genre=None) == \
        "recording"
    assert choose_stage("auto", channels=2, duration_s=10, target=None, genre=None) == \
        "recording"
    assert choose_stage("auto", channels=2, duration_s=200, target=None, genre=None) == "mixing"
    assert choose_stage("auto", channels=1, duration_s=5, target="spotify", genre=None) == \
        "mixing"
    assert choose_stage("recording", channels=2, duration_s=200, target=None,
                        genre="pop") == "recording"


# --- advice ------------------------------------------------------------------------------

@dataclass
class FakeRule:
    id: str
    metric: str
    min: float | None = None
    max: float | None = None
    severity: int = 2
    stage: str = "mixing"
    message: str = "{value:.1f} vs {max} on {target_name}"
    why: str = "because"
    source: str = ""


def test_rules_fire_outside_their_bounds_most_severe_first() -> None:
    rules = [
        FakeRule("rule.a", "plr_db", min=8.0, severity=1, message="PLR {value:.1f} < {min:g}"),
        FakeRule("rule.b", "true_peak_over_ceiling", max=0.0, severity=3),
        FakeRule("rule.c", "plr_db", min=6.0, severity=2, message="PLR {value:.1f} < {min:g}"),
        FakeRule("rule.d", "loudness_range_lu", max=15.0),
        FakeRule("rule.e", "rms_dbfs", max=-10.0, stage="recording"),
        FakeRule("rule.f", "band_deviation_db", max=1.0, message="{band} off by {value:.1f}"),
    ]
    metrics = {"plr_db": 5.0, "true_peak_over_ceiling": 0.4, "loudness_range_lu": 8.0,
               "rms_dbfs": -3.0, "band_deviation_db": 2.0}
    items = advise(metrics, rules, "mixing", {"target_name": "Spotify", "band": "63 Hz"})
    assert [i["id"] for i in items] == ["rule.b", "rule.c", "rule.f"]
    assert items[0]["message"] == "0.4 vs 0.0 on Spotify"
    assert items[1]["message"] == "PLR 5.0 < 6"  # one finding per metric, the most severe
    assert items[2]["message"] == "63 Hz off by 2.0"
    assert advise({"plr_db": None}, rules, "mixing") == []  # unmeasured fires nothing


def test_a_broken_message_does_not_break_the_report() -> None:
    rule = FakeRule("rule.x", "plr_db", min=8.0, message="{value:.1f} {nonsense} {0}")
    items = advise({"plr_db": 2.0}, [rule], "mixing")
    assert items and "plr_db" in items[0]["message"]


def test_metrics_follow_the_knowledge_contract() -> None:
    result = {"integrated_lufs": -10.0, "true_peak_dbtp": 0.5, "dc_offset": -0.02,
              "target": {"lufs": -14.0, "true_peak_dbtp": -1.0},
              "stereo": {"correlation": 0.5, "mono_loss_db": 1.0, "balance_db": -2.0},
              "worst_band": {"deviation_db": -5.0}}
    m = metrics_of(result)
    assert m["lufs_over_target"] == pytest.approx(4.0)
    assert m["true_peak_over_ceiling"] == pytest.approx(1.5)
    assert m["dc_offset"] == pytest.approx(0.02)
    assert m["balance_db"] == pytest.approx(2.0)
    assert m["band_deviation_db"] == pytest.approx(5.0)
    assert m["stereo_correlation"] == pytest.approx(0.5)
    assert m["noise_floor_dbfs"] is None


def test_octave_bands_and_labels() -> None:
    assert len(octave_bands(44100)) == 10
    assert len(octave_bands(22050)) == 9  # the 16 kHz band starts above Nyquist
    assert band_label(22, 44) == "31.5 Hz" and band_label(710, 1420) == "1 kHz"
    assert band_label(11360, 22720) == "16 kHz"


# --- odd and bad input -------------------------------------------------------------------

def test_silent_file_says_minus_inf(tmp_path: Path, coach_cli) -> None:
    path = write(tmp_path / "silence.wav", np.zeros((5 * SR, 2)), subtype="PCM_16")
    result = analyze_json(coach_cli, str(path))
    assert result["integrated_lufs"] is None
    assert any("-inf" in note for note in result["notes"])
    text = coach_cli("analyze", str(path))
    assert text.returncode == 0 and "-inf LUFS" in text.stdout


def test_one_second_file_says_what_could_not_be_measured(tmp_path: Path) -> None:
    from assistant.kb.loader import knowledge

    path = write(tmp_path / "short.wav", sine(1.0, -20.0))
    result = analyze_audio(path, kb=knowledge())
    assert result["integrated_lufs"] is not None  # 0.4 s blocks fit
    assert result["short_term_max_lufs"] is None and result["loudness_range_lu"] is None
    assert any("short-term" in note and "3 s" in note for note in result["notes"])
    assert "short-term max n/a" in format_audio_report(result)


def test_eight_channels_are_measured_as_7_1(tmp_path: Path) -> None:
    x = np.zeros((3 * SR, 8))
    x[:, 0] = x[:, 1] = sine(3.0, -23.0, 1000.0)
    x[:, 3] = sine(3.0, -3.0, 50.0)  # LFE: not counted
    info_path = write(tmp_path / "eight.wav", x)
    from assistant.analysis.audio import measure_file

    _, m = measure_file(info_path)
    assert m.layout.startswith("7.1")
    assert m.loudness.integrated == pytest.approx(-23.0, abs=0.1)
    assert m.stereo is None


def test_truncated_wav_gives_a_partial_report(tmp_path: Path, coach_cli) -> None:
    whole = write(tmp_path / "whole.wav", sine(4.0, -20.0), subtype="PCM_16")
    data = whole.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 2])
    result = analyze_json(coach_cli, str(cut))
    assert result["duration_s"] == pytest.approx(2.0, abs=0.05)
    assert any("truncated" in note for note in result["notes"])


@pytest.mark.parametrize("case", ["text", "empty", "header", "folder", "missing",
                                  "target", "channels", "plot", "genre"])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, coach_cli, case: str) -> None:
    good = write(tmp_path / "good.wav", sine(2.0, -20.0), subtype="PCM_16")
    args: list[str]
    if case == "text":
        bad = tmp_path / "notes.wav"
        bad.write_text("these are my lyrics, not audio\n" * 20)
        args = [str(bad)]
    elif case == "empty":
        bad = tmp_path / "empty.wav"
        bad.write_bytes(b"")
        args = [str(bad)]
    elif case == "header":
        bad = tmp_path / "header.wav"
        bad.write_bytes(good.read_bytes()[:30])
        args = [str(bad)]
    elif case == "folder":
        args = [str(tmp_path)]
    elif case == "missing":
        args = [str(tmp_path / "nope.wav")]
    elif case == "target":
        args = [str(good), "--target", "myspace"]
    elif case == "channels":
        args = [str(write(tmp_path / "seven.wav", np.zeros((SR, 7))))]
    elif case == "plot":
        args = [str(good), "--plot", str(tmp_path / "report.txt")]
    else:
        args = [str(good), "--genre", "gregorian-chant-metal"]
    assert_one_line_error(coach_cli("analyze", *args))


# --- MIDI dispatch, pictures -------------------------------------------------------------

def test_midi_goes_to_the_midi_take_analysis(tmp_path: Path, coach_cli) -> None:
    import mido

    song = mido.MidiFile()
    track = mido.MidiTrack()
    song.tracks.append(track)
    for i, note in enumerate([60, 62, 64, 65, 67, 65, 64, 62, 60] * 2):
        track.append(mido.Message("note_on", note=note, velocity=80, time=0 if i == 0 else 0))
        track.append(mido.Message("note_off", note=note, velocity=0, time=240))
    path = tmp_path / "take.bin"  # no .mid suffix: the "MThd" header decides
    song.save(path)
    result = analyze_json(coach_cli, str(path))
    assert result["kind"] == "midi"
    assert_one_line_error(coach_cli("analyze", str(path), "--plot", str(tmp_path / "x.png")))


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_plot_writes_a_picture(tmp_path: Path, suffix: str, magic: bytes) -> None:
    from assistant.analysis.plot import plot_report
    from assistant.kb.loader import knowledge

    t = np.arange(6 * SR) / SR
    x = 0.3 * np.sin(2 * np.pi * 110 * t) * (1 + 0.5 * np.sin(2 * np.pi * 0.5 * t))
    path = write(tmp_path / "mix.wav", np.stack([x, x], axis=1))
    result = analyze_audio(path, genre="pop", target="spotify", kb=knowledge())
    out = plot_report(result, tmp_path / f"report{suffix}")
    assert out.read_bytes()[:5].startswith(magic)
    assert out.stat().st_size > 5000
    assert not math.isnan(result["integrated_lufs"])
