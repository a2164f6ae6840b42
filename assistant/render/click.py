"""An accented click: one click per pulse of the meter, the bar's downbeat loudest.

6/8 clicks six eighths grouped 3+3 (the 4th eighth gets a medium accent); 7/8 groups
2+2+3. The click plays a woodblock (GM program 115) on its own channel, so it sounds the
same in any DAW and drum-level automation never touches it.
"""

from __future__ import annotations

import re

from assistant.errors import BadInput
from assistant.render.events import CLICK_CHANNEL, Arrangement, Control, SectionSpan, Track
from assistant.song import meter_parts

WOODBLOCK = 115
# (pitch, velocity) for the bar's downbeat, a group start, and every other pulse
ACCENTS = ((84, 127), (79, 104), (77, 84))
MAX_CLICK_BARS = 999
_METER = re.compile(r"^([1-9]\d?)/(1|2|4|8|16)$")


def check_meter(meter: str) -> str:
    meter = meter.strip()
    if not _METER.match(meter):
        raise BadInput(f"meter {meter!r} is not like 4/4, 3/4, 6/8 or 7/8")
    return meter


def click_pulses(meter: str) -> list[int]:
    """Accent level of each pulse in one bar: 0 downbeat, 1 group start, 2 other."""
    from assistant.render.patterns import group_starts, meter_groups

    num, _ = meter_parts(meter)
    # simple meters (every group one pulse): only the downbeat stands out
    starts = set(group_starts(meter)) if max(meter_groups(meter)) > 1 else {0}
    return [0 if p == 0 else 1 if p in starts else 2 for p in range(num)]


def click_track(meter: str, bars: int, start: float = 0.0) -> Track:
    """`bars` bars of click from beat `start`."""
    num, den = meter_parts(meter)
    pulse = 4.0 / den
    track = Track("Click", "click", CLICK_CHANNEL, WOODBLOCK)
    # dry: reverb reflections would blur where the click is
    track.controls += [Control(0.0, 7, 110), Control(0.0, 10, 64), Control(0.0, 11, 127), Control(0.0, 91, 0)]
    accents = click_pulses(meter)
    for bar in range(bars):
        for i, level in enumerate(accents):
            pitch, velocity = ACCENTS[level]
            track.add(start + (bar * num + i) * pulse, min(pulse, 0.25), pitch, velocity)
    return track


def add_click(arrangement: Arrangement, bars: int) -> None:
    """Click over the first `bars` bars of the render (count-in included)."""
    arrangement.tracks.append(click_track(arrangement.meter, bars))


def click_arrangement(tempo: float, meter: str = "4/4", bars: int = 4, count_in: int = 0) -> Arrangement:
    """A render of nothing but the click: `count_in` bars then `bars` bars."""
    if not 20 <= tempo <= 400:
        raise BadInput(f"tempo must be between 20 and 400 bpm, not {tempo:g}")
    if not 1 <= bars <= MAX_CLICK_BARS:
        raise BadInput(f"--bars must be between 1 and {MAX_CLICK_BARS}, not {bars}")
    if not 0 <= count_in <= 16:
        raise BadInput(f"--count-in must be between 0 and 16 bars, not {count_in}")
    meter = check_meter(meter)
    num, den = meter_parts(meter)
    bar_beats = num * 4 / den
    arrangement = Arrangement(
        title="Click",
        tempo=float(tempo),
        meter=meter,
        key_tonic="C",
        key_mode="major",
        bar_beats=bar_beats,
        tracks=[],
        sections=[SectionSpan("click", count_in * bar_beats, bars, 1)],
        count_in_bars=count_in,
    )
    add_click(arrangement, count_in + bars)
    return arrangement
