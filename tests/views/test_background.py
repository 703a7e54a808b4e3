"""load_early outside a server: fetch and show now; ``after`` runs even when the fetch
fails, and the failure reaches the caller."""

import pytest

from dsa110_dashboard.views.background import load_early


def test_load_early_shows_the_result_then_runs_after():
    seen = []
    load_early(lambda: 42, seen.append, lambda: seen.append("after"))
    assert seen == [42, "after"]


def test_a_failed_fetch_still_runs_after():
    seen = []

    def fail():
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        load_early(fail, seen.append, lambda: seen.append("after"))
    assert seen == ["after"]



def test_the_page_update_timeout_comes_from_the_settings():
    from dsa110_dashboard.settings import Settings, TimeoutConfig
    from dsa110_dashboard.views import background

    settings = Settings.load(environ={"DSA110_DASH_TIMEOUT_PAGE_UPDATE": "7"})
    try:
        background.configure(settings.timeouts)  # as app.configure_panel does
        assert background._timeouts["page_update"] == 7.0
    finally:
        background.configure(TimeoutConfig())
