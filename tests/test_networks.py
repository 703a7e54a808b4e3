"""One reading of a client's address against configured networks, shared by the wall's
exemption and /metrics: an IPv4 client on a dual-stack socket (``::ffff:a.b.c.d``)
counts as its IPv4 address for both; a request forwarded by a proxy whose headers are not
trusted is never admitted by its (the proxy's) address."""

from __future__ import annotations

import types

from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine
from tornado.web import Application

from dsa110_dashboard.api.metrics import MetricsHandler
from dsa110_dashboard.auth.networks import address_in, parse_networks
from dsa110_dashboard.auth.wall import WallAccess
from dsa110_dashboard.settings import Settings


def test_address_in():
    nets = parse_networks(["127.0.0.0/8", "::1/128", "10.1.2.0/24"])
    assert address_in("127.0.0.1", nets) and address_in("::1", nets)
    assert address_in("::ffff:127.0.0.1", nets), "IPv4 mapped into IPv6"
    assert address_in("::ffff:10.1.2.9", nets)
    assert not address_in("10.1.3.1", nets) and not address_in("2001:db8::1", nets)
    assert not address_in(None, nets) and not address_in("not-an-address", nets)
    assert not address_in("127.0.0.1", ())


def request(path: str, ip: str, headers: dict[str, str] | None = None) -> HTTPServerRequest:
    connection = types.SimpleNamespace(set_close_callback=lambda _callback: None,
                                       context=None)
    made = HTTPServerRequest(start_line=RequestStartLine("GET", path, "HTTP/1.1"),
                             headers=HTTPHeaders({"Host": "dash", **(headers or {})}),
                             connection=connection)
    made.remote_ip = ip
    return made


def metrics_handler(ip: str, headers: dict[str, str] | None = None,
                    **env: str) -> MetricsHandler:
    ctx = types.SimpleNamespace(settings=Settings.load(environ=env))
    return MetricsHandler(Application(), request("/metrics", ip, headers), ctx=ctx,
                          capacity=None)


def test_metrics_default_allows_this_machine_on_a_dual_stack_socket():
    assert metrics_handler("127.0.0.1").allowed_address()
    assert metrics_handler("::ffff:127.0.0.1").allowed_address()
    assert not metrics_handler("::ffff:192.0.2.7").allowed_address()
    custom = {"DSA110_DASH_METRICS_ALLOW": "192.0.2.0/24"}
    assert metrics_handler("::ffff:192.0.2.7", **custom).allowed_address()


def test_a_proxy_on_this_machine_does_not_open_metrics_to_everyone():
    # nginx on the same host, DSA110_DASH_TRUST_PROXY_HEADERS left off: Tornado sees
    # 127.0.0.1 for every outside client.
    for header in ("X-Forwarded-For", "X-Real-Ip", "Forwarded"):
        forwarded = {header: "203.0.113.5"}
        assert not metrics_handler("127.0.0.1", forwarded).allowed_address(), header
    # Trusted, Tornado has already taken the client's address from the header.
    trusted = {"DSA110_DASH_TRUST_PROXY_HEADERS": "true"}
    assert metrics_handler("127.0.0.1", {"X-Forwarded-For": "127.0.0.1"},
                           **trusted).allowed_address()


def test_nor_the_wall_to_a_proxied_client():
    wall = WallAccess(Settings.load(environ={"DSA110_DASH_WALL_NETWORKS": "10.1.2.0/24"}))
    handler = types.SimpleNamespace(request=request("/wall", "10.1.2.1",
                                                    {"X-Forwarded-For": "203.0.113.5"}))
    assert not wall.from_network(handler)
    handler = types.SimpleNamespace(request=request("/wall", "10.1.2.1"))
    assert wall.from_network(handler)
