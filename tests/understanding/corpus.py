"""Load the labelled understanding corpus (tests/understanding/*.toml).

A case is a sentence a beginner typed, the context it was typed in (stage, open question,
numbered options on screen) and the command the coach should read from it (intent and the
slots that must match). See README.md in this folder for the format.
"""

from __future__ import annotations

import tomllib
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

KINDS = ("stories", "feedback", "numbers", "instruments", "questions", "typos", "vibe",
         "navigation", "music", "arrangement", "mixed", "lyrics", "audio")

STAGES = ("conception", "composition", "arrangement", "recording", "editing", "mixing")

INTENTS = ("pick", "why", "play", "more", "feedback", "answer", "change", "chords", "instruments",
           "arrange", "define", "question", "goto", "yes", "no", "suggest", "back", "skip", "next",
           "undo", "quit", "help", "status", "restart", "checklist", "empty", "tick", "untick",
           "export", "tool", "lyrics")

# slot name -> type: "int", "str", "sign" ("+" or "-"), "list[str]", "list[int]"
SLOTS: dict[str, str] = {
    "number": "int", "numbers": "list[int]", "stage": "str", "section": "str",
    "moods": "list[str]", "not_moods": "list[str]", "genre": "str", "not_genre": "str",
    "theme": "str", "references": "list[str]", "tempo": "int", "tempo_word": "str",
    "tempo_delta": "sign", "energy_delta": "sign", "key": "str", "mode": "str", "not_mode": "str",
    "meter": "str", "length_s": "int", "transpose": "int", "title": "str", "path": "str",
    "sources": "list[str]", "chords": "list[str]", "add": "list[str]", "remove": "list[str]",
    "terms": "list[str]",
}


@dataclass(frozen=True)
class Case:
    text: str
    kind: str
    stage: str
    question: str
    options: int
    intent: str
    slots: dict[str, Any] = field(default_factory=dict)
    file: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes a case unique: the same words in the same place."""
        return (self.text, self.stage, self.question)


def held_out(case: Case) -> bool:
    """The fifth of the corpus kept out of training and used for the evaluation."""
    return zlib.crc32((case.text + "|" + case.stage + "|" + case.question).encode()) % 5 == 0


def corpus_files(folder: Path = HERE) -> list[Path]:
    return sorted(p for p in folder.glob("*.toml"))


def load_cases(folder: Path | str = HERE) -> list[Case]:
    """Every case in every corpus file, in file order."""
    cases: list[Case] = []
    for path in corpus_files(Path(folder)):
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        for raw in data.get("case", []):
            cases.append(Case(
                text=raw["text"],
                kind=raw["kind"],
                stage=raw["stage"],
                question=raw.get("question", ""),
                options=int(raw.get("options", 0)),
                intent=raw["intent"],
                slots=dict(raw.get("slots", {})),
                file=path.name,
            ))
    return cases
