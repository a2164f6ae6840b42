"""The stage stepper: the six stages in a row, the current one highlighted.

It knows the stages by name only (no Song import) so it paints before the core loads.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual import events
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

# Same order and titles as assistant.song.STAGES / STAGE_TITLES (kept here so the first
# paint does not import pydantic; tests check the two agree).
STAGES = ("conception", "composition", "arrangement", "recording", "editing", "mixing")
TITLES = {
    "conception": "Conception",
    "composition": "Composition",
    "arrangement": "Arrangement",
    "recording": "Recording",
    "editing": "Editing",
    "mixing": "Mixing & Mastering",
}
SHORT = {
    "conception": "Concept",
    "composition": "Compose",
    "arrangement": "Arrange",
    "recording": "Record",
    "editing": "Edit",
    "mixing": "Mix/Master",
}
MARKS = {"done": "✓", "skipped": "–", "active": "●", "todo": "○"}
SEPARATOR = " › "


def stepper_content(
    current: str, statuses: Mapping[str, str], width: int, numbered: bool = True
) -> Content:
    """`✓ 1 Conception › ● 2 Composition › ○ 3 Arrangement …`, shortened to fit `width`."""
    numbers_only = {stage: "" for stage in STAGES}
    variants = (
        (TITLES, numbered, TITLES),
        (TITLES, False, TITLES),
        (SHORT, numbered, SHORT),
        (SHORT, False, SHORT),
        (numbers_only, True, SHORT),  # narrowest: only the current stage keeps a name
    )
    for titles, with_numbers, current_titles in variants:
        parts: list[Content] = []
        for index, stage in enumerate(STAGES, start=1):
            status = "active" if stage == current else statuses.get(stage, "todo")
            if status == "active" and stage != current:
                status = "todo"  # only one stage is "here"
            number = f"{index} " if with_numbers else ""
            name = current_titles[stage] if stage == current else titles[stage]
            text = f"{MARKS.get(status, '○')} {number}{name}".rstrip()
            style = {
                "active": "bold reverse $accent",
                "done": "$success",
                "skipped": "$text-muted strike",
            }.get(status, "$text-muted")
            parts.append(Content.styled(f" {text} " if status == "active" else text, style))
        line = Content.styled(SEPARATOR, "$text-muted").join(parts)
        if line.cell_length <= width:
            return line
    return line


def stage_at(content: Content, x: int) -> str | None:
    """Which stage a click at column `x` of `stepper_content(...)` landed on."""
    start = 0
    for stage, part in zip(STAGES, content.plain.split(SEPARATOR), strict=False):
        end = start + len(part)
        if start <= x < end:
            return stage
        start = end + len(SEPARATOR)
    return None


class StageStepper(Widget):
    """One line across the top. Set `stage` and `statuses` (attributes down); a click on
    a stage posts `Chosen(stage)` (messages up)."""

    DEFAULT_CSS = "StageStepper { height: 1; }"

    stage: reactive[str] = reactive("conception")
    statuses: reactive[dict[str, str]] = reactive(dict, always_update=True)

    class Chosen(Message):
        def __init__(self, stage: str) -> None:
            super().__init__()
            self.stage = stage

    def render(self) -> Content:
        return stepper_content(self.stage, self.statuses, self.content_region.width)

    def on_click(self, event: events.Click) -> None:
        content = stepper_content(self.stage, self.statuses, self.content_region.width)
        stage = stage_at(content, event.x - self.styles.padding.left)
        if stage is not None and stage != self.stage:
            self.post_message(self.Chosen(stage))
