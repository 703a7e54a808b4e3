"""The one place where an endpoint's errors become HTTP responses.

Expected errors (``DashboardError``) become their status and a JSON body naming the
problem; anything else is logged with its traceback and becomes a plain 500, so the
server keeps serving. With sign-in on, every endpoint but the public ones needs an open
session (``auth.web``); whoever has none sees server paths in messages relative to
their data root (``files.DataRoots.scrub``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from tornado.web import RequestHandler

from ..auth.store import Session
from ..context import AppContext
from ..errors import DashboardError, InvalidInputError, NotAuthenticatedError

log = logging.getLogger(__name__)
T = TypeVar("T")


class ApiHandler(RequestHandler):
    """Base of every JSON endpoint: context injection, off-loop work, error mapping."""

    ctx: AppContext

    #: Endpoints that answer without sign-in (monitoring probes).
    public = False
    #: The open session of this request; None when not signed in or sign-in is off.
    session: Session | None = None

    def initialize(self, ctx: AppContext) -> None:
        self.ctx = ctx

    async def prepare(self) -> None:
        # The pages' session guards the endpoints too: one check, one lifetime.
        if self.ctx.sign_in is not None:
            self.session = await self.ctx.sign_in.session(self)
        if self.ctx.settings.basic_auth and self.session is None and not self.public:
            raise NotAuthenticatedError("sign in at /login first")

    def shown_text(self, text: str) -> str:
        """``text`` as this request may read it: server paths only for a signed-in user."""
        return text if self.session is not None else self.ctx.roots.scrub(text)

    async def blocking(self, fn: Callable[..., T], *args: Any,
                       timeout: float | None = None) -> T:
        """Run database or file work in a worker thread, never on the event loop."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(None, fn, *args)
        if timeout is None:
            return await future
        return await asyncio.wait_for(future, timeout)

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
            body = {"error": exc.title, "detail": self.shown_text(exc.user_message)}
            if getattr(exc, "parameter", None):
                body["parameter"] = exc.parameter
            self.write_json(body, exc.http_status)
            return
        self.write_json({"error": self._reason, "status": status_code}, status_code)

    def log_exception(self, typ, value, tb) -> None:  # noqa: ANN001 - tornado's signature
        if isinstance(value, DashboardError):
            log.info("%s %s -> %s: %s", self.request.method, self.request.uri,
                     value.http_status, value.user_message)
            return
        super().log_exception(typ, value, tb)

    def _handle_request_exception(self, e: BaseException) -> None:
        if isinstance(e, DashboardError) and not self._finished:
            self.log_exception(type(e), e, e.__traceback__)
            self.send_error(e.http_status, exc_info=(type(e), e, e.__traceback__))
            return
        super()._handle_request_exception(e)
