"""The configuration a rerun may change, and how an operator's text becomes a value.

Only declared keys are accepted, each with a type and a range; anything else is refused
with a message naming the key. Integers and numbers are read with strict patterns (no
``1_000``, no ``nan``, no trailing words), so ``1024; touch x`` is refused as an integer
before any command is built. Every key is also a placeholder of the command template.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInputError

_INT = re.compile(r"[+-]?\d{1,12}")
_FLOAT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?")


@dataclass(frozen=True)
class OverrideKey:
    name: str
    kind: str                      # "int", "float", "choice", "caltables"
    doc: str
    minimum: float | None = None
    maximum: float | None = None   # inclusive, unless below_maximum
    below_maximum: bool = False
    choices: tuple[str, ...] = ()
    #: "context": replaces a value taken from the database (MS, calibration, pointing);
    #: "params": a key of the job's own parameters (jobs.params).
    where: str = "params"

    def describe(self) -> str:
        if self.kind == "choice":
            return f"one of {', '.join(self.choices)}"
        if self.kind == "caltables":
            return "comma-separated paths of registered calibration tables"
        kind = "a whole number" if self.kind == "int" else "a number"
        low, high = _shown(self.minimum), _shown(self.maximum)
        top = f"< {high}" if self.below_maximum else f"<= {high}"
        return f"{kind} >= {low} and {top}"


def _shown(value: float | None) -> str:
    return str(int(value)) if value is not None and float(value).is_integer() else f"{value}"


DECLARED: dict[str, OverrideKey] = {k.name: k for k in (
    OverrideKey("phase_center_ra", "float", "phase centre right ascension (deg)",
                0.0, 360.0, below_maximum=True, where="context"),
    OverrideKey("phase_center_dec", "float", "phase centre declination (deg)",
                -90.0, 90.0, where="context"),
    OverrideKey("cal_table", "caltables", "calibration tables to apply, in order",
                where="context"),
    OverrideKey("imsize", "int", "image width and height (pixels)", 128, 16384),
    OverrideKey("cell_arcsec", "float", "pixel size (arcsec)", 0.1, 60.0),
    OverrideKey("niter", "int", "clean iterations", 0, 10_000_000),
    OverrideKey("robust", "float", "Briggs robust parameter", -2.0, 2.0),
    OverrideKey("weighting", "choice", "visibility weighting",
                choices=("natural", "uniform", "briggs")),
    OverrideKey("refant", "int", "reference antenna", 1, 117),
)}

MAX_VALUE_CHARS = 4096


def split_assignments(pairs: Iterable[str]) -> dict[str, str]:
    """``["imsize=2048", ...]`` -> ``{"imsize": "2048"}``; names the bad pair."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidInputError(f"override {pair!r} is not of the form key=value",
                                    parameter="set")
        if key in out:
            raise InvalidInputError(f"override {key} is given twice", parameter=key)
        out[key] = value
    return out


def parse_value(key: str, raw: Any, registered_caltables: Iterable[str] = ()) -> Any:
    """The typed value of override ``key``; InvalidInputError naming the key otherwise."""
    spec = DECLARED.get(key)
    if spec is None:
        raise InvalidInputError(
            f"{key!r} cannot be overridden; the keys are: {', '.join(DECLARED)}",
            parameter=key)
    text = raw if isinstance(raw, str) else str(raw)
    shown = text if len(text) <= 60 else text[:57] + "..."
    if len(text) > MAX_VALUE_CHARS:
        raise InvalidInputError(f"{key}: the value is longer than {MAX_VALUE_CHARS} "
                                "characters", parameter=key)
    bad = InvalidInputError(f"{key}: {shown!r} is not {spec.describe()}", parameter=key)
    stripped = text.strip()
    if spec.kind == "choice":
        if stripped not in spec.choices:
            raise bad
        return stripped
    if spec.kind == "caltables":
        paths = [p.strip() for p in stripped.split(",")]
        known = set(registered_caltables)
        unknown = [p for p in paths if p not in known]
        if not stripped or unknown:
            what = unknown[0] if unknown and unknown[0] else stripped
            raise InvalidInputError(
                f"{key}: {what[:60]!r} is not a registered calibration table (caltables.path)",
                parameter=key)
        return ",".join(paths)
    pattern = _INT if spec.kind == "int" else _FLOAT
    if not pattern.fullmatch(stripped):
        raise bad
    value: float | int = int(stripped) if spec.kind == "int" else float(stripped)
    if not math.isfinite(value) or value < spec.minimum:
        raise bad
    if value > spec.maximum or (spec.below_maximum and value >= spec.maximum):
        raise bad
    return value


def apply_overrides(base: Mapping[str, Any], raw: Mapping[str, Any],
                    registered_caltables: Iterable[str] = ()
                    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(configuration with the overrides, {key: {"from": old, "to": new}} of the keys
    whose value really changed). Every key is checked before anything is applied."""
    caltables = list(registered_caltables)
    values = {key: parse_value(key, value, caltables) for key, value in raw.items()}
    merged = dict(base)
    changed: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        if base.get(key) != value:
            changed[key] = {"from": base.get(key), "to": value}
        merged[key] = value
    return merged, changed
