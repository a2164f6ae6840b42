"""`coach analyze --plot report.png|.svg`: the analysis as a picture (matplotlib, lazily).

    plot_report(result, path) -> Path

Three panels: short-term loudness over time against the target (with the integrated
level), the peaks against the ceiling, and the octave-band balance against the genre curve.
Uses matplotlib's Figure directly (no pyplot state, no GUI backend); written atomically.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from assistant.errors import BadInput

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def plot_report(result: dict[str, Any], path: str | Path) -> Path:
    """Draw an `analyze_audio` result into `path` (.png, .svg or .pdf)."""
    from matplotlib.figure import Figure

    from assistant.fileio import write_with

    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise BadInput(f"--plot {path}: give a .png or .svg file name")
    fig = Figure(figsize=(10, 7.5), layout="constrained")
    grid = fig.add_gridspec(2, 3)
    _timeline(fig.add_subplot(grid[0, :]), result)
    _peaks(fig.add_subplot(grid[1, 0]), result)
    _spectrum(fig.add_subplot(grid[1, 1:]), result)
    fig.suptitle(f"{Path(result['file']).name} \u2014 {result['duration_s']:.1f} s, "
                 f"{result['layout']}, {result['sample_rate'] / 1000:g} kHz")

    def write(tmp: Path) -> None:
        fig.savefig(tmp, format=fmt, dpi=110)

    write_with(path, write)
    return path


def _timeline(ax: Any, r: dict[str, Any]) -> None:
    timeline = r.get("timeline") or {}
    values = timeline.get("short_term_lufs") or []
    hop = float(timeline.get("hop_s", 0.5))
    times = [3.0 + i * hop for i in range(len(values))]  # a 3 s window ends here
    shown = [math.nan if v is None else v for v in values]
    if values:
        ax.plot(times, shown, color="#3465a4", lw=1.2, label="short-term (3 s)")
    integrated = r.get("integrated_lufs")
    if integrated is not None:
        ax.axhline(integrated, color="#3465a4", ls=":", lw=1,
                   label=f"integrated {integrated:.1f} LUFS")
    target = r.get("target")
    if target:
        ax.axhline(target["lufs"], color="#cc0000", ls="--", lw=1,
                   label=f"{target['name']} {target['lufs']:g} LUFS")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("LUFS")
    finite = [v for v in shown if not math.isnan(v)]
    low = min([*finite, integrated or -30.0, target["lufs"] if target else -30.0]) - 3
    high = max([*finite, integrated or -10.0, target["lufs"] if target else -10.0]) + 3
    ax.set_ylim(max(low, -70), high)
    ax.set_title("Loudness over time"
                 + ("" if values else " (too short for short-term loudness)"))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)


def _peaks(ax: Any, r: dict[str, Any]) -> None:
    names = ["true peak", "sample peak"]
    values = [r.get("true_peak_dbtp"), r.get("sample_peak_dbfs")]
    bottom = -24.0
    heights = [(v if v is not None else bottom) - bottom for v in values]
    target = r.get("target")
    ceiling = target["true_peak_dbtp"] if target else 0.0
    colors = ["#cc0000" if v is not None and v > ceiling else "#4e9a06" for v in values]
    ax.bar(names, heights, bottom=bottom, color=colors)
    ax.axhline(ceiling, color="#cc0000", ls="--", lw=1,
               label=f"ceiling {ceiling:g} dBTP" if target else "0 dBFS")
    for i, v in enumerate(values):
        ax.text(i, (v if v is not None else bottom) + 0.4,
                "n/a" if v is None else f"{v:.1f}", ha="center", fontsize=9)
    ax.set_ylim(bottom, 3)
    ax.set_ylabel("dB")
    ax.set_title("Peaks")
    ax.legend(loc="lower right", fontsize=8)


def _spectrum(ax: Any, r: dict[str, Any]) -> None:
    bands = [b for b in r.get("spectral_balance") or [] if b.get("db") is not None]
    if not bands:
        ax.text(0.5, 0.5, "no spectrum (too short)", ha="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    labels = [b["band"] for b in bands]
    xs = list(range(len(bands)))
    ax.bar(xs, [b["db"] for b in bands], color="#729fcf", label="this mix")
    targets = [b.get("target_db") for b in bands]
    if any(t is not None for t in targets):
        genre = (r.get("genre") or {}).get("name", "genre")
        ax.plot(xs, [math.nan if t is None else t for t in targets], color="#cc0000",
                marker="o", lw=1.5, label=f"{genre} curve")
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xticks(xs, labels, rotation=45, fontsize=8)
    ax.set_ylabel("dB vs mean of bands")
    ax.set_title("Spectral balance (octave bands)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
