"""View-model parameters <-> the URL query: the one mechanism every page uses.

A page declares which parameters of a view-model live in its URL (``sync_to_url(model,
{parameter: query key})``, one line per parameter) and this module does the rest:

- As the page opens, each value is read from the raw query string and converted by the
  parameter's own type (Panel's parsing would turn ``0925`` into the integer 925, which
  a String refuses, and loses the leading zero); a List is comma separated. A value
  that cannot be used (``eta_min=abc``, ``sort=bogus``, ``page=x``, a number out of
  bounds, or one the page's own ``check`` refuses, e.g. ``dec_min=abc`` on /images) is
  not silently dropped: the parameter keeps its default, the key leaves the address bar
  (a copied link must not carry it on; ``history.replaceState``, so Back does not lead
  to it again), and the user is told which parameter and value were ignored and why, in
  the model's ``input_notes`` when it has that parameter (its view shows them with
  ``notes_alert``), otherwise in a notification.
- When a synced parameter changes, the address is rewritten with every synced value
  that differs from its default (a default or None leaves the query, so a cleared
  filter leaves a copied link too), other keys (``theme``, another view-model's) kept.
  Each change the user makes is a browser history entry; one the page makes by itself
  before the user touched it (a link's page past the end, corrected) replaces the entry,
  so that Back does not reopen the link that leads to it.
- Back and Forward between those entries reload the page, which then reads its state
  from the address like any opened link (Panel's Location does not follow them).

Decision 0043.
"""

from __future__ import annotations

import html
import json
import re
import urllib.parse
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import panel as pn
import param

from ..errors import InvalidInputError, clipped
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
        if self.reason.startswith(f"{self.key}: "):  # a page check's message names both
            return f"Ignored {self.reason}; the default is used."
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
    if isinstance(p, param.List):
        return list(dict.fromkeys(item.strip() for item in raw.split(",") if item.strip()))
    if isinstance(p, param.Selector):
        if raw not in p.objects:
            choices = ", ".join(str(o) for o in p.objects)
            raise ValueError(f"not one of {choices}")
        return raw
    return raw


#: ``check(parameter, value)``: a page's own test of one converted value (raises
#: InvalidInputError or ValueError with the reason a person reads).
Check = Callable[[str, object], object]


def read_query(model: param.Parameterized, mapping: Mapping[str, str], search: str,
               check: Check | None = None) -> tuple[dict, list[QueryProblem]]:
    """Parameter values from a raw query string, and the values that could not be used.

    An empty value (``?eta_min=``) of a parameter that may be None means "not set" and
    is not a problem; nor is an empty list."""
    raw = dict(urllib.parse.parse_qsl(search.lstrip("?"), keep_blank_values=True))
    values, problems = {}, []
    for name, key in mapping.items():
        if key not in raw:
            continue
        p = model.param[name]
        if not raw[key].strip() and not isinstance(p, (param.String, param.List)):
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
        if check is not None:
            try:
                check(name, value)
            except (ValueError, InvalidInputError) as exc:
                problems.append(QueryProblem(key, raw[key], _reason(exc)))
                continue
        values[name] = value
    return values, problems


def _reason(exc: Exception) -> str:
    return getattr(exc, "user_message", None) or str(exc)


def initial_values(model: param.Parameterized, mapping: Mapping[str, str],
                   search: str, check: Check | None = None) -> dict:
    """Parameter values from a raw query string; unreadable values are left out."""
    return read_query(model, mapping, search, check)[0]


def encode(p: param.Parameter, value) -> str | None:
    """``value`` of ``p`` as it is written in the query (None: left out)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return str(value)


#: ``write(parameter, value)``: a page's own text for a value (its codec's), when the
#: parameter type's (``encode``) is not what its links use.
Write = Callable[[str, object], str]


def query_for(model: param.Parameterized, mapping: Mapping[str, str],
              write: Write | None = None) -> dict[str, str]:
    """The query keys of ``model``'s synced parameters that differ from their defaults."""
    out = {}
    for name, key in mapping.items():
        p, value = model.param[name], getattr(model, name)
        if value == p.default or (value in ("", []) and p.default in ("", None, [])):
            continue
        text = write(name, value) if write is not None else encode(p, value)
        if text is not None:
            out[key] = text
    return out


#: Per page (its Location): query key -> value that was ignored and must not come back.
_IGNORED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def without_ignored(search: str, ignored: Mapping[str, str]) -> str | None:
    """``search`` without the ``ignored`` key=value pairs, or None if it has none
    (a key the user has since set to a good value stays)."""
    pairs = urllib.parse.parse_qsl(search.lstrip("?"), keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if k not in ignored or ignored[k] != v]
    if len(kept) == len(pairs):
        return None
    return ("?" + urllib.parse.urlencode(kept)) if kept else ""


def rewritten(search: str, mine: Iterable[str], values: Mapping[str, str],
              ignored: Mapping[str, str]) -> str:
    """``search`` with the keys ``mine`` set to ``values`` (absent there: removed),
    others kept in their order, and ignored values gone."""
    pairs = [(k, v) for k, v in urllib.parse.parse_qsl(search.lstrip("?"),
                                                       keep_blank_values=True)
             if k not in mine and ignored.get(k) != v]
    pairs += list(values.items())
    return ("?" + urllib.parse.urlencode(pairs)) if pairs else ""


_HISTORY_JS = """
if (!window.dsaUrlState) {
  // Back/Forward between the entries the page pushed: reload, so that the page reads
  // its state from the address. Only when the path or query changed (not an anchor).
  // An address change the user did not cause (the page correcting a link's page past
  // the end) replaces the entry: Back from it must not reopen the link that leads to it.
  const state = window.dsaUrlState = {shown: location.pathname + location.search,
                                      acted: false};
  for (const name of ["pointerdown", "keydown"]) {
    window.addEventListener(name, () => { state.acted = true; }, {capture: true});
  }
  const replace = history.replaceState.bind(history);
  const push = history.pushState.bind(history);
  history.replaceState = (data, title, url) => {
    replace(data, title, url);
    state.shown = location.pathname + location.search;
  };
  history.pushState = (data, title, url) => {
    (state.acted ? push : replace)(data, title, url);
    state.shown = location.pathname + location.search;
  };
  window.addEventListener("popstate", () => {
    if (location.pathname + location.search !== window.dsaUrlState.shown) {
      location.reload();
    }
  });
}
"""

_DROP_JS = """
const url = new URL(window.location.href);
let changed = false;
for (const [key, value] of Object.entries(ignored)) {
  if (url.searchParams.get(key) === value) { url.searchParams.delete(key); changed = true; }
}
if (changed) { history.replaceState(history.state, "", url.toString()); }
"""

#: Documents that have the history script (once per page).
_WITH_HISTORY: weakref.WeakSet = weakref.WeakSet()


def _on_ready(doc, code: str, **args) -> None:
    """Run ``code`` in the browser once the page is shown."""
    from bokeh.events import DocumentReady
    from bokeh.models import CustomJS

    doc.js_on_event(DocumentReady, CustomJS(code=code, args=args))


def _browser_history(doc, location, ignored: Mapping[str, str]) -> None:
    """Back/Forward reload the page; ``ignored`` values leave the address bar without a
    history entry (Back must not lead to them again), and never come back from the
    address the browser reports when it starts."""
    if doc is None:
        return
    if doc not in _WITH_HISTORY:
        _WITH_HISTORY.add(doc)
        _on_ready(doc, _HISTORY_JS)
    if ignored:
        _IGNORED.setdefault(location, {}).update(ignored)
        _on_ready(doc, _DROP_JS, ignored=dict(ignored))


_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>$])")


def plain(text: str) -> str:
    """``text`` (which may hold what a user typed) shown literally in a Markdown pane:
    no HTML, no emphasis, no math."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", html.escape(text, quote=False))


def notes_alert(model: param.Parameterized, css_class: str,
                title: str | None = None) -> pn.pane.Alert:
    """A warning that shows ``model.input_notes`` (see ``tell``) while there are any,
    under ``title`` (bold) when given."""
    alert = pn.pane.Alert("", alert_type="warning", visible=False,
                          sizing_mode="stretch_width", disable_math=True,
                          css_classes=[css_class])

    def render(*_events) -> None:
        notes = model.input_notes
        lines = [plain(n) for n in notes]
        if title:  # one paragraph: the title, then a line per note
            text = "  \n".join([f"**{plain(title)}:**", *lines])
        else:
            text = "\n\n".join(lines)
        alert.param.update(object=text, visible=bool(notes))

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


def sync_to_url(model: param.Parameterized, mapping: Mapping[str, str], *,
                check: Check | None = None, write: Write | None = None,
                after: Iterable[str] = ("page",)) -> list[str]:
    """Keep ``model``'s parameters (``mapping``: parameter name -> query key) in the URL,
    when served (see the module). ``check(parameter, value)`` refuses values the
    parameter's type accepts but the page cannot use; ``write(parameter, value)`` is the
    page's text for a value when not the type's. The parameters named in ``after``
    are set after the others (a changed search goes back to its first page: the page
    from the URL comes last). Returns the messages about ignored query values (also
    shown, see ``tell``)."""
    location = pn.state.location
    if location is None:
        return []
    search = location.search or ""
    values, problems = read_query(model, mapping, search, check)
    later = {name: values.pop(name) for name in list(values) if name in set(after)}
    for batch in (values, later):
        if batch:
            model.param.update(**batch)
    raw = dict(urllib.parse.parse_qsl(search.lstrip("?"), keep_blank_values=True))
    # Ignored: the bad values, and empty ones that mean "not set" (``eta_min=``).
    ignored = {**{p.key: p.value for p in problems},
               **{mapping[name]: raw[mapping[name]] for name, value in {**values, **later}.items()
                  if value is None}}
    _browser_history(pn.state.curdoc, location, ignored)
    mine = set(mapping.values())

    def rewrite(*_events) -> None:
        current = location.search or ""
        new = rewritten(current, mine, query_for(model, mapping, write),
                        _IGNORED.get(location, {}))
        if new != current:
            location.search = new

    model.param.watch(rewrite, list(mapping))
    # The browser reports the address it opened when it starts, which undoes a change
    # made while the page was being created (a first result that corrected the page,
    # shown with the page): the state wins again.
    location.param.watch(rewrite, ["search"])
    messages = [p.message for p in problems]
    tell(model, messages)
    return messages
