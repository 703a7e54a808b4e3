"""How one page of images is shown: display columns, grade badges, links."""

from __future__ import annotations

import html

import pandas as pd

from ..science.numbers import MISSING, finite_or_none, format_number
from ..science.times import format_mjd

GRADE_COLOURS = {"excellent": "#1b7f3b", "good": "#2e7d32", "marginal": "#b26a00",
                 "poor": "#c62828", "unknown": "#6b7785"}
#: Legible on the light and the dark theme.
LINK_COLOUR = "#2f81f7"

#: Display column -> the repository sort key it sorts by (None: not sortable).
COLUMNS: dict[str, str | None] = {
    "ID": "id",
    "Observed (UTC)": "mjd",
    "MJD": "mjd",
    "Type": "type",
    "Field": "field_name",
    "RA (°)": "center_ra_deg",
    "Dec (°)": "center_dec_deg",
    "Noise (mJy/beam)": "noise_jy",
    "DR": "dynamic_range",
    "Beam (″)": None,
    "QA grade": "qa_grade",
    "Path": "path",
}
HTML_COLUMNS = ("ID", "QA grade", "Path", "Observed (UTC)")
DASH = MISSING
#: Sorting is done in SQL, so Tabulator's own arrows (one per column, all alike) say
#: nothing: hidden; the sorted column carries an arrow in its title (sort_titles).
#: At 1280 px the table has ~960 px beside the filters: every column but the path has a
#: width (``fit_columns``), titles may wrap, and the path (the file name; the whole path
#: on hover) takes what is left: all of it is shown, none cut off at the right.
TABLE_CSS = """
.tabulator { font-size: 13px; }
.tabulator-col .tabulator-col-sorter, .tabulator-col .tabulator-arrow { display: none !important; }
.tabulator-col .tabulator-col-title { white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; }
.tabulator-cell, .tabulator-col .tabulator-col-content { padding-left: 5px !important;
  padding-right: 5px !important; }
"""
WIDTHS = {"ID": 48, "Observed (UTC)": 122, "MJD": 90, "Type": 60, "Field": 104,
          "RA (°)": 70, "Dec (°)": 76, "Noise (mJy/beam)": 84, "DR": 58, "Beam (″)": 94,
          "QA grade": 88}
ARROWS = {"desc": "↓", "asc": "↑"}
#: The table grows with its page (no height of its own), so Tabulator's virtual renderer
#: draws every row anyway, measuring each row's height one at a time as it fills its
#: window: the basic renderer draws them in one pass. A page change at one year spent
#: ~390 ms of the browser's CPU in Tabulator under load, ~280 ms with it (decision 0083).
CONFIGURATION = {"renderVertical": "basic"}


def sort_titles(sort: str, order: str) -> dict[str, str]:
    """Column titles, with the sort direction's arrow on the column(s) sorted by."""
    return {name: (f"{name} {ARROWS.get(order, '')}" if key == sort else name)
            for name, key in COLUMNS.items()}


def grade_badge(grade: str | None, title: str = "latest measured QA grade") -> str:
    shown = grade or "unknown"
    colour = GRADE_COLOURS.get(shown, "#6b7785")
    if grade is None:
        title = "never assessed by the pipeline's QA step"
    return (f'<span title="{html.escape(title)}" style="background:{colour};color:#fff;'
            f'padding:1px 8px;border-radius:9px;font-size:0.85em;white-space:nowrap">'
            f"{html.escape(shown)}</span>")


#: People's verdicts (science/qa.py FLAG_VERDICTS): bad is the loud one.
FLAG_STYLES = {"bad": ("#c62828", "#fff"), "unsure": ("#b26a00", "#fff"),
               "good": ("transparent", "inherit")}


def flag_badge(verdict: str | None, user: str | None = None, note: str | None = None,
               when: str | None = None) -> str:
    """A person's current flag on an image ("⚑ bad"), '' when never flagged. The title
    says who, when and why; a bad flag is solid red, so it is seen in any list."""
    if not verdict:
        return ""
    background, colour = FLAG_STYLES.get(verdict, ("transparent", "inherit"))
    border = "#c62828" if verdict == "bad" else "#b26a00" if verdict == "unsure" else "#2e7d32"
    title = f"flagged {verdict}" + (f" by {user}" if user else "") + (
        f" ({when})" if when else "") + (f": {note}" if note else "")
    return (f'<span class="dsa-flag dsa-flag-{html.escape(verdict)}" '
            f'title="{html.escape(title)}" style="background:{background};color:{colour};'
            f'border:1px solid {border};padding:0 6px;border-radius:9px;font-size:0.85em;'
            f'white-space:nowrap">⚑ {html.escape(verdict)}</span>')


def mjd_to_utc(mjd, seconds: bool = True) -> str:
    text = format_mjd(mjd, seconds=seconds)
    return DASH if text is None else text


def _beam(major, minor, pa) -> str:
    if finite_or_none(major) is None or finite_or_none(minor) is None:
        return DASH
    angle = format_number(pa, ".0f") if pa is not None else "?"
    return f"{float(major):.1f}×{float(minor):.1f}, {angle}°"


def display_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The page's rows as display strings (links and badges as HTML)."""
    import panel as pn

    colour = "#9cc3ff" if pn.config.theme == "dark" else LINK_COLOUR
    out = []
    for r in rows.to_dict("records"):
        image_id = int(r["id"])
        href = f"/images/{image_id}"
        path = str(r.get("path") or "")
        mjd_note = ("observation time of its measurement set" if r.get("mjd_source") ==
                    "ms_index" else "no MS time: the image's creation time")
        out.append({
            "ID": f'<a style="color:{colour}" href="{href}" title="open image {image_id}">{image_id}</a>',
            # To the minute: the MJD beside it has the second (and the table fits).
            "Observed (UTC)": f'<a style="color:{colour}" href="{href}" title="{mjd_note}">{mjd_to_utc(r.get("mjd"), seconds=False)}</a>',
            "MJD": format_number(r.get("mjd"), ".5f"),
            "Type": str(r.get("type") or DASH),
            "Field": str(r.get("field_name") or DASH),
            "RA (°)": format_number(r.get("center_ra_deg"), ".3f"),
            "Dec (°)": format_number(r.get("center_dec_deg"), "+.3f"),
            "Noise (mJy/beam)": format_number(r.get("noise_jy"), ".3f", scale=1e3),
            "DR": format_number(r.get("dynamic_range"), ",.0f"),
            "Beam (″)": _beam(r.get("beam_major_arcsec"), r.get("beam_minor_arcsec"),
                              r.get("beam_pa_deg")),
            # A person's flag under the grade (a column of its own would push the path
            # off the table at 1280 px); only flagged rows grow.
            "QA grade": grade_badge(r.get("qa_grade")) + (
                "<br>" + flag_badge(r.get("flag_verdict"), r.get("flag_user"),
                                    r.get("flag_note")) if r.get("flag_verdict") else ""),
            "Path": f'<span title="{html.escape(path)}">{html.escape(path.rsplit("/", 1)[-1])}</span>',
        })
    return pd.DataFrame(out, columns=list(COLUMNS))
