"""HEAD for the pages: GET's status and headers, without making a session.

Bokeh's page handler answers GET only, so monitors and link checkers got 405 for
every page. Building a whole session (every view, its first queries) for a probe
would be costly and keep memory (holoviz/panel#8189), so HEAD checks sign-in exactly
as GET does (a redirect to the login page without it) and stops at the headers. It
leaves out the Content-Length and ETag that only building the page would give.
"""

from __future__ import annotations

from tornado.web import authenticated

from .background import DocHandler, serve_pages_with


class PageHandler(DocHandler):
    def get_login_url(self) -> str:
        """The sign-in page from the site's root. Panel's own answer, ``./login``, is
        relative: from ``/jobs/45`` it is ``/jobs/login``, which the page route
        ``/jobs/{run_id}`` takes, and asks for sign-in again, forever."""
        provider = self.application.auth_provider
        return provider.login_url if provider.login_url else super().get_login_url()

    @authenticated
    async def head(self, *args: str, **kwargs: str) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "text/html")
        await self.flush()  # headers now: finish would add the empty body's length
        self.finish()


def install() -> None:
    """Serve every page through PageHandler; call before the server is made."""
    serve_pages_with(PageHandler)
