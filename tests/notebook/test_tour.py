"""docs/notebooks/tour.ipynb runs on a real Jupyter kernel (ipykernel, through nbclient)
against a fresh demo dataset; any cell error fails the test, and every view cell must
display as Panel displays in a notebook (its comm-backed output)."""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

TOUR = Path(__file__).resolve().parents[2] / "docs" / "notebooks" / "tour.ipynb"
#: Panel's notebook output of a displayed component (rendered over the Jupyter comm).
PANEL_MIME = "application/vnd.holoviews_exec.v0+json"


def test_the_tour_runs_on_a_real_kernel_without_an_error(notebook_demo, tmp_path,
                                                         monkeypatch):
    monkeypatch.setenv("DSA110_DASH_TOUR_DB", str(notebook_demo / "pipeline.sqlite3"))
    notebook = nbformat.read(TOUR, as_version=4)
    # Raises CellExecutionError, with the cell and its traceback, on any error.
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
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


def test_the_tour_is_committed_without_outputs():
    notebook = nbformat.read(TOUR, as_version=4)
    nbformat.validate(notebook)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
