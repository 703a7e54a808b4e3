"""View-model parameters <-> the URL query, for the source pages.

``pn.state.location.sync`` with the repairs the source pages need:

- Panel parses query values itself (``0925`` becomes the integer 925, which a String
  parameter refuses, and its leading zero is lost): the initial values are read from the
  raw query string here and converted by the parameter's own type.
- A value that cannot be used (``eta_min=abc``, ``sort=bogus``, ``desc=maybe``, a number
  out of bounds) is not silently dropped: the parameter keeps its default, the key is
  removed from the address bar (a copied link must not carry it on), and the user is
  told which parameter and value were ignored and why: in the model's ``input_notes``
  when it has that parameter (its view shows them), otherwise in a notification.
- A parameter set back to None (a cleared filter, no selected epoch) is *removed* from
  the query; Panel only ever adds keys, so the old value would stay in a copied link.
"""

from __future__ import annotations

import html
import re
import urllib.parse
import weakref
from collections.abc import Mapping
from dataclasses import dataclass

import panel as pn
import param

from ..errors import clipped
from ..science.numbers import number_problem

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


@dataclass(frozen=True)
class QueryProblem:
    """A query value that was ignored: its key, the raw value and why."""

    key: str
    value: str
    reason: str

    @property
    def message(self) -> str:
        return f"Ignored {self.key}={clipped(self.value)}: {self.reason}; the default is used."


def _bounds_text(p: param.Number) -> str:
    low, high = p.bounds or (None, None)
    inc_low, inc_high = getattr(p, "inclusive_bounds", (True, True))
    if low is not None and high is not None:
        return f"must be between {low:g} and {high:g}"
    if low is not None:
        return f"must be {'at least' if inc_low else 'greater than'} {low:g}"
    if high is not None:
        return f"must be {'at most' if inc_high else 'less than'} {high:g}"
    return "is out of range"


def _convert(p: param.Parameter, raw: str):
    """``raw`` as a value of ``p``; ValueError with the reason a person reads."""
    text = raw.strip()
    if isinstance(p, param.Boolean):
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError("not true or false")
    if isinstance(p, param.Integer):
        try:
            return int(text)
        except ValueError:
            raise ValueError("not a whole number") from None
    if isinstance(p, param.Number):
        problem = number_problem(text)
        if problem is not None:
            raise ValueError(problem)
        return float(text)
    if isinstance(p, param.Selector):
        if raw not in p.objects:
            choices = ", ".join(str(o) for o in p.objects)
            raise ValueError(f"not one of {choices}")
        return raw
    return raw


def read_query(model: param.Parameterized, mapping: Mapping[str, str],
               search: str) -> tuple[dict, list[QueryProblem]]:
    """Parameter values from a raw query string, and the values that could not be used.

    An empty value (``?eta_min=``) of a parameter that may be None means "not set" and
    is not a problem."""
    raw = dict(urllib.parse.parse_qsl(search.lstrip("?"), keep_blank_values=True))
    values, problems = {}, []
    for name, key in mapping.items():
        if key not in raw:
            continue
        p = model.param[name]
        if not raw[key].strip() and not isinstance(p, param.String):
            if p.allow_None:
                values[name] = None
            else:
                problems.append(QueryProblem(key, raw[key], "empty"))
            continue
        try:
            value = _convert(p, raw[key])
        except ValueError as exc:
            problems.append(QueryProblem(key, raw[key], str(exc)))
            continue
        try:
            p._validate(value)
        except (ValueError, TypeError):
            reason = _bounds_text(p) if isinstance(p, param.Number) else "not allowed"
            problems.append(QueryProblem(key, raw[key], reason))
            continue
        values[name] = value
    return values, problems


def initial_values(model: param.Parameterized, mapping: Mapping[str, str],
                   search: str) -> dict:
    """Parameter values from a raw query string; unreadable values are left out."""
    return read_query(model, mapping, search)[0]


#: Per page (its Location): query key -> value that was ignored and must leave the
#: address bar.
_IGNORED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def without_ignored(search: str, ignored: Mapping[str, str]) -> str | None:
    """``search`` without the ``ignored`` key=value pairs, or None if it has none
    (a key the user has since set to a good value stays)."""
    pairs = urllib.parse.parse_qsl(search.lstrip("?"), keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if k not in ignored or ignored[k] != v]
    if len(kept) == len(pairs):
        return None
    return ("?" + urllib.parse.urlencode(kept)) if kept else ""


def _drop_from_address(location, ignored: Mapping[str, str]) -> None:
    """Remove the ``ignored`` values from the address bar, now and whenever the address
    holds them again. Whenever: the browser's Location model reports the address the
    page was opened with when it starts, some time after the page is created (and after
    ``onload`` callbacks), which would undo a change made only once."""
    if not ignored:
        return
    known = _IGNORED.get(location)
    if known is None:
        known = _IGNORED[location] = {}

        def clean(*_events) -> None:
            cleaned = without_ignored(location.search or "", known)
            if cleaned is not None:
                location.search = cleaned  # the watcher runs again: nothing left

        location.param.watch(clean, ["search"])
    known.update(ignored)
    cleaned = without_ignored(location.search or "", known)
    if cleaned is not None:
        location.search = cleaned


_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>$])")


def plain(text: str) -> str:
    """``text`` (which may hold what a user typed) shown literally in a Markdown pane:
    no HTML, no emphasis, no math."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", html.escape(text, quote=False))


def notes_alert(model: param.Parameterized, css_class: str) -> pn.pane.Alert:
    """A warning that shows ``model.input_notes`` (see ``tell``) while there are any."""
    alert = pn.pane.Alert("", alert_type="warning", visible=False,
                          sizing_mode="stretch_width", disable_math=True,
                          css_classes=[css_class])

    def render(*_events) -> None:
        notes = model.input_notes
        alert.param.update(object="\n\n".join(plain(n) for n in notes),
                           visible=bool(notes))

    model.param.watch(render, ["input_notes"])
    render()
    return alert


def tell(model: param.Parameterized, messages: list[str]) -> None:
    """Show ``messages`` about ignored or corrected inputs: in the model's
    ``input_notes`` (a List parameter its view shows) when it has one, else as
    notifications that stay until closed (such a model's view has no place for them)."""
    if not messages:
        return
    if "input_notes" in model.param and isinstance(model.param["input_notes"], param.List):
        model.input_notes = [*model.input_notes, *messages]
        return
    notifications = pn.state.notifications
    if notifications is None:
        return

    def notify() -> None:  # once loaded: a toast sent with the page is not shown
        for text in messages:
            notifications.warning(text, duration=0)

    pn.state.onload(notify)


def sync_to_url(model: param.Parameterized, mapping: Mapping[str, str]) -> list[str]:
    """Sync ``model``'s parameters (name -> query key) with the URL, when served.
    Returns the messages about ignored query values (also shown, see ``tell``)."""
    location = pn.state.location
    if location is None:
        return []
    search = location.search or ""
    values, problems = read_query(model, mapping, search)
    if values:
        model.param.update(**values)
    location.sync(model, dict(mapping), on_error=lambda _bad: None)
    raw = dict(urllib.parse.parse_qsl(search.lstrip("?"), keep_blank_values=True))
    _drop_from_address(location, {
        **{p.key: p.value for p in problems},
        **{mapping[name]: raw[mapping[name]] for name, value in values.items()
           if value is None}})

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
    messages = [p.message for p in problems]
    tell(model, messages)
    return messages
