"""Shared fixtures: the repository root, a PATH on which the venv's tools come first, and the
built book."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def tool_env() -> dict[str, str]:
    """The environment for subprocesses: the venv's bin/ first (jupyter-book, alembic)."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture(scope="session")
def book(tool_env) -> subprocess.CompletedProcess:
    """The book, built once per session into _build/html as `make book` builds it.

    Tests that use it belong to xdist group "book", so one worker builds it for all of them.
    """
    start = time.perf_counter()
    result = subprocess.run(
        ["jupyter-book", "build", str(ROOT), "-W", "-n", "--keep-going"],
        cwd=ROOT, env=tool_env, capture_output=True, text=True, timeout=1800,
    )
    result.seconds = time.perf_counter() - start
    return result
