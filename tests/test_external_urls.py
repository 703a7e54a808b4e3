"""What tests/external_urls.py counts as a load from another host, and what not."""

from external_urls import external_loads, is_external


def test_loads_from_other_hosts_are_found():
    text = """<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">
    <script src='//cdn.example.org/x.js'></script>
    <style>@font-face { src: url(https://fonts.gstatic.com/r.woff2) }
    @import "https://cdn.example.org/theme.css";</style>
    {"type":"object","name":"ImportedStyleSheet","attributes":{"url":"https://cdn.holoviz.org/a.css"}}
    const s = '{\\"url\\":\\"https://tile.openstreetmap.org/{z}/{x}/{y}.png\\"}';
    import("https://esm.sh/lib");"""
    assert external_loads(text) == [
        "https://fonts.googleapis.com/css?family=Roboto", "//cdn.example.org/x.js",
        "https://fonts.gstatic.com/r.woff2", "https://cdn.example.org/theme.css",
        "https://cdn.holoviz.org/a.css", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "https://esm.sh/lib"]


def test_links_namespaces_and_this_host_are_not_loads():
    text = """<a href="https://github.com/dsa110">source</a>
    <svg xmlns="http://www.w3.org/2000/svg"></svg>
    /* licence: https://fontawesome.com/license/free */
    <script src="static/js/bokeh.min.js"></script><link href="/assets/dashboard.css">
    <img src="http://127.0.0.1:5006/api/v1/images/1/thumbnail.png">
    <img src="data:image/png;base64,AAAA">"""
    assert external_loads(text) == []
    assert is_external("HTTPS://Example.org/x") and not is_external("http://localhost:8888/")
