"""Every statistic against values worked out by hand (written out below)."""

import math

import numpy as np
import pandas as pd
import pytest

from dsa110_dashboard.science import compute_stats, lightcurve_stats, select_best_flux
from dsa110_dashboard.science.variability import STAT_COLUMNS

NAN_STATS = ("mean_flux", "weighted_mean_flux", "std_flux", "min_flux", "max_flux", "eta",
             "v", "chi2_nu", "sigma_deviation", "vs_max", "m_at_vs_max")


def test_three_epochs_by_hand():
    # f = 1, 2, 3 Jy; s = 0.1, 0.1, 0.2 -> w = 100, 100, 25
    s = lightcurve_stats([1.0, 2.0, 3.0], [0.1, 0.1, 0.2])
    assert s["n_epochs"] == 3 and s["n_weighted_epochs"] == 3
    assert s["mean_flux"] == pytest.approx(2.0)
    # std (ddof=1) = sqrt((1 + 0 + 1) / 2) = 1
    assert s["std_flux"] == pytest.approx(1.0)
    assert (s["min_flux"], s["max_flux"]) == (1.0, 3.0)
    # mean_w = (100*1 + 100*2 + 25*3) / 225 = 375/225 = 5/3
    assert s["weighted_mean_flux"] == pytest.approx(5 / 3)
    # chi2 = 100(2/3)^2 + 100(1/3)^2 + 25(4/3)^2 = (400 + 100 + 400)/9 = 100; /(N-1) = 50
    assert s["chi2_nu"] == pytest.approx(50.0)
    # eta = 3/2 (mean(w f^2) - mean(w f)^2/mean(w)) = 3/2 (725/3 - 125^2/75) = 50
    assert s["eta"] == pytest.approx(1.5 * (725 / 3 - 125**2 / 75))
    assert s["eta"] == pytest.approx(50.0)
    assert s["v"] == pytest.approx(0.5)  # 1 / 2
    assert s["sigma_deviation"] == pytest.approx(1.0)  # max(|3-2|, |1-2|) / 1
    # Pairs: (3,1) 2/sqrt(.05) = 8.944, (2,1) 1/sqrt(.02) = 7.071, (3,2) 1/sqrt(.05)
    assert s["vs_max"] == pytest.approx(2 / math.sqrt(0.05))
    assert s["m_at_vs_max"] == pytest.approx(2 * (3 - 1) / (3 + 1))  # 1.0
    assert s["is_two_epoch_variable"] is True


@pytest.mark.parametrize("flux, err", [([], []), ([5.0], [1.0]), ([5.0, np.nan], [1.0, 1.0])])
def test_fewer_than_two_epochs_is_undefined_not_zero(flux, err):
    s = lightcurve_stats(flux, err)
    assert s["n_epochs"] == sum(np.isfinite(flux))
    for name in NAN_STATS:
        assert math.isnan(s[name]), name
    assert s["is_two_epoch_variable"] is None


def test_nan_error_counts_for_unweighted_stats_only():
    # f = 1, 2, 3, 4; the epoch at 2 has no error.
    s = lightcurve_stats([1.0, 2.0, 3.0, 4.0], [0.1, np.nan, 0.1, 0.1])
    assert s["n_epochs"] == 4 and s["n_weighted_epochs"] == 3
    assert s["mean_flux"] == pytest.approx(2.5)
    # std = sqrt((2.25 + .25 + .25 + 2.25) / 3) = sqrt(5/3)
    assert s["std_flux"] == pytest.approx(math.sqrt(5 / 3))
    # weighted over 1, 3, 4 (equal weights): mean_w = 8/3,
    # chi2 = 100 ((5/3)^2 + (1/3)^2 + (4/3)^2) = 100 * 42/9; / (3-1)
    assert s["weighted_mean_flux"] == pytest.approx(8 / 3)
    assert s["chi2_nu"] == pytest.approx(100 * 42 / 9 / 2)
    assert s["eta"] == pytest.approx(s["chi2_nu"])
    # two-epoch among 1, 3, 4 only: (4, 1) -> 3/sqrt(.02), m = 6/5
    assert s["vs_max"] == pytest.approx(3 / math.sqrt(0.02))
    assert s["m_at_vs_max"] == pytest.approx(1.2)


def test_zero_error_is_left_out_of_weighted_stats():
    s = lightcurve_stats([1.0, 2.0, 3.0], [0.0, 0.1, 0.1])
    assert s["n_epochs"] == 3 and s["n_weighted_epochs"] == 2
    assert s["mean_flux"] == pytest.approx(2.0)
    # weighted over 2, 3: mean_w 2.5, chi2 = 100 (.25 + .25) = 50, /(2-1)
    assert s["weighted_mean_flux"] == pytest.approx(2.5)
    assert s["chi2_nu"] == pytest.approx(50.0)
    assert s["eta"] == pytest.approx(50.0)  # 2/1 * (50/2)
    assert s["vs_max"] == pytest.approx(1 / math.sqrt(0.02))  # (3, 2)
    assert s["m_at_vs_max"] == pytest.approx(0.4)  # 2*1/5


def test_only_one_weighted_epoch_leaves_weighted_stats_undefined():
    s = lightcurve_stats([1.0, 2.0, 3.0], [0.0, np.nan, 0.1])
    assert s["n_epochs"] == 3 and s["n_weighted_epochs"] == 1
    assert s["std_flux"] == pytest.approx(1.0)
    for name in ("weighted_mean_flux", "eta", "chi2_nu", "vs_max", "m_at_vs_max"):
        assert math.isnan(s[name]), name


def test_constant_lightcurve():
    s = lightcurve_stats([2.0, 2.0, 2.0], [0.1, 0.1, 0.1])
    assert s["std_flux"] == 0.0
    assert s["v"] == 0.0
    assert math.isnan(s["sigma_deviation"]), "0/0: undefined"
    assert s["eta"] == 0.0 and s["chi2_nu"] == 0.0
    assert s["vs_max"] == 0.0 and s["m_at_vs_max"] == 0.0
    assert s["is_two_epoch_variable"] is False


def test_negative_mean_keeps_the_sign_of_v_and_zero_mean_has_none():
    s = lightcurve_stats([-1.0, -2.0, -3.0], [0.1, 0.1, 0.1])
    assert s["mean_flux"] == pytest.approx(-2.0)
    assert s["v"] == pytest.approx(-0.5)  # std 1 / mean -2
    # brighter epoch first: (-1) - (-3) = 2 -> Vs > 0, m = 2*2/(-4) = -1
    assert s["vs_max"] == pytest.approx(2 / math.sqrt(0.02))
    assert s["m_at_vs_max"] == pytest.approx(-1.0)
    assert math.isnan(lightcurve_stats([-1.0, 1.0], [0.1, 0.1])["v"])


@pytest.mark.parametrize("flux, err, variable", [
    ([1.0, 1.1], [0.01, 0.01], False),  # Vs = .1/.01414 = 7.07 but m = .2/2.1 = .095
    ([1.0, 2.0], [1.0, 1.0], False),    # m = 2/3 but Vs = 1/1.414 = .71
    ([1.0, 2.0], [0.1, 0.1], True),     # Vs = 7.07, m = .667
])
def test_two_epoch_variable_needs_both_thresholds(flux, err, variable):
    assert lightcurve_stats(flux, err)["is_two_epoch_variable"] is variable


def test_best_flux_falls_back_per_row_with_its_own_error():
    flux, err, column = select_best_flux(
        normalized=[1.0, None, np.nan, None, 5.0],
        normalized_err=[0.01, 0.5, np.nan, None, np.nan],
        flux=[2.0, 2.1, np.nan, None, 6.0],
        flux_err=[0.02, 0.03, np.nan, None, 0.06],
        peak=[3.0, 3.1, 3.2, None, 7.0],
        peak_err=[0.1, 0.1, 0.2, None, 0.07])
    np.testing.assert_array_equal(flux[:3], [1.0, 2.1, 3.2])
    np.testing.assert_array_equal(err[:3], [0.01, 0.03, 0.2])
    assert math.isnan(flux[3]) and math.isnan(err[3])
    # normalized present with a NULL error: its error stays NULL (not borrowed).
    assert flux[4] == 5.0 and math.isnan(err[4])
    assert column.tolist() == [0, 1, 2, -1, 0]


def test_flux_column_per_source():
    frame = compute_stats(["a", "a", "b", "b", "c"], [1.0, 2.0, 1.0, 2.0, np.nan],
                          [0.1] * 5, flux_column=[0, 0, 0, 1, -1])
    assert frame.loc["a", "flux_column"] == "normalized_flux_jy"
    assert frame.loc["b", "flux_column"] == "mixed"
    assert pd.isna(frame.loc["c", "flux_column"])
    assert frame.loc["c", "n_epochs"] == 0


def test_grouped_equals_per_source_on_random_data():
    rng = np.random.default_rng(20261127)
    sizes = [0, 1, 2, 3, 7, 40, 120, 333]
    names = np.repeat([f"S{i}" for i in range(len(sizes))], sizes)
    flux = rng.normal(0.05, 0.01, names.size)
    err = rng.uniform(0.0005, 0.01, names.size)
    flux[rng.random(names.size) < 0.05] = np.nan
    err[rng.random(names.size) < 0.05] = np.nan
    err[rng.random(names.size) < 0.03] = 0.0
    shuffle = rng.permutation(names.size)  # grouping must not need sorted input
    frame = compute_stats(names[shuffle], flux[shuffle], err[shuffle], k=2)
    assert list(frame.columns) == list(STAT_COLUMNS)
    for name in np.unique(names):
        sel = names == name
        one = lightcurve_stats(flux[sel], err[sel])
        row = frame.loc[name]
        for col in STAT_COLUMNS:
            expected, got = one[col], row[col]
            if expected is None or (isinstance(expected, float) and math.isnan(expected)):
                assert pd.isna(got), (name, col)
            elif isinstance(expected, bool):
                assert bool(got) is expected, (name, col)
            else:
                assert got == pytest.approx(expected, rel=1e-12, abs=1e-15), (name, col)
        # and against numpy's own definitions
        f = flux[sel][np.isfinite(flux[sel])]
        if f.size >= 2:
            assert row["std_flux"] == pytest.approx(np.std(f, ddof=1))
            assert row["mean_flux"] == pytest.approx(np.mean(f))
