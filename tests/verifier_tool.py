"""The standalone verifier (tools/verify_docket.py) loaded as a module for the tests, and
run as a program; it is not a package, and it must not import docket."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

TOOL = Path(__file__).resolve().parent.parent / "tools" / "verify_docket.py"


def load():
    """The tool as a module."""
    spec = importlib.util.spec_from_file_location("verify_docket", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool(*args, cwd=None) -> tuple[int, str, str]:
    """Run the tool as a program; (exit code, stdout, stderr)."""
    done = subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=120, check=False)
    return done.returncode, done.stdout, done.stderr
