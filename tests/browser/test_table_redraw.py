"""The tables redraw their rows once after their first build (assets/tabulator_redraw_once.js,
decision 0085), and are laid out as Panel's own two redraws would lay them out.

The script patches Panel's Tabulator view; these tests fail when a Panel upgrade moves
what it relies on (the view class, its ``style_redraw``/``redraw``/``watch_stylesheets``
and the resize flush's ``_resize_pending``)."""

from __future__ import annotations

import pytest

from browser.helpers import wait_idle

pytestmark = pytest.mark.browser

#: Counts every full redraw of a table's rows (what Panel's ``redraw`` does when it does
#: not return early), per table class, and what called it. Wrapped before our patch.
COUNT_REDRAWS = """
document.addEventListener('DOMContentLoaded', () => {
  if (!window.Bokeh || window.dsaRedraws) return;  // not a page of ours; already wrapped
  const proto = Bokeh.Panel.DataTabulator.prototype.default_view.prototype;
  window.dsaRedraws = [];
  const redraw = proto.redraw;
  proto.redraw = function (columns = true, rows = true) {
    if (rows && !(this._building || this.tabulator == null || this._redrawing)) {
      window.dsaRedraws.push(this.el.className);
    }
    return redraw.call(this, columns, rows);
  };
});
"""

#: For a table (by host class): whether it is shown, the left edges of its header cells
#: and of its first row's cells, the table's and its first row's widths, and its first
#: row's height.
GEOMETRY = """
(host) => {
  const views = [];
  const walk = (v, d) => { if (d > 80 || !v) return; views.push(v);
    for (const c of (v.child_views ?? [])) walk(c, d + 1); };
  for (const v of Object.values(Bokeh.index)) walk(v, 0);
  const view = views.find((v) => v.el && v.el.classList.contains(host) && v.tabulator);
  const root = view.shadow_el;
  const left = (els) => [...els].map((e) => Math.round(e.getBoundingClientRect().left));
  const row = root.querySelector('.tabulator-row');
  return {
    visible: getComputedStyle(root.querySelector('.tabulator')).visibility === 'visible',
    header: left(root.querySelectorAll('.tabulator-col')),
    cells: left(row.querySelectorAll('.tabulator-cell')),
    table: Math.round(root.querySelector('.tabulator').getBoundingClientRect().width),
    row: Math.round(row.getBoundingClientRect().width),
    height: row.getBoundingClientRect().height,
  };
}
"""


def load(page, url: str, table: str) -> None:
    page.add_init_script(COUNT_REDRAWS)
    page.goto(url)
    wait_idle(page)
    page.wait_for_function(
        "(host) => (window.dsaRedraws ?? []).some((c) => c.includes(host))", arg=table)
    page.wait_for_timeout(1_500)  # a second redraw, if any, would come well within this
    wait_idle(page)


def test_the_patch_finds_panels_table_view(demo_server, page):
    page.goto(demo_server.url + "/images")
    wait_idle(page)
    found = page.evaluate("""() => {
      const proto = Bokeh.Panel.DataTabulator.prototype.default_view.prototype;
      return {patched: proto.style_redraw.dsa110_once === true,
              flush: typeof proto._flush_resize_when_root_ready === 'function',
              watch: typeof proto.watch_stylesheets};
    }""")
    assert found == {"patched": True, "flush": True, "watch": "function"}
    # The flag the patch reads is the resize flush's own: set while a flush is to come.
    flag = page.evaluate("""() => String(
      Bokeh.Panel.DataTabulator.prototype.default_view.prototype._request_resize_redraw)""")
    assert "_resize_pending" in flag


def test_one_redraw_and_columns_in_line(demo_server, page):
    """The image table (/sources' tables are plain HTML since decision 0088)."""
    table = "dsa-images-table"
    load(page, demo_server.url + "/images", table)
    redraws = page.evaluate("() => window.dsaRedraws")
    assert sum(table in c for c in redraws) == 1, redraws
    geometry = page.evaluate(GEOMETRY, table)
    assert geometry["header"] == geometry["cells"], geometry  # header over its column
    assert abs(geometry["row"] - geometry["table"]) <= 20, geometry  # rows fill the table
    assert geometry["height"] >= 20, geometry  # styled rows, not collapsed ones
    assert geometry["visible"], geometry
