"""The access log (metrics.routes.log_function, Tornado's line for every request) never
holds the wall's token: ``/wall?token=T`` is logged with the value hidden."""

from __future__ import annotations

import logging
import types

from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine
from tornado.web import Application, RequestHandler

from dsa110_dashboard.metrics.instruments import DashboardMetrics
from dsa110_dashboard.metrics.routes import RouteNames, log_function

TOKEN = "a-long-wall-token-0123456789"


def finished(uri: str) -> RequestHandler:
    connection = types.SimpleNamespace(set_close_callback=lambda _callback: None,
                                       context=None)
    request = HTTPServerRequest(start_line=RequestStartLine("GET", uri, "HTTP/1.1"),
                                headers=HTTPHeaders({"Host": "wall.example.org"}),
                                connection=connection)
    request.remote_ip = "10.1.2.3"
    return RequestHandler(Application(), request)


def test_the_wall_token_is_not_logged(caplog):
    log = log_function(DashboardMetrics(), RouteNames(["/wall"]))
    with caplog.at_level(logging.INFO, logger="tornado.access"):
        log(finished(f"/wall?theme=dark&token={TOKEN}&rotate=20"))
        log(finished(f"/wall?TOKEN={TOKEN}"))
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert TOKEN not in text
    assert "/wall?theme=dark&token=(hidden)&rotate=20" in text, "the rest of the URL stays"
    assert len(caplog.records) == 2
