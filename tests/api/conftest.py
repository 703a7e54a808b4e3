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
