"""Make sure axe-core is there for the browser tests' accessibility checks: install the pinned npm package into
.cache/axe/ in the project root (outside the package tree, git-ignored) when missing, with the machine's npm.

Prints what it did. Without npm it says so and exits 0; the browser tests then fail with that message (set
LMS_BROWSER_TESTS=0 to leave them out on purpose). `--path` prints the path of axe.min.js and nothing else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

AXE_VERSION = "4.10.3"
ROOT = Path(__file__).resolve().parents[1]
PREFIX = ROOT / ".cache" / "axe"
AXE_SCRIPT = PREFIX / "node_modules" / "axe-core" / "axe.min.js"
PACKAGE_JSON = PREFIX / "node_modules" / "axe-core" / "package.json"


def installed_version() -> str | None:
    """The version of the axe-core in the cache folder, or None when it is not there."""
    import json

    if not AXE_SCRIPT.is_file() or not PACKAGE_JSON.is_file():
        return None
    return json.loads(PACKAGE_JSON.read_text(encoding="utf-8")).get("version")


def _install_npm() -> str | None:
    """Debian's npm, installed when we are root on a machine with apt-get (as scripts/ensure_chromium.py does)."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    print("installing Debian's npm for the browser tests' axe-core checks ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "npm"], check=False, env=env)
    return shutil.which("npm")


def install() -> int:
    npm = shutil.which("npm") or _install_npm()
    if not npm:
        print("npm is missing: install Debian's npm (apt-get install npm) for the browser tests' axe-core checks")
        return 0
    PREFIX.mkdir(parents=True, exist_ok=True)
    print(f"installing axe-core {AXE_VERSION} into {PREFIX} ...", flush=True)
    result = subprocess.run(
        [
            npm,
            "install",
            "--prefix",
            str(PREFIX),
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--loglevel=error",
            f"axe-core@{AXE_VERSION}",
        ],
        check=False,
    )
    return 0 if result.returncode == 0 and installed_version() == AXE_VERSION else 1


def main(argv: list[str]) -> int:
    if "--path" in argv:
        print(AXE_SCRIPT)
        return 0
    if os.environ.get("LMS_BROWSER_TESTS") == "0":
        print("browser tests off (LMS_BROWSER_TESTS=0)")
        return 0
    if installed_version() == AXE_VERSION:
        return 0
    return install()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
