""""What is sidechain?", "what does compression do", "difference between mixing and
mastering": the glossary's plain definition first, a tip with more second."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.coach import Coach
    from assistant.dialogue import Command, Reply


def _term(coach: Coach, term_id: str) -> object | None:
    try:
        return coach.kb.get(term_id)
    except KeyError:
        return None


def definition_text(coach: Coach, term_ids: tuple[str, ...]) -> str:
    terms = [t for t in (_term(coach, i) for i in dict.fromkeys(term_ids)) if t is not None]
    if not terms:
        return ""
    if len(terms) >= 2:
        first, second = terms[0], terms[1]
        differ = getattr(first, "differs_from", {}).get(second.id) or getattr(  # type: ignore[attr-defined]
            second, "differs_from", {}).get(first.id)  # type: ignore[attr-defined]
        parts = [f"**{t.term}** — {t.definition}" for t in (first, second)]  # type: ignore[attr-defined]
        if differ:
            parts.append(f"**The difference:** {differ}")
        return "\n\n".join(parts)
    term = terms[0]
    text = f"**{term.term}** — {term.definition}"  # type: ignore[attr-defined]
    see = [t for t in (_term(coach, i) for i in getattr(term, "see_also", ())[:4]) if t]
    if see:
        text += "\n\n_See also: " + ", ".join(t.term for t in see) + "._"  # type: ignore[attr-defined]
    return text


def define(coach: Coach, command: Command) -> Reply:
    terms = _asked_terms(command)
    text = definition_text(coach, terms)
    if not text:
        return coach._tips(command)
    question = coach._question_text()
    back = f"\n\nBack to where we were: {question}" if question else ""
    return coach._reply(text + back)


def _asked_terms(command: Command) -> tuple[str, ...]:
    """The terms asked about: longest first when one name is inside another."""
    return command.slots.terms
