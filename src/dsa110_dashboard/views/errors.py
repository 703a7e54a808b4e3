"""The one handler for exceptions raised in page callbacks.

Expected errors (``DashboardError``) become a notification with their message;
anything else is logged with its traceback and the user sees a short apology with
the time, so an operator can find the log entry.
"""

from __future__ import annotations

import logging
import time

import panel as pn

from ..errors import DashboardError

log = logging.getLogger("dsa110_dashboard.views")


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


def install() -> None:
    pn.config.exception_handler = handle_exception
