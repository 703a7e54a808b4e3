"""The wall display's browser side: one ``ReactiveHTML`` component (decision 0061).

The server sends the wall's HTML (``content``) when its data change and a heartbeat
(``beat``) every ``beat_ms``; everything that must go on without the server runs here,
in the browser:

- rotation: one ``section.wall-panel`` shown at a time, the next every ``rotate_ms``;
- the UTC clock and the ages ("3 min ago") advance every second;
- the watchdog: every ``WATCH_MS`` it asks ``/api/v1/health`` (public, cheap). When
  the server does not answer, or no heartbeat came for ``LOST_BEATS`` beats (a dropped
  websocket, a server restarted under a session it no longer has), the screen says
  "reconnecting" with the time it lost the server; as soon as the server answers again
  the page reloads itself (a fresh session). Reloads back off to one a minute after
  three within five minutes, so a server that keeps refusing the page is not hammered.
- scroll bars are switched off for the whole page, and a ``?token=`` still in the
  address leaves it (the server redirects an accepted token away itself, decision 0077;
  one a signed-in browser brought is not read, and goes too).
"""

from __future__ import annotations

import param
from panel.reactive import ReactiveHTML

from .style import WALL_CSS

#: How often the watchdog asks the server whether it is there.
WATCH_MS = 5_000
#: A session silent for this many heartbeats is lost.
LOST_BEATS = 4

_RENDER = """
state.panel = 0;
state.beat_at = Date.now();
state.lost_since = null;
state.reloading = false;
state.age = (s) => {
  if (!isFinite(s)) return 'never';
  if (s < 0) return 'in the future (clock skew?)';
  if (s < 60) return 'just now';
  const m = Math.floor(s / 60);
  if (m < 60) return m + ' min ago';
  const h = Math.floor(m / 60);
  if (h < 48) return (m % 60 && h < 10) ? h + ' h ' + (m % 60) + ' min ago' : h + ' h ago';
  const d = Math.floor(h / 24);
  if (d < 60) return d + ' days ago';
  return (d < 730) ? Math.floor(d / 30) + ' months ago' : Math.floor(d / 365) + ' years ago';
};
for (const el of [document.documentElement, document.body]) { el.style.overflow = 'hidden'; }
try {
  const url = new URL(window.location.href);
  if (url.searchParams.has('token')) {
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.toString());
  }
} catch (e) { /* an odd address: leave it */ }
wall.innerHTML = data.content.html;
self.show();
state.rotor = setInterval(() => { state.panel += 1; self.show(); },
                          Math.max(1000, data.rotate_ms));
state.ticker = setInterval(() => self.tick(), 1000);
state.watcher = setInterval(() => self.watch(), WATCH_MS);
"""

_SHOW = """
const sections = wall.querySelectorAll('section.wall-panel');
const tabs = wall.querySelectorAll('.wall-tab');
if (!sections.length) { return; }
const i = state.panel % sections.length;
sections.forEach((s, k) => s.classList.toggle('wall-active', k === i));
tabs.forEach((t, k) => t.classList.toggle('wall-active', k === i));
wall.dataset.shown = sections[i].dataset.panel;
window.dsaWall = {shown: sections[i].dataset.panel, rotations: state.panel,
                  lost_since: state.lost_since};
"""

_TICK = """
const now = Date.now();
const clock = new Date(now).toISOString().slice(0, 19).replace('T', ' ');
for (const el of wall.querySelectorAll('[data-clock]')) { el.textContent = clock; }
for (const el of wall.querySelectorAll('[data-age]')) {
  el.textContent = state.age(now / 1000 - Number(el.dataset.age));
}
"""

_WATCH = """
const silent = Date.now() - state.beat_at;
const control = new AbortController();
const timer = setTimeout(() => control.abort(), WATCH_MS - 500);
fetch('/api/v1/health', {cache: 'no-store', credentials: 'same-origin',
                         signal: control.signal})
  .then(() => true, () => false)
  .then((up) => {
    clearTimeout(timer);
    const lost = !up || silent > LOST_BEATS * data.beat_ms;
    if (!lost) {
      state.lost_since = null;
      lost_box.style.display = 'none';
      return;
    }
    if (state.lost_since === null) { state.lost_since = Date.now(); }
    const since = new Date(state.lost_since).toISOString().slice(11, 19);
    lost_box.textContent = up
      ? 'Server is back: reloading…'
      : 'Connection to the server lost at ' + since + ' UTC. Reconnecting…';
    lost_box.style.display = 'flex';
    if (window.dsaWall) { window.dsaWall.lost_since = state.lost_since; }
    if (up) { self.reload(); }
  });
"""

_RELOAD = """
if (state.reloading) { return; }
state.reloading = true;
const key = 'dsaWallReloads';
let recent = [];
try { recent = JSON.parse(sessionStorage.getItem(key) || '[]'); } catch (e) { recent = []; }
recent = recent.filter((t) => Date.now() - t < 300000);
const wait = recent.length >= 3 ? 60000 : 0;
setTimeout(() => {
  recent.push(Date.now());
  try { sessionStorage.setItem(key, JSON.stringify(recent)); } catch (e) { /* full */ }
  window.location.reload();
}, wait);
"""

_REMOVE = """
clearInterval(state.rotor); clearInterval(state.ticker); clearInterval(state.watcher);
"""



def _js(code: str) -> str:
    return code.replace("WATCH_MS", str(WATCH_MS)).replace("LOST_BEATS", str(LOST_BEATS))


class WallDisplay(ReactiveHTML):
    """The whole wall in the browser (see the module)."""

    # ``{"html": text}``, not a String: Panel passes every string parameter of a
    # ReactiveHTML through an HTML sanitiser that strips classes, data attributes and
    # SVG. The text is ours (views.wall.render escapes every value it shows). Not named
    # ``html``: that is the Bokeh model's own template property.
    content = param.Dict(default={"html": ""}, doc="The wall's HTML (views.wall.render).")
    rotate_ms = param.Integer(default=20_000, bounds=(1000, None))
    beat = param.Integer(default=0, doc="Bumped by the server every beat_ms.")
    beat_ms = param.Integer(default=5_000, bounds=(500, None))

    _template = ('<div id="wall" class="wall" data-wall="1"></div>'
                 '<div id="lost_box" class="wall-lost" data-lost="1"></div>')

    _scripts = {
        "render": _js(_RENDER),
        "content": "wall.innerHTML = data.content.html; self.show(); self.tick();",
        "beat": "state.beat_at = Date.now();",
        "show": _SHOW,
        "tick": _TICK,
        "watch": _js(_WATCH),
        "reload": _RELOAD,
        "remove": _REMOVE,
    }

    def __init__(self, **params):
        params.setdefault("stylesheets", [WALL_CSS])
        super().__init__(**params)
