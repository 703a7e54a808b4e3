"""Helpers for browser tests."""


def wait_idle(page, timeout: float = 20_000) -> None:
    """Until Bokeh reports the document rendered and idle."""
    page.wait_for_function(
        "() => window.Bokeh && Bokeh.documents.length > 0 && Bokeh.documents[0].is_idle",
        timeout=timeout)


def through_history(page, step) -> None:
    """``step`` (Back or Forward), then until the page has reloaded (the URL state
    mechanism reloads on Back/Forward, decision 0043) and is idle."""
    page.evaluate("() => { window.dsaOldDocument = true; }")
    step()
    page.wait_for_function("() => !window.dsaOldDocument")
    wait_idle(page)


def text_of(locator) -> str:
    """The text a Panel pane shows (it is in the pane's shadow root)."""
    return locator.evaluate(
        "e => Array.from((e.shadowRoot || e).children)"
        ".filter(c => !['STYLE', 'LINK'].includes(c.tagName))"
        ".map(c => c.innerText).join('\\n')").strip()


#: JavaScript declaring ``figures``: the views of every Bokeh figure on the page, in
#: document order (Panel nests them in layouts and shadow roots).
FIGURES_JS = """
const figures = [];
const walk = (v, d) => {
  if (d > 60 || !v) return;
  if (v.model && (v.model.type === 'Figure' || v.model.type === 'Plot')) figures.push(v);
  for (const c of (v.child_views ?? [])) walk(c, d + 1);
};
for (const v of Object.values(Bokeh.index)) walk(v, 0);
"""
