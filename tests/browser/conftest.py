"""Browser tests: Debian's Chromium driven by Playwright against a real server.

No downloaded browser: pytest-playwright launches /usr/bin/chromium. If it is missing,
the tests fail (``make test`` installs it).
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("DSA110_TEST_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Debian's Chromium is required at {CHROMIUM} for the browser tests; "
                    "`make test` installs it (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"],
    }


LOCAL_PREFIXES = ("http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "ws://localhost",
                  "data:", "blob:", "about:")


@pytest.fixture
def page(page):
    """A page that fails the test on any page error, console error or request that would
    leave this machine (the control room has no internet: fonts, icons and scripts must
    all be served by us)."""
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
            if msg.type == "error" else None)
    page.on("request", lambda req: None if req.url.startswith(LOCAL_PREFIXES)
            else problems.append(f"external request: {req.url}"))
    page.set_default_timeout(20_000)
    yield page
    assert not problems, "browser reported errors:\n" + "\n".join(problems)


@pytest.fixture(scope="session")
def demo_dataset(tmp_path_factory):
    """A small generated demo dataset (3 days, 512-pixel images), built once per session."""
    from dsa110_dashboard.demo.build import build_demo

    out = tmp_path_factory.mktemp("demo")
    build_demo(out, days=3, size=512, seed=3)
    return out


def demo_env(dataset, cache_dir) -> dict[str, str]:
    return {"DSA110_DASH_DB": str(dataset / "pipeline.sqlite3"),
            "DSA110_DASH_DATA_DIR": str(dataset),
            "CONTIMG_LOGS_DIR": str(dataset / "logs"),
            "DSA110_DASH_CACHE_DIR": str(cache_dir)}


@pytest.fixture(scope="session")
def demo_server(demo_dataset, tmp_path_factory):
    """The real dashboard (app.py) serving the demo dataset, shared by the session."""
    from server import start_server

    server = start_server(demo_env(demo_dataset, tmp_path_factory.mktemp("cache")))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def demo_db(demo_dataset):
    """Our Database over the demo dataset, to compute what a page should show."""
    from dbsupport import settings_for
    from dsa110_dashboard.db.engine import Database

    db = Database(settings_for(str(demo_dataset / "pipeline.sqlite3")))
    yield db
    db.dispose()
