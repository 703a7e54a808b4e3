"""The pages' own Viewer components, built on a notebook connection (decision 0069).

Each function returns the component a page shows, over a fresh view-model on the
connection's database, with no URL state: a page binds its state to the address
(``views.urlstate``), a notebook has none, and the view-model's parameters are the
state instead (``view.model.stretch = "linear"``). Outside a server every load runs at
once, in the kernel; widget changes reach the kernel through the Jupyter comm and run
the same callbacks a page runs. Links to other pages and thumbnails
(``/api/v1/.../thumbnail.png``) need a running server and do not resolve in a notebook.
"""

from __future__ import annotations

import panel as pn

from ..viewmodels.eta_v import EtaVModel
from ..viewmodels.image_browser import ImageBrowserModel
from ..viewmodels.image_detail import ImageDetailModel
from ..viewmodels.jobs import JobsModel, QueueModel
from ..viewmodels.qa import QAModel
from ..viewmodels.source_detail import SourceDetailModel
from ..views.eta_v import EtaVView
from ..views.image_browser import ImageBrowserView
from ..views.image_detail import ImageDetailView
from ..views.jobs import JobsPageView
from ..views.qa import QAPageView
from ..views.source_detail import SourceDetailView
from . import offline
from .connection import Connection, current

# Here, not only in ``extension()``: a notebook that calls ``pn.extension(inline=True)``
# itself gets the views' stylesheets inline too (the hook does nothing on a server).
offline.install()

#: The Panel extensions the views need loaded in the notebook (``dd.extension()``).
EXTENSIONS = ("tabulator",)


def extension(**config) -> None:
    """``pn.extension`` with what the views need, its scripts and stylesheets inline
    (Panel's default in a notebook fetches them from a CDN, which a control-room network
    may not reach; decision 0078); call it in a cell of its own, once."""
    offline.install()
    pn.extension(*EXTENSIONS, **{"inline": True, **config})


def _conn(connection: Connection | None) -> Connection:
    return connection if connection is not None else current()


def _set(model, given: dict, what: str) -> None:
    unknown = sorted(set(given) - set(model.param))
    if unknown:
        raise TypeError(f"{what} has no setting {unknown[0]!r}")
    model.param.update(**given)


def image_browser(connection: Connection | None = None, **search) -> ImageBrowserView:
    """The /images browser: filters, sort, paging in SQL. ``search`` sets the page's
    fields as its URL would (``types=["5min"]``, ``time_from="2025-10-01"``,
    ``grades=["poor"]``, ``sort="noise_jy"``...)."""
    model = ImageBrowserModel(_conn(connection).db)
    _set(model, search, "the image browser")
    return ImageBrowserView(model=model)


def image_view(connection: Connection | None, image_id, **look) -> ImageDetailView:
    """One image (/images/{id}): the zoomable sky view with RA/Dec axes, header, QA and
    provenance. ``look``: ``stretch``, ``cmap``, ``show_sources``."""
    conn = _conn(connection)
    model = ImageDetailModel(conn.db, conn.settings)
    _set(model, look, "the image view")
    return ImageDetailView(model=model, raw_id=str(image_id))


def source_view(connection: Connection | None, source_id: str, **look) -> SourceDetailView:
    """One source (/sources/{name}): lightcurve, statistics with exclusions, cutouts.
    ``look``: ``flux``, ``time_axis``, ``exclude_qa``..."""
    model = SourceDetailModel(_conn(connection).db, str(source_id))
    _set(model, look, "the source view")
    return SourceDetailView(model=model)


def eta_v_plot(connection: Connection | None = None, **thresholds) -> EtaVView:
    """The eta-V plot of /sources (``eta_threshold``, ``v_threshold``, ``k``)."""
    model = EtaVModel(_conn(connection).db)
    _set(model, thresholds, "the eta-V plot")
    return EtaVView(model=model)


def jobs_view(connection: Connection | None = None, **filters) -> JobsPageView:
    """The /jobs page's queue, batches and jobs table (``status``, ``type``, ``ms``,
    ``run``, ``sort``, ``order``). It does not refresh by itself in a notebook: call
    ``view.tick()`` to read again."""
    conn = _conn(connection)
    jobs = JobsModel(conn.db)
    _set(jobs, filters, "the jobs view")
    return JobsPageView(jobs=jobs, queue=QueueModel(conn.db),
                        period_s=conn.settings.jobs_refresh_seconds,
                        stale_after=conn.settings.timeouts.job_heartbeat_stale)


def qa_view(connection: Connection | None = None, **query) -> QAPageView:
    """The /qa page's view: image and calibration QA over a time range and declination
    strip (``start``, ``end``: MJD or ISO UTC; ``dec_min``, ``dec_max``; ``section``:
    the tab of plots open, ``image``, ``beam`` or ``calibration``), the grade
    distribution, the nights' summary and the worst images. Flagging a box of points
    needs a signed-in operator on a server and stays off here."""
    model = QAModel(_conn(connection).db)
    _set(model, query, "the QA view")
    return QAPageView(model=model)


# ``dd.ImageBrowser()`` and the others: on the connection of the last ``dd.connect``.
def ImageBrowser(**search):  # noqa: N802 - named like the component it returns
    return image_browser(None, **search)


def ImageView(image_id, **look):  # noqa: N802
    return image_view(None, image_id, **look)


def SourceView(source_id, **look):  # noqa: N802
    return source_view(None, source_id, **look)


def EtaVPlot(**thresholds):  # noqa: N802
    return eta_v_plot(None, **thresholds)


def QAView(**query):  # noqa: N802
    return qa_view(None, **query)


def JobsView(**filters):  # noqa: N802
    return jobs_view(None, **filters)
