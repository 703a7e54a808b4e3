"""The Jobs page (``/jobs``): the queue, the batches and the jobs table.

The table's filters, sort and page are in the URL (``?status=failed&type=imaging&ms=…
&run=…&sort=finished&order=asc&page=2``); a value that cannot be used is named in a
note and left out of the address. The image page links here with ``?ms=<path>``.
"""

from __future__ import annotations

import panel as pn

from dsa110_dashboard.context import AppContext
from dsa110_dashboard.viewmodels.jobs import QUERY_PARAMS, JobsModel, QueueModel
from dsa110_dashboard.views.jobs import JobsPageView
from dsa110_dashboard.views.urlstate import sync_to_url

TITLE = "Jobs"


def page(ctx: AppContext) -> pn.viewable.Viewable:
    jobs = JobsModel(ctx.db)
    sync_to_url(jobs, {name: name for name in QUERY_PARAMS})
    return pn.Column(
        pn.pane.HTML("<h2 style='margin:8px 0'>Jobs</h2>", margin=0),
        JobsPageView(jobs=jobs, queue=QueueModel(ctx.db),
                     period_s=ctx.settings.jobs_refresh_seconds,
                     stale_after=ctx.settings.timeouts.job_heartbeat_stale),
        sizing_mode="stretch_width",
    )
