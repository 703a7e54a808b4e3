"""Find, in HTML, CSS, JavaScript or Bokeh JSON, the URLs of other hosts a browser would
load: the control room has no internet, so every script, stylesheet, font, image and
map tile must come from the dashboard (or the notebook's kernel) itself.

Only what a browser loads counts: ``src``/``href`` attributes of loading elements,
``url(...)`` and ``@import`` in CSS, a Bokeh model's ``url`` (an imported stylesheet),
and a script's ``import``/``fetch`` of an absolute URL. Links a user may follow (``<a
href>``), licence comments and XML namespaces are not loads.
"""

from __future__ import annotations

import re

_LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")

_LOADS = [
    # <script src>, <link href>, <img src>, <iframe src>, <source src>, srcset
    re.compile(r"<(?:script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?"
               r"\b(?:src|href|data|srcset)\s*=\s*[\"']?([^\"'\s>]+)", re.I),
    re.compile(r"url\(\s*[\"']?([^\"')\s]+)", re.I),                 # CSS url(...)
    re.compile(r"@import\s+(?:url\(\s*)?[\"']([^\"']+)", re.I),     # CSS @import
    re.compile(r"\\?\"url\\?\"\s*:\s*\\?\"([^\"\\]+)"),             # Bokeh JSON
    re.compile(r"\bimport\s*\(\s*[\"']([^\"']+)"),                   # dynamic import()
    re.compile(r"\bfetch\s*\(\s*[\"']([^\"']+)"),
]


def is_external(url: str) -> bool:
    """Whether ``url`` names another host (relative URLs, ``data:`` and ``blob:`` are
    this one)."""
    url = url.strip().replace("\\/", "/")
    match = re.match(r"(?:(?:https?|wss?):)?//([^/:?#]+|\[[^\]]+\])", url, re.I)
    return bool(match) and match.group(1).lower() not in _LOCAL_HOSTS


def external_loads(text: str) -> list[str]:
    """The URLs of other hosts ``text`` would make a browser load, each once, in order."""
    found: list[str] = []
    for pattern in _LOADS:
        for url in pattern.findall(text):
            if is_external(url) and url not in found:
                found.append(url)
    return found
