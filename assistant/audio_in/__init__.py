"""Audio in: what the coach hears in a recording.

A hummed or sung take becomes notes (`transcribe`), a strummed or played idea becomes a chord
chart with key, tempo and downbeats (`chords`), a favourite song becomes its tempo, key, loop
and sections (`reference`), and takes of one part are ranked (`takes`). Every module here
but `formats` (the file kinds, stdlib only) imports numpy (and the analysis libraries) at the
top, so nothing on the path of `coach --help` or the TUI's first paint may import them.
"""
