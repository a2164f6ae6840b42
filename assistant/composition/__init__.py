"""Composition tools: next chords, harmonizing a melody, motifs and melodies.

Public API (each module imports nothing heavy; mido only when MIDI is read or written):

- `nextchord.next_chords(history, key, genre=None, top=5) -> list[Suggestion]`
  (`Suggestion`: symbol, numeral, probability, why); `nextchord.suggest_classes` for a
  progression already parsed; `nextchord.parse_progression(chords, key)`.
- `harmonize.harmonize(notes, key=None, meter="4/4", alternatives=3) -> Harmonization`
  (`.as_dict()` is the `coach harmonize --json` object); `notes.parse_notes(text)`.
- `melody.compose(key, progression=None, bars=8, seed=0, low=60, high=72, meter="4/4")
  -> MelodyIdea` (motif, melody, progression, plan); `melody.make_melody(...)` -> song.Melody;
  `melody.check_range(melody, low, high, meter="4/4") -> list[str]`;
  `melody.parse_range("A3-A4") -> (57, 69)`; `notes.write_midi(path, melody, ...)`.

Chords are chord classes relative to the tonic (`chords.py`), so every result is the same in
any key. The next-chord counts and weights live in `knowledge/next_chord.json` (rebuilt by
`tools/build_next_chord.py`), the hand-written theory rules in the knowledge base's
`[[move]]` collection (`knowledge/chord_moves.toml`, loaded by `assistant.kb.loader`).
"""
