"""Floods stdout and stderr at once: a supervisor reading one pipe at a time deadlocks."""

import argparse
import sys
import threading

parser = argparse.ArgumentParser()
parser.add_argument("--stdout-mb", type=float, default=1)
parser.add_argument("--stderr-mb", type=float, default=1)
options = parser.parse_args()


def write(stream, megabytes, tag):
    line = (tag * 63)[:63] + "\n"
    for _ in range(int(megabytes * 1024 * 1024 / 64)):
        stream.write(line)
    stream.flush()


err = threading.Thread(target=write, args=(sys.stderr, options.stderr_mb, "e"))
err.start()
write(sys.stdout, options.stdout_mb, "o")
err.join()
