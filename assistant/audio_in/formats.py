"""Which audio files the coach hears, in one place (stdlib only, unlike the rest of this
package, so the chat's file sorting and the CLI's help can import it on the fast path)."""

from __future__ import annotations

PHONE_AUDIO = frozenset({".m4a", ".mp4", ".aac", ".3gp", ".3ga", ".amr", ".opus", ".webm",
                         ".wma", ".caf"})
"""What phones record into that libsndfile does not read; PyAV (FFmpeg's decoders, bundled in
its wheel) decodes them. MP3 and OGG need no help: libsndfile reads them."""

PYAV_DECODES = PHONE_AUDIO | {".mov"}
"""... and a phone's video, whose sound track `load_mono` hears when the CLI is given one (the
chat does not take a .mov for a recording)."""

HEARD = "WAV, FLAC, AIFF, OGG, MP3 or M4A"
"""The formats as the help and the one-line errors name them."""
