"""Whether a request's client address lies in configured networks: the wall's exemption
(``DSA110_DASH_WALL_NETWORKS``) and who may scrape ``/metrics``
(``DSA110_DASH_METRICS_ALLOW``) ask the same question, one way.

The address is Tornado's ``remote_ip`` (the proxy's ``X-Forwarded-For`` only with
``DSA110_DASH_TRUST_PROXY_HEADERS``). On a dual-stack socket an IPv4 client arrives as
``::ffff:a.b.c.d``; it is compared as the IPv4 address the settings name. A request that
carries a forwarding header while those headers are not trusted came through a proxy
whose own address (often this machine, inside /metrics' default) is all Tornado knows:
it is never admitted by address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from tornado.httputil import HTTPServerRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: Headers a reverse proxy adds; their presence says ``remote_ip`` may be the proxy's.
FORWARDING_HEADERS = ("X-Forwarded-For", "X-Real-Ip", "Forwarded")


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(v, strict=False) for v in values)


def address_in(remote_ip: str | None, networks: Iterable[Network]) -> bool:
    """``remote_ip`` is in one of ``networks`` (False for no or an unreadable address)."""
    try:
        address = ipaddress.ip_address(remote_ip or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def client_in(request: HTTPServerRequest, networks: Iterable[Network],
              trust_proxy_headers: bool) -> bool:
    """The request's client is in one of ``networks``; never for a request forwarded by
    a proxy whose headers are not trusted (its address is the proxy's)."""
    if not trust_proxy_headers and any(h in request.headers for h in FORWARDING_HEADERS):
        return False
    return address_in(request.remote_ip, networks)
