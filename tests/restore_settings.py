"""A Bokeh setting put back as it was after a test changed it: set by a program (the
server's ``configure_panel`` sets some) or left to the environment and defaults."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from bokeh.settings import PrioritizedSetting, SettingProvenance


@contextlib.contextmanager
def restored(setting: PrioritizedSetting) -> Iterator[PrioritizedSetting]:
    value, provenance = setting.get_value_with_provenance()
    try:
        yield setting
    finally:
        if provenance == SettingProvenance.USER_SET:
            setting.set_value(value)
        else:
            setting.unset_value()
