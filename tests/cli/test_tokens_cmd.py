"""``dsa110-dash tokens``: printed once, only the hash stored (in the sign-in store),
listed with their use, revoked, and audited in the pipeline database (decision 0046)."""

from __future__ import annotations

import getpass
import shutil
import sqlite3

import pytest

from dsa110_dashboard.auth.roles import Role
from dsa110_dashboard.auth.store import prepare_store, store_database
from dsa110_dashboard.auth.tokens import PREFIX, TokenStore
from dsa110_dashboard.cli.main import main
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.repositories.audit import AuditRepository
from dsa110_dashboard.settings import Settings
from dbsupport import settings_for


@pytest.fixture
def env(monkeypatch, tmp_path, sqlite_template):
    for var in ("DSA110_DASH_DB", "PIPELINE_DB", "PIPELINE_PRODUCTS_DB",
                "PIPELINE_CAL_REGISTRY_DB", "DSA110_DASH_READ_ONLY", "DSA110_DASH_AUTH_DB"):
        monkeypatch.delenv(var, raising=False)
    path = tmp_path / "pipeline.sqlite3"
    shutil.copy(sqlite_template, path)
    monkeypatch.setenv("DSA110_DASH_DB", str(path))
    monkeypatch.setenv("DSA110_DASH_DATA_DIR", str(tmp_path / "data"))
    return path


def _store() -> TokenStore:
    db = store_database(Settings.load())
    prepare_store(db)
    return TokenStore(db)


def test_create_prints_the_token_once_and_stores_only_its_hash(env, capsys):
    assert main(["tokens", "create", "nightly-ci", "--role", "operator"]) == 0
    out, err = capsys.readouterr()
    token = out.strip()
    assert token.startswith(PREFIX) and len(token) > 40 and "only time" in err
    store = _store()
    holder = store.holder(token)
    assert holder.name == "nightly-ci" and holder.role is Role.OPERATOR
    auth_file = Settings.load().auth_db_file
    assert token.encode() not in auth_file.read_bytes()
    with sqlite3.connect(auth_file) as conn:
        (stored,) = conn.execute("SELECT token_sha256 FROM dash_api_tokens").fetchone()
    assert len(stored) == 64 and stored not in token

    assert main(["tokens", "list"]) == 0
    listed = capsys.readouterr().out
    assert "nightly-ci" in listed and "operator" in listed and token not in listed

    assert main(["tokens", "create", "nightly-ci"]) == 1, "a live name is not reused"
    assert "exists" in capsys.readouterr().err

    assert main(["tokens", "revoke", "nightly-ci"]) == 0
    assert store.holder(token) is None, "a revoked token stops working at once"
    assert main(["tokens", "revoke", "nightly-ci"]) == 1
    assert main(["tokens", "list"]) == 0
    assert f"by cli:{getpass.getuser()}" in capsys.readouterr().out
    store.db.dispose()

    db = Database(settings_for(str(env)))
    entries = AuditRepository(db).entries("token")
    db.dispose()
    seen = [(e.action, e.result, e.actor, e.role, e.target_id) for e in reversed(entries)]
    actor = f"cli:{getpass.getuser()}"
    assert seen == [("token_create", "ok", actor, "admin", "nightly-ci"),
                    ("token_create", "refused", actor, "admin", "nightly-ci"),
                    ("token_revoke", "ok", actor, "admin", "nightly-ci"),
                    ("token_revoke", "refused", actor, "admin", "nightly-ci")]
    assert entries[-1].detail == {"role": "operator"}


def test_tokens_work_beside_a_read_only_pipeline_database(env, monkeypatch, capsys):
    monkeypatch.setenv("DSA110_DASH_READ_ONLY", "true")
    assert main(["tokens", "create", "reader"]) == 0
    token = capsys.readouterr().out.strip()
    store = _store()
    assert store.holder(token).role is Role.VIEWER
    store.db.dispose()


def test_a_bad_token_name_is_refused_naming_the_parameter(env, capsys):
    assert main(["tokens", "create", "two words"]) == 1
    assert "not a token name" in capsys.readouterr().err
