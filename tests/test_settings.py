from pathlib import Path

import pytest

from dsa110_dashboard.errors import ConfigError
from dsa110_dashboard.settings import Settings, environment_documentation


def test_defaults_when_environment_is_empty(tmp_path, monkeypatch):
    from dsa110_dashboard import settings as settings_module

    # The suite moves the default out of the checkout (tests/conftest.py); the real one:
    current = settings_module._default_data_dir
    monkeypatch.setattr(settings_module, "_default_data_dir",
                        getattr(current, "real", current))
    monkeypatch.chdir(tmp_path)
    s = Settings.load(environ={})
    assert s.port == 5006
    assert s.address == "127.0.0.1"
    assert s.data_dir == tmp_path / "demo-data"
    assert s.embedded_db_path == tmp_path / "demo-data" / "pipeline.sqlite3"
    assert s.timeouts.db_connection == 30.0
    assert s.timeouts.quick_check == 2.0
    assert s.timeouts.page_update == 30.0
    assert s.effective_logs_dir == Path("/data/dsa110-contimg/state/logs")
    assert s.effective_data_roots == (s.data_dir, s.state_dir)
    assert all(origin == "default" for origin in s.sources.values())


def test_environment_then_flags_override_and_origins_are_recorded():
    env = {"DSA110_DASH_PORT": "7000", "DSA110_DASH_TIMEOUT_QUICK_CHECK": "0.5",
           "CONTIMG_LOGS_DIR": "/logs", "DSA110_DASH_DATA_ROOTS": "/a:/b"}
    s = Settings.load(environ=env, overrides={"port": "7100", "address": None})
    assert s.port == 7100
    assert s.sources["port"] == "command line"
    assert s.timeouts.quick_check == 0.5
    assert s.sources["timeouts.quick_check"] == "env DSA110_DASH_TIMEOUT_QUICK_CHECK"
    assert s.effective_logs_dir == Path("/logs")
    assert s.data_roots == (Path("/a"), Path("/b"))
    assert s.address == "127.0.0.1"  # a None flag leaves the value alone


def test_empty_variable_counts_as_unset():
    s = Settings.load(environ={"DSA110_DASH_PORT": "", "DSA110_DASH_DB": "  "})
    assert s.port == 5006
    assert s.db is None
    assert s.sources["port"] == "default"


@pytest.mark.parametrize("env, value, fragment", [
    ("DSA110_DASH_PORT", "abc", "'abc' is not a port number"),
    ("DSA110_DASH_PORT", "70000", "not a port number"),
    ("DSA110_DASH_NUM_THREADS", "0", "at least 1"),
    ("DSA110_DASH_TIMEOUT_DB_CONNECTION", "-1", "greater than 0"),
    ("DSA110_DASH_READ_ONLY", "maybe", "not a boolean"),
    ("PIPELINE_DB", "/nonexistent/pipeline.sqlite3", "does not exist"),
])
def test_invalid_value_is_one_line_naming_the_variable(env, value, fragment):
    with pytest.raises(ConfigError) as info:
        Settings.load(environ={env: value})
    message = str(info.value)
    assert message.startswith(f"{env}: ")
    assert fragment in message
    assert "\n" not in message


def test_describe_masks_secrets_but_not_paths():
    env = {"DSA110_DASH_DB": "postgresql+psycopg://dash:hunter2@db.example/pipe",
           "DSA110_DASH_COOKIE_SECRET": "s3cret-token"}
    shown = {name: value for name, _, value, _ in Settings.load(environ=env).describe()}
    assert "hunter2" not in shown["db"] and "dash:***@db.example" in shown["db"]
    assert shown["cookie_secret"] == "***"
    shown = {n: v for n, _, v, _ in
             Settings.load(environ={"DSA110_DASH_DB": "/srv/p.sqlite3"}).describe()}
    assert shown["db"] == "/srv/p.sqlite3"
    assert shown["read_only"] == "auto"


def test_every_setting_is_documented():
    rows = environment_documentation()
    names = [env for env, _, _ in rows]
    assert len(names) == len(set(names))
    assert all(doc for _, _, doc in rows)
    assert {"PIPELINE_DB", "PIPELINE_PRODUCTS_DB", "PIPELINE_CAL_REGISTRY_DB",
            "DSA110_STATE_DIR", "CONTIMG_LOGS_DIR", "DSA110_DASH_DB"} <= set(names)
