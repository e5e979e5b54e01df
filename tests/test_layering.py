"""The dependency direction holds in the code (issue 7, items 20 and 21).

mampf <- rosters <- registration <- assessment <- performance <- grade_schemes <- remediation
<- operations: a lower app never imports a higher one, and inside registration the allocation
module imports neither ``services`` (which re-exports it) nor ``tasks`` (which import services).
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
LAYERS = [
    "mampf", "rosters", "registration", "assessment", "performance", "grade_schemes",
    "remediation", "operations",
]


def imported_modules(path: Path) -> list[tuple[str, bool]]:
    """(module, at top level?) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = set(map(id, tree.body))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.module, id(node) in top))
            found += [(f"{node.module}.{alias.name}", id(node) in top) for alias in node.names]
    return found


def test_no_app_imports_a_higher_app():
    offences = []
    for rank, app in enumerate(LAYERS):
        higher = LAYERS[rank + 1:]
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for module, _top in imported_modules(path):
                if module.split(".")[0] in higher:
                    offences.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offences == []


def test_seed_demo_lives_in_operations_the_last_installed_app():
    assert get_commands()["seed_demo"] == "operations"
    assert settings.INSTALLED_APPS[-1] == "operations.apps.OperationsConfig"
    assert not (ROOT / "mampf" / "management").exists()


def test_no_import_circle_between_services_allocation_and_tasks():
    allocation = imported_modules(ROOT / "registration" / "allocation.py")
    assert not [m for m, _top in allocation if m.startswith(("registration.services",
                                                             "registration.tasks"))]
    assert all(top for _m, top in allocation), "no function-level imports in allocation"
    services = ROOT / "registration" / "services.py"
    tree = ast.parse(services.read_text(encoding="utf-8"))
    first_code = next(
        index for index, node in enumerate(tree.body)
        if not isinstance(node, (ast.Import, ast.ImportFrom, ast.Expr))
    )
    late = [node for node in tree.body[first_code:] if isinstance(node, (ast.Import,
                                                                            ast.ImportFrom))]
    assert late == [], "services imports allocation at the top, not at the bottom"
    assert not [m for m, _top in imported_modules(services) if m.startswith("registration.tasks")]
