"""Run the real `dlclaims` command in a subprocess (as users do)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def dlclaims(*args: str, cwd: Path, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    e = {**os.environ, "MPLBACKEND": "Agg", **(env or {})}
    e.pop("DLCLAIMS_STORE", None)
    return subprocess.run([sys.executable, "-m", "dlclaims", *args], cwd=cwd, env=e, capture_output=True,
                          text=True, timeout=timeout)
