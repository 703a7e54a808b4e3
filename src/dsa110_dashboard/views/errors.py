"""The one handler for exceptions raised in page callbacks, and for the event loop's.

Expected errors (``DashboardError``) become a notification with their message;
anything else is logged with its traceback and the user sees a short apology with
the time, so an operator can find the log entry.

A browser that leaves a page closes its websocket while Panel may still be sending to
it; Panel does not collect those sends' failures, so asyncio logged each as "Task
exception was never retrieved" with a ``WebSocketClosedError`` traceback at ERROR, and
Bokeh and Panel warn "Failed sending message as connection was closed".
``quiet_disconnects`` logs that expected case at DEBUG, one line, and hands every other
unretrieved exception to asyncio's own handler (once, with its traceback); a logging
filter turns the two warnings into the same DEBUG line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import panel as pn
from tornado.iostream import StreamClosedError
from tornado.websocket import WebSocketClosedError

from ..errors import DashboardError

log = logging.getLogger("dsa110_dashboard.views")
_DISCONNECTS = (WebSocketClosedError, StreamClosedError)
#: Loggers that warn, without a traceback, when a browser left during a send.
_WARNS_ON_DISCONNECT = ("bokeh.server.views.ws", "panel.io.document")
_LEFT_WARNING = "Failed sending message as connection was closed"


def user_message(exc: BaseException) -> str:
    if isinstance(exc, DashboardError):
        return f"{exc.title}: {exc.user_message}"
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    return f"Something went wrong ({type(exc).__name__} at {stamp}); it has been logged."


def handle_exception(exc: BaseException) -> None:
    if isinstance(exc, DashboardError):
        log.info("page callback: %s", exc.user_message)
    else:
        log.error("unexpected error in a page callback", exc_info=exc)
    notifications = pn.state.notifications
    if notifications is not None:
        notifications.error(user_message(exc), duration=8000)


def quiet_disconnects(loop: asyncio.AbstractEventLoop) -> None:
    """Install the loop's exception handler (idempotent), keeping any earlier one."""
    previous = loop.get_exception_handler()
    if getattr(previous, "quiet_disconnects", False):
        return

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if isinstance(context.get("exception"), _DISCONNECTS):
            log.debug("a browser left before a message reached it (%s)",
                      type(context["exception"]).__name__)
        elif previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    handler.quiet_disconnects = True  # type: ignore[attr-defined]
    loop.set_exception_handler(handler)


class _LeftDuringSend(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage() != _LEFT_WARNING:
            return True
        log.debug("a browser left before a message reached it (%s)", record.name)
        return False


def quiet_serving_loop() -> None:
    """``quiet_disconnects`` on the loop that is making this page's session.

    Called as each page is made: the serving loop exists only once the server runs
    (with --num-procs, only in each forked process).
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # not served (a notebook): nothing to quiet
        return
    quiet_disconnects(loop)


def install() -> None:
    pn.config.exception_handler = handle_exception
    for name in _WARNS_ON_DISCONNECT:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _LeftDuringSend) for f in logger.filters):
            logger.addFilter(_LeftDuringSend())
