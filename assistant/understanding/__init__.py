"""Understanding people: free text -> a typed `Command` the coach dispatches.

text -> normalised, typo-corrected tokens (`text`) -> mentions with polarity and degree
(`mentions`, over the `lexicon` built from the knowledge base) and values (`values`) ->
features (`features`) -> intent scores (`model`, weights trained by
`tools/train_understanding.py`) -> the reading that fits the context, with its slots
(`reader`). Everything heavy is built once per knowledge base and cached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.dialogue import Command
from assistant.understanding.features import Context

if TYPE_CHECKING:
    from assistant.kb.loader import Knowledge
    from assistant.understanding.lexicon import Lexicon

__all__ = ["Command", "Context", "read", "lexicon"]


def lexicon(kb: Knowledge | None = None) -> Lexicon:
    from assistant.understanding.lexicon import lexicon_for

    if kb is None:
        from assistant.kb.loader import knowledge

        kb = knowledge()
    return lexicon_for(kb)


def read(text: str, context: Context | None = None, lex: Lexicon | None = None) -> Command:
    """Read one message in its context. Never raises."""
    from assistant.understanding.reader import read as _read

    return _read(text, context or Context(), lex or lexicon())
