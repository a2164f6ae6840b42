"""`coach takes`: sung takes with known errors, rendered with FluidSynth, ranked right."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.audio_in_helpers import TUNE, sung_wav, tune_notes


@pytest.fixture(scope="module")
def takes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("takes")
    rng = np.random.default_rng(3)
    n = len(TUNE)
    return {
        "clean": sung_wav(folder / "clean.wav", seed=1, jitter_ms=0.0),
        "flat": sung_wav(folder / "flat.wav", seed=2, jitter_ms=0.0,
                         detune=list(rng.normal(-35, 15, n))),
        "late": sung_wav(folder / "late.wav", seed=3, jitter_ms=0.0,
                         timing=list(rng.normal(0, 90, n))),
    }


def test_ranked_against_the_melody(takes: dict[str, Path]) -> None:
    from assistant.audio_in.takes import rank_files

    reference = [(on, dur, float(p)) for on, dur, p in tune_notes()]
    ranking = rank_files([takes["late"], takes["flat"], takes["clean"]], reference=reference,
                         check_levels=False)
    assert Path(ranking[0].file).name == "clean.wav", [(r.file, r.score) for r in ranking]
    by_name = {Path(r.file).name: r for r in ranking}
    assert by_name["flat.wav"].pitch_cents_mean_abs > by_name["clean.wav"].pitch_cents_mean_abs + 15
    assert by_name["late.wav"].timing_ms_mean_abs > by_name["clean.wav"].timing_ms_mean_abs + 10
    assert "% of notes within 25 cents" in by_name["flat.wav"].why
    assert "timing ±" in by_name["late.wav"].why


def test_cli_json_contract(takes: dict[str, Path], coach_cli) -> None:  # type: ignore[no-untyped-def]
    done = coach_cli("takes", str(takes["flat"]), str(takes["clean"]), "--tempo", "100",
                     "--json")
    assert done.returncode == 0, done.stderr
    ranking = json.loads(done.stdout)["ranking"]
    assert {"file", "score", "pitch_cents_mean_abs", "timing_ms_mean_abs", "why"} <= set(
        ranking[0])
    assert ranking[0]["score"] >= ranking[1]["score"]
    # without a melody, pitch is cents off the nearest semitone: the flat take is worse
    assert Path(ranking[0]["file"]).name == "clean.wav"


def test_unreadable_take_is_one_line(tmp_path: Path, coach_cli) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not audio at all" * 10)
    done = coach_cli("takes", str(bad), str(bad))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "not audio" in done.stderr
