"""serve says once, at start-up, when the newest images lie outside the data roots."""

from __future__ import annotations

import logging

from api_dataset import make_dataset
from dsa110_dashboard.context import AppContext
from dsa110_dashboard.settings import Settings
from dsa110_dashboard.startup import warn_unservable_images
from server import start_server


def outside_warnings(caplog):
    return [r.getMessage() for r in caplog.records
            if r.name == "dsa110_dashboard.startup" and r.levelno == logging.WARNING]


def test_images_outside_the_roots_are_reported_once_with_the_setting(tmp_path, caplog):
    dataset = make_dataset(tmp_path)
    env = dataset.env(DSA110_DASH_DATA_ROOTS=str(tmp_path / "nowhere"))
    with caplog.at_level(logging.WARNING):
        server = start_server(env)
        try:
            for _ in range(3):
                server.get(f"/api/v1/images/{dataset.ids['square']}/thumbnail.png")
        finally:
            server.stop()
    [message] = outside_warnings(caplog)
    assert "outside the data roots" in message
    assert f"DSA110_DASH_DATA_ROOTS={tmp_path / 'nowhere'}:" in message


def test_only_images_outside_are_counted_and_none_once_their_folder_is_a_root(tmp_path, caplog):
    dataset = make_dataset(tmp_path)
    ctx = AppContext.from_settings(Settings.load(environ=dataset.env()))
    with caplog.at_level(logging.WARNING):
        outside = warn_unservable_images(ctx)
    ctx.db.dispose()
    # Only the two rows registered outside on purpose (one through a symlink).
    assert sorted(outside) == sorted([str(dataset.paths["outside"]),
                                      str(dataset.paths["symlink"])])
    assert len(outside_warnings(caplog)) == 1
    inside = AppContext.from_settings(Settings.load(environ=dataset.env(
        DSA110_DASH_DATA_ROOTS=f"{dataset.data_dir}:{dataset.paths['outside'].parent}")))
    assert warn_unservable_images(inside) == []
    inside.db.dispose()
