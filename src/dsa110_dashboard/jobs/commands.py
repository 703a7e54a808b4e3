"""The command a queued job runs: ``PIPELINE_CMD_TEMPLATE`` made into an argument list.

The template is split into words once, as a POSIX shell would split it (``shlex``), and
each ``{placeholder}`` is then replaced inside its own word. The result is an argument
list for ``subprocess`` without a shell, so a value can never become a second word, a
redirection or a command substitution: ``1024; touch x`` stays one literal argument (and
the overrides refuse it before it gets here anyway).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInputError

#: Placeholders every template may use, filled from the database for each job.
CONTEXT_PLACEHOLDERS = ("ms_path", "run_id", "cal_table", "phase_center_ra",
                        "phase_center_dec")

_FIELD = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _placeholders() -> frozenset[str]:
    from .overrides import DECLARED  # the override keys are placeholders too

    return frozenset(CONTEXT_PLACEHOLDERS) | frozenset(DECLARED)


@dataclass(frozen=True)
class CommandTemplate:
    words: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> CommandTemplate:
        """Split ``text``; ValueError (one line) when it cannot be a template."""
        try:
            words = tuple(shlex.split(text, comments=False, posix=True))
        except ValueError as exc:  # "No closing quotation", "No escaped character"
            raise ValueError(f"cannot split the command into words: {exc}") from None
        if not words:
            raise ValueError("the command is empty")
        if _FIELD.search(words[0].replace("{{", "").replace("}}", "")):
            raise ValueError("the program (first word) must not be a placeholder")
        known = _placeholders()
        for word in words:
            for match in _FIELD.finditer(word):
                name = match.group(1)
                if name is not None and name not in known:
                    raise ValueError(f"unknown placeholder {{{name}}}; known: "
                                     + " ".join(f"{{{k}}}" for k in sorted(known)))
        return cls(words)

    @property
    def used(self) -> set[str]:
        return {m.group(1) for w in self.words for m in _FIELD.finditer(w)
                if m.group(1) is not None}

    def argv(self, values: Mapping[str, Any], *, job: str = "the job") -> list[str]:
        """The argument list with every placeholder replaced by its value's text.

        InvalidInputError names a placeholder the template uses that has no value.
        """
        missing = sorted(k for k in self.used if values.get(k) is None)
        if missing:
            names = ", ".join(f"{{{k}}}" for k in missing)
            raise InvalidInputError(
                f"the command template uses {names}, but {job} has no value for it "
                "(set it with an override, or change the template)",
                parameter=missing[0])

        def replace(match: re.Match) -> str:
            name = match.group(1)
            if name is None:
                return match.group(0)[0]  # "{{" -> "{", "}}" -> "}"
            return format_value(values[name])

        return [_FIELD.sub(replace, word) for word in self.words]


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)
