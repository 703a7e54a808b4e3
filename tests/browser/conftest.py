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


@pytest.fixture(scope="session")
def demo_sky(demo_dataset) -> dict:
    """Names and positions the tests use, read from the demo: its sky follows the time
    it was built (the window's LST), so no name or position can be written down here.

    ``flare``: an injected flare whose lightcurve has at least one QA-failed epoch (else
    the source with most QA-failed epochs); ``prefix``/``prefix3``: its name's first
    digits as typed in a search (``j0849``, ``j08``); ``ra``/``dec``: a position near it
    to 3 decimals."""
    import json
    import sqlite3

    truth = json.loads((demo_dataset / "demo_truth.json").read_text())
    flares = {s["source_id"] for s in truth["injected_sources"] if s["kind"] == "flare"}
    with sqlite3.connect(f"file:{demo_dataset / 'pipeline.sqlite3'}?mode=ro", uri=True) as c:
        rows = c.execute(
            "SELECT p.source_id, count(*), sum(q.overall_quality = 'poor') FROM photometry p "
            "LEFT JOIN image_qa q ON q.image_path = p.image_path "
            "GROUP BY p.source_id HAVING count(*) >= 10").fetchall()
    ranked = sorted(rows, key=lambda r: (r[0] not in flares, not r[2], -(r[2] or 0), r[0]))
    flare = ranked[0][0]
    with sqlite3.connect(f"file:{demo_dataset / 'pipeline.sqlite3'}?mode=ro", uri=True) as c:
        ra, dec = c.execute("SELECT ra_deg, dec_deg FROM photometry WHERE source_id = ? "
                            "LIMIT 1", (flare,)).fetchone()
    digits = flare.split("J", 1)[1]
    return {"flare": flare, "prefix": "j" + digits[:4], "prefix3": "j" + digits[:2],
            "ra": round(ra, 3), "dec": round(dec, 3)}
