"""SourceDetailModel on SQLite and PostgreSQL: loading, QA-failed epochs, exclusions with
live statistics, flux column, click selection, links."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dsa110_dashboard.science.variability import lightcurve_stats
from dsa110_dashboard.jobs.variability import recompute_variability
from dsa110_dashboard.viewmodels.source_detail import (
    ETA_CHI2_LABEL,
    SourceDetailModel,
    parse_ids,
)
from factories import MJD0, UNIX0, insert

SOURCE = "NVSS J123456.7+420312"
FLUX = [0.050, 0.052, 0.049, 0.120, 0.051, 0.050]


@pytest.fixture
def seeded(db):
    with db.transaction() as conn:
        insert(conn, "variability_stats", source_id=SOURCE, ra_deg=188.736, dec_deg=42.053,
               n_obs=5, eta_metric=1.0, mean_flux_mjy=50.4, std_flux_mjy=1.1,
               nvss_flux_mjy=51.0)
        insert(conn, "variability_stats", source_id="NVSS J123500.0+420400", ra_deg=188.75,
               dec_deg=42.0667)
        for i, f in enumerate(FLUX):
            img = insert(conn, "images", path=f"/data/images/d{i}-image.fits")
            insert(conn, "image_qa", image_path=img["path"], timestamp=UNIX0 + i,
                   overall_quality="poor" if i == 3 else "good")
            insert(conn, "photometry", source_id=SOURCE, image_path=img["path"],
                   ra_deg=188.736, dec_deg=42.053, mjd=MJD0 + i, normalized_flux_jy=f,
                   normalized_flux_err_jy=0.001, flux_jy=f * 1.1, flux_err_jy=0.002,
                   snr=50.0)
    return db


def test_loads_everything_for_one_source(seeded):
    m = SourceDetailModel(seeded, SOURCE)
    m.refresh()
    assert m.error is None and m.record.source_id == SOURCE
    assert len(m.lightcurve) == 6
    assert list(m.lightcurve["qa_failed"]) == [False, False, False, True, False, False]
    assert list(m.nearby["source_id"]) == ["NVSS J123500.0+420400"]
    assert len(m.images) == 6


def test_qa_failed_epochs_are_excluded_by_default_and_stats_are_live(seeded):
    m = SourceDetailModel(seeded, SOURCE)
    m.refresh()
    good = [f for i, f in enumerate(FLUX) if i != 3]
    expected = lightcurve_stats(good, [0.001] * 5)
    assert m.stats["n_epochs"] == 5
    assert m.stats["eta"] == pytest.approx(expected["eta"])
    assert m.stats["v"] == pytest.approx(expected["v"])
    m.exclude_qa = False
    assert m.stats["n_epochs"] == 6
    assert m.stats["v"] == pytest.approx(lightcurve_stats(FLUX, [0.001] * 6)["v"])
    # Exclude one epoch by hand (photometry id), then bring it back.
    first = int(m.lightcurve["photometry_id"].iat[0])
    m.toggle_epoch(first)
    assert m.excluded == str(first) and m.stats["n_epochs"] == 5
    m.toggle_epoch(first)
    assert m.excluded == "" and m.stats["n_epochs"] == 6
    table = m.stats_table().set_index("statistic")
    assert table.loc["Mean flux", "live"] == pytest.approx(np.mean(FLUX) * 1000)
    assert table.loc[ETA_CHI2_LABEL, "pipeline"] == 1.0


def test_flux_column_switch_reloads_the_lightcurve(seeded):
    m = SourceDetailModel(seeded, SOURCE, flux="raw")
    m.refresh()
    assert m.lightcurve["flux_jy"].to_numpy() == pytest.approx(np.array(FLUX) * 1.1)
    m.flux = "normalized"
    m.apply(m.fetch_lightcurve())
    assert m.lightcurve["flux_jy"].to_numpy() == pytest.approx(FLUX)


def test_click_selects_the_nearest_epoch_with_its_cutout_and_image_links(seeded):
    m = SourceDetailModel(seeded, SOURCE)
    m.refresh()
    picked = m.select_nearest(MJD0 + 3.01, 0.119, 6.0, 0.08)
    row = m.selected_epoch()
    assert picked == int(m.lightcurve["photometry_id"].iat[3])
    assert row["qa_failed"] and row["excluded"]
    assert row["image_url"] == f"/images/{int(m.lightcurve['image_id'].iat[3])}"
    assert row["cutout_url"].startswith(f"/api/v1/images/{int(m.lightcurve['image_id'].iat[3])}"
                                        "/cutout.png?ra=188.736000&dec=42.053000")
    assert m.select_nearest(MJD0 + 1.5, 0.3, 6.0, 0.08) is None  # empty space
    m.time_axis = "date"  # x in ms since 1970 on a date axis
    ms = (MJD0 + 2 - 40587.0) * 86400_000.0
    assert m.select_nearest(ms, 0.049, 6 * 86400_000.0, 0.08) == \
        int(m.lightcurve["photometry_id"].iat[2])


def test_unknown_source_is_reported_not_raised(seeded):
    m = SourceDetailModel(seeded, "NVSS J000000.0+000000")
    m.refresh()
    assert m.not_found and "not found" in m.error


def test_links_are_url_quoted(seeded):
    m = SourceDetailModel(seeded, SOURCE, flux="raw")
    assert m.url == "/sources/NVSS%20J123456.7%2B420312"
    assert m.export_url("votable") == ("/api/v1/sources/NVSS%20J123456.7%2B420312/lightcurve"
                                       "?format=votable&flux=raw&exclude_qa=1")
    # The downloads carry the page's exclusions.
    m.param.update(excluded="15,3", exclude_qa=False)
    assert m.export_url("csv").endswith("?format=csv&flux=raw&excluded=3,15")
    assert parse_ids("3, 1,x,3") == [1, 3]


def test_statistics_table_says_whether_some_pair_is_a_two_epoch_variable(seeded):
    m = SourceDetailModel(seeded, SOURCE, exclude_qa=False)
    m.refresh()
    table = m.stats_table().set_index("statistic")
    row = next(label for label in table.index if label.startswith("Two-epoch variable"))
    # 120 vs ~50 mJy with 1 mJy errors: |Vs| ~ 49, m ~ 0.8.
    assert table.loc[row, "live"] == "yes" and pd.isna(table.loc[row, "pipeline"])
    m.exclude_qa = True
    assert m.stats_table().set_index("statistic").loc[row, "live"] == "no"


def test_peak_flux_statistics_are_in_mjy_per_beam(seeded):
    m = SourceDetailModel(seeded, SOURCE, flux="peak")
    m.refresh()
    units = m.stats_table().set_index("statistic")["unit"]
    assert units["Mean flux"] == units["Std (ddof=1)"] == "mJy/beam"
    m.flux = "raw"
    assert m.stats_table().set_index("statistic").loc["Mean flux", "unit"] == "mJy"


def test_stored_statistics_are_shown_only_beside_the_flux_column_they_come_from(seeded):
    recompute_variability(seeded)  # ours record their column: normalized_flux_jy here
    m = SourceDetailModel(seeded, SOURCE, flux="peak", exclude_qa=False)
    m.refresh()
    assert m.record.stats_flux_column == "normalized_flux_jy"
    table = m.stats_table().set_index("statistic")
    assert table["live"].notna().all()
    assert table["pipeline"].isna().all()  # peak beside normalised: not compared
    comparable, why = m.stored_comparable()
    assert not comparable and "normalized_flux_jy" in why and "left out" in why
    for choice in ("best", "normalized"):
        m.flux = choice
        m.apply(m.fetch_lightcurve())
        table = m.stats_table().set_index("statistic")
        assert table.loc["Mean flux", "pipeline"] == pytest.approx(np.mean(FLUX) * 1000)
        assert table.loc["Mean flux", "live"] == pytest.approx(np.mean(FLUX) * 1000)
        assert table.loc["Mean flux", "pipeline_unit"] == "mJy"
    m.flux = "raw"
    m.apply(m.fetch_lightcurve())
    assert m.stats_table()["pipeline"].isna().all()


def test_pipeline_statistics_of_unrecorded_column_are_compared_with_best_only(seeded):
    m = SourceDetailModel(seeded, SOURCE, flux="peak")
    m.refresh()
    assert m.record.stats_flux_column is None  # only the pipeline's variability_stats
    assert m.stats_table()["pipeline"].isna().all()
    assert "do not record their flux column" in m.stored_comparable()[1]
    m.flux = "best"
    assert m.stats_table().set_index("statistic").loc["Mean flux", "pipeline"] == 50.4


def test_eta_and_chi2_about_the_weighted_mean_are_one_row_unless_stored_differ(seeded):
    recompute_variability(seeded)
    m = SourceDetailModel(seeded, SOURCE)
    m.refresh()
    table = m.stats_table().set_index("statistic")
    assert "χ²ν" not in table.index and "η" not in table.index
    assert table.loc[ETA_CHI2_LABEL, "live"] == pytest.approx(m.stats["chi2_nu"])
    assert table.loc[ETA_CHI2_LABEL, "pipeline"] == pytest.approx(m.record.chi2_nu)
    with seeded.transaction() as conn:
        conn.exec_driver_sql("UPDATE variability_stats SET chi2_nu = eta_metric * 2")
    m.refresh()
    table = m.stats_table().set_index("statistic")
    assert ETA_CHI2_LABEL not in table.index
    assert table.loc["χ²ν", "pipeline"] == pytest.approx(2 * table.loc["η", "pipeline"])
    assert table.loc["χ²ν", "live"] == pytest.approx(table.loc["η", "live"])
