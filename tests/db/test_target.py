import pytest

from dsa110_dashboard.db.target import resolve_target
from dsa110_dashboard.errors import ConfigError
from dsa110_dashboard.settings import Settings


@pytest.fixture
def files(tmp_path):
    paths = {}
    for name in ("pipeline.sqlite3", "products.sqlite3", "cal_registry.sqlite3", "own.sqlite3"):
        paths[name] = tmp_path / name
        paths[name].touch()
    return paths


def target(env, **overrides):
    return resolve_target(Settings.load(environ=env, overrides=overrides))


def test_resolution_order(files, tmp_path):
    env = {"DSA110_DASH_DB": str(files["own.sqlite3"]),
           "PIPELINE_DB": str(files["pipeline.sqlite3"]),
           "PIPELINE_PRODUCTS_DB": str(files["products.sqlite3"]),
           "PIPELINE_CAL_REGISTRY_DB": str(files["cal_registry.sqlite3"]),
           "DSA110_DASH_DATA_DIR": str(tmp_path / "data")}
    flag = target(env, db=str(files["pipeline.sqlite3"]))
    assert flag.sqlite_path == files["pipeline.sqlite3"] and flag.origin == "command line"
    own = target(env)
    assert own.sqlite_path == files["own.sqlite3"] and not own.read_only
    env.pop("DSA110_DASH_DB")
    unified = target(env)
    assert unified.sqlite_path == files["pipeline.sqlite3"]
    assert unified.read_only, "a production pipeline database opens read-only"
    env.pop("PIPELINE_DB")
    older = target(env)
    assert older.sqlite_path == files["products.sqlite3"]
    assert older.cal_registry_path == files["cal_registry.sqlite3"]
    for key in ("PIPELINE_PRODUCTS_DB", "PIPELINE_CAL_REGISTRY_DB"):
        env.pop(key)
    embedded = target(env)
    assert embedded.sqlite_path == tmp_path / "data" / "pipeline.sqlite3"
    assert embedded.origin == "embedded default" and not embedded.read_only


def test_read_only_setting_overrides_auto(files):
    env = {"PIPELINE_DB": str(files["pipeline.sqlite3"]), "DSA110_DASH_READ_ONLY": "false"}
    assert not target(env).read_only
    env = {"DSA110_DASH_DB": str(files["own.sqlite3"]), "DSA110_DASH_READ_ONLY": "true"}
    assert target(env).read_only


def test_products_file_picks_up_sibling_cal_registry(files):
    t = target({"DSA110_DASH_DB": str(files["products.sqlite3"])})
    assert t.cal_registry_path == files["cal_registry.sqlite3"]


def test_urls():
    pg = target({"DSA110_DASH_DB": "postgresql://u:pw@localhost:5432/pipe"})
    assert pg.dialect == "postgresql" and pg.url.drivername == "postgresql+psycopg"
    assert "pw" not in pg.display()
    lite = target({"DSA110_DASH_DB": "sqlite:////tmp/x.sqlite3"})
    assert lite.is_sqlite and str(lite.sqlite_path) == "/tmp/x.sqlite3"


@pytest.mark.parametrize("value, fragment", [
    ("mysql://root@localhost/x", "unsupported database"),
    ("sqlite://", "in-memory"),
    ("not a url://", "not a database URL"),
])
def test_bad_database_values(value, fragment):
    with pytest.raises(ConfigError, match=fragment):
        target({"DSA110_DASH_DB": value})


def test_cal_registry_alone_is_an_error(files):
    with pytest.raises(ConfigError, match="PIPELINE_CAL_REGISTRY_DB"):
        target({"PIPELINE_CAL_REGISTRY_DB": str(files["cal_registry.sqlite3"])})
