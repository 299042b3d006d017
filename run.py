#!/usr/bin/env python3
"""GridGov quick start. Needs only Python 3.11+.

    python3 run.py demo     # set up, build the demo city N市 and serve it on http://127.0.0.1:8000
    python3 run.py test     # set up and run the whole test suite (DATABASE_URL selects PostgreSQL)

Everything is installed into ./.venv; nothing outside this folder is touched, except that
`test` installs Debian's Chromium and CJK fonts for the browser test when run as root on a
machine that lacks them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def say(message: str) -> None:
    print(f"[gridgov] {message}", flush=True)


def run(*cmd: str | os.PathLike[str], **kwargs: object) -> None:
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)  # type: ignore[call-overload]


def ensure_venv(extras: str) -> None:
    """Create .venv and install the package (with extras) when pyproject.toml changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - run.py itself may meet an older python3
        sys.exit("GridGov needs Python 3.11 or newer.")
    if not PYTHON.exists():
        say("creating the virtual environment in .venv")
        try:
            run(sys.executable, "-m", "venv", VENV)
        except subprocess.CalledProcessError:
            sys.exit(
                "Could not create a virtual environment. On Debian/Ubuntu install python3-venv "
                "(apt-get install python3-venv) and run this command again."
            )
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".gridgov-installed-{extras or 'base'}-{digest}"
    if stamp.exists():
        return
    say("installing GridGov and its dependencies (first run only)")
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    target = f".[{extras}]" if extras else "."
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", target, cwd=ROOT)
    for old in VENV.glob(".gridgov-installed-*"):
        old.unlink()
    stamp.touch()


def ensure_browser() -> None:
    """The browser test drives Debian's Chromium; install it when we may."""
    if shutil.which("chromium") or Path("/usr/bin/chromium").exists():
        return
    apt = shutil.which("apt-get")
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("installing Debian's chromium and fonts-noto-cjk for the browser test")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run(apt, "update", "-qq", env=env)
        run(apt, "install", "-y", "-qq", "chromium", "fonts-noto-cjk", env=env)
    else:
        say("chromium is not installed: the browser test will be skipped")


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("help", [])
    os.chdir(ROOT)
    if command == "demo":
        ensure_venv("")
        return subprocess.call([str(BIN / "gridgov"), "demo", *rest])
    if command == "test":
        ensure_venv("test")
        ensure_browser()
        return subprocess.call([str(PYTHON), "-m", "pytest", *rest])
    if command == "setup":
        ensure_venv("test")
        return 0
    print(__doc__)
    return 0 if command in ("help", "-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
