"""The exception hierarchy every layer raises and the web layer maps to messages.

Data access, the FITS engine and the services raise these; the API handlers map
``http_status`` to the response and ``user_message`` to the text a person reads.
"""

from __future__ import annotations


class DashboardError(Exception):
    """Base of every error the dashboard expects and explains to the user."""

    http_status = 500
    title = "Internal error"
    #: The stable machine-readable name of the error in the API's envelope.
    code = "internal_error"
    #: Seconds a client should wait before trying again (a Retry-After header), or None.
    retry_after: int | None = None

    @property
    def user_message(self) -> str:
        return str(self) or self.title


class ConfigError(DashboardError):
    """A setting has an invalid value; the message names the variable."""

    title = "Configuration error"
    code = "configuration_error"


class NotFoundError(DashboardError):
    http_status = 404
    title = "Not found"
    code = "not_found"


class InvalidInputError(DashboardError):
    """A parameter from a user (query string, widget, CLI) is not acceptable."""

    http_status = 400
    title = "Invalid input"
    code = "invalid_parameter"

    def __init__(self, message: str, *, parameter: str | None = None):
        super().__init__(message)
        self.parameter = parameter


class RequestTooLargeError(InvalidInputError):
    """A request body or URL beyond ``DSA110_DASH_REQUEST_MAX_BYTES``."""

    http_status = 413
    title = "Request too large"
    code = "request_too_large"


class ConflictError(DashboardError):
    http_status = 409
    title = "Conflict"
    code = "conflict"


class DatabaseUnavailableError(DashboardError):
    """The database cannot be reached (server down, file missing, unreadable)."""

    http_status = 503
    title = "Database unavailable"
    code = "database_unavailable"
    retry_after = 10


class DatabaseLockedError(DatabaseUnavailableError):
    """SQLite stayed locked by a writer for longer than the busy timeout."""

    title = "Database busy"
    code = "database_busy"


class FeatureUnavailableError(DashboardError):
    """A feature needs a dashboard migration that this database has not had."""

    http_status = 501
    title = "Feature unavailable on this database"
    code = "feature_unavailable"


class ReadOnlyError(DashboardError):
    """A write was attempted on a database opened read-only (409: the server's state,
    not the caller's rights, forbids it)."""

    http_status = 409
    title = "Database is read-only"
    code = "read_only"


class ImageReadError(DashboardError):
    """An image file is missing, truncated, corrupt or of an unsupported kind."""

    http_status = 422
    title = "Image unreadable"
    code = "image_unreadable"


class ForbiddenPathError(DashboardError):
    """A file registered in the database lies outside the configured data roots."""

    http_status = 403
    title = "File outside the data roots"
    code = "forbidden_path"


class NeverServedError(ForbiddenPathError):
    """A registered path names one of the dashboard's own files (database, cache)."""

    title = "File never served"
    code = "never_served"


class RenderTimeoutError(DashboardError):
    """Reading or rendering an image took longer than ``timeouts.image_render``."""

    http_status = 503
    title = "Image render timed out"
    code = "render_timeout"


class NotDownloadableError(DashboardError):
    """The registered product is not one regular file (a CASA image directory, a FIFO)."""

    http_status = 422
    title = "Not downloadable"
    code = "not_downloadable"


class NotAuthenticatedError(DashboardError):
    """The request needs a signed-in user."""

    http_status = 401
    title = "Sign-in required"
    code = "not_authenticated"


class ForbiddenError(DashboardError):
    """The caller is known but their role does not allow the action."""

    http_status = 403
    title = "Not allowed"
    code = "forbidden"


class XsrfError(ForbiddenError):
    """A cookie-authenticated request that changes something came without a matching
    XSRF token."""

    title = "XSRF check failed"
    code = "xsrf_failed"


class NotConfiguredError(DashboardError):
    """An action needs a setting the operator has not set (the message names it)."""

    http_status = 503
    title = "Not configured"
    code = "not_configured"


class ExecutorUnavailableError(DashboardError):
    """The Dask scheduler that should run batch items cannot be reached."""

    http_status = 503
    title = "Batch executor unavailable"
    code = "executor_unavailable"


class ServerBusyError(DashboardError):
    """Every slot of a bounded kind of work (exports, downloads) is taken; try later."""

    http_status = 503
    title = "Server busy"
    code = "server_busy"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


#: How much of a typed or linked value a message repeats (a pasted page is not).
SHOWN_CHARS = 40


def clipped(text: str, quote: bool = False) -> str:
    """``text`` for a message (``quote``: as a Python-style quoted string), cut after
    ``SHOWN_CHARS`` characters with its length said."""
    long = len(text) > SHOWN_CHARS
    head = text[:SHOWN_CHARS] + "…" if long else text
    head = repr(head) if quote else head
    return f"{head} ({len(text):,} characters)" if long else head
