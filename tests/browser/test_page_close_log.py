"""Leaving a page is not an error: the server log stays quiet, real errors stay loud."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading

import pytest

from dsa110_dashboard.views.errors import quiet_disconnects

pytestmark = pytest.mark.browser

ATTEMPTS = 60  # a close lands during a send on a few pages in twenty (fewer since pages send their data with the document)


def _disconnects(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "a browser left" in r.getMessage()]


def _noise(caplog) -> list[str]:
    out = []
    for record in caplog.records:
        text = record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "")
        closed = record.exc_info and "Closed" in type(record.exc_info[1]).__name__
        if record.levelno >= logging.WARNING and (closed or "never retrieved" in text
                                                   or "connection was closed" in text):
            out.append(f"{record.levelname} {record.name}: {text[:200]}")
    return out


def test_closing_pages_logs_no_traceback(demo_server, browser, caplog):
    caplog.set_level(logging.DEBUG, logger="dsa110_dashboard.views")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        for n in range(ATTEMPTS):
            page = context.new_page()
            page.goto(demo_server.url + ("/sources", "/jobs", "/ms", "/images", "/")[n % 5], wait_until="commit")
            page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0")
            page.close()  # while the server is still sending the page's first data
            gc.collect()  # unretrieved task exceptions are reported when collected
            if _disconnects(caplog) or _noise(caplog):
                break
    finally:
        context.close()
    gc.collect()
    assert _noise(caplog) == []
    assert _disconnects(caplog), f"no page closed during a send in {ATTEMPTS} tries"
    assert all(r.levelno == logging.DEBUG and r.exc_info is None
               for r in _disconnects(caplog))


def test_an_unexpected_unretrieved_error_is_logged_once_with_its_traceback(caplog):
    def serve_one_failing_task() -> None:  # on its own thread, as the server's loop is
        loop = asyncio.new_event_loop()
        try:
            quiet_disconnects(loop)
            quiet_disconnects(loop)  # idempotent

            async def fails() -> None:
                raise RuntimeError("boom in a task nobody awaited")

            task = loop.create_task(fails())
            loop.run_until_complete(asyncio.sleep(0))
            assert task.done()
            del task
            gc.collect()
        finally:
            loop.close()

    thread = threading.Thread(target=serve_one_failing_task)
    thread.start()
    thread.join()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None
    assert "boom in a task nobody awaited" in str(errors[0].exc_info[1])
