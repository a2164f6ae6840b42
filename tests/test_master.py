"""`coach master`: a FluidSynth render, made too quiet or too hot, mastered to a target."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from assistant.analysis.audio import measure_file
from assistant.analysis.master import limiter_gain

SOUNDFONT = "/usr/share/sounds/sf2/TimGM6mb.sf2"


@pytest.fixture(scope="module")
def render(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """16 bars of a pop song rendered by the real `coach render` (FluidSynth)."""
    from conftest import run_coach

    folder = tmp_path_factory.mktemp("render")
    out = folder / "song.wav"
    done = run_coach("render", "--genre", "pop", "--mood", "happy", "--bars", "16",
                     "--soundfont", SOUNDFONT, "-o", str(out),
                     env={"COACH_HOME": str(folder / "home")})
    assert done.returncode == 0, done.stderr
    return out


def _scaled(render: Path, folder: Path, name: str, gain_db: float, subtype: str) -> Path:
    x, sr = sf.read(render, dtype="float64")
    path = folder / name
    sf.write(path, x * 10 ** (gain_db / 20), sr, subtype=subtype)
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_meter_agrees_with_a_plain_scipy_meter_on_the_render(render: Path) -> None:
    from scipy.signal import lfilter, resample_poly

    from assistant.analysis.loudness import kweighting_biquads

    x, sr = sf.read(render, dtype="float64", always_2d=True)
    (b1, a1), (b2, a2) = kweighting_biquads(sr)
    y = lfilter(b2, a2, lfilter(b1, a1, x, axis=0), axis=0)
    hop, size = sr // 10, sr * 4 // 10
    csum = np.concatenate(([0.0], np.cumsum((y ** 2).sum(axis=1))))
    starts = np.arange(0, len(y) - size + 1, hop)
    blocks = (csum[starts + size] - csum[starts]) / size
    loud = -0.691 + 10 * np.log10(blocks)
    gated = blocks[loud > -70]
    gate = -0.691 + 10 * np.log10(gated.mean()) - 10
    reference = -0.691 + 10 * np.log10(blocks[(loud > -70) & (loud > gate)].mean())
    peak = max(np.abs(resample_poly(x[:, c], 8, 1)).max() for c in range(x.shape[1]))
    _, m = measure_file(render)
    assert m.loudness.integrated == pytest.approx(reference, abs=0.02)
    assert 20 * np.log10(m.true_peak) == pytest.approx(20 * np.log10(peak), abs=0.15)


def test_master_reaches_spotify(render: Path, tmp_path: Path, coach_cli) -> None:
    quiet = _scaled(render, tmp_path, "quiet.wav", -11.0, "PCM_24")  # an unmastered mix
    before = _digest(quiet)
    out = tmp_path / "master.wav"
    done = coach_cli("master", str(quiet), "-o", str(out), "--target", "spotify", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert _digest(quiet) == before, "the input is never modified"
    assert result["before"]["integrated_lufs"] < -20
    _, m = measure_file(out)  # measured again, independently of the report
    assert m.loudness.integrated == pytest.approx(-14.0, abs=0.5)
    assert 20 * np.log10(m.true_peak) <= -1.0
    assert result["after"]["integrated_lufs"] == pytest.approx(m.loudness.integrated, abs=0.01)
    assert result["gain_db"] > 5
    assert sf.info(out).subtype == "PCM_24" and sf.info(out).samplerate == sf.info(quiet).samplerate
    text = coach_cli("master", str(quiet), "-o", str(tmp_path / "again.flac"))
    assert text.returncode == 0, text.stderr
    assert "before" in text.stdout and "after" in text.stdout and "-14" in text.stdout


def test_master_turns_a_hot_mix_down_and_nudges_the_tone(render: Path, tmp_path: Path,
                                                         coach_cli) -> None:
    hot = _scaled(render, tmp_path, "hot.wav", 9.0, "FLOAT")  # peaks over full scale
    out = tmp_path / "master.flac"
    done = coach_cli("master", str(hot), "-o", str(out), "--target", "apple-music",
                     "--genre", "pop", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["before"]["true_peak_dbtp"] > 0
    _, m = measure_file(out)
    assert m.loudness.integrated == pytest.approx(-16.0, abs=0.5)
    assert 20 * np.log10(m.true_peak) <= -1.0
    assert m.clipped_samples == 0
    gains = [g["gain_db"] for g in result["eq"]]
    assert gains and max(abs(g) for g in gains) <= 3.0
    worst = result["before"]["worst_band"]["band"]
    after = {b["band"]: b for b in result["spectral_balance"]["after"]}
    before = {b["band"]: b for b in result["spectral_balance"]["before"]}
    assert abs(after[worst]["deviation_db"]) < abs(before[worst]["deviation_db"])


def test_limiter_gain_never_lets_the_envelope_over_the_ceiling() -> None:
    rng = np.random.default_rng(2)
    env = np.abs(rng.standard_normal(20000)) * 0.5
    env[5000:5003] = 3.0  # a few loud peaks
    gain = limiter_gain(env, 1.0, env.size * 16, 48000)
    per_block = gain.reshape(-1, 16).max(axis=1)
    assert np.all(per_block * env <= 1.0 + 1e-9)
    assert gain.max() <= 1.0 and gain.min() == pytest.approx(1 / 3.0, rel=0.01)
    assert np.abs(np.diff(gain)).max() < 0.01  # smooth: no clicks


@pytest.mark.parametrize("case", ["same", "target", "suffix", "silent", "folder"])
def test_bad_master_input_is_one_line_and_exit_2(render: Path, tmp_path: Path, coach_cli,
                                                 case: str) -> None:
    mix = _scaled(render, tmp_path, "mix.wav", -6.0, "PCM_16")
    out = tmp_path / "out.wav"
    out.write_bytes(b"an older master")
    args = [str(mix), "-o", str(out)]
    if case == "same":
        args = [str(mix), "-o", str(mix)]
    elif case == "target":
        args += ["--target", "gramophone"]
    elif case == "suffix":
        args = [str(mix), "-o", str(tmp_path / "out.mp3")]
    elif case == "silent":
        silent = tmp_path / "silent.wav"
        sf.write(silent, np.zeros((48000 * 2, 2)), 48000)
        args = [str(silent), "-o", str(out)]
    else:
        args = [str(mix), "-o", str(tmp_path / "no" / "such" / "folder.wav")]
    before = _digest(mix)
    done = coach_cli("master", *args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert _digest(mix) == before
    assert out.read_bytes() == b"an older master", "a failed master leaves the old file alone"


def test_the_streamed_limiter_is_the_whole_signal_limiter(tmp_path: Path) -> None:
    from assistant.analysis.master import BLOCK, _LimiterCurve, _read_wide

    rng = np.random.default_rng(5)
    raw = (np.abs(rng.standard_normal(300_001)) * 0.4).astype(np.float32)
    raw[1000:1003] = 3.0
    raw[-2:] = 2.5  # a peak at the very end
    with (tmp_path / "env").open("w+b") as handle:
        raw.tofile(handle)
        handle.flush()
        env = _read_wide(handle, 0, raw.size, raw.size)
        n = raw.size * BLOCK - 7
        whole = limiter_gain(env * np.float32(1.3), 1.0, n, 44100)
        curve = _LimiterCurve(handle, raw.size, 1.3, 1.0, 44100)
        pieces = [curve.gains(lo, min(n, lo + 4096)) for lo in range(0, n, 4096)]
        curve.close()
    streamed = np.concatenate(pieces)
    assert streamed.shape == whole.shape
    assert np.abs(streamed - whole).max() < 1e-9
    assert whole.min() == pytest.approx(1 / (3.0 * 1.3), rel=0.01)


def test_master_figures_do_not_depend_on_the_block_size(render: Path, tmp_path: Path) -> None:
    from assistant.analysis.master import master_file

    quiet = _scaled(render, tmp_path, "quiet.wav", -8.0, "FLOAT")
    a = master_file(quiet, tmp_path / "a.wav", target="spotify", genre="rock")
    b = master_file(quiet, tmp_path / "b.wav", target="spotify", genre="rock", chunk=5000)
    assert a["eq"] and a["limiter"]["max_reduction_db"] > 0.5, "the EQ and limiter both work"
    for key in ("integrated_lufs", "true_peak_dbtp", "short_term_max_lufs", "loudness_range_lu"):
        assert a["after"][key] == pytest.approx(b["after"][key], abs=0.01), key
    assert a["gain_db"] == pytest.approx(b["gain_db"], abs=0.01)
    x, _ = sf.read(tmp_path / "a.wav")
    y, _ = sf.read(tmp_path / "b.wav")
    assert x.shape == y.shape and np.abs(x - y).max() < 1e-5


PEAK_RSS = """
import resource, sys
from assistant.cli import main
code = main(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, file=sys.stderr)
sys.exit(code)
"""


def _peak_rss_mb(*args: str) -> int:
    import os
    import subprocess
    import sys

    from conftest import REPO

    done = subprocess.run([sys.executable, "-c", PEAK_RSS, *args], capture_output=True,
                          text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return int(done.stderr.strip().splitlines()[-1])


def test_master_memory_stays_flat_like_analyze(tmp_path: Path) -> None:
    """Issue 16 item 8: the master streams; its peak memory is analyze's, not the file's
    several times over (10 minutes at 8 kHz: ~77 MB of float64 a copy)."""
    sr, seconds = 8000, 600
    mix = tmp_path / "long.wav"
    rng = np.random.default_rng(1)
    with sf.SoundFile(mix, "w", sr, 2, subtype="PCM_16") as handle:
        for start in range(0, seconds, 10):
            t = np.arange(start * sr, (start + 10) * sr) / sr
            tone = 0.2 * np.sin(2 * np.pi * 110 * t) * (1 + 0.5 * np.sin(2 * np.pi * t / 7))
            noise = 0.02 * rng.standard_normal((t.size, 2))
            handle.write(tone[:, None] + noise)
    analyze = _peak_rss_mb("analyze", str(mix), "--json")
    master = _peak_rss_mb("master", str(mix), "-o", str(tmp_path / "m.wav"), "--json")
    assert master < analyze + 60, f"master peaked at {master} MB, analyze at {analyze} MB"
    _, m = measure_file(tmp_path / "m.wav")
    assert m.loudness.integrated == pytest.approx(-14.0, abs=0.5)
