"""The wheel built from this repository serves every page and asset when installed
outside the checkout (decision 0041).

The wheel is installed with ``--no-deps --no-index`` into a fresh venv; its dependencies
come from this test venv's site-packages through a ``.pth`` line (a path named there is
not a site directory, so the editable install's own ``.pth`` there is not run and cannot
shadow the wheel)."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from dsa110_dashboard.demo import build_demo

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _repository_files() -> list[str]:
    """Tracked and new (not ignored) files: what a clone of this checkout would build."""
    result = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, check=True)
    return [name for name in result.stdout.decode().split("\0")
            if name and (ROOT / name).is_file()]


def _copy_repository(target: Path) -> None:
    # A build writes build/ and *.egg-info beside the sources: do it in a copy.
    for name in _repository_files():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes((ROOT / name).read_bytes())


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin/ directory of a fresh venv holding only the wheel."""
    base = tmp_path_factory.mktemp("wheel")
    source, dist, venv = base / "source", base / "dist", base / "venv"
    _copy_repository(source)
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps",
                    "--quiet", "--wheel-dir", str(dist)], check=True, cwd=base)
    wheel, = dist.glob("dsa110_dashboard-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "test-dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                    "--quiet", "--no-deps", "--no-index", str(wheel)], check=True)
    return venv / "bin"


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DSA110_DASH_", "PIPELINE_", "CONTIMG_"))
           and k not in ("PYTHONPATH", "VIRTUAL_ENV", "COVERAGE_PROCESS_START")}
    return {**env, **extra}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_the_installed_package_is_the_wheel_not_the_checkout(installed, tmp_path):
    where = subprocess.run(
        [installed / "python", "-c", "import dsa110_dashboard.cli.serve_cmd as s; "
         "print(s.__file__); print(s.app_path())"],
        cwd=tmp_path, env=_clean_env(), capture_output=True, text=True, check=True)
    module, app = where.stdout.split()
    venv = installed.parent
    assert Path(module).is_relative_to(venv), module
    assert Path(app) == Path(module).parents[1] / "webapp" / "app.py"


def test_the_wheel_serves_every_page_and_asset_from_another_directory(installed,
                                                                       tmp_path):
    data = tmp_path / "data"
    build_demo(data, days=1, size=128, seed=5)
    with sqlite3.connect(data / "pipeline.sqlite3") as conn:
        image_id = conn.execute("SELECT min(id) FROM images").fetchone()[0]
        source_id = conn.execute("SELECT source_id FROM photometry "
                                 "WHERE source_id IS NOT NULL LIMIT 1").fetchone()[0]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    port = _free_port()
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen(
        [installed / "dsa110-dash", "--db", str(data / "pipeline.sqlite3"), "serve",
         "--port", str(port), "--address", "127.0.0.1"],
        cwd=elsewhere, stdout=log, stderr=subprocess.STDOUT,
        env=_clean_env(DSA110_DASH_DATA_DIR=str(data),
                       DSA110_DASH_CACHE_DIR=str(tmp_path / "cache")))
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if _get(url + "/api/v1/health")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, _read(log)
            assert time.monotonic() < deadline, "the server did not start\n" + _read(log)
            time.sleep(0.5)
        pages = {"/": "Overview", "/images": "Images", f"/images/{image_id}": "Image",
                 "/sources": "Sources",
                 "/sources/" + urllib.parse.quote(source_id, safe=""): "Source"}
        for path, title in pages.items():
            status, body = _get(url + path)
            assert status == 200, (path, status, _read(log))
            found = re.search(rb"<title>(.*?)</title>", body)
            assert found and found.group(1).decode() == f"DSA-110 · {title}", path
        for asset in ("dashboard.css", "logo.svg", "favicon.svg"):
            status, body = _get(f"{url}/assets/{asset}")
            assert status == 200 and body == (ROOT / "assets" / asset).read_bytes(), asset
        # The API docs' dark stylesheet is package data, not an asset of the checkout.
        status, body = _get(url + "/api/v1/docs?theme=dark")
        dark = (ROOT / "src" / "dsa110_dashboard" / "api" / "swagger-dark.css").read_text()
        assert status == 200 and dark.strip()[:200].encode() in body, status
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "Traceback" not in _read(log), _read(log)


def _read(log) -> str:
    log.flush()
    log.seek(0)
    return log.read()
