"""People's flags on one image, for the image page's "Your verdict" card.

Any signed-in user may flag (decision 0055): the flag is stored under their name. The
control is disabled, with the reason, when nobody is signed in (sign-in off, or signed
out) or when flags cannot be written here (read-only database, table missing). A later
flag supersedes the current one; the history keeps every flag.

``fetch`` and ``store`` are blocking (run them off the event loop) and return the state
that ``apply`` shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import param

from ..db.engine import Database
from ..errors import DashboardError
from ..repositories.flags import HISTORY_COLUMNS, ImageFlags
from ..science.qa import FLAG_VERDICTS

SIGN_IN_OFF = ("Sign-in is off on this server, so nobody can be named on a flag: flags "
               "need a signed-in user (any role; sign-in is DSA110_DASH_BASIC_AUTH, see the "
               "README).")
SIGNED_OUT = "Sign in to flag this image (any role may flag)."


@dataclass(frozen=True)
class FlagsState:
    blocked: str | None
    history: pd.DataFrame
    current: dict | None
    message: str | None = None
    ok: bool = False


class ImageFlagsModel(param.Parameterized):
    image_id = param.Integer(default=None, allow_None=True)
    verdict = param.Selector(default="bad", objects=list(FLAG_VERDICTS))
    note = param.String(default="")

    current = param.Dict(default=None, allow_None=True,
                         doc="The current flag (verdict, note, user, created_at) or None.")
    history = param.DataFrame(default=pd.DataFrame(columns=list(HISTORY_COLUMNS)))
    #: Why the control is disabled (None: enabled).
    blocked = param.String(default=None, allow_None=True)
    message = param.String(default=None, allow_None=True)
    message_ok = param.Boolean(default=False)

    def __init__(self, db: Database, identify: Callable[[], str | None] | None = None,
                 **params):
        """``identify`` (blocking) names the signed-in user: None with sign-in off, ""
        when signed out (``auth.page_user``)."""
        super().__init__(**params)
        self.flags = ImageFlags(db)
        self._identify = identify
        self.user: str | None = None

    def fetch(self) -> FlagsState:
        """Blocking: who is signed in, whether flags can be written, and the flags."""
        self.user = self._identify() if self._identify is not None else None
        if self.user is None:
            blocked = SIGN_IN_OFF
        elif not self.user:
            blocked = SIGNED_OUT
        else:
            blocked = self.flags.writable_reason()
        return self._read(blocked)

    def _read(self, blocked: str | None, message: str | None = None,
              ok: bool = False) -> FlagsState:
        history = (self.flags.history(self.image_id) if self.image_id is not None
                   else pd.DataFrame(columns=list(HISTORY_COLUMNS)))
        current = None
        if len(history):
            first = history.iloc[0]
            current = {k: first[k] for k in ("verdict", "note", "user", "created_at")}
        return FlagsState(blocked, history, current, message, ok)

    def apply(self, state: FlagsState) -> None:
        updates = dict(blocked=state.blocked, history=state.history, current=state.current,
                       message=state.message, message_ok=state.ok)
        if state.ok:
            updates["note"] = ""
        self.param.update(**updates)

    def load(self) -> None:
        self.apply(self.fetch())

    def store(self) -> FlagsState:
        """Blocking: store the chosen verdict and note; the state to show after (with a
        message saying what happened or why nothing was stored)."""
        if self.blocked:
            return self._read(self.blocked, self.blocked)
        verdict = self.verdict
        try:
            self.flags.flag([self.image_id], verdict, self.note, self.user)
        except DashboardError as exc:
            return self._read(self.blocked, exc.user_message)
        return self._read(self.blocked, f"Flagged {verdict}.", ok=True)

    def submit(self) -> bool:
        """``store`` then show it (for tests and notebooks); True when stored."""
        state = self.store()
        self.apply(state)
        return state.ok
