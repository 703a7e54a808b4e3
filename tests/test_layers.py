"""The layers import one way: the API and the shared query rules never import view-models,
views or Panel; data access never imports anything above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "dsa110_dashboard"

FORBIDDEN = {
    "api": ("viewmodels", "views", "panel"),
    "queries": ("viewmodels", "views", "api", "panel", "param"),
    "repositories": ("viewmodels", "views", "api", "queries", "panel"),
}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, relative ones resolved inside the package."""
    tree = ast.parse(path.read_text(), filename=str(path))
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(parts[:-node.level])
                found.add(".".join(base + ([node.module] if node.module else [])))
            else:
                found.add(node.module or "")
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_nothing_above_it(layer):
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files, f"no modules found under {layer}/"
    offences = []
    for path in files:
        for module in imported_modules(path):
            top = module.split(".")
            inner = top[1] if top[0] == "dsa110_dashboard" and len(top) > 1 else None
            for banned in FORBIDDEN[layer]:
                if inner == banned or top[0] == banned:
                    offences.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert offences == []
