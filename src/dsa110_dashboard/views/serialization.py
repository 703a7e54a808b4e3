"""Bokeh's serialization of a model without the defaults it throws away (decision 0091).

Every model a page sends (the whole document when the browser pulls it, each model a
later change adds) is serialized through ``HasProps.query_properties_with_values(...,
include_defaults=False)``. Bokeh 3.9 computes the default of *every* property there,
then drops those that were never set (its own TODO says the check belongs first): most
of the CPU of a /qa pull at one year, on the event loop, while the browser waits for the
document (figures in the decision).

``install`` replaces it with the same function with that check first. The result is the
same dict: a key skipped early is one the original also dropped (not set, no unstable or
themed default). Every other property still goes through ``get_value`` as before: one
with no default (an unset required property still raises), one whose default the
model's class or a base overrides, and one whose default is made per model (Bokeh
stores it when made, and its later calls include it). Only the function of the Bokeh
version it was checked against is replaced (``KNOWN_BOKEH_VERSION``,
``KNOWN_SOURCE_SHA256``): after an upgrade nothing is, and
tests/views/test_serialization.py fails until this module is checked again.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
from collections.abc import Callable
from typing import Any

import bokeh
from bokeh.core.has_props import HasProps
from bokeh.core.property.descriptors import PropertyDescriptor, UnsetValueError
from bokeh.core.property.singletons import Undefined
from bokeh.core.property.wrappers import PropertyValueContainer

log = logging.getLogger(__name__)

#: What this module was checked against: Bokeh's version and the source of its
#: ``HasProps.query_properties_with_values`` there.
KNOWN_BOKEH_VERSION = "3.9.2"
KNOWN_SOURCE_SHA256 = "e864a09d384658f4dc59d87fbba3c4893d7f5f60cfa6960edc35c91ec03bc4d8"

# Bokeh's own function, kept on the class: a second import of this module (Panel's
# --dev reloader drops modules) must find Bokeh's, not the one installed before.
if "_bokeh_query_properties_with_values" not in HasProps.__dict__:
    HasProps._bokeh_query_properties_with_values = HasProps.query_properties_with_values
_original = HasProps._bokeh_query_properties_with_values

#: Per model class, the properties whose value may be left unmade when not set: plain
#: ones (not aliases) with a stable default that no class overrides (not one without a
#: default, and not one made per model, which Bokeh stores when it makes it).
_skippable: dict[type, frozenset[str]] = {}


def source_hash(function: Callable) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


def _skippable_of(model: HasProps) -> frozenset[str]:
    cls = type(model)
    found = _skippable.get(cls)
    if found is None:
        overridden = cls._overridden_defaults()
        found = _skippable[cls] = frozenset(
            key for key in cls.properties(_with_props=True)
            if isinstance(descriptor := model.lookup(key), PropertyDescriptor)
            and descriptor.property._default is not Undefined
            and key not in overridden and not descriptor.has_unstable_default(model))
    return found


def query_properties_with_values(self: HasProps,
                                 query: Callable[[PropertyDescriptor[Any]], bool], *,
                                 include_defaults: bool = True,
                                 include_undefined: bool = False) -> dict[str, Any]:
    """Bokeh's, with "was it set?" asked before the value is made."""
    if include_defaults:
        return _original(self, query, include_defaults=True,
                         include_undefined=include_undefined)
    themed_values = self.themed_values()
    themed_keys = set(themed_values) if themed_values is not None else set()
    selected_keys = (set(self._property_values) | set(self._unstable_default_values)
                     | themed_keys)
    skippable = _skippable_of(self)
    result: dict[str, Any] = {}
    for key in self.properties(_with_props=True):
        descriptor = self.lookup(key)
        if not query(descriptor):
            continue
        if key in skippable and key not in selected_keys:
            continue  # a stable default: made, then dropped, by the original
        try:
            value = descriptor.get_value(self)
        except UnsetValueError:
            if not include_undefined:
                raise
            value = Undefined
        else:
            if key not in selected_keys:
                continue
            if (key not in themed_keys and isinstance(value, PropertyValueContainer)
                    and key in self._unstable_default_values):
                continue
        result[key] = value
    return result


query_properties_with_values.dsa110_serialization = True


def installed() -> bool:
    return getattr(HasProps.query_properties_with_values, "dsa110_serialization", False)


def install() -> bool:
    """Replace Bokeh's function (once per process) if it is the one this module was
    checked against; True when in place."""
    if installed():
        return True
    if bokeh.__version__ != KNOWN_BOKEH_VERSION or source_hash(_original) != \
            KNOWN_SOURCE_SHA256:
        log.warning("Bokeh %s is not the version views/serialization.py was checked "
                    "against (%s); pages serialize the slow way", bokeh.__version__,
                    KNOWN_BOKEH_VERSION)
        return False
    HasProps.query_properties_with_values = query_properties_with_values
    return True


def uninstall() -> None:
    """Bokeh's own function again (for comparisons in tests and benchmarks)."""
    HasProps.query_properties_with_values = _original
