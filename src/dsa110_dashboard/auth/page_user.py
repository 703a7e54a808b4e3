"""Who is signed in on a page's session.

Panel's ``pn.state.user`` reads a ``user`` cookie that only Panel's own auth providers set:
with an OAuth provider (``auth/oauth.py``) that is the user; our users-file sign-in
(``auth/web.py``) keeps a session token in its own signed cookie instead, so there
``pn.state.user`` is always None. A page that acts for the user asks here.
"""

from __future__ import annotations

from collections.abc import Mapping

from tornado.web import decode_signed_value

from ..errors import DashboardError
from .oauth import OAuthSignIn
from .web import COOKIE, SignIn

#: The name of a session whose sign-in cannot be read: a viewer by any role table.
NOBODY = ""


def page_user(sign_in: SignIn | None, cookies: Mapping[str, str] | None,
              oauth: OAuthSignIn | None) -> str | None:
    """The signed-in user's name; None when sign-in is off (open access); ``NOBODY``
    when it is on but the session cannot be read. Blocking (the session store).

    ``oauth`` has no default: a page that left it out would take an OAuth user for open
    access (``DSA110_DASH_OPEN_ACCESS_ROLE``, "anonymous" in the audit)."""
    if oauth is not None:
        return oauth.user_from_cookies(cookies) or NOBODY
    if sign_in is None:
        return None
    raw = (cookies or {}).get(COOKIE)
    secret = sign_in.settings.cookie_secret
    if not raw or not secret:
        return NOBODY
    token = decode_signed_value(secret, COOKIE, raw, max_age_days=sign_in.lifetime_days)
    if token is None:
        return NOBODY
    try:
        session = sign_in.store.session(token.decode("ascii", "replace"))
    except DashboardError:
        return NOBODY
    return NOBODY if session is None else session.user
