"""Sign-in through an OAuth/OIDC provider (decision 0063), for real and offline: a tiny
provider started here (authorize, token and userinfo endpoints), Panel's ``generic``
provider pointed at it, and Chromium signing in: it lands on the page it asked for as
the provider's user, with the role DSA110_DASH_ROLES gives that name; the endpoints take
the same sign-in, and API tokens keep working beside it."""

from __future__ import annotations

import json
import sqlite3

import pytest

from browser.conftest import demo_env
from browser.helpers import wait_idle
from dsa110_dashboard.auth.roles import Role
from dsa110_dashboard.auth.store import prepare_store, store_database
from dsa110_dashboard.auth.tokens import TokenStore
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.repositories.jobs import JobRepository
from dsa110_dashboard.settings import Settings
from oauth_provider import CLIENT_ID, CLIENT_SECRET, FakeProvider
from server import free_port, start_server


def forget_panel_oauth() -> None:
    """pn.serve keeps the OAuth options in Panel's process-wide config: later servers of
    this test process must not inherit them."""
    from panel.config import config
    from panel.io.state import state

    config.oauth_provider = None
    config.oauth_key = None
    config.oauth_secret = None
    config.oauth_redirect_uri = None
    config.oauth_extra_params = {}
    config.oauth_encryption_key = None
    config.oauth_expiry = config.param._oauth_expiry.default
    state.encryption = None


@pytest.fixture(scope="module")
def oauth_world(demo_dataset, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("oauth")
    db_path = tmp / "pipeline.sqlite3"
    with sqlite3.connect(demo_dataset / "pipeline.sqlite3") as source, \
            sqlite3.connect(db_path) as copy:
        source.backup(copy)
    provider = FakeProvider(user={"email": "olga@example.org", "name": "Olga",
                                  "sub": "u-17"}).start()
    port = free_port()
    auth_db = str(tmp / "auth.sqlite3")
    env = {**demo_env(demo_dataset, tmp / "cache"), "DSA110_DASH_DB": str(db_path),
           "CONTIMG_LOGS_DIR": str(tmp / "logs"),
           # Reruns are possible (no worker runs them here): the button is the role's.
           "PIPELINE_CMD_TEMPLATE": "/bin/true {run_id}",
           "DSA110_DASH_OAUTH_PROVIDER": "generic",
           "DSA110_DASH_OAUTH_KEY": CLIENT_ID,
           "DSA110_DASH_OAUTH_SECRET": CLIENT_SECRET,
           "DSA110_DASH_OAUTH_EXTRA_PARAMS": json.dumps(provider.extra_params()),
           "DSA110_DASH_OAUTH_REDIRECT_URI": f"http://127.0.0.1:{port}/login",
           "DSA110_DASH_OAUTH_ENCRYPTION_KEY": "x2mB2KGnzp4WyQmXoNYRSGZK9hEXpLeQ4GqIF3LH5Yk=",
           "DSA110_DASH_COOKIE_SECRET": "c" * 40,
           "DSA110_DASH_AUTH_DB": auth_db,
           "DSA110_DASH_ROLES": "olga@example.org=operator"}
    server = start_server(env, port=port)
    db = Database(Settings.load(environ=env))
    store = store_database(Settings.load(environ={"DSA110_DASH_AUTH_DB": auth_db}))
    prepare_store(store)
    try:
        yield server, provider, db, TokenStore(store)
    finally:
        server.stop()
        forget_panel_oauth()
        provider.stop()
        db.dispose()
        store.dispose()


def test_signs_in_through_the_provider_as_its_user_with_the_mapped_role(oauth_world,
                                                                          page):
    server, provider, db, _tokens = oauth_world
    job_id = int(JobRepository(db).page().rows["id"].iloc[-1])
    page.goto(f"{server.url}/jobs/{job_id}")
    # To the provider and back, then on the page asked for.
    page.wait_for_url(f"**/jobs/{job_id}")
    assert provider.calls[:3] == ["/authorize", "/token", "/userinfo"]
    wait_idle(page)
    page.locator(".dsa-field-niter input").wait_for()
    assert not page.locator(".dsa-rerun button").is_disabled(), "operator by the role table"
    page.locator(".dsa-sign-out").wait_for()
    # The endpoints know the same user: operator-only data is served to this browser...
    response = page.request.get(f"{server.url}/api/v1/jobs/{job_id}")
    assert response.status == 200
    # ...and not to a client without the sign-in.
    other = page.context.browser.new_context()
    try:
        assert other.request.get(f"{server.url}/api/v1/jobs/{job_id}").status == 401
    finally:
        other.close()


def test_api_tokens_keep_working_beside_the_provider(oauth_world):
    import urllib.request

    server, _provider, db, tokens = oauth_world
    token = tokens.create("script", Role.OPERATOR, created_by="test")
    request = urllib.request.Request(f"{server.url}/api/v1/queue",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200 and "by_type" in json.loads(response.read())
    status, _body = server.get("/api/v1/queue")
    assert status == 401
    status, _body = server.get("/api/v1/health")
    assert status == 200, "health stays public"


def test_a_viewer_by_the_role_table_gets_the_buttons_disabled(oauth_world, page):
    """The same flow for a user the role table does not name: a viewer."""
    server, provider, db, _tokens = oauth_world
    provider.user = {"email": "vera@example.org", "name": "Vera"}
    job_id = int(JobRepository(db).page().rows["id"].iloc[-1])
    page.goto(f"{server.url}/jobs/{job_id}")
    page.wait_for_url(f"**/jobs/{job_id}")
    wait_idle(page)
    page.locator(".dsa-blocked").get_by_text("Your role is viewer").wait_for()
    assert page.locator(".dsa-rerun button").is_disabled()
