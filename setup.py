"""Build step: the wheel carries the repository's templates/ as package data at clerk/templates/.

Everything else about the package is declared in pyproject.toml. The repository keeps templates/ at
the top level; clerk.resources finds them in the installed package, or in the checkout.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup  # type: ignore[import-untyped]
from setuptools.command.build_py import build_py  # type: ignore[import-untyped]

HERE = Path(__file__).resolve().parent


class BuildPyWithTemplates(build_py):
    """build_py, plus a copy of templates/ into the built clerk package (not for editable installs)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # the editable install reads templates/ from the checkout
        source = HERE / "templates"
        if not (source / "email").is_dir():
            raise SystemExit(f"templates/ not found beside setup.py ({source})")
        target = Path(self.build_lib) / "clerk" / "templates"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))


setup(cmdclass={"build_py": BuildPyWithTemplates})
