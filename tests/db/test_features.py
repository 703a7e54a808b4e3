import pytest

from dbsupport import settings_for
from dsa110_dashboard.db import features, migrate
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.errors import FeatureUnavailableError
from legacy import older_unified


def test_upgraded_database_has_every_feature(db):
    for revision in migrate.all_revisions():
        assert features.has_revision(db, revision)
        features.require(db, revision, "Anything")


def test_pipeline_database_never_upgraded_explains_the_fix(tmp_path):
    db = Database(settings_for(str(older_unified(tmp_path / "p.sqlite3")),
                               DSA110_DASH_READ_ONLY="true"))
    with pytest.raises(FeatureUnavailableError) as info:
        features.require(db, "0002_dashboard_indexes", "Fast QA filters")
    assert "Fast QA filters" in info.value.user_message
    assert "dsa110-dash db upgrade" in info.value.user_message
    assert info.value.http_status == 501


def test_partially_upgraded_database(db):
    migrate.downgrade(db, "0001_pipeline_baseline")
    assert features.has_revision(db, "0001_pipeline_baseline")
    assert not features.has_revision(db, "0002_dashboard_indexes")
