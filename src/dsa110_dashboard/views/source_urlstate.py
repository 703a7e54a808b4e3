"""Moved to ``views.urlstate`` (one URL-state mechanism for every page, decision 0043).

Kept only for ``views/eta_v.py``, which another change is editing: switch its import to
``.urlstate`` and delete this module.
"""

from .urlstate import notes_alert

__all__ = ["notes_alert"]
