"""Every shell block in docs/*.md runs, or says in the doc why it does not (decision 0070).

A fenced block in ``sh``, ``console`` or ``bash`` must follow a marker line:
``<!-- run -->`` (run here) or ``<!-- not run: REASON -->``. Runnable blocks of one page
run in order with ``bash -e`` in a scratch directory of their own that holds:

- ``demo-data/``: a copy of a small demo dataset (database, FITS images, logs);
- ``$STATE`` (exported): a pipeline state directory laid out as on the pipeline hosts,
  ``db/pipeline.sqlite3`` (a copy of the demo's database) and the older two-file layout
  ``products.sqlite3`` + ``cal_registry.sqlite3`` (written with the pipeline's own DDL);
- ``$DASH_PG`` (exported): the URL of a fresh PostgreSQL database, dropped afterwards;

with the checkout's ``.venv/bin`` first on ``PATH`` and no DSA110_*/PIPELINE_* variable
of this shell. ``console`` blocks run the lines after ``$ `` prompts.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from dbsupport import pg_url
from legacy import older_two_file_layout
from dsa110_dashboard.demo.build import build_demo

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SHELLS = ("sh", "console", "bash")
FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)")
RUN = re.compile(r"^<!--\s*run\s*-->$")
NOT_RUN = re.compile(r"^<!--\s*not run:\s*(.*?)\s*-->$")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    language: str
    text: str
    run: bool
    reason: str | None  # why not run; None when run or when the marker is missing

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    def script(self) -> str:
        if self.language != "console":
            return self.text
        return "\n".join(line[2:] for line in self.text.splitlines()
                         if line.startswith("$ "))


def blocks_of(path: Path) -> list[Block]:
    lines = path.read_text().splitlines()
    found, i = [], 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, language = opening.group(1), opening.group(2).lower()
        end = i + 1
        while end < len(lines) and not lines[end].startswith(fence):
            end += 1
        before = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()),
                      "")
        not_run = NOT_RUN.match(before)
        found.append(Block(path, i + 1, language, "\n".join(lines[i + 1:end]),
                           run=bool(RUN.match(before)),
                           reason=not_run.group(1) if not_run else None))
        i = end + 1
    return found


def shell_blocks(path: Path) -> list[Block]:
    return [b for b in blocks_of(path) if b.language in SHELLS]


PAGES = sorted(DOCS.glob("*.md"))
RUNNABLE = [p for p in PAGES if any(b.run for b in shell_blocks(p))]


def test_every_shell_block_is_run_or_says_why_not():
    problems = []
    for path in PAGES:
        for block in shell_blocks(path):
            if not block.run and block.reason is None:
                problems.append(f"{block.where()}: a ```{block.language} block needs "
                                "'<!-- run -->' or '<!-- not run: REASON -->' before it")
            elif block.reason is not None and not block.reason:
                problems.append(f"{block.where()}: 'not run' without a reason")
    assert problems == [], "\n".join(problems)


def test_the_docs_hold_runnable_commands():
    # Guards the parser: the pages this test was written with have runnable blocks.
    names = {p.name for p in RUNNABLE}
    assert {"install.md", "pipeline-database.md", "deployment.md", "access.md",
            "upgrading.md"} <= names, names


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs-demo")
    build_demo(out, days=1, size=128, seed=7)
    return out


def relocate(database: Path, old: Path, new: Path) -> None:
    """Make the absolute paths a copied dataset's database holds (images, logs, tables)
    point into the copy, as if it had been made there."""
    conn = sqlite3.connect(database)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for _cid, column, kind, *_ in conn.execute(f'PRAGMA table_info("{table}")'):
                if kind.upper() in ("TEXT", "VARCHAR", "") or "CHAR" in kind.upper():
                    conn.execute(f'UPDATE "{table}" SET "{column}" = '
                                 f'replace("{column}", ?, ?) WHERE instr("{column}", ?) > 0',
                                 (str(old), str(new), str(old)))
        conn.commit()
    finally:
        conn.close()


@pytest.fixture
def scratch(demo, tmp_path, pg_admin):
    data = tmp_path / "demo-data"
    shutil.copytree(demo, data, symlinks=True)
    relocate(data / "pipeline.sqlite3", demo, data)
    state = tmp_path / "state"
    (state / "db").mkdir(parents=True)
    shutil.copy2(data / "pipeline.sqlite3", state / "db" / "pipeline.sqlite3")
    older_two_file_layout(state)
    name = f"dsa110_docs_{uuid.uuid4().hex[:10]}"
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DSA110_", "PIPELINE_", "CONTIMG_"))}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               STATE=str(state), DASH_PG=pg_url(name), HOME=str(tmp_path))
    yield tmp_path, env
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
# Each command starts a fresh interpreter (a few seconds each); the first page also
# builds the demo dataset.
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("page", RUNNABLE, ids=[p.name for p in RUNNABLE])
def test_the_commands_of_a_page_run(page, scratch):
    cwd, env = scratch
    for block in shell_blocks(page):
        if not block.run:
            continue
        result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block.script()],
                                cwd=cwd, env=env, capture_output=True, text=True,
                                timeout=600, stdin=subprocess.DEVNULL)
        assert result.returncode == 0, (
            f"{block.where()} exited {result.returncode}:\n{block.text}\n--- stdout\n"
            f"{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}")
