"""The eta-V plot's rasterised bulk: counts per screen pixel for the visible region."""

import numpy as np
import pytest

from dsa110_dashboard.viewmodels.density import LEVELS, MAX_SIDE, density, log_levels


def test_a_lone_point_is_a_three_pixel_square_where_the_axes_put_it():
    view = density(np.array([2.5]), np.array([-0.75]), (0.0, 10.0), (-1.0, 0.0), 20, 8)
    assert view.counts.shape == (8, 20)  # rows are y, from the bottom
    rows, cols = np.nonzero(view.counts)
    # x = 2.5 of 0..10 over 20 columns: column 5; y = -0.75 of -1..0 over 8 rows: row 2.
    assert sorted(set(rows)) == [1, 2, 3] and sorted(set(cols)) == [4, 5, 6]
    assert view.counts.sum() == 9 and view.peak == 1
    assert (view.x0, view.y0, view.dw, view.dh) == (0.0, -1.0, 10.0, 1.0)


def test_points_outside_the_view_or_not_finite_are_left_out_and_counts_add_up():
    x = np.array([1.0, 1.0, 1.0, 11.0, np.nan, -0.1])
    y = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    view = density(x, y, (0.0, 10.0), (0.0, 2.0), 10, 2, spread=0)
    assert view.counts.sum() == 3 and view.counts[1, 1] == 3


def test_sizes_are_bounded_and_an_empty_range_is_an_error():
    assert density(np.array([0.5]), np.array([0.5]), (0, 1), (0, 1), 10**6, 0) \
        .counts.shape == (1, MAX_SIDE)
    with pytest.raises(ValueError, match="empty range"):
        density(np.array([0.5]), np.array([0.5]), (1, 1), (0, 1), 10, 10)


def test_log_levels_are_eight_bit_empty_zero_lone_one_peak_top():
    counts = np.array([[0, 1, 10], [100, 1000, 0]], np.uint16)
    levels = log_levels(counts)
    assert levels.dtype == np.uint8 and levels.shape == counts.shape
    assert levels[0, 0] == 0 and levels[1, 2] == 0  # empty: transparent
    assert levels[0, 1] == 1 and levels[1, 1] == LEVELS  # a lone source, the peak
    # Equal steps in log(count) are equal steps in level (to the rounding).
    steps = np.diff([int(levels[0, 1]), int(levels[0, 2]), int(levels[1, 0]),
                     int(levels[1, 1])])
    assert steps.max() - steps.min() <= 1 and steps.min() > 0
    assert not log_levels(np.zeros((2, 3), np.uint16)).any()
    assert (log_levels(np.array([[0, 1, 1]])) == [[0, 1, 1]]).all()
