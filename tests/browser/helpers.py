"""Helpers for browser tests."""


def wait_idle(page, timeout: float = 20_000) -> None:
    """Until Bokeh reports the document rendered and idle."""
    page.wait_for_function(
        "() => window.Bokeh && Bokeh.documents.length > 0 && Bokeh.documents[0].is_idle",
        timeout=timeout)
