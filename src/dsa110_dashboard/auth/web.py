"""Sign-in on the web: the cookie, ``/login`` and ``/logout``, and the one check that
pages (through Bokeh's auth provider) and endpoints (``ApiHandler.prepare``) share.

The cookie (``dsa_session``) holds a session token, signed with
``DSA110_DASH_COOKIE_SECRET`` and stamped by Tornado; it is accepted while its stamp is
younger than the session lifetime *and* the store says the session is open. It is
``HttpOnly``, ``SameSite=Lax``, and ``Secure`` when the request came over HTTPS (directly,
or through a proxy that says so when ``DSA110_DASH_TRUST_PROXY_HEADERS`` is set).
"""

from __future__ import annotations

import asyncio
import logging
import math
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

import jinja2
from bokeh.server.auth_provider import AuthProvider
from tornado.web import RequestHandler

from ..errors import ConfigError, DashboardError
from ..settings import Settings
from .credentials import Credentials
from .store import Session, SessionStore
from .wall import WALL_VISITOR, WallAccess

log = logging.getLogger(__name__)

COOKIE = "dsa_session"
LOGIN_URL = "/login"
LOGOUT_URL = "/logout"
_USER_CHARS = 256
#: What ``/login?error=<code>`` says: fixed texts, so no one can put words on the form.
ERRORS = {"invalid": "Invalid username or password."}


def safe_next(raw: str | None) -> str:
    """Where to go after signing in: a path on this server, never another site."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return "/"
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in raw):
        return "/"
    return raw


class SignIn:
    """The sign-in of one server: credentials, the session store and the cookie rules."""

    def __init__(self, settings: Settings, store: SessionStore, credentials: Credentials,
                 login_template: Path):
        self.settings = settings
        self.store = store
        self.credentials = credentials
        env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
        self.template = env.from_string(login_template.read_text(encoding="utf-8"))

    @property
    def lifetime_days(self) -> float:
        return self.settings.session_hours / 24.0

    # --------------------------------------------------------------- the check
    async def session(self, handler: RequestHandler) -> Session | None:
        """The open session this request's cookie names, else None (blocking work off
        the event loop)."""
        token = self.token(handler)
        if token is None:
            return None
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, self.store.session, token)
        except DashboardError as exc:  # the store is unreachable: nobody is signed in
            log.warning("sign-in store unavailable: %s", exc.user_message)
            return None

    def token(self, handler: RequestHandler) -> str | None:
        raw = handler.get_signed_cookie(COOKIE, max_age_days=self.lifetime_days)
        if not raw:
            return None
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError:
            return None

    # -------------------------------------------------------------- the cookie
    def set_cookie(self, handler: RequestHandler, token: str) -> None:
        handler.set_signed_cookie(COOKIE, token, expires_days=self.lifetime_days,
                                  httponly=True, samesite="Lax",
                                  secure=handler.request.protocol == "https")

    def clear_cookie(self, handler: RequestHandler) -> None:
        handler.clear_cookie(COOKIE, httponly=True, samesite="Lax",
                             secure=handler.request.protocol == "https")

    def page(self, *, message: str = "", error: str = "", next_url: str = "/") -> str:
        return self.template.render(login_endpoint=LOGIN_URL, errormessage=error,
                                    message=message, next_url=next_url)


class _Handler(RequestHandler):
    sign_in: ClassVar[SignIn]

    def show(self, status: int, **kwargs: Any) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(self.sign_in.page(**kwargs))

    async def blocking(self, fn, *args):  # noqa: ANN001, ANN202 - a store method
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


class LoginHandler(_Handler):
    """``GET /login`` shows the form; ``POST /login`` checks it, at most
    ``sign_in_max_failures`` failures per address and per user name in the window (then
    429 with Retry-After). A wrong password redirects back to the form (303), which says
    so: a browser shows no error page and a reload does not post the password again."""

    def get(self) -> None:
        error = ERRORS.get(self.get_query_argument("error", ""), "")
        self.show(200, error=error, next_url=safe_next(self.get_query_argument("next", None)))

    async def post(self) -> None:
        sign_in = self.sign_in
        user = self.get_body_argument("username", "").strip()[:_USER_CHARS]
        password = self.get_body_argument("password", "")
        next_url = safe_next(self.get_body_argument("next", None))
        address = self.request.remote_ip or "unknown"
        try:
            wait = await self.blocking(sign_in.store.retry_after, address, user)
            if wait is not None:
                seconds = max(1, math.ceil(wait))
                self.set_header("Retry-After", str(seconds))
                log.info("sign-in refused for %r from %s: too many failures", user, address)
                self.show(429, next_url=next_url,
                          error=f"Too many failed sign-ins. Try again in {seconds} s.")
                return
            # Argon2 takes a good part of a second: never on the event loop.
            if not await self.blocking(sign_in.credentials.check, user, password):
                await self.blocking(sign_in.store.record_failure, address, user)
                log.info("failed sign-in for %r from %s", user, address)
                self.redirect(f"{LOGIN_URL}?{urlencode({'error': 'invalid', 'next': next_url})}",
                              status=303)
                return
            token = await self.blocking(sign_in.store.open, user, address,
                                        self.request.headers.get("User-Agent"))
        except (ConfigError, DashboardError) as exc:
            log.error("sign-in unavailable: %s", exc.user_message)
            self.show(503, next_url=next_url,
                      error="Sign-in is unavailable at the moment; the operators have "
                            "been told (see the server log).")
            return
        log.info("%r signed in from %s", user, address)
        sign_in.set_cookie(self, token)
        self.redirect(next_url)


class LogoutHandler(_Handler):
    """``GET``/``POST /logout``: ends the session on the server, then clears the cookie."""

    async def get(self) -> None:
        token = self.sign_in.token(self)
        if token is not None:
            try:
                await self.blocking(self.sign_in.store.revoke, token)
            except DashboardError as exc:
                log.error("sign-out could not reach the sign-in store: %s", exc.user_message)
                self.show(503, error="Signing out failed: the sign-in store is unavailable. "
                                     "Try again in a moment.")
                return
        self.sign_in.clear_cookie(self)
        self.show(200, message="You are signed out.")

    post = get


class SessionAuthProvider(AuthProvider):
    """Bokeh's hook: every page and its websocket need an open session; the wall
    display (``/wall`` and its websocket) also opens to what ``wall`` allows (decision
    0062)."""

    def __init__(self, sign_in: SignIn, wall: WallAccess | None = None):
        self.sign_in = sign_in
        self.wall = wall
        bound = {"sign_in": sign_in}
        self._login = type("BoundLoginHandler", (LoginHandler,), bound)
        self._logout = type("BoundLogoutHandler", (LogoutHandler,), bound)
        super().__init__()

    @property
    def get_user_async(self):  # noqa: ANN201 - Bokeh's hook
        async def get_user(handler: RequestHandler) -> str | None:
            session = await self.sign_in.session(handler)
            if session is not None:
                return session.user
            wall = self.wall
            if wall is not None and wall.is_wall_request(handler) and wall.allows(handler):
                return WALL_VISITOR
            return None

        return get_user

    @property
    def login_url(self) -> str:
        return LOGIN_URL

    @property
    def login_handler(self) -> type[RequestHandler]:
        return self._login

    @property
    def logout_url(self) -> str:
        return LOGOUT_URL

    @property
    def logout_handler(self) -> type[RequestHandler]:
        return self._logout
