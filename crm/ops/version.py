"""The running version: the package's, and the commit it was built from."""

import os
import subprocess
from functools import cache
from importlib.metadata import PackageNotFoundError, version

from crm.config import ROOT

PACKAGE = "sister-city-crm"


@cache
def running_version() -> dict[str, str]:
    """``{"version": "0.1.0", "commit": "1a2b3c4"}``: the commit from ``CRM_COMMIT`` (set it
    where the code is deployed without its Git folder), else from the checkout, else
    "unknown". Read once per process."""
    try:
        number = version(PACKAGE)
    except PackageNotFoundError:
        number = "unknown"
    return {"version": number, "commit": os.environ.get("CRM_COMMIT") or _git_commit()}


def _git_commit() -> str:
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return found.stdout.strip() or "unknown"
