"""Leaves its process group behind: a child starts a grandchild in a session of its own
(setsid), which ignores SIGTERM and lets go of the output pipes, and the child exits at
once, so the grandchild is an orphan outside the script's process group. Records
"<script pid> <grandchild pid>" in the pid file, then sleeps."""

import argparse
import os
import signal
import time

parser = argparse.ArgumentParser()
parser.add_argument("--pidfile", required=True)
options = parser.parse_args()
escaped = options.pidfile + ".escaped"

middle = os.fork()
if middle == 0:
    if os.fork() == 0:
        os.setsid()
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        with open(escaped + ".tmp", "w") as handle:
            handle.write(str(os.getpid()))
        os.replace(escaped + ".tmp", escaped)
        time.sleep(120)
    os._exit(0)
os.waitpid(middle, 0)
while not os.path.exists(escaped):
    time.sleep(0.01)
with open(escaped) as handle:
    grandchild = handle.read()
with open(options.pidfile + ".tmp", "w") as handle:
    handle.write(f"{os.getpid()} {grandchild}")
os.replace(options.pidfile + ".tmp", options.pidfile)
print("escaped", flush=True)
time.sleep(120)
