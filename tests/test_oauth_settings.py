"""OAuth sign-in settings (decision 0063): a missing or wrong one stops start-up with a
message naming the variable; good ones become Panel's options."""

from __future__ import annotations

import json

import pytest

from dsa110_dashboard.auth.oauth import oauth_sign_in
from dsa110_dashboard.errors import ConfigError
from dsa110_dashboard.settings import Settings

URLS = {"AUTHORIZE_URL": "https://idp.example.org/authorize",
        "TOKEN_URL": "https://idp.example.org/token",
        "USER_URL": "https://idp.example.org/userinfo"}
GOOD = {"DSA110_DASH_OAUTH_PROVIDER": "generic", "DSA110_DASH_OAUTH_KEY": "client",
        "DSA110_DASH_OAUTH_SECRET": "secret", "DSA110_DASH_COOKIE_SECRET": "c" * 40,
        "DSA110_DASH_OAUTH_EXTRA_PARAMS": json.dumps(URLS)}


def load(**env: str | None) -> Settings:
    merged = {k: v for k, v in {**GOOD, **env}.items() if v is not None}
    return Settings.load(environ=merged)


def test_unset_provider_means_no_oauth():
    assert oauth_sign_in(Settings.load(environ={})) is None


def test_good_settings_become_panels_options():
    oauth = oauth_sign_in(load(DSA110_DASH_OAUTH_REDIRECT_URI="https://dash.example.org/login",
                               DSA110_DASH_SESSION_HOURS="6"))
    options = oauth.serve_options()
    assert options["oauth_provider"] == "generic" and options["oauth_key"] == "client"
    assert options["oauth_secret"] == "secret" and options["cookie_secret"] == "c" * 40
    assert options["oauth_extra_params"] == URLS
    assert options["oauth_redirect_uri"] == "https://dash.example.org/login"
    assert oauth.lifetime_days == 0.25


def test_the_secret_may_come_from_a_file(tmp_path):
    path = tmp_path / "oauth-secret"
    path.write_text("from-file\n")
    oauth = oauth_sign_in(load(DSA110_DASH_OAUTH_SECRET=None,
                               DSA110_DASH_OAUTH_SECRET_FILE=str(path)))
    assert oauth.secret == "from-file"
    with pytest.raises(ConfigError, match="DSA110_DASH_OAUTH_SECRET_FILE: .*not both"):
        oauth_sign_in(load(DSA110_DASH_OAUTH_SECRET_FILE=str(path)))
    path.write_text("\n")
    with pytest.raises(ConfigError, match="DSA110_DASH_OAUTH_SECRET_FILE: .* is empty"):
        oauth_sign_in(load(DSA110_DASH_OAUTH_SECRET=None,
                           DSA110_DASH_OAUTH_SECRET_FILE=str(path)))


@pytest.mark.parametrize("env, named", [
    ({"DSA110_DASH_OAUTH_PROVIDER": "myspace"}, "DSA110_DASH_OAUTH_PROVIDER: 'myspace'"),
    ({"DSA110_DASH_OAUTH_PROVIDER": "password"}, "DSA110_DASH_OAUTH_PROVIDER"),
    ({"DSA110_DASH_OAUTH_KEY": None}, "DSA110_DASH_OAUTH_KEY"),
    ({"DSA110_DASH_OAUTH_SECRET": None}, "DSA110_DASH_OAUTH_SECRET"),
    ({"DSA110_DASH_COOKIE_SECRET": None}, "DSA110_DASH_COOKIE_SECRET"),
    ({"DSA110_DASH_OAUTH_EXTRA_PARAMS": None}, "AUTHORIZE_URL and TOKEN_URL"),
    ({"DSA110_DASH_OAUTH_EXTRA_PARAMS": json.dumps({**URLS, "TOKEN_URL": "ftp://x"})},
     "DSA110_DASH_OAUTH_EXTRA_PARAMS: TOKEN_URL must be an http"),
    ({"DSA110_DASH_OAUTH_REDIRECT_URI": "dash.example.org/login"},
     "DSA110_DASH_OAUTH_REDIRECT_URI"),
    ({"DSA110_DASH_OAUTH_ENCRYPTION_KEY": "too-short"}, "DSA110_DASH_OAUTH_ENCRYPTION_KEY"),
    ({"DSA110_DASH_BASIC_AUTH": "users.json"}, "unset DSA110_DASH_BASIC_AUTH"),
])
def test_a_missing_or_wrong_setting_is_named(env, named):
    with pytest.raises(ConfigError) as info:
        oauth_sign_in(load(**env))
    assert named in str(info.value)


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]"])
def test_extra_params_must_be_a_json_object(raw):
    with pytest.raises(ConfigError, match="DSA110_DASH_OAUTH_EXTRA_PARAMS"):
        load(DSA110_DASH_OAUTH_EXTRA_PARAMS=raw)


def test_other_providers_need_no_urls():
    oauth = oauth_sign_in(load(DSA110_DASH_OAUTH_PROVIDER="GitHub",
                               DSA110_DASH_OAUTH_EXTRA_PARAMS=None))
    assert oauth.provider == "github" and oauth.extra_params == {}


def test_the_server_refuses_to_start_naming_the_setting(tmp_path):
    """The composition root checks before serving anything."""
    from server import ROOT

    from dsa110_dashboard.cli.serve_cmd import load_app

    app = load_app(ROOT / "app.py")
    with pytest.raises(ConfigError, match="DSA110_DASH_OAUTH_KEY"):
        app.build_context(load(DSA110_DASH_OAUTH_KEY=None,
                               DSA110_DASH_DATA_DIR=str(tmp_path)))
