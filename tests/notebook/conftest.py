"""One small demo dataset for the notebook tests (the views, the library, the tour)."""

import pytest

from dsa110_dashboard.demo.build import build_demo


@pytest.fixture(scope="package")
def notebook_demo(tmp_path_factory):
    """The directory of a one-day demo dataset (database, FITS images, logs)."""
    out = tmp_path_factory.mktemp("nb-demo")
    build_demo(out, days=1, size=256, seed=5)
    return out
