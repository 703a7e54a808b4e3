"""Who may show the dashboard in a frame: ``Content-Security-Policy: frame-ancestors`` from
``DSA110_DASH_FRAME_ANCESTORS`` on every response, with the ``X-Frame-Options`` that says
the same to older browsers (``DENY`` for 'none', ``SAMEORIGIN`` for 'self'; a list of
origins has no X-Frame-Options equivalent, so only CSP speaks then).

A Tornado output transform, because the pages' handlers are Bokeh's and Panel's: it is
the one place that sees every response.
"""

from __future__ import annotations

from typing import ClassVar

from tornado.httputil import HTTPHeaders
from tornado.web import OutputTransform

_X_FRAME_OPTIONS = {"'none'": "DENY", "'self'": "SAMEORIGIN"}


class FrameHeaders(OutputTransform):
    frame_ancestors: ClassVar[str] = "'none'"

    def transform_first_chunk(self, status_code: int, headers: HTTPHeaders, chunk: bytes,
                              finishing: bool) -> tuple[int, HTTPHeaders, bytes]:
        if "Content-Security-Policy" not in headers:
            headers["Content-Security-Policy"] = f"frame-ancestors {self.frame_ancestors}"
        option = _X_FRAME_OPTIONS.get(self.frame_ancestors)
        if option and "X-Frame-Options" not in headers:
            headers["X-Frame-Options"] = option
        return status_code, headers, chunk


def frame_headers(frame_ancestors: str) -> type[OutputTransform]:
    """The transform class for one server's setting."""
    return type("BoundFrameHeaders", (FrameHeaders,), {"frame_ancestors": frame_ancestors})
