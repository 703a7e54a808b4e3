"""How the Jobs pages write times, durations, statuses and tables as HTML.

Everything from the database is escaped. Colours are chosen to read on the light and the
dark theme alike: badges are white text on a saturated colour; table rules and stripes
are translucent grey, so they take the theme's background.
"""

from __future__ import annotations

import html
import math
import time

from ..science.times import format_unix

#: Status -> badge colour (white text on it reads on both themes).
STATUS_COLOURS = {"completed": "#2e7d32", "done": "#2e7d32", "running": "#1565c0",
                  "pending": "#6b7785", "failed": "#c62828", "cancelled": "#8d5a00",
                  "requested": "#8d5a00", "ok": "#2e7d32", "refused": "#8d5a00",
                  "error": "#c62828", "idle": "#00695c", "stale": "#c62828",
                  "stopped": "#6b7785"}
DASH = "—"

JOBS_CSS = """
table.dsa-jobs { border-collapse: collapse; width: 100%; font-size: 13px; }
table.dsa-jobs th { text-align: left; font-weight: 600; padding: 5px 8px;
  border-bottom: 1px solid rgba(127,127,127,0.5); white-space: nowrap; }
table.dsa-jobs td { padding: 4px 8px; vertical-align: top;
  border-bottom: 1px solid rgba(127,127,127,0.15); }
table.dsa-jobs tr:nth-child(even) td { background: rgba(127,127,127,0.07); }
table.dsa-jobs td.dsa-path { word-break: break-all; }
table.dsa-jobs td.dsa-num, table.dsa-jobs th.dsa-num { text-align: right;
  white-space: nowrap; }
.dsa-nowrap { white-space: nowrap; }
table.dsa-kv th { width: 1%; border-bottom: 1px solid rgba(127,127,127,0.15); }
a { color: #2f81f7; font-weight: 600; text-decoration: none; }
a:hover { text-decoration: underline; }
.dsa-badge { display: inline-block; color: #fff; padding: 0 8px; border-radius: 9px;
  font-size: 0.85em; white-space: nowrap; line-height: 1.6; }
.dsa-note { font-size: 0.85em; opacity: 0.8; margin: 4px 0; }
.dsa-mono, code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas,
  "DejaVu Sans Mono", monospace; }
h4.dsa-h { margin: 10px 0 4px 0; font-size: 1em; }
.dsa-progress { display: flex; height: 12px; border-radius: 6px; overflow: hidden;
  background: rgba(127,127,127,0.25); margin: 4px 0; min-width: 160px; }
.dsa-progress span { display: block; height: 100%; }
"""


def e(value) -> str:
    return html.escape("" if value is None else str(value))


def status_badge(status: str | None, title: str | None = None) -> str:
    shown = status or "unknown"
    colour = STATUS_COLOURS.get(shown.lower(), "#6b7785")
    tip = f' title="{e(title)}"' if title else ""
    return (f'<span class="dsa-badge dsa-status-{e(shown.lower())}" '
            f'style="background:{colour}"{tip}>{e(shown)}</span>')


def number(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def utc(unix) -> str:
    """``2025-10-17 14:40:09`` (UTC), or a dash."""
    return format_unix(number(unix)) or DASH


def span(seconds: float | None) -> str:
    """A duration a person reads: ``45 s``, ``12 min 5 s``, ``3 h 20 min``, ``2 d 4 h``."""
    if seconds is None:
        return DASH
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def age(unix, now: float | None = None) -> str:
    """How long ago ``unix`` was: ``3 min 5 s ago``."""
    at = number(unix)
    if at is None:
        return DASH
    return span(max(0.0, (time.time() if now is None else now) - at)) + " ago"


def table(columns: list[tuple[str, str] | tuple[str, str, str | None]],
          rows: list[list[str]], empty: str) -> str:
    """An HTML table; ``columns`` are (title, css class) or (title, css class, the
    header's tooltip), cells are HTML already."""
    if not rows:
        return f"<div class='dsa-note'>{e(empty)}</div>"
    head = "".join(_header(c) for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td class='{c[1]}'>{cell}</td>"
                         for c, cell in zip(columns, row)) + "</tr>" for row in rows)
    return f"<table class='dsa-jobs'><tr>{head}</tr>{body}</table>"


def _header(column: tuple) -> str:
    title, cls, *tip = column
    hint = f" title='{e(tip[0])}'" if tip and tip[0] else ""
    return f"<th class='{cls}'{hint}>{e(title)}</th>"
