"""The one place where an endpoint's errors become HTTP responses.

Expected errors (``DashboardError``) become their status and a JSON body naming the
problem; anything else is logged with its traceback and becomes a plain 500, so the
server keeps serving. Who asks is an ``Identity`` (decision 0047): an API token
(``Authorization: Bearer``, from the sign-in store) on any endpoint, else the sign-in
session (``auth.web``), else, with sign-in off, open access. With sign-in on, every
endpoint but the public ones needs a session or a token; whoever has neither sees server
paths in messages relative to their data root (``files.DataRoots.scrub``).

Also what every endpoint shares about capacity (``capacity``, decision 0022): blocking
work on the interactive pool, streamed responses written one chunk at a time and a
client that takes no chunk within ``timeouts.slow_client`` dropped; and HEAD, answered
like GET without the body.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from tornado.iostream import StreamClosedError
from tornado.web import Finish, RequestHandler

from ..auth.identity import OPEN, SESSION, TOKEN, WALL, Identity
from ..auth.roles import Role, role_of
from ..auth.wall import WALL_VISITOR
from ..auth.store import Session
from ..context import AppContext
from ..errors import (
    DashboardError,
    InvalidInputError,
    NotAuthenticatedError,
    NotConfiguredError,
    RequestTooLargeError,
)
from .capacity import Capacity
from .spec import Op, Query, operations_of, parse_query

log = logging.getLogger(__name__)
T = TypeVar("T")

#: The longest URL an endpoint takes (413 beyond): well below Tornado's 64 KiB header
#: limit, past which the connection would be closed without an answer.
MAX_URL_CHARS = 16 * 1024
#: Envelope codes of errors that Tornado raises itself (no route, wrong method, a crash).
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
              413: "request_too_large", 500: "internal_error"}


def error_envelope(code: str, message: str, details: dict[str, Any] | None = None) -> dict:
    """The one shape of every API error body: a stable code, a sentence for a person, and
    what a program needs to act on it (``details.parameter`` names a bad parameter)."""
    return {"error": code, "message": message, "details": details or {}}


class ApiHandler(RequestHandler):
    """Base of every JSON endpoint: context injection, off-loop work, error mapping."""

    ctx: AppContext
    capacity: Capacity

    #: Endpoints that answer without sign-in (monitoring probes).
    public = False
    #: Endpoints the wall display needs (its thumbnails): they answer whoever may see the
    #: wall without sign-in (``auth.wall``, decision 0062), as a viewer.
    wall_readable = False
    #: The open session of this request; None when not signed in or sign-in is off.
    session: Session | None = None
    #: Who asks (token, session or open access); None when nobody is signed in.
    identity: Identity | None = None
    #: What each method takes and answers (``spec.Op``); every handler declares its own.
    operations: dict[str, Op] = {}
    #: The query string as the operation's ``Op.query`` model (validated in prepare).
    query: Query | None = None

    def initialize(self, ctx: AppContext, capacity: Capacity, route: str | None = None
                   ) -> None:
        self.ctx = ctx
        self.capacity = capacity
        #: The route pattern's name, the latency histogram's label (metrics.routes).
        self.route = route
        self.client_gone = False

    async def prepare(self) -> None:
        settings = self.ctx.settings
        self._check_size(settings.request_max_bytes)
        header = self.request.headers.get("Authorization")
        if header is not None:
            try:
                self.identity = await self._token_identity(header)
            except NotAuthenticatedError:
                if not self.public:  # a probe's stray header does not fail the probe
                    raise
        elif self.ctx.sign_in is not None:
            # The pages' session guards the endpoints too: one check, one lifetime.
            self.session = await self.ctx.sign_in.session(self)
            if self.session is not None:
                self.identity = Identity(self.session.user,
                                         role_of(self.session.user, settings), SESSION)
        elif self.ctx.oauth is not None:
            # The provider's sign-in (Panel's signed cookie) names the user the same way.
            user = self.ctx.oauth.user(self)
            if user is not None:
                self.identity = Identity(user, role_of(user, settings), SESSION)
        if self.identity is None and not self.ctx.signs_in:
            self.identity = Identity(None, role_of(None, settings), OPEN)
        if (self.identity is None and self.wall_readable and self.ctx.wall is not None
                and self.ctx.wall.allows(self)):
            self.identity = Identity(WALL_VISITOR, Role.VIEWER, WALL)
        if self.identity is None and not self.public:
            raise NotAuthenticatedError("sign in at /login first, or send an API token "
                                        "(Authorization: Bearer)")
        op = self.operation
        if op is not None and op.query is not None:
            self.query = parse_query(op.query, self.request.query_arguments)
        if op is not None and op.heavy:
            self.capacity.heavy.check(self.client_key(), op.heavy)

    @property
    def operation(self) -> Op | None:
        """The declaration of this request's method (HEAD: GET's)."""
        method = self.request.method.lower()
        return operations_of(type(self)).get("get" if method == "head" else method)

    def client_key(self) -> str:
        """Whom a rate limit counts: the token's holder, else the client address."""
        if self.identity is not None and self.identity.via == TOKEN:
            return f"token:{self.identity.name}"
        return self.request.remote_ip or "unknown"

    def _check_size(self, limit: int) -> None:
        if len(self.request.uri or "") > MAX_URL_CHARS:
            raise RequestTooLargeError(f"the URL is longer than {MAX_URL_CHARS:,} "
                                       "characters", parameter="url")
        length = self.request.headers.get("Content-Length", "")
        if len(self.request.body or b"") > limit or (length.isdigit() and int(length) > limit):
            raise RequestTooLargeError(f"the request's body is larger than {limit:,} bytes "
                                       "(DSA110_DASH_REQUEST_MAX_BYTES)", parameter="body")

    async def _token_identity(self, header: str) -> Identity:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticatedError("the Authorization header must be "
                                        "'Bearer <token>'")
        if self.ctx.tokens is None:
            raise NotConfiguredError("API tokens are unavailable: the sign-in store "
                                     "(DSA110_DASH_AUTH_DB) could not be opened at start-up "
                                     "(see the server log)")
        holder = await self.blocking(self.ctx.tokens.holder, token.strip())
        if holder is None:
            raise NotAuthenticatedError("the API token is unknown or has been revoked")
        return Identity(holder.name, holder.role, TOKEN)

    @property
    def authenticated(self) -> bool:
        """Signed in or holding a token (open access is not)."""
        return self.identity is not None and self.identity.authenticated

    def shown_text(self, text: str) -> str:
        """``text`` as this request may read it: server paths only for a signed-in user
        or a token holder."""
        return text if self.authenticated else self.ctx.roots.scrub(text)

    async def head(self, *args: str) -> None:
        # GET's status and headers; Tornado drops the body of a HEAD, and the streaming
        # endpoints stop after their headers (headers_only).
        await self.get(*args)  # type: ignore[attr-defined]

    async def blocking(self, fn: Callable[..., T], *args: Any,
                       timeout: float | None = None) -> T:
        """Run database or file work on the interactive pool, never on the event loop."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.capacity.interactive, fn, *args)
        if timeout is None:
            return await future
        return await asyncio.wait_for(future, timeout)

    async def stream_work(self, fn: Callable[..., T], *args: Any) -> T:
        """Read the next chunk of a streamed response on the stream pool (inside
        ``capacity.stream_slot``)."""
        return await asyncio.get_running_loop().run_in_executor(self.capacity.stream,
                                                                fn, *args)

    async def headers_only(self) -> bool:
        """For HEAD: send the headers set so far and finish; False for any other method.

        Flushing first keeps GET's headers: ``finish`` would add a Content-Length of the
        empty body to a response that streams without one.
        """
        if self.request.method != "HEAD":
            return False
        await self.flush()
        self.finish()
        return True

    async def send_chunk(self, chunk: str | bytes) -> bool:
        """Write one chunk and wait until the client has taken it.

        False when the client went away, or took nothing for ``timeouts.slow_client``
        seconds: then the connection is dropped (one log line) and the caller stops.
        """
        if self.client_gone:
            return False
        self.write(chunk)
        timeout = self.ctx.settings.timeouts.slow_client
        flushed = self.flush()
        try:
            # shield: cancelling Tornado's write future would leave its stream inconsistent
            await asyncio.wait_for(asyncio.shield(flushed), timeout)
        except StreamClosedError:
            return False
        except asyncio.TimeoutError:
            log.warning("%s %s (%s): dropped the connection, the client took no data for "
                        "%g s (DSA110_DASH_TIMEOUT_SLOW_CLIENT)", self.request.method,
                        self.request.uri, self.request.remote_ip, timeout)
            self.request.connection.close()
            return False
        return not self.client_gone

    def on_connection_close(self) -> None:
        self.client_gone = True
        super().on_connection_close()

    def write_json(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(payload, default=str, allow_nan=False))

    def argument(self, name: str, parse: Callable[[str], T], default: T) -> T:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            return parse(raw)
        except ValueError:
            raise InvalidInputError(f"invalid value {raw!r} for {name}",
                                    parameter=name) from None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        exc = exc_info[1] if exc_info else None
        if isinstance(exc, DashboardError):
            if isinstance(exc, NotAuthenticatedError):
                self.set_header("WWW-Authenticate", 'Bearer realm="dsa110-dash"')
            if exc.retry_after:
                self.set_header("Retry-After", str(exc.retry_after))
            details: dict[str, Any] = {"title": exc.title}
            if getattr(exc, "parameter", None):
                details["parameter"] = exc.parameter
            self.write_json(error_envelope(exc.code, self.shown_text(exc.user_message),
                                           details), exc.http_status)
            return
        code = HTTP_CODES.get(status_code, "http_error")
        self.write_json(error_envelope(code, self._reason, {"status": status_code}),
                        status_code)

    def log_exception(self, typ, value, tb) -> None:  # noqa: ANN001 - tornado's signature
        if isinstance(value, DashboardError):
            log.info("%s %s -> %s: %s", self.request.method, self.request.uri,
                     value.http_status, value.user_message)
            return
        super().log_exception(typ, value, tb)

    def _handle_request_exception(self, e: BaseException) -> None:
        if self._headers_written and not self._finished and not isinstance(e, Finish):
            # Part of a streamed body is out: a clean end would pass it off as whole.
            what = f"{self.request.method} {self.request.uri}: broke off the response"
            if isinstance(e, DashboardError):
                log.warning("%s after it started: %s", what, e.user_message)
            else:
                log.error("%s after it started", what, exc_info=e)
            self.request.connection.close()
            return
        if isinstance(e, DashboardError) and not self._finished:
            self.log_exception(type(e), e, e.__traceback__)
            self.send_error(e.http_status, exc_info=(type(e), e, e.__traceback__))
            return
        super()._handle_request_exception(e)
