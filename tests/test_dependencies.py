"""pyproject.toml declares every package the code imports, each with an upper bound on its version."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OWN = {"clerk", "bot", "mail", "scheduler", "web"}
NO_UPPER_BOUND = {"tzdata"}  # time-zone data versioned by year: newer is always wanted


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def declared() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {_name(req): req for req in project["dependencies"]}


def imported_top_level_names() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in OWN:
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], path)
    return found


def test_every_third_party_import_is_a_declared_dependency() -> None:
    distributions = packages_distributions()
    deps = declared()
    undeclared = []
    for name, where in sorted(imported_top_level_names().items()):
        if name in OWN or name in sys.stdlib_module_names or name == "__future__":
            continue
        owners = {_name(dist) for dist in distributions.get(name, [])}
        if not owners & deps.keys():
            undeclared.append(f"{name} (imported in {where.relative_to(REPO)}; from {owners or 'nowhere'})")
    assert not undeclared, "imported but not declared in pyproject.toml: " + ", ".join(undeclared)


def test_every_dependency_has_an_upper_bound_on_its_major_version() -> None:
    unbounded = [req for name, req in declared().items() if name not in NO_UPPER_BOUND and "<" not in req]
    assert not unbounded
