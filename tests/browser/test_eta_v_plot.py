"""The eta-V plot on /sources in a browser over the demo dataset: every source is
visible in both themes, a click on any point (rasterised bulk or candidate) opens its
page, and the threshold lines can be dragged like the inputs can be typed."""

from __future__ import annotations

import io
import math
import re
import urllib.parse

import numpy as np
import pytest
from PIL import Image

from browser.helpers import FIGURES_JS, wait_idle
from browser.test_sources_page import click_data, open_sources
from dsa110_dashboard.viewmodels.eta_v import EtaVModel
from dsa110_dashboard.views.eta_v import PICK_TOLERANCE
from dsa110_dashboard.views.raster_size import RESAMPLE_FACTOR

pytestmark = pytest.mark.browser

_FIGURE_JS = FIGURES_JS + "const f = figures[0];\n"

#: The figure once its rasterised bulk is the image it keeps for the frame's size (the
#: first image is computed before the browser reports the plot's size, and redrawn if
#: it is too coarse or too fine for it: ``RESAMPLE_FACTOR``): the figure's box on the
#: page, its frame, and each (x, y) in figure pixels.
GEOMETRY = """
([xs, ys]) => {
""" + _FIGURE_JS + f"""
  const factor = {RESAMPLE_FACTOR};
""" + """
  if (!f) return null;
  const image = f.model.renderers.find(r => r.glyph && r.glyph.type === 'Image');
  if (!image) return null;
  const [rows, cols] = image.data_source.data.image[0].shape;
  const b = f.frame.bbox;
  const fits = (px, frame) => frame / px >= 1 / factor && frame / px <= factor;
  if (!fits(cols, b.width) || !fits(rows, b.height)) return null;
  f.el.scrollIntoView({block: 'center'});
  const r = f.el.getBoundingClientRect();
  return {box: [r.left, r.top, r.width, r.height], frame: [b.left, b.top, b.right, b.bottom],
          sx: xs.map(x => f.frame.x_scale.compute(x)),
          sy: ys.map(y => f.frame.y_scale.compute(y))};
}
"""

#: The threshold lines: location (data units) and page position, by dimension.
SPANS = """
() => {
""" + _FIGURE_JS + """
  if (!f) return null;
  f.el.scrollIntoView({block: 'center'});
  const r = f.el.getBoundingClientRect();
  const b = f.frame.bbox;
  const out = {};
  for (const s of f.model.renderers.filter(m => m.type === 'Span')) {
    out[s.dimension] = {location: s.location,
                        x: r.left + f.frame.x_scale.compute(s.location),
                        y: r.top + f.frame.y_scale.compute(s.location)};
  }
  out.frame = [r.left + b.left, r.top + b.top, r.left + b.right, r.top + b.bottom];
  return {...out, x_range: [f.frame.x_range.start, f.frame.x_range.end],
          y_range: [f.frame.y_range.start, f.frame.y_range.end]};
}
"""


@pytest.fixture(scope="module")
def eta_v(demo_db) -> EtaVModel:
    model = EtaVModel(demo_db)
    model.refresh()
    assert len(model.bulk) > 2000, "the demo has thousands of non-candidate sources"
    return model


def open_plot(page, server, query: str = "") -> None:
    open_sources(page, server, query)
    page.locator("text=/\\d+ candidates/").first.wait_for()
    wait_idle(page)


def luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., :3].astype(float) @ np.array([0.299, 0.587, 0.114])


@pytest.mark.parametrize("theme", ["default", "dark"])
def test_every_bulk_source_is_visible_in_both_themes(demo_server, eta_v, page, theme):
    """Each non-candidate source, at its own place on the screen, is drawn in a colour
    that stands out from the plot's background (not white on white)."""
    open_plot(page, demo_server, f"?theme={theme}")
    page.mouse.move(0, 0)  # no hover ring on the plot
    bulk, cand = eta_v.bulk, eta_v.candidates
    xs = [*bulk["log_eta"], *cand["log_eta"], math.log10(eta_v.eta_threshold)]
    ys = [*bulk["log_v"], *cand["log_v"], math.log10(eta_v.v_threshold)]
    geo = page.wait_for_function(GEOMETRY, arg=[xs, ys]).json_value()
    wait_idle(page)
    left, top, width, height = geo["box"]
    shot = Image.open(io.BytesIO(page.screenshot(
        clip={"x": left, "y": top, "width": width, "height": height}))).convert("RGB")
    lum = luminance(np.asarray(shot))
    fl, ft, fr, fb = (round(v) for v in geo["frame"])
    frame = lum[ft:fb, fl:fr]
    values, counts = np.unique(np.round(frame), return_counts=True)
    background = values[np.argmax(counts)]

    sx, sy = np.array(geo["sx"]), np.array(geo["sy"])
    n = len(bulk)
    bx, by = sx[:n], sy[:n]
    cx, cy = sx[n:n + len(cand)], sy[n:n + len(cand)]
    line_x, line_y = sx[-1], sy[-1]
    # Away from what is drawn on top (red candidates, the red threshold lines) and from
    # the frame's edges; everything else must show the source itself.
    near_cand = np.zeros(n, bool)
    for x, y in zip(cx, cy):
        near_cand |= (np.abs(bx - x) <= 7) & (np.abs(by - y) <= 7)
    checked = ((bx > fl + 3) & (bx < fr - 3) & (by > ft + 3) & (by < fb - 3) & ~near_cand
               & (np.abs(bx - line_x) > 5) & (np.abs(by - line_y) > 5))
    assert checked.sum() > 0.8 * n, "most bulk sources are away from lines and candidates"
    invisible = []
    for i in np.flatnonzero(checked):
        x, y = int(round(bx[i])), int(round(by[i]))
        patch = lum[y - 2:y + 3, x - 2:x + 3]
        if np.abs(patch - background).max() < 60:
            invisible.append(bulk["source_id"].iat[i])
    assert not invisible, (f"{len(invisible)} of {int(checked.sum())} non-candidate "
                           f"sources cannot be seen on the {theme} theme, e.g. "
                           f"{invisible[:5]}")


def lone_bulk_source(model: EtaVModel) -> dict:
    """The non-candidate source farthest from any other (in axis-span units): a click
    on it can only mean it."""
    pts = model.points
    x = pts["log_eta"].to_numpy() / np.ptp(pts["log_eta"])
    y = pts["log_v"].to_numpy() / np.ptp(pts["log_v"])
    d2 = (x[:, None] - x[None, :]) ** 2 + (y[:, None] - y[None, :]) ** 2
    np.fill_diagonal(d2, np.inf)
    gap = np.sqrt(d2.min(axis=1))
    gap[model.candidate_mask()] = -1
    i = int(np.argmax(gap))
    assert gap[i] > 3 * PICK_TOLERANCE
    return pts.iloc[i].to_dict()


def test_a_click_on_a_bulk_point_opens_it_and_on_empty_space_does_not(
        demo_server, eta_v, page):
    target = lone_bulk_source(eta_v)
    selected = eta_v.candidates["source_id"].iat[0]
    open_plot(page, demo_server, "?sel=" + urllib.parse.quote(selected, safe=""))
    page.locator(".dsa-etav-selected >> text=Selected").wait_for()

    # Empty space (top left of the plot: no source there) clears the selection and
    # stays on the page.
    pts = eta_v.points
    empty = (float(pts["log_eta"].min()), float(pts["log_v"].max()))
    assert eta_v.nearest(*empty, float(np.ptp(pts["log_eta"])),
                         float(np.ptp(pts["log_v"])), tolerance=0.1) is None
    click_data(page, *empty)
    page.wait_for_function("() => !window.location.search.includes('sel=')")
    page.locator(".dsa-etav-selected >> text=Selected").wait_for(state="detached")
    assert urllib.parse.urlparse(page.url).path == "/sources"

    # The lone grey source: its page opens.
    click_data(page, float(target["log_eta"]), float(target["log_v"]))
    quoted = urllib.parse.quote(target["source_id"], safe="")
    page.wait_for_url(re.compile(re.escape(f"/sources/{quoted}") + "$"))
    wait_idle(page)
    page.locator(f"h2:has-text('{target['source_id']}')").wait_for()


def drag(page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=8)
    page.mouse.up()


def spans(page) -> dict:
    return page.evaluate(SPANS)


def screen(geo: dict, axis: str, value: float) -> float:
    """Page coordinate of data ``value`` on ``axis`` ('x' or 'y'), from the frame."""
    lo, hi = geo[f"{axis}_range"]
    if axis == "x":
        a, b = geo["frame"][0], geo["frame"][2]
        return a + (value - lo) / (hi - lo) * (b - a)
    a, b = geo["frame"][3], geo["frame"][1]
    return a + (value - lo) / (hi - lo) * (b - a)


def test_dragging_the_threshold_lines_moves_the_thresholds(demo_server, demo_db, page):
    model = EtaVModel(demo_db)
    model.refresh()
    open_plot(page, demo_server)
    geo = spans(page)
    assert geo["height"]["location"] == pytest.approx(math.log10(1.5))
    assert geo["width"]["location"] == pytest.approx(math.log10(0.1))

    # eta: the vertical line, grabbed near the top of the frame, to eta = 3.
    grab_y = geo["frame"][1] + 15
    drag(page, (geo["height"]["x"], grab_y), (screen(geo, "x", math.log10(3.0)), grab_y))
    moved = spans(page)["height"]["location"]
    assert moved == pytest.approx(math.log10(3.0), abs=0.02), "the line follows the mouse"
    model.move_threshold("eta_threshold", moved)
    eta = model.eta_threshold
    assert eta != 1.5
    page.wait_for_function(f"() => window.location.search.includes('eta_thr={eta:g}')")
    page.locator(f"text={int(model.candidate_mask().sum())} candidates").first.wait_for()
    assert float(page.get_by_label("η threshold").input_value()) == eta

    # V: the horizontal line, grabbed near the right of the frame, to V = 0.2.
    geo = spans(page)
    grab_x = geo["frame"][2] - 15
    drag(page, (grab_x, geo["width"]["y"]), (grab_x, screen(geo, "y", math.log10(0.2))))
    moved = spans(page)["width"]["location"]
    assert moved == pytest.approx(math.log10(0.2), abs=0.02)
    model.move_threshold("v_threshold", moved)
    v = model.v_threshold
    page.wait_for_function(f"() => window.location.search.includes('v_thr={v:g}')")
    page.locator(f"text={int(model.candidate_mask().sum())} candidates").first.wait_for()
    assert float(page.get_by_label("V threshold").input_value()) == v

    # Typing still moves the line, and a typed value keeps all its digits.
    box = page.get_by_label("η threshold")
    box.fill("2.345")
    box.press("Enter")
    page.wait_for_function(
        f"() => Math.abs(({SPANS})().height.location - {math.log10(2.345)}) < 1e-9")
    model.eta_threshold = 2.345
    page.locator(f"text={int(model.candidate_mask().sum())} candidates").first.wait_for()
    page.wait_for_function("() => window.location.search.includes('eta_thr=2.345')")
    assert box.input_value() == "2.345"


def test_move_threshold_rounds_to_a_value_a_person_can_retype(demo_db):
    model = EtaVModel(demo_db)
    model.move_threshold("eta_threshold", math.log10(3.14159))
    model.move_threshold("v_threshold", math.log10(0.123456))
    assert (model.eta_threshold, model.v_threshold) == (3.14, 0.123)
    model.move_threshold("v_threshold", None)  # a line without a place: no change
    assert model.v_threshold == 0.123
    with pytest.raises(ValueError):
        model.move_threshold("k", 0.0)
