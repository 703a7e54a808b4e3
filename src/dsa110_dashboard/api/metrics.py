"""``GET /metrics``: Prometheus's text format from ``prometheus_client`` (decision 0064).

Who may scrape: an address in ``DSA110_DASH_METRICS_ALLOW`` (by default this machine),
or anyone with an API token of any role (``Authorization: Bearer``, Prometheus's
``authorization.credentials_file``) or a signed-in session. Everyone else gets 403 (no
figures, whatever the sign-in setting: the counts and queue say how the pipeline is
doing). The database figures are read at most once per
``DSA110_DASH_METRICS_CACHE_SECONDS`` (``metrics.figures``), off the event loop. The
open sessions are those the /health page shows (``views.sessions``, wired by app.py).
"""

from __future__ import annotations

from prometheus_client.exposition import CONTENT_TYPE_LATEST

from ..auth.networks import client_in, parse_networks
from ..errors import ForbiddenError
from .base import ApiHandler
from .spec import Op


class MetricsHandler(ApiHandler):
    public = True  # who may see it is decided below, by token or address
    operations = {"get": Op("Prometheus metrics (a token, a session or an allowed address)",
                            media=("text/plain",), public=True, tag="metrics")}

    def allowed_address(self) -> bool:
        allowed = parse_networks(self.ctx.settings.metrics_allow)
        return client_in(self.request, allowed, self.ctx.settings.trust_proxy_headers)

    async def get(self) -> None:
        if not (self.authenticated or self.allowed_address()):
            raise ForbiddenError("/metrics needs an API token (Authorization: Bearer) or a "
                                 "client address in DSA110_DASH_METRICS_ALLOW (through a "
                                 "proxy only with DSA110_DASH_TRUST_PROXY_HEADERS)")
        body = await self.blocking(self.ctx.metrics.exposition)
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.set_header("Cache-Control", "no-store")
        self.finish(body)
