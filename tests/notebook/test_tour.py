"""docs/notebooks/tour.ipynb runs on a real Jupyter kernel (ipykernel, through nbclient)
against a fresh demo dataset; any cell error fails the test, and every view cell must
display as Panel displays in a notebook (its comm-backed output).

The same run proves the notebook needs no internet (decision 0078): neither the cells'
outputs nor any update the views send over the Jupyter comm afterwards (the tour changes
a view's sort and page size, as a user's clicks do) make a browser load anything from
another host, and Chromium, shown the executed notebook with every other host blocked,
renders the views without asking for one."""

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from browser.conftest import browser_type_launch_args  # noqa: F401 - Debian's Chromium
from external_urls import external_loads, is_external

TOUR = Path(__file__).resolve().parents[2] / "docs" / "notebooks" / "tour.ipynb"
#: Panel's notebook output of a displayed component (rendered over the Jupyter comm).
PANEL_MIME = "application/vnd.holoviews_exec.v0+json"

#: Run first (not part of the tour): records every text message Panel sends over a
#: Jupyter comm, and opens each view's comm after its cell as a notebook frontend does
#: (until then Panel holds the updates back).
RECORD_COMMS = """\
import os, json, pyviz_comms, panel as pn
_SENT = []
_panel_comm_send = pyviz_comms.JupyterComm.send
def _record(self, data=None, metadata=None, buffers=[]):
    if isinstance(data, str):
        _SENT.append(data)
    return _panel_comm_send(self, data, metadata, buffers)
pyviz_comms.JupyterComm.send = _record
def _open_comms(result):
    for _view, _root, _doc, comm in list(pn.state._views.values()):
        if comm is not None and not comm._comm:
            comm.init()
get_ipython().events.register("post_run_cell", _open_comms)
"""
SAVE_COMMS = """\
with open(os.environ["DSA110_DASH_TOUR_COMMS"], "w") as out:
    json.dump(_SENT, out)
"""


@pytest.fixture(scope="module")
def executed_tour(notebook_demo, tmp_path_factory):
    """The tour, executed once on a real kernel, and the comm messages it sent."""
    tmp = tmp_path_factory.mktemp("tour")
    comms = tmp / "comms.json"
    notebook = nbformat.read(TOUR, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(RECORD_COMMS))
    notebook.cells.append(nbformat.v4.new_code_cell(SAVE_COMMS))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DSA110_DASH_TOUR_DB", str(notebook_demo / "pipeline.sqlite3"))
        env.setenv("DSA110_DASH_TOUR_COMMS", str(comms))
        # Raises CellExecutionError, with the cell and its traceback, on any error.
        NotebookClient(notebook, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp)}}).execute()
    return notebook, json.loads(comms.read_text()), tmp


def test_the_tour_runs_on_a_real_kernel_without_an_error(executed_tour):
    notebook, _, _ = executed_tour
    views = [cell for cell in notebook.cells
             if "view" in cell.get("metadata", {}).get("tags", [])]
    assert len(views) == 6
    for cell in views:
        shown = [out for out in cell.outputs if out.get("output_type") == "execute_result"]
        assert shown and PANEL_MIME in shown[0]["data"], (cell.source, cell.outputs)
        # A callback that failed while the view was built prints its traceback to stderr.
        stderr = "".join(out.get("text", "") for out in cell.outputs
                         if out.get("output_type") == "stream" and out.get("name") == "stderr")
        assert "Traceback" not in stderr, (cell.source, stderr)


def _shown(notebook) -> list[str]:
    """What the notebook frontend is given to show: each output's HTML or script."""
    shown = []
    for cell in notebook.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/html" in data:
                shown.append(data["text/html"])
            elif "application/javascript" in data:
                script = data["application/javascript"].replace("</script>", "<\\/script>")
                shown.append(f"<script>{script}</script>")
    return shown


def test_nothing_the_views_send_to_the_notebook_names_another_host(executed_tour):
    notebook, messages, _ = executed_tour
    shown = _shown(notebook)
    assert any("Bokeh" in part for part in shown), "Panel's notebook support was shown"
    assert [url for part in shown for url in external_loads(part)] == []
    updates = [m for m in messages if '"events"' in m]
    assert updates, "the tour's widget changes reached the notebook over the comm"
    assert [url for m in updates for url in external_loads(m)] == []


def test_chromium_renders_the_executed_tour_with_other_hosts_blocked(executed_tour,
                                                                       browser):
    # pytest-playwright's browser: a second sync_playwright() in the same process fails
    # once another test has started the plugin's ("Sync API inside the asyncio loop").
    notebook, _, tmp = executed_tour
    export = tmp / "tour.html"
    export.write_text("<!doctype html><html><head><meta charset='utf-8'></head><body>"
                      + "\n".join(_shown(notebook)) + "</body></html>", encoding="utf-8")
    asked, errors = [], []
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        page.route("**/*", lambda route: (asked.append(route.request.url), route.abort())
                   if is_external(route.request.url) else route.continue_())
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(export.as_uri())
        # Every view renders a Bokeh document of its own (never idle here: no kernel
        # answers); the image browser's and the jobs view's tables show they drew.
        page.wait_for_function("window.Bokeh && Bokeh.documents.length >= 6",
                               timeout=60_000)
        page.locator(".bk-panel-models-tabulator-DataTabulator").nth(1).wait_for(
            state="attached", timeout=60_000)
        page.wait_for_timeout(2000)  # for anything a view loads once drawn
    finally:
        page.close()
    assert asked == [], f"the notebook asked other hosts for: {asked}"
    assert errors == []


def test_the_tour_is_committed_without_outputs():
    notebook = nbformat.read(TOUR, as_version=4)
    nbformat.validate(notebook)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
