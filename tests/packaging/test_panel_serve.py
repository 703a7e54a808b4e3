"""``panel serve app.py`` from the checkout serves the dashboard (decision 0050).

With ``--plugins app`` every page answers at its own URL (and at ``/app``) with its data,
the JSON endpoints and the assets; without the plugin the Overview still shows at
``/app``, saying what else needs the plugin. The servers are Panel's own command line,
started in the checkout as a developer would, on a generated demo dataset."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from browser.conftest import browser_type_launch_args, page  # noqa: F401 - fixtures
from browser.helpers import wait_idle
from dsa110_dashboard.demo import build_demo
from server import free_port

ROOT = Path(__file__).resolve().parents[2]
PANEL = Path(sys.executable).parent / "panel"
pytestmark = [pytest.mark.slow, pytest.mark.browser]


@dataclass
class Demo:
    data: Path
    latest_image: int
    image_id: int
    source_id: str


@dataclass
class PanelServer:
    url: str
    log: Path

    def get(self, path: str, method: str = "GET") -> tuple[int, bytes]:
        request = urllib.request.Request(self.url + path, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def title(self, path: str) -> str:
        status, body = self.get(path)
        assert status == 200, (path, status, self.log.read_text())
        found = re.search(rb"<title>(.*?)</title>", body)
        assert found, (path, body[:500])
        return found.group(1).decode()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Demo:
    data = tmp_path_factory.mktemp("demo")
    build_demo(data, days=1, size=128, seed=5)
    with sqlite3.connect(data / "pipeline.sqlite3") as conn:
        latest = conn.execute("SELECT id FROM images ORDER BY created_at DESC, id DESC "
                              "LIMIT 1").fetchone()[0]
        first = conn.execute("SELECT min(id) FROM images").fetchone()[0]
        source = conn.execute("SELECT source_id FROM photometry "
                              "WHERE source_id IS NOT NULL LIMIT 1").fetchone()[0]
    return Demo(data, latest, first, source)


def _env(demo: Demo, cache: Path) -> dict[str, str]:
    # Only the settings named here: nothing from the developer's own environment.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DSA110_DASH_", "PIPELINE_", "CONTIMG_", "PANEL_", "BOKEH_"))}
    return {**env, "DSA110_DASH_DB": str(demo.data / "pipeline.sqlite3"),
            "DSA110_DASH_DATA_DIR": str(demo.data), "DSA110_DASH_CACHE_DIR": str(cache),
            "CONTIMG_LOGS_DIR": str(demo.data / "logs")}


def _panel_serve(demo: Demo, tmp: Path, *args: str) -> Iterator[PanelServer]:
    """`panel serve app.py ARGS` in the checkout, until the fixture's teardown."""
    port = free_port()
    log = tmp / "panel-serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(PANEL), "serve", "app.py", *args, "--port", str(port),
             "--address", "127.0.0.1"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=_env(demo, tmp / "cache"))
    server = PanelServer(f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if server.get("/app")[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "panel serve did not start\n" + log.read_text()
            time.sleep(0.5)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "Traceback" not in log.read_text(), log.read_text()


@pytest.fixture(scope="module")
def with_plugin(demo, tmp_path_factory) -> Iterator[PanelServer]:
    yield from _panel_serve(demo, tmp_path_factory.mktemp("plugin"), "--plugins", "app")


@pytest.fixture(scope="module")
def script_only(demo, tmp_path_factory) -> Iterator[PanelServer]:
    yield from _panel_serve(demo, tmp_path_factory.mktemp("script"),
                            "--static-dirs", "assets=./assets")


def test_with_the_plugin_every_page_answers_at_its_own_url(with_plugin, demo):
    pages = {"/": "Overview", "/app": "Overview", "/images": "Images",
             "/images/": "Images", f"/images/{demo.image_id}": "Image",
             "/sources": "Sources",
             "/sources/" + urllib.parse.quote(demo.source_id, safe=""): "Source"}
    for path, title in pages.items():
        assert with_plugin.title(path) == f"DSA-110 · {title}", path
    # HEAD as under dsa110-dash serve (decision 0023): headers, no session.
    assert with_plugin.get("/images", method="HEAD")[0] == 200


def test_with_the_plugin_the_endpoints_and_assets_answer(with_plugin, demo):
    status, body = with_plugin.get("/api/v1/health")
    assert status == 200 and b'"database"' in body, body[:300]
    status, body = with_plugin.get(f"/api/v1/images/{demo.latest_image}/thumbnail.png")
    assert status == 200 and body.startswith(b"\x89PNG"), status
    for asset in ("dashboard.css", "logo.svg", "favicon.svg"):
        status, body = with_plugin.get(f"/assets/{asset}")
        assert status == 200 and body == (ROOT / "assets" / asset).read_bytes(), asset


def test_the_overview_shows_its_data_and_its_links_work(with_plugin, demo, page):
    thumbnail = re.compile(rf"/api/v1/images/{demo.latest_image}/thumbnail\.png")
    with page.expect_response(lambda r: thumbnail.search(r.url), timeout=30_000) as shown:
        page.goto(with_plugin.url + "/app")
        wait_idle(page)
    assert shown.value.status == 200
    page.locator(f"a.ov-link:has-text('Image {demo.latest_image}')").wait_for()
    page.locator("text=Pipeline health").wait_for()
    page.locator("text=Images per hour").wait_for()
    # The shell's navigation leads to the pages' own URLs, served with their data.
    page.locator(".dsa-nav a:has-text('Images')").click()
    page.wait_for_url(with_plugin.url + "/images")
    wait_idle(page)
    page.locator(f"a[href='/images/{demo.latest_image}']").first.wait_for()
    page.locator(f"a[href='/images/{demo.latest_image}']").first.click()
    page.wait_for_url(f"{with_plugin.url}/images/{demo.latest_image}")
    wait_idle(page)
    page.locator(f"text=Image {demo.latest_image}").first.wait_for()


def test_the_dark_theme_follows_the_url(with_plugin, page):
    page.goto(with_plugin.url + "/sources?theme=dark")
    wait_idle(page)
    page.locator(".dsa-theme-toggle:has-text('Light theme')").wait_for()


def test_without_the_plugin_the_overview_says_what_else_needs_it(script_only, demo,
                                                                 browser):
    assert script_only.title("/app") == "DSA-110 · Overview"
    assert script_only.get("/api/v1/health")[0] == 404
    assert script_only.get("/assets/logo.svg")[0] == 200  # --static-dirs
    # A plain page: its thumbnail's 404 (no API without the plugin) is expected here.
    tab = browser.new_page()
    try:
        tab.goto(script_only.url + "/app")
        wait_idle(tab)
        tab.locator("text=Only this page works here").wait_for()
        tab.locator(f"a.ov-link:has-text('Image {demo.latest_image}')").wait_for()
    finally:
        tab.close()


def test_it_refuses_to_serve_when_sign_in_is_asked_for(demo, tmp_path):
    # Panel's command line cannot install our sign-in: open pages must not be the result.
    env = {**_env(demo, tmp_path / "cache"), "DSA110_DASH_BASIC_AUTH": "any-hash",
           "DSA110_DASH_COOKIE_SECRET": "x" * 32}
    result = subprocess.run(
        [str(PANEL), "serve", "app.py", "--plugins", "app", "--port", str(free_port()),
         "--address", "127.0.0.1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "DSA110_DASH_BASIC_AUTH: sign-in needs `dsa110-dash serve`" in result.stderr, \
        result.stderr[-2000:]
