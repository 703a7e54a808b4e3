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
