"""A real server over a real SQLite database and real FITS files, one per test module.

The data directory holds three good FITS images (square, wide, fine pixels), a corrupt one, a
registered-but-missing one, a CASA image directory, and a symlink pointing outside;
one more good FITS file lies outside the data roots altogether. Odd rows a production
database may hold: a path with a NUL byte, a CASA image path that is a symlink loop,
the database file itself and its -wal, and a text file registered as an image.
"""

from __future__ import annotations

import pytest

from api_dataset import Dataset, make_dataset
from api_helpers import Api
from server import start_server


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Dataset:
    return make_dataset(tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="module")
def server(dataset):
    running = start_server(dataset.env())
    yield running
    running.stop()


@pytest.fixture(scope="module")
def api(server, dataset) -> Api:
    return Api(server.url, dataset.ids)


@pytest.fixture(scope="session")
def api_demo(tmp_path_factory):
    """A small generated demo dataset (2 days, 256-pixel images) for the /api/v1 tests."""
    from dsa110_dashboard.demo.build import build_demo

    out = tmp_path_factory.mktemp("api-demo")
    build_demo(out, days=2, size=256, seed=5)
    return out


@pytest.fixture(scope="session")
def demo_api(api_demo, tmp_path_factory):
    """The real dashboard over the demo dataset; heavy endpoints without a rate limit
    (the fuzzing asks for hundreds of cutouts)."""
    running = start_server({"DSA110_DASH_DB": str(api_demo / "pipeline.sqlite3"),
                            "DSA110_DASH_DATA_DIR": str(api_demo),
                            "CONTIMG_LOGS_DIR": str(api_demo / "logs"),
                            "DSA110_DASH_CACHE_DIR": str(tmp_path_factory.mktemp("cache")),
                            "DSA110_DASH_RATE_LIMIT_HEAVY": "0"})
    yield running
    running.stop()
