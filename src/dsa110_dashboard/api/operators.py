"""What the jobs, queue and batch endpoints share: who may act, XSRF, JSON bodies and
JSON rows (decision 0047).

A request that changes something (POST) needs an identity whose role the service then
checks (operator and up; a viewer's attempt is refused 403 and audited): without any
identity it is a 401. Unless it came with an API token, it also needs Tornado's XSRF
token (the ``_xsrf`` cookie that every GET of these endpoints sets, echoed in an
``X-XSRFToken`` header), because a browser sends the session cookie, or reaches an
open-access server, on its own. A body must be JSON sent as ``application/json``, which
a cross-site form cannot send without the browser asking first.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd
from tornado.web import HTTPError

from ..auth.identity import TOKEN
from ..auth.roles import Role
from ..errors import (
    InvalidInputError,
    NotAuthenticatedError,
    RequestTooLargeError,
    XsrfError,
)
from ..jobs.audit import Actor
from ..repositories.paging import PageRequest
from .base import ApiHandler

MAX_BODY_BYTES = 64 * 1024


def largest_body(settings) -> int:  # noqa: ANN001 - Settings
    """The most of a request body the HTTP server reads (Tornado's ``max_body_size``;
    its own default is 100 MB): twice the largest body an endpoint takes, so a body a
    little too large still gets the 413 that names DSA110_DASH_REQUEST_MAX_BYTES, and a
    larger one is refused from its Content-Length, unread (decision 0077). Page and
    sign-in forms are far smaller; Bokeh's messages travel on the websocket, which has
    its own limit."""
    return 2 * max(settings.request_max_bytes, MAX_BODY_BYTES)


class OperatorApiHandler(ApiHandler):
    async def prepare(self) -> None:
        await super().prepare()
        if self.request.method == "POST":
            self._check_may_act()
        elif self.identity is not None and self.identity.via != TOKEN:
            self.xsrf_token  # noqa: B018 - sets the _xsrf cookie a later POST echoes

    def _check_may_act(self) -> None:
        identity = self.identity
        if identity is None or (not identity.authenticated and identity.role < Role.OPERATOR):
            raise NotAuthenticatedError(
                "operator actions need an operator's sign-in (/login) or API token "
                "(Authorization: Bearer)")
        if identity.via != TOKEN:
            try:
                self.check_xsrf_cookie()
            except HTTPError as exc:
                raise XsrfError(
                    f"{exc.log_message}: send the _xsrf cookie's value (set by any GET of "
                    "/api/v1/jobs) in an X-XSRFToken header, or use an API token") from None

    def actor(self) -> Actor:
        identity = self.identity
        return Actor(identity.actor_name, self.request.remote_ip, identity.role)

    def json_body(self, allowed: tuple[str, ...]) -> dict[str, Any]:
        """The request's JSON object (``{}`` when empty), with only ``allowed`` keys."""
        raw = self.request.body or b""
        if not raw.strip():
            return {}
        if len(raw) > MAX_BODY_BYTES:
            raise RequestTooLargeError(f"the body is larger than {MAX_BODY_BYTES} bytes",
                                       parameter="body")
        kind = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise InvalidInputError("send the body as JSON with Content-Type: "
                                    f"application/json (not {kind or 'none'!r})",
                                    parameter="Content-Type")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidInputError(f"the body is not JSON ({exc})", parameter="body") \
                from None
        except RecursionError:
            # A few kilobytes of '[' nest deeper than Python's decoder recurses: a hostile
            # or broken body, not a server fault (it was a 500).
            raise InvalidInputError("the body's JSON is nested too deeply",
                                    parameter="body") from None
        if not isinstance(body, dict):
            raise InvalidInputError("the body must be a JSON object", parameter="body")
        unknown = sorted(set(body) - set(allowed))
        if unknown:
            raise InvalidInputError(f"unknown field {unknown[0]!r} in the body; the fields "
                                    f"are: {', '.join(allowed)}", parameter=unknown[0])
        return body

    def page_request(self, sort: str | None = None) -> PageRequest:
        arg = self.get_query_argument
        return PageRequest.parse(offset=arg("offset", None), limit=arg("limit", None),
                                 sort=arg("sort", sort), order=arg("order", None),
                                 max_limit=self.ctx.settings.page_size_max)

    def listed(self, name: str, choices: tuple[str, ...] | None = None,
               max_chars: int = 200) -> tuple[str, ...] | None:
        """A filter given repeatedly or comma-separated; each value checked."""
        values = [v.strip() for raw in self.get_query_arguments(name)
                  for v in raw.split(",") if v.strip()]
        for value in values:
            if len(value) > max_chars or (choices is not None and value not in choices):
                hint = f"; one of: {', '.join(choices)}" if choices else ""
                raise InvalidInputError(f"invalid value {value[:60]!r} for {name}{hint}",
                                        parameter=name)
        return tuple(values) or None

    def shown_paths(self, value: Any) -> Any:
        """``value`` with every string as this caller may read it (server paths scrubbed
        for anyone not signed in), through lists and dicts."""
        if isinstance(value, str):
            return self.shown_text(value)
        if isinstance(value, list | tuple):
            return [self.shown_paths(v) for v in value]
        if isinstance(value, dict):
            return {k: self.shown_paths(v) for k, v in value.items()}
        return value


def plain(value: Any) -> Any:
    """A JSON-safe value, through lists and dicts: NaN, infinities and NaT become null
    (the pipeline's JSON may hold a bare NaN), numpy scalars plain numbers."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: plain(v) for k, v in r.items()} for r in frame.to_dict("records")]


def page_json(page, request: PageRequest, key: str, items: list) -> dict[str, Any]:  # noqa: ANN001
    return {"total": page.total, "offset": page.offset, "limit": page.limit,
            "sort": request.sort, "order": "desc" if request.descending else "asc",
            key: items}
