"""The six stages, one module each: their questions (from the knowledge base), the slot
handlers that read answers into the Song sheet, and where later tools plug in (`base.TOOLS`)."""

from __future__ import annotations

from assistant.song import StageName
from assistant.stages.arrangement import Arrangement
from assistant.stages.base import StageFlow
from assistant.stages.composition import Composition
from assistant.stages.conception import Conception
from assistant.stages.editing import Editing
from assistant.stages.mixing import Mixing
from assistant.stages.recording import Recording

FLOWS: dict[StageName, StageFlow] = {
    flow.name: flow
    for flow in (Conception(), Composition(), Arrangement(), Recording(), Editing(), Mixing())
}
