"""API tokens in the sign-in store, on a SQLite file and on PostgreSQL (decision 0046)."""

from __future__ import annotations

import pytest

from dsa110_dashboard.auth.roles import Role
from dsa110_dashboard.auth.store import prepare_store, store_database
from dsa110_dashboard.auth.tokens import LAST_USED_RESOLUTION_S, TokenStore
from dsa110_dashboard.errors import ConflictError, InvalidInputError, NotFoundError
from dsa110_dashboard.settings import Settings


@pytest.fixture
def store(backend, request, tmp_path):
    if backend == "sqlite":
        url = str(tmp_path / "auth.sqlite3")
    else:
        url = request.getfixturevalue("make_pg_database")(None)
    db = store_database(Settings.load(environ={"DSA110_DASH_AUTH_DB": url}))
    prepare_store(db)
    prepare_store(db)  # idempotent
    now = [1000.0]
    yield TokenStore(db, clock=lambda: now[0]), now
    db.dispose()


def test_a_token_speaks_for_its_name_and_role_until_revoked(store):
    tokens, now = store
    token = tokens.create("ci", Role.OPERATOR, "cli:ana")
    holder = tokens.holder(token)
    assert (holder.name, holder.role) == ("ci", Role.OPERATOR)
    assert tokens.holder(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert tokens.holder("not-even-prefixed") is None
    (info,) = tokens.list()
    assert (info.name, info.role, info.created_by, info.last_used_at) == (
        "ci", "operator", "cli:ana", 1000.0)
    with pytest.raises(ConflictError):
        tokens.create("ci", Role.VIEWER, "cli:ana")
    tokens.revoke("ci", "cli:ben")
    assert tokens.holder(token) is None
    with pytest.raises(NotFoundError):
        tokens.revoke("ci", "cli:ben")
    again = tokens.create("ci", Role.VIEWER, "cli:ana")  # a revoked name may be reused
    assert tokens.holder(again).role is Role.VIEWER and tokens.holder(token) is None
    first, second = tokens.list()
    assert (first.revoked_at, first.revoked_by, second.revoked_at) == (1000.0, "cli:ben", None)


def test_last_use_is_written_at_most_once_a_resolution(store):
    tokens, now = store
    token = tokens.create("poller", Role.VIEWER, "t")
    tokens.holder(token)
    now[0] += LAST_USED_RESOLUTION_S / 2
    tokens.holder(token)
    assert tokens.list()[0].last_used_at == 1000.0
    now[0] += LAST_USED_RESOLUTION_S
    tokens.holder(token)
    assert tokens.list()[0].last_used_at == now[0]


@pytest.mark.parametrize("name", ["", "two words", "x" * 65, "semi;colon", "new\nline"])
def test_bad_names_are_refused(store, name):
    with pytest.raises(InvalidInputError) as err:
        store[0].create(name, Role.VIEWER, "t")
    assert err.value.parameter == "name"
