"""Where Chromium is and how to start it here: Debian's package, headless, no sandbox
(containers), nothing that reaches out to the network. The browser tests, the browser
benchmark and the screenshot tool all start it this way."""

import os
import shutil

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path():
    """EXECUTOR_CHROMIUM if set, else `chromium` on the PATH; None when there is none."""
    configured = os.environ.get("EXECUTOR_CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def launch_options():
    path = chromium_path()
    if path is None:
        raise RuntimeError("Chromium is not installed: apt-get install chromium")
    return {"executable_path": path, "args": ARGS}
