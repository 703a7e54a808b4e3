"""One job (``/jobs/{run_id}``): its configuration, command, artifacts, states, audit
trail and live log, with rerun and cancel for operators.

``run_id`` is a run id or the numeric job id (the jobs table links by id: a pipeline run
id, derived from the MS name, names every job of that MS). The user's role comes from
``DSA110_DASH_ROLES`` when sign-in is on (the user read from the session cookie, once
loaded, or from Panel's cookie with an OAuth provider), else
``DSA110_DASH_OPEN_ACCESS_ROLE``.
"""

from __future__ import annotations

import panel as pn

from dsa110_dashboard.auth.page_user import page_user
from dsa110_dashboard.context import AppContext
from dsa110_dashboard.viewmodels.job_detail import JobDetailModel
from dsa110_dashboard.views.job_detail import JobDetailView

TITLE = "Job"


def page(ctx: AppContext) -> pn.viewable.Viewable:
    ref = str((pn.state.route_params or {}).get("run_id", ""))
    cookies = dict(pn.state.cookies or {})
    model = JobDetailModel(ctx.db, ctx.settings, ref=ref,
                           identify=lambda: page_user(ctx.sign_in, cookies, ctx.oauth))
    return pn.Column(JobDetailView(model=model, poll_s=ctx.settings.log_poll_seconds),
                     sizing_mode="stretch_width")
