"""Bokeh's serialization of a model without the defaults it throws away (decision 0091).

Every model a page sends (the whole document when the browser pulls it, each model a
later change adds) is serialized through ``HasProps.query_properties_with_values(...,
include_defaults=False)``. Bokeh 3.9 computes the default of *every* property there,
then drops those that were never set (its own TODO says the check belongs first): most
of the CPU of a /qa pull at one year, on the event loop, while the browser waits for the
document (figures in the decision).

``install`` replaces it with the same function with that check first. The result is the
same dict: a key skipped early is one the original also dropped (not set, no unstable or
themed default). A property with no default at all, or with a default a subclass
overrides, still goes through ``get_value``, so that an unset required property still
raises. Only the function it was written against is replaced (``KNOWN_SOURCE_SHA256``):
after a Bokeh upgrade that changed it, nothing is, and tests/views/test_serialization.py
fails until this module is checked against the new one.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
from collections.abc import Callable
from typing import Any

from bokeh.core.has_props import HasProps
from bokeh.core.property.descriptors import PropertyDescriptor, UnsetValueError
from bokeh.core.property.singletons import Undefined
from bokeh.core.property.wrappers import PropertyValueContainer

log = logging.getLogger(__name__)

#: The source of ``HasProps.query_properties_with_values`` in Bokeh 3.9.2.
KNOWN_SOURCE_SHA256 = "e864a09d384658f4dc59d87fbba3c4893d7f5f60cfa6960edc35c91ec03bc4d8"

_original = HasProps.query_properties_with_values


def source_hash(function: Callable) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()


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
    overridden = type(self)._overridden_defaults()  # this class's and its bases'
    result: dict[str, Any] = {}
    for key in self.properties(_with_props=True):
        descriptor = self.lookup(key)
        if not query(descriptor):
            continue
        if (key not in selected_keys and descriptor.property._default is not Undefined
                and key not in overridden):
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


def installed() -> bool:
    return HasProps.query_properties_with_values is query_properties_with_values


def install() -> bool:
    """Replace Bokeh's function (once per process) if it is the one this module was
    written against; True when in place."""
    if installed():
        return True
    if (source_hash(_original) != KNOWN_SOURCE_SHA256
            or not hasattr(HasProps, "_overridden_defaults")):
        log.warning("Bokeh's HasProps.query_properties_with_values is not the one "
                    "views/serialization.py was written for; pages serialize the slow way")
        return False
    HasProps.query_properties_with_values = query_properties_with_values
    return True


def uninstall() -> None:
    """Bokeh's own function again (for comparisons in tests and benchmarks)."""
    HasProps.query_properties_with_values = _original
