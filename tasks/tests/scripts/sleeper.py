"""Starts a grandchild, records both pids, then sleeps (optionally ignoring SIGTERM)."""

import argparse
import os
import signal
import subprocess
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--pidfile")
parser.add_argument("--ignore-term", action="store_true")
options = parser.parse_args()
if options.ignore_term:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
if options.pidfile:
    with open(options.pidfile + ".tmp", "w") as handle:
        handle.write(f"{os.getpid()} {grandchild.pid}")
    os.replace(options.pidfile + ".tmp", options.pidfile)
print("sleeping", flush=True)
time.sleep(120)
