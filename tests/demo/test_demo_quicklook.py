"""The demo's thumbnails show its sources: grey levels at the catalogue positions of the
brightest measured sources against the background, with the default stretch."""

from __future__ import annotations

import numpy as np

from dsa110_dashboard.fits import open_image, render_array

THUMB = 512


def test_default_thumbnail_shows_the_bright_sources_above_a_dark_background(conn, truth):
    bad = set(truth["bad_images"].values())
    paths = [r[0] for r in conn.execute(
        "SELECT path FROM images WHERE type = '5min' ORDER BY id")]
    checked = 0
    for path in [p for p in paths if p not in bad][::10]:
        plane = open_image(path)
        rgba = render_array(plane, size=THUMB, cmap="grey")
        grey, inside = rgba[..., 0], rgba[..., 3] > 0
        background = float(np.median(grey[inside]))
        assert background < 0.25 * 255, path
        ny, nx = plane.shape
        factor = THUMB / max(ny, nx)
        rows = conn.execute(
            "SELECT ra_deg, dec_deg, peak_jyb, local_rms FROM photometry "
            "WHERE image_path = ? ORDER BY peak_jyb DESC LIMIT 5", (path,)).fetchall()
        for ra, dec, peak, rms in rows:
            if peak < 100 * rms:
                continue
            x, y = plane.wcs.world_to_pixel_values(ra, dec)
            col = int(round(float(x) * factor))
            row = int(round((ny - 1 - float(y)) * factor))
            level = grey[max(0, row - 1):row + 2, max(0, col - 1):col + 2].max()
            assert level >= 0.75 * 255, (path, peak)
            checked += 1
    assert checked >= 5
