"""With OAuth sign-in, a page's user is the provider's (Panel's signed ``user`` cookie),
never open access: the health page's cache clearing, the image page's and the QA page's
flags and the job page's actions all ask ``page_user`` with the OAuth sign-in. Before,
three of them left it out and took an OAuth user for an open-access visitor (the
DSA110_DASH_OPEN_ACCESS_ROLE role, "anonymous" in the audit)."""

from __future__ import annotations

import ast
from pathlib import Path

from tornado.web import create_signed_value

from dsa110_dashboard.auth.oauth import USER_COOKIE, oauth_sign_in
from dsa110_dashboard.auth.page_user import NOBODY, page_user
from dsa110_dashboard.settings import Settings

SECRET = "c" * 40
DASHBOARDS = Path(__file__).resolve().parents[1] / "dashboards"


def oauth():
    return oauth_sign_in(Settings.load(environ={
        "DSA110_DASH_OAUTH_PROVIDER": "github", "DSA110_DASH_OAUTH_KEY": "client",
        "DSA110_DASH_OAUTH_SECRET": "s3cret", "DSA110_DASH_COOKIE_SECRET": SECRET}))


def test_the_oauth_user_is_the_page_user():
    signed = create_signed_value(SECRET, USER_COOKIE, "ada").decode()
    assert page_user(None, {USER_COOKIE: signed}, oauth()) == "ada"
    assert page_user(None, {}, oauth()) == NOBODY, "signed out: nobody, not open access"
    forged = create_signed_value("x" * 40, USER_COOKIE, "ada").decode()
    assert page_user(None, {USER_COOKIE: forged}, oauth()) == NOBODY
    assert page_user(None, {USER_COOKIE: signed}, None) is None, "sign-in off"


def test_every_page_passes_the_oauth_sign_in():
    calls = []
    for path in sorted(DASHBOARDS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "page_user"):
                calls.append((path.name, ast.unparse(node)))
    assert len(calls) >= 4, calls
    for name, call in calls:
        assert call.endswith("ctx.oauth)"), f"{name}: {call} leaves out the OAuth sign-in"
