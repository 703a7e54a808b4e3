"""Hashed passwords (decision 0045): ``dsa110-dash users`` writes Argon2 hashes, and a
clear-text password stops start-up with a message saying how to hash it."""

from __future__ import annotations

import io
import json
import stat

import pytest

from dsa110_dashboard.auth.credentials import Credentials
from dsa110_dashboard.auth.passwords import is_hash
from dsa110_dashboard.auth.store import SessionStore
from dsa110_dashboard.cli.main import main
from dsa110_dashboard.errors import ConfigError
from dsa110_dashboard.settings import Settings
from hashes import quick_hash


def _stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_users_set_writes_a_hash_that_signs_in(tmp_path, monkeypatch, capsys):
    users = tmp_path / "conf" / "users.json"
    monkeypatch.setenv("DSA110_DASH_BASIC_AUTH", str(users))
    _stdin(monkeypatch, "first pw\n")
    assert main(["users", "set", "ana", "--password-stdin"]) == 0
    assert "added ana" in capsys.readouterr().out
    stored = json.loads(users.read_text())
    assert set(stored) == {"ana"} and is_hash(stored["ana"])
    assert "first pw" not in users.read_text()
    assert stat.S_IMODE(users.stat().st_mode) == 0o600
    _stdin(monkeypatch, "second pw\n")
    assert main(["users", "set", "ben", "--password-stdin", "--file", str(users)]) == 0
    credentials = Credentials(str(users))
    assert credentials.check("ana", "first pw")
    assert credentials.check("ben", "second pw")
    assert not credentials.check("ana", "second pw")
    assert not credentials.check("carl", "first pw")
    _stdin(monkeypatch, "changed\n")
    assert main(["users", "set", "ana", "--password-stdin"]) == 0
    assert "changed the password of ana" in capsys.readouterr().out
    assert Credentials(str(users)).check("ana", "changed")
    monkeypatch.setenv("DSA110_DASH_AUTH_DB", str(tmp_path / "auth.sqlite3"))
    store = SessionStore.for_settings(Settings.load())
    store.prepare()
    session = store.open("ben", "127.0.0.1")
    assert main(["users", "remove", "ben"]) == 0
    assert "ended 1 open session(s)" in capsys.readouterr().out
    assert set(json.loads(users.read_text())) == {"ana"}
    assert store.session(session) is None, "a removed user is signed out everywhere"
    store.dispose()
    assert main(["users", "remove", "ben"]) == 1


def test_users_set_refuses_an_empty_password_and_a_missing_file_setting(tmp_path, monkeypatch,
                                                                       capsys):
    monkeypatch.delenv("DSA110_DASH_BASIC_AUTH", raising=False)
    _stdin(monkeypatch, "pw\n")
    assert main(["users", "set", "ana", "--password-stdin"]) == 2
    assert "--file" in capsys.readouterr().err
    _stdin(monkeypatch, "\n")
    users = tmp_path / "users.json"
    assert main(["users", "set", "ana", "--password-stdin", "--file", str(users)]) == 1
    assert "password is empty" in capsys.readouterr().err
    assert not users.exists()


def test_users_hash_prints_a_hash_for_the_shared_password(monkeypatch, capsys):
    _stdin(monkeypatch, "shared pw\n")
    assert main(["users", "hash", "--password-stdin"]) == 0
    printed = capsys.readouterr().out.strip()
    assert is_hash(printed)
    assert Credentials(printed).check("anyone", "shared pw")
    assert not Credentials(printed).check("anyone", "other")
    assert not Credentials(printed).check("", "shared pw")


def test_clear_text_passwords_are_refused_at_start_up(tmp_path):
    with pytest.raises(ConfigError, match="DSA110_DASH_BASIC_AUTH.*users hash"):
        Credentials("pulsar-42")
    users = tmp_path / "users.json"
    users.write_text(json.dumps({"ana": quick_hash("pw"), "ben": "clear-pw"}))
    with pytest.raises(ConfigError, match=r"clear-text passwords for ben; .*users set NAME"):
        Credentials(str(users))


def test_an_entry_edited_in_clear_while_serving_fails_only_that_user(tmp_path, caplog):
    users = tmp_path / "users.json"
    users.write_text(json.dumps({"ana": quick_hash("pw")}))
    credentials = Credentials(str(users))
    users.write_text(json.dumps({"ana": quick_hash("pw"), "ben": "clear-pw"}))
    assert credentials.check("ana", "pw")
    assert not credentials.check("ben", "clear-pw")
    assert "entry of 'ben' is not a hash" in caplog.text
