"""Directories the dashboard cannot write, made for real (never by mocking).

The suite runs as root in CI and on the lead's machine, and root ignores permission
bits: a read-only directory is made immutable with ``chattr +i`` there (root cannot
write into it either), and with ``chmod 0555`` for anyone else. A full file system is a
tiny tmpfs mounted for the test (mounting needs root; elsewhere the test fails saying so).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def read_only(directory: Path) -> Iterator[Path]:
    """``directory`` and every folder below it unwritable for this process."""
    folders = [directory, *(p for p in directory.rglob("*") if p.is_dir())]
    if os.geteuid() == 0:
        if not shutil.which("chattr"):
            pytest.fail("chattr (e2fsprogs) is needed to make a directory read-only for root")
        subprocess.run(["chattr", "+i", *map(str, folders)], check=True)
        try:
            yield directory
        finally:
            subprocess.run(["chattr", "-i", *map(str, folders)], check=True)
    else:
        modes = {p: p.stat().st_mode for p in folders}
        for p in folders:
            p.chmod(0o555)
        try:
            yield directory
        finally:
            for p, mode in modes.items():
                p.chmod(mode)


@contextlib.contextmanager
def full_file_system(mount_point: Path, size: str = "64k") -> Iterator[Path]:
    """A tmpfs of ``size`` at ``mount_point``, filled to the last byte."""
    if os.geteuid() != 0:
        pytest.fail("a full file system is simulated with a tmpfs mount, which needs root")
    mount_point.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
                   check=True)
    try:
        with open(mount_point / "filler", "wb", buffering=0) as f:
            with contextlib.suppress(OSError):
                while True:
                    f.write(b"\0" * 4096)
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)
