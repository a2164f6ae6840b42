"""EBU Tech 3341/3342 and ITU-R BS.2217 test signals, synthesized from their definitions.

The definitions are those of /work/shared/data/loudness/expected_values.json (EBU tables);
the two BS.2217 gating signals were read off the ITU files (1 kHz tones at the levels and
times below, 16-bit). Synthesizing them keeps CI free of the shared data folder.
Also used by benchmarks/bench_loudness.py.
"""

from __future__ import annotations

import numpy as np

SR = 48000


def tone(segments: list[tuple[float, float]], sr: int = SR, freq: float = 1000.0,
         channels: int = 2) -> np.ndarray:
    """(seconds, dBFS peak per channel) segments of one continuous sine; -inf dB = silence."""
    counts = [int(round(seconds * sr)) for seconds, _ in segments]
    gain = np.concatenate([np.full(n, 0.0 if level == -np.inf else 10 ** (level / 20))
                           for n, (_, level) in zip(counts, segments, strict=True)])
    wave = np.sin(2 * np.pi * freq * np.arange(gain.size) / sr) * gain
    return np.repeat(wave[:, None], channels, axis=1)


def quantize16(x: np.ndarray) -> np.ndarray:
    return np.round(x * 32768) / 32768


# EBU Tech 3341 (integrated, and M/S where the table says so): case -> segments
TECH3341_I = {
    1: [(20.0, -23.0)],
    2: [(20.0, -33.0)],
    3: [(10.0, -36.0), (60.0, -23.0), (10.0, -36.0)],
    4: [(10.0, -72.0), (10.0, -36.0), (60.0, -23.0), (10.0, -36.0), (10.0, -72.0)],
    5: [(20.0, -26.0), (20.1, -20.0), (20.0, -26.0)],
}
TECH3341_I_EXPECTED = {1: -23.0, 2: -33.0, 3: -23.0, 4: -23.0, 5: -23.0}

# EBU Tech 3342 loudness range: case -> (segments, expected LU)
TECH3342 = {
    1: ([(20.0, -20.0), (20.0, -30.0)], 10.0),
    2: ([(20.0, -20.0), (20.0, -15.0)], 5.0),
    3: ([(20.0, -40.0), (20.0, -20.0)], 20.0),
    4: ([(20.0, -50.0), (20.0, -35.0), (20.0, -20.0), (20.0, -35.0), (20.0, -50.0)], 15.0),
}


def case9() -> np.ndarray:
    """Short-term must read -23.0 LUFS constantly from 3 s on."""
    return tone([(1.34, -20.0), (1.66, -30.0)] * 5)


def case12() -> np.ndarray:
    """Momentary must read -23.0 LUFS constantly from 1 s on."""
    return tone([(0.18, -20.0), (0.22, -30.0)] * 25)


def case10(i: int) -> np.ndarray:
    """File i of case 10: max short-term -23.0 whatever the offset."""
    return tone([(i * 0.15, -np.inf), (3.0, -23.0), (1.0, -np.inf)])


def case13(i: int) -> np.ndarray:
    """File i of case 13: max momentary -23.0 whatever the offset."""
    return tone([(i * 0.02, -np.inf), (0.4, -23.0), (1.0, -np.inf)])


def _fade(x: np.ndarray, sr: int = SR, seconds: float = 0.01) -> np.ndarray:
    n = int(sr * seconds)
    ramp = np.linspace(0.0, 1.0, n)
    x[:n] *= ramp[:, None]
    x[-n:] *= ramp[::-1, None]
    return x


def true_peak_sine(case: int, seconds: float = 0.5) -> np.ndarray:
    """Cases 15-19: a sine at fs/4, fs/6 or fs/8 with a phase, expected -6 or +3 dBTP."""
    divisor, phase_deg, level = {
        15: (4, 0.0, -6.0), 16: (4, 45.0, -6.0), 17: (6, 60.0, -6.0),
        18: (8, 67.5, -6.0), 19: (4, 45.0, 3.0),
    }[case]
    n = np.arange(int(SR * seconds))
    wave = 10 ** (level / 20) * np.sin(2 * np.pi * n / divisor + np.radians(phase_deg))
    return _fade(np.repeat(wave[:, None], 2, axis=1))


def _lowpass(signal: np.ndarray, cutoff: float, rate: float, taps: int = 511) -> np.ndarray:
    # cutoff, length and window chosen so the result matches the EBU files to 0.001 FS
    n = np.arange(taps) - (taps - 1) / 2
    h = 2 * cutoff / rate * np.sinc(2 * cutoff / rate * n) * np.kaiser(taps, 12.0)
    return np.convolve(signal, h / h.sum(), mode="same")


def true_peak_burst(case: int, seconds: float = 0.5) -> np.ndarray:
    """Cases 20-23: an fs/6 sine at 0.5 with one period of an fs/4 sine at 1.0 in it,
    made at 4 fs, low-passed, then decimated from sample offset 0, 1, 2 or 3."""
    offset = case - 20
    half = int(SR * 4 * seconds / 2) // 24 * 24  # whole periods of the fs/6 sine at 4 fs
    base = 0.5 * np.sin(2 * np.pi * np.arange(half) / 24)
    burst = np.sin(2 * np.pi * np.arange(16) / 16)  # one period of fs/4 at 4 fs
    hi = np.concatenate([base, burst, base])
    lo = _lowpass(hi, 23500.0, 4 * SR)[offset::4]
    return _fade(np.repeat(lo[:, None], 2, axis=1))


TRUE_PEAK_EXPECTED = {15: -6.0, 16: -6.0, 17: -6.0, 18: -6.0, 19: 3.0,
                      20: 0.0, 21: 0.0, 22: 0.0, 23: 0.0}
TRUE_PEAK_TOLERANCE = (-0.4, 0.2)


def bs2217_relative_gate() -> np.ndarray:
    """1770-2_Comp_RelGateTest: expected -10.0 LKFS."""
    low = -90.309  # one 16-bit LSB
    return quantize16(tone([(0.5, low), (0.9, -19.899), (1.3, -7.1), (0.8, -19.899),
                            (0.5, low)]))


def bs2217_absolute_gate() -> np.ndarray:
    """1770-2_Comp_AbsGateTest: expected -69.5 LKFS: three 0.5 s bursts just above the
    -70 LKFS gate, so every 400 ms block that only partly covers a burst falls below it.
    (The ITU file's 11-LSB tone is truncated in a way not worth imitating: the bursts here
    are left unquantized at -69.5 dBFS.)"""
    low = -90.309
    x = tone([(0.8, low), (0.5, -69.5), (0.5, low), (0.5, -69.5), (0.5, low), (0.5, -69.5),
              (0.7, low)])
    quiet = np.abs(x) < 10 ** (-80 / 20)
    x[quiet] = quantize16(x[quiet])
    return x
