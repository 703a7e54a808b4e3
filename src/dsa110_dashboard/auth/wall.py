"""Who may see the wall display (``/wall``) without signing in (decision 0062).

With sign-in on, a control-room screen that nobody touches cannot type a password. Two
settings open the wall, and only the wall, to it:

- ``DSA110_DASH_WALL_NETWORKS``: browsers whose address (the proxy's ``X-Forwarded-For``
  only with ``DSA110_DASH_TRUST_PROXY_HEADERS``) is in one of these ranges;
- ``DSA110_DASH_WALL_TOKEN_SHA256``: the hash of a read-only token. ``/wall?token=T``
  with the right token is answered with a redirect to ``/wall`` (its other parameters
  kept) that sets the ``dsa_wall`` cookie (signed with the cookie secret, ``HttpOnly``,
  ``SameSite=Lax``, renewed at every visit), which then opens the wall without the token:
  the token leaves the address bar and the browser's history at once.

"The wall" is the page ``/wall``, its websocket ``/wall/ws``, the thumbnails it shows and
the dashboard's own static files under ``/assets/`` (its stylesheet and script: Panel
serves them to a signed-in session only); Bokeh's and Panel's scripts and
``/api/v1/health`` need no sign-in anyway. Nothing else: every other page and endpoint
still asks for a session, and the wall holds no operator control.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import urllib.parse

from tornado.web import Finish, RequestHandler

from ..settings import Settings
from .networks import client_in, parse_networks

log = logging.getLogger(__name__)

COOKIE = "dsa_wall"
#: The paths of the wall page and of its websocket (Bokeh's ``<page>/ws``).
WALL_PATHS = ("/wall", "/wall/ws")
#: The static files every page loads (app.py's ``static_dirs``: CSS, logo, one script).
WALL_ASSETS = "/assets/"
#: The name a wall-only visitor has on the wall's session (never a user's name: it
#: holds a character that user names from the users file cannot).
WALL_VISITOR = "(wall display)"
#: A cookie unused for this long is refused; every visit renews it.
COOKIE_DAYS = 30
_TOKEN_CHARS = 512


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class WallAccess:
    """The wall's exemption from sign-in, from the settings; ``open`` when no exemption
    is configured (then the wall needs sign-in like every page)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.networks = parse_networks(settings.wall_networks)
        self.token_sha256 = settings.wall_token_sha256

    @property
    def configured(self) -> bool:
        return bool(self.networks or self.token_sha256)

    def _cookie_value(self) -> str:
        # A changed token invalidates every cookie made for the old one.
        return "wall:" + hashlib.sha256(f"wall-cookie:{self.token_sha256}".encode()
                                        ).hexdigest()[:32]

    def from_network(self, handler: RequestHandler) -> bool:
        return client_in(handler.request, self.networks,
                         self.settings.trust_proxy_headers)

    def from_cookie(self, handler: RequestHandler) -> bool:
        if not self.token_sha256 or not self.settings.cookie_secret:
            return False
        raw = handler.get_signed_cookie(COOKIE, max_age_days=COOKIE_DAYS)
        return raw is not None and hmac.compare_digest(raw, self._cookie_value().encode())

    def from_token(self, handler: RequestHandler) -> bool:
        """``?token=`` on the wall page itself (not on its websocket or an endpoint)."""
        if not self.token_sha256 or handler.request.path != WALL_PATHS[0]:
            return False
        token = handler.get_query_argument("token", "")[:_TOKEN_CHARS]
        return bool(token) and hmac.compare_digest(token_hash(token), self.token_sha256)

    def allows(self, handler: RequestHandler) -> bool:
        """Whether this request may see the wall without a sign-in session. On the wall
        page, a right token or a valid cookie (re)sets the cookie; a right token ends
        the request with the redirect that drops it (``tornado.web.Finish``)."""
        if not self.configured:
            return False
        by_token = self.from_token(handler)
        by_cookie = not by_token and self.from_cookie(handler)
        if (by_token or by_cookie) and handler.request.path == WALL_PATHS[0]:
            handler.set_signed_cookie(COOKIE, self._cookie_value(), expires_days=COOKIE_DAYS,
                                      httponly=True, samesite="Lax",
                                      secure=handler.request.protocol == "https")
        if by_token:
            log.info("wall display opened with the wall token from %s",
                     handler.request.remote_ip)
            self._drop_token(handler)
        return by_token or by_cookie or self.from_network(handler)

    @staticmethod
    def _drop_token(handler: RequestHandler) -> None:
        kept = [(k, v) for k, v in urllib.parse.parse_qsl(handler.request.query,
                                                           keep_blank_values=True)
                if k != "token"]
        query = urllib.parse.urlencode(kept)
        # Relative ("wall", not "/wall"), so a proxy serving the dashboard under a path
        # prefix keeps it. Tornado finishes the answer when Finish reaches it.
        handler.set_status(302)
        handler.set_header("Location", "wall" + (f"?{query}" if query else ""))
        handler.set_header("Cache-Control", "no-store")
        raise Finish()

    @staticmethod
    def is_wall_request(handler: RequestHandler) -> bool:
        path = handler.request.path
        return path in WALL_PATHS or path.startswith(WALL_ASSETS)
