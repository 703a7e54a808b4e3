"""The command line as a user runs it: help, config, db commands, clear errors."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from dsa110_dashboard.cli.main import build_parser, main
from dsa110_dashboard.db import migrate
from legacy import older_unified


def run(capsys, *argv, env=None, monkeypatch=None):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for var in ("DSA110_DASH_DB", "PIPELINE_DB", "PIPELINE_PRODUCTS_DB",
                "PIPELINE_CAL_REGISTRY_DB", "DSA110_DASH_PORT", "DSA110_DASH_READ_ONLY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DSA110_DASH_DATA_DIR", str(tmp_path / "data"))


def test_console_script_help_lists_every_subcommand():
    result = subprocess.run([sys.executable, "-m", "dsa110_dashboard.cli.main", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for word in ("serve", "db", "config", "scale-db"):
        assert word in result.stdout


@pytest.mark.parametrize("argv", [
    ["serve", "--help"], ["db", "--help"], ["db", "upgrade", "--help"],
    ["db", "current", "--help"], ["db", "downgrade", "--help"], ["db", "check", "--help"],
    ["config", "--help"], ["config", "show", "--help"], ["scale-db", "--help"],
])
def test_each_subcommand_has_help_that_says_what_it_does(argv, capsys):
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(argv)
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "usage: dsa110-dash" in text
    description = text.split("\n\n")[1]
    assert len(description.split()) >= 5, f"{argv} lacks a description"


def test_config_show_prints_values_and_origins(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("DSA110_DASH_PORT", "6006")
    monkeypatch.setenv("DSA110_DASH_DB", "postgresql://dash:pw@127.0.0.1/pipe")
    code, out, _ = run(capsys, "config", "show")
    assert code == 0
    port_line = next(line for line in out.splitlines() if line.startswith("port "))
    assert "6006" in port_line and "env DSA110_DASH_PORT" in port_line
    assert "pw@" not in out and "***" in out
    assert "database in use: postgresql+psycopg://dash:***@127.0.0.1/pipe" in out


def test_invalid_port_stops_with_one_line_naming_the_variable(capsys, monkeypatch):
    monkeypatch.setenv("DSA110_DASH_PORT", "abc")
    code, out, err = run(capsys, "config", "show")
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "DSA110_DASH_PORT" in err and "abc" in err


def test_db_upgrade_current_check_downgrade(capsys, tmp_path):
    path = str(tmp_path / "new.sqlite3")
    code, out, _ = run(capsys, "--db", path, "db", "check")
    assert code == 1 and "UNREACHABLE" in out and "does not exist" in out
    assert not Path(path).exists(), "checking a database never creates it"
    head = migrate.head_revision()
    code, out, _ = run(capsys, "--db", path, "db", "upgrade")
    assert code == 0 and f"upgraded from none to {head}" in out
    code, out, _ = run(capsys, "--db", path, "db", "upgrade")
    assert code == 0 and f"already at {head}" in out
    code, out, _ = run(capsys, "--db", path, "db", "current")
    assert out.strip() == head
    code, out, _ = run(capsys, "--db", path, "db", "check")
    assert code == 0 and "pipeline:   yes" in out and "unified" in out
    code, out, _ = run(capsys, "--db", path, "db", "downgrade", "0001_pipeline_baseline")
    assert code == 0 and "now at 0001_pipeline_baseline" in out
    code, out, _ = run(capsys, "--db", path, "db", "check")
    assert code == 3 and "dsa110-dash db upgrade" in out


def test_pipeline_database_from_environment_is_checked_read_only(capsys, monkeypatch,
                                                                 tmp_path):
    path = older_unified(tmp_path / "pipeline.sqlite3")
    monkeypatch.setenv("PIPELINE_DB", str(path))
    code, out, _ = run(capsys, "db", "check")
    assert code == 3 and "read-only" in out and "missing columns in images" in out
    code, _, _ = run(capsys, "db", "upgrade")
    assert code == 0, "db upgrade opens the pipeline database for writing on purpose"
    names = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    assert "alembic_version" in names


def test_unreachable_database_is_one_clear_line(capsys):
    code, out, err = run(capsys, "--db", "postgresql://postgres@127.0.0.1:1/x", "db", "current")
    assert code == 1
    assert err.startswith("dsa110-dash: database unavailable:")


def test_serve_refuses_a_database_that_is_not_a_pipeline_database(capsys, tmp_path):
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).execute("CREATE TABLE t (x)").connection.close()
    code, _, err = run(capsys, "--db", str(empty), "serve", "--port", "0")
    assert code == 1 and "not a pipeline database" in err and "db upgrade" in err


def test_a_reader_that_leaves_early_ends_the_output_quietly(tmp_path):
    # `dsa110-dash jobs list | head` once ended in a BrokenPipeError traceback. The pipe's
    # read end is closed before the command starts, so its first write finds no reader.
    read, write = os.pipe()
    os.close(read)
    try:
        result = subprocess.run([sys.executable, "-m", "dsa110_dashboard.cli.main",
                                 "config", "show"], stdout=write, stderr=subprocess.PIPE,
                                text=True, timeout=60,
                                env={**os.environ, "DSA110_DASH_DATA_DIR": str(tmp_path)})
    finally:
        os.close(write)
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, \
        result.stderr
    assert result.returncode == 141
