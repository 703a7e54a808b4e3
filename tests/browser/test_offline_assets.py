"""Nothing a page or the API docs serve makes a browser load from another host: the
control room has no internet (fonts, scripts, stylesheets, icons, map tiles all come
from the dashboard).

Over plain HTTP against the session's demo server (no browser): every page's HTML, every
script and stylesheet it names, and everything those stylesheets name (fonts, images,
imported CSS), each fetched and scanned (tests/external_urls.py says what counts as a
load). What a page's Bokeh document brings later over its websocket is checked at run
time by every browser test (the ``page`` fixture fails on any request to another host).
"""

from __future__ import annotations

import sqlite3
import urllib.error
import urllib.parse
import urllib.request

from external_urls import external_loads, is_external

_SCANNED = (".css", ".js", ".mjs", ".html")


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as reply:
            return reply.status, reply.headers.get("Content-Type", ""), reply.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, "", err.read()


def _pages(dataset) -> list[str]:
    with sqlite3.connect(f"file:{dataset / 'pipeline.sqlite3'}?mode=ro", uri=True) as c:
        image = c.execute("SELECT max(id) FROM images").fetchone()[0]
        job = c.execute("SELECT max(id) FROM jobs").fetchone()[0]
        ms = c.execute("SELECT path FROM ms_index LIMIT 1").fetchone()[0]
        source = c.execute("SELECT source_id FROM photometry LIMIT 1").fetchone()[0]
    from server import ROOT
    from dsa110_dashboard.cli.serve_cmd import load_app

    concrete = {"/images/{image_id}": f"/images/{image}", "/jobs/{run_id}": f"/jobs/{job}",
                "/ms/{path}": "/ms/" + urllib.parse.quote(ms, safe=""),
                "/sources/{source_id}": "/sources/" + urllib.parse.quote(source)}
    paths = [concrete.get(page.path, page.path) for page in load_app(ROOT / "app.py").PAGES]
    assert all("{" not in path for path in paths), f"a page without an example: {paths}"
    return [*paths, "/api/v1/docs", "/api/v1/docs?theme=dark"]


def test_no_page_or_asset_makes_the_browser_load_from_another_host(demo_server,
                                                                    demo_dataset):
    external: dict[str, list[str]] = {}
    missing: list[str] = []
    queue = [demo_server.url + path for path in _pages(demo_dataset)]
    seen = set(queue)
    pages = len(queue)
    while queue:
        url = queue.pop(0)
        status, kind, body = _get(url)
        if status != 200:
            # An SVG font is the last fallback of an @font-face that no browser of today
            # reaches (they take the woff2); Panel's bundle of Font Awesome leaves it out.
            if not (status == 404 and "/webfonts/" in url and url.endswith(".svg")):
                missing.append(f"{status} {url}")
            continue
        path = urllib.parse.urlsplit(url).path
        if not path.endswith(_SCANNED) and "html" not in kind and "css" not in kind:
            continue  # a font or an image: nothing in it is loaded
        text = body.decode("utf-8", "replace")
        loads = external_loads(text)
        if loads:
            external[url] = loads
        if path.endswith(".js") or "javascript" in kind:
            continue  # what a script names is not a path to fetch (scanned above)
        for ref in _local_references(text):
            target = urllib.parse.urljoin(url, ref).split("#", 1)[0]
            if target.startswith(demo_server.url) and target not in seen:
                seen.add(target)
                queue.append(target)
    assert len(seen) > 3 * pages, f"the pages' assets were found and fetched: {sorted(seen)}"
    assert external == {}, f"loads from other hosts: {external}"
    assert missing == [], f"assets a page names that the server does not serve: {missing}"


def _local_references(text: str) -> list[str]:
    """The same loads as external_loads finds, those on this host."""
    from external_urls import _LOADS

    refs = []
    for pattern in _LOADS:
        for ref in pattern.findall(text):
            ref = ref.replace("\\/", "/")
            if not is_external(ref) and not ref.startswith(("data:", "blob:", "#", "$")) \
                    and "${" not in ref and ref.strip():
                refs.append(ref)
    return refs
