"""View-model parameters <-> the URL query, for the source pages.

``pn.state.location.sync`` with two repairs the source pages need:

- Panel parses query values itself (``0925`` becomes the integer 925, which a String
  parameter refuses, and its leading zero is lost): the initial values are read from the
  raw query string here and converted by the parameter's own type.
- A parameter set back to None (a cleared filter, no selected epoch) is *removed* from
  the query; Panel only ever adds keys, so the old value would stay in a copied link.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping

import panel as pn
import param


def _convert(p: param.Parameter, raw: str):
    if isinstance(p, param.Boolean):
        return raw.strip().lower() in ("true", "1", "yes")
    if isinstance(p, param.Integer):
        return int(raw)
    if isinstance(p, param.Number):
        return float(raw)
    return raw


def initial_values(model: param.Parameterized, mapping: Mapping[str, str],
                   search: str) -> dict:
    """Parameter values from a raw query string; unreadable values are skipped."""
    raw = dict(urllib.parse.parse_qsl(search.lstrip("?"), keep_blank_values=True))
    out = {}
    for name, key in mapping.items():
        if key not in raw:
            continue
        p = model.param[name]
        try:
            value = _convert(p, raw[key])
            if isinstance(p, param.Selector) and value not in p.objects:
                continue
            p._validate(value)
        except (ValueError, TypeError):
            continue
        out[name] = value
    return out


def sync_to_url(model: param.Parameterized, mapping: Mapping[str, str]) -> None:
    """Sync ``model``'s parameters (name -> query key) with the URL, when served."""
    location = pn.state.location
    if location is None:
        return
    values = initial_values(model, mapping, location.search or "")
    if values:
        model.param.update(**values)
    location.sync(model, dict(mapping), on_error=lambda _bad: None)

    def drop_cleared(*events) -> None:
        cleared = [mapping[e.name] for e in events if e.new is None or e.new == ""]
        if not cleared:
            return
        query = dict(urllib.parse.parse_qsl((location.search or "").lstrip("?"),
                                            keep_blank_values=True))
        if any(k in query for k in cleared):
            for k in cleared:
                query.pop(k, None)
            location.search = ("?" + urllib.parse.urlencode(query)) if query else ""

    model.param.watch(drop_cleared, list(mapping))

