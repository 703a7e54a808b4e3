"""Revision 0003 adds dash_variability (and only it) on both backends."""

import pytest
import sqlalchemy as sa

from dsa110_dashboard.db import features, migrate
from dsa110_dashboard.errors import FeatureUnavailableError
from dsa110_dashboard.jobs.variability import FEATURE, REVISION

COLUMNS = {"source_id", "n_epochs", "n_weighted_epochs", "mean_flux_jy",
           "weighted_mean_flux_jy", "std_flux_jy", "eta", "v", "chi2_nu",
           "sigma_deviation", "vs_max", "m_at_vs_max", "is_two_epoch_variable",
           "excluded_qa_epochs", "flux_column", "computed_at"}


def test_upgrade_adds_the_table_with_indexes_and_downgrade_drops_only_it(db):
    assert REVISION == "0003_variability_extra"
    inspector = sa.inspect(db.engine)
    assert {c["name"] for c in inspector.get_columns("dash_variability")} == COLUMNS
    assert inspector.get_pk_constraint("dash_variability")["constrained_columns"] == \
        ["source_id"]
    indexed = {tuple(ix["column_names"]) for ix in inspector.get_indexes("dash_variability")}
    assert {("eta",), ("v",)} <= indexed
    # Later revisions (whatever they are) first, so only this one's effect is compared.
    migrate.downgrade(db, REVISION)
    tables_before = set(sa.inspect(db.engine).get_table_names())

    migrate.downgrade(db, "0002_dashboard_indexes")
    tables_after = set(sa.inspect(db.engine).get_table_names())
    assert tables_before - tables_after == {"dash_variability"}
    assert not db.catalog["dash_variability"].exists
    with pytest.raises(FeatureUnavailableError) as info:
        features.require(db, REVISION, FEATURE)
    message = info.value.user_message
    assert "0003_variability_extra" in message and "dsa110-dash db upgrade" in message
    assert FEATURE in message

    migrate.upgrade(db)
    assert db.catalog["dash_variability"].exists
    features.require(db, REVISION, FEATURE)
    migrate.upgrade(db)  # idempotent
    assert migrate.current_revision(db) == migrate.head_revision()


def test_flux_columns_are_double_precision_on_postgresql(db):
    if db.dialect == "sqlite":
        with db.connect() as conn:
            decl = {r[1]: r[2] for r in
                    conn.exec_driver_sql("PRAGMA table_info(dash_variability)")}
        assert decl["mean_flux_jy"] == "REAL" and decl["source_id"] == "TEXT"
        return
    with db.connect() as conn:
        kind = conn.exec_driver_sql(
            "SELECT data_type FROM information_schema.columns WHERE "
            "table_name='dash_variability' AND column_name='mean_flux_jy'").scalar()
    assert kind == "double precision"
