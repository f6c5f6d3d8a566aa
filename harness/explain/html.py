"""The HTML view: one self-contained page (no external resources) with every frame.

The frames go into the page as JSON; a few lines of JavaScript draw the current one
into the four boxes. Previous/next buttons, a slider and the arrow keys move
between frames; ``#step`` shows "step N / M".
"""

from __future__ import annotations

import json
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from .frames import Walk


def render_html(walk: Walk) -> str:
    env = Environment(loader=PackageLoader("harness.explain", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    # "</" is escaped so no string in the data can close the <script> element.
    data = json.dumps(walk.to_dict()).replace("</", "<\\/")
    return env.get_template("explain.html.j2").render(walk=walk, data=data)


def write_html(walk: Walk, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(walk), encoding="utf-8")
    return path
