"""Where a page load's browser CPU goes: a JavaScript CPU profile through the Chrome
DevTools protocol (``Profiler``), summed per function over several loads.

Used by ``bench_pages.py --profile``: it starts the profiler before ``page.goto`` and
stops it once the page's data is on screen, so the profile covers exactly the measured
time. Per function (name, script, line) it sums self time (samples in that function)
and inclusive time (samples with the function anywhere on the stack, counted once per
sample), plus the browser's own buckets (``(program)``, ``(garbage collector)``, idle).
"""

from __future__ import annotations

from collections import Counter
from pathlib import PurePosixPath


def start(page):
    """A CDP session profiling ``page`` (sampling every 100 microseconds)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 100})
    cdp.send("Profiler.start")
    return cdp


def stop(cdp) -> dict:
    profile = cdp.send("Profiler.stop")["profile"]
    cdp.detach()
    return profile


def _label(frame: dict) -> str:
    name = frame.get("functionName") or "(anonymous)"
    url = frame.get("url") or ""
    if not url:
        return name
    return f"{name} {PurePosixPath(url.split('?')[0]).name}:{frame.get('lineNumber', 0) + 1}"


def summarise(profile: dict) -> tuple[Counter, Counter]:
    """(self ms, inclusive ms) per function label of one profile."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    parent = {}
    for node in profile["nodes"]:
        for child in node.get("children", ()):
            parent[child] = node["id"]
    own: Counter = Counter()
    inclusive: Counter = Counter()
    for node_id, delta in zip(profile.get("samples", ()), profile.get("timeDeltas", ())):
        ms = delta / 1000.0
        node = nodes[node_id]
        own[_label(node["callFrame"])] += ms
        seen = set()
        current = node_id
        while current is not None:
            label = _label(nodes[current]["callFrame"])
            if label not in seen:
                seen.add(label)
                inclusive[label] += ms
            current = parent.get(current)
    return own, inclusive


def report(profiles: list[dict], top: int = 25) -> list[str]:
    """The top functions by inclusive and by self time, per load (mean over loads)."""
    if not profiles:
        return []
    own_total: Counter = Counter()
    incl_total: Counter = Counter()
    for profile in profiles:
        own, inclusive = summarise(profile)
        own_total.update(own)
        incl_total.update(inclusive)
    n = len(profiles)
    lines = [f"  inclusive ms per load (mean of {n}):"]
    for label, ms in incl_total.most_common(top):
        lines.append(f"    {ms / n:8.1f}  {label}")
    lines.append(f"  self ms per load (mean of {n}):")
    for label, ms in own_total.most_common(top):
        lines.append(f"    {ms / n:8.1f}  {label}")
    return lines
