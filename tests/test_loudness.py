"""The meter against EBU Tech 3341/3342 and ITU-R BS.2217, on signals synthesized from their
definitions; where ../shared/data/loudness holds the official file for a case, it is
measured too (the synthesized signal is always measured, so nothing is ever skipped)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import test_loudness_signals as sig

from assistant.analysis.audio import measure_array, measure_file
from assistant.analysis.loudness import KFilter, kweighting_biquads
from assistant.analysis.truepeak import interpolator, oversampling_factor, true_peak

LOUDNESS_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "loudness"
EBU = LOUDNESS_DATA / "ebu_testset_v05_flac"
ITU = LOUDNESS_DATA / "itu_bs2217_flac"


def official(folder: Path, name: str) -> list[np.ndarray]:
    """The official signal when the shared data is there (an empty list otherwise)."""
    path = folder / name
    return [sf.read(path, dtype="float32", always_2d=True)[0]] if path.exists() else []


def db(value: float) -> float:
    return 20 * math.log10(value)


def test_k_weighting_matches_the_bs1770_table_at_48k() -> None:
    (b1, a1), (b2, a2) = kweighting_biquads(48000)
    assert b1 == pytest.approx([1.53512485958697, -2.69169618940638, 1.19839281085285], abs=1e-9)
    assert a1 == pytest.approx([1.0, -1.69065929318241, 0.73248077421585], abs=1e-9)
    assert b2 == [1.0, -2.0, 1.0]
    assert a2 == pytest.approx([1.0, -1.99004745483398, 0.99007225036621], abs=1e-9)


@pytest.mark.parametrize("sr", [44100, 48000, 96000])
def test_block_filter_equals_the_plain_recursion(sr: int) -> None:
    from scipy.signal import lfilter

    rng = np.random.default_rng(sr)
    x = (rng.standard_normal(64 * 300) * 0.3).astype(np.float32)
    x[:2000] += 0.5  # a step: exercises the slow high-pass pole
    (b1, a1), (b2, a2) = kweighting_biquads(sr)
    expected = lfilter(b2, a2, lfilter(b1, a1, x.astype(np.float64)))
    kf = KFilter(sr, 64)
    state = np.zeros(6)
    parts = []
    for chunk in np.split(x, 6):  # state carried across calls, as the meter streams
        y, state = kf.process(chunk, state)
        parts.append(np.asarray(y).reshape(-1))
    assert np.abs(np.concatenate(parts) - expected).max() < 1e-4


@pytest.mark.parametrize("case", sorted(sig.TECH3341_I))
def test_tech3341_integrated(case: int) -> None:
    loud = measure_array(sig.tone(sig.TECH3341_I[case]), sig.SR).loudness
    expected = sig.TECH3341_I_EXPECTED[case]
    assert loud.integrated == pytest.approx(expected, abs=0.1)
    if case in (1, 2):  # the table asks M and S too for the steady tones
        assert loud.momentary_max == pytest.approx(expected, abs=0.1)
        assert loud.short_term_max == pytest.approx(expected, abs=0.1)
        assert np.abs(loud.short_term - expected).max() < 0.1


def test_tech3341_case9_short_term_is_constant_after_3s() -> None:
    short = measure_array(sig.case9(), sig.SR).loudness.short_term
    assert short.size > 1000
    assert np.abs(short - (-23.0)).max() < 0.1


def test_tech3341_case12_momentary_is_constant_after_1s() -> None:
    momentary = measure_array(sig.case12(), sig.SR).loudness.momentary
    after = momentary[60:]  # windows ending from 1 s on (10 ms hop, 400 ms window)
    assert after.size > 800
    assert np.abs(after - (-23.0)).max() < 0.1
    for x in official(EBU, "seq-3341-12-24bit.flac"):
        assert np.abs(measure_array(x, sig.SR).loudness.momentary[60:] + 23.0).max() < 0.1


@pytest.mark.parametrize("i", [0, 7, 19])
def test_tech3341_cases_10_and_13_maxima_do_not_depend_on_the_offset(i: int) -> None:
    assert measure_array(sig.case10(i), sig.SR).loudness.short_term_max == pytest.approx(
        -23.0, abs=0.1)
    assert measure_array(sig.case13(i), sig.SR).loudness.momentary_max == pytest.approx(
        -23.0, abs=0.1)
    for x in official(EBU, f"seq-3341-13-{i + 1}-24bit.flac"):
        assert measure_array(x, sig.SR).loudness.momentary_max == pytest.approx(-23.0, abs=0.1)
    for x in official(EBU, f"seq-3341-10-{i + 1}-24bit.flac"):
        assert measure_array(x, sig.SR).loudness.short_term_max == pytest.approx(-23.0, abs=0.1)


@pytest.mark.parametrize("case", sorted(sig.TECH3342))
def test_tech3342_loudness_range(case: int) -> None:
    segments, expected = sig.TECH3342[case]
    lra = measure_array(sig.tone(segments), sig.SR).loudness.loudness_range
    assert lra == pytest.approx(expected, abs=1.0)
    assert lra == pytest.approx(expected, abs=0.1)  # and in fact much closer


@pytest.mark.parametrize("case", sorted(sig.TRUE_PEAK_EXPECTED))
def test_tech3341_true_peak(case: int) -> None:
    made = sig.true_peak_sine(case) if case < 20 else sig.true_peak_burst(case)
    low, high = sig.TRUE_PEAK_TOLERANCE
    expected = sig.TRUE_PEAK_EXPECTED[case]
    for x in [made, *official(EBU, f"seq-3341-{case}-24bit.flac")]:
        reading = db(measure_array(x, sig.SR).true_peak)
        assert expected + low <= reading <= expected + high
        # the plain (non-streaming) function agrees with the meter
        assert db(true_peak(np.ascontiguousarray(x.T), sig.SR).max()) == pytest.approx(
            reading, abs=1e-3)


def test_true_peak_pruning_gives_the_same_answer_as_interpolating_everything() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(48000 * 2) / 48000
    x = (0.4 * np.sin(2 * np.pi * 110 * t) + 0.1 * rng.standard_normal(t.size))
    x = np.tanh(3 * x)[:, None] * [0.9, 0.7]  # dense, limited-looking material
    interp = interpolator(oversampling_factor(48000))
    brute = max(np.abs(np.convolve(x[:, c], phase)).max()
                for c in range(2) for phase in interp.h)
    assert measure_array(x, 48000).true_peak == pytest.approx(max(brute, np.abs(x).max()),
                                                              rel=1e-5)


def test_bs2217_relative_gate() -> None:
    for x in [sig.bs2217_relative_gate(), *official(ITU, "1770-2_Comp_RelGateTest.flac")]:
        assert measure_array(x, sig.SR).loudness.integrated == pytest.approx(-10.0, abs=0.1)


def test_bs2217_absolute_gate() -> None:
    for x in [sig.bs2217_absolute_gate(), *official(ITU, "1770-2_Comp_AbsGateTest.flac")]:
        assert measure_array(x, sig.SR).loudness.integrated == pytest.approx(-69.5, abs=0.1)


@pytest.mark.parametrize("sr", [22050, 44100, 96000])
def test_other_sample_rates(sr: int) -> None:
    x = sig.tone([(5.0, -23.0)], sr=sr)
    m = measure_array(x, sr)
    assert m.loudness.integrated == pytest.approx(-23.0, abs=0.1)
    assert db(m.true_peak) == pytest.approx(-23.0, abs=0.05)


def test_mono_counts_one_channel() -> None:
    mono = sig.tone([(5.0, -23.0)], channels=1)
    assert measure_array(mono, sig.SR).loudness.integrated == pytest.approx(-26.0, abs=0.1)


def test_tech3341_case6_surround_weights() -> None:
    # 5.0 in the order L R C Ls Rs: surrounds count +1.5 dB (5 s instead of 20: a steady tone)
    levels = [-28.0, -28.0, -24.0, -30.0, -30.0]
    x = np.hstack([sig.tone([(5.0, lv)], channels=1) for lv in levels])
    assert measure_array(x, sig.SR).loudness.integrated == pytest.approx(-23.0, abs=0.1)
    # the 6-channel version adds a silent LFE: same reading; 7.1 adds back surrounds
    six = np.hstack([x[:, :3], np.zeros((x.shape[0], 1)), x[:, 3:]])
    assert measure_array(six, sig.SR).loudness.integrated == pytest.approx(-23.0, abs=0.1)
    eight = np.hstack([six, np.zeros((x.shape[0], 2))])
    assert measure_array(eight, sig.SR).loudness.integrated == pytest.approx(-23.0, abs=0.1)


def test_reading_from_a_file_streams_the_same_figures(tmp_path: Path) -> None:
    x = sig.tone(sig.TECH3341_I[5])
    path = tmp_path / "case5.flac"
    sf.write(path, x, sig.SR, subtype="PCM_24")
    info, from_file = measure_file(path)
    in_memory = measure_array(x, sig.SR)
    assert info.channels == 2 and info.sr == sig.SR
    assert from_file.loudness.integrated == pytest.approx(in_memory.loudness.integrated,
                                                          abs=0.01)
    assert from_file.loudness.loudness_range == pytest.approx(
        in_memory.loudness.loudness_range, abs=0.05)
