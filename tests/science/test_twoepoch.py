"""The pair of epochs maximising |Vs| (Mooley et al. 2016) is found exactly."""

import math

import numpy as np
import pytest

from dsa110_dashboard.science.twoepoch import max_two_epoch, two_epoch_variable


def brute_force(flux, err):
    best = (-np.inf, np.nan)
    for a in range(len(flux)):
        for b in range(len(flux)):
            if a != b:
                vs = (flux[a] - flux[b]) / math.hypot(err[a], err[b])
                if vs > best[0]:
                    best = (vs, 2 * (flux[a] - flux[b]) / (flux[a] + flux[b]))
    return best


def test_equal_errors_pick_the_brightest_and_faintest():
    flux = np.array([5.0, 1.0, 9.0, 3.0, 2.0, 7.0])
    vs, m = max_two_epoch(np.zeros(6), flux, np.full(6, 0.5), 1, k=1)
    assert vs[0] == pytest.approx((9 - 1) / math.sqrt(0.5)), "(max, min)"
    assert m[0] == pytest.approx(2 * 8 / 10)


def test_small_errors_beat_a_larger_flux_difference():
    # (10, 0): 10/sqrt(25.0001) = 2.0;  (10, 1): 9/sqrt(2e-4) = 636.4;  (1, 0): 0.2
    flux, err = np.array([0.0, 1.0, 10.0]), np.array([5.0, 0.01, 0.01])
    # k=1 evaluates only (faintest, brightest) first; the bound must send it further.
    vs, m = max_two_epoch(np.zeros(3), flux, err, 1, k=1)
    assert vs[0] == pytest.approx(9 / math.sqrt(2e-4))
    assert m[0] == pytest.approx(2 * 9 / 11)


def test_groups_with_fewer_than_two_epochs_are_nan():
    vs, m = max_two_epoch(np.array([1, 1, 2]), np.array([1.0, 2.0, 3.0]),
                          np.array([0.1, 0.1, 0.1]), 4)
    assert math.isnan(vs[0]) and math.isnan(vs[2]) and math.isnan(vs[3])
    assert vs[1] == pytest.approx(1 / math.sqrt(0.02))
    assert math.isnan(m[0])


@pytest.mark.parametrize("k", [1, 3, 16])
def test_matches_every_pair_on_random_sources_with_very_different_errors(k):
    rng = np.random.default_rng(7)
    sizes = rng.integers(2, 90, size=60)
    codes = np.repeat(np.arange(sizes.size), sizes)
    flux = rng.normal(1.0, 0.2, codes.size)
    err = rng.uniform(0.01, 1.0, codes.size) ** 3  # errors spanning six decades
    order = rng.permutation(codes.size)
    vs, m = max_two_epoch(codes[order], flux[order], err[order], sizes.size, k=k)
    for g in range(sizes.size):
        sel = codes == g
        bvs, bm = brute_force(flux[sel], err[sel])
        assert vs[g] == pytest.approx(bvs, rel=1e-12)
        assert m[g] == pytest.approx(bm, rel=1e-12)


@pytest.mark.parametrize("k", [1, 16])
def test_quantised_lightcurves_with_errors_in_proportion_are_exact(k):
    # A dozen flux values repeated, errors a fixed fraction of the flux: the best pair
    # is not (brightest, faintest), and thousands of epochs tie.
    rng = np.random.default_rng(3)
    levels = np.linspace(0.010, 0.020, 12)
    sizes = np.array([600, 5, 240])
    codes = np.repeat(np.arange(sizes.size), sizes)
    flux = rng.choice(levels, codes.size)
    err = 0.05 * flux
    vs, m = max_two_epoch(codes, flux, err, sizes.size, k=k)
    for g in range(sizes.size):
        sel = codes == g
        distinct = np.unique(np.column_stack([flux[sel], err[sel]]), axis=0)
        bvs, bm = brute_force(distinct[:, 0], distinct[:, 1])
        assert vs[g] == pytest.approx(bvs, rel=1e-12)
        assert m[g] == pytest.approx(bm, rel=1e-12)


# ---------------------------------------------------------- the two-epoch flag
def brute_force_flag(flux, err) -> bool:
    for a in range(len(flux)):
        for b in range(len(flux)):
            total = flux[a] + flux[b]
            if a != b and total != 0:
                vs = (flux[a] - flux[b]) / math.hypot(err[a], err[b])
                m = 2 * (flux[a] - flux[b]) / total
                if abs(vs) >= 4.3 and abs(m) >= 0.26:
                    return True
    return False


def test_a_source_is_variable_when_any_pair_passes_not_only_the_largest_vs():
    # The largest |Vs| is (20.0, 18.0) with tiny errors: m = 0.105, too small. The pair
    # (14.63, 10.51) passes both: |Vs| = 5.9, m = 0.33.
    flux = np.array([20.0, 18.0, 14.63, 10.51])
    err = np.array([0.01, 0.01, 0.5, 0.5])
    vs, m = max_two_epoch(np.zeros(4), flux, err, 1)
    assert vs[0] > 4.3 and abs(m[0]) < 0.26
    assert two_epoch_variable(np.zeros(4), flux, err, 1)[0] == 1.0


def test_flag_is_nan_below_two_epochs_and_zero_for_a_steady_source():
    flag = two_epoch_variable(np.array([1, 2, 2]), np.array([1.0, 1.0, 1.01]),
                              np.array([0.1, 0.1, 0.1]), 3)
    assert math.isnan(flag[0]) and math.isnan(flag[1]) and flag[2] == 0.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_flag_matches_every_pair_on_random_sources(seed):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 60, size=120)
    codes = np.repeat(np.arange(sizes.size), sizes)
    level = rng.uniform(-0.2, 2.0, sizes.size)[codes]  # some sources near zero flux
    flux = level * (1 + rng.normal(0, rng.uniform(0.02, 0.4, sizes.size)[codes]))
    flux[rng.random(codes.size) < 0.03] *= -1  # a few negative forced measurements
    err = rng.uniform(0.005, 0.3, codes.size) ** 1.5
    order = rng.permutation(codes.size)
    flag = two_epoch_variable(codes[order], flux[order], err[order], sizes.size)
    expected = [brute_force_flag(flux[codes == g], err[codes == g])
                for g in range(sizes.size)]
    assert flag.tolist() == [float(x) for x in expected]
    assert 0 < sum(expected) < sizes.size  # both kinds present


def test_flag_of_a_long_variable_lightcurve_is_found_in_bounded_blocks():
    rng = np.random.default_rng(4)
    flux = rng.uniform(1.0, 3.0, 3000)  # wildly variable: every epoch survives
    err = np.full(3000, 0.05)
    assert two_epoch_variable(np.zeros(3000), flux, err, 1)[0] == 1.0
