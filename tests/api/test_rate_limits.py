"""Heavy endpoints (the CSV export, FITS downloads, cutouts) are paced per API token,
else per client address (decision 0068): beyond the burst, 429 with Retry-After."""

from __future__ import annotations

import pytest

from api_helpers import fetch
from dsa110_dashboard.api.ratelimit import RateLimitedError, RateLimiter
from server import start_server


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_per_client_refills_at_the_pace():
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=2, clock=clock)
    assert limiter.take("a") == 0 and limiter.take("a") == 0
    assert limiter.take("a") == pytest.approx(1.0)
    assert limiter.take("b") == 0, "another client has its own bucket"
    clock.now += 1.0
    assert limiter.take("a") == 0, "one request a second comes back"
    with pytest.raises(RateLimitedError) as err:
        limiter.check("a", "export")
    assert err.value.http_status == 429 and err.value.retry_after == 1
    assert "DSA110_DASH_RATE_LIMIT_HEAVY" in err.value.user_message


def test_zero_means_no_limit():
    limiter = RateLimiter(per_minute=0, burst=1)
    assert all(limiter.take("a") == 0 for _ in range(100))


def test_heavy_endpoints_answer_429_with_retry_after(dataset):
    server = start_server(dataset.env(DSA110_DASH_RATE_LIMIT_HEAVY="1",
                                      DSA110_DASH_RATE_LIMIT_BURST="2"))
    try:
        image = dataset.ids["square"]
        answers = [fetch(server.url, f"/api/v1/images/{image}/fits").status,
                   fetch(server.url, "/api/v1/images.csv").status]
        assert answers == [200, 200]
        refused = fetch(server.url, f"/api/v1/images/{image}/cutout.png?ra=1&dec=1")
        assert refused.status == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["error"] == "rate_limited"
        # Light endpoints are not paced.
        assert fetch(server.url, f"/api/v1/images/{image}/thumbnail.png").status == 200
        assert fetch(server.url, "/api/v1/jobs").status == 200
    finally:
        server.stop()
