"""The image view's sky grid: lines of constant RA and Dec through the image's WCS, and
axis ticks where they cross the view's edges, checked against astropy."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.wcs import WCS

from dsa110_dashboard.fits.synth import dsa110_header
from dsa110_dashboard.viewmodels.wcs_grid import dec_label, ra_label, sky_grid

N = 6300  # the pipeline's 3.5 deg image, 2" cells


def wcs_at(dec: float, ra: float = 128.7) -> WCS:
    return WCS(dsa110_header((N, N), ra, dec, 2.0), fix=False).celestial


def parse_ra(label: str) -> float:
    h, rest = label.split("h")
    m, s = (rest.rstrip("s").split("m") + ["0"])[:2] if rest else ("0", "0")
    return (int(h) + int(m or 0) / 60 + float(s or 0) / 3600) * 15.0


def parse_dec(label: str) -> float:
    sign = -1 if label[0] == "−" else 1
    d, rest = label[1:].split("°")
    m, s = (rest.rstrip("″").split("′") + ["0"])[:2] if rest else ("0", "0")
    return sign * (int(d) + int(m or 0) / 60 + float(s or 0) / 3600)


@pytest.mark.parametrize("dec", [16.3, 54.57])
@pytest.mark.parametrize("view", [((-0.5, N - 0.5), (-0.5, N - 0.5)),
                                  ((200.0, 900.0), (5000.0, 5600.0)),
                                  ((3100.0, 3160.0), (3100.0, 3140.0))])
def test_tick_labels_are_the_sky_coordinates_at_the_ticks(dec, view):
    wcs = wcs_at(dec)
    (x0, x1), (y0, y1) = view
    grid = sky_grid(wcs, *view)
    assert 2 <= len(grid.x_ticks) <= 7 and 2 <= len(grid.y_ticks) <= 7
    for x, label in grid.x_ticks.items():
        assert x0 <= x <= x1
        ra, d = wcs.pixel_to_world_values(x, y0)
        off = ((float(ra) - parse_ra(label) + 180) % 360 - 180) * np.cos(np.radians(d))
        assert abs(off) * 3600 < 0.1 * 2.0, label  # a tenth of a pixel
    for y, label in grid.y_ticks.items():
        assert y0 <= y <= y1
        _, d = wcs.pixel_to_world_values(x0, y)
        assert abs(float(d) - parse_dec(label)) * 3600 < 0.1 * 2.0, label


@pytest.mark.parametrize("dec", [16.3, 54.57])
def test_every_point_of_a_line_has_the_line_s_coordinate(dec):
    wcs = wcs_at(dec)
    grid = sky_grid(wcs, (-0.5, N - 0.5), (-0.5, N - 0.5))
    for line in grid.ra_lines:
        ra, _ = wcs.pixel_to_world_values(line.x, line.y)
        assert np.allclose((np.asarray(ra) - line.value + 180) % 360 - 180, 0, atol=1e-7)
    for line in grid.dec_lines:
        _, d = wcs.pixel_to_world_values(line.x, line.y)
        assert np.allclose(d, line.value, atol=1e-7)


def test_ra_lines_converge_towards_the_pole_at_dec_54():
    wcs = wcs_at(54.57)
    grid = sky_grid(wcs, (-0.5, N - 0.5), (-0.5, N - 0.5))
    first, second = grid.ra_lines[0], grid.ra_lines[1]
    bottom = abs(first.x[0] - second.x[0])
    top = abs(first.x[-1] - second.x[-1])
    assert top < 0.95 * bottom  # not parallel: one tick formatter per axis would be wrong


def test_a_view_across_0h_has_continuous_ra():
    wcs = wcs_at(54.57, ra=0.2)
    grid = sky_grid(wcs, (-0.5, N - 0.5), (-0.5, N - 0.5))
    labels = [grid.x_ticks[x] for x in sorted(grid.x_ticks)]
    assert "0h" in labels[-1] or any(label.startswith("0h") for label in labels)
    assert any(label.startswith("23h") for label in labels)


def test_labels_are_sexagesimal_to_the_step():
    assert ra_label(128.75, 300) == "8h35m"
    assert ra_label(128.75 + 5 / 240, 5) == "8h35m05s"
    assert ra_label(135.0, 3600) == "9h"
    assert dec_label(54.5, 1800) == "+54°30′"
    assert dec_label(54.0, 3600) == "+54°"
    assert dec_label(-1.5 - 15 / 3600, 15) == "−1°30′15″"


def test_no_celestial_wcs_gives_no_grid():
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["X", "Y"]
    assert sky_grid(wcs, (0, 100), (0, 10)).empty
