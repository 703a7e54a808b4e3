"""/qa: QA trends with threshold bands, the grade distribution, the nights' summary,
the worst images, and flagging a box of points in one action (decision 0056).

Every plot shares one time axis (a zoom or pan in one moves them all). A click on a
point, a rastered pixel or a "no value" tick opens that image; on the calibration heat
map, that observation's MS page. The server answers clicks and boxes from every image of
the range, so they work the same on a thousand points and on a year.

Loading: one fetch per query (``NewestOnly``), which also builds the open section's
figures on its worker (``_fetch``, decision 0081). The first starts with the page
(``early()``, decision 0086) and is shown as soon as both it and the page are ready; a
spinner holds the plots' place.

The plots are in sections (tabs, ``SECTIONS``; the open one in the URL as ``plots``):
only the open section's figures are built with the page, another's when it is first
opened after each load, on a worker thread (decision 0072): every figure costs the first
render ~0.2-0.3 s of Bokeh model building, and most visits look at the image quality.
"""

from __future__ import annotations

import html
import urllib.parse
from dataclasses import dataclass

import numpy as np
import panel as pn
import param
from bokeh import events
from bokeh.models import BoxAnnotation, HoverTool, Range1d
from bokeh.plotting import figure
from panel.viewable import Viewer

from ..errors import DashboardError
from ..repositories.qa_trends import METRICS
from ..science.numbers import format_number
from ..science.qa import DERIVED_FROM_DR, GRADES, MEASURED
from ..science.times import format_mjd, mjd_to_unix_ms, unix_to_mjd
from ..viewmodels.qa import FLAG_VERDICTS, QUERY_PARAMS, SECTIONS, Loaded, QAModel, image_url
from .background import (
    NewestOnly,
    in_document,
    is_served,
    run_in_background,
    update_figure,
    update_together,
)
from .cal_plots import qa_heatmap_figure
from .job_format import DASH, JOBS_CSS, e, table
from .qa_plots import (
    BAND_ALPHA,
    BANDS,
    PLOT_COLOURS,
    PLOT_HEIGHT,
    RUG_HEIGHT,
    SharedSources,
    TrendPlot,
)
from .raster_size import needs_resample, reported
from .urlstate import notes_alert

#: A click picks the nearest image within this fraction of the visible spans.
PICK_TOLERANCE = 0.02
_NAVIGATE_JS = "if (cb_obj.value) { window.location.assign(cb_obj.value); }"
QUICK_RANGES = {"24 h": 1.0, "7 days": 7.0, "30 days": 30.0, "1 year": 365.0}
#: The section (tab) each image metric's plot is in; the calibration plots are in
#: "calibration".
METRIC_SECTIONS = {"noise": "image", "dynamic_range": "image",
                   "flux_scale_ratio": "image", "astrometry_offset": "image",
                   "beam_major": "beam", "beam_minor": "beam", "beam_pa": "beam",
                   "num_sources": "beam"}
NIGHT_COLUMNS = [("Night (UTC)", "dsa-nowrap"), ("Images", "dsa-num"),
                 ("Median noise (mJy/beam)", "dsa-num"), ("Worst DR", "dsa-num"),
                 ("Grades", ""), ("Flags", "")]
QA_CSS = """
.dsa-qa-worst { display: grid; gap: 8px;
  grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); }
/* a tile, not a link in a sentence (JOBS_CSS makes those bold) */
.dsa-qa-worst a { text-decoration: none; color: inherit; font-size: 12px;
  font-weight: normal; }
.dsa-qa-worst img { width: 100%; aspect-ratio: 1; object-fit: cover; border-radius: 4px;
  background: rgba(127,127,127,0.15); }
.dsa-grade-bar { display: inline-block; height: 12px; vertical-align: middle;
  border-radius: 2px; margin-right: 6px; }
"""


#: Panel's dark theme leaves the open tab's label dark on dark.
TABS_DARK_CSS = """
.bk-tab.bk-active { color: #e8e8e8; background-color: #2f3136; border-color: #666; }
"""


def ms_url(path: str) -> str:
    return "/ms/" + urllib.parse.quote(str(path), safe="")


def grade_chips(counts: dict) -> str:
    parts = []
    for grade in GRADES:
        n = counts.get(grade)
        if n:
            colour = PLOT_COLOURS.get(grade, PLOT_COLOURS["unknown"])
            parts.append(f"<span class='dsa-badge' style='background:{colour}'>"
                         f"{e(grade)} {n:,}</span>")
    return " ".join(parts) or DASH


def grades_html(counts: dict[str, dict[str, int]]) -> str:
    """The grade distribution: one bar per grade and kind of grade."""
    total = sum(sum(c.values()) for c in counts.values()) or 1
    rows = []
    labels = {MEASURED: "measured (image_qa)",
              DERIVED_FROM_DR: "derived from dynamic range (no image_qa)"}
    for kind in (MEASURED, DERIVED_FROM_DR):
        for grade in GRADES:
            n = counts.get(kind, {}).get(grade, 0)
            if not n:
                continue
            colour = PLOT_COLOURS.get(grade, PLOT_COLOURS["unknown"])
            width = max(2, int(260 * n / total))
            rows.append([e(grade), e(labels[kind]),
                         f"<span class='dsa-grade-bar' style='width:{width}px;"
                         f"background:{colour}'></span>{n:,} ({n / total:.0%})"])
    return table([("Grade", ""), ("Kind of grade", ""), ("Images", "")], rows,
                 "No images in this range.")


def nights_html(model: QAModel) -> str:
    rows = []
    for r in model.nights().to_dict("records"):
        flags = r["flags"] or {}
        rows.append([e(r["night"]), f"{r['images']:,}",
                     e(format_number(r["median_noise"], ".3f") if r["median_noise"]
                       is not None else DASH),
                     e(format_number(r["worst_dr"], ".0f") if r["worst_dr"] is not None
                       else DASH),
                     grade_chips(r["grades"]),
                     e(", ".join(f"{k} {v}" for k, v in flags.items()) or DASH)])
    return table(NIGHT_COLUMNS, rows, "No images in this range.").replace(
        "class='dsa-jobs'", "class='dsa-jobs dsa-qa-nights'", 1)


def worst_html(model: QAModel) -> str:
    worst = model.worst()
    if worst.empty:
        return "<div class='dsa-note'>No images in this range.</div>"
    tiles = []
    for r in worst.to_dict("records"):
        image_id = int(r["image_id"])
        dr = format_number(r["dynamic_range"], ".0f") if np.isfinite(
            r["dynamic_range"]) else "?"
        noise = format_number(r["noise"], ".2f") if np.isfinite(r["noise"]) else "?"
        colour = PLOT_COLOURS.get(r["grade"], PLOT_COLOURS["unknown"])
        flag = f" · flagged {e(r['flag'])}" if isinstance(r.get("flag"), str) else ""
        tiles.append(
            f"<a href='{image_url(image_id)}' title='{e(r['path'])}'>"
            f"<img loading='lazy' src='/api/v1/images/{image_id}/thumbnail.png' "
            f"alt='thumbnail of image {image_id}'>"
            f"<div><span class='dsa-badge' style='background:{colour}'>{e(r['grade'])}"
            f"</span> #{image_id}</div><div>DR {e(dr)} · {e(noise)} mJy/beam{flag}</div></a>")
    return "<div class='dsa-qa-worst'>" + "".join(tiles) + "</div>"


def lists_html(model: QAModel) -> str:
    """The grade distribution, the nights and the worst images, each under its heading."""
    heading = "<h3 style='margin:12px 0 4px 0'>{}</h3>".format
    return (heading("Grade distribution")
            + f"<div class='dsa-qa-grades'>{grades_html(model.grade_counts())}</div>"
            + heading("Per night") + nights_html(model)
            + heading("Worst images of the range")
            + f"<div class='dsa-qa-worst-images'>{worst_html(model)}</div>")


def _mjd_from_ms(x_ms: float) -> float:
    return unix_to_mjd(x_ms / 1000.0)


def _time_range(loaded: Loaded) -> Range1d:
    """The time axis every plot of a load shares."""
    x0, x1 = mjd_to_unix_ms(np.array([loaded.start_mjd, loaded.end_mjd]))
    return Range1d(x0, x1, reset_start=x0, reset_end=x1)


@dataclass(frozen=True)
class Prebuilt:
    """A load's open section, built on the worker that fetched it (``_fetch``)."""

    loaded: Loaded
    section: str
    x_range: Range1d
    built: tuple[list, list[TrendPlot]]
    texts: dict[str, str]


class QAPageView(Viewer):
    model = param.ClassSelector(class_=QAModel)

    def __init__(self, **params):
        super().__init__(**params)
        m = self.model
        self.start = pn.widgets.TextInput.from_param(
            m.param.start, label="From (MJD or UTC)", placeholder="7 days ago", width=190,
            css_classes=["dsa-qa-from"])
        self.end = pn.widgets.TextInput.from_param(
            m.param.end, label="To (MJD or UTC)", placeholder="now", width=190,
            css_classes=["dsa-qa-to"])
        self.dec_min = pn.widgets.FloatInput.from_param(m.param.dec_min, label="Dec min (°)",
                                                        width=110)
        self.dec_max = pn.widgets.FloatInput.from_param(m.param.dec_max, label="Dec max (°)",
                                                        width=110)
        quick = []
        for label, days in QUICK_RANGES.items():
            button = pn.widgets.Button(label=f"Last {label}", width=100, align="end",
                                       css_classes=[f"dsa-qa-last-{int(days)}"])
            button.on_click(lambda _e, d=days: self._last(d))
            quick.append(button)
        self.alert = pn.pane.Alert("", alert_type="danger", visible=False,
                                   sizing_mode="stretch_width", css_classes=["dsa-qa-error"])
        self.summary = pn.pane.HTML("", sizing_mode="stretch_width", margin=(0, 10),
                                    css_classes=["dsa-qa-summary"])
        self.plots = pn.Column(
            pn.indicators.LoadingSpinner(value=True, size=40, label="Loading QA…"),
            sizing_mode="stretch_width", min_height=PLOT_HEIGHT, css_classes=["dsa-qa-plots"])
        # The grade distribution, the nights and the worst images: one pane (``lists_html``),
        # as every view costs the browser's first render its build and layout.
        self.lists = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[JOBS_CSS,
                                  QA_CSS], css_classes=["dsa-qa-lists"])
        # -- flagging a box of points; the selection and the last flag's outcome share
        # a pane (``_render_selection``)
        self.selection_text = pn.pane.HTML("", css_classes=["dsa-qa-selection"],
                                           sizing_mode="stretch_width")
        self.verdict = pn.widgets.Select(label="Verdict", options=list(FLAG_VERDICTS),
                                         value="bad", width=110, css_classes=["dsa-qa-verdict"])
        self.note = pn.widgets.TextInput(label="Note", placeholder="why (optional)",
                                         width=260, css_classes=["dsa-qa-note"])
        self.flag_button = pn.widgets.Button(label="Flag selection", color="primary",
                                             width=140, align="end", disabled=True,
                                             css_classes=["dsa-qa-flag"])
        self.flag_button.on_click(self._flag)
        # Carries a clicked image's address to the browser, which goes there; hidden.
        self.navigator = pn.widgets.TextInput(value="", visible=False, margin=0)
        self.navigator.jscallback(value=_NAVIGATE_JS)
        self._plots: list[TrendPlot] = []
        self._x_range = None
        # One tab per section, made anew with each load's plots (as the plots were
        # before them: a Tabs made with the page and shown only by the first load's
        # result sometimes never reached the browser); a section's plots are built when
        # it is first shown after each load (``_render_generation`` tells a build for an
        # older load to stop).
        self._sections: dict[str, pn.Column] = {}
        self.tabs: pn.Tabs | None = None
        self._built: set[str] = set()
        self._render_generation = 0
        m.param.watch(self._on_section, ["section"])
        self._layout = pn.Column(
            pn.FlexBox(self.start, self.end, self.dec_min, self.dec_max, *quick,
                       flex_wrap="wrap", align_items="flex-end", sizing_mode="stretch_width",
                       margin=0),
            notes_alert(m, "dsa-qa-notes"), self.alert, self.summary,
            pn.Row(self.verdict, self.note, self.flag_button, sizing_mode="stretch_width",
                   margin=0, css_classes=["dsa-qa-flagging"]),
            self.selection_text, self.plots, self.lists, self.navigator,
            sizing_mode="stretch_width", margin=0)
        self._loads = NewestOnly(self._fetch, self._show, busy=[self.plots],
                                 busy_delay=0.2)
        m.param.watch(self._on_query, ["start", "end", "dec_min", "dec_max"])
        m.param.watch(self._render_selection, ["selection", "flag_block", "action_message"])

    # ---------------------------------------------------------------- loading
    def _last(self, days: float) -> None:
        self.model.param.update(start=f"{unix_to_mjd(self.model._now()) - days:.4f}",
                                end="")

    def _on_query(self, *_events) -> None:
        if is_served():
            self._loads.schedule()
        else:
            self._loads.run()

    def __panel__(self):
        m = self.model
        if is_served():
            # Looked up on a worker, shown on the loop in one batch (its watchers change
            # widgets).
            run_in_background(lambda: _show_user(m, m.who()))
            # The fetch and the open section's figures start now, on a worker, while the
            # browser loads the page's scripts (decision 0081); a result ready before the
            # browser asks for the page travels in it, one ready while the browser builds
            # its views waits for the render (decision 0084), later ones go out as
            # updates (decision 0086).
            self._loads.early()
        else:
            m.identify_user()
            self._loads.run()
        return self._layout

    def _fetch(self) -> tuple[Loaded | DashboardError, Prebuilt | None]:
        """Blocking, on a worker: the load and the open section's figures for it (no
        model already on the page is touched). Building them here takes most of the
        first render's CPU off the event loop, and for the first load it overlaps the
        browser's loading of the page (decision 0081)."""
        m = self.model
        result = m.fetch()
        if isinstance(result, DashboardError):
            return result, None
        scratch = QAModel(m.db, section=m.section)
        scratch.loaded = result
        x_range = _time_range(result)
        return result, Prebuilt(result, m.section, x_range,
                                self._build(m.section, scratch, x_range),
                                self._texts(scratch))

    def _show(self, fetched) -> None:
        result, prebuilt = fetched
        m = self.model
        m.apply(result)
        if m.error:
            self.alert.param.update(object=f"**QA unavailable**: {html.escape(m.error)}",
                                    visible=True)
            # Nothing of the range before stays to be read as this one's.
            self.plots[:] = []
            self.summary.object = self.lists.object = ""
            return
        self.alert.visible = False
        self._render_all(prebuilt)

    # ---------------------------------------------------------------- render
    def _render_all(self, prebuilt: Prebuilt | None = None) -> None:
        m = self.model
        loaded = m.loaded
        # The texts belong to the load, whichever section is open now.
        texts = (prebuilt.texts if prebuilt is not None and prebuilt.loaded is loaded
                 else self._texts(m))
        if prebuilt is not None and (prebuilt.loaded is not loaded
                                     or prebuilt.section != m.section):
            prebuilt = None  # another section opened meanwhile: built here
        self._render_generation += 1
        self.summary.object = texts["summary"]
        self.lists.object = texts["lists"]
        self._x_range = prebuilt.x_range if prebuilt is not None else _time_range(loaded)
        self._plots = []
        self._built = set()
        self._new_tabs()
        # The open section is filled before the tabs join the page: one change of the
        # page's layout, not two (each makes Panel walk every model of the document).
        self._attach(m.section, prebuilt.built if prebuilt is not None
                     else self._build(m.section))
        self.plots[:] = [self.tabs]
        self._render_selection()

    def _texts(self, m: QAModel) -> dict[str, str]:
        """The HTML of a load's summary, grades, nights, worst images and unmeasured
        plots, from ``m``'s load: made on the worker with the figures (``_fetch``), as
        their pandas work would otherwise hold the page's document lock."""
        notes = "".join(f"<li><b>{e(label)}</b>: not measured; {e(why)}.</li>"
                        for label, why in self._unmeasured(m))
        return {"summary": self._summary_text(m),
                # The plots not drawn are named right under the plots.
                "lists": ((f"<ul class='dsa-note dsa-qa-unmeasured' style='margin:4px 0'>"
                           f"{notes}</ul>" if notes else "") + lists_html(m))}

    def _unmeasured(self, m: QAModel) -> list[tuple[str, str]]:
        """(label, why) of every plot not drawn, whichever section it belongs to."""
        out = []
        for name, metric in METRICS.items():
            if name in m.loaded.unmeasured:
                out.append((metric.label, "this database has no column for it "
                            f"(image_qa.{metric.qa_column})"))
                continue
            measured, missing = m.series(name)
            if measured.empty and len(missing):
                # Named, not drawn: a plot of nothing but "no value" ticks costs the
                # first render a figure and says less (decision 0071).
                out.append((metric.label, f"none of the {len(missing):,} images of "
                            "this range has a value"
                            + (" (the qa batch measures it: dsa110-dash batch "
                               "start qa)" if metric.image_column is None else "")))
        for why in (self._calibrator_missing(m.loaded),
                    self._cal_heatmap_missing(m.loaded)):
            if why is not None:
                out.append(why)
        return out

    def _build(self, section: str, model: QAModel | None = None,
                x_range: Range1d | None = None) -> tuple[list, list[TrendPlot]]:
        """(panes, trend plots) of ``section`` from ``model``'s load (the page's by
        default) on ``x_range`` (the page's); no model already on the page is touched:
        a worker thread may run it."""
        m = self.model if model is None else model
        x_range = self._x_range if x_range is None else x_range
        pts = m.points
        panes, plots = [], []
        shared = SharedSources(pts)
        for name, metric in METRICS.items():
            if METRIC_SECTIONS[name] != section or name in m.loaded.unmeasured:
                continue
            measured, missing = m.series(name)
            if measured.empty:  # named in the list below, or no image at all
                continue
            expected = None
            if name == "noise":
                expected = pts[np.isfinite(pts["expected_noise"].to_numpy(float))]
            plot = TrendPlot(name, metric.label, metric.unit, metric.log, x_range,
                             measured, missing, value_column=name, shared=shared,
                             expected=expected)
            plots.append(plot)
            panes.append(pn.pane.Bokeh(plot.figure, sizing_mode="stretch_width",
                                       height=PLOT_HEIGHT, min_width=420))
        shared.finish()
        if section == "calibration":
            panes += [p for p in (self._calibrator_plot(m.loaded, x_range),
                                  self._cal_heatmap(m.loaded, x_range)) if p is not None]
        for plot in plots:
            plot.raster()
        if not panes:
            why = ("No image was observed in this range." if pts.empty else
                   "No plot in this section for this range: see the list below.")
            return [pn.pane.HTML(f"<div class='dsa-note dsa-qa-no-plot'>{why}</div>",
                                 sizing_mode="stretch_width")], plots
        return [pn.GridBox(*panes, ncols=2, sizing_mode="stretch_width")], plots

    def _attach(self, section: str, built) -> None:
        objects, plots = built
        for plot in plots:
            self._wire(plot)
        self._sections[section][:] = objects
        self._built.add(section)

    # ---------------------------------------------------------------- sections
    def _new_tabs(self) -> None:
        self._sections = {name: pn.Column(sizing_mode="stretch_width", margin=0,
                                          min_height=PLOT_HEIGHT,
                                          css_classes=[f"dsa-qa-section-{name}"])
                          for name in SECTIONS}
        self.tabs = pn.Tabs(*((SECTIONS[n], c) for n, c in self._sections.items()),
                            active=list(SECTIONS).index(self.model.section), dynamic=False,
                            sizing_mode="stretch_width", css_classes=["dsa-qa-tabs"],
                            stylesheets=[TABS_DARK_CSS] if pn.config.theme == "dark" else [])
        self.tabs.param.watch(self._on_tab, ["active"])

    def _on_tab(self, event) -> None:
        self.model.section = list(SECTIONS)[event.new]

    def _on_section(self, event) -> None:
        """Show the section; build its plots on a worker thread if this load has not."""
        if self.tabs is None or self.model.loaded is None:
            return  # the first load's tabs open it
        index = list(SECTIONS).index(event.new)
        if self.tabs.active != index:
            self.tabs.active = index
        if event.new in self._built:
            return
        generation = self._render_generation

        def work() -> None:
            built = self._build(event.new)

            def attach() -> None:
                if generation == self._render_generation and event.new not in self._built:
                    self._attach(event.new, built)

            update_together(attach)

        self._sections[event.new][:] = [pn.indicators.LoadingSpinner(
            value=True, size=40, label="Drawing…")]
        if is_served():
            run_in_background(work)
        else:
            work()

    @staticmethod
    def _summary_text(m: QAModel) -> str:
        loaded = m.loaded
        # The strip of the query fetched, not of the inputs now (a scratch model has none).
        asked = dict(zip(QUERY_PARAMS, loaded.query))
        dec_min, dec_max = asked["dec_min"], asked["dec_max"]
        counts = m.summary()
        return (f"<b>{counts['images']:,} images</b> observed from "
                f"{e(format_mjd(loaded.start_mjd, seconds=False))} to "
                f"{e(format_mjd(loaded.end_mjd, seconds=False))} UTC"
                + (f", Dec {e(dec_min if dec_min is not None else '−90')}° to "
                   f"{e(dec_max if dec_max is not None else '90')}°"
                   if dec_min is not None or dec_max is not None else "")
                + f"; {counts['measured']:,} with measured QA (image_qa), the rest graded "
                "from their dynamic range. Shaded bands: the pipeline's thresholds; grey "
                "ticks at the bottom: images without that value. Click a point to open "
                "its image; drag a box (box select) to choose images to flag.")

    _CALIBRATOR_LABEL = "Calibrator flux ratio (observed / catalogue)"
    _HEATMAP_LABEL = "Calibration flagged fraction per spectral window"

    def _calibrators(self, loaded: Loaded | None = None):
        cal = (loaded or self.model.loaded).calibrators
        return None if cal is None else cal[np.isfinite(cal["ratio"].to_numpy(float))]

    def _calibrator_missing(self, loaded: Loaded | None = None) -> tuple[str, str] | None:
        """(label, why) when the calibrator plot cannot be drawn, else None."""
        cal = self._calibrators(loaded)
        if cal is None:
            return (self._CALIBRATOR_LABEL, "this database has no photometry table")
        if cal.empty:
            return (self._CALIBRATOR_LABEL, "no photometry of a flux calibrator "
                    "(0834+555, 3C286, 3C48, 3C147) in this range")
        return None

    def _cal_heatmap_missing(self, loaded: Loaded | None = None) -> tuple[str, str] | None:
        cells = (loaded or self.model.loaded).cal_cells
        if cells is None:
            return (self._HEATMAP_LABEL, "this database has no calibration_qa table")
        if cells.empty:
            return (self._HEATMAP_LABEL, "no calibration QA with per-SPW statistics "
                    "in this range")
        return None

    def _calibrator_plot(self, loaded: Loaded, x_range: Range1d):
        if self._calibrator_missing(loaded) is not None:
            return None
        cal = self._calibrators(loaded)
        label = self._CALIBRATOR_LABEL
        fig = figure(title=label, x_range=x_range, x_axis_type="datetime",
                     height=PLOT_HEIGHT, sizing_mode="stretch_width", min_width=420,
                     tools="xpan,xwheel_zoom,reset", toolbar_location="right")
        fig.toolbar.logo = None
        fig.title.text_font_size = "12px"
        # Annotations, not qa_plots.band_strips: this plot's y range follows its data,
        # and strips reaching past any zoom would widen it to theirs.
        for low, high, colour, _ in BANDS["calibrator"]:
            fig.add_layout(BoxAnnotation(bottom=low, top=high, fill_color=colour,
                                         fill_alpha=BAND_ALPHA, line_alpha=0))
        palette = ["#1f77b4", "#9467bd", "#17becf", "#8c564b"]
        for i, (name, group) in enumerate(cal.groupby("calibrator")):
            r = fig.scatter(mjd_to_unix_ms(group["mjd"].to_numpy(float)),
                            group["ratio"].to_numpy(float), size=5,
                            color=palette[i % len(palette)], legend_label=str(name))
            fig.add_tools(HoverTool(renderers=[r], tooltips=[("ratio", "@y{0.000}")]))
        fig.legend.location = "top_left"
        fig.legend.background_fill_alpha = 0.6
        return pn.pane.Bokeh(fig, sizing_mode="stretch_width", height=PLOT_HEIGHT,
                             min_width=420)

    def _cal_heatmap(self, loaded: Loaded, x_range: Range1d):
        if self._cal_heatmap_missing(loaded) is not None:
            return None
        cells = loaded.cal_cells
        label = self._HEATMAP_LABEL
        fig = qa_heatmap_figure(cells)
        fig.title.text = label
        fig.x_range = x_range
        fig.on_event(events.Tap, lambda ev: self._tap_cal(fig, cells, ev))
        return pn.pane.Bokeh(fig, sizing_mode="stretch_width", min_width=420)

    def _wire(self, plot: TrendPlot) -> None:
        fig = plot.figure
        fig.on_event(events.Tap, lambda ev: self._tap(plot, ev))
        fig.on_event(events.SelectionGeometry, lambda ev: self._boxed(plot, ev))
        fig.on_event(events.RangesUpdate, lambda ev: self._ranges(plot, ev))
        fig.on_change("inner_width", lambda a, o, n: self._resized(plot, a, n))
        fig.on_change("inner_height", lambda a, o, n: self._resized(plot, a, n))
        self._plots.append(plot)

    # ---------------------------------------------------------------- events
    def _tap(self, plot: TrendPlot, event) -> None:
        if event.x is None or event.y is None:
            return
        fig = plot.figure
        with in_document(fig.document):
            xr, yr = fig.x_range, fig.y_range
            x_span_days = (xr.end - xr.start) / 86_400_000.0
            rug_top = yr.start + (yr.end - yr.start) * RUG_HEIGHT
            on_rug = event.y <= rug_top
            row = self.model.nearest(plot.value_column, _mjd_from_ms(event.x),
                                     None if on_rug else event.y, x_span_days,
                                     yr.end - yr.start, PICK_TOLERANCE, log=plot.log)
            if row is not None:
                self._go(image_url(row["image_id"]))

    def _tap_cal(self, fig, cells, event) -> None:
        if event.x is None:
            return
        with in_document(fig.document):
            x = mjd_to_unix_ms(cells["mjd"].to_numpy(float))
            i = int(np.argmin(np.abs(x - event.x)))
            span = (fig.x_range.end or 1) - (fig.x_range.start or 0)
            if abs(x[i] - event.x) <= PICK_TOLERANCE * span:
                self._go(ms_url(cells["ms_path"].iloc[i]))

    def _go(self, url: str) -> None:
        if self.navigator.value == url:  # the same image again: still a change
            self.navigator.value = ""
        self.navigator.value = url

    def _boxed(self, plot: TrendPlot, event) -> None:
        g = event.geometry or {}
        if not event.final or g.get("type") != "rect":
            return
        with in_document(plot.figure.document):
            ids = self.model.in_box(plot.value_column, _mjd_from_ms(g["x0"]),
                                    _mjd_from_ms(g["x1"]), g.get("y0"), g.get("y1"),
                                    log=plot.log)
            self.model.select(ids)

    def _ranges(self, plot: TrendPlot, event) -> None:
        if None not in (event.x0, event.x1, event.y0, event.y1):
            plot.figure.x_range.update(start=event.x0, end=event.x1)
            plot.figure.y_range.update(start=event.y0, end=event.y1)
        for p in self._plots:  # the time axis is shared: every raster follows
            update_figure(p.figure, p.raster)

    def _resized(self, plot: TrendPlot, attr: str, new) -> None:
        """Later images (zoom, pan) are drawn at the frame's reported size; the one
        shown is drawn again only if it is too coarse or too fine for it."""
        if not new:
            return
        size = reported(plot.frame_px, attr, new)
        if size == plot.frame_px:
            return
        plot.frame_px = size
        if needs_resample(plot.image_px, plot.frame_px):
            update_figure(plot.figure, plot.raster)

    # ---------------------------------------------------------------- flagging
    def _render_selection(self, *_events) -> None:
        m = self.model
        n = len(m.selection)
        if m.flag_block:
            self.flag_button.disabled = True
            text = (f"<span class='dsa-note dsa-qa-flag-blocked'>"
                    f"Flagging is off: {e(m.flag_block)}</span>")
        else:
            self.flag_button.disabled = n == 0
            text = (f"<span class='dsa-note'>{n:,} image(s) selected.</span>" if n else
                    "<span class='dsa-note'>Drag a box on any plot to select images.</span>")
        if m.action_message:
            colour = "#2e7d32" if m.action_ok else "#c62828"
            text += (f"<div class='dsa-qa-flag-message' style='color:{colour}'>"
                     f"{e(m.action_message)}</div>")
        self.selection_text.object = text

    def _flag(self, _event) -> None:
        m = self.model

        def work() -> None:
            m.flag_selection(self.verdict.value, self.note.value or "")
            if m.action_ok:
                self._render_all_later()

        if is_served():
            run_in_background(work)
        else:
            work()

    def _render_all_later(self) -> None:
        update_together(self._render_all)


def _show_user(model: QAModel, who: tuple[str | None, str | None]) -> None:
    update_together(lambda: model.show_user(who))
