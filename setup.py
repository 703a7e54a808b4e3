"""Build step that puts the composition root into the wheel (decision 0041).

A developer edits the top-level ``app.py``, ``dashboards/`` and ``assets/``; a wheel
carries copies of them as ``dsa110_dashboard/webapp/`` so that ``dsa110-dash serve``
works wherever the wheel is installed. An editable install copies nothing: ``serve``
finds the checkout's own files there.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
WEBAPP = ("app.py", "dashboards", "assets")
PACKAGE_DOC = '"""The composition root, copied from the checkout when the wheel was built."""\n'


class BuildPyWithWebapp(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "dsa110_dashboard" / "webapp"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        (target / "__init__.py").write_text(PACKAGE_DOC)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        for name in WEBAPP:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=ignore)
            else:
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildPyWithWebapp})
