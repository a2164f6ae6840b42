"""Set a lyric to the melody: the melody's rhythm reshaped to the words, one note a syllable,
each stressed syllable starting a beat (`prosody.shape_rhythm`), a pickup before a line that
starts weak. The pitches come from the melody already on the sheet, else from the melody
generator over the song's progression: at each new note, the pitch sounding there, so the
harmony the melody had stays under it.
"""

from __future__ import annotations

from assistant.lyrics.dictionary import load
from assistant.lyrics.line import analyse_line
from assistant.lyrics.prosody import NoteSpan, shape_rhythm
from assistant.song import Key, Melody, Note, Song


def line_bars(lines: int, total_bars: int = 8) -> int:
    """Bars a line gets: 8 bars shared among the lines (2 each for four lines), at least 1."""
    return max(1, total_bars // max(1, lines))


def rhythm_for(lines: list[str], bar_beats: float, bars_per_line: int) -> list[NoteSpan]:
    """The section's rhythm: each line in its bars, a pickup sitting at the end of the bar
    before its line (a lead-in bar for the first line)."""
    d = load()
    out: list[NoteSpan] = []
    shaped = [shape_rhythm(analyse_line(text, d), bar_beats, bars_per_line) for text in lines]
    shaped = [r for r in shaped if r]
    # a line that starts weak comes back with its pickup in a bar before its first stress
    lead = bar_beats if shaped and shaped[0][0].start > 0 else 0.0
    for k, rhythm in enumerate(shaped):
        offset = lead + k * bars_per_line * bar_beats - (bar_beats if rhythm[0].start > 0 else 0.0)
        notes = [NoteSpan(n.start + offset, n.duration) for n in rhythm]
        if out:  # the held end of the line before stops where this line begins
            last = out[-1]
            out[-1] = NoteSpan(last.start, max(0.25, min(last.duration, notes[0].start - last.start)))
        out += notes
    return out


def _pitch_at(melody: list[Note], beat: float) -> int:
    sounding = [n for n in melody if n.start <= beat + 1e-6]
    if sounding:
        return sounding[-1].pitch
    return melody[0].pitch


def set_melody(song: Song, lines: list[str], name: str) -> Melody:
    """A melody for `lines`, its rhythm shaped to the words (see the module docstring)."""
    bar_beats = song.beats_per_bar
    bars_per_line = line_bars(len(lines))
    rhythm = rhythm_for(lines, bar_beats, bars_per_line)
    if not rhythm:
        return Melody(notes=[], source=f"shaped to the {name} lyrics")
    total_bars = int(-(-(rhythm[-1].start + rhythm[-1].duration) // bar_beats))
    source = song.melody.notes if song.melody is not None and song.melody.notes else None
    if source is None:
        from assistant.composition.melody import make_melody

        low, high = song.singer_range or (60, 72)
        key = song.key or Key(tonic="C", mode="major")
        source = make_melody(key, song.progression or None, max(1, min(256, total_bars)), 0, low, high,
                             song.meter).notes
    span = max(n.start + n.duration for n in source)
    notes = [Note(pitch=_pitch_at(source, n.start % span if span else 0.0), start=round(n.start, 4),
                  duration=round(max(0.05, n.duration), 4), velocity=90) for n in rhythm]
    return Melody(notes=notes, source=f"shaped to the {name} lyrics")
