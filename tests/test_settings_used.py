"""Every documented setting does something: some code outside settings.py reads it, and
the README's settings table is the one `environment_documentation` gives."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

from dsa110_dashboard.settings import Settings, TimeoutConfig, environment_documentation

ROOT = Path(__file__).resolve().parents[1]
SETTINGS_PY = ROOT / "src" / "dsa110_dashboard" / "settings.py"
#: The code that may read settings: the package, and the composition root and pages
#: that the wheel carries with it.
CODE = [p for p in sorted((ROOT / "src" / "dsa110_dashboard").rglob("*.py"))
        if p != SETTINGS_PY] + [ROOT / "app.py", *sorted((ROOT / "dashboards").glob("*.py"))]


@pytest.fixture(scope="module")
def code() -> str:
    return "\n".join(path.read_text() for path in CODE)


def _documented(klass: type) -> list[str]:
    return [f.name for f in dataclasses.fields(klass) if "env" in f.metadata]


def _properties_reading(klass: type) -> dict[str, set[str]]:
    """For each property of ``klass`` in settings.py, the ``self.<field>`` it reads: a
    field read only through a property that code reads is read."""
    tree = ast.parse(SETTINGS_PY.read_text())
    body = next(node for node in tree.body
                if isinstance(node, ast.ClassDef) and node.name == klass.__name__).body
    reads: dict[str, set[str]] = {}
    for node in body:
        if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Name) and d.id == "property" for d in node.decorator_list):
            reads[node.name] = {n.attr for n in ast.walk(node)
                                if isinstance(n, ast.Attribute)
                                and isinstance(n.value, ast.Name) and n.value.id == "self"}
    return reads


def _read_in(code: str, pattern: str) -> bool:
    return re.search(pattern, code) is not None


def test_every_setting_is_read_by_some_code(code):
    properties = _properties_reading(Settings)
    unread = []
    for name in _documented(Settings):
        readers = [name] + [prop for prop, fields in properties.items() if name in fields]
        if not any(_read_in(code, rf"\.{reader}\b") for reader in readers):
            unread.append(name)
    assert not unread, f"settings that no code reads (wire them or remove them): {unread}"


def test_every_timeout_is_read_by_some_code(code):
    unread = [name for name in _documented(TimeoutConfig)
              if not _read_in(code, rf"timeouts\.{name}\b")]
    assert not unread, f"timeouts that no code reads (wire them or remove them): {unread}"


def test_the_readme_settings_table_is_the_documented_one():
    readme = (ROOT / "README.md").read_text()
    table = dict(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \| (.*?) \|", readme, re.M))
    documented = {env: default or "(unset)" for env, default, _ in environment_documentation()}
    assert table == documented
