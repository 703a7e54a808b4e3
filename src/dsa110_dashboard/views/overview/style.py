"""Styles and small HTML helpers of the overview cards.

The cards' HTML panes render inside Bokeh's shadow roots, where the page's global CSS
does not reach, so each pane carries ``STYLESHEET``. Colours work on the light and the
dark theme (text inherits the theme's colour; lights are white on a saturated fill).
"""

from __future__ import annotations

import html

import panel as pn

from ...viewmodels.overview import BAD, OK, UNKNOWN, WARN

STYLESHEET = """
:host { font-size: 16px; line-height: 1.35; }
.ov-muted { opacity: 0.72; font-size: 0.9em; }
.ov-small { font-size: 0.85em; }
.ov-stat { font-size: 2.0em; font-weight: 650; line-height: 1.1; }
.ov-stat-label { font-size: 0.85em; opacity: 0.8; text-transform: uppercase;
                 letter-spacing: 0.04em; }
.ov-light { display: inline-block; min-width: 1em; padding: 2px 10px; border-radius: 12px;
            color: #fff; font-weight: 600; font-size: 0.9em; white-space: nowrap; }
.ov-dot { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 50%;
          vertical-align: -0.1em; margin-right: 0.35em; }
.ov-ok { background: #2e7d32; }
.ov-warn { background: #c77700; }
.ov-bad { background: #c62828; }
.ov-unknown { background: #6b7785; }
.ov-est { display: inline-block; margin-left: 0.35em; padding: 0 6px; border-radius: 8px;
          border: 1px solid currentColor; font-size: 0.7em; font-weight: 600;
          opacity: 0.8; vertical-align: middle; cursor: help; }
table.ov-table { border-collapse: collapse; width: 100%; }
table.ov-table td, table.ov-table th { padding: 3px 6px; text-align: left;
          border-bottom: 1px solid rgba(128, 128, 128, 0.25); }
table.ov-table td.num, table.ov-table th.num { text-align: right;
          font-variant-numeric: tabular-nums; }
.ov-grid2 { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; }
.ov-grid2 > .k { opacity: 0.75; }
.ov-thumb { display: block; width: 100%; max-width: 240px; aspect-ratio: 1 / 1;
            object-fit: contain; background: #000; border-radius: 4px; }
.ov-thumb-bad { outline: 3px solid #c62828; opacity: 0.7; }
.ov-row { display: flex; gap: 18px; flex-wrap: wrap; align-items: flex-start; }
.ov-stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr));
            gap: 8px 16px; }
.ov-big-light { font-size: 1.6em; padding: 4px 18px; border-radius: 18px; }
a { color: inherit; }
.ov-link { font-weight: 600; text-decoration: underline; }
.ov-error { color: #fff; background: #c62828; padding: 4px 8px; border-radius: 4px; }
"""

LIGHT_WORDS = {OK: "OK", WARN: "WARNING", BAD: "PROBLEM", UNKNOWN: "UNKNOWN"}
GRADE_LIGHT = {"excellent": OK, "good": OK, "marginal": WARN, "poor": BAD,
               "unknown": UNKNOWN}
CARD_MIN_WIDTH = 320


def esc(value) -> str:
    return html.escape(str(value))


def light(state: str, text: str | None = None, title: str | None = None,
          extra_class: str = "") -> str:
    tip = f' title="{esc(title)}"' if title else ""
    return (f'<span class="ov-light ov-{esc(state)} {extra_class}"{tip}>'
            f"{esc(text if text is not None else LIGHT_WORDS.get(state, state))}</span>")


def dot(state: str) -> str:
    return f'<span class="ov-dot ov-{esc(state)}"></span>'


def estimated(method: str) -> str:
    """The marker beside an estimated figure; its tooltip says how it was estimated."""
    return f'<span class="ov-est" title="{esc(method)}">estimated</span>'


def number(value: int | None, exact: bool = True) -> str:
    if value is None:
        return "unknown"
    return f"{value:,}" if exact else f"≈{value:,}"


def html_pane(**params) -> pn.pane.HTML:
    return pn.pane.HTML("", stylesheets=[STYLESHEET], sizing_mode="stretch_width",
                        margin=(0, 4), **params)


def card(title: str, *objects, flex: str = "1 1 440px", **params) -> pn.Card:
    """A titled, non-collapsible card that shares a row with others and wraps
    (``flex``: CSS flex of the card in the page's FlexBox)."""
    return pn.Card(*objects, title=title, collapsible=False, sizing_mode="stretch_width",
                   min_width=CARD_MIN_WIDTH, margin=8, styles={"flex": flex}, **params)
