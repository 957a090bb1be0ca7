"""Writing a matplotlib figure as PNG and SVG with bytes that depend only on the figure (no dates, fixed ids)."""
from __future__ import annotations

import io
from pathlib import Path

from matplotlib import rc_context
from matplotlib.figure import Figure

PNG_DPI = 110


def save_svg(fig: Figure, path: Path) -> None:
    """SVG with fixed element ids and no date, so the same run gives the same bytes."""
    with rc_context({"svg.hashsalt": "simroute"}):
        fig.savefig(path, format="svg", metadata={"Date": None})


def save_figure(fig: Figure, folder: Path, name: str) -> bytes:
    """Write `fig` as folder/name.png and folder/name.svg; the PNG bytes (for embedding in HTML). The layout is
    settled once (at the figure's dpi) and then frozen, so both formats draw the same positions without
    re-running it; the figure is left with no layout engine."""
    fig.draw_without_rendering()
    fig.set_layout_engine("none")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=PNG_DPI)
    (folder / f"{name}.png").write_bytes(buf.getvalue())
    save_svg(fig, folder / f"{name}.svg")
    return buf.getvalue()
