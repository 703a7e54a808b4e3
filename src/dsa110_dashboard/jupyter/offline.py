"""Panel in a notebook with nothing fetched from another host (decision 0078).

``pn.extension(inline=True)`` puts BokehJS and Panel's scripts in the notebook and
inlines the stylesheets of a view when it is first displayed. But every later update
over the Jupyter comm that carries a component's stylesheets (an HTML pane's new text,
a widget's new options: Panel re-resolves them each time) names Panel's own CSS by its
CDN address (``cdn.holoviz.org/.../default.css``, ``native.css``, ``loading.css``),
and a notebook on a control-room network waits on a host it cannot reach.

``install()`` wraps ``panel.io.notebook.send``, the one function through which Panel
sends a change to a notebook, so that each imported stylesheet in the message that
names a file Panel ships in its wheel becomes the same CSS inline before it leaves the
kernel. Served pages do not pass through it (Panel serves those files itself there).
"""

from __future__ import annotations

import functools
from pathlib import Path

import panel.io.notebook as panel_notebook
from panel.io.resources import CDN_DIST, DIST_DIR, LOCAL_DIST


def shipped_css(url: str) -> Path | None:
    """The file in Panel's wheel that a stylesheet URL names (its CDN address or the
    server's ``static/extensions/panel/`` path), or None for any other URL."""
    for prefix in (CDN_DIST, LOCAL_DIST):
        if url.startswith(prefix):
            path = (DIST_DIR / url[len(prefix):].split("?", 1)[0]).resolve()
            if path.is_file() and DIST_DIR.resolve() in path.parents:
                return path
    return None


@functools.cache
def _css(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def inline_stylesheets(content) -> int:  # noqa: ANN001 - decoded Bokeh JSON
    """Turns, in place, every ``ImportedStyleSheet`` of a Bokeh message's content whose
    URL names a file Panel ships into an ``InlineStyleSheet`` of that CSS (same id, so
    later references to it still resolve); returns how many."""
    replaced = 0
    stack = [content]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("name") == "ImportedStyleSheet" and node.get("type") == "object":
                path = shipped_css(str((node.get("attributes") or {}).get("url", "")))
                if path is not None:
                    node["name"] = "InlineStyleSheet"
                    node["attributes"] = {"css": _css(path)}
                    replaced += 1
                    continue
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return replaced


_panel_send = panel_notebook.send


def _send_inline(comm, msg) -> None:  # noqa: ANN001 - pyviz_comms Comm, bokeh Message
    if msg.content is not None:
        inline_stylesheets(msg.content)
    _panel_send(comm, msg)


def install() -> None:
    """Inline Panel's stylesheets in every update sent to a notebook (idempotent)."""
    panel_notebook.send = _send_inline
