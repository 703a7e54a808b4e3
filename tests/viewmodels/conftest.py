"""View-models shown through their views outside a server, as in a notebook, even when an
earlier test's live server left Bokeh's process-wide current document behind (it would
make views think they are served): each test runs with a document of its own, which has
no session (as tests/views/conftest.py)."""

import pytest
from bokeh.document import Document
from panel.io.state import set_curdoc


@pytest.fixture(autouse=True)
def unserved_document():
    with set_curdoc(Document()):
        yield
