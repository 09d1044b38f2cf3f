"""Make sure Debian's Chromium is there for the browser tests: install it when missing and we are root.

Prints what it did. Without Chromium and without root, it says so; the browser tests then fail with that
message (set LMS_BROWSER_TESTS=0 to leave them out on purpose).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def main() -> int:
    if os.environ.get("LMS_BROWSER_TESTS") == "0":
        print("browser tests off (LMS_BROWSER_TESTS=0)")
        return 0
    if shutil.which("chromium"):
        return 0
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print("chromium is missing: install Debian's chromium (apt-get install chromium) for the browser tests")
        return 0
    print("installing Debian's chromium for the browser tests ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    result = subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, env=env)
    return 0 if result.returncode == 0 and shutil.which("chromium") else 1


if __name__ == "__main__":
    sys.exit(main())
