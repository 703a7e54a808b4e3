"""The wall display (``/wall``): the pipeline at a glance on a control-room screen that
nobody touches; full screen, dark, no navigation and no operator control.

``?panels=mosaic,qa,health,funnel`` chooses and orders the rotating panels and
``?rotate=`` sets the seconds per panel (default DSA110_DASH_WALL_ROTATE_SECONDS); a
value that cannot be used is named on the wall. With sign-in on, the wall may be opened
without it (DSA110_DASH_WALL_NETWORKS, DSA110_DASH_WALL_TOKEN_SHA256; decision 0062).
"""

from __future__ import annotations

import panel as pn

from dsa110_dashboard.context import AppContext
from dsa110_dashboard.status.summary import monitor_source, report_source
from dsa110_dashboard.viewmodels.wall import WallModel, check_query
from dsa110_dashboard.views.urlstate import sync_to_url
from dsa110_dashboard.views.wall import WallPage

TITLE = "Wall"
#: The page has no shell: no header, navigation or footer (app.py), and a dark theme.
CHROME = False


def page(ctx: AppContext) -> pn.viewable.Viewable:
    settings = ctx.settings
    # The wall's visitors may not be signed in: they see no server path.
    health = (monitor_source(ctx.health, ctx.roots.scrub) if ctx.health is not None
              else report_source(ctx.db, settings, ctx.roots.scrub))
    model = WallModel(ctx.db, health,
                      rotate_default=settings.wall_rotate_seconds,
                      stuck_hours=settings.ms_stuck_hours,
                      count_cache_seconds=settings.count_cache_seconds)
    sync_to_url(model, {"panels": "panels", "rotate": "rotate"}, check=check_query)
    return WallPage(model=model, refresh_s=settings.wall_refresh_seconds)
