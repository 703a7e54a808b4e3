"""Every view displays outside a server, as in a Jupyter notebook after pn.extension().

``get_root()`` builds the Bokeh models a notebook would render; outside a server each view
loads its data at once, so the rendered models carry real content. Each check runs in a
fresh interpreter (see render_views.py), as a notebook kernel is.
"""

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("render_views.py")


@pytest.fixture(scope="module")
def demo_db(notebook_demo):
    return notebook_demo / "pipeline.sqlite3"


@pytest.mark.parametrize("check", ["overview_page_and_a_card", "image_browser",
                                   "image_detail", "sources_views", "source_detail"])
def test_view_renders_with_its_data_outside_a_server(check, demo_db):
    result = subprocess.run([sys.executable, str(SCRIPT), check, str(demo_db)],
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"{check}: ok" in result.stdout
