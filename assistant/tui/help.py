"""The help screen (F1 or `?`): keys, and what you can say to the coach."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
## Keys
- whatever you type or paste goes into the box at the bottom, and `Enter` sends it:
  *120 bpm*, *in 3/4*, *2* (picks suggestion 2); `Enter` on an empty box does nothing
- to pick a suggestion: click it, send its number, or `Tab` to it (`↑` `↓` between them)
  and `Enter`; `Esc` goes back to the box
- in the box, `↑` `↓` bring back what you typed
- `Ctrl+P` plays the song so far (same as saying `play`); `Esc` stops it
- `Ctrl+S` exports the session: song.json, song.md, song.mid, preview.wav
- `Ctrl+T` switches between the light and dark theme
- `F1` shows this help (`?` too, away from an empty box); `Ctrl+Q` quits (every turn
  is already saved)

## Things you can say
- the feel in your own words: *something sad and slow*, *dark but danceable*,
  *like a lo-fi study beat*
- a key, tempo or meter: *A minor*, *in F#*, *90 bpm*, *a bit faster*, *6/8*, *waltz*
- `2` or *the second one* to pick, `more` for other ideas, `why 2`, `play 2`
- `back`, `skip`, `next`, `undo`, `status`, or a stage by name: *let's do mixing*
- changes any time: *change the key to D*, *make it faster*, *transpose up 2*
- the arrangement: *add a pre-chorus*, *make the verse 16 bars*, *drop the bridge*
- a question: *what is a bridge?*, *what comes after Am F?*, *how loud should my vocals be?*
- `checklist` for the stage's checklist; `tick 2` when an item is done
- *start over* for a new song (this one stays saved) or this one from the top
- `export` or *export to ~/songs*: the same files as `Ctrl+S`, where you say

Press `Esc`, `F1` or `q` to close.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,f1,q,question_mark", "dismiss", "Close", show=True),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = "Help"
            yield Markdown(HELP, id="help-text")
